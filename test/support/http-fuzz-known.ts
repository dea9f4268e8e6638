/**
 * Known points for the HTTP fuzzer: well-formed writes of points whose every value is remembered,
 * through every write API, auth form and body encoding, sent before and during the fuzzing; the
 * ones acknowledged with 204 must all read back, value by value, through `/api/v3/query_sql`
 * afterwards. Each point is its own series (a unique tag `k`), so nothing the fuzzer does can
 * legitimately change it — the fuzzer never writes to this database.
 */
import { gzipSync } from 'node:zlib';
import type { Rng } from '../../src/effects/rng.js';
import type { FuzzRequest } from './http-fuzz-requests.js';

/** One point as written. */
interface KnownPoint {
  key: string;
  api: 'v1' | 'v2' | 'v3';
  i: bigint;
  u: bigint;
  f: number;
  s: string;
  b: boolean;
  timeNs: bigint;
}

/** The table every known point goes to. */
export const KNOWN_TABLE = 'known';
/** Known points are written from 2026-01-01T02:00:00Z on, one millisecond apart. */
const KNOWN_BASE_NS = 1_767_232_800_000_000_000n;
const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;
const STRING_CHARS = [...'abcdefghijklmnopqrstuvwxyzABC0123456789', ' ', ' ', ',', '=', '"', '\\', "'", '\n', '\t', '#', '{', '}', 'é', 'ß', 'Ω', '中', '😀', '\u2028', '\u00a0'];

/** A uniformly random 64-bit pattern. */
function u64(rng: Rng): bigint {
  return (BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32());
}

function randomFloat(rng: Rng): number {
  switch (rng.nextInt(6)) {
    case 0:
      return rng.nextInt(2001) - 1000;
    case 1:
      return (rng.nextFloat() - 0.5) * 1e6;
    case 2: {
      // Any finite double but -0 (the JSON answer cannot tell -0 from 0).
      const bits = new DataView(new ArrayBuffer(8));
      for (;;) {
        bits.setUint32(0, rng.nextU32());
        bits.setUint32(4, rng.nextU32());
        const f = bits.getFloat64(0);
        if (Number.isFinite(f) && !Object.is(f, -0)) return f;
      }
    }
    case 3:
      return [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2.2250738585072014e-308, 0.1, 1 / 3, 9007199254740993, 1e21][rng.nextInt(8)]!;
    default:
      return rng.nextFloat();
  }
}

function randomString(rng: Rng): string {
  const n = rng.nextInt(50) === 0 ? 500 + rng.nextInt(4000) : rng.nextInt(40);
  let s = '';
  for (let i = 0; i < n; i++) s += STRING_CHARS[rng.nextInt(STRING_CHARS.length)]!;
  return s;
}

