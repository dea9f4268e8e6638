import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { decodeWalFile, decodeWalFileHeader, encodeOp, encodeWalContents, FORMAT_VERSION } from '../../src/wal/codec.js';
import { CorruptWalFileError, InvalidWalOpError } from '../../src/wal/errors.js';
import type { ColumnData, TableChunk, WalContents, WalOp } from '../../src/wal/model.js';
import { FieldKind, chunkRows, tableChunkFromRows } from '../../src/wal/model.js';
import { catalogSample, mediumSample, normalizeContents, SAMPLE_HEADER, smallSample } from './codec-samples.js';

// The bytes of smallSample() in format version 1. A change of bytes must come with a new
// FORMAT_VERSION (and a new golden file); this test makes an accidental change fail.
const GOLDEN_SMALL_V1 =
  '534c55494345574c0100440001010000000dc8d90000000007000000000000000300000000000000000102030405060708090a0b0c0d0e0f06006e6f64652d317af2dfcd7b68e5cf8b010000fbffffffffffffff00002a36fe9c9717000100000001df0000000100000000000000fbffffffffffffff00002a36fe9c9717c50000000100000002000000fbffffffffffffff00002a36fe9c9717020000000090364d74ffffff01000000fbffffffffffffff0200000000000000010001000000010000000300000000000000008000303ca5cf9c97170100000000002a36fe9c97170600000000000000010001000000010000000300ffffffffffffff7f020000000400ffffffffffffffff0300000005000000000000000080040000000600010500000002000200000003000000020000006462010000006107000000c3a9202271220a';

// The same sample in format version 2 (which added the catalog op setRetentionPeriod): only the
// version field and the header checksum differ from version 1.
const GOLDEN_SMALL_V2 =
  '534c55494345574c0200440001010000000dc8d90000000007000000000000000300000000000000000102030405060708090a0b0c0d0e0f06006e6f64652d3103c660eb7b68e5cf8b010000fbffffffffffffff00002a36fe9c9717000100000001df0000000100000000000000fbffffffffffffff00002a36fe9c9717c50000000100000002000000fbffffffffffffff00002a36fe9c9717020000000090364d74ffffff01000000fbffffffffffffff0200000000000000010001000000010000000300000000000000008000303ca5cf9c97170100000000002a36fe9c97170600000000000000010001000000010000000300ffffffffffffff7f020000000400ffffffffffffffff0300000005000000000000000080040000000600010500000002000200000003000000020000006462010000006107000000c3a9202271220a';

// The same sample in format version 3 (which added the cache ops): again only the version field
// and the header checksum differ.
const GOLDEN_SMALL_V3 =
  '534c55494345574c0300440001010000000dc8d90000000007000000000000000300000000000000000102030405060708090a0b0c0d0e0f06006e6f64652d31d4d5f5f67b68e5cf8b010000fbffffffffffffff00002a36fe9c9717000100000001df0000000100000000000000fbffffffffffffff00002a36fe9c9717c50000000100000002000000fbffffffffffffff00002a36fe9c9717020000000090364d74ffffff01000000fbffffffffffffff0200000000000000010001000000010000000300000000000000008000303ca5cf9c97170100000000002a36fe9c97170600000000000000010001000000010000000300ffffffffffffff7f020000000400ffffffffffffffff0300000005000000000000000080040000000600010500000002000200000003000000020000006462010000006107000000c3a9202271220a';

const samples: Array<[string, () => WalContents]> = [
  ['small', smallSample],
  ['medium', mediumSample],
  ['catalog+snapshot', catalogSample],
];

function encode(c: WalContents): Buffer {
  return Buffer.from(encodeWalContents(c, SAMPLE_HEADER));
}

