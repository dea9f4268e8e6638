/**
 * Bodies for the HTTP fuzzer's requests: line protocol (valid, odd and broken lines), SQL and
 * query_sql JSON, database names, and the body's encodings — gzip valid, truncated, garbage,
 * doubled, a bomb — and framings: Content-Length right, wrong, doubled, negative; chunked right
 * and with bad chunk sizes.
 */
import { gzipSync } from 'node:zlib';
import { Pick, TEXT_CHARS } from './http-fuzz-pick.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

// ---- line protocol ------------------------------------------------------------------------------

const MEASUREMENTS = ['cpu', 'cpu', 'mem', 'disk', 'net', 'm', 'Cpu', 'CPU', 'weather', 'h2o', 'a\\ b', 'a\\,b', 'a=b', 'émoji😀', 'time', '_internal', 'x'.repeat(64), '__proto__', 'constructor', 'select', 'table', '"quoted"', "it's", 'a.b', 'a/b', '..', '-', '1', 'a\\', '#notcomment'];
const TAG_KEYS = ['host', 'host', 'region', 'Host', 'HOST', 'dc', 'k', 'time', 'a\\ b', 'a\\=b', 'a\\,b', '__proto__', 'v', 'tag', 'é'];
const TAG_VALUES = ['a', 'b', 'c', 'server01', 'us-west', 'x\\ y', 'x\\,y', 'x\\=y', 'é', '😀', 'null', '0', 'true', '', '\\', 'a\\', 'x=y', 'a b'];
const FIELD_KEYS = ['v', 'v', 'value', 'f', 'i', 's', 'b', 'u', 'x', 'time', 'host', 'Value', 'V', 'a\\ b', '__proto__', 'temp', 'k'];
const FLOATS = ['1', '1.5', '-0.25', '1e10', '1E-3', '1.7976931348623157e308', '2.2250738585072014e-308', '5e-324', '0.1', '123456789.123456789', '1e309', 'NaN', 'inf', '-inf', '.5', '1.', '+1', '-', '1e', '0x10', '1_0'];
const INTS = ['1i', '0i', '-1i', '42i', '-9223372036854775808i', '9223372036854775807i', '9223372036854775808i', '-9223372036854775809i', '007i', '1.5i', 'i', '-i', '1I'];
const UINTS = ['0u', '1u', '18446744073709551615u', '18446744073709551616u', '-1u', '1.5u', 'u'];
const STRINGS = ['"x"', '""', '"a\\"b"', '"a\\\\"', '"multi\nline"', '"unterminated', '"😀"', `"${'s'.repeat(200)}"`, '"a,b=c d"', '"\\n"', '"tab\there"', '"\u0000"'];
const BOOLS = ['t', 'f', 'true', 'false', 'T', 'F', 'TRUE', 'FALSE', 'True', 'False', 'tRUE', 'yes', '1b'];
const FIELD_KIND_OF: Record<string, 'float' | 'int' | 'uint' | 'string' | 'bool'> = { v: 'float', value: 'float', f: 'float', temp: 'float', i: 'int', u: 'uint', s: 'string', b: 'bool' };
/** Far timestamps: a fixed few, so that they land in a few chunks of time. */
const ODD_TIMESTAMPS = ['0', '-1', '1', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '99999999999999999999', '-99999999999999999999', '1.5', '1e9', 'abc', '-0', '+5', '0x10', '1677721600000000000'];
const NS_PER: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
/** Ordinary timestamps fall in one hour from here (2026-01-01T00:00:00Z): deterministic, so a seed replays the same bytes. */
const BASE_TIME_NS = 1_767_225_600_000_000_000n;

function fieldValue(p: Pick, key: string): string {
  // Mostly the key's own type (so most lines are valid), now and then another (a type conflict).
  const kind = p.chance(0.95) ? (Object.hasOwn(FIELD_KIND_OF, key) ? FIELD_KIND_OF[key]! : 'float') : p.one(['float', 'int', 'uint', 'string', 'bool'] as const);
  const valid = p.chance(0.95);
  switch (kind) {
    case 'float':
      return valid ? String(p.chance(0.5) ? p.int(1000) : (p.rng.nextFloat() - 0.5) * 10 ** (p.int(20) - 10)) : p.one(FLOATS);
    case 'int':
      return valid ? `${p.int(2_000_001) - 1_000_000}i` : p.one(INTS);
    case 'uint':
      return valid ? `${p.int(1_000_000)}u` : p.one(UINTS);
    case 'string':
      return valid ? `"${p.text(12).replace(/[\\"]/g, '\\$&')}"` : p.one(STRINGS);
    case 'bool':
      return p.one(BOOLS);
  }
}

