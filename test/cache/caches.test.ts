/**
 * The caches through their public face: worked examples of the eviction policies (count, time
 * to live, cardinality, max age) on WAL files with chosen flush times — the WAL file's time is the
 * caches' clock, so these run on a simulated one — deletes dropping caches, and through a whole
 * database: values rebuilt by WAL replay after a restart, and a seeded randomized comparison of
 * `last_cache()` / `distinct_cache()` with the equivalent SQL over the table (SEED=… replays).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Caches } from '../../src/cache/caches.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import type { CatalogOp, ColumnDefinition, Row, WalContents, WalOp } from '../../src/wal/model.js';
import { FieldKind, writeBatchForTable } from '../../src/wal/model.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

const COLUMNS: ColumnDefinition[] = [
  { id: 0, name: 'time', type: 'time' },
  { id: 1, name: 'host', type: 'tag' },
  { id: 2, name: 'region', type: 'tag' },
  { id: 3, name: 'usage', type: 'float64' },
  { id: 4, name: 'state', type: 'string' },
];
const HOUR_NS = 3_600_000_000_000n;

/** A catalog with database 0 `db` and table 0 `cpu`, and caches over it on empty sources. */
function setup(): { catalog: Catalog; caches: Caches; file: (persistMs: number, ops: WalOp[]) => WalContents } {
  const catalog = new Catalog();
  catalog.applyCatalogBatch({ databaseId: 0, databaseName: 'db', timeNs: 0n, ops: [{ kind: 'createDatabase' }, { kind: 'createTable', tableId: 0, tableName: 'cpu', columns: COLUMNS }] });
  const caches = new Caches(catalog, { bufferedChunks: () => [], hasPersistedFiles: () => false });
  let n = 0;
  const file = (persistMs: number, ops: WalOp[]): WalContents => {
    for (const op of ops) if (op.kind === 'catalog') catalog.applyCatalogBatch(op.batch); // as CatalogApplier does
    return { persistTimestampMs: persistMs, minTimestampNs: 0n, maxTimestampNs: 0n, walFileNumber: ++n, ops };
  };
  return { catalog, caches, file };
}

function catalogOp(...ops: CatalogOp[]): WalOp {
  return { kind: 'catalog', batch: { databaseId: 0, databaseName: 'db', timeNs: 0n, ops } };
}

function row(timeNs: bigint, host: string | undefined, region: string | undefined, usage?: number, state?: string): Row {
  const fields: Row['fields'] = [];
  if (host !== undefined) fields.push({ columnId: 1, kind: FieldKind.Tag, value: host });
  if (region !== undefined) fields.push({ columnId: 2, kind: FieldKind.Tag, value: region });
  if (usage !== undefined) fields.push({ columnId: 3, kind: FieldKind.Float64, value: usage });
  if (state !== undefined) fields.push({ columnId: 4, kind: FieldKind.String, value: state });
  return { timeNs, fields };
}

function write(...rows: Row[]): WalOp {
  return { kind: 'write', batch: writeBatchForTable(0, 'db', 0, rows, HOUR_NS) };
}

/** A last cache's live rows as `host/region@time usage state` strings. */
function lastRows(caches: Caches, name: string, nowMs: number): string[] {
  const cache = caches.lastCache(0, 0, name)!;
  return cache.rows(nowMs).map(({ keys, entry }) => `${keys.join('/')}@${entry.timeNs} ${String(entry.values[cache.positionOf(3)!])} ${String(entry.values[cache.positionOf(4)!])}`);
}

