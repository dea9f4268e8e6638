import { WriteError } from './errors.js';

/** The unit of line-protocol timestamps; `auto` guesses from the magnitude. */
export type Precision = 'auto' | 's' | 'ms' | 'us' | 'ns';

// A Map, not an object literal: `__proto__`, `constructor` and `toString` must not be units.
const ALIASES: ReadonlyMap<string, Precision> = new Map(Object.entries({
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
} satisfies Record<string, Precision>));

const NS_PER: Record<Exclude<Precision, 'auto'>, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Parses a precision and InfluxDB's aliases (`second`, `u`, `n`, …). */
export function parsePrecision(value: string): Precision {
  const p = ALIASES.get(value);
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

/**
 * The times a row may have with gen1 windows of `gen1DurationNs`: its window must start and end
 * inside int64 (the WAL stores chunk times, a snapshot's end-time marker is a window's end), which
 * also keeps it clear of int64's ends, which the SQL engine reads as ±infinity. About 1677-09-21
 * to 2262-04-11 (the table per duration is in docs/line-protocol.md); a line outside is rejected on its own.
 */
export function storableTimeRangeNs(gen1DurationNs: bigint): { minNs: bigint; maxNs: bigint } {
  if (gen1DurationNs < 2n) throw new RangeError(`gen1 duration must be at least 2 ns, got ${gen1DurationNs}`);
  // BigInt division truncates toward zero: a ceiling for the negative end, a floor for the positive one.
  const firstWindowNs = (I64_MIN / gen1DurationNs) * gen1DurationNs;
  const lastWindowNs = ((I64_MAX - gen1DurationNs) / gen1DurationNs) * gen1DurationNs;
  return { minNs: firstWindowNs > I64_MIN + 1n ? firstWindowNs : firstWindowNs + gen1DurationNs, maxNs: lastWindowNs + gen1DurationNs - 1n };
}

/** The time of a line without a timestamp: the ingest time truncated to the precision (auto: as is). */
export function defaultTimeNs(ingestTimeNs: bigint, precision: Precision): bigint {
  if (precision === 'auto' || precision === 'ns') return ingestTimeNs;
  const unit = NS_PER[precision];
  return ingestTimeNs - (((ingestTimeNs % unit) + unit) % unit);
}