/** A string field value in line protocol: `\` and `"` escaped, everything else as is. */
function lpString(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

const BOOL_FORMS: Record<'true' | 'false', string[]> = { true: ['t', 'T', 'true', 'True', 'TRUE'], false: ['f', 'F', 'false', 'False', 'FALSE'] };

/** Outcomes of the known writes, counted. */
export interface KnownStats {
  attempted: number;
  acked: number;
  /** 503 with Retry-After, or the connection closed: may or may not be stored. */
  indeterminate: number;
}

export class KnownPoints {
  private readonly points = new Map<string, KnownPoint>();
  private readonly acked = new Set<string>();
  private nextSeq = 0;
  readonly stats: KnownStats = { attempted: 0, acked: 0, indeterminate: 0 };

  constructor(
    private readonly rng: Rng,
    readonly db: string,
    private readonly token: string,
    private readonly hostPort: () => string,
  ) {}

  /** A write of 1–10 new points through a random API, auth form and encoding. */
  nextWrite(): { request: FuzzRequest; keys: string[] } {
    const rng = this.rng;
    const api = (['v1', 'v2', 'v3'] as const)[rng.nextInt(3)]!;
    const unit = (['ms', 'us', 'ns'] as const)[rng.nextInt(3)]!;
    const perUnit = unit === 'ms' ? 1_000_000n : unit === 'us' ? 1_000n : 1n;
    const count = 1 + rng.nextInt(10);
    const keys: string[] = [];
    const lines: string[] = [];
    for (let n = 0; n < count; n++) {
      const seq = this.nextSeq++;
      const key = `p${seq}`;
      const roll = rng.nextInt(20);
      const point: KnownPoint = {
        key,
        api,
        i: roll === 0 ? I64_MIN : roll === 1 ? -I64_MIN - 1n : BigInt.asIntN(64, u64(rng)) >> BigInt(rng.nextInt(64)),
        u: roll === 2 ? U64_MAX : u64(rng) >> BigInt(rng.nextInt(64)),
        f: randomFloat(rng),
        s: randomString(rng),
        b: rng.nextInt(2) === 0,
        timeNs: KNOWN_BASE_NS + BigInt(seq) * 1_000_000n,
      };
      this.points.set(key, point);
      keys.push(key);
      const fields = [`i=${point.i}i`, `u=${point.u}u`, `f=${String(point.f)}`, `s=${lpString(point.s)}`, `b=${BOOL_FORMS[point.b ? 'true' : 'false'][rng.nextInt(5)]!}`];
      for (let j = fields.length - 1; j > 0; j--) {
        const k = rng.nextInt(j + 1);
        [fields[j], fields[k]] = [fields[k]!, fields[j]!];
      }
      lines.push(`${KNOWN_TABLE},k=${key},src=${api} ${fields.join(',')} ${point.timeNs / perUnit}`);
    }
    this.stats.attempted += count;
    const eol = rng.nextInt(4) === 0 ? '\r\n' : '\n';
    let body = Buffer.from(lines.join(eol) + (rng.nextInt(2) === 0 ? eol : ''), 'utf8');

    const params = new URLSearchParams();
    const headers = [`Host: ${this.hostPort()}`];
    const authForm = rng.nextInt(api === 'v1' ? 5 : 4);
    if (authForm === 0) headers.push(`Authorization: Bearer ${this.token}`);
    else if (authForm === 1) headers.push(`Authorization: Token ${this.token}`);
    else if (authForm === 2) headers.push(`Authorization: Basic ${Buffer.from(`known:${this.token}`).toString('base64')}`);
    else if (authForm === 3) headers.push(`authorization: bearer ${this.token}`);
    let path: string;
    if (api === 'v3') {
      path = '/api/v3/write_lp';
      params.set('db', this.db);
      params.set('precision', rng.nextInt(4) === 0 ? 'auto' : unit);
      if (rng.nextInt(2) === 0) params.set('accept_partial', rng.nextInt(2) === 0 ? 'true' : 'false');
    } else if (api === 'v2') {
      path = '/api/v2/write';
      params.set('bucket', this.db);
      params.set('org', 'fuzz');
      params.set('precision', unit);
    } else {
      path = '/write';
      params.set('db', this.db);
      params.set('precision', unit === 'ms' ? 'ms' : unit === 'us' ? 'u' : 'n');
      if (authForm === 4) {
        params.set('u', 'known');
        params.set('p', this.token);
      }
    }
    if (rng.nextInt(3) === 0) {
      headers.push('Content-Encoding: gzip');
      body = gzipSync(body);
    }
    let framed: Buffer;
    if (rng.nextInt(3) === 0) {
      headers.push('Transfer-Encoding: chunked');
      const parts: Buffer[] = [];
      for (let at = 0; at < body.length; ) {
        const n = Math.min(body.length - at, 1 + rng.nextInt(512));
        parts.push(Buffer.from(`${n.toString(16)}\r\n`), body.subarray(at, at + n), Buffer.from('\r\n'));
        at += n;
      }
      parts.push(Buffer.from('0\r\n\r\n'));
      framed = Buffer.concat(parts);
    } else {
      headers.push(`Content-Length: ${body.length}`);
      framed = body;
    }
    const head = `POST ${path}?${params.toString()} HTTP/1.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
    const bytes = Buffer.concat([Buffer.from(head, 'latin1'), framed]);
    return { request: { bytes, framing: 'exact', mayClose: false, isHead: false, kind: 'known-write', label: `known write ${api} ${keys.length} points` }, keys };
  }

  /** The write of `keys` was answered 204: every point must read back. */
  ack(keys: string[]): void {
    for (const k of keys) this.acked.add(k);
    this.stats.acked += keys.length;
  }

  /** The write of `keys` has an unknown outcome (503, or no answer). */
  indeterminate(keys: string[]): void {
    this.stats.indeterminate += keys.length;
  }

  get ackedCount(): number {
    return this.acked.size;
  }

  /** The path and query that read every known point back, exactly (integers as text, time in nanoseconds). */
  readBackPath(): string {
    const sql = `SELECT k, src, CAST(i AS VARCHAR) AS i, CAST(u AS VARCHAR) AS u, f, s, b, CAST(epoch_ns(time) AS VARCHAR) AS t FROM ${KNOWN_TABLE}`;
    return `/api/v3/query_sql?${new URLSearchParams({ db: this.db, q: sql, format: 'jsonl' }).toString()}`;
  }

  /**
   * Checks the read-back answer (JSON lines): every acknowledged point present once with every
   * value as written; every row one that was written. Returns the number of rows checked; throws
   * with the first differences.
   */
  check(jsonl: string): number {
    const problems: string[] = [];
    const seen = new Set<string>();
    let rows = 0;
    for (const line of jsonl.split('\n')) {
      if (line === '') continue;
      rows++;
      const row = JSON.parse(line) as { k: string; src: string; i: string; u: string; f: number; s: string; b: boolean; t: string };
      const point = this.points.get(row.k);
      if (point === undefined) {
        problems.push(`a row nobody wrote: ${line.slice(0, 300)}`);
        continue;
      }
      if (seen.has(row.k)) problems.push(`point ${row.k} read back twice`);
      seen.add(row.k);
      const expected = { k: point.key, src: point.api, i: String(point.i), u: String(point.u), f: point.f, s: point.s, b: point.b, t: String(point.timeNs) };
      for (const [name, value] of Object.entries(expected)) {
        const got = (row as unknown as Record<string, unknown>)[name];
        if (got !== value) problems.push(`point ${row.k} (${point.api}): ${name} is ${JSON.stringify(got)}, written ${JSON.stringify(value)}`);
      }
    }
    for (const k of this.acked) if (!seen.has(k)) problems.push(`acknowledged point ${k} (${this.points.get(k)!.api}) is missing`);
    if (problems.length > 0) throw new Error(`known points: ${problems.length} problems, first: ${problems.slice(0, 10).join('; ')}`);
    return rows;
  }
}