test('last cache: keeps the newest `count` rows per key in time order, merges a point written again field by field, takes a late row in its place', () => {
  const { caches, file } = setup();
  caches.apply(file(1000, [catalogOp({ kind: 'createLastCache', cache: { tableId: 0, tableName: 'cpu', name: 'lc', keyColumnIds: [1, 2], valueColumnIds: undefined, count: 2, ttlSeconds: 3600 } })]));
  caches.apply(file(1000, [write(row(10n, 'a', 'us', 1, 'x'), row(30n, 'a', 'us', 3), row(20n, 'a', 'us', 2), row(5n, 'b', 'eu', 9))]));
  assert.deepEqual(lastRows(caches, 'lc', 1000), ['a/us@30 3 undefined', 'a/us@20 2 undefined', 'b/eu@5 9 undefined']);
  // Older than both kept rows of a full store: not taken. The same point again: merged.
  caches.apply(file(1001, [write(row(1n, 'a', 'us', 0), row(30n, 'a', 'us', undefined, 'late'), row(25n, 'a', 'us', 2.5))]));
  assert.deepEqual(lastRows(caches, 'lc', 1001), ['a/us@30 3 late', 'a/us@25 2.5 undefined', 'b/eu@5 9 undefined']);
  // A row without a key column is not cached, and the cache no longer claims every key.
  assert.equal(caches.lastCache(0, 0, 'lc')!.isComplete, true);
  caches.apply(file(1002, [write(row(40n, 'c', undefined, 1))]));
  assert.equal(caches.lastCache(0, 0, 'lc')!.isComplete, false);
  assert.equal(lastRows(caches, 'lc', 1002).length, 3);
});

test('last cache: an entry lives ttl from the flush of the file that brought it (a simulated clock: the files\' times); expiry ends completeness', () => {
  const { caches, file } = setup();
  const t0 = Date.UTC(2025, 0, 1);
  caches.apply(file(t0, [catalogOp({ kind: 'createLastCache', cache: { tableId: 0, tableName: 'cpu', name: 'lc', keyColumnIds: [1], valueColumnIds: [3], count: 1, ttlSeconds: 60 } })]));
  caches.apply(file(t0, [write(row(1n, 'a', 'us', 1))]));
  caches.apply(file(t0 + 30_000, [write(row(2n, 'b', 'us', 2))]));
  const cache = caches.lastCache(0, 0, 'lc')!;
  // Explicit value columns come first, then `time`.
  assert.deepEqual(cache.valueColumnIds, [3, 0]);
  assert.deepEqual(cache.rows(t0 + 59_999).map((r) => r.keys[0]), ['a', 'b']);
  assert.deepEqual(cache.rows(t0 + 60_000).map((r) => r.keys[0]), ['b']);
  assert.equal(cache.isComplete, true);
  caches.sweep(t0 + 60_000, true);
  assert.equal(cache.size(), 1);
  assert.equal(cache.isComplete, false);
  // A later file sweeps on its own once 10 s have passed since the last sweep.
  caches.apply(file(t0 + 95_000, []));
  assert.equal(cache.size(), 0);
});

test('distinct cache: combinations in hierarchy order, sorted; past max_cardinality the oldest go; past max_age (data time against now) they go', () => {
  const { caches, file } = setup();
  const t0 = Date.UTC(2025, 0, 1);
  const nowNs = BigInt(t0) * 1_000_000n;
  const s = 1_000_000_000n;
  caches.apply(file(t0, [catalogOp({ kind: 'createDistinctCache', cache: { tableId: 0, tableName: 'cpu', name: 'dc', columnIds: [2, 1], maxCardinality: 3, maxAgeSeconds: 100 } })]));
  caches.apply(file(t0, [write(row(nowNs - 50n * s, 'b', 'us'), row(nowNs - 40n * s, 'a', 'us'), row(nowNs - 30n * s, 'c', 'eu'), row(nowNs - 90n * s, 'a', 'us'))]));
  const cache = caches.distinctCache(0, 0, 'dc')!;
  assert.deepEqual(cache.rows(nowNs), [['eu', 'c'], ['us', 'a'], ['us', 'b']]);
  // A fourth combination: over the limit, the oldest (us/b, last seen at −50 s) is dropped.
  caches.apply(file(t0, [write(row(nowNs - 10n * s, 'd', 'eu'))]));
  assert.deepEqual(cache.rows(nowNs), [['eu', 'c'], ['eu', 'd'], ['us', 'a']]);
  assert.equal(cache.isComplete, false);
  // 100 s of max age: at now + 61 s, what was last seen at −40 s and before is gone.
  assert.deepEqual(cache.rows(nowNs + 61n * s), [['eu', 'c'], ['eu', 'd']]);
  assert.equal(cache.prune(nowNs + 61n * s), 1);
  assert.equal(cache.cardinality, 2);
  // With a retention cutoff, only what was seen since it.
  assert.deepEqual(cache.rows(nowNs, nowNs - 20n * s), [['eu', 'd']]);
});

