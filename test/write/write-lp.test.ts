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
import { chunkTimeNs } from '../../src/wal/model.js';
import { LineProtocolWriter } from '../../src/write/write-lp.js';
import { WriteError } from '../../src/write/errors.js';
import { parsePrecision, storableTimeRangeNs, type Precision } from '../../src/write/precision.js';
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

test('precision names that are also properties of every object are unknown units, not a crash', () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
    assert.throws(() => parsePrecision(name), (err: unknown) => err instanceof WriteError && err.code === 'INVALID_PRECISION' && err.message === `unrecognized precision unit: ${name}`, name);
  }
});

test('the storable time range: each gen1 window inside int64, pinned for 1m, 5m and 10m', () => {
  // [gen1 duration, first storable time, last storable time] in ns
  const table: Array<[bigint, bigint, bigint]> = [
    [60_000_000_000n, -9223372020000000000n, 9223372019999999999n],
    [300_000_000_000n, -9223371900000000000n, 9223371899999999999n],
    [600_000_000_000n, -9223371600000000000n, 9223371599999999999n],
  ];
  for (const [gen1, min, max] of table) {
    assert.deepEqual(storableTimeRangeNs(gen1), { minNs: min, maxNs: max });
    assert.equal(chunkTimeNs(min, gen1), min, 'the first time opens a window');
    assert.ok(chunkTimeNs(min - 1n, gen1) < -(1n << 63n), 'one earlier falls in a window that starts below int64');
    assert.equal(chunkTimeNs(max, gen1) + gen1, max + 1n, 'the last time closes a window');
    assert.ok(chunkTimeNs(max + 1n, gen1) + gen1 > (1n << 63n) - 1n, 'one later falls in a window that ends above int64');
  }
});

test('a time outside the storable range is one rejected line: the others are stored, flushed and snapshotted', async () => {
  const { write, writer, notifier, catalog, wal, clock } = await setup();
  const { minNs, maxNs } = storableTimeRangeNs(600_000_000_000n); // the default gen1 duration, 10m
  const outside: Array<[string, Precision]> = [
    ['9223372036854775807', 's'], // past int64 once scaled
    ['9223372036855', 'ms'],
    ['-9223372036854776', 'us'],
    ['9223372036854775807', 'ns'], // int64's end: its window would end past it
    ['-9223372036854775808', 'ns'], // int64's start: its window would start before it
    [String(maxNs + 1n), 'ns'],
    [String(minNs - 1n), 'auto'],
    ['9223372037', 's'],
  ];
  for (const [timestamp, precision] of outside) {
    // the neighbours have no timestamp (the ingest time), so they are good in every unit
    const r = await write('db', `m v=1\nm v=2 ${timestamp}\nm v=3`, { precision });
    assert.equal(r.lineCount, 2, `${timestamp} ${precision}`);
    assert.deepEqual(r.invalidLines.map((e) => e.lineNumber), [2], `${timestamp} ${precision}`);
    const message = r.invalidLines.find((e) => e.lineNumber === 2)!.errorMessage;
    assert.match(message, /out of range for precision|outside the storable time range: -9223371600000000000 to 9223371599999999999 ns \(1677-09-21T00:20:00\.000Z to 2262-04-11T23:39:59\.999Z\)/, message);
  }
  // the edges themselves are stored, and a forced snapshot of them (its end marker is the last window's end) succeeds
  assert.equal((await write('db', `m v=4 ${minNs}\nm v=5 ${maxNs}`, { precision: 'ns' })).lineCount, 2);
  const snapshot = wal.forceSnapshot();
  await clock.advance(200);
  await snapshot;
  assert.ok(notifier.snapshots.some((s) => s.endTimeMarkerNs === maxNs + 1n));
  const rows = rowsOf(catalog, notifier.ops());
  assert.ok(rows.includes(`m{v=4}@${minNs}`) && rows.includes(`m{v=5}@${maxNs}`));
  assert.equal(rows.filter((r) => /v=2}/.test(r)).length, 0);
  // accept_partial=false: the bad time refuses the body as a parse error, nothing else breaks
  await assert.rejects(writer.writeLp('db', Buffer.from('m v=6 1\nm v=7 9223372036854775807'), { acceptPartial: false, precision: 'ns' }), (err: unknown) => err instanceof WriteError && err.code === 'PARSE' && err.lineErrors[0]!.lineNumber === 2);
});

