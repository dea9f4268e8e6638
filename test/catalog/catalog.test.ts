import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { Catalog, CATALOG_FORMAT_VERSION, validateDatabaseName, validateObjectName } from '../../src/catalog/catalog.js';
import { CatalogError } from '../../src/catalog/errors.js';
import type { CatalogBatch } from '../../src/wal/model.js';

const batch: CatalogBatch = {
  databaseId: 3,
  databaseName: 'db',
  timeNs: 1n,
  ops: [
    { kind: 'createDatabase' },
    { kind: 'createTable', tableId: 0, tableName: 'cpu', columns: [{ id: 0, name: 'time', type: 'time' }] },
    { kind: 'addColumns', tableId: 0, tableName: 'cpu', columns: [{ id: 1, name: 'host', type: 'tag' }, { id: 2, name: 'usage', type: 'float64' }] },
  ],
};

test('applying a catalog batch twice is the same as once (replay)', () => {
  const once = new Catalog();
  once.applyCatalogBatch(batch);
  const twice = new Catalog();
  twice.applyCatalogBatch(batch);
  twice.applyCatalogBatch(batch);
  assert.equal(Buffer.from(twice.serialize()).toString(), Buffer.from(once.serialize()).toString());
  assert.equal(once.peekNextDatabaseId(), 4);
  assert.equal(once.database('db')!.tables.get('cpu')!.nextColumnId, 3);
});

test('a batch that contradicts the catalog is a CatalogError, not a silent change', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  assert.throws(() => c.applyCatalogBatch({ ...batch, ops: [{ kind: 'addColumns', tableId: 0, tableName: 'cpu', columns: [{ id: 1, name: 'host', type: 'int64' }] }] }), CatalogError);
  assert.throws(() => c.applyCatalogBatch({ ...batch, databaseName: 'other', ops: [{ kind: 'createDatabase' }] }), CatalogError);
  assert.throws(() => c.applyCatalogBatch({ ...batch, ops: [{ kind: 'createTable', tableId: 5, tableName: 'cpu', columns: [] }] }), CatalogError);
});

test('delete ops remove databases and tables; reverting a batch removes what it added', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  c.applyCatalogBatch({ ...batch, ops: [{ kind: 'deleteTable', tableId: 0, tableName: 'cpu', deletionTimeNs: 2n }] });
  assert.equal(c.database('db')!.tables.size, 0);
  assert.equal(c.totalTables(), 0);
  c.applyCatalogBatch({ ...batch, ops: [{ kind: 'deleteDatabase', deletionTimeNs: 3n }] });
  assert.equal(c.database('db'), undefined);
  const r = new Catalog();
  r.applyCatalogBatch(batch);
  r.revertCatalogBatch(batch);
  assert.deepEqual(r.listDatabases(), []);
  assert.equal(r.peekNextDatabaseId(), 3);
});

test('reverting a batch that added several columns at once restores the next ids exactly (the validator undo)', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch); // cpu: time, host, usage → next column id 3
  const before = Buffer.from(c.serialize()).toString();
  const more: CatalogBatch = {
    ...batch,
    ops: [
      { kind: 'addColumns', tableId: 0, tableName: 'cpu', columns: [{ id: 3, name: 'a', type: 'int64' }, { id: 4, name: 'b', type: 'tag' }, { id: 5, name: 'c', type: 'bool' }] },
      { kind: 'createTable', tableId: 1, tableName: 'mem', columns: [{ id: 0, name: 'time', type: 'time' }, { id: 1, name: 'x', type: 'float64' }] },
    ],
  };
  c.applyCatalogBatch(more);
  assert.equal(c.database('db')!.tables.get('cpu')!.nextColumnId, 6);
  c.revertCatalogBatch(more);
  assert.equal(c.database('db')!.tables.get('cpu')!.nextColumnId, 3);
  assert.equal(c.database('db')!.nextTableId, 1);
  assert.equal(Buffer.from(c.serialize()).toString(), before);
});

test('the serialized catalog reads back equal; damaged or foreign files are CatalogErrors', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  const bytes = c.serialize();
  assert.equal(Buffer.from(Catalog.deserialize(bytes).serialize()).toString(), Buffer.from(bytes).toString());
  for (const bad of ['', '{', 'null', '{"version":2}', '{"version":1,"databases":[{"id":0,"name":"x","tables":[{"id":0,"name":"t","columns":[{"id":0,"name":"c","type":"weird"}]}]}]}', '{"version":1}']) {
    assert.throws(() => Catalog.deserialize(Buffer.from(bad)), CatalogError, bad);
  }
});