test('every sample round-trips exactly (Maps in order, bigints exact, -0 and strings intact)', () => {
  for (const [name, make] of samples) {
    const { header, contents } = decodeWalFile(encode(make()), name);
    assert.deepEqual(normalizeContents(contents), normalizeContents(make()), name);
    assert.equal(header.nodeId, 'node-1');
    assert.equal(header.writerEpoch, 3n);
    assert.equal(header.walFileSequenceNumber, make().walFileNumber);
    assert.deepEqual([...header.putId], [...SAMPLE_HEADER.putId]);
  }
  const small = decodeWalFile(encode(smallSample()), 's').contents;
  const op = small.ops[0]!;
  assert.ok(op.kind === 'write');
  const row = chunkRows([...op.batch.tableChunks.get(2)!.chunkTimeToChunk.values()][1]!)[0]!;
  assert.ok(Object.is(row.fields.find((f) => f.columnId === 3)!.value, -0));
  const medium = decodeWalFile(encode(mediumSample()), 'm').contents.ops[0]!;
  assert.ok(medium.kind === 'write');
  const sparse = [...medium.batch.tableChunks.get(1)!.chunkTimeToChunk.values()][0]!.columns.get(3)!;
  assert.ok(sparse.validity !== undefined, 'a sparse column keeps its validity bitmap');
});

function oneChunkOp(chunk: TableChunk): WalOp {
  return { kind: 'write', batch: { databaseId: 0, databaseName: 'd', minTimeNs: 0n, maxTimeNs: 0n, tableChunks: new Map([[0, { minTimeNs: 0n, maxTimeNs: 0n, chunkTimeToChunk: new Map([[0n, chunk]]) }]]) } };
}

test('NaN and infinities keep their bits', () => {
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE]) {
    const c: WalContents = {
      persistTimestampMs: 0,
      minTimestampNs: 0n,
      maxTimestampNs: 0n,
      walFileNumber: 1,
      ops: [oneChunkOp(tableChunkFromRows([{ timeNs: 0n, fields: [{ columnId: 0, kind: FieldKind.Float64, value }] }]))],
    };
    assert.deepEqual(normalizeContents(decodeWalFile(encode(c), 'f').contents), normalizeContents(c));
  }
});

test('golden bytes: format version 3 encodes the small sample exactly so', () => {
  assert.equal(FORMAT_VERSION, 3, 'a new version needs a new golden file');
  assert.equal(encode(smallSample()).toString('hex'), GOLDEN_SMALL_V3);
  assert.deepEqual(normalizeContents(decodeWalFile(Buffer.from(GOLDEN_SMALL_V3, 'hex'), 'golden').contents), normalizeContents(smallSample()));
});

test('version 1 and 2 files (written before retention periods and caches) are still read, and a version 4 one refused', () => {
  for (const [version, golden] of [[1, GOLDEN_SMALL_V1], [2, GOLDEN_SMALL_V2]] as const) {
    const { header, contents } = decodeWalFile(Buffer.from(golden, 'hex'), `golden-v${version}`);
    assert.equal(header.formatVersion, version);
    assert.deepEqual(normalizeContents(contents), normalizeContents(smallSample()));
  }
  const v4 = Buffer.from(GOLDEN_SMALL_V3, 'hex');
  v4.writeUInt16LE(4, 8);
  assert.throws(() => decodeWalFile(v4, 'v4'), (err: unknown) => err instanceof CorruptWalFileError && /unsupported format version 4 \(this build reads 1, 2 and 3\)/.test(err.message));
});

