/**
 * Generated and mutated line-protocol bodies for the fuzz suite (fuzz.test.ts): valid lines of
 * every field type, escape class and timestamp range, then byte-level damage — flips, inserted
 * separators and control bytes, truncation, duplication, huge numbers, reserved and empty names,
 * over-long lines. Everything is drawn from one Rng, so a seed replays the same bodies.
 */
import type { Rng } from '../../src/effects/rng.js';

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

/** Names a schema reuses (so types conflict and rows deduplicate), awkward ones among them. */
export const MEASUREMENTS = ['cpu', 'mem', 'disk', 'm', 'weather', 'time', 'Time', 'select', 'range', 'a b', 'a,b', 'a=b', 'naïve', '🙂', '日本語', 'x\\y', 'information_schema'];
export const TAG_KEYS = ['host', 'region', 'dc', 'k', 'a b', 'a,b', 'a=b', 'é', '_time', 'select', 'Time2'];
export const FIELD_KEYS = ['usage', 'idle', 'v', 'f', 'n', 'msg', 'ok', 'a b', 'a=b', 'ü', 'select', 'value', 'TIME'];
const TAG_VALUES = ['a', 'b', 'server01', 'us-west', 'x y', 'x,y', 'x=y', 'ü', '🙂', 'back\\slash', '"q"', '0', 'true'];

/** Byte strings worth dropping anywhere: separators, escapes, quotes, line ends, NUL, number tails. */
const SPECIAL_BYTES = [0x2c, 0x5c, 0x3d, 0x22, 0x20, 0x0a, 0x0d, 0x00, 0x09, 0x23, 0x2d, 0x2e, 0x65, 0x69, 0x75, 0x74, 0x66, 0x30, 0x39, 0xff, 0xc3, 0xf0];

/** Tokens that hit number parsing, reserved names and empty parts. */
const TOKENS = [
  '99999999999999999999i', '9223372036854775807i', '9223372036854775808i', '-9223372036854775808i', '-9223372036854775809i',
  '18446744073709551615u', '18446744073709551616u', '-1u', '1e308', '1e309', '-1e400', '2.5e-324', '4.9e-324', '0.' + '0'.repeat(400) + '1',
  '1'.repeat(400), 'NaN', 'inf', '-0', '+1', '.5', '1.', '1e', '1e+', '0x10', '1_000',
  ' 9223372036854775807', ' -9223372036854775808', ' 9223372036854775808', ' 9223372036', ' -9223372036', ' 1' + '0'.repeat(30), ' -',
  'time=1', ',time=x', ' time=1i', 'Time=1', ',=x', '=1', ',a=', ' a=', '""', '"\\"', '\\', '\\\\', '\\ ', '\\,', '\\=', '\\\n', '"\n"',
  ',', '=', ' ', '\n', '\r\n', '\r', '\0', '#', '# comment\n', '\n\n', 't', 'FALSE', 'True', 'tRUE',
];

/**
 * Timestamps of every precision and the int64 edges. Without `isWide`, mostly recent ones and a
 * few edges: a row far from the others opens a gen1 window of its own (a chunk, a Parquet file).
 */
function timestamp(rng: Rng, isWide: boolean): string {
  switch (isWide || rng.nextInt(10) === 0 ? rng.nextInt(12) : 3 + rng.nextInt(3)) {
    case 0:
      return String([I64_MAX, I64_MIN, I64_MAX - 1n, I64_MIN + 1n, I64_MIN + 2n, 0n, -1n, 1n][rng.nextInt(8)]!);
    case 1: // just inside and outside the range a table can hold (gen1 windows of 1, 5 and 10 minutes)
      return String([9223371599999999999n, 9223371600000000000n, -9223371600000000000n, -9223371600000000001n, 9223372019999999999n, -9223372020000000000n, 9223371000000000000n][rng.nextInt(7)]!);
    case 2: // seconds, milliseconds and microseconds at their own int64 edges after scaling
      return String([9223372036n, 9223372037n, -9223372036n, -9223372037n, 9223372036854n, 9223372036855n, 9223372036854775n, 9223372036854776n][rng.nextInt(8)]!);
    case 3:
      return String(1_700_000_000 + rng.nextInt(1000)); // seconds
    case 4:
      return String(1_700_000_000_000 + rng.nextInt(100_000)); // milliseconds
    case 5:
      return String(1_700_000_000_000_000n + BigInt(rng.nextInt(1_000_000))); // microseconds
    case 6:
      return String(BigInt.asIntN(64, (BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32())));
    case 7:
      return `-${rng.nextInt(10_000_000)}`;
    default:
      return String(1_700_000_000_000_000_000n + BigInt(rng.nextInt(1_000_000_000))); // nanoseconds
  }
}