/** A JSON payload behind a freshly computed header: the structural checks (not the checksum) must catch it. */
function seal(json: string, version = 4): Buffer {
  const payload = Buffer.from(json);
  return Buffer.concat([Buffer.from(`SLUICE-CATALOG v${version} len=${payload.length} crc32=${crc32(payload).toString(16).padStart(8, '0')}\n`), payload]);
}

/** The version 2 form of `batch`'s catalog (before retention periods and tombstones). */
const V2_JSON =
  '{"version":2,"nextDatabaseId":4,"databases":[{"id":3,"name":"db","nextTableId":1,"tables":[{"id":0,"name":"cpu","nextColumnId":3,"columns":[{"id":0,"name":"time","type":"time"},{"id":1,"name":"host","type":"tag"},{"id":2,"name":"usage","type":"float64"}]}]}]}\n';

/** The catalog of `batch` in version 3 (before caches). */
const V3_JSON =
  '{"version":3,"nextDatabaseId":4,"databases":[{"id":3,"name":"db","nextTableId":1,"retentionPeriodNs":"0","tables":[{"id":0,"name":"cpu","nextColumnId":3,"columns":[{"id":0,"name":"time","type":"time"},{"id":1,"name":"host","type":"tag"},{"id":2,"name":"usage","type":"float64"}]}],"deletedTables":[]}],"deletedDatabases":[]}\n';

const cacheOps: CatalogBatch = {
  databaseId: 3,
  databaseName: 'db',
  timeNs: 2n,
  ops: [
    { kind: 'createLastCache', cache: { tableId: 0, tableName: 'cpu', name: 'cpu_host_last_cache', keyColumnIds: [1], valueColumnIds: undefined, count: 1, ttlSeconds: 14_400 } },
    { kind: 'createLastCache', cache: { tableId: 0, tableName: 'cpu', name: 'lc', keyColumnIds: [], valueColumnIds: [2], count: 3, ttlSeconds: 60 } },
    { kind: 'createDistinctCache', cache: { tableId: 0, tableName: 'cpu', name: 'dc', columnIds: [1], maxCardinality: 10, maxAgeSeconds: 5 } },
  ],
};

test('golden bytes: the catalog is a sealed JSON document (version 4, with caches), exactly so', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  c.applyCatalogBatch(cacheOps);
  const json =
    '{"version":4,"nextDatabaseId":4,"databases":[{"id":3,"name":"db","nextTableId":1,"retentionPeriodNs":"0","tables":[{"id":0,"name":"cpu","nextColumnId":3,"columns":[{"id":0,"name":"time","type":"time"},{"id":1,"name":"host","type":"tag"},{"id":2,"name":"usage","type":"float64"}],"lastCaches":[{"tableId":0,"tableName":"cpu","name":"cpu_host_last_cache","keyColumnIds":[1],"count":1,"ttlSeconds":14400},{"tableId":0,"tableName":"cpu","name":"lc","keyColumnIds":[],"valueColumnIds":[2],"count":3,"ttlSeconds":60}],"distinctCaches":[{"tableId":0,"tableName":"cpu","name":"dc","columnIds":[1],"maxCardinality":10,"maxAgeSeconds":5}]}],"deletedTables":[]}],"deletedDatabases":[]}\n';
  assert.equal(CATALOG_FORMAT_VERSION, 4);
  assert.equal(Buffer.from(c.serialize()).toString(), seal(json).toString());
  const back = Catalog.deserialize(c.serialize());
  assert.equal(Buffer.from(back.serialize()).toString(), Buffer.from(c.serialize()).toString());
  assert.deepEqual(back.database('db')!.tables.get('cpu')!.lastCaches.get('cpu_host_last_cache'), cacheOps.ops[0]!.kind === 'createLastCache' ? cacheOps.ops[0]!.cache : undefined);
});

