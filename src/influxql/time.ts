/**
 * Time in InfluxQL SELECTs: the time range a WHERE clause gives (InfluxDB 1.x pulls every
 * comparison of `time` out of the condition, whatever its place), time literals (RFC3339, a
 * date, a date and time, integers in nanoseconds, durations, `now()` ± durations), and the
 * windows of `GROUP BY time(interval, offset)`, aligned in a time zone when `tz()` names one.
 */
import type { BinaryOp, Expr } from './ast.js';
import { InfluxQLStatementError } from './executor.js';

/** The smallest and largest times InfluxDB 1.x stores (its MinTime and MaxTime). */
export const MIN_TIME_NS = -9223372036854775806n;
export const MAX_TIME_NS = 9223372036854775806n;

/** A time range, both ends inclusive. */
export interface TimeRange {
  minNs: bigint;
  maxNs: bigint;
}

/** What a WHERE clause says about time, and the condition left once time is taken out. */
export interface SplitCondition {
  range: TimeRange;
  /** Whether the WHERE clause named a lower bound / an upper bound on time. */
  hasMin: boolean;
  hasMax: boolean;
  /** The rest of the condition (undefined: every row). */
  condition: Expr | undefined;
}

const COMPARE = new Set<BinaryOp>(['=', '!=', '<>', '<', '<=', '>', '>=']);

function unparen(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}

function isTimeRef(e: Expr): boolean {
  e = unparen(e);
  return e.kind === 'ref' && e.name.toLowerCase() === 'time';
}

/**
 * Takes every comparison of `time` out of `condition` into a range, as InfluxDB 1.x does: the
 * bounds intersect wherever they stand (even under OR), and in the condition left a time term
 * becomes true under AND and false under OR (so `time > x OR host = 'a'` means
 * `time > x AND host = 'a'`, as 1.x answers).
 */
export function splitTimeCondition(condition: Expr | undefined, nowNs: bigint, timezone: string | undefined): SplitCondition {
  const range: TimeRange = { minNs: MIN_TIME_NS, maxNs: MAX_TIME_NS };
  let hasMin = false;
  let hasMax = false;
  const bound = (op: BinaryOp, valueNs: bigint) => {
    if (op === '>' || op === '>=' || op === '=') {
      const lo = op === '>' ? valueNs + 1n : valueNs;
      if (lo > range.minNs) range.minNs = lo;
      hasMin = true;
    }
    if (op === '<' || op === '<=' || op === '=') {
      const hi = op === '<' ? valueNs - 1n : valueNs;
      if (hi < range.maxNs) range.maxNs = hi;
      hasMax = true;
    }
    if (op === '!=' || op === '<>') throw new InfluxQLStatementError('invalid time comparison operator: !=');
  };
  const FLIP: Partial<Record<BinaryOp, BinaryOp>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=', '!=': '!=', '<>': '<>' };
  // Returns the expression without its time terms; `underOr` says what a removed term becomes.
  const strip = (e: Expr, underOr: boolean): Expr | 'true' | 'false' => {
    const u = unparen(e);
    if (u.kind === 'binary' && (u.op === 'AND' || u.op === 'OR')) {
      const l = strip(u.left, u.op === 'OR');
      const r = strip(u.right, u.op === 'OR');
      if (u.op === 'AND') {
        if (l === 'false' || r === 'false') return 'false';
        if (l === 'true') return r;
        if (r === 'true') return l;
        return { kind: 'binary', op: 'AND', left: l, right: r };
      }
      if (l === 'true' || r === 'true') return 'true';
      if (l === 'false') return r;
      if (r === 'false') return l;
      return { kind: 'binary', op: 'OR', left: l, right: r };
    }
    if (u.kind === 'binary' && COMPARE.has(u.op)) {
      if (isTimeRef(u.left)) {
        bound(u.op, timeValueNs(u.right, nowNs, timezone));
        return underOr ? 'false' : 'true';
      }
      if (isTimeRef(u.right)) {
        bound(FLIP[u.op]!, timeValueNs(u.left, nowNs, timezone));
        return underOr ? 'false' : 'true';
      }
    }
    return e;
  };
  let rest: Expr | undefined;
  if (condition !== undefined) {
    const s = strip(condition, false);
    rest = s === 'true' ? undefined : s === 'false' ? { kind: 'boolean', value: false } : s;
  }
  return { range, hasMin, hasMax, condition: rest };
}

/** The value of the other side of a comparison with `time`, in nanoseconds. */
export function timeValueNs(e: Expr, nowNs: bigint, timezone: string | undefined): bigint {
  e = unparen(e);
  switch (e.kind) {
    case 'string': {
      const ns = parseTimeString(e.value, timezone);
      if (ns === undefined) throw new InfluxQLStatementError('invalid operation: time and *influxql.StringLiteral are not compatible');
      return ns;
    }
    case 'integer':
      return e.value;
    case 'number':
      return BigInt(Math.trunc(e.value));
    case 'duration':
      return e.ns;
    case 'call':
      if (e.name === 'now' && e.args.length === 0) return nowNs;
      break;
    case 'binary':
      if (e.op === '+' || e.op === '-') {
        const l = timeValueNs(e.left, nowNs, timezone);
        const r = timeValueNs(e.right, nowNs, timezone);
        return e.op === '+' ? l + r : l - r;
      }
      break;
    default:
      break;
  }
  throw new InfluxQLStatementError(`invalid operation: time and ${describe(e)} are not compatible`);
}

