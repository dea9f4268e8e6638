/**
 * A whole database on a real S3 server (Ceph radosgw): snapshots to Parquet on S3 and queries
 * over them after a restart; a second writer on the same node id fences the first.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceDatabase } from '../../src/database/database.js';
import { FencedError, WalStoppedError } from '../../src/wal/errors.js';
import { listAll } from '../../src/objectstore/types.js';
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