test('cache ops round-trip (a last cache with and without explicit value columns, a distinct cache, both deletes); a version 2 file holding one is corrupt', () => {
  const c: WalContents = {
    persistTimestampMs: 0,
    minTimestampNs: 0n,
    maxTimestampNs: 0n,
    walFileNumber: 1,
    ops: [
      {
        kind: 'catalog',
        batch: {
          databaseId: 1,
          databaseName: 'd',
          timeNs: 5n,
          ops: [
            { kind: 'createLastCache', cache: { tableId: 2, tableName: 'cpu', name: 'cpu_host_last_cache', keyColumnIds: [1], valueColumnIds: undefined, count: 1, ttlSeconds: 14_400 } },
            { kind: 'createLastCache', cache: { tableId: 2, tableName: 'cpu', name: 'lc', keyColumnIds: [], valueColumnIds: [3, 0], count: 10, ttlSeconds: 0 } },
            { kind: 'createDistinctCache', cache: { tableId: 2, tableName: 'cpu', name: 'dc', columnIds: [1, 4], maxCardinality: 100_000, maxAgeSeconds: 86_400 } },
            { kind: 'deleteLastCache', tableId: 2, tableName: 'cpu', cacheName: 'lc' },
            { kind: 'deleteDistinctCache', tableId: 2, tableName: 'cpu', cacheName: 'dc' },
          ],
        },
      },
    ],
  };
  const bytes = encode(c);
  assert.deepEqual(normalizeContents(decodeWalFile(bytes, 'caches').contents), normalizeContents(c));
  // The same bytes claiming version 2 (header re-sealed): the op kind did not exist then.
  const v2 = Buffer.from(bytes);
  v2.writeUInt16LE(2, 8);
  const headerLength = v2.readUInt16LE(10);
  v2.writeUInt32LE(crc32(v2.subarray(0, headerLength - 4)), headerLength - 4);
  assert.throws(() => decodeWalFile(v2, 'v2-caches'), (err: unknown) => err instanceof CorruptWalFileError && /catalog op kind 7 in a version 2 file/.test(err.message));
  assert.throws(() => encodeOp({ kind: 'catalog', batch: { databaseId: 1, databaseName: 'd', timeNs: 0n, ops: [{ kind: 'createLastCache', cache: { tableId: 2, tableName: 'cpu', name: 'x', keyColumnIds: [], valueColumnIds: undefined, count: 1, ttlSeconds: -1 } }] } }), InvalidWalOpError);
});

test('setRetentionPeriod round-trips; a negative period is refused when encoding', () => {
  const c: WalContents = {
    persistTimestampMs: 0,
    minTimestampNs: 0n,
    maxTimestampNs: 0n,
    walFileNumber: 1,
    ops: [{ kind: 'catalog', batch: { databaseId: 1, databaseName: 'd', timeNs: 0n, ops: [{ kind: 'createDatabase' }, { kind: 'setRetentionPeriod', retentionPeriodNs: 3_600_000_000_000n }] } }],
  };
  assert.deepEqual(normalizeContents(decodeWalFile(encode(c), 'r').contents), normalizeContents(c));
  assert.throws(() => encodeOp({ kind: 'catalog', batch: { databaseId: 1, databaseName: 'd', timeNs: 0n, ops: [{ kind: 'setRetentionPeriod', retentionPeriodNs: -1n }] } }), InvalidWalOpError);
});

test('decodeWalFileHeader reads the put id without the payload', () => {
  const bytes = encode(mediumSample());
  const header = decodeWalFileHeader(bytes.subarray(0, 80), 'h');
  assert.deepEqual([...header.putId], [...SAMPLE_HEADER.putId]);
  assert.equal(header.walFileSequenceNumber, 12);
});

test('malformed chunks are refused at encode time with InvalidWalOpError', () => {
  const withColumn = (column: ColumnData, rowCount = 2): WalOp => oneChunkOp({ rowCount, timeNs: new BigInt64Array(2), columns: new Map([[0, column]]) });
  assert.throws(() => encodeOp(withColumn({ kind: FieldKind.Int64, values: new BigInt64Array(1) })), InvalidWalOpError, 'fewer values than rows');
  assert.throws(() => encodeOp(withColumn({ kind: FieldKind.Int64, values: new Float64Array(2) } as unknown as ColumnData)), InvalidWalOpError, 'wrong array type');
  assert.throws(() => encodeOp(withColumn({ kind: FieldKind.Boolean, values: Uint8Array.of(1, 2) })), InvalidWalOpError, 'boolean 2');
  assert.throws(() => encodeOp(withColumn({ kind: FieldKind.Tag, indices: Uint32Array.of(0, 1), dictionary: ['only'] })), InvalidWalOpError, 'index past the dictionary');
  assert.throws(() => encodeOp(withColumn({ kind: FieldKind.Tag, indices: Uint32Array.of(0, 0), dictionary: [5 as unknown as string] })), InvalidWalOpError, 'non-string');
  assert.throws(() => encodeOp(withColumn({ kind: 99, values: new Uint8Array(2) } as unknown as ColumnData)), InvalidWalOpError, 'unknown kind');
  assert.throws(() => encodeOp(withColumn({ kind: FieldKind.Float64, values: new Float64Array(2) }, 3)), InvalidWalOpError, 'more rows than times');
  // an index past the dictionary is fine where the row has no value
  encodeOp(withColumn({ kind: FieldKind.Tag, indices: Uint32Array.of(0, 7), dictionary: ['a'], validity: Uint8Array.of(1) }));
});

