/**
 * Every corruption detected, none misread (reliability goal R4): every single-bit flip, every
 * truncation and appended garbage of a corpus of WAL files, snapshot manifests and catalogs is
 * a typed error naming the file — CorruptWalFileError for WAL files, PersistError
 * CORRUPT_MANIFEST / CORRUPT_CATALOG for the sealed JSON documents — and every undamaged file
 * decodes to exactly what was encoded. End to end: a damaged file on a store makes
 * SluiceDatabase.open fail with that error, and the failed open changes nothing on the store
 * but the writer epoch it claims before listing the WAL (DESIGN.md §3.4: epochs are never
 * deleted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalog } from '../../src/catalog/catalog.js';
import { SluiceDatabase } from '../../src/database/database.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { listAll, type ObjectStore } from '../../src/objectstore/types.js';
import { PersistError } from '../../src/persist/errors.js';
import { decodeCatalogFile } from '../../src/persist/load.js';
import { catalogKey, decodeManifest, encodeManifest, manifestKey, type PersistedFile, type SnapshotManifest } from '../../src/persist/manifest.js';
import { decodeWalFile, encodeWalContents } from '../../src/wal/codec.js';
import { CorruptWalFileError } from '../../src/wal/errors.js';
import type { CatalogOp, Field, Row, WalContents, WalOp } from '../../src/wal/model.js';
import { FieldKind, I64_MAX, I64_MIN, tableChunkFromRows, U64_MAX } from '../../src/wal/model.js';
import { walFileKey } from '../../src/wal/paths.js';
import { runSeeds } from '../support/regressions.js';
import { catalogSample, mediumSample, normalizeContents, SAMPLE_HEADER, smallSample } from '../wal/codec-samples.js';

/** Files up to this size get every single-bit flip; larger ones the header's and sampled positions. */
const EXHAUSTIVE_FLIP_BYTES = Number(process.env.CORRUPTION_EXHAUSTIVE_BYTES ?? 64 * 1024);
/** Random byte positions (× 8 bits) flipped in files larger than that. */
const SAMPLED_FLIP_BYTES = Number(process.env.CORRUPTION_SAMPLED_BYTES ?? 512);
const APPENDED_MAX_BYTES = 64;

// ---- the WAL corpus ------------------------------------------------------------------------------

type Header = { nodeId: string; writerEpoch: bigint; putId: Uint8Array };

function writeOp(databaseId: number, databaseName: string, tables: Array<[number, bigint, Row[]]>): WalOp {
  const tableChunks = new Map<number, { minTimeNs: bigint; maxTimeNs: bigint; chunkTimeToChunk: Map<bigint, ReturnType<typeof tableChunkFromRows>> }>();
  let min = I64_MAX;
  let max = I64_MIN;
  for (const [tableId, chunkTime, rows] of tables) {
    let t = tableChunks.get(tableId);
    if (t === undefined) tableChunks.set(tableId, (t = { minTimeNs: I64_MAX, maxTimeNs: I64_MIN, chunkTimeToChunk: new Map() }));
    t.chunkTimeToChunk.set(chunkTime, tableChunkFromRows(rows));
    for (const r of rows) {
      if (r.timeNs < t.minTimeNs) t.minTimeNs = r.timeNs;
      if (r.timeNs > t.maxTimeNs) t.maxTimeNs = r.timeNs;
      if (r.timeNs < min) min = r.timeNs;
      if (r.timeNs > max) max = r.timeNs;
    }
  }
  return { kind: 'write', batch: { databaseId, databaseName, minTimeNs: min, maxTimeNs: max, tableChunks } };
}

function contents(walFileNumber: number, ops: WalOp[], snapshot?: WalContents['snapshot']): WalContents {
  return { persistTimestampMs: 1_700_000_000_000 + walFileNumber, minTimestampNs: 0n, maxTimestampNs: 1n, walFileNumber, ops, ...(snapshot === undefined ? {} : { snapshot }) };
}

const oneField = (kind: Field['kind'], values: Array<Field['value']>): Row[] => values.map((value, i) => ({ timeNs: BigInt(i) * 1_000_000_000n, fields: [{ columnId: 1, kind, value } as Field] }));

