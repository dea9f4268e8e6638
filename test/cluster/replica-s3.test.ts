/**
 * Replicas on the real S3 server (Ceph radosgw): a replica far behind — a thousand WAL files and
 * twenty snapshots — catches up reading ahead, its buffer bounded by the snapshots it passes,
 * reporting progress; and an ingest node that registers in the cluster after the query node
 * started is found at the next registry poll and followed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceDatabase } from '../../src/database/database.js';
import { NodeHeartbeat } from '../../src/cluster/registry.js';
import { SYSTEM_CLOCK } from '../../src/effects/clock.js';
import { silentLogger } from '../../src/wal/notifier.js';
import { queryRows, until } from '../support/db-helpers.js';
import { s3TestServer, type S3TestServer } from '../support/s3-server.js';

let s3: S3TestServer;
before(async () => {
  s3 = await s3TestServer();
});
after(async () => {
  await s3.stop();
});

const WAL = { flushIntervalMs: 1, gen1Duration: '1m', snapshotSize: 50, snapshottedWalFilesToKeep: 100_000 } as const;


test('a replica 1 000 WAL files and 20 snapshots behind catches up on S3, reading ahead, its buffer bounded by the snapshots, and reports progress', { timeout: 300_000 }, async () => {
  const store = await s3.store();
  const db = await SluiceDatabase.open({ store, nodeId: 'node1', wal: WAL, compaction: false });
  const logged: string[] = [];
  const logger = { ...silentLogger, info: (_o: object, msg: string) => logged.push(msg) };
  const replica = await SluiceDatabase.openReplica({ store, nodeId: 'query1', followNodeIds: ['node1'], replicationIntervalMs: 3_600_000, wal: WAL, logger });
  try {
    const FILES = 1000;
    let lines = 0;
    for (let i = 0; db.wal.lastWalSequenceNumber() < FILES; i++) {
      // Time moves a minute every 50 writes, so each snapshot persists the minutes before.
      const t = Math.floor(i / 50) * 60 + (i % 50);
      await db.writer.writeLp('db1', Buffer.from(`m,host=h${i % 7} v=${i}i ${t}\nm,host=x v=${i}i ${t}`), { precision: 's', acceptPartial: false });
      lines += 2;
    }
    const behind = db.wal.lastWalSequenceNumber();
    let peakRows = 0;
    const sampler = setInterval(() => {
      peakRows = Math.max(peakRows, replica.buffer.getStats().rows);
    }, 1);
    const started = performance.now();
    await replica.followers[0]!.pollNow();
    clearInterval(sampler);
    const status = replica.followers[0]!.status();
    assert.equal(status.appliedWalFile, behind);
    console.log(`# replica catch-up on S3: ${status.filesApplied} WAL files in ${(performance.now() - started).toFixed(0)} ms, ${replica.persistedFiles.fileCount} Parquet files, buffer peak ${peakRows} rows of ${lines}`);
    assert.ok(logged.includes('replica catching up'), 'progress is reported');
    // Snapshots release what they cover as the replica goes: it never holds more than a few snapshots' rows.
    assert.ok(peakRows <= 8 * 50 * 2, `buffer peak ${peakRows} rows`);
    await until('the last snapshot', 30_000, async () => replica.persistedFiles.fileCount === db.persistedFiles.fileCount);
    const ALL = 'SELECT * FROM m ORDER BY host, time';
    assert.deepEqual(await queryRows(replica, 'db1', ALL), await queryRows(db, 'db1', ALL));
  } finally {
    await replica.close();
    await db.close();
    await store.close();
  }
});

test('an ingest node that registers after the query node started is followed from the next registry poll', { timeout: 120_000 }, async () => {
  const store = await s3.store();
  const replica = await SluiceDatabase.openReplica({ store, nodeId: 'query1', followNodeIds: [], clusterId: 'late', registryIntervalMs: 3_600_000, replicationIntervalMs: 20, wal: WAL });
  const db = await SluiceDatabase.open({ store, nodeId: 'ingest-late', wal: { ...WAL, flushIntervalMs: 5 }, compaction: false });
  const heartbeat = new NodeHeartbeat({ store, clusterId: 'late', nodeId: 'ingest-late', mode: 'ingest', version: 'test', clock: SYSTEM_CLOCK, intervalMs: 3_600_000, logger: silentLogger, checkFence: () => db.checkFence() });
  try {
    assert.equal(replica.followers.length, 0, 'no ingest node yet');
    await db.writer.writeLp('db1', Buffer.from('m,host=a v=1i 1'), { precision: 's' });
    await heartbeat.start();
    await replica.discovery!.pollNow();
    assert.deepEqual(replica.followers.map((f) => f.nodeId), ['ingest-late']);
    await db.writer.writeLp('db1', Buffer.from('m,host=a v=2i 2'), { precision: 's' });
    await until('both rows on the replica', 10_000, async () => (await queryRows(replica, 'db1', 'SELECT v FROM m ORDER BY time').catch(() => [])).join() === 'v=1n,v=2n');
    assert.equal(replica.wal.health().state, 'ok');
  } finally {
    await heartbeat.stop();
    await replica.close();
    await db.close();
    await store.close();
  }
});