/** A unit of time as the route names it (`s`, `ms`, …) for the timestamps of a body. */
function timestamp(p: Pick, unit: string): string {
  const roll = p.int(100);
  if (roll < 15) return '';
  if (roll < 22) return p.one(ODD_TIMESTAMPS);
  const offsetNs = BigInt(p.int(3_600_000)) * 1_000_000n + BigInt(p.int(1_000_000));
  const per = NS_PER[unit] ?? 1n;
  return String((BASE_TIME_NS + offsetNs) / per);
}

function lpLine(p: Pick, unit: string): string {
  if (p.chance(0.03)) return p.one(['', '# a comment', '   ', '#', 'cpu', 'cpu v', 'cpu v=', 'cpu,=a v=1', 'cpu, v=1', 'cpu v=1 1 2', ' cpu v=1', 'cpu  v=1', 'cpu\tv=1', '\\', ',', '=', '"', 'cpu v=1,', 'cpu v=1,,w=2']);
  const measurement = p.chance(0.9) ? p.one(MEASUREMENTS.slice(0, 8)) : p.one(MEASUREMENTS);
  let line = measurement;
  // Most lines are valid (distinct keys, plain values), so that writes also succeed and the data grows;
  // the rest repeat keys, use odd names and values.
  const plain = p.chance(0.9);
  const tagKeys = plain ? distinct(p, ['host', 'region', 'dc'], p.int(4)) : Array.from({ length: p.int(4) }, () => p.one(TAG_KEYS));
  for (const key of tagKeys) line += `,${key}=${plain ? p.one(TAG_VALUES.slice(0, 13)) : p.one(TAG_VALUES)}`;
  const fieldCount = 1 + p.int(p.chance(0.1) ? 12 : 3);
  const fieldKeys = plain ? distinct(p, FIELD_KEYS.slice(1, 9), fieldCount) : Array.from({ length: fieldCount }, () => p.one(FIELD_KEYS));
  const parts: string[] = [];
  for (const key of fieldKeys) parts.push(`${key}=${fieldValue(p, key)}`);
  line += ` ${parts.join(',')}`;
  const ts = timestamp(p, unit);
  if (ts !== '') line += ` ${ts}`;
  return line;
}

/** Up to `n` different items of `items`. */
function distinct(p: Pick, items: readonly string[], n: number): string[] {
  const pool = items.slice();
  const out: string[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(p.int(pool.length), 1)[0]!);
  return out;
}

/** A line-protocol body of `unit` timestamps. */
export function lpBody(p: Pick, unit: string): Buffer {
  const roll = p.int(1000);
  if (roll < 20) return Buffer.alloc(0);
  if (roll < 30) return p.bytes(1 + p.int(300)); // not line protocol, maybe not UTF-8
  if (roll < 35) return Buffer.from([0xff, 0xfe, 0x63, 0x70, 0x75, 0x20, 0x76, 0x3d, 0x31]); // invalid UTF-8 before a line
  const lines = roll < 37 ? 1000 + p.int(2000) : roll < 70 ? 20 + p.int(200) : 1 + p.int(5);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(lpLine(p, unit));
  const eol = p.chance(0.9) ? '\n' : p.one(['\r\n', '\n\n', '\r', '\n#c\n']);
  return enc(out.join(eol) + (p.chance(0.5) ? '\n' : ''));
}

// ---- names and queries --------------------------------------------------------------------------

const FUZZ_DBS = ['fuzz', 'fuzz', 'fuzz', 'fuzz_b', 'Fuzz', 'fuzz-c'];
const ODD_NAMES = ['', ' ', '..', '.', '../x', 'a/b', 'a%2Fb', '_internal', 'x'.repeat(600), 'é', '😀', '\u0000', '__proto__', 'constructor', 'hasOwnProperty', 'db with space', '"', "'", ';DROP', 'a\nb', 'system', 'information_schema', 'main', 'temp', 'memory', '*', '%', 'NULL'];