test('deletes: a deleted cache, table or database takes its caches with it (a replayed create after the delete too); a cache made in a file takes that file\'s rows once', () => {
  const { caches, file } = setup();
  const last = { tableId: 0, tableName: 'cpu', name: 'lc', keyColumnIds: [1], valueColumnIds: undefined, count: 3, ttlSeconds: 3600 };
  const distinct = { tableId: 0, tableName: 'cpu', name: 'dc', columnIds: [1], maxCardinality: 10, maxAgeSeconds: 1_000_000_000 };
  caches.apply(file(1, [catalogOp({ kind: 'createLastCache', cache: last }, { kind: 'createDistinctCache', cache: distinct }), write(row(1n, 'a', 'us', 1))]));
  // The sources are empty (no buffer here): rows of the file that made the cache are the buffer's to give.
  assert.equal(caches.lastCache(0, 0, 'lc')!.size(), 0);
  caches.apply(file(2, [write(row(2n, 'a', 'us', 2))]));
  assert.equal(caches.lastCache(0, 0, 'lc')!.size(), 1);
  caches.apply(file(3, [catalogOp({ kind: 'deleteLastCache', tableId: 0, tableName: 'cpu', cacheName: 'lc' })]));
  assert.equal(caches.lastCache(0, 0, 'lc'), undefined);
  assert.notEqual(caches.distinctCache(0, 0, 'dc'), undefined);
  caches.apply(file(4, [catalogOp({ kind: 'deleteTable', tableId: 0, tableName: 'cpu', deletionTimeNs: 4n })]));
  assert.equal(caches.distinctCache(0, 0, 'dc'), undefined);

  // A deleted database: every cache of every table of it.
  const other = setup();
  other.caches.apply(other.file(1, [catalogOp({ kind: 'createLastCache', cache: last }, { kind: 'createDistinctCache', cache: distinct })]));
  assert.notEqual(other.caches.lastCache(0, 0, 'lc'), undefined);
  other.caches.apply(other.file(2, [catalogOp({ kind: 'deleteDatabase', deletionTimeNs: 2n })]));
  assert.deepEqual([other.caches.lastCache(0, 0, 'lc'), other.caches.distinctCache(0, 0, 'dc')], [undefined, undefined]);
  // Replayed from before the delete: the catalog ignores the create, and so do the caches.
  other.caches.apply(other.file(3, [catalogOp({ kind: 'createLastCache', cache: last })]));
  assert.equal(other.caches.lastCache(0, 0, 'lc'), undefined);
});