test('names: bad database names are refused; a tag or field named `time` is refused per line, as InfluxDB does', async () => {
  const { writer, write, catalog } = await setup();
  for (const bad of ['', '_x', '-x', 'a b', 'a/b/c', '../x', 'x'.repeat(512), 'naïve']) {
    await assert.rejects(writer.writeLp(bad, Buffer.from('m f=1')), (err: unknown) => err instanceof WriteError && err.code === 'INVALID_DATABASE', bad);
  }
  const r = await write('db', 'm time=1 1\nm,time=x f=1 2\nm,host=a f=1,time="s" 3\nm f=2 4\nm Time=1,TIME=2 5');
  assert.deepEqual(r.invalidLines.map((e) => [e.lineNumber, e.errorMessage]), [
    [1, "invalid field key 'time': the name time is reserved for the timestamp"],
    [2, "invalid tag key 'time': the name time is reserved for the timestamp"],
    [3, "invalid field key 'time': the name time is reserved for the timestamp"],
  ]);
  assert.equal(r.lineCount, 2, 'the other lines are stored; only the exact name `time` is reserved, as names are case-sensitive');
  assert.deepEqual([...catalog.database('db')!.tables.get('m')!.columns.keys()].sort(), ['TIME', 'Time', 'f', 'time'], 'no column was renamed or added for a refused line');
  assert.equal(catalog.database('db')!.tables.get('m')!.columns.get('time')!.type, 'time');
});

test('catalog limits answer with InfluxDB’s messages (columns, tables per line; databases per request)', async () => {
  const { write, writer } = await setup({}, { maxColumnsPerTable: 3, maxTables: 2, maxDatabases: 1 });
  const r = await write('db', 'm a=1,b=2 1\nm c=3 2\nn x=1 3\no x=1 4');
  assert.equal(r.lineCount, 2);
  assert.deepEqual(r.invalidLines.map((e) => [e.lineNumber, e.errorMessage, e.isLimit]), [
    [2, 'Update to schema would exceed number of columns per table limit of 3 columns', true],
    [4, 'Update to schema would exceed number of tables limit: attempted to create table but already have 2 table(s) (limit: 2)', true],
  ]);
  await assert.rejects(writer.writeLp('other', Buffer.from('m f=1')), (err: unknown) => err instanceof WriteError && err.code === 'LIMIT' && err.message === 'Adding a new database would exceed limit of 1 databases');
});

test('the database limit refuses the next database by name with the limit in the message; the others still take writes', async () => {
  const { write, writer, catalog } = await setup({}, { maxDatabases: 100 });
  for (let i = 0; i < 100; i++) await write(`db${i}`, 'm f=1 1');
  assert.equal(catalog.listDatabases().length, 100);
  await assert.rejects(writer.writeLp('db100', Buffer.from('m f=1 1\nm f=2 2')), (err: unknown) => {
    assert.ok(err instanceof WriteError);
    assert.equal(err.code, 'LIMIT');
    assert.equal(err.message, 'Adding a new database would exceed limit of 100 databases');
    return true;
  });
  assert.equal(catalog.database('db100'), undefined);
  assert.equal((await write('db99', 'm f=3 3')).lineCount, 1);
});

test('a line with 100 000 new keys is refused at the column limit in linear time, its neighbours stored', async () => {
  const { write, catalog } = await setup();
  const wide = (n: number, kind: 'tags' | 'fields'): string =>
    kind === 'fields' ? `m ${Array.from({ length: n }, (_, i) => `f${i}=1`).join(',')} 2` : `m,${Array.from({ length: n }, (_, i) => `t${i}=v`).join(',')} f=1 2`;
  for (const kind of ['fields', 'tags'] as const) {
    const started = performance.now();
    const r = await write('db', `m ok=1 1\n${wide(100_000, kind)}\nm ok=2 3`);
    const elapsedMs = performance.now() - started;
    assert.deepEqual(r.invalidLines.map((e) => [e.lineNumber, e.errorMessage, e.isLimit]), [[2, 'Update to schema would exceed number of columns per table limit of 500 columns', true]]);
    assert.equal(r.lineCount, 2);
    // a quadratic check took ~20 s here; linear, it is well under a second even on a busy machine
    assert.ok(elapsedMs < 5000, `${kind}: ${elapsedMs.toFixed(0)} ms`);
  }
  assert.deepEqual([...catalog.database('db')!.tables.get('m')!.columns.keys()].sort(), ['ok', 'time']);
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
