/**
 * The official InfluxDB 3 JavaScript client (`@influxdata/influxdb3-client`) against a Sluice
 * server on loopback: points written through its write API (Point objects and line protocol, every
 * field type, nanosecond timestamps; some snapshotted to Parquet, some still in the buffer) are
 * read back value by value through Arrow Flight (`client.query`, `client.queryPoints`) with SQL and
 * InfluxQL, and compared with what was written (InfluxQL answers computed from the written points).
 * Also: query parameters, a server without tokens, a wrong or missing token (gRPC
 * UNAUTHENTICATED), an unknown database (NOT_FOUND, naming it).
 *
 * What the client does with values (its own rules, the same against InfluxDB 3): a nanosecond
 * timestamp arrives as a number of milliseconds with the nanoseconds as a fraction (Arrow JS's
 * conversion); `query()` turns integer fields into numbers, leaves unsigned ones as bigint (with a
 * console warning, silenced here); `queryPoints()` types fields by the `iox::column::type` metadata.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetFieldTypeMissmatchError, InfluxDBClient, Point, type PointValues } from '@influxdata/influxdb3-client';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { SluiceServer } from '../../src/server/http.js';
import { TokenStore } from '../../src/server/auth.js';
import { tempDatabase } from '../support/db-helpers.js';

const DB = 'flightdb';
const seed = testSeed();
console.log(`# influxdb3-client over Flight seed=${seed} (replay with SEED=${seed})`);
const rng = new SeededRng(seed);

// ---- the data ------------------------------------------------------------------------------------

const HOSTS = ['alpha', 'beta gamma', 'd,e', 'f=g', 'ünï'] as const;
const REGIONS = ['eu-west', 'us east'] as const;
const FIELDS = ['usage', 'count', 'bytes', 'note', 'ok'] as const;
type FieldName = (typeof FIELDS)[number];

interface Row {
  host: string;
  region: string | null;
  usage: number | null;
  count: number | null;
  bytes: bigint | null;
  note: string | null;
  ok: boolean | null;
  ns: bigint;
  /** 0: Point objects, snapshotted; 1: line protocol, snapshotted; 2: Points, buffered; 3: line protocol, buffered. */
  phase: 0 | 1 | 2 | 3;
}

const ROWS = 400;
const BASE_NS = 1_700_000_000_000_000_000n;
const MINUTE_NS = 60_000_000_000n;
const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
const NOTE_CHARS = ['a', 'b', 'Z', '0', ' ', '"', '\\', ',', '=', 'é', '😀', 'x y', "'"];

function makeRows(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < ROWS; i++) {
    const phase = rng.nextInt(4) as Row['phase'];
    const viaPoint = phase === 0 || phase === 2;
    const has = FIELDS.map(() => rng.nextFloat() < 0.8);
    if (!has.some(Boolean)) has[rng.nextInt(FIELDS.length)] = true;
    const countChoices = [0, 1, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, rng.nextInt(2_000_000_000) - 1_000_000_000];
    // The client's Point takes unsigned values up to 2^53 - 1; line protocol carries the whole u64 range.
    const bytesChoices = viaPoint ? [0n, 1n, BigInt(Number.MAX_SAFE_INTEGER), BigInt(rng.nextInt(1_000_000_000))] : [0n, 18446744073709551615n, 9223372036854775808n, 9007199254740993n, BigInt(rng.nextInt(1_000_000_000))];
    rows.push({
      host: pick(HOSTS),
      region: rng.nextFloat() < 0.3 ? null : pick(REGIONS),
      // Multiples of 1/8: sums are exact, so means are one rounding of an exact quotient.
      usage: has[0] ? (rng.nextFloat() < 0.1 ? rng.nextInt(50) : rng.nextInt(16_001) / 8 - 1000) : null,
      count: has[1] ? pick(countChoices) : null,
      bytes: has[2] ? pick(bytesChoices) : null,
      note: has[3] ? Array.from({ length: rng.nextInt(8) }, () => pick(NOTE_CHARS)).join('') : null,
      ok: has[4] ? rng.nextFloat() < 0.5 : null,
      // 1.5 s apart plus up to 1 s of nanoseconds: every time distinct, every window of a minute holds many.
      ns: BASE_NS + BigInt(i) * 1_500_000_000n + BigInt(rng.nextInt(1_000_000_000)),
      phase,
    });
  }
  return rows;
}