/** Rows with every field kind, `count` of them, strings of `stringBytes` characters; sparse when asked. */
function mixedRows(count: number, rng: SeededRng, stringBytes = 8, isSparse = false): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const fields: Field[] = [
      { columnId: 0, kind: FieldKind.Tag, value: `host-${i % 7}` },
      { columnId: 1, kind: FieldKind.Int64, value: BigInt(rng.nextU32()) - 2_000_000_000n },
      { columnId: 2, kind: FieldKind.UInt64, value: BigInt(rng.nextU32()) * 3n },
      { columnId: 3, kind: FieldKind.Float64, value: rng.nextFloat() * 1e6 - 5e5 },
      { columnId: 4, kind: FieldKind.Boolean, value: rng.nextInt(2) === 1 },
      { columnId: 5, kind: FieldKind.String, value: `v${i}-`.padEnd(stringBytes, 'xé') },
    ];
    rows.push({ timeNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, fields: isSparse ? fields.filter((_, k) => k === 0 || (i + k) % 3 !== 0) : fields });
  }
  return rows;
}

const CHUNK = 1_699_999_800_000_000_000n;

function catalogOp(databaseId: number, databaseName: string, ops: CatalogOp[]): WalOp {
  return { kind: 'catalog', batch: { databaseId, databaseName, timeNs: 5n, ops } };
}

/** ≥ 20 WAL files: every op and field kind, catalog ops, snapshot markers, noops, empty, small and large. */
function walCorpus(): Array<{ name: string; contents: WalContents; header: Header }> {
  const rng = new SeededRng(20_260_601);
  const h = (nodeId = SAMPLE_HEADER.nodeId, writerEpoch = SAMPLE_HEADER.writerEpoch): Header => ({ nodeId, writerEpoch, putId: rng.bytes(16) });
  const snap = (seq: number, first: number, last: number, forced = false) => ({ snapshotSequenceNumber: seq, endTimeMarkerNs: 600_000_000_000n * BigInt(seq), firstWalSequenceNumber: first, lastWalSequenceNumber: last, forced });
  const files: Array<{ name: string; contents: WalContents; header: Header }> = [
    { name: 'small (every field kind, extremes)', contents: smallSample(), header: SAMPLE_HEADER },
    { name: 'medium (sparse, repeated strings, noop)', contents: mediumSample(), header: SAMPLE_HEADER },
    { name: 'catalog ops of every kind + snapshot marker', contents: catalogSample(), header: SAMPLE_HEADER },
    { name: 'no ops', contents: contents(1, []), header: h() },
    { name: 'one noop', contents: contents(2, [{ kind: 'noop', timestampNs: -1n }]), header: h() },
    { name: 'snapshot marker only', contents: contents(3, [], snap(1, 1, 2, true)), header: h() },
    { name: 'noop + snapshot marker', contents: contents(4, [{ kind: 'noop', timestampNs: 9n }], snap(7, 3, 4)), header: h() },
    { name: 'tags only', contents: contents(5, [writeOp(0, 'd', [[0, 0n, [{ timeNs: 1n, fields: [{ columnId: 0, kind: FieldKind.Tag, value: 'only' }] }]]])]), header: h() },
    { name: 'int64 extremes', contents: contents(6, [writeOp(0, 'd', [[1, 0n, oneField(FieldKind.Int64, [I64_MIN, -1n, 0n, 1n, I64_MAX])]])]), header: h() },
    { name: 'uint64 extremes', contents: contents(7, [writeOp(0, 'd', [[1, 0n, oneField(FieldKind.UInt64, [0n, 1n, 1n << 63n, U64_MAX])]])]), header: h() },
    { name: 'floats (NaN, ±Inf, -0, subnormal)', contents: contents(8, [writeOp(0, 'd', [[1, 0n, oneField(FieldKind.Float64, [Number.NaN, Infinity, -Infinity, -0, Number.MIN_VALUE, 1.5])]])]), header: h() },
    { name: 'booleans', contents: contents(9, [writeOp(0, 'd', [[1, 0n, oneField(FieldKind.Boolean, [true, false, false, true, true, true, false, true, true])]])]), header: h() },
    { name: 'strings (empty, unicode, RTL, NUL, newlines)', contents: contents(10, [writeOp(0, 'd', [[1, 0n, oneField(FieldKind.String, ['', 'a', 'é"\\\n', 'שלום עולם', 'e\u0301\u0000x', '🦆'.repeat(20)])]])]), header: h() },
    { name: 'negative times, several chunks', contents: contents(11, [writeOp(2, 'neg', [[0, -600_000_000_000n, [{ timeNs: -5n, fields: [{ columnId: 1, kind: FieldKind.Int64, value: 5n }] }]], [0, 0n, [{ timeNs: 5n, fields: [{ columnId: 1, kind: FieldKind.Int64, value: 6n }] }]]])]), header: h() },
    { name: 'multi-database, multi-table', contents: contents(12, [writeOp(0, 'a', [[0, CHUNK, mixedRows(5, rng)], [1, CHUNK, mixedRows(3, rng)]]), writeOp(1, 'b', [[0, CHUNK, mixedRows(4, rng)]]), writeOp(2, 'c', [[7, CHUNK, mixedRows(2, rng)]])]), header: h() },
    { name: 'catalog + write in one file (as the writer sends them)', contents: contents(13, [catalogOp(0, 'db', [{ kind: 'createDatabase' }, { kind: 'createTable', tableId: 0, tableName: 'cpu', columns: [{ id: 0, name: 'time', type: 'time' }, { id: 1, name: 'host', type: 'tag' }] }]), writeOp(0, 'db', [[0, CHUNK, mixedRows(3, rng)]])]), header: h() },
    { name: 'unicode names in catalog ops', contents: contents(14, [catalogOp(3, 'ünï', [{ kind: 'createDatabase' }, { kind: 'createTable', tableId: 0, tableName: 'a/b\\..%2F ש e\u0301', columns: [{ id: 0, name: 'time', type: 'time' }, { id: 1, name: '🦆', type: 'string' }] }])]), header: h() },
    { name: 'sparse mixed rows', contents: contents(15, [writeOp(0, 'd', [[0, CHUNK, mixedRows(50, rng, 8, true)]])]), header: h() },
    { name: 'longest node id (255 bytes), big epoch', contents: contents(16, [{ kind: 'noop', timestampNs: 0n }]), header: h('n'.repeat(255), (1n << 63n) + 5n) },
    { name: 'sequence number near the key limit', contents: contents(99_999_999_999, [{ kind: 'noop', timestampNs: 0n }]), header: h() },
    { name: 'many catalog ops', contents: contents(17, [catalogOp(0, 'db', Array.from({ length: 40 }, (_, i): CatalogOp => ({ kind: 'createTable', tableId: i, tableName: `t${i}`, columns: [{ id: 0, name: 'time', type: 'time' }, { id: 1, name: `c${i}`, type: 'float64' }] })))]), header: h() },
    { name: 'large (~40 KiB: 400 rows, every kind)', contents: contents(18, [writeOp(0, 'd', [[0, CHUNK, mixedRows(400, rng, 40)]])]), header: h() },
    { name: 'very large (~1 MiB)', contents: contents(19, [writeOp(0, 'd', [[0, CHUNK, mixedRows(9_000, rng, 70)]])]), header: h() },
  ];
  return files;
}

