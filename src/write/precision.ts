import { WriteError } from './errors.js';

/** The unit of line-protocol timestamps; `auto` guesses from the magnitude. */
export type Precision = 'auto' | 's' | 'ms' | 'us' | 'ns';

const ALIASES: Record<string, Precision> = {
  auto: 'auto',
  s: 's',
  second: 's',
  ms: 'ms',
  millisecond: 'ms',
  us: 'us',
  u: 'us',
  microsecond: 'us',
  ns: 'ns',
  n: 'ns',
  nanosecond: 'ns',
};

const NS_PER: Record<Exclude<Precision, 'auto'>, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Parses a precision and InfluxDB's aliases (`second`, `u`, `n`, …). */
export function parsePrecision(value: string): Precision {
  const p = ALIASES[value];
  if (p === undefined) throw new WriteError('INVALID_PRECISION', `unrecognized precision unit: ${value}`);
  return p;
}

/** InfluxDB 3's guess for `auto`: by |ts| / 1e9 — under 5 seconds, under 5 000 ms, under 5 000 000 µs, else ns. */
export function guessPrecision(timestamp: bigint): Exclude<Precision, 'auto'> {
  const magnitude = timestamp < 0n ? -timestamp : timestamp;
  if (magnitude < 5_000_000_000n) return 's';
  if (magnitude < 5_000_000_000_000n) return 'ms';
  if (magnitude < 5_000_000_000_000_000n) return 'us';
  return 'ns';
}

/** A written timestamp in nanoseconds; undefined if it overflows int64 (the caller reports the line). */
export function timestampToNs(timestamp: bigint, precision: Precision): bigint | undefined {
  const unit = precision === 'auto' ? guessPrecision(timestamp) : precision;
  const ns = timestamp * NS_PER[unit];
  return ns < I64_MIN || ns > I64_MAX ? undefined : ns;
}

/** The time of a line without a timestamp: the ingest time truncated to the precision (auto: as is). */
export function defaultTimeNs(ingestTimeNs: bigint, precision: Precision): bigint {
  if (precision === 'auto' || precision === 'ns') return ingestTimeNs;
  const unit = NS_PER[precision];
  return ingestTimeNs - (((ingestTimeNs % unit) + unit) % unit);
}