test('caches: a create applied again is a no-op, another definition under a taken name is refused, deleting the table drops them', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  c.applyCatalogBatch(cacheOps);
  const version = c.version;
  c.applyCatalogBatch(cacheOps); // replayed
  assert.equal(c.version, version);
  assert.throws(
    () => c.applyCatalogBatch({ ...cacheOps, ops: [{ kind: 'createDistinctCache', cache: { tableId: 0, tableName: 'cpu', name: 'dc', columnIds: [1], maxCardinality: 11, maxAgeSeconds: 5 } }] }),
    (err: unknown) => err instanceof CatalogError && err.code === 'INCONSISTENT',
  );
  c.applyCatalogBatch({ ...cacheOps, ops: [{ kind: 'deleteLastCache', tableId: 0, tableName: 'cpu', cacheName: 'lc' }] });
  assert.deepEqual([...c.database('db')!.tables.get('cpu')!.lastCaches.keys()], ['cpu_host_last_cache']);
  c.applyCatalogBatch({ databaseId: 3, databaseName: 'db', timeNs: 3n, ops: [{ kind: 'deleteTable', tableId: 0, tableName: 'cpu', deletionTimeNs: 3n }] });
  c.applyCatalogBatch(cacheOps); // replayed from before the delete: ignored
  assert.equal(c.database('db')!.tables.get('cpu'), undefined);
});

test('a version 3 catalog (before caches) is still read', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  assert.equal(Buffer.from(Catalog.deserialize(seal(V3_JSON, 3)).serialize()).toString(), Buffer.from(c.serialize()).toString());
});

test('version 1 (bare JSON) and version 2 (sealed, before retention and tombstones) catalogs are still read', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  const v1 = V2_JSON.replace('"version":2', '"version":1');
  assert.equal(Buffer.from(Catalog.deserialize(Buffer.from(v1)).serialize()).toString(), Buffer.from(c.serialize()).toString());
  assert.equal(Buffer.from(Catalog.deserialize(seal(V2_JSON, 2)).serialize()).toString(), Buffer.from(c.serialize()).toString());
});

test('deletes leave tombstones: the name is free for a new id, a replayed create or write of the old id changes nothing, and it all survives serialization', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  c.applyCatalogBatch({ databaseId: 3, databaseName: 'db', timeNs: 2n, ops: [{ kind: 'setRetentionPeriod', retentionPeriodNs: 3_600_000_000_000n }, { kind: 'createTable', tableId: 1, tableName: 'mem', columns: [{ id: 0, name: 'time', type: 'time' }] }] });
  c.applyCatalogBatch({ databaseId: 3, databaseName: 'db', timeNs: 3n, ops: [{ kind: 'deleteTable', tableId: 0, tableName: 'cpu', deletionTimeNs: 3n }] });
  assert.equal(c.database('db')!.tables.has('cpu'), false);
  assert.equal(c.isTableDeleted(3, 0), true);
  assert.equal(c.retentionCutoffNs(3, 10_000_000_000_000n), 10_000_000_000_000n - 3_600_000_000_000n);
  // A replay of the WAL from before the delete: the old create is ignored, not resurrected.
  c.applyCatalogBatch(batch);
  assert.equal(c.database('db')!.tables.has('cpu'), false);
  // The name again: a new table with a new id.
  c.applyCatalogBatch({ databaseId: 3, databaseName: 'db', timeNs: 4n, ops: [{ kind: 'createTable', tableId: 2, tableName: 'cpu', columns: [{ id: 0, name: 'time', type: 'time' }] }] });
  assert.equal(c.database('db')!.tables.get('cpu')!.id, 2);
  c.applyCatalogBatch({ databaseId: 3, databaseName: 'db', timeNs: 5n, ops: [{ kind: 'deleteDatabase', deletionTimeNs: 5n }] });
  assert.equal(c.database('db'), undefined);
  assert.equal(c.isTableDeleted(3, 1), true);
  c.applyCatalogBatch({ databaseId: 4, databaseName: 'db', timeNs: 6n, ops: [{ kind: 'createDatabase' }] });
  assert.equal(c.peekNextDatabaseId(), 5);
  c.applyCatalogBatch(batch); // replayed: database 3 stays deleted
  assert.equal(c.database('db')!.id, 4);
  assert.deepEqual(c.listDeletedDatabases().map((d) => [d.id, d.name, d.deletionTimeNs]), [[3, 'db', 5n]]);
  assert.equal(c.retentionPeriodNs(4), 0n);
  const again = Catalog.deserialize(c.serialize());
  assert.equal(Buffer.from(again.serialize()).toString(), Buffer.from(c.serialize()).toString());
  assert.equal(again.isTableDeleted(3, 0), true);
  assert.deepEqual(again.listDeletedDatabases(), c.listDeletedDatabases());
});