/** A database name: mostly the fuzzer's own, sometimes an odd one; never `protectedDb`. */
export function dbName(p: Pick, protectedDb: string): string {
  if (p.chance(0.9)) return p.one(FUZZ_DBS);
  const name = p.chance(0.7) ? p.one(ODD_NAMES) : p.text(20);
  return name === protectedDb ? 'fuzz' : name;
}

/** Values for query_sql's `format`. */
export const FORMATS = ['json', 'jsonl', 'csv', 'pretty', 'parquet', 'json_lines', 'JSON', 'Csv', '', 'xml', 'arrow', '__proto__', 'toString', 'json ', 'pretty\u0000'];

// Row counts are bounded (the tables grow through the run): each request costs about the same at
// the end as at the start, and 3 000 rows still stream in more than one piece.
const SQL = [
  'SELECT 1',
  'SELECT * FROM cpu LIMIT 3',
  'SELECT count(*) FROM cpu',
  'SELECT * FROM known LIMIT 2',
  'SELECT count(*) FROM known',
  'SHOW TABLES',
  'SELECT * FROM information_schema.tables',
  'SELECT * FROM information_schema.columns LIMIT 20',
  'SHOW COLUMNS FROM cpu',
  'SHOW COLUMNS IN "Cpu"',
  'SHOW DATABASES',
  'SHOW ALL',
  'SHOW COLUMNS FROM "',
  'SELECT * FROM system.tables',
  'SELECT * FROM system.parquet_files LIMIT 20',
  'SELECT * FROM system.queries ORDER BY issue_time DESC LIMIT 5',
  'SELECT count(*) FROM system.catalog',
  'SELECT * FROM system.snapshots',
  'SELECT * FROM system.databases',
  'SELECT * FROM system.nope',
  'SELECT * FROM public.iox.cpu LIMIT 3',
  "SELECT * FROM cpu WHERE time > now() - INTERVAL '1 hour' LIMIT 3",
  "SELECT date_bin(INTERVAL '1 minute', time) AS t, count(*) FROM cpu GROUP BY 1 ORDER BY 1 LIMIT 50",
  "SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS t, locf(avg(v)) FROM cpu WHERE time >= '2026-01-01T00:00:00Z' AND time < '2026-01-02T00:00:00Z' GROUP BY 1",
  'SELECT selector_max(v, time) FROM cpu',
  "SELECT * FROM cpu WHERE time >= '2026-01-01T00:00:00Z' LIMIT 3",
  "SELECT * FROM cpu WHERE time >= 'not a time'",
  'SELECT host, avg(v) FROM cpu GROUP BY host',
  'SELECT time, v FROM cpu ORDER BY time DESC LIMIT 1',
  'SELECT * FROM mem WHERE host = $1 LIMIT 3000',
  'SELECT $1',
  'SELECT $1::BIGINT + 1',
  'SELECT ?',
  'SELECT $x',
  'SELECT * FROM cpu WHERE host = $host LIMIT 3000',
  'SELECT',
  'SELEC 1',
  ' ',
  'SELECT * FROM nope',
  'SELECT * FROM "Cpu" LIMIT 3000',
  'SELECT * FROM "cpu" LIMIT 3000',
  'SELECT * FROM fuzz.cpu LIMIT 3000',
  'INSERT INTO cpu VALUES (1)',
  'CREATE TABLE x (a INT)',
  'DROP TABLE cpu',
  'DELETE FROM cpu',
  "ATTACH ':memory:' AS m",
  'DETACH main',
  'PRAGMA version',
  'SET threads = 1',
  'SELECT 1; SELECT 2',
  'SELECT 1; DROP TABLE cpu',
  "SELECT 'infinity'::TIMESTAMP",
  "SELECT '-infinity'::TIMESTAMP",
  "SELECT 'infinity'::DATE",
  "SELECT 'a'::INT",
  'SELECT 1/0',
  'SELECT 1 // 0',
  'SELECT 9223372036854775807 + 1',
  "SELECT repeat('x', 100)",
  'SELECT * FROM range(5)',
  'SELECT [1, 2, 3]',
  "SELECT {'a': 1}",
  "SELECT MAP {'a': 1}",
  'SELECT NULL',
  "SELECT 'é😀'",
  "SELECT 'NaN'::DOUBLE, 'inf'::DOUBLE, -0.0",
  'SELECT 18446744073709551615::UBIGINT',
  'SELECT 170141183460469231731687303715884105727::HUGEINT',
  'SELECT 1.5::DECIMAL(38, 10)',
  'SELECT INTERVAL 1 DAY',
  "SELECT DATE '2020-01-01', TIME '12:00', TIMESTAMPTZ '2020-01-01 00:00:00+02'",
  "SELECT '\\x00\\xff'::BLOB",
  "SELECT 'abc'::BLOB",
  'SELECT uuid()',
  "SELECT '{\"a\":1}'::JSON",
  'SELECT now()',
  'SELECT * FROM duckdb_tables()',
  'SELECT * FROM duckdb_settings() LIMIT 1',
  'CALL pragma_version()',
  'EXPLAIN SELECT 1',
  'SELECT 1 UNION SELECT 2',
  'WITH a AS (SELECT 1 AS x) SELECT * FROM a',
  'SELECT 1e308 * 10',
  "SELECT 'x' AS \"\", 2 AS \"\"",
  'SELECT 1 AS a, 2 AS a',
  "SELECT E'\\n'",
  'SELECT "time" FROM cpu LIMIT 1',
  "SELECT * FROM read_csv('/etc/hostname')",
  "SELECT * FROM glob('/*')",
  "COPY (SELECT 1) TO '/dev/null'",
  'SELECT',
  '-- comment only',
  '/* unterminated',
  'SELECT 1 --',
  "SELECT ''''",
  "SELECT '",
  'SELECT \u0000',
  'SELECT 1 WHERE 1 = ANY(SELECT 1)',
  'SELECT list_value(1)[5]',
  "SELECT strptime('x', '%Y')",
  "SELECT to_timestamp(1e20)",
  "SELECT make_timestamp(9999999999999999)",
  'SELECT 0::TIMESTAMP',
];