const rows = makeRows();
const MEM_ROWS = [
  { host: 'alpha', free: 1, ns: BASE_NS },
  { host: 'beta gamma', free: 2, ns: BASE_NS + 1n },
];

function toPoint(r: Row): Point {
  const p = Point.measurement('cpu').setTag('host', r.host);
  if (r.region !== null) p.setTag('region', r.region);
  if (r.usage !== null) p.setFloatField('usage', r.usage);
  if (r.count !== null) p.setIntegerField('count', r.count);
  if (r.bytes !== null) p.setUintegerField('bytes', Number(r.bytes));
  if (r.note !== null) p.setStringField('note', r.note);
  if (r.ok !== null) p.setBooleanField('ok', r.ok);
  return p.setTimestamp(String(r.ns));
}

const escapeTag = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);
const TRUE_WORDS = ['t', 'T', 'true', 'True', 'TRUE'];
const FALSE_WORDS = ['f', 'F', 'false', 'False', 'FALSE'];

function toLine(r: Row): string {
  const tags = [`host=${escapeTag(r.host)}`, ...(r.region === null ? [] : [`region=${escapeTag(r.region)}`])];
  const fields: string[] = [];
  if (r.usage !== null) fields.push(`usage=${r.usage}`);
  if (r.count !== null) fields.push(`count=${r.count}i`);
  if (r.bytes !== null) fields.push(`bytes=${r.bytes}u`);
  if (r.note !== null) fields.push(`note="${r.note.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  if (r.ok !== null) fields.push(`ok=${pick(r.ok ? TRUE_WORDS : FALSE_WORDS)}`);
  // Field order in a line does not matter: shuffle it.
  for (let i = fields.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  return `cpu,${tags.join(',')} ${fields.join(',')} ${r.ns}`;
}

// ---- expectations --------------------------------------------------------------------------------

const byTime = [...rows].sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
const present = (r: Row): FieldName[] => FIELDS.filter((f) => r[f] !== null);

/** What Arrow JS gives for a Timestamp(ns) value: milliseconds, the nanoseconds as a fraction. */
function arrowMs(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1_000_000;
}

/** An integer as the client may give it (number from `query()` with metadata, bigint without). */
function int(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new assert.AssertionError({ message: `expected an integer, got ${typeof v} ${String(v)}` });
}

const codeUnitOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---- the server ------------------------------------------------------------------------------------

type Env = Awaited<ReturnType<typeof tempDatabase>>;
let env: Env;
let server: SluiceServer;
let url: string;
let token: string;
let client: InfluxDBClient;

/** Collects a query's rows with the client's warnings about unsigned values (bigints) silenced. */
async function collect<T>(gen: AsyncGenerator<T, void, void>): Promise<T[]> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /is not an unsigned integer/.test(args[0])) return;
    warn(...args);
  };
  try {
    const out: T[] = [];
    for await (const v of gen) out.push(v);
    return out;
  } finally {
    console.warn = warn;
  }
}

before(async () => {
  env = await tempDatabase();
  const tokens = await TokenStore.open(env.store, 'node1');
  token = await tokens.create('_admin', true);
  server = new SluiceServer({ db: env.db, tokens });
  const { port } = await server.listen('127.0.0.1', 0);
  url = `http://127.0.0.1:${port}`;
  client = new InfluxDBClient({ host: url, token, database: DB, authScheme: 'Bearer' });

  const write = async (phase: Row['phase']) => {
    const mine = rows.filter((r) => r.phase === phase);
    if (phase === 0 || phase === 2) await client.write(mine.map(toPoint), DB);
    else await client.write(mine.map(toLine).join('\n'), DB);
  };
  await write(0);
  await write(1);
  await client.write(MEM_ROWS.map((m) => Point.measurement('mem').setTag('host', m.host).setIntegerField('free', m.free).setTimestamp(String(m.ns))), DB);
  await env.db.snapshotNow();
  assert.ok(env.db.persistedFiles.fileCount > 0, 'the snapshot wrote Parquet files');
  assert.equal(env.db.buffer.getStats().rows, 0, 'the snapshot emptied the buffer');
  await write(2);
  await write(3);
  const buffered = rows.filter((r) => r.phase >= 2).length;
  assert.equal(env.db.buffer.getStats().rows, buffered, 'the later points are still buffered, not in Parquet');
});