test('damaged sealed catalogs and well-sealed nonsense are CatalogError CORRUPT saying what is wrong', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  const text = Buffer.from(c.serialize()).toString();
  const json = text.slice(text.indexOf('\n') + 1);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['a renamed table, checksum kept', Buffer.from(text.replace('"cpu"', '"cpv"')), /checksum mismatch/],
    ['truncated', Buffer.from(text.slice(0, -3)), /truncated or extended/],
    ['manifest header', Buffer.from(text.replace('SLUICE-CATALOG', 'SLUICE-MANIFEST')), /SLUICE-MANIFEST document/],
    ['version 5', Buffer.from(text.replace(' v4 ', ' v5 ')), /unsupported version 5/],
    ['payload version 1', seal(json.replace('"version":4', '"version":1')), /version 1 in a version 4 document/],
    ['caches not an array', seal(json.replace('"lastCaches":[]', '"lastCaches":{}')), /lastCaches is not an array/],
    ['retention not a string', seal(json.replace('"retentionPeriodNs":"0"', '"retentionPeriodNs":0')), /retentionPeriodNs is not a non-negative decimal string/],
    ['tombstones missing', seal(json.replace('"deletedDatabases":', '"deletedDatabasez":')), /deletedDatabases is not an array/],
    ['string id', seal(json.replace('"id":3', '"id":"3"')), /databases\[0\]\.id is not a non-negative integer/],
    ['name not a string', seal(json.replace('"name":"cpu"', '"name":7')), /tables\[0\]\.name is not a string/],
    ['tables missing', seal(json.replace('"tables":', '"tablez":')), /tables is not an array/],
    ['unknown type', seal(json.replace('"float64"', '"float65"')), /unknown column type/],
    ['two tables with one name', seal(json.replace('"name":"cpu","nextColumnId":3,"columns":[', '"name":"cpu","nextColumnId":3,"columns":[]},{"id":1,"name":"cpu","nextColumnId":3,"columns":[')), /inconsistent/],
  ];
  for (const [what, bytes, message] of cases) {
    assert.throws(() => Catalog.deserialize(bytes), (err: unknown) => err instanceof CatalogError && err.code === 'CORRUPT' && message.test(err.message), what);
  }
});

test('name rules: databases as InfluxDB 3; tables and columns any UTF-8 without control characters', () => {
  for (const ok of ['a', 'A1', '9db', 'my_db-2', 'x'.repeat(511)]) validateDatabaseName(ok);
  for (const bad of ['', '_a', '-a', 'a b', 'a.b', 'a/b', 'é', 'x'.repeat(512)]) assert.throws(() => validateDatabaseName(bad), CatalogError, bad);
  for (const ok of ['cpu', 'with space', 'ünï', 'a/b', '..']) validateObjectName('table', ok);
  for (const bad of ['', 'nul\u0000', 'tab\there', 'x'.repeat(512)]) assert.throws(() => validateObjectName('column', bad), CatalogError, bad);
});

test('the version counts batches that change something; re-applying a batch (as the WAL does live) does not; removals are marked', () => {
  const catalog = new Catalog();
  const batch = { databaseId: 0, databaseName: 'db', timeNs: 0n, ops: [{ kind: 'createDatabase' as const }, { kind: 'createTable' as const, tableId: 0, tableName: 't', columns: [{ id: 0, name: 'time', type: 'time' as const }] }] };
  catalog.applyCatalogBatch(batch);
  assert.equal(catalog.version, 1);
  catalog.applyCatalogBatch(batch);
  assert.equal(catalog.version, 1, 'nothing changed');
  assert.equal(catalog.removalVersion, 0);
  catalog.applyCatalogBatch({ ...batch, ops: [{ kind: 'addColumns', tableId: 0, tableName: 't', columns: [{ id: 1, name: 'v', type: 'float64' }] }] });
  assert.equal(catalog.version, 2);
  catalog.applyCatalogBatch({ ...batch, ops: [{ kind: 'deleteTable', tableId: 0, tableName: 't', deletionTimeNs: 0n }] });
  assert.deepEqual([catalog.version, catalog.removalVersion], [3, 3]);
  catalog.applyCatalogBatch({ ...batch, ops: [{ kind: 'deleteTable', tableId: 0, tableName: 't', deletionTimeNs: 0n }] });
  assert.deepEqual([catalog.version, catalog.removalVersion], [3, 3], 'deleting what is gone changes nothing');
  catalog.revertCatalogBatch({ ...batch, ops: [{ kind: 'createDatabase' }] });
  assert.deepEqual([catalog.version, catalog.removalVersion], [4, 4]);
});