/** Values for query_sql's `params`: JSON arrays and objects, odd ones, and text that is not JSON. */
export const PARAMS_JSON = ['[]', '{}', '[1]', '["x"]', '[1, "x", null, true, 1.5]', '{"1": 2}', '{"x": 1, "host": "a"}', '[9007199254740993]', '[1e400]', '[-0]', '[[1]]', '[{"a": 1}]', '{"__proto__": 1}', '{"constructor": {"x": 1}}', 'null', '1', '"x"', 'true', '[', '{"a":', 'nul', '', '[1,]', `[${'1,'.repeat(500)}1]`];

/** SQL text: from the list, cut off, with a character changed, or a nested expression. */
export function sql(p: Pick): string {
  const base = p.one(SQL);
  const roll = p.int(100);
  if (roll < 85) return base;
  if (roll < 92) return base.slice(0, p.int(base.length + 1)); // cut off
  if (roll < 97) {
    const chars = [...base];
    chars[p.int(chars.length)] = p.one(TEXT_CHARS);
    return chars.join('');
  }
  // Deeply nested expressions: DuckDB's planning time grows with the cube of the depth (800 terms
  // take 20 s; from 1000 on it refuses), and a query timeout has to stop that too. Rare: each
  // one ties up a query slot.
  if (p.chance(0.0002)) return `SELECT ${'1+'.repeat(500 + p.int(600))}1`;
  return `SELECT ${'1+'.repeat(1 + p.int(60))}1`;
}

/** Names for databases and tables the configure routes create and delete (never the protected database). */
const CONFIGURE_DBS = ['cfg', 'cfg', 'cfg_b', 'Cfg', 'fuzz_b', 'fuzz-c', '', '-x', 'a'.repeat(600), '__proto__', 'é', 'cfg/x'];
const CONFIGURE_TABLES = ['t', 't', 'cpu', 'Cpu', '', 'time', '__proto__', '😀', 'a'.repeat(600), 'a\u0000b'];
const FIELD_TYPES = ['utf8', 'int64', 'uint64', 'float64', 'bool', 'string', 'Float64', '', 'dictionary'];
const RETENTION = ['30d', '1h', '1d', '0d', '-1h', '10x', '', '1y', '99999999999999999d', '1h30m'];