after(async () => {
  await client?.close();
  await server?.close();
  await env?.cleanup();
});

// ---- SQL -------------------------------------------------------------------------------------------

test('SQL through client.query(): every row and value of Parquet and buffered points, nanoseconds exact', async () => {
  const got = await collect(client.query('SELECT * FROM cpu ORDER BY time', DB));
  assert.equal(got.length, rows.length);
  for (let i = 0; i < byTime.length; i++) {
    const r = byTime[i]!;
    const g = got[i]!;
    const where = `row ${i} (phase ${r.phase}, time ${r.ns})`;
    assert.deepEqual(Object.keys(g).sort(), ['bytes', 'count', 'host', 'note', 'ok', 'region', 'time', 'usage'], where);
    assert.equal(g.host, r.host, where);
    assert.equal(g.region, r.region, where);
    assert.equal(g.usage, r.usage, where);
    // The client turns int64 fields into numbers; every one written is within 2^53.
    assert.equal(g.count, r.count, where);
    assert.equal(g.bytes, r.bytes, where);
    assert.equal(g.note, r.note, where);
    assert.equal(g.ok, r.ok, where);
    assert.equal(g.time, arrowMs(r.ns), where);
  }
  // The time column to the nanosecond: epoch_ns has no column metadata, so it stays a bigint.
  const ns = await collect(client.query('SELECT host, epoch_ns(time) AS ns FROM cpu ORDER BY time', DB));
  assert.deepEqual(
    ns.map((g) => [g.host, g.ns]),
    byTime.map((r) => [r.host, r.ns]),
  );
});

test('SQL through client.queryPoints(): tags, typed fields and timestamps through the getters', async () => {
  const points = await collect(client.queryPoints('SELECT * FROM cpu ORDER BY time', DB));
  assert.equal(points.length, rows.length);
  for (let i = 0; i < byTime.length; i++) {
    const r = byTime[i]!;
    const p = points[i]!;
    const where = `point ${i} (phase ${r.phase}, time ${r.ns})`;
    assert.equal(p.getMeasurement(), undefined, `${where}: SQL answers carry no measurement`);
    assert.deepEqual(p.getTagNames().sort(), r.region === null ? ['host'] : ['host', 'region'], where);
    assert.equal(p.getTag('host'), r.host, where);
    assert.equal(p.getTag('region'), r.region ?? undefined, where);
    assert.deepEqual(p.getFieldNames().sort(), present(r).sort(), where);
    assert.equal(p.getFloatField('usage'), r.usage ?? undefined, where);
    assert.equal(p.getIntegerField('count'), r.count ?? undefined, where);
    // getUintegerField gives a number (the client parses the decimal text): exact up to 2^53.
    assert.equal(p.getUintegerField('bytes'), r.bytes === null ? undefined : Number(r.bytes), where);
    assert.equal(p.getStringField('note'), r.note ?? undefined, where);
    assert.equal(p.getBooleanField('ok'), r.ok ?? undefined, where);
    const t = p.getTimestamp();
    assert.equal(typeof t, 'number', where);
    assert.equal(t, arrowMs(r.ns), where);
    if (r.usage !== null) {
      assert.equal(p.getFieldType('usage'), 'float', where);
      assert.throws(() => p.getIntegerField('usage'), GetFieldTypeMissmatchError, where);
    }
    if (r.count !== null) assert.equal(p.getFieldType('count'), 'integer', where);
    if (r.bytes !== null) assert.equal(p.getFieldType('bytes'), 'uinteger', where);
    if (r.note !== null) assert.equal(p.getFieldType('note'), 'string', where);
    if (r.ok !== null) {
      assert.equal(p.getFieldType('ok'), 'boolean', where);
      assert.throws(() => p.getStringField('ok'), GetFieldTypeMissmatchError, where);
    }
  }
});