// ---- the damage loop -----------------------------------------------------------------------------

interface DamageCounts {
  files: number;
  /** Files whose every bit was flipped (the others: header, tail and sampled positions). */
  exhaustive: number;
  bytes: number;
  flips: number;
  truncations: number;
  appended: number;
  detected: number;
}

/**
 * Flips every bit (or, past `EXHAUSTIVE_FLIP_BYTES`, every bit of the first 256 and last 64
 * bytes and of sampled positions), truncates to every length and appends 1–64 random bytes;
 * `decode` must throw and `isExpected` accept the error each time.
 */
function damageAll(good: Buffer, label: string, decode: (b: Buffer) => unknown, isExpected: (err: unknown) => boolean, rng: SeededRng, counts: DamageCounts): void {
  const check = (bytes: Buffer, what: string): void => {
    let decoded: unknown;
    try {
      decoded = decode(bytes);
    } catch (err) {
      if (!isExpected(err)) throw new Error(`${label}: ${what}: expected the typed error naming the file, got ${String(err)}`, { cause: err });
      counts.detected++;
      return;
    }
    throw new Error(`${label}: ${what}: damaged bytes decoded without an error (${JSON.stringify(decoded, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 200)})`);
  };
  counts.files++;
  counts.bytes += good.length;
  // Millions of expected errors: capturing a stack for each would be most of the run time.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    damageEach(good, check, rng, counts);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function damageEach(good: Buffer, check: (bytes: Buffer, what: string) => void, rng: SeededRng, counts: DamageCounts): void {
  const positions: number[] = [];
  if (good.length <= EXHAUSTIVE_FLIP_BYTES) {
    for (let i = 0; i < good.length; i++) positions.push(i);
    counts.exhaustive++;
  } else {
    const chosen = new Set<number>();
    for (let i = 0; i < 256; i++) chosen.add(i);
    for (let i = good.length - 64; i < good.length; i++) chosen.add(i);
    while (chosen.size < 320 + SAMPLED_FLIP_BYTES) chosen.add(rng.nextInt(good.length));
    positions.push(...[...chosen].sort((a, b) => a - b));
  }
  const work = Buffer.from(good);
  for (const i of positions) {
    for (let bit = 0; bit < 8; bit++) {
      work[i]! ^= 1 << bit;
      check(work, `bit ${bit} of byte ${i} flipped`);
      work[i]! ^= 1 << bit;
      counts.flips++;
    }
  }
  for (let len = 0; len < good.length; len++) {
    check(good.subarray(0, len), `truncated to ${len} bytes`);
    counts.truncations++;
  }
  for (let extra = 1; extra <= APPENDED_MAX_BYTES; extra++) {
    check(Buffer.concat([good, Buffer.from(rng.bytes(extra))]), `${extra} bytes appended`);
    counts.appended++;
  }
}