test('building a chunk from rows refuses values a typed array would wrap', () => {
  assert.throws(() => tableChunkFromRows([{ timeNs: 0n, fields: [{ columnId: 0, kind: FieldKind.Int64, value: 1n << 63n }] }]), RangeError);
  assert.throws(() => tableChunkFromRows([{ timeNs: 0n, fields: [{ columnId: 0, kind: FieldKind.UInt64, value: -1n }] }]), RangeError);
});

function expectCorrupt(bytes: Uint8Array, source: string): void {
  try {
    decodeWalFile(bytes, source);
  } catch (err) {
    if (err instanceof CorruptWalFileError && err.message.includes(source)) return;
    throw new Error(`${source}: expected CorruptWalFileError, got ${String(err)}`);
  }
  throw new Error(`${source}: damaged bytes decoded without error`);
}

test('every single-bit flip, every truncation and appended bytes are detected as CorruptWalFileError', () => {
  let flips = 0;
  let truncations = 0;
  for (const [name, make] of samples) {
    const good = encode(make());
    for (let i = 0; i < good.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = Buffer.from(good);
        damaged[i]! ^= 1 << bit;
        expectCorrupt(damaged, `${name}@${i}.${bit}`);
        flips++;
      }
    }
    for (let len = 0; len < good.length; len++) {
      expectCorrupt(good.subarray(0, len), `${name}[0,${len})`);
      truncations++;
    }
    expectCorrupt(Buffer.concat([good, Buffer.from([0])]), `${name}+1`);
  }
  console.log(`codec corruption: ${flips} bit flips and ${truncations} truncations of ${samples.length} sample files, all detected`);
});

/** Re-seals a damaged payload with valid checksums, so the structural checks (not the CRC) must catch it. */
function reseal(bytes: Buffer): Buffer {
  const headerLength = bytes.readUInt16LE(10);
  const out = Buffer.from(bytes);
  out.writeUInt32LE(out.length - headerLength, 12);
  out.writeUInt32LE(crc32(out.subarray(headerLength)), 16);
  out.writeUInt32LE(crc32(out.subarray(0, headerLength - 4)), headerLength - 4);
  return out;
}

test('structural fuzz: resealed random damage yields only CorruptWalFileError or a valid decode, never a crash or a huge allocation', () => {
  const seed = testSeed();
  console.log(`codec fuzz seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const bases = samples.map(([, make]) => encode(make()));
  const iterations = 20_000;
  let rejected = 0;
  let decoded = 0;
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < iterations; i++) {
    const base = bases[rng.nextInt(bases.length)]!;
    const headerLength = base.readUInt16LE(10);
    const damaged = Buffer.from(base);
    const mutations = 1 + rng.nextInt(4);
    for (let m = 0; m < mutations; m++) {
      const at = headerLength + rng.nextInt(damaged.length - headerLength);
      switch (rng.nextInt(3)) {
        case 0:
          damaged[at] = rng.nextInt(256);
          break;
        case 1: // a length or count rewritten to something huge
          if (at + 4 <= damaged.length) damaged.writeUInt32LE([0xffffffff, 0x7fffffff, 0x10000000, rng.nextU32()][rng.nextInt(4)]!, at);
          break;
        default:
          if (at + 2 <= damaged.length) damaged.writeUInt16LE(0xffff, at);
      }
    }
    try {
      decodeWalFile(reseal(damaged), `fuzz-${i}`);
      decoded++;
    } catch (err) {
      if (!(err instanceof CorruptWalFileError)) throw new Error(`seed ${seed} iteration ${i}: ${String(err)}`);
      rejected++;
    }
  }
  const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  console.log(`codec fuzz: ${iterations} resealed mutations, ${rejected} rejected, ${decoded} still well-formed, heap growth ${heapGrowthMb.toFixed(1)} MB`);
  assert.ok(rejected > iterations / 2);
  assert.ok(heapGrowthMb < 200);
});
