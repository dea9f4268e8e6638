/**
 * The validator keeps what it resolved for a series (table, column ids) on the parser's series
 * key across bodies. These pin that the kept resolution is only used while it holds: after an
 * undo, a deleted table, a type conflict or a new catalog, a line of the same series is validated
 * again from the catalog, with the same results as a parser that never saw the series.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalog } from '../../src/catalog/catalog.js';
import { LineProtocolParser } from '../../src/lineprotocol/parser.js';
import type { CatalogOp } from '../../src/wal/model.js';
import { validateLineProtocol, type ValidatedWrite, type ValidateOptions } from '../../src/write/validator.js';

const OPTIONS: ValidateOptions = { precision: 'ns', acceptPartial: true, ingestTimeNs: 1_735_689_600_000_000_000n, gen1DurationNs: 600_000_000_000n };
const T = 1_735_689_600_000_000_000n;

/** The result as plain data: the catalog ops, the errors and each chunk's columns. */
function summary(v: ValidatedWrite): string {
  const ops = (v.catalogBatch?.ops ?? []).map((op: CatalogOp) => ('columns' in op ? `${op.kind} ${op.tableId} ${op.columns.map((c) => `${c.id}:${c.name}:${c.type}`).join(',')}` : op.kind));
  const chunks: string[] = [];
  for (const [tableId, table] of v.writeBatch?.tableChunks ?? []) {
    for (const chunk of table.chunkTimeToChunk.values()) {
      for (const [columnId, column] of chunk.columns) {
        const values = 'indices' in column ? Array.from(column.indices, (i) => column.dictionary[i]) : Array.from(column.values as ArrayLike<number | bigint>, String);
        chunks.push(`${tableId}/${columnId}=${values.join('|')}`);
      }
    }
  }
  return JSON.stringify({ ops, errors: v.errors.map((e) => `${e.lineNumber}: ${e.errorMessage}`), lines: v.lineCount, chunks: chunks.sort() });
}

/** Validates `body` with `parser` and with a fresh parser against a copy of the catalog; both must agree. */
function validateBoth(catalog: Catalog, parser: LineProtocolParser, body: string): ValidatedWrite {
  const copy = Catalog.deserialize(catalog.serialize());
  const fresh = validateLineProtocol(copy, new LineProtocolParser(), 'db', Buffer.from(body), OPTIONS);
  const cached = validateLineProtocol(catalog, parser, 'db', Buffer.from(body), OPTIONS);
  assert.equal(summary(cached), summary(fresh), `a parser that saw the series before validated ${JSON.stringify(body)} differently`);
  return cached;
}

test('a series validated before is validated again after an undo removed its table and columns', () => {
  const catalog = new Catalog();
  const parser = new LineProtocolParser();
  validateBoth(catalog, parser, `m,t=a f=1i ${T}`).undo();
  assert.equal(catalog.database('db'), undefined);
  const again = validateBoth(catalog, parser, `m,t=a f=2i ${T + 1n}`);
  assert.ok(again.catalogBatch !== undefined && again.catalogBatch.ops.some((op) => op.kind === 'createTable'), 'the table is created again');
  // columns added by an undone body are gone: the same series with another field kind is no conflict
  validateBoth(catalog, parser, `m,t=a g=1i ${T + 2n}`).undo();
  const other = validateBoth(catalog, parser, `m,t=a g=1.5 ${T + 3n}`);
  assert.equal(other.errors.length, 0);
});

test('a series validated before is validated again after its table was deleted', () => {
  const catalog = new Catalog();
  const parser = new LineProtocolParser();
  validateBoth(catalog, parser, `m,t=a f=1i ${T}`);
  const db = catalog.database('db')!;
  const table = db.tables.get('m')!;
  catalog.applyCatalogBatch({ databaseId: db.id, databaseName: db.name, timeNs: T, ops: [{ kind: 'deleteTable', tableId: table.id, tableName: 'm', deletionTimeNs: T }] });
  const again = validateBoth(catalog, parser, `m,t=a f=1i ${T + 1n}`);
  const created = again.catalogBatch?.ops.find((op) => op.kind === 'createTable');
  assert.ok(created !== undefined && created.kind === 'createTable' && created.tableId !== table.id, 'a new table with a new id');
});

test('a series validated before still gets type conflicts and new columns from the catalog', () => {
  const catalog = new Catalog();
  const parser = new LineProtocolParser();
  validateBoth(catalog, parser, `m,t=a f=1i ${T}\nm,t=a f=2i ${T + 1n}`);
  const conflict = validateBoth(catalog, parser, `m,t=a f=1.5 ${T + 2n}\nm,t=a f=3i ${T + 3n}\nm,t=a f=4i,g=true ${T + 4n}`);
  assert.equal(conflict.errors.length, 1);
  assert.match(conflict.errors[0]!.errorMessage, /invalid column type for column 'f', expected int64, got float64/);
  assert.equal(conflict.lineCount, 2);
});

test('a series validated against one catalog is validated again against another', () => {
  const parser = new LineProtocolParser();
  validateBoth(new Catalog(), parser, `m,t=a f=1i ${T}`);
  const other = new Catalog();
  const first = validateBoth(other, parser, `m,t=a f=1i ${T + 1n}`);
  assert.deepEqual(first.catalogBatch?.ops.map((op) => op.kind), ['createDatabase', 'createTable', 'addColumns']);
  // a catalog holding the same table under other column ids
  const shifted = new Catalog();
  validateBoth(shifted, new LineProtocolParser(), `m,x=1,t=b y=1,f=2i ${T}`);
  validateBoth(shifted, parser, `m,t=a f=5i ${T + 2n}`);
});