const newCounts = (): DamageCounts => ({ files: 0, exhaustive: 0, bytes: 0, flips: 0, truncations: 0, appended: 0, detected: 0 });
const line = (what: string, c: DamageCounts): string =>
  `# corruption ${what}: ${c.files} files (${c.bytes} bytes; every bit flipped in ${c.exhaustive}, header/tail/sampled bits in ${c.files - c.exhaustive}), ${c.flips} bit flips, ${c.truncations} truncations, ${c.appended} appended-garbage cases; detected ${c.detected} of ${c.flips + c.truncations + c.appended}, misread 0, false positives 0`;

test('WAL files: every bit flip, truncation and appended garbage is a CorruptWalFileError naming the file; every good file decodes exactly', async () => {
  const base = testSeed();
  console.log(`# corruption seed ${base} (replay: SEED=${base})`);
  await runSeeds('corruption-wal', base, 1, async (seed) => walCorruption(seed));
});

function walCorruption(seed: number): void {
  const rng = new SeededRng(seed);
  const corpus = walCorpus();
  assert.ok(corpus.length >= 20);
  const counts = newCounts();
  for (const { name, contents: c, header } of corpus) {
    const key = walFileKey(header.nodeId, c.walFileNumber);
    const good = Buffer.from(encodeWalContents(c, header));
    const decoded = decodeWalFile(good, key);
    assert.deepEqual(normalizeContents(decoded.contents), normalizeContents(c), `${name} decodes to what was encoded`);
    assert.equal(decoded.header.nodeId, header.nodeId);
    assert.equal(decoded.header.writerEpoch, header.writerEpoch);
    damageAll(good, `${name} (${key}, seed ${seed})`, (b) => decodeWalFile(b, key), (err) => err instanceof CorruptWalFileError && err.source === key && err.message.includes(key), rng, counts);
  }
  console.log(line('WAL', counts));
  assert.equal(counts.detected, counts.flips + counts.truncations + counts.appended);
}

// ---- manifests and catalogs ------------------------------------------------------------------------

function persistedFile(i: number, snapshotSequenceNumber: number): PersistedFile {
  return {
    key: `node-1/dbs/${i % 3}/${i}/2023-11-14/22-${String(i % 60).padStart(2, '0')}/00000000017.parquet`,
    dbId: i % 3,
    tableId: i,
    chunkTimeNs: 1_700_000_400_000_000_000n - BigInt(i) * 600_000_000_000n,
    minTimeNs: -9_223_372_036_854_775_808n + BigInt(i),
    maxTimeNs: 9_223_372_036_854_775_807n - BigInt(i),
    rowCount: 1000 + i,
    sizeBytes: 5123 * (i + 1),
    columnIds: Array.from({ length: 1 + (i % 9) }, (_, k) => k),
    snapshotSequenceNumber,
  };
}

