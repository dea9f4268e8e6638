import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { PersistError } from '../../src/persist/errors.js';
import { decodeManifest, encodeManifest, manifestKey, MANIFEST_FORMAT_VERSION, parquetKey, type SnapshotManifest } from '../../src/persist/manifest.js';

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
  version: 2,
  nodeId: 'n',
  snapshotSequenceNumber: 5,
  walFileSequenceNumber: 17,
  catalogKey: 'n/catalog/x.catalog.json',
  createdAtMs: 1,
  forced: false,
  files: [{ key: 'n/dbs/0/0/a.parquet', dbId: 0, tableId: 0, chunkTimeNs: -600_000_000_000n, minTimeNs: -1n, maxTimeNs: 9_000_000_000_000_000_001n, rowCount: 3, sizeBytes: 100, columnIds: [0, 1], snapshotSequenceNumber: 5 }],
};

/** A payload behind a freshly computed header: the structural checks (not the checksum) must catch it. */
function seal(json: string): Uint8Array {
  const payload = Buffer.from(json);
  return Buffer.concat([Buffer.from(`SLUICE-MANIFEST v2 len=${payload.length} crc32=${crc32(payload).toString(16).padStart(8, '0')}\n`), payload]);
}

function isCorruptNaming(key: string): (err: unknown) => boolean {
  return (err: unknown) => err instanceof PersistError && err.code === 'CORRUPT_MANIFEST' && err.message.includes(key);
}

test('manifests round-trip (64-bit times as strings) in a sealed, readable document', () => {
  const bytes = encodeManifest(SAMPLE);
  assert.deepEqual(decodeManifest(bytes, 'k'), SAMPLE);
  const text = Buffer.from(bytes).toString();
  const [header, ...json] = text.split('\n');
  assert.match(header!, /^SLUICE-MANIFEST v2 len=\d+ crc32=[0-9a-f]{8}$/);
  assert.equal(JSON.parse(json.join('\n')).snapshotSequenceNumber, 5, 'the payload is plain JSON a person can read');
  assert.equal(MANIFEST_FORMAT_VERSION, 2);
});

test('golden bytes: a version 2 manifest is exactly so', () => {
  const golden =
    'SLUICE-MANIFEST v2 len=465 crc32=3b688d90\n' +
    '{\n "version": 2,\n "nodeId": "n",\n "snapshotSequenceNumber": 5,\n "walFileSequenceNumber": 17,\n "catalogKey": "n/catalog/x.catalog.json",\n "createdAtMs": 1,\n "forced": false,\n "files": [\n  {\n   "key": "n/dbs/0/0/a.parquet",\n   "dbId": 0,\n   "tableId": 0,\n   "chunkTimeNs": "-600000000000",\n   "minTimeNs": "-1",\n   "maxTimeNs": "9000000000000000001",\n   "rowCount": 3,\n   "sizeBytes": 100,\n   "columnIds": [\n    0,\n    1\n   ],\n   "snapshotSequenceNumber": 5\n  }\n ]\n}\n';
  assert.equal(Buffer.from(encodeManifest(SAMPLE)).toString(), golden);
});

test('a version 1 manifest (bare JSON, written before manifests were sealed) is still read', () => {
  const v1 = JSON.stringify({ ...SAMPLE, version: 1, files: SAMPLE.files.map((f) => ({ ...f, chunkTimeNs: String(f.chunkTimeNs), minTimeNs: String(f.minTimeNs), maxTimeNs: String(f.maxTimeNs) })) }, null, 1);
  assert.deepEqual(decodeManifest(Buffer.from(`${v1}\n`), 'k'), { ...SAMPLE, version: 1 });
  assert.throws(() => decodeManifest(Buffer.from(v1.replace('"version": 1', '"version": 2')), 'n/snapshots/k.info.json'), isCorruptNaming('n/snapshots/k.info.json'), 'bare JSON claiming version 2');
});

test('damaged manifests are a typed error naming the key: bad header, checksum, length, version, structure', () => {
  const bytes = encodeManifest(SAMPLE);
  const text = Buffer.from(bytes).toString();
  const json = text.slice(text.indexOf('\n') + 1);
  const key = 'n/snapshots/k.info.json';
  const damaged: Array<[string, Uint8Array]> = [
    ['half', bytes.subarray(0, bytes.length / 2)],
    ['empty', new Uint8Array(0)],
    ['payload changed, checksum kept', Buffer.from(text.replace('"rowCount": 3', '"rowCount": 4'))],
    ['upper-case hex', Buffer.from(text.replace(/crc32=([0-9a-f]{8})/, (_, h: string) => `crc32=${h.toUpperCase()}`))],
    ['leading zero in the length', Buffer.from(text.replace('len=', 'len=0'))],
    ['catalog header', Buffer.from(text.replace('SLUICE-MANIFEST', 'SLUICE-CATALOG'))],
    ['version 3', Buffer.from(text.replace('SLUICE-MANIFEST v2', 'SLUICE-MANIFEST v3'))],
    ['appended byte', Buffer.concat([bytes, Buffer.from('\n')])],
    ['payload version 1', seal(json.replace('"version": 2', '"version": 1'))],
    ['negative row count', seal(json.replace('"rowCount": 3', '"rowCount": -3'))],
    ['time as a number', seal(json.replace('"minTimeNs": "-1"', '"minTimeNs": -1'))],
    ['files not an array', seal(json.replace('"files": [', '"files": 7, "x": ['))],
    ['forced not a boolean', seal(json.replace('"forced": false', '"forced": 0'))],
    ['an array', seal('[]')],
    ['not UTF-8', seal('\uFFFE').map((b, i, a) => (i === a.length - 1 ? 0xff : b))],
    ['bad JSON', seal('{')],
  ];
  for (const [what, d] of damaged) assert.throws(() => decodeManifest(d, key), isCorruptNaming(key), what);
});
