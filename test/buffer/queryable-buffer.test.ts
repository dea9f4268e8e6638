/**
 * The queryable buffer's accounting and snapshot order, through a whole database: the byte
 * total is exactly the live chunks' size at every step (0 once everything is persisted), and a
 * snapshot that failed is persisted before a later one commits, so a restart loses nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceDatabase } from '../../src/database/database.js';
import { SystemClock } from '../../src/effects/clock.js';
import { SeededRng } from '../../src/effects/rng.js';
import { FaultyObjectStore } from '../../src/objectstore/faulty.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { isPermanentStoreError } from '../../src/objectstore/retry.js';
import { listSnapshots } from '../../src/database/database.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

const T0 = 1_700_000_000; // seconds
const GEN1_S = 600; // the default 10m chunks

/** The buffer's totals against its live chunks: they must agree exactly. */
function checkAccounting(db: SluiceDatabase, step: string): { bytes: number; rows: number } {
  const stats = db.buffer.getStats();
  const chunks = db.buffer.allChunks();
  const bytes = chunks.reduce((n, c) => n + c.byteSize(), 0);
  const rows = chunks.reduce((n, c) => n + c.rowCount, 0);
  assert.equal(stats.bytes, bytes, `${step}: buffer bytes equal the live chunks' byteSize`);
  assert.equal(stats.rows, rows, `${step}: buffer rows equal the live chunks' rows`);
  assert.equal(stats.chunks, chunks.length, step);
  return { bytes, rows };
}

test('buffer bytes equal the live chunks\' byteSize after every write of growing widths, and return to exactly 0 after snapshots', async () => {
  const t = await tempDatabase();
  try {
    await growingWidths(t.db);
  } finally {
    await t.cleanup();
  }
});

async function growingWidths(db: SluiceDatabase): Promise<void> {
  const write = (lines: string[]) => db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 's' });
  // Each step widens something: int64 segments 1 → 2 → 4 → 8 bytes, a dictionary past 256 and
  // 65 536 entries (1 → 2 → 4 byte indices), a first segment grown past its 64 rows, nulls (a
  // validity bitmap), a new column, a second chunk time.
  const steps: Array<[string, string[]]> = [
    ['one row, 1-byte int', [`m,host=h0 v=1i,s="a" ${T0}`]],
    ['2-byte int', [`m,host=h0 v=300i ${T0 + 1}`]],
    ['4-byte int', [`m,host=h0 v=70000i ${T0 + 2}`]],
    ['8-byte int', [`m,host=h0 v=${2 ** 40}i ${T0 + 3}`]],
    ['300 hosts: 2-byte dictionary indices, a grown first segment', Array.from({ length: 300 }, (_, i) => `m,host=h${i} v=${i}i ${T0 + 4 + i}`)],
    ['a new field, nulls before it', [`m,host=h1 f=1.5 ${T0 + 400}`]],
    ['another chunk time', [`m,host=h2 v=-5i ${T0 + GEN1_S}`]],
    ['70 000 strings: 4-byte dictionary indices, a second segment', Array.from({ length: 70_000 }, (_, i) => `n s="v${i}" ${T0 + i}`)],
  ];
  let previous = 0;
  for (const [step, lines] of steps) {
    await write(lines);
    const { bytes } = checkAccounting(db, step);
    assert.ok(bytes > previous, `${step}: the buffer grew (${previous} → ${bytes})`);
    previous = bytes;
  }
  await db.snapshotNow();
  assert.deepEqual(db.buffer.getStats(), { rows: 0, bytes: 0, chunks: 0, forcedSnapshots: 0 }, 'everything persisted: exactly 0');
  // Again on chunks that start after a snapshot, with a write while nothing else is buffered.
  await write([`m,host=h0 v=1i ${T0 + 5}`, `m,host=h0 v=${2 ** 33}i ${T0 + 6}`]);
  assert.ok(checkAccounting(db, 'after the first snapshot').bytes > 0);
  await db.snapshotNow();
  assert.deepEqual(db.buffer.getStats(), { rows: 0, bytes: 0, chunks: 0, forcedSnapshots: 0 });
  assert.deepEqual(await queryRows(db, 'db', 'SELECT count(*) AS n FROM m'), ['n=308n']);
  assert.deepEqual(await queryRows(db, 'db', 'SELECT count(*) AS n FROM n'), ['n=70000n']);
}

test('a snapshot refused by the store is persisted before the next snapshot commits: after a restart nothing acknowledged is missing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-buffer-test-'));
  const local = await LocalObjectStore.open({ root: dir });
  const clock = new SystemClock();
  const store = new FaultyObjectStore(local, { rng: new SeededRng(1), clock });
  // No snapshotted WAL file kept: a snapshot's cleanup deletes every file it covers.
  const open = (s: typeof store | LocalObjectStore) => SluiceDatabase.open({ store: s, nodeId: 'node1', clock, wal: { flushIntervalMs: 5, snapshottedWalFilesToKeep: 0 } });
  const db = await open(store);
  try {
    await refusedThenPersisted(db, store, local);
  } finally {
    await db.close();
  }
  const again = await open(local);
  try {
    assert.deepEqual(await queryRows(again, 'db', 'SELECT count(*) AS n, sum(v) AS s FROM m'), ['n=20n s=190n'], 'every acknowledged row after the restart');
  } finally {
    await again.close();
    await local.close();
    await rm(dir, { recursive: true, force: true });
  }
});

async function refusedThenPersisted(db: SluiceDatabase, store: FaultyObjectStore, local: LocalObjectStore): Promise<void> {
  const write = (from: number, n: number) =>
    db.writer.writeLp('db', Buffer.from(Array.from({ length: n }, (_, i) => `m,host=h${i % 3} v=${from + i}i ${T0 + from + i}`).join('\n')), { precision: 's' });
  await write(0, 10);

  store.refuse({ ops: ['put'], keyPrefix: 'node1/dbs/', status: 403, serviceCode: 'AccessDenied' });
  await assert.rejects(db.snapshotNow(), (err: unknown) => isPermanentStoreError(err) && err.serviceCode === 'AccessDenied');
  const stats = db.persister.stats;
  assert.match(stats.permanentPutError ?? '', /^S3 says AccessDenied \(403\) for PUT node1\/dbs\/.*\.parquet: injected refusal$/);
  assert.equal(stats.failedSnapshots, 1);
  assert.equal(stats.putRetries, 0, 'a refusal is not retried');
  assert.equal(store.counts.refused, 1, 'one put refused, once');
  assert.equal(db.wal.health().state, 'ok', 'the WAL itself still writes');
  checkAccounting(db, 'after the failed snapshot');

  // Rows for the same chunk time while the failed snapshot's chunk is still held.
  await write(10, 10);
  assert.deepEqual(await queryRows(db, 'db', 'SELECT count(*) AS n FROM m'), ['n=20n']);
  store.refuse(undefined);
  await db.snapshotNow();
  assert.equal(stats.permanentPutError, undefined, 'cleared by a put that succeeded');
  assert.equal(stats.snapshots, 2, 'the failed snapshot, then the new one');
  assert.deepEqual(db.buffer.getStats(), { rows: 0, bytes: 0, chunks: 0, forcedSnapshots: 0 });
  const manifests = await listSnapshots(local, 'node1');
  assert.deepEqual(manifests.map((m) => m.snapshotSequenceNumber), [2, 1], 'both committed, in order');
  assert.deepEqual(await queryRows(db, 'db', 'SELECT count(*) AS n, sum(v) AS s FROM m'), ['n=20n s=190n']);
}