test('SQL aggregates and query parameters ($host, numbers) through the client', async () => {
  const got = await collect(client.query('SELECT host, count(*) AS n, max(usage) AS mx, min(count) AS mn FROM cpu GROUP BY host ORDER BY host', DB));
  const hosts = [...new Set(rows.map((r) => r.host))].sort(codeUnitOrder);
  assert.deepEqual(
    got.map((g) => [g.host, int(g.n), g.mx, int(g.mn)]),
    hosts.map((h) => {
      const mine = rows.filter((r) => r.host === h);
      const usages = mine.flatMap((r) => (r.usage === null ? [] : [r.usage]));
      const counts = mine.flatMap((r) => (r.count === null ? [] : [r.count]));
      return [h, BigInt(mine.length), usages.length === 0 ? null : Math.max(...usages), counts.length === 0 ? null : BigInt(Math.min(...counts))];
    }),
  );

  for (const host of HOSTS) {
    const params = await collect(client.query('SELECT host, usage, epoch_ns(time) AS ns FROM cpu WHERE host = $host ORDER BY time', DB, { type: 'sql', params: { host } }));
    assert.deepEqual(
      params.map((g) => [g.host, g.usage, g.ns]),
      byTime.filter((r) => r.host === host).map((r) => [r.host, r.usage, r.ns]),
      `host = $host with ${JSON.stringify(host)}`,
    );
  }
  const [minUsage, minCount] = [-250.5, 7];
  const numeric = await collect(client.query('SELECT epoch_ns(time) AS ns FROM cpu WHERE usage > $u AND count >= $c ORDER BY time', DB, { type: 'sql', params: { u: minUsage, c: minCount } }));
  assert.deepEqual(
    numeric.map((g) => g.ns),
    byTime.filter((r) => r.usage !== null && r.usage > minUsage && r.count !== null && r.count >= minCount).map((r) => r.ns),
  );
});

// ---- InfluxQL --------------------------------------------------------------------------------------

test('InfluxQL SELECT * through client.query(): iox::measurement, time, then every column by name, row by row', async () => {
  const got = await collect(client.query('SELECT * FROM cpu', DB, { type: 'influxql' }));
  assert.equal(got.length, rows.length);
  for (let i = 0; i < byTime.length; i++) {
    const r = byTime[i]!;
    const g = got[i]!;
    const where = `row ${i} (phase ${r.phase}, time ${r.ns})`;
    // InfluxQL lays out SELECT * as time, then fields and tags together by name.
    assert.deepEqual(Object.keys(g), ['iox::measurement', 'time', 'bytes', 'count', 'host', 'note', 'ok', 'region', 'usage'], where);
    assert.equal(g['iox::measurement'], 'cpu', where);
    assert.equal(g.time, arrowMs(r.ns), where);
    assert.equal(g.host, r.host, where);
    assert.equal(g.region, r.region, where);
    assert.equal(g.usage, r.usage, where);
    assert.equal(int(g.count), r.count === null ? null : BigInt(r.count), where);
    assert.equal(int(g.bytes), r.bytes, where);
    assert.equal(g.note, r.note, where);
    assert.equal(g.ok, r.ok, where);
  }
});

