import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/effects/clock.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { Catalog, defaultCatalogLimits, type CatalogLimits } from '../../src/catalog/catalog.js';
import { CatalogApplier } from '../../src/catalog/notifier.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import { BufferFullError } from '../../src/wal/errors.js';
import { FieldKind, type WalConfig } from '../../src/wal/index.js';
import { LineProtocolWriter } from '../../src/write/write-lp.js';
import { WriteError } from '../../src/write/errors.js';
import { parsePrecision } from '../../src/write/precision.js';
import { serializePoint } from '../../src/lineprotocol/serializer.js';
import { RecordingNotifier, rowsOf } from '../support/wal-helpers.js';

const START_MS = Date.UTC(2025, 0, 1);
const START_NS = BigInt(START_MS) * 1_000_000n;

async function setup(config: Partial<WalConfig> = {}, limits: Partial<CatalogLimits> = {}) {
  const clock = new SimClock(START_MS);
  const store = new MemoryObjectStore({ clock });
  const catalog = new Catalog({ ...defaultCatalogLimits(), ...limits });
  const notifier = new RecordingNotifier();
  const wal = await openWal({ store, nodeId: 'node', notifier: new CatalogApplier(catalog, notifier), clock, config: { flushIntervalMs: 100, ...config } });
  const writer = new LineProtocolWriter(catalog, wal, { clock });
  /** Writes and drives the clock until the write is acknowledged. */
  const write = async (db: string, body: string, options: Parameters<LineProtocolWriter['writeLp']>[2] = {}) => {
    const pending = writer.writeLp(db, Buffer.from(body), options);
    pending.catch(() => undefined);
    await clock.advance(200);
    return pending;
  };
  return { clock, store, catalog, notifier, wal, writer, write };
}


test('a write reaches the WAL with its schema changes ahead of the rows, in the same file', async () => {
  const { write, notifier, catalog } = await setup();
  const result = await write('mydb', 'cpu,host=a usage=1.5,n=3i 1700000000\ncpu,host=b usage=2 1700000001');
  assert.deepEqual(result, { lineCount: 2, fieldCount: 3, tagCount: 2, invalidLines: [] });
  assert.equal(notifier.files.length, 1);
  assert.deepEqual(notifier.files[0]!.ops.map((o) => o.kind), ['catalog', 'write']);
  const catalogOp = notifier.files[0]!.ops[0]!;
  assert.ok(catalogOp.kind === 'catalog');
  assert.deepEqual(catalogOp.batch.ops.map((o) => o.kind), ['createDatabase', 'createTable', 'addColumns']);
  assert.deepEqual(rowsOf(catalog, notifier.ops()), ['cpu{host=a,n=3i,usage=1.5}@1700000000000000000', 'cpu{host=b,usage=2}@1700000001000000000']);
  // a second write with the same schema carries no catalog op
  await write('mydb', 'cpu,host=c usage=3 1700000002');
  assert.deepEqual(notifier.files[1]!.ops.map((o) => o.kind), ['write']);
});

test('type conflicts are reported per line with InfluxDB’s message; accept_partial keeps the good lines', async () => {
  const { write, notifier, catalog } = await setup();
  const result = await write('db', 'm f=1 1\nm f=1i 2\nm f="x" 3\nm,f=t g=1 4\nm f=2 5');
  assert.equal(result.lineCount, 2);
  assert.deepEqual(
    result.invalidLines.map((e) => [e.lineNumber, e.errorMessage]),
    [
      [2, "invalid column type for column 'f', expected float64, got int64"],
      [3, "invalid column type for column 'f', expected float64, got string"],
      [4, "invalid column type for column 'f', expected float64, got tag"],
    ],
  );
  assert.deepEqual(rowsOf(catalog, notifier.ops()), ['m{f=1}@1000000000', 'm{f=2}@5000000000']);
  assert.equal(catalog.database('db')!.tables.get('m')!.columns.has('g'), false, 'a rejected line adds no column');
});

test('accept_partial=false rejects the whole body: nothing written, no schema change', async () => {
  const { writer, notifier, catalog, clock } = await setup();
  await assert.rejects(writer.writeLp('db', Buffer.from('m f=1 1\nm,t=x g=oops 2\nm f=3 3'), { acceptPartial: false }), (err: unknown) => {
    assert.ok(err instanceof WriteError && err.code === 'PARSE');
    assert.equal(err.lineErrors.length, 1);
    assert.equal(err.lineErrors[0]!.lineNumber, 2);
    return true;
  });
  await clock.advance(500);
  assert.equal(notifier.files.length, 0);
  assert.equal(catalog.database('db'), undefined, 'the database it would have created is not there');
});

