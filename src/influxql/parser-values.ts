/**
 * Literal values as InfluxQL's parser reads them, with InfluxDB 1.x's arithmetic and errors:
 * durations (64-bit, wrapping as Go's do), integers past int64, bound parameters turned into
 * tokens, and the time zones `tz()` accepts.
 */
import { InfluxQLParseError } from './parse-error.js';
import { Tok } from './lexer.js';

/**
 * A bound parameter's value (the v1 `params` JSON object): a float (`number`), an integer
 * (`bigint`), a string, a boolean, or an object naming the kind — `{ "identifier": "cpu" }`,
 * `{ "regex": "^a" }`, `{ "duration": "5m" }`, `{ "integer": 3 }`, `{ "string": "x" }`,
 * `{ "float": 1.5 }`. Anything else is an error where the parameter is used, as in InfluxDB.
 */
export type BoundParameterValue = number | bigint | string | boolean | null | Readonly<Record<string, unknown>>;

/** Nanoseconds from Go's zero time (January 1, year 1) to the Unix epoch: `now()` offsets are computed from it. */
export const GO_ZERO_TO_UNIX_NS = 62135596800n * 1_000_000_000n;
export const INT64_MAX = 9223372036854775807n;
export const UINT64_MAX = 18446744073709551615n;

const NS = 1n;
const US = 1000n;
const MS = 1_000_000n;
const SEC = 1_000_000_000n;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;
const DAY = 24n * HOUR;
const WEEK = 7n * DAY;

/** A duration literal (`1h30m`, `5µ`, `10ns`) in nanoseconds, with InfluxDB's 64-bit wrap-around and errors. */
export function parseDuration(s: string): bigint {
  const a = Array.from(s);
  if (a.length < 2) throw new InfluxQLParseError('invalid duration');
  let i = 0;
  let negative = false;
  if (a[0] === '-') {
    negative = true;
    i++;
  }
  let d = 0n;
  let measure = 0n;
  let unit = '';
  while (i < a.length) {
    const start = i;
    while (i < a.length && a[i]! >= '0' && a[i]! <= '9') i++;
    if (i >= a.length || i === start) throw new InfluxQLParseError('invalid duration');
    const n = BigInt(a.slice(start, i).join(''));
    if (n > INT64_MAX) throw new InfluxQLParseError('invalid duration');
    measure = n;
    unit = a[i]!;
    let scale: bigint;
    switch (a[i]) {
      case 'n':
        if (a[i + 1] !== 's') throw new InfluxQLParseError('invalid duration');
        unit = 'ns';
        scale = NS;
        i += 2;
        d = BigInt.asIntN(64, d + n * scale);
        continue;
      case 'u':
      case 'µ':
        scale = US;
        break;
      case 'm':
        if (a[i + 1] === 's') {
          unit = 'ms';
          i += 2;
          d = BigInt.asIntN(64, d + BigInt.asIntN(64, n * MS));
          continue;
        }
        scale = MIN;
        break;
      case 's': scale = SEC; break;
      case 'h': scale = HOUR; break;
      case 'd': scale = DAY; break;
      case 'w': scale = WEEK; break;
      default:
        throw new InfluxQLParseError('invalid duration');
    }
    d = BigInt.asIntN(64, d + BigInt.asIntN(64, n * scale));
    i++;
  }
  if (d < 0n && !negative) throw new InfluxQLParseError(`overflowed duration ${measure}${unit}: choose a smaller duration or INF`);
  return negative ? BigInt.asIntN(64, -d) : d;
}

/** An integer literal: int64, else uint64 (kept as a bigint above 2^63-1), else undefined. */
export function parseGoInteger(lit: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(lit)) return undefined;
  const n = BigInt(lit);
  if (n < -INT64_MAX - 1n || n > UINT64_MAX) return undefined;
  if (n < 0n) return n;
  return n;
}

/** `strconv.ParseInt` clamped to int64's range, as LIMIT reads it. */
export function parseIntClamped(lit: string): bigint {
  if (!/^[+-]?\d+$/.test(lit)) return 0n;
  const n = BigInt(lit);
  if (n > INT64_MAX) return INT64_MAX;
  if (n < -INT64_MAX - 1n) return -INT64_MAX - 1n;
  return n;
}

export function parseGoFloat(lit: string): number | undefined {
  if (lit === 'NaN') return NaN;
  if (lit === '+Inf' || lit === 'Inf') return Infinity;
  if (lit === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(lit)) return undefined;
  const v = Number(lit);
  return Number.isFinite(v) ? v : undefined;
}

/** A string quoted as Go's %q quotes it (near enough for the digits it is used on). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** A string literal as InfluxQL writes it (`'it\\'s'`). */
export function quoteString(s: string): string {
  return `'${s.replace(/[\n\\']/g, (c) => (c === '\n' ? '\\n' : '\\' + c))}'`;
}