function manifest(snapshotSequenceNumber: number, fileCount: number, forced = false): SnapshotManifest {
  return {
    version: 2,
    nodeId: 'node-1',
    snapshotSequenceNumber,
    walFileSequenceNumber: snapshotSequenceNumber * 10 + 7,
    catalogKey: catalogKey('node-1', snapshotSequenceNumber),
    createdAtMs: 1_700_000_000_000 + snapshotSequenceNumber,
    forced,
    files: Array.from({ length: fileCount }, (_, i) => persistedFile(i, snapshotSequenceNumber)),
  };
}

function catalogOf(databases: number, tablesPer: number, columnsPer: number, name: (kind: string, i: number) => string): Catalog {
  const c = new Catalog({ maxDatabases: 1000, maxTables: 100_000, maxColumnsPerTable: 1000 });
  for (let d = 0; d < databases; d++) {
    const ops: CatalogOp[] = [{ kind: 'createDatabase' }];
    for (let t = 0; t < tablesPer; t++) {
      ops.push({ kind: 'createTable', tableId: t, tableName: name('table', t), columns: [{ id: 0, name: 'time', type: 'time' }, ...Array.from({ length: columnsPer }, (_, k) => ({ id: k + 1, name: name('column', k), type: (['tag', 'int64', 'uint64', 'float64', 'string', 'bool'] as const)[k % 6]! }))] });
    }
    c.applyCatalogBatch({ databaseId: d * 2, databaseName: `db_${d}`, timeNs: 0n, ops });
  }
  return c;
}

test('snapshot manifests and catalogs: every bit flip, truncation and appended garbage is a PersistError naming the file; every good one reads back exactly', async () => {
  await runSeeds('corruption-documents', testSeed(), 1, async (seed) => documentCorruption(seed));
});

function documentCorruption(seed: number): void {
  const rng = new SeededRng(seed);
  const manifests: Array<[string, SnapshotManifest]> = [
    ['empty snapshot', manifest(1, 0)],
    ['one file, forced', manifest(2, 1, true)],
    ['ten files', manifest(3, 10)],
    ['sixty files', manifest(4, 60)],
    ['largest sequence number', { ...manifest(5, 2), snapshotSequenceNumber: Number.MAX_SAFE_INTEGER - 1, walFileSequenceNumber: 99_999_999_999, catalogKey: catalogKey('node-1', Number.MAX_SAFE_INTEGER - 1) }],
  ];
  const manifestCounts = newCounts();
  for (const [name, m] of manifests) {
    const key = manifestKey(m.nodeId, m.snapshotSequenceNumber);
    const good = Buffer.from(encodeManifest(m));
    assert.deepEqual(decodeManifest(good, key), m, `${name} reads back`);
    damageAll(good, `manifest ${name} (${key}, seed ${seed})`, (b) => decodeManifest(b, key), (err) => err instanceof PersistError && err.code === 'CORRUPT_MANIFEST' && err.key === key && err.message.includes(key), rng, manifestCounts);
  }
  console.log(line('snapshot manifests', manifestCounts));

  const catalogs: Array<[string, Catalog]> = [
    ['empty', new Catalog()],
    ['one table', catalogOf(1, 1, 2, (k, i) => `${k}${i}`)],
    ['unicode, slashes, quotes, backslashes in names', catalogOf(2, 3, 4, (k, i) => `${k}/../"${i}"\\ שלום e\u0301 🦆 %2F`)],
    ['digits only (a flipped digit would be another valid name)', catalogOf(3, 4, 5, (_, i) => String(1000 + i))],
    ['larger (4 databases × 15 tables × 10 columns)', catalogOf(4, 15, 10, (k, i) => `${k}_${i}_${'x'.repeat(i % 11)}`)],
  ];
  const catalogCounts = newCounts();
  for (const [name, c] of catalogs) {
    const key = catalogKey('node-1', catalogCounts.files + 1);
    const good = Buffer.from(c.serialize());
    const limits = { maxDatabases: 1000, maxTables: 100_000, maxColumnsPerTable: 1000 };
    assert.equal(Buffer.from(decodeCatalogFile(good, key, limits).serialize()).toString(), good.toString(), `${name} reads back`);
    damageAll(good, `catalog ${name} (${key}, seed ${seed})`, (b) => decodeCatalogFile(b, key, limits), (err) => err instanceof PersistError && err.code === 'CORRUPT_CATALOG' && err.key === key && err.message.includes(key), rng, catalogCounts);
  }
  console.log(line('catalogs', catalogCounts));
}