/** The windows of GROUP BY time(1m) over [from, to): InfluxQL's, aligned to the epoch. */
function minuteWindows(from: bigint, to: bigint): bigint[] {
  const out: bigint[] = [];
  for (let w = from - (((from % MINUTE_NS) + MINUTE_NS) % MINUTE_NS); w < to; w += MINUTE_NS) out.push(w);
  return out;
}

test('InfluxQL mean(usage) GROUP BY time(1m), host and count() GROUP BY host, computed from the written points', async () => {
  const from = BASE_NS - 90_000_000_000n;
  const to = byTime.at(-1)!.ns + 150_000_000_000n;
  const got = await collect(client.query(`SELECT mean(usage) FROM cpu WHERE time >= ${from} AND time < ${to} GROUP BY time(1m), host`, DB, { type: 'influxql' }));
  // One series per host that has usage in the range (sorted by tag value), each with every window; fill(null).
  const expected: unknown[] = [];
  const hosts = [...new Set(rows.filter((r) => r.usage !== null).map((r) => r.host))].sort(codeUnitOrder);
  for (const host of hosts) {
    for (const w of minuteWindows(from, to)) {
      const usages = rows.filter((r) => r.host === host && r.usage !== null && r.ns >= w && r.ns < w + MINUTE_NS).map((r) => r.usage!);
      expected.push({ 'iox::measurement': 'cpu', time: arrowMs(w), host, mean: usages.length === 0 ? null : usages.reduce((a, b) => a + b, 0) / usages.length });
    }
  }
  assert.ok(expected.some((e) => (e as { mean: unknown }).mean === null) && expected.some((e) => (e as { mean: unknown }).mean !== null), 'the answer has windows with and without points');
  assert.deepEqual(got, expected);

  const counts = await collect(client.query('SELECT count(count) FROM cpu GROUP BY host', DB, { type: 'influxql' }));
  const countHosts = [...new Set(rows.filter((r) => r.count !== null).map((r) => r.host))].sort(codeUnitOrder);
  assert.deepEqual(
    counts.map((g) => [g['iox::measurement'], g.time, g.host, int(g.count)]),
    countHosts.map((h) => ['cpu', 0, h, BigInt(rows.filter((r) => r.host === h && r.count !== null).length)]),
  );
});

test('InfluxQL SHOW MEASUREMENTS, SHOW TAG VALUES and $host parameters', async () => {
  assert.deepEqual(await collect(client.query('SHOW MEASUREMENTS', DB, { type: 'influxql' })), [
    { 'iox::measurement': 'measurements', name: 'cpu' },
    { 'iox::measurement': 'measurements', name: 'mem' },
  ]);
  const tagValues = await collect(client.query('SHOW TAG VALUES FROM cpu WITH KEY = host', DB, { type: 'influxql' }));
  assert.deepEqual(
    tagValues,
    [...new Set(rows.map((r) => r.host))].sort(codeUnitOrder).map((value) => ({ 'iox::measurement': 'cpu', key: 'host', value })),
  );
  for (const host of HOSTS) {
    const got = await collect(client.query('SELECT usage FROM cpu WHERE host = $host', DB, { type: 'influxql', params: { host } }));
    assert.deepEqual(
      got,
      byTime.filter((r) => r.host === host && r.usage !== null).map((r) => ({ 'iox::measurement': 'cpu', time: arrowMs(r.ns), usage: r.usage })),
      `host = $host with ${JSON.stringify(host)}`,
    );
  }
});

