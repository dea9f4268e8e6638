import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PersistError } from '../../src/persist/errors.js';
import { decodeManifest, encodeManifest, manifestKey, parquetKey, type SnapshotManifest } from '../../src/persist/manifest.js';

test('manifest keys are distinct and sort newest first, up to the largest safe sequence number', () => {
  const seqs = [1, 2, 3, 4, 9, 10, 99, 100, 12345, 2 ** 32, 2 ** 40 + 1, 2 ** 52, Number.MAX_SAFE_INTEGER - 1];
  const keys = seqs.map((s) => manifestKey('n', s));
  assert.equal(new Set(keys).size, keys.length);
  assert.deepEqual([...keys].sort(), [...keys].reverse());
  for (const k of keys) assert.match(k, /^n\/snapshots\/\d{16}\.info\.json$/);
});

test('Parquet keys are built from ids and the chunk time only, for times before and after 1970', () => {
  assert.equal(parquetKey('n', 3, 7, 0n, 42), 'n/dbs/3/7/1970-01-01/00-00/00000000042.parquet');
  assert.equal(parquetKey('n', 0, 0, 1_700_000_400_000_000_000n, 1), 'n/dbs/0/0/2023-11-14/22-20/00000000001.parquet');
  assert.equal(parquetKey('n', 0, 0, -600_000_000_000n, 1), 'n/dbs/0/0/1969-12-31/23-50/00000000001.parquet');
});

const SAMPLE: SnapshotManifest = {
  version: 1,
  nodeId: 'n',
  snapshotSequenceNumber: 5,
  walFileSequenceNumber: 17,
  catalogKey: 'n/catalog/x.catalog.json',
  createdAtMs: 1,
  forced: false,
  files: [{ key: 'n/dbs/0/0/a.parquet', dbId: 0, tableId: 0, chunkTimeNs: -600_000_000_000n, minTimeNs: -1n, maxTimeNs: 9_000_000_000_000_000_001n, rowCount: 3, sizeBytes: 100, columnIds: [0, 1], snapshotSequenceNumber: 5 }],
};

test('manifests round-trip (64-bit times as strings) and any damage is a typed error naming the key', () => {
  const bytes = encodeManifest(SAMPLE);
  assert.deepEqual(decodeManifest(bytes, 'k'), SAMPLE);
  const text = new TextDecoder().decode(bytes);
  const damaged = [
    text.slice(0, text.length / 2),
    text.replace('"version": 1', '"version": 2'),
    text.replace('"rowCount": 3', '"rowCount": -3'),
    text.replace('"minTimeNs": "-1"', '"minTimeNs": -1'),
    text.replace('"files": [', '"files": 7, "x": ['),
    '[]',
    '\uFFFE',
  ];
  for (const d of damaged) {
    assert.throws(() => decodeManifest(new TextEncoder().encode(d), 'n/snapshots/k.info.json'), (err: unknown) => err instanceof PersistError && err.code === 'CORRUPT_MANIFEST' && err.message.includes('n/snapshots/k.info.json'));
  }
  // Every truncation fails cleanly.
  for (let i = 0; i < bytes.length - 2; i += 7) assert.throws(() => decodeManifest(bytes.subarray(0, i), 'k'), PersistError);
});