test('physical line numbers in errors count blank lines, comments and quoted newlines', async () => {
  const { write } = await setup();
  const result = await write('db', '\n# c\nm s="a\nb" 1\n\nbad\nm s=oops 2');
  assert.deepEqual(result.invalidLines.map((e) => [e.lineNumber, e.originalLine]), [
    [6, 'bad'],
    [7, 'm s=oops 2'],
  ]);
});

test('precision: units, aliases, auto guessing, overflow, and ingest time for lines without a timestamp', async () => {
  const { write, notifier, catalog } = await setup();
  await write('db', 'm v=1 1700000000', { precision: 's' });
  await write('db', 'm v=2 1700000000001', { precision: 'ms' });
  await write('db', 'm v=3 1700000000000002', { precision: parsePrecision('u') });
  await write('db', 'm v=4 1700000000000000003', { precision: parsePrecision('nanosecond') });
  await write('db', 'm v=5 1700000000\nm v=6 1700000000007\nm v=7 1700000000000008\nm v=8 1700000000000000009'); // auto
  const r = await write('db', 'm v=9 9223372036854775807', { precision: 's' });
  assert.deepEqual(r.invalidLines.map((e) => e.errorMessage), ['timestamp, 9223372036854775807, out of range for precision: s']);
  await write('db', 'm v=10', { precision: 'ms' });
  await write('db', 'm v=11');
  assert.deepEqual(rowsOf(catalog, notifier.ops()), [
    'm{v=10}@' + String(START_NS + 1_200_000_000n), // the ingest time of the 7th write, truncated to ms
    'm{v=11}@' + String(START_NS + 1_400_000_000n),
    'm{v=1}@1700000000000000000',
    'm{v=2}@1700000000001000000',
    'm{v=3}@1700000000000002000',
    'm{v=4}@1700000000000000003',
    'm{v=5}@1700000000000000000',
    'm{v=6}@1700000000007000000',
    'm{v=7}@1700000000000008000',
    'm{v=8}@1700000000000000009',
  ]);
  assert.throws(() => parsePrecision('minutes'), /unrecognized precision unit: minutes/);
});

test('names: bad database names are refused; `time` is reserved', async () => {
  const { writer, write } = await setup();
  for (const bad of ['', '_x', '-x', 'a b', 'a/b/c', '../x', 'x'.repeat(512), 'naïve']) {
    await assert.rejects(writer.writeLp(bad, Buffer.from('m f=1')), (err: unknown) => err instanceof WriteError && err.code === 'INVALID_DATABASE', bad);
  }
  const r = await write('db', 'm time=1 1\nm,time=x f=1 2');
  assert.equal(r.lineCount, 0);
  assert.equal(r.invalidLines.length, 2);
  assert.match(r.invalidLines[0]!.errorMessage, /reserved/);
});

test('catalog limits answer with InfluxDB’s messages (columns, tables per line; databases per request)', async () => {
  const { write, writer } = await setup({}, { maxColumnsPerTable: 3, maxTables: 2, maxDatabases: 1 });
  const r = await write('db', 'm a=1,b=2 1\nm c=3 2\nn x=1 3\no x=1 4');
  assert.equal(r.lineCount, 2);
  assert.deepEqual(r.invalidLines.map((e) => [e.lineNumber, e.errorMessage, e.isLimit]), [
    [2, 'Update to schema would exceed number of columns per table limit of 3 columns', true],
    [4, 'Update to schema would exceed number of tables limit of 2 tables', true],
  ]);
  await assert.rejects(writer.writeLp('other', Buffer.from('m f=1')), (err: unknown) => err instanceof WriteError && err.code === 'LIMIT' && /Adding a new database would exceed limit of 1 databases/.test(err.message));
});

test('an empty body is EMPTY_WRITE; a body of only bad lines writes nothing and reports them', async () => {
  const { writer, write, notifier } = await setup();
  await assert.rejects(writer.writeLp('db', Buffer.from('\n# only a comment\n')), (err: unknown) => err instanceof WriteError && err.code === 'EMPTY_WRITE');
  const r = await write('db', 'bad\nworse');
  assert.equal(r.lineCount, 0);
  assert.equal(r.invalidLines.length, 2);
  assert.equal(notifier.files.length, 0);
});

