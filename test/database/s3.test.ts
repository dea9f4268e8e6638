/**
 * A whole database on a real S3 server (Ceph radosgw): snapshots to Parquet on S3 and queries
 * over them after a restart; a second writer on the same node id fences the first; a bucket
 * deleted or denied under a running database stops its WAL with S3's reason instead of retrying
 * for ever, and denied snapshot puts fail the snapshot without losing its rows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceDatabase } from '../../src/database/database.js';
import { FencedError, WalStoppedError } from '../../src/wal/errors.js';
import { listAll } from '../../src/objectstore/types.js';
import { isPermanentStoreError } from '../../src/objectstore/retry.js';
import { allowAll, deleteBucket, denyActions, s3Admin } from '../support/s3-admin.js';
import { queryRows } from '../support/db-helpers.js';
import { s3TestServer, type S3TestServer } from '../support/s3-server.js';

let s3: S3TestServer;
before(async () => {
  s3 = await s3TestServer();
});
after(async () => {
  await s3.stop();
});

const lines = (from: number, n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => `m,host=h${(from + i) % 3} v=${from + i}i ${1_700_000_000 + from + i}`).join('\n'));

test('a database on S3 snapshots to Parquet there, and answers the same after a restart', { timeout: 60_000 }, async () => {
  const store = await s3.store();
  const open = () => SluiceDatabase.open({ store, nodeId: 'n1', wal: { flushIntervalMs: 10 } });
  const db = await open();
  await db.writer.writeLp('db', lines(0, 500), { precision: 's' });
  await db.snapshotNow();
  await db.writer.writeLp('db', lines(500, 100), { precision: 's' });
  const sql = 'SELECT host, count(*) AS n, sum(v) AS s FROM m GROUP BY host ORDER BY host';
  const before = await queryRows(db, 'db', sql);
  assert.deepEqual(before, ['host="h0" n=200n s=59700n', 'host="h1" n=200n s=59900n', 'host="h2" n=200n s=60100n']);
  await db.close();
  const parquet = (await listAll(store, 'n1/dbs/')).filter((o) => o.key.endsWith('.parquet'));
  assert.ok(parquet.length > 0, 'Parquet files on S3');
  const again = await open();
  assert.deepEqual(await queryRows(again, 'db', sql), before);
  await again.close();
  await store.close();
});

test('a second writer on the same node id fences the first: its next write is refused, nothing acknowledged is lost', { timeout: 60_000 }, async () => {
  const store = await s3.store();
  const open = () => SluiceDatabase.open({ store, nodeId: 'n1', wal: { flushIntervalMs: 10 } });
  const first = await open();
  await first.writer.writeLp('db', lines(0, 10), { precision: 's' });
  const second = await open();
  await assert.rejects(first.writer.writeLp('db', lines(10, 10), { precision: 's' }), (err: unknown) => err instanceof WalStoppedError && err.cause instanceof FencedError);
  await second.writer.writeLp('db', lines(20, 10), { precision: 's' });
  assert.deepEqual(await queryRows(second, 'db', 'SELECT count(*) AS n FROM m'), ['n=20n']);
  await first.close().catch(() => undefined);
  await second.close();
  const third = await open();
  assert.deepEqual(await queryRows(third, 'db', 'SELECT min(v) AS lo, max(v) AS hi, count(*) AS n FROM m WHERE v < 10 OR v >= 20'), ['lo=0n hi=29n n=20n']);
  assert.deepEqual(await queryRows(third, 'db', 'SELECT count(*) AS n FROM m WHERE v >= 10 AND v < 20'), ['n=0n'], 'the fenced write is not there');
  await third.close();
  await store.close();
});

/**
 * Opens a database on a fresh bucket, writes 10 rows, lets `refuse` take the bucket away, and
 * checks that a write made then is refused within a few seconds with the WAL stopped for the
 * reason S3 gave (`reason` matches health's lastError).
 */
