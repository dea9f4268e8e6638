import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalog, validateDatabaseName, validateObjectName } from '../../src/catalog/catalog.js';
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

test('the serialized catalog reads back equal; damaged or foreign files are CatalogErrors', () => {
  const c = new Catalog();
  c.applyCatalogBatch(batch);
  const bytes = c.serialize();
  assert.equal(Buffer.from(Catalog.deserialize(bytes).serialize()).toString(), Buffer.from(bytes).toString());
  for (const bad of ['', '{', 'null', '{"version":2}', '{"version":1,"databases":[{"id":0,"name":"x","tables":[{"id":0,"name":"t","columns":[{"id":0,"name":"c","type":"weird"}]}]}]}', '{"version":1}']) {
    assert.throws(() => Catalog.deserialize(Buffer.from(bad)), CatalogError, bad);
  }
});

test('name rules: databases as InfluxDB 3; tables and columns any UTF-8 without control characters', () => {
  for (const ok of ['a', 'A1', '9db', 'my_db-2', 'x'.repeat(511)]) validateDatabaseName(ok);
  for (const bad of ['', '_a', '-a', 'a b', 'a.b', 'a/b', 'é', 'x'.repeat(512)]) assert.throws(() => validateDatabaseName(bad), CatalogError, bad);
  for (const ok of ['cpu', 'with space', 'ünï', 'a/b', '..']) validateObjectName('table', ok);
  for (const bad of ['', 'nul\u0000', 'tab\there', 'x'.repeat(512)]) assert.throws(() => validateObjectName('column', bad), CatalogError, bad);
});
