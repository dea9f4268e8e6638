/**
 * The compaction manifest's format (docs/compaction.md): keys, round trip, golden bytes, and
 * every damage refused with a typed error naming the key; `level` in snapshot manifests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactedParquetKey, compactionKey, compactionSequenceOfKey, decodeCompactionManifest, encodeCompactionManifest, type CompactionManifest } from '../../src/persist/compaction-manifest.js';
import { PersistError } from '../../src/persist/errors.js';
import { decodeManifest, encodeManifest } from '../../src/persist/manifest.js';

const SAMPLE: CompactionManifest = {
  version: 1,
  nodeId: 'node-1',
  compactionSequenceNumber: 7,
  createdAtMs: 1_700_000_000_000,
  dbId: 0,
  tableId: 2,
  level: 2,
  windowStartNs: 1_699_920_000_000_000_000n,
  removed: ['node-1/dbs/0/2/2023-11-14/00-00/00000000003.parquet', 'node-1/dbs/0/2/2023-11-14/00-10/00000000004.parquet'],
  added: [
    { key: 'node-1/dbs/0/2/2023-11-14/c2-00000000007.parquet', dbId: 0, tableId: 2, chunkTimeNs: 1_699_920_000_000_000_000n, minTimeNs: 1_699_920_001_000_000_000n, maxTimeNs: 1_699_921_199_000_000_000n, rowCount: 42, sizeBytes: 1234, columnIds: [0, 1, 2], snapshotSequenceNumber: 4, level: 2 },
  ],
};

test('compaction keys sort newest first; compacted file keys name level and sequence, and give the sequence back', () => {
  assert.ok(compactionKey('n', 2) < compactionKey('n', 1));
  assert.equal(compactionKey('n', 1), 'n/compactions/9007199254740990.info.json');
  assert.equal(compactedParquetKey('n', 3, 4, 1_699_920_000_000_000_000n, 3, 12), 'n/dbs/3/4/2023-11-14/c3-00000000012.parquet');
  assert.equal(compactedParquetKey('n', 3, 4, -1n, 2, 1), 'n/dbs/3/4/1969-12-31/c2-00000000001.parquet');
  assert.equal(compactionSequenceOfKey('n/dbs/3/4/2023-11-14/c3-00000000012.parquet'), 12);
  assert.equal(compactionSequenceOfKey('n/dbs/3/4/2023-11-14/00-10/00000000012.parquet'), undefined);
});

test('compaction manifests round-trip; golden bytes', () => {
  const bytes = encodeCompactionManifest(SAMPLE);
  assert.deepEqual(decodeCompactionManifest(bytes, 'k'), SAMPLE);
  const text = Buffer.from(bytes).toString();
  assert.match(text.split('\n')[0]!, /^SLUICE-COMPACTION v1 len=\d+ crc32=[0-9a-f]{8}$/);
  const golden = Buffer.from(bytes).toString('base64');
  // A change of these bytes is a format change: bump COMPACTION_FORMAT_VERSION and keep reading v1.
  assert.equal(text.split('\n')[0], GOLDEN_HEADER, `golden header (bytes: ${golden})`);
});

// The header's length and CRC-32 pin every byte of the JSON.
const GOLDEN_HEADER = 'SLUICE-COMPACTION v1 len=681 crc32=a0ef5b5b';

test('every bit flip and every truncation of a compaction manifest is a PersistError CORRUPT_MANIFEST naming the key', () => {
  const bytes = Buffer.from(encodeCompactionManifest(SAMPLE));
  let refused = 0;
  const expectRefused = (damaged: Buffer, what: string) => {
    assert.throws(() => decodeCompactionManifest(damaged, 'the-key'), (err: unknown) => err instanceof PersistError && err.code === 'CORRUPT_MANIFEST' && err.key === 'the-key', what);
    refused++;
  };
  for (let i = 0; i < bytes.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const damaged = Buffer.from(bytes);
      damaged[i]! ^= 1 << bit;
      expectRefused(damaged, `bit ${bit} of byte ${i}`);
    }
  }
  for (let n = 0; n < bytes.length; n++) expectRefused(bytes.subarray(0, n), `truncated to ${n}`);
  expectRefused(Buffer.concat([bytes, Buffer.from('x')]), 'extended');
  // A snapshot manifest is not a compaction manifest, nor the other way round.
  const snapshot = encodeManifest({ version: 2, nodeId: 'n', snapshotSequenceNumber: 1, walFileSequenceNumber: 1, catalogKey: 'c', createdAtMs: 0, forced: false, files: [] });
  expectRefused(Buffer.from(snapshot), 'a snapshot manifest');
  assert.throws(() => decodeManifest(bytes, 'k'), PersistError);
  assert.equal(refused, bytes.length * 9 + 2);
});

test('snapshot manifests carry a file\'s level only above 1, and read it back (absent: level 1)', () => {
  const file = { ...SAMPLE.added[0]! };
  const m = { version: 2, nodeId: 'n', snapshotSequenceNumber: 1, walFileSequenceNumber: 1, catalogKey: 'c', createdAtMs: 0, forced: false, files: [{ ...file, level: 1 }, file] };
  const text = Buffer.from(encodeManifest(m)).toString();
  assert.equal(text.match(/"level"/g)?.length, 1);
  const decoded = decodeManifest(Buffer.from(text), 'k');
  assert.equal(decoded.files[0]!.level, undefined);
  assert.equal(decoded.files[1]!.level, 2);
});

test('levels 4 (six hours) and 5 (ten minutes) round-trip with their keys, beside the older levels 2 and 3; other levels are refused', () => {
  for (const level of [2, 3, 4, 5] as const) {
    const key = compactedParquetKey('node-1', 0, 2, SAMPLE.windowStartNs, level, 9);
    assert.equal(key, `node-1/dbs/0/2/2023-11-14/c${level}-00000000009.parquet`);
    assert.equal(compactionSequenceOfKey(key), 9);
    const m: CompactionManifest = { ...SAMPLE, compactionSequenceNumber: 9, level, added: [{ ...SAMPLE.added[0]!, key, level }] };
    assert.deepEqual(decodeCompactionManifest(encodeCompactionManifest(m), 'k'), m);
  }
  for (const level of [1, 6]) {
    const bad = encodeCompactionManifest({ ...SAMPLE, level: level as never });
    assert.throws(() => decodeCompactionManifest(bad, 'the-key'), (err: unknown) => err instanceof PersistError && err.code === 'CORRUPT_MANIFEST' && /level/.test(err.message));
  }
  assert.equal(compactionSequenceOfKey('n/dbs/3/4/2023-11-14/c6-00000000012.parquet'), undefined);
});