function escapeMeasurement(s: string): string {
  return s.replace(/[\\, ]/g, (c) => `\\${c}`);
}

function escapeKey(s: string): string {
  return s.replace(/[\\,= ]/g, (c) => `\\${c}`);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.nextInt(items.length)]!;
}

/** A name from the pool, or now and then a random one (multi-byte, long, or near the 511-byte limit). */
function name(rng: Rng, pool: readonly string[]): string {
  const r = rng.nextInt(200);
  if (r === 0) return 'n'.repeat(505 + rng.nextInt(12)); // around the 511-byte limit
  if (r === 1) return pick(rng, ['é', '🙂']).repeat(126 + rng.nextInt(4)); // 504 to 516 bytes, multi-byte
  if (r < 8) return 'time'; // reserved as a tag or field key
  if (r < 14) return `${pick(rng, pool)}${rng.nextInt(1000)}`;
  if (r < 20) return pick(rng, ['😀', 'ß', 'Ω', 'z', '\u200b', '\u202e', 'A']).repeat(1 + rng.nextInt(4));
  return pick(rng, pool);
}

function stringValue(rng: Rng): string {
  const parts = ['', 'hello', 'with space', 'comma,', 'eq=', 'quote\\"d', 'back\\\\slash', 'lone\\x', 'new\nline', 'crlf\r\n', '🙂', 'ünï', '#', '\t'];
  let s = '';
  for (let i = rng.nextInt(4); i > 0; i--) s += pick(rng, parts);
  if (rng.nextInt(50) === 0) s += 'x'.repeat(rng.nextInt(3000));
  return `"${s}"`;
}

function fieldValue(rng: Rng, kind: number): string {
  switch (kind) {
    case 0: {
      const v = [I64_MAX, I64_MIN, 0n, -1n, BigInt(rng.nextInt(1000)), BigInt.asIntN(64, (BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32()))][rng.nextInt(6)]!;
      return `${v}i`;
    }
    case 1: {
      const v = [U64_MAX, 0n, BigInt(rng.nextInt(1000)), BigInt.asUintN(64, (BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32()))][rng.nextInt(4)]!;
      return `${v}u`;
    }
    case 2:
      return pick(rng, ['0', '-0', '1', '1.5', '-2.25', '1e10', '1E-5', '-3.4e+38', '1.7976931348623157e308', '5e-324', '2.2250738585072014e-308', '123456789012345678901234567890', '0.1', String(rng.nextU32()), `${rng.nextInt(100)}.${rng.nextInt(1000)}`]);
    case 3:
      return stringValue(rng);
    default:
      return pick(rng, ['t', 'T', 'true', 'True', 'TRUE', 'f', 'F', 'false', 'False', 'FALSE']);
  }
}

/**
 * A valid line (as InfluxDB's grammar reads it), though the catalog may still refuse it: a key
 * named `time`, a type that conflicts with an earlier line, a timestamp outside the storable range.
 */
export function validLine(rng: Rng, options: BodyOptions = {}): string {
  let line = escapeMeasurement(name(rng, options.measurements ?? MEASUREMENTS));
  const used = new Set<string>();
  for (let i = rng.nextInt(4); i > 0; i--) {
    const k = name(rng, TAG_KEYS);
    if (used.has(k)) continue;
    used.add(k);
    line += `,${escapeKey(k)}=${escapeKey(name(rng, TAG_VALUES))}`;
  }
  line += ' '.repeat(1 + (rng.nextInt(8) === 0 ? rng.nextInt(3) : 0));
  const fields: string[] = [];
  const usedFields = new Set<string>();
  for (let i = 1 + rng.nextInt(4); i > 0; i--) {
    const k = name(rng, FIELD_KEYS);
    if (usedFields.has(k)) continue;
    usedFields.add(k);
    // a key's kind mostly follows the key, so most lines agree with the schema they meet
    const kind = rng.nextInt(12) === 0 ? rng.nextInt(5) : (k.length + k.charCodeAt(0)) % 5;
    fields.push(`${escapeKey(k)}=${fieldValue(rng, kind)}`);
  }
  line += fields.join(',');
  if (rng.nextInt(4) !== 0) line += ` ${timestamp(rng, options.isWide ?? true)}`;
  if (rng.nextInt(10) === 0) line += '  ';
  return line;
}