// ---- end to end ------------------------------------------------------------------------------------

const NODE = 'node-1';

async function snapshotOf(store: ObjectStore): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const o of await listAll(store, '')) out.set(o.key, Buffer.from(await store.get(o.key)));
  return out;
}

async function storeFrom(objects: Map<string, Buffer>): Promise<MemoryObjectStore> {
  const store = new MemoryObjectStore();
  for (const [k, v] of objects) await store.put(k, v, 'create');
  return store;
}

test('a damaged WAL file, manifest or catalog on a store makes SluiceDatabase.open fail with the typed error naming it, and changes nothing but the claimed epoch', async () => {
  // A store with two snapshots and WAL files after the newest one.
  const origin = new MemoryObjectStore();
  const db = await SluiceDatabase.open({ store: origin, nodeId: NODE, wal: { flushIntervalMs: 5 }, skipStoreProbe: true });
  const base = 1_700_000_000n;
  for (let i = 0; i < 3; i++) await db.writer.writeLp('metrics', Buffer.from(`cpu,host=a usage=${i}.5,n=${i}i ${base + BigInt(i)}`), { precision: 's' });
  await db.snapshotNow();
  await db.writer.writeLp('metrics', Buffer.from(`mem,host=b free=1u ${base + 10n}`), { precision: 's' });
  await db.snapshotNow();
  for (let i = 0; i < 4; i++) await db.writer.writeLp('metrics', Buffer.from(`disk,host=c,path=/x used=${i}i ${base + 20n + BigInt(i)}`), { precision: 's' });
  await db.close();
  const objects = await snapshotOf(origin);

  const manifestKeys = [...objects.keys()].filter((k) => k.startsWith(`${NODE}/snapshots/`)).sort();
  assert.equal(manifestKeys.length, 2);
  const newest = decodeManifest(objects.get(manifestKeys[0]!)!, manifestKeys[0]!);
  const walAfter = [...objects.keys()].filter((k) => k.startsWith(`${NODE}/wal/`) && Number(k.slice(-15, -4)) > newest.walFileSequenceNumber).sort();
  assert.ok(walAfter.length >= 3, `WAL files after the snapshot: ${walAfter.join(', ')}`);

  // The undamaged store opens and answers.
  const clean = await storeFrom(objects);
  const reopened = await SluiceDatabase.open({ store: clean, nodeId: NODE, wal: { flushIntervalMs: 5 }, skipStoreProbe: true });
  assert.equal((await reopened.query.query('metrics', 'SELECT count(*) AS n FROM disk')).rows[0]![0], 4n);
  await reopened.close();

  const flip = (b: Buffer, at: number): Buffer => {
    const d = Buffer.from(b);
    d[at]! ^= 0x10;
    return d;
  };
  const isWal = (key: string) => (err: unknown) => err instanceof CorruptWalFileError && err.source === key;
  const isPersist = (code: string, key: string) => (err: unknown) => err instanceof PersistError && err.code === code && err.key === key && err.message.includes(key);
  const cases: Array<{ what: string; key: string; damage: (b: Buffer) => Buffer; expected: (err: unknown) => boolean }> = [
    { what: 'first WAL file after the snapshot, a digit of a value flipped', key: walAfter[0]!, damage: (b) => flip(b, b.length - 20), expected: isWal(walAfter[0]!) },
    { what: 'middle WAL file truncated by one byte', key: walAfter[1]!, damage: (b) => b.subarray(0, b.length - 1), expected: isWal(walAfter[1]!) },
    { what: 'last WAL file empty', key: walAfter.at(-1)!, damage: () => Buffer.alloc(0), expected: isWal(walAfter.at(-1)!) },
    { what: 'last WAL file, header bit flipped', key: walAfter.at(-1)!, damage: (b) => flip(b, 30), expected: isWal(walAfter.at(-1)!) },
    { what: 'newest manifest, a digit of walFileSequenceNumber flipped', key: manifestKeys[0]!, damage: (b) => flipDigitAfter(b, '"walFileSequenceNumber": '), expected: isPersist('CORRUPT_MANIFEST', manifestKeys[0]!) },
    { what: 'older manifest truncated to half', key: manifestKeys[1]!, damage: (b) => b.subarray(0, b.length >> 1), expected: isPersist('CORRUPT_MANIFEST', manifestKeys[1]!) },
    { what: 'newest catalog, a digit of a column id flipped', key: newest.catalogKey, damage: (b) => flipDigitAfter(b, '"id":'), expected: isPersist('CORRUPT_CATALOG', newest.catalogKey) },
    { what: 'newest catalog, header line damaged', key: newest.catalogKey, damage: (b) => flip(b, 3), expected: isPersist('CORRUPT_CATALOG', newest.catalogKey) },
  ];
  let refused = 0;
  let epochClaims = 0;
  for (const c of cases) {
    const damaged = new Map(objects);
    damaged.set(c.key, c.damage(objects.get(c.key)!));
    const store = await storeFrom(damaged);
    const before = await snapshotOf(store);
    let opened: SluiceDatabase | undefined;
    try {
      opened = await SluiceDatabase.open({ store, nodeId: NODE, wal: { flushIntervalMs: 5 }, skipStoreProbe: true });
    } catch (err) {
      assert.ok(c.expected(err), `${c.what}: expected the typed error naming ${c.key}, got ${String(err)}`);
      refused++;
    }
    if (opened !== undefined) {
      await opened.close(); // else its flush timer keeps the test process alive
      assert.fail(`${c.what}: the damaged store opened`);
    }
    const after = await snapshotOf(store);
    const added = [...after.keys()].filter((k) => !before.has(k));
    const epochsAdded = added.filter((k) => k.startsWith(`${NODE}/epochs/`));
    assert.equal(added.length, epochsAdded.length, `${c.what}: the failed open added ${added.join(', ')}`);
    // Every open claims its epoch first: manifests, the catalog and the WAL are all read after it.
    assert.equal(epochsAdded.length, 1, `${c.what}: epoch claims added`);
    epochClaims += epochsAdded.length;
    for (const [k, v] of before) assert.ok(after.get(k)?.equals(v), `${c.what}: the failed open changed or removed ${k}`);
  }
  console.log(`# corruption end to end: ${cases.length} damaged stores (WAL ${cases.filter((c) => c.key.includes('/wal/')).length}, manifests 2, catalogs 2), ${refused} opens refused with the typed error naming the file, 0 objects changed or removed, ${epochClaims} epoch objects added (one per open: the claim comes first)`);

  // A store written before manifests and catalogs were sealed (bare JSON, version 1) still opens.
  const v1 = new Map(objects);
  for (const [k, v] of objects) {
    if (!k.startsWith(`${NODE}/snapshots/`) && !k.startsWith(`${NODE}/catalog/`)) continue;
    const text = v.toString('utf8');
    const json = text.slice(text.indexOf('\n') + 1);
    if (k.startsWith(`${NODE}/catalog/`)) {
      // A version 1 catalog had no retention periods or tombstones (version 3 added them).
      const doc = JSON.parse(json) as { version: number; databases: Array<Record<string, unknown>>; deletedDatabases?: unknown };
      doc.version = 1;
      delete doc.deletedDatabases;
      for (const db of doc.databases) {
        delete db.retentionPeriodNs;
        delete db.deletedTables;
      }
      v1.set(k, Buffer.from(`${JSON.stringify(doc)}\n`));
    } else {
      v1.set(k, Buffer.from(json.replace(/^(\{\s*"version":\s*)2/, '$11')));
    }
  }
  const old = await SluiceDatabase.open({ store: await storeFrom(v1), nodeId: NODE, wal: { flushIntervalMs: 5 }, skipStoreProbe: true });
  assert.deepEqual(old.manifests.map((m) => m.version), [1, 1]);
  assert.equal((await old.query.query('metrics', 'SELECT count(*) AS n FROM cpu')).rows[0]![0], 3n);
  await old.close();
});

/** Changes the first digit after `marker` into another digit (a value that still parses). */
function flipDigitAfter(b: Buffer, marker: string): Buffer {
  const at = b.indexOf(marker) + marker.length;
  assert.ok(at >= marker.length && b[at]! >= 0x30 && b[at]! <= 0x39, `a digit after ${marker}`);
  const d = Buffer.from(b);
  d[at] = d[at] === 0x31 ? 0x33 : 0x31;
  return d;
}
