/**
 * The time column of an InfluxQL answer as InfluxDB 1.x's `/query` writes it: RFC3339 with
 * nanoseconds as Go's `time.RFC3339Nano` prints them (trailing zeros of the fraction trimmed,
 * `Z` or the `tz()` zone's offset), or, with `epoch=`, an integer in the asked unit.
 */
import { floorDiv, zoneOffsetNs } from './time.js';

const NS_PER_MS = 1_000_000n;
const NS_PER_SECOND = 1_000_000_000n;

/**
 * The divisor of the `epoch` parameter, or undefined for RFC3339 strings (absent or blank).
 * As InfluxDB 1.x: `u`, `ms`, `s`, `m`, `h`; any other value (`ns`, and also `µ`, which 1.x's
 * handler does not know) gives nanoseconds.
 */
export function epochDivisor(epoch: string | null | undefined): bigint | undefined {
  const e = (epoch ?? '').trim();
  switch (e) {
    case '':
      return undefined;
    case 'u':
      return 1_000n;
    case 'ms':
      return NS_PER_MS;
    case 's':
      return NS_PER_SECOND;
    case 'm':
      return 60n * NS_PER_SECOND;
    case 'h':
      return 3600n * NS_PER_SECOND;
    default:
      return 1n;
  }
}

/** `ns` in the epoch unit: Go's integer division, which truncates toward zero. */
export function epochValue(ns: bigint, divisor: bigint): bigint {
  return ns / divisor;
}

/**
 * Nanoseconds since the epoch as Go's RFC3339Nano: `2006-01-02T15:04:05.999999999Z07:00` with the
 * fraction's trailing zeros (and a bare dot) dropped; in `timezone` (an IANA name) the local time
 * and its offset, `Z` when the offset is zero.
 */
export function formatRfc3339Nano(ns: bigint, timezone?: string): string {
  const offsetNs = timezone === undefined ? 0n : zoneOffsetNs(timezone, ns);
  const local = ns + offsetNs;
  const seconds = floorDiv(local, NS_PER_SECOND);
  const fraction = local - seconds * NS_PER_SECOND;
  const iso = new Date(Number(seconds) * 1000).toISOString();
  // toISOString writes years past 9999 (and before 0) with a sign and six digits; InfluxDB's
  // times (1677 to 2262) never need them.
  let out = iso.slice(0, iso.indexOf('.'));
  if (fraction !== 0n) out += `.${String(fraction).padStart(9, '0').replace(/0+$/, '')}`;
  return out + offsetText(offsetNs);
}

function offsetText(offsetNs: bigint): string {
  if (offsetNs === 0n) return 'Z';
  const sign = offsetNs < 0n ? '-' : '+';
  const totalMinutes = (offsetNs < 0n ? -offsetNs : offsetNs) / (60n * NS_PER_SECOND);
  const hh = String(totalMinutes / 60n).padStart(2, '0');
  const mm = String(totalMinutes % 60n).padStart(2, '0');
  return `${sign}${hh}:${mm}`;
}