/** A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it: shortest, never an exponent. */
function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp >= 0) return m[1]! + digits.padEnd(exp + 1, '0').slice(0, Math.max(exp + 1, digits.length)) + (digits.length > exp + 1 ? '.' + digits.slice(exp + 1) : '');
  return `${m[1]!}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** A go-style duration string for a nanosecond count (InfluxDB's FormatDuration). */
function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const units: [bigint, string][] = [[WEEK, 'w'], [DAY, 'd'], [HOUR, 'h'], [MIN, 'm'], [SEC, 's'], [MS, 'ms'], [US, 'u']];
  for (const [size, name] of units) if (ns % size === 0n) return `${ns / size}${name}`;
  return `${ns}ns`;
}

/** A bound parameter's token, as InfluxDB's BindValue makes it (an error value stays a BOUNDPARAM whose text is the error). */
export function bindValue(v: BoundParameterValue): [Tok, string] {
  if (typeof v === 'number') return [Tok.NUMBER, formatFloat(v)];
  if (typeof v === 'bigint') {
    if (v > INT64_MAX || v < -INT64_MAX - 1n) return [Tok.BOUNDPARAM, 'unable to bind parameter with type uint64'];
    return [Tok.INTEGER, String(v)];
  }
  if (typeof v === 'string') return [Tok.STRING, v];
  if (typeof v === 'boolean') return [v ? Tok.TRUE : Tok.FALSE, ''];
  if (v === null || v === undefined || typeof v !== 'object') return [Tok.BOUNDPARAM, 'unable to bind parameter with type <nil>'];
  if (Array.isArray(v)) return [Tok.BOUNDPARAM, 'unable to bind parameter with type []interface {}'];
  const keys = Object.keys(v);
  if (keys.length !== 1) return [Tok.BOUNDPARAM, 'bound object parameter value must have exactly one entry'];
  const k = keys[0]!;
  const inner = v[k];
  switch (k) {
    case 'ident':
    case 'identifier':
      return typeof inner === 'string' ? [Tok.IDENT, inner] : [Tok.BOUNDPARAM, 'identifier must be a string value'];
    case 'regex':
      return typeof inner === 'string' ? [Tok.REGEX, inner] : [Tok.BOUNDPARAM, 'regex literal must be a string value'];
    case 'string':
      return typeof inner === 'string' ? [Tok.STRING, inner] : [Tok.BOUNDPARAM, 'string literal must be a string value'];
    case 'float':
    case 'number':
      if (typeof inner === 'number') return [Tok.NUMBER, formatFloat(inner)];
      if (typeof inner === 'bigint') return [Tok.NUMBER, formatFloat(Number(inner))];
      return [Tok.BOUNDPARAM, 'number literal must be a float value'];
    case 'int':
    case 'integer':
      if (typeof inner === 'bigint' && inner <= INT64_MAX && inner >= -INT64_MAX - 1n) return [Tok.INTEGER, String(inner)];
      if (typeof inner === 'number' && Number.isSafeInteger(inner)) return [Tok.INTEGER, String(inner)];
      return [Tok.BOUNDPARAM, 'integer literal must be an integer value'];
    case 'duration':
      if (typeof inner === 'string') return [Tok.DURATIONVAL, inner];
      if (typeof inner === 'bigint') return [Tok.DURATIONVAL, formatDuration(BigInt.asIntN(64, inner))];
      if (typeof inner === 'number' && Number.isSafeInteger(inner)) return [Tok.DURATIONVAL, formatDuration(BigInt(inner))];
      return [Tok.BOUNDPARAM, 'duration literal must be a string or integer value'];
    default:
      return [Tok.BOUNDPARAM, `unknown bind object type: ${k}`];
  }
}

let timeZones: Set<string> | undefined;
let timeZonesLower: Set<string> | undefined;

/** Whether `tz('…')` names a zone InfluxDB (Go's time.LoadLocation) finds: case-sensitive, `''`, `UTC` and `Local` included. */
export function isKnownTimeZone(name: string): boolean {
  if (name === '' || name === 'UTC' || name === 'Local') return true;
  if (name.includes('..') || name.startsWith('/')) return false;
  if (timeZones === undefined) {
    timeZones = new Set(Intl.supportedValuesOf('timeZone'));
    timeZonesLower = new Set([...timeZones].map((z) => z.toLowerCase()));
  }
  if (timeZones.has(name)) return true;
  // A zone Intl lists under another case is not the file Go would open (names are case-sensitive).
  if (timeZonesLower!.has(name.toLowerCase())) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return /^[A-Z]/.test(name);
  } catch {
    // Intl does not know the zone: InfluxDB would not find it either.
    return false;
  }
}