function describe(e: Expr): string {
  switch (e.kind) {
    case 'ref':
      return '*influxql.VarRef';
    case 'boolean':
      return '*influxql.BooleanLiteral';
    case 'regex':
      return '*influxql.RegexLiteral';
    case 'call':
      return '*influxql.Call';
    default:
      return '*influxql.BinaryExpr';
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A time string as InfluxQL reads it: RFC3339 with up to nine fraction digits and `Z` or an
 * offset, `YYYY-MM-DD HH:MM:SS[.fff]`, or `YYYY-MM-DD`; a time without an offset is in
 * `timezone` (UTC when none). Undefined when it is none of these.
 */
export function parseTimeString(text: string, timezone?: string): bigint | undefined {
  let y: number, mo: number, d: number, h = 0, mi = 0, s = 0;
  let fracNs = 0n;
  let offsetNs: bigint | undefined;
  const m = RFC3339.exec(text);
  if (m !== null) {
    [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
    if (m[7] !== undefined) fracNs = BigInt(m[7].padEnd(9, '0'));
    if (m[8] !== undefined) {
      if (m[8] === 'Z') offsetNs = 0n;
      else {
        const sign = m[8][0] === '-' ? -1n : 1n;
        offsetNs = sign * (BigInt(m[8].slice(1, 3)) * 3600n + BigInt(m[8].slice(4, 6)) * 60n) * 1_000_000_000n;
      }
    } else if (m[0].includes('T')) return undefined; // RFC3339 needs its zone
  } else {
    const dm = DATE.exec(text);
    if (dm === null) return undefined;
    [y, mo, d] = [dm[1], dm[2], dm[3]].map(Number) as [number, number, number];
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(ms).getUTCDate() !== d) return undefined;
  const localNs = BigInt(ms) * 1_000_000n + fracNs;
  if (offsetNs !== undefined) return localNs - offsetNs;
  if (timezone === undefined) return localNs;
  // The local time in the zone: its offset at that instant (taken twice to settle across a change).
  let utc = localNs - zoneOffsetNs(timezone, localNs);
  utc = localNs - zoneOffsetNs(timezone, utc);
  return utc;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Checks a `tz()` argument; InfluxDB's words when the zone is unknown. */
export function checkTimezone(timezone: string): void {
  try {
    formatFor(timezone);
  } catch {
    throw new InfluxQLStatementError(`unable to find time zone ${timezone}`);
  }
}

function formatFor(timezone: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(timezone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    zoneFormats.set(timezone, f);
  }
  return f;
}

const QUARTER_HOUR_NS = 900_000_000_000n;
const offsetCache = new Map<string, bigint>();

/**
 * The zone's offset from UTC at instant `utcNs`, in nanoseconds (east positive). Zones change
 * their offset on quarter hours, so answers are cached per zone and quarter hour.
 */
export function zoneOffsetNs(timezone: string, utcNs: bigint): bigint {
  const key = `${timezone}\u0000${floorDiv(utcNs, QUARTER_HOUR_NS)}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    if (offsetCache.size > 100_000) offsetCache.clear();
    offset = computeZoneOffsetNs(timezone, floorDiv(utcNs, QUARTER_HOUR_NS) * QUARTER_HOUR_NS);
    offsetCache.set(key, offset);
  }
  return offset;
}

function computeZoneOffsetNs(timezone: string, utcNs: bigint): bigint {
  const ms = Number(floorDiv(utcNs, 1_000_000n));
  // Outside the range a Date holds, the offset at the edge.
  const clamped = Math.max(-8.64e15, Math.min(8.64e15, ms));
  const parts = formatFor(timezone).formatToParts(new Date(clamped));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const wholeSecondMs = Math.floor(clamped / 1000) * 1000;
  return BigInt(asUtc - wholeSecondMs) * 1_000_000n;
}

/** Floor division of bigints (rounds toward −∞). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** Non-negative remainder. */
export function floorMod(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r < 0n ? r + b : r;
}

/**
 * The start of the `GROUP BY time(intervalNs, offsetNs)` window holding `timeNs`; in a zone,
 * windows align to local time (a day starts at local midnight), as InfluxDB 1.x computes them.
 */
export function windowStartNs(timeNs: bigint, intervalNs: bigint, offsetNs: bigint, timezone: string | undefined): bigint {
  let t = timeNs - offsetNs;
  let zone = 0n;
  if (timezone !== undefined) zone = zoneOffsetNs(timezone, t);
  const dt = floorMod(t + zone, intervalNs);
  t -= dt;
  if (timezone !== undefined) {
    const startOffset = zoneOffsetNs(timezone, t);
    const o = zone - startOffset;
    if (o !== 0n && (o < 0n ? -o : o) < intervalNs) t += o;
  }
  return t + offsetNs;
}