/** How bodies are drawn. */
export interface BodyOptions {
  /** Lines per body, at most (default 6). */
  maxLines?: number;
  /** Timestamps anywhere in int64, not mostly recent ones (default true; see {@link timestamp}). */
  isWide?: boolean;
  /** The measurement names to draw from (default {@link MEASUREMENTS}). */
  measurements?: readonly string[];
}

/** Lines joined by newlines, CRLFs, blank lines and comments. */
export function validBody(rng: Rng, options: BodyOptions = {}): string {
  const maxLines = options.maxLines ?? 6;
  let body = '';
  for (let n = 1 + rng.nextInt(maxLines); n > 0; n--) {
    const r = rng.nextInt(20);
    if (r === 0) body += '# a comment, with = and "quotes"\n';
    else if (r === 1) body += '\n';
    else if (r === 2) body += '   \t\n';
    body += validLine(rng, options);
    body += rng.nextInt(10) === 0 ? '\r\n' : '\n';
  }
  if (rng.nextInt(3) === 0) body = body.slice(0, -1); // no final newline
  return body;
}

/**
 * Damages `src` into `out` (which must hold at least `src.length + 4096` bytes) with one to
 * four mutations; returns the length written.
 */
export function mutate(rng: Rng, src: Buffer, out: Buffer, donor: Buffer): number {
  let len = src.copy(out, 0, 0, Math.min(src.length, out.length - 4096));
  const room = (): number => out.length - len;
  const insert = (at: number, bytes: Buffer | number[], count = bytes.length): void => {
    count = Math.min(count, room());
    out.copy(out, at + count, at, len);
    for (let i = 0; i < count; i++) out[at + i] = bytes[i]!;
    len += count;
  };
  for (let m = 1 + rng.nextInt(rng.nextInt(4) === 0 ? 4 : 2); m > 0; m--) {
    const at = rng.nextInt(len + 1);
    switch (rng.nextInt(11)) {
      case 0: // a random byte
        if (at < len) out[at] = rng.nextInt(256);
        break;
      case 1: // one flipped bit (an ASCII letter changes case, a digit becomes punctuation)
        if (at < len) out[at] = out[at]! ^ (1 << rng.nextInt(8));
        break;
      case 2:
      case 3: // a separator, escape, quote, line end or NUL
        insert(at, [pick(rng, SPECIAL_BYTES)]);
        break;
      case 4: // a byte replaced by one of those
        if (at < len) out[at] = pick(rng, SPECIAL_BYTES);
        break;
      case 5: // delete a run
        if (at < len) {
          const n = Math.min(1 + rng.nextInt(8), len - at);
          out.copy(out, at, at + n, len);
          len -= n;
        }
        break;
      case 6: // truncate
        len = at;
        break;
      case 7: {
        // duplicate a run of the body somewhere
        const from = rng.nextInt(len + 1);
        const n = Math.min(rng.nextInt(64), len - from);
        insert(at, Buffer.from(out.subarray(from, from + n)));
        break;
      }
      case 8: // a token: huge or malformed numbers, `time`, empty names, escapes
        insert(at, Buffer.from(pick(rng, TOKENS)));
        break;
      case 9: {
        // a splice of another body
        const from = rng.nextInt(donor.length + 1);
        insert(at, donor.subarray(from, from + rng.nextInt(80)));
        break;
      }
      default: {
        // a long run of one byte: an over-long name, string or line
        const n = rng.nextInt(8) === 0 ? 1024 + rng.nextInt(3000) : rng.nextInt(300);
        const count = Math.min(n, room());
        out.copy(out, at + count, at, len);
        out.fill(pick(rng, [0x61, 0x5c, 0x22, 0x20, 0x2c, 0x3d, 0x30, 0xe2]), at, at + count);
        len += count;
      }
    }
  }
  return len;
}

/** Bytes with no structure at all, drawn from the special bytes and everything else. */
export function randomBytes(rng: Rng, out: Buffer): number {
  const len = rng.nextInt(Math.min(out.length, 200));
  for (let i = 0; i < len; i++) out[i] = rng.nextInt(2) === 0 ? pick(rng, SPECIAL_BYTES) : rng.nextInt(3) === 0 ? rng.nextInt(256) : 0x61 + rng.nextInt(26);
  return len;
}