async function stopsWhenRefused(refuse: (bucket: string) => Promise<void>, reason: (bucket: string) => RegExp): Promise<void> {
  const bucket = await s3.newBucket();
  const store = await s3.store({ bucket, retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
  const db = await SluiceDatabase.open({ store, nodeId: 'n1', wal: { flushIntervalMs: 10 } });
  try {
    await db.writer.writeLp('db', lines(0, 10), { precision: 's' });
    await refuse(bucket);
    const startedMs = Date.now();
    const err = await db.writer.writeLp('db', lines(10, 10), { precision: 's' }).then(
      () => assert.fail('a write was acknowledged after the bucket was taken away'),
      (e: unknown) => e,
    );
    const elapsedMs = Date.now() - startedMs;
    assert.ok(err instanceof WalStoppedError && isPermanentStoreError(err.cause), `the writer gets the refusal: ${String(err)}`);
    assert.ok(elapsedMs < 5_000, `refused within seconds (${elapsedMs} ms)`);
    const health = db.wal.health();
    assert.equal(health.state, 'stopped');
    assert.match(health.lastError ?? '', reason(bucket));
    assert.equal(health.lastError, err.reason);
    await assert.rejects(db.writer.writeLp('db', lines(20, 1), { precision: 's' }), (e: unknown) => e === err, 'later writes get the same error at once');
    assert.deepEqual(await queryRows(db, 'db', 'SELECT count(*) AS n FROM m'), ['n=10n'], 'acknowledged rows are still queryable');
  } finally {
    await db.close().catch(() => undefined);
    await store.close();
  }
}

test('a bucket deleted under a running database stops its WAL within seconds, naming NoSuchBucket; the pending write is refused', { timeout: 60_000 }, async () => {
  const admin = s3Admin(s3);
  await stopsWhenRefused(
    (bucket) => deleteBucket(admin, bucket),
    (bucket) => new RegExp(`^S3 says NoSuchBucket \\(404\\) for PUT s3://${bucket}/n1/wal/\\d+\\.wal: the bucket does not exist$`),
  );
  admin.destroy();
});

test('puts denied by a bucket policy under a running database stop its WAL within seconds, naming AccessDenied (403)', { timeout: 60_000 }, async () => {
  const admin = s3Admin(s3);
  await stopsWhenRefused(
    (bucket) => denyActions(admin, bucket, ['s3:PutObject']),
    (bucket) => new RegExp(`^S3 says AccessDenied \\(403\\) for PUT s3://${bucket}/n1/wal/\\d+\\.wal: access denied`),
  );
  admin.destroy();
});

test('a wrong secret key: the database refuses to open at once, naming SignatureDoesNotMatch', { timeout: 60_000 }, async () => {
  const store = await s3.store({ secretAccessKey: 'not-the-secret', retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
  const startedMs = Date.now();
  await assert.rejects(
    SluiceDatabase.open({ store, nodeId: 'n1' }),
    (err: unknown) => isPermanentStoreError(err) && err.serviceCode === 'SignatureDoesNotMatch' && err.status === 403 && /the secret access key is wrong$/.test(err.message),
  );
  assert.ok(Date.now() - startedMs < 5_000);
  assert.equal(store.retries, 0);
  await store.close();
});

test('snapshot puts denied by a bucket policy fail the snapshot at once, visible in the persister stats; the WAL goes on, and once allowed the next snapshot persists both: nothing lost at restart', { timeout: 60_000 }, async () => {
  const admin = s3Admin(s3);
  const bucket = await s3.newBucket();
  const store = await s3.store({ bucket, retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
  const open = () => SluiceDatabase.open({ store, nodeId: 'n1', wal: { flushIntervalMs: 10, snapshottedWalFilesToKeep: 0 } });
  const db = await open();
  try {
    await db.writer.writeLp('db', lines(0, 30), { precision: 's' });
    await denyActions(admin, bucket, ['s3:PutObject'], 'n1/dbs/');
    await assert.rejects(db.snapshotNow(), (err: unknown) => isPermanentStoreError(err) && err.serviceCode === 'AccessDenied');
    const stats = db.persister.stats;
    assert.match(stats.permanentPutError ?? '', new RegExp(`^S3 says AccessDenied \\(403\\) for PUT s3://${bucket}/n1/dbs/.*\\.parquet: access denied`));
    assert.equal(stats.failedSnapshots, 1);
    assert.equal(stats.putRetries, 0);
    assert.equal(stats.lastPutError, stats.permanentPutError, 'what /health shows');
    await db.writer.writeLp('db', lines(30, 30), { precision: 's' });
    assert.equal(db.wal.health().state, 'ok');
    await allowAll(admin, bucket);
    await db.snapshotNow();
    assert.equal(stats.permanentPutError, undefined);
    assert.equal(stats.snapshots, 2);
    assert.equal(db.buffer.getStats().rows, 0);
  } finally {
    await db.close();
  }
  const again = await open();
  assert.deepEqual(await queryRows(again, 'db', 'SELECT count(*) AS n, sum(v) AS s FROM m'), ['n=60n s=1770n']);
  await again.close();
  await store.close();
  admin.destroy();
});