/** A configure route request: method, target and JSON body (or not quite JSON) for databases and tables. */
export function configureRequest(p: Pick, protectedDb: string): { method: string; target: string; body?: Buffer } {
  const db = (): string => {
    const name = p.chance(0.85) ? p.one(CONFIGURE_DBS) : p.text(12);
    return name === protectedDb ? 'cfg' : name;
  };
  const json = (o: unknown): Buffer => Buffer.from(p.chance(0.9) ? JSON.stringify(o) : JSON.stringify(o).slice(0, p.int(40)));
  const q = (params: Array<[string, string]>) => `?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
  switch (p.int(7)) {
    case 0:
      return { method: 'GET', target: `/api/v3/configure/database${p.chance(0.5) ? q([['format', p.one(FORMATS)]]) : ''}` };
    case 1:
      return { method: 'POST', target: '/api/v3/configure/database', body: json(p.chance(0.8) ? { db: db(), ...(p.chance(0.4) ? { retention_period: p.one(RETENTION) } : {}) } : p.one([{}, { db: 1 }, [], null, { db: ['x'] }, { retention_period: '1d' }])) };
    case 2:
      return { method: 'DELETE', target: `/api/v3/configure/database${p.chance(0.9) ? q([['db', db()]]) : ''}` };
    case 3:
      return { method: 'PUT', target: '/api/v3/configure/database', body: json({ db: db(), ...(p.chance(0.7) ? { retention_period: p.one([...RETENTION, null, 5]) } : {}) }) };
    case 4: {
      const fields = Array.from({ length: p.int(4) }, () => (p.chance(0.9) ? { name: p.one(CONFIGURE_TABLES), type: p.one(FIELD_TYPES) } : p.one([1, 'x', null, { name: 1 }])));
      const tags = Array.from({ length: p.int(4) }, () => (p.chance(0.9) ? p.one(CONFIGURE_TABLES) : 1));
      return { method: 'POST', target: '/api/v3/configure/table', body: json({ db: db(), table: p.one(CONFIGURE_TABLES), tags, fields }) };
    }
    case 5:
      return { method: 'DELETE', target: `/api/v3/configure/table${q([['db', db()], ['table', p.one(CONFIGURE_TABLES)]])}` };
    default:
      return { method: p.one(['PATCH', 'GET', 'PUT']), target: p.one(['/api/v3/configure/table', '/api/v3/configure/database/x', '/api/v3/configure']) };
  }
}

/** A query_sql POST body: JSON of db, q, format and params — or not quite. */
export function queryJson(p: Pick, protectedDb: string): Buffer {
  const roll = p.int(100);
  if (roll < 75) {
    const o: Record<string, unknown> = {};
    if (p.chance(0.95)) o.db = p.chance(0.8) ? dbName(p, protectedDb) : p.one([1, null, true, ['fuzz'], { a: 1 }, protectedDb]);
    if (p.chance(0.95)) o.q = p.chance(0.9) ? sql(p) : p.one([1, null, false, ['SELECT 1'], { q: 'SELECT 1' }]);
    if (p.chance(0.4)) o.format = p.chance(0.9) ? p.one(FORMATS) : p.one([1, null, ['json'], {}]);
    if (p.chance(0.3)) o.params = JSON.parse(p.one(PARAMS_JSON.filter((j) => isJson(j)))) as unknown;
    return enc(JSON.stringify(o));
  }
  return enc(p.one(['', '{}', '[]', 'null', '1', '"x"', 'true', '{', '{"db":"fuzz","q":"SELECT 1"', '{"db":"fuzz","q":"SELECT 1"}garbage', '{"__proto__":{"q":"SELECT 1"},"db":"fuzz"}', '{"constructor":{"prototype":{"q":1}}}', '{"db":"fuzz","q":"SELECT 1","db":"x"}', '\ufeff{"db":"fuzz","q":"SELECT 1"}', `{"db":"fuzz","q":"${'x'.repeat(5000)}"}`, '{"db":"fuzz","q":"SELECT 1","params":{"a":{"b":1}}}', '{"db":"fuzz","q":"SELECT $1","params":[1e400]}', '[{"db":"fuzz"}]', '\u0000']));
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false; // a deliberately broken params text: not usable inside a JSON body
  }
}

// ---- bodies and their framing -------------------------------------------------------------------

let gzipBombCache: Buffer | undefined;
/** 11 MiB of 'a' as gzip (about 11 KiB): inflates past the default 10 MiB request limit. */
function gzipBomb(): Buffer {
  gzipBombCache ??= gzipSync(Buffer.alloc(11 * 1024 * 1024, 'a'), { level: 9 });
  return gzipBombCache;
}

/** A body as framed on the wire: its header lines and bytes, and what was done to it. */
export interface Encoded {
  headers: string[];
  bytes: Buffer;
  label: string;
}

/** Content-Encoding of a body: the header lines and the bytes to send. */
export function contentEncoding(p: Pick, body: Buffer): { headers: string[]; body: Buffer; label: string } {
  const roll = p.int(100);
  if (roll < 75) return { headers: [], body, label: 'identity' };
  if (roll < 85) return { headers: [`Content-Encoding: ${p.one(['gzip', 'gzip', 'GZIP', 'x-gzip', ' gzip ', 'gzip, identity'])}`], body: gzipSync(body), label: 'gzip' };
  const g = () => gzipSync(body.length === 0 ? enc('cpu v=1') : body);
  return p.lazy<{ headers: string[]; body: Buffer; label: string }>([
    [3, () => ({ headers: ['Content-Encoding: gzip'], body: cut(p, g()), label: 'gzip-truncated' })],
    [2, () => ({ headers: ['Content-Encoding: gzip'], body: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), p.bytes(p.int(200))]), label: 'gzip-garbage' })],
    [1, () => ({ headers: ['Content-Encoding: gzip'], body: p.bytes(p.int(100)), label: 'gzip-random' })],
    [1, () => ({ headers: ['Content-Encoding: gzip'], body: Buffer.concat([g(), p.bytes(1 + p.int(20))]), label: 'gzip-trailing-garbage' })],
    [1, () => ({ headers: ['Content-Encoding: gzip'], body: Buffer.concat([g(), g()]), label: 'gzip-two-members' })],
    [1, () => ({ headers: ['Content-Encoding: gzip'], body: gzipSync(g()), label: 'gzip-twice' })],
    [1, () => ({ headers: ['Content-Encoding: gzip, gzip'], body: gzipSync(g()), label: 'gzip-gzip' })],
    [1, () => ({ headers: ['Content-Encoding: gzip'], body: Buffer.alloc(0), label: 'gzip-empty' })],
    [0.3, () => ({ headers: ['Content-Encoding: gzip'], body: gzipBomb(), label: 'gzip-bomb' })],
    [2, () => ({ headers: [`Content-Encoding: ${p.one(['deflate', 'br', 'zstd', 'compress', 'identity', '', 'gzip;q=1', '*', '\u00e9'])}`], body, label: 'other-encoding' })],
    [1, () => ({ headers: ['Content-Encoding: gzip', 'Content-Encoding: identity'], body: g(), label: 'encoding-twice' })],
  ]);
}

/** Chunked transfer coding of `body`, well formed. */
function chunked(p: Pick, body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const n = Math.min(body.length - at, 1 + p.int(p.chance(0.5) ? 16 : 4096));
    const size = p.chance(0.1) ? n.toString(16).toUpperCase() : n.toString(16);
    const ext = p.chance(0.05) ? p.one([';a=b', ';x', ';y="z"', ' ;y', ';' + 'e'.repeat(100)]) : '';
    parts.push(enc(`${p.chance(0.03) ? '000' : ''}${size}${ext}\r\n`), body.subarray(at, at + n), enc('\r\n'));
    at += n;
  }
  parts.push(enc(p.chance(0.05) ? '0\r\nX-Trailer: 1\r\n\r\n' : '0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** The framing of a body: headers and bytes, right or wrong in many ways (the server's parser judges which: http-fuzz-wire.ts). */
export function frame(p: Pick, body: Buffer, hasBody: boolean): Encoded {
  const framed = (headers: string[], bytes: Buffer, label: string): Encoded => ({ headers, bytes, label });
  if (!hasBody) {
    return p.weighted<Encoded>([
      [20, framed([], Buffer.alloc(0), 'no-body')],
      [2, framed(['Content-Length: 0'], Buffer.alloc(0), 'cl-0')],
      [1, framed(['Transfer-Encoding: chunked'], enc('0\r\n\r\n'), 'chunked-empty')],
      [1, framed([`Content-Length: ${body.length}`], body, 'get-with-body')],
    ]);
  }
  const n = body.length;
  return p.lazy<Encoded>([
    [60, () => framed([`Content-Length: ${n}`], body, 'cl')],
    [15, () => framed(['Transfer-Encoding: chunked'], chunked(p, body), 'chunked')],
    [1, () => framed([`Content-Length: ${n}`, `Content-Length: ${n}`], body, 'cl-twice-same')],
    [1, () => framed([`Content-Length: ${n}, ${n}`], body, 'cl-list-same')],
    [1, () => framed([`Content-Length: 000${n}`], body, 'cl-leading-zeros')],
    [1, () => framed([`Content-Length:   ${n}   `], body, 'cl-spaces')],
    [1, () => framed(['Transfer-Encoding: CHUNKED'], chunked(p, body), 'chunked-upper')],
    [1, () => framed(['Transfer-Encoding: identity, chunked'], chunked(p, body), 'te-identity-chunked')],
    [1, () => framed(['Transfer-Encoding: gzip, chunked'], chunked(p, gzipSync(body)), 'te-gzip-chunked')],
    [1, () => framed([], Buffer.alloc(0), 'post-without-length')],
    [2, () => framed([`Content-Length: ${n + 1 + p.int(100)}`], body, 'cl-too-big')],
    [2, () => framed([`Content-Length: ${Math.max(0, n - 1 - p.int(Math.max(1, n)))}`], body, 'cl-too-small')],
    [1, () => framed([`Content-Length: -${n}`], body, 'cl-negative')],
    [1, () => framed([`Content-Length: ${p.one(['abc', '1e3', '0x10', '+5', '', ' ', '5 5', '١٢', '18446744073709551616', '99999999999999999999'])}`], body, 'cl-garbage')],
    [1, () => framed([`Content-Length: ${p.one(['9007199254740993', '10000000000000001', '18446744073709551615', '10485761', '4294967296'])}`], body, 'cl-huge')],
    [1, () => framed([`Content-Length: ${n}`, `Content-Length: ${n + 1}`], body, 'cl-twice-different')],
    [1, () => framed([`Content-Length: ${n}`, 'Transfer-Encoding: chunked'], chunked(p, body), 'cl-and-te')],
    [1, () => framed(['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], chunked(p, body), 'te-twice')],
    [1, () => framed([`Transfer-Encoding: ${p.one(['chunked, identity', 'xchunked', 'chunked ;', 'gzip', 'identity', 'chunked\u000b', ''])}`], chunked(p, body), 'te-odd')],
    [2, () => framed(['Transfer-Encoding: chunked'], badChunks(p, body), 'chunked-bad')],
    [1, () => framed(['Transfer-Encoding: chunked'], cut(p, chunked(p, body)), 'chunked-cut')],
  ]);
}

function cut(p: Pick, bytes: Buffer): Buffer {
  return bytes.subarray(0, p.int(bytes.length));
}

/** A chunked body with one thing wrong in it. */
function badChunks(p: Pick, body: Buffer): Buffer {
  const data = body.length === 0 ? enc('cpu v=1') : body;
  const size = data.length.toString(16);
  return p.lazy<Buffer>([
    [1, () => Buffer.concat([enc('zz\r\n'), data, enc('\r\n0\r\n\r\n')])],
    [1, () => Buffer.concat([enc('-1\r\n'), data, enc('\r\n0\r\n\r\n')])],
    [1, () => Buffer.concat([enc('fffffffffffffffff\r\n'), data, enc('\r\n0\r\n\r\n')])],
    [1, () => Buffer.concat([enc('ffffffff\r\n'), data, enc('\r\n0\r\n\r\n')])],
    [1, () => Buffer.concat([enc(`${size}\r\n`), data, enc('0\r\n\r\n')])], // no CRLF after the data
    [1, () => Buffer.concat([enc(`${size}\n`), data, enc('\n0\n\n')])], // bare LF
    [1, () => Buffer.concat([enc(`${(data.length + 5).toString(16)}\r\n`), data, enc('\r\n0\r\n\r\n')])], // size larger than the data
    [1, () => Buffer.concat([enc(`${Math.max(0, data.length - 2).toString(16)}\r\n`), data, enc('\r\n0\r\n\r\n')])], // smaller
    [1, () => Buffer.concat([enc(`${size}\r\n`), data, enc('\r\n')])], // no last chunk
    [1, () => Buffer.concat([enc(` ${size}\r\n`), data, enc('\r\n0\r\n\r\n')])],
    [1, () => Buffer.concat([enc(`${size};${'x'.repeat(20000)}\r\n`), data, enc('\r\n0\r\n\r\n')])],
    [1, () => Buffer.concat([enc(`${size}\r\n`), data, enc('\r\n0\r\nbad trailer\r\n\r\n')])],
    [1, () => Buffer.concat([enc(`0x${size}\r\n`), data, enc('\r\n0\r\n\r\n')])],
  ]);
}