test('a whole database: caches made over buffered rows start from them, survive a restart (definitions from the catalog, values from WAL replay), and go with their table', async () => {
  const env = await tempDatabase();
  let db = env.db;
  const dbs = [db];
  try {
    const now = BigInt(Date.now()) * 1_000_000n;
    const lp = (s: string) => Buffer.from(s);
    await db.writer.writeLp('db', lp(`cpu,host=a,region=us usage=1 ${now - 3n}\ncpu,host=b,region=eu usage=2 ${now - 2n}`), { precision: 'ns' });
    await db.manage.createLastCache('db', 'cpu', { count: 2 });
    await db.manage.createDistinctCache('db', 'cpu', { columns: ['region', 'host'] });
    await db.writer.writeLp('db', lp(`cpu,host=a,region=us usage=3 ${now - 1n}\ncpu,host=c,region=us usage=4 ${now}`), { precision: 'ns' });
    const lastSql = "SELECT host, region, usage, time FROM last_cache('cpu') ORDER BY host, time DESC";
    const distinctSql = "SELECT * FROM distinct_cache('cpu')";
    const last = await queryRows(db, 'db', lastSql);
    const distinct = await queryRows(db, 'db', distinctSql);
    assert.equal(last.length, 4);
    assert.deepEqual(distinct, ['region="eu" host="b"', 'region="us" host="a"', 'region="us" host="c"']);
    assert.equal(db.caches.lastCache(0, 0, 'cpu_host_region_last_cache')!.isComplete, true);

    await db.close();
    db = await env.open();
    dbs.push(db);
    assert.deepEqual(await queryRows(db, 'db', lastSql), last);
    assert.deepEqual(await queryRows(db, 'db', distinctSql), distinct);

    await db.manage.deleteTable('db', 'cpu');
    assert.equal(db.caches.lastCache(0, 0, 'cpu_host_region_last_cache'), undefined);
    assert.equal(db.caches.distinctCache(0, 0, 'cpu_region_host_distinct_cache'), undefined);
    await db.writer.writeLp('db', lp(`cpu,host=z,region=us usage=1 ${now}`), { precision: 'ns' });
    await assert.rejects(db.query.query('db', "SELECT * FROM last_cache('cpu')"), /could not find cache/);
  } finally {
    await env.cleanup(...dbs.slice(1));
  }
});

test('randomized: last_cache() and distinct_cache() answer exactly what the equivalent SQL over the table answers', async () => {
  const seed = testSeed();
  console.log(`SEED=${seed}`);
  const rng = new SeededRng(seed);
  const env = await tempDatabase();
  try {
    const db = env.db;
    const count = 1 + rng.nextInt(4);
    const now = BigInt(Date.now()) * 1_000_000n;
    const hosts = ['a', 'b', 'c', 'd', 'e'];
    const regions = ['us', 'eu', 'ap'];
    const line = (): string => {
      const fields: string[] = [];
      if (rng.nextInt(4) > 0) fields.push(`usage=${rng.nextInt(100)}`);
      if (rng.nextInt(3) === 0 || fields.length === 0) fields.push(`state="${['ok', 'bad', 'x y'][rng.nextInt(3)]}"`);
      // Few distinct times, so points are written again (merged) and rows arrive out of order.
      return `cpu,host=${hosts[rng.nextInt(hosts.length)]},region=${regions[rng.nextInt(regions.length)]} ${fields.join(',')} ${now - BigInt(rng.nextInt(20)) * 1000n}`;
    };
    // Made on an empty table (created with its schema first): they see every row.
    await db.manage.createTable('db', 'cpu', ['host', 'region'], [{ name: 'usage', type: 'float64' }, { name: 'state', type: 'utf8' }]);
    await db.manage.createLastCache('db', 'cpu', { count });
    await db.manage.createDistinctCache('db', 'cpu', { columns: ['region', 'host'] });
    const batches = 5 + rng.nextInt(10);
    for (let b = 0; b < batches; b++) {
      const lines = Array.from({ length: 1 + rng.nextInt(30) }, line);
      await db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 'ns' });
    }
    const cols = 'host, region, usage, state, time';
    const fromCache = await queryRows(db, 'db', `SELECT ${cols} FROM last_cache('cpu') ORDER BY host, region, time DESC`);
    const fromTable = await queryRows(db, 'db', `SELECT ${cols} FROM cpu QUALIFY row_number() OVER (PARTITION BY host, region ORDER BY time DESC) <= ${count} ORDER BY host, region, time DESC`);
    assert.deepEqual(fromCache, fromTable, `SEED=${seed}`);
    const distinctCache = await queryRows(db, 'db', "SELECT * FROM distinct_cache('cpu')");
    const distinctTable = await queryRows(db, 'db', 'SELECT DISTINCT region, host FROM cpu ORDER BY region, host');
    assert.deepEqual(distinctCache, distinctTable, `SEED=${seed}`);
  } finally {
    await env.cleanup();
  }
});