test('InfluxQL through client.queryPoints(): the measurement, tags as tags and fields with their types (iox::column::type, as InfluxDB 3 sends it)', async () => {
  const points = await collect(client.queryPoints('SELECT * FROM cpu', DB, { type: 'influxql' }));
  assert.equal(points.length, rows.length);
  // Problems by kind: how many points show each, and the first one.
  const problems = new Map<string, { n: number; first: string }>();
  const check = (ok: boolean, kind: string, detail: string) => {
    if (ok) return;
    const p = problems.get(kind);
    if (p === undefined) problems.set(kind, { n: 1, first: detail });
    else p.n++;
  };
  points.forEach((p: PointValues, i) => {
    const r = byTime[i]!;
    const where = `SELECT * point ${i}`;
    check(p.getMeasurement() === 'cpu', 'SELECT *: getMeasurement()', `${where}: ${p.getMeasurement()}`);
    check(p.getTimestamp() === arrowMs(r.ns), 'SELECT *: getTimestamp()', `${where}: ${String(p.getTimestamp())}, want ${arrowMs(r.ns)}`);
    check(p.getTag('host') === r.host, "SELECT *: getTag('host') (the tag column must be marked iox::column_type::tag)", `${where}: ${p.getTag('host')}, want ${r.host}; getFieldType('host') is ${p.getFieldType('host')}`);
    if (r.region !== null) check(p.getTag('region') === r.region, "SELECT *: getTag('region') (iox::column_type::tag)", `${where}: ${p.getTag('region')}, want ${r.region}`);
    if (r.usage !== null) check(p.getFieldType('usage') === 'float' && p.getFloatField('usage') === r.usage, 'SELECT *: usage as a float field', `${where}: ${p.getFieldType('usage')} ${p.getField('usage')}, want float ${r.usage}`);
    if (r.count !== null) check(p.getFieldType('count') === 'integer' && p.getIntegerField('count') === r.count, 'SELECT *: count as an integer field (iox::column_type::field::integer; without it the client drops the bigint)', `${where}: ${p.getFieldType('count')}, want integer ${r.count}`);
    if (r.bytes !== null) check(p.getFieldType('bytes') === 'uinteger' && p.getUintegerField('bytes') === Number(r.bytes), 'SELECT *: bytes as a uinteger field (iox::column_type::field::uinteger; without it the client drops the bigint)', `${where}: ${p.getFieldType('bytes')}, want uinteger ${r.bytes}`);
    if (r.note !== null) check(p.getFieldType('note') === 'string' && p.getStringField('note') === r.note, 'SELECT *: note as a string field', `${where}: ${p.getFieldType('note')} ${p.getField('note')}`);
    if (r.ok !== null) check(p.getFieldType('ok') === 'boolean' && p.getBooleanField('ok') === r.ok, 'SELECT *: ok as a boolean field', `${where}: ${p.getFieldType('ok')} ${p.getField('ok')}`);
  });
  // GROUP BY tags are tags in InfluxDB 3's answer (influxdata/influxdb#26502: "tags in the group by clause had iox::column_type::tag").
  const grouped = await collect(client.queryPoints('SELECT max(usage) FROM cpu GROUP BY host', DB, { type: 'influxql' }));
  const hosts = [...new Set(rows.filter((r) => r.usage !== null).map((r) => r.host))].sort(codeUnitOrder);
  assert.equal(grouped.length, hosts.length);
  grouped.forEach((p, i) => {
    const where = `GROUP BY host point ${i}`;
    check(p.getMeasurement() === 'cpu', 'GROUP BY host: getMeasurement()', `${where}: ${p.getMeasurement()}`);
    check(p.getTag('host') === hosts[i], "GROUP BY host: getTag('host') (a GROUP BY tag must be marked iox::column_type::tag)", `${where}: ${p.getTag('host')}, want ${hosts[i]}; getFieldType('host') is ${p.getFieldType('host')}`);
    const max = Math.max(...rows.filter((r) => r.host === hosts[i] && r.usage !== null).map((r) => r.usage!));
    check(p.getFloatField('max') === max, 'GROUP BY host: max(usage) as a float field', `${where}: ${p.getField('max')}, want ${max}`);
  });
  const report = [...problems].map(([kind, { n, first }]) => `${kind}: wrong in ${n} points, e.g. ${first}`);
  assert.deepEqual(report, [], `InfluxQL answers lack InfluxDB 3's column types:\n${report.join('\n')}`);
});