test('a full WAL buffer refuses the write and undoes its schema changes in the same tick', async () => {
  const { writer, catalog, write, clock } = await setup({ maxWriteBufferSize: 2, flushSizeBytes: 1 << 30 });
  const first = writer.writeLp('db', Buffer.from('m f=1 1')); // catalog op + write op: the buffer is full
  await assert.rejects(writer.writeLp('db', Buffer.from('n,t=x g=1 1')), BufferFullError);
  assert.equal(catalog.database('db')!.tables.has('n'), false, 'the table the refused write created is gone');
  assert.ok(catalog.database('db')!.tables.has('m'));
  await clock.advance(200);
  await first;
  const again = await write('db', 'n,t=x g=1 1');
  assert.equal(again.lineCount, 1);
  assert.ok(catalog.database('db')!.tables.has('n'));
});

test('noSync acknowledges once buffered; the rows are written at the next flush', async () => {
  const { writer, notifier, clock } = await setup();
  const result = await writer.writeLp('db', Buffer.from('m f=1 1'), { noSync: true });
  assert.equal(result.lineCount, 1);
  assert.equal(notifier.files.length, 0);
  await clock.advance(200);
  assert.equal(notifier.files.length, 1);
});

test('lines with different field sets make sparse columns that round-trip through the WAL', async () => {
  const { write, notifier, catalog } = await setup();
  await write('db', 'm,h=a x=1i 1\nm,h=b y="s" 2\nm z=true 3\nm,h=a x=2i,y="t",z=false 4');
  assert.deepEqual(rowsOf(catalog, notifier.ops()), ['m{h=a,x=1i}@1000000000', 'm{h=a,x=2i,y=t,z=false}@4000000000', 'm{h=b,y=s}@2000000000', 'm{z=true}@3000000000']);
});

test('replaying the WAL rebuilds an equal catalog, and the same rows (randomized requests)', async () => {
  const seed = testSeed();
  console.log(`catalog replay seed=${seed}`);
  const rng = new SeededRng(seed);
  const { write, catalog, store, notifier, wal, clock } = await setup();
  const dbs = ['alpha', 'beta', 'gamma'];
  for (let request = 0; request < 60; request++) {
    const lines: string[] = [];
    for (let i = 0; i < 1 + rng.nextInt(8); i++) {
      const table = `t${rng.nextInt(5)}`;
      const tags: Array<[string, string]> = rng.nextInt(2) ? [[`tag${rng.nextInt(3)}`, `v${rng.nextInt(4)}`]] : [];
      const fieldKey = `f${rng.nextInt(6)}`;
      // the field's type depends on its name, so most lines agree; some use another type on purpose
      const kind = rng.nextInt(10) === 0 ? FieldKind.String : [FieldKind.Float64, FieldKind.Int64, FieldKind.UInt64, FieldKind.Boolean, FieldKind.String, FieldKind.Float64][Number(fieldKey.slice(1))]!;
      const value = kind === FieldKind.Float64 ? rng.nextFloat() : kind === FieldKind.Int64 ? BigInt(rng.nextInt(1000)) : kind === FieldKind.UInt64 ? BigInt(rng.nextInt(1000)) : kind === FieldKind.Boolean ? rng.nextInt(2) === 0 : `s${rng.nextInt(9)}`;
      lines.push(serializePoint({ measurement: table, tags, fields: [[fieldKey, kind, value]], timestamp: BigInt(request * 100 + i) }));
    }
    await write(dbs[rng.nextInt(dbs.length)]!, lines.join('\n'), { precision: 's' });
  }
  await wal.shutdown();
  const rebuilt = new Catalog();
  const replayed = new RecordingNotifier();
  const wal2 = await openWal({ store, nodeId: 'node', notifier: new CatalogApplier(rebuilt, replayed), clock, startBackgroundFlush: false });
  await wal2.shutdown();
  assert.equal(Buffer.from(rebuilt.serialize()).toString(), Buffer.from(catalog.serialize()).toString(), `seed ${seed}`);
  assert.deepEqual(rowsOf(rebuilt, replayed.ops()), rowsOf(catalog, notifier.ops()), `seed ${seed}`);
  // and the serialized catalog reads back equal
  assert.equal(Buffer.from(Catalog.deserialize(catalog.serialize()).serialize()).toString(), Buffer.from(catalog.serialize()).toString());
});