// ---- tokens and errors ----------------------------------------------------------------------------

interface RpcErrorLike {
  name: string;
  code: string;
  message: string;
}

async function rejectsWith(gen: AsyncGenerator<unknown, void, void>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(collect(gen), (err: RpcErrorLike) => {
    assert.equal(err.name, 'RpcError', `a gRPC status, not ${err.name}: ${err.message}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

test('a wrong or missing token is the client error UNAUTHENTICATED; the right one (any scheme the client sends) passes', async () => {
  const wrong = new InfluxDBClient({ host: url, token: `${token}x`, database: DB });
  const none = new InfluxDBClient({ host: url, token: '', database: DB });
  try {
    await rejectsWith(wrong.query('SELECT count(*) FROM cpu', DB), 'UNAUTHENTICATED', /invalid token/);
    await rejectsWith(wrong.query('SHOW MEASUREMENTS', DB, { type: 'influxql' }), 'UNAUTHENTICATED', /invalid token/);
    await rejectsWith(none.queryPoints('SELECT * FROM cpu', DB), 'UNAUTHENTICATED', /authorization required/);
    // Nothing was read or changed: the good client still reads everything.
    const n = await collect(client.query('SELECT count(*) AS n FROM cpu', DB));
    assert.deepEqual(n.map((g) => int(g.n)), [BigInt(rows.length)]);
  } finally {
    await wrong.close();
    await none.close();
  }
});

test('an unknown database is an error naming it (NOT_FOUND), SQL and InfluxQL; an unknown table is INVALID_ARGUMENT', async () => {
  await rejectsWith(client.query('SELECT * FROM cpu', 'no_such_db'), 'NOT_FOUND', /no_such_db/);
  await rejectsWith(client.queryPoints('SELECT * FROM cpu', 'other_missing_db', { type: 'influxql' }), 'NOT_FOUND', /other_missing_db/);
  await rejectsWith(client.query('SELECT * FROM no_such_table', DB), 'INVALID_ARGUMENT', /no_such_table/);
});

test('a server without tokens: the client with no token (and one with any token) reads and writes', async () => {
  const open = await tempDatabase();
  const openServer = new SluiceServer({ db: open.db });
  try {
    const { port } = await openServer.listen('127.0.0.1', 0);
    const anon = new InfluxDBClient({ host: `http://127.0.0.1:${port}`, token: '', database: 'open' });
    const anyToken = new InfluxDBClient({ host: `http://127.0.0.1:${port}`, token: 'whatever', database: 'open' });
    try {
      const some = byTime.slice(0, 50);
      await anon.write(some.filter((r) => r.phase % 2 === 0).map(toPoint), 'open');
      await anyToken.write(some.filter((r) => r.phase % 2 === 1).map(toLine).join('\n'), 'open');
      await open.db.snapshotNow();
      for (const c of [anon, anyToken]) {
        const got = await collect(c.query('SELECT host, region, usage, count, bytes, note, ok, epoch_ns(time) AS ns FROM cpu ORDER BY time', 'open'));
        assert.deepEqual(
          got.map((g) => [g.host, g.region, g.usage, g.count, g.bytes, g.note, g.ok, g.ns]),
          some.map((r) => [r.host, r.region, r.usage, r.count, r.bytes, r.note, r.ok, r.ns]),
        );
        const influxql = await collect(c.query('SELECT count(usage) FROM cpu', 'open', { type: 'influxql' }));
        assert.deepEqual(
          influxql.map((g) => [g['iox::measurement'], g.time, int(g.count)]),
          [['cpu', 0, BigInt(some.filter((r) => r.usage !== null).length)]],
        );
      }
    } finally {
      await anon.close();
      await anyToken.close();
    }
  } finally {
    await openServer.close();
    await open.cleanup();
  }
});
