/**
 * A query node following an ingest node through the store alone (src/cluster/follower.ts):
 * every acknowledged write becomes readable on the replica, value by value, through snapshots,
 * compactions, table deletes and a restart of the writer; writes to the replica are refused
 * without touching its catalog; a WAL file gone before the replica read it makes the replica
 * say it is behind, and a replica opened after a snapshot covers the gap has every row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceDatabase } from '../../src/database/database.js';
import { NodeHeartbeat } from '../../src/cluster/registry.js';
import { SYSTEM_CLOCK } from '../../src/effects/clock.js';
import { silentLogger } from '../../src/wal/notifier.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { ReadOnlyWalError } from '../../src/wal/errors.js';
import { walFileKey } from '../../src/wal/paths.js';
import { queryRows, tempDatabase, until } from '../support/db-helpers.js';

const WAL = { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 4, snapshottedWalFilesToKeep: 2 } as const;


const ALL = 'SELECT * FROM m ORDER BY host, time';

test('a replica reads every acknowledged write, value by value, through snapshots, compactions, deletes and a writer restart', { timeout: 120_000 }, async () => {
  const seed = testSeed();
  console.log(`# replica seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const { db, store, open, cleanup } = await tempDatabase({ wal: WAL, compactionInBackground: false, compactionColdMarginMs: 0 });
  let writer = db;
  const replica = await SluiceDatabase.openReplica({ store, nodeId: 'query1', followNodeIds: ['node1'], replicationIntervalMs: 20, wal: WAL });
  const others: SluiceDatabase[] = [];
  try {
    const readable: number[] = [];
    let rows = 0;
    const writeBatch = async (batch: number) => {
      const lines = Array.from({ length: 20 }, (_, j) => {
        const t = batch * 400 + j * 10 + rng.nextInt(3) * 60; // several gen1 windows and hours, some points written again
        return `m,host=h${rng.nextInt(4)} v=${rng.nextInt(1000)}i,f=${rng.nextInt(100) / 4} ${t}`;
      });
      await writer.writer.writeLp('db1', Buffer.from(lines.join('\n')), { precision: 's' });
      const acked = performance.now();
      const target = writer.wal.lastWalSequenceNumber();
      // Applied is readable: the rows are in the replica's buffer before the next statement runs.
      await until(`WAL file ${target} on the replica`, 10_000, async () => replica.followers[0]!.status().appliedWalFile >= target);
      readable.push(performance.now() - acked);
      const want = await queryRows(writer, 'db1', ALL);
      assert.deepEqual(await queryRows(replica, 'db1', ALL), want, `batch ${batch}: the replica answers as the writer`);
      rows = want.length;
    };
    for (let batch = 0; batch < 30; batch++) {
      await writeBatch(batch);
      if (batch === 10) await writer.snapshotNow();
      if (batch === 20) {
        assert.ok((await writer.compactNow()) > 0, 'the writer compacted');
        await replica.followers[0]!.pollNow();
      }
    }
    readable.sort((a, b) => a - b);
    console.log(`# replica: 30 batches (${rows} rows) applied (readable) on the replica after p50 ${readable[15]!.toFixed(0)} ms, max ${readable[29]!.toFixed(0)} ms (flush 5 ms, poll 20 ms)`);
    assert.ok(replica.persistedFiles.fileCount > 0, 'the replica reads the snapshots\' files');
    await until('the same files', 5_000, async () => replica.persistedFiles.all().map((f) => f.key).sort().join() === writer.persistedFiles.all().map((f) => f.key).sort().join());
    assert.ok(replica.followers[0]!.status().appliedCompaction > 0, 'the replica applied the compaction');

    // Writes and schema changes to the replica are refused, and leave its catalog as it was.
    const before = Buffer.from(replica.catalog.serialize()).toString('hex');
    await assert.rejects(replica.writer.writeLp('db1', Buffer.from('m,host=x v=1i 1\nnew_table v=1i 1'), { precision: 's' }), ReadOnlyWalError);
    await assert.rejects(replica.writer.writeLp('new_db', Buffer.from('m v=1i 1'), { precision: 's' }), ReadOnlyWalError);
    await assert.rejects(replica.manage.createDatabase('made_here'), ReadOnlyWalError);
    assert.equal(Buffer.from(replica.catalog.serialize()).toString('hex'), before, 'the catalog is as it was');
    assert.equal(replica.catalog.database('new_db'), undefined);

    // The writer stops and starts again (a new writer epoch, replay, new WAL files): the replica follows.
    await writer.close();
    writer = await open();
    others.push(writer);
    for (let batch = 30; batch < 35; batch++) await writeBatch(batch);

    // A table deleted on the writer leaves the replica within a poll.
    await writer.writer.writeLp('db1', Buffer.from('gone v=1i 1'), { precision: 's' });
    await until('table gone on the replica', 5_000, async () => replica.catalog.database('db1')?.tables.has('gone') === true);
    await writer.manage.deleteTable('db1', 'gone');
    await until('the delete on the replica', 5_000, async () => replica.catalog.database('db1')?.tables.has('gone') !== true);
    assert.equal(replica.wal.health().state, 'ok');
  } finally {
    await replica.close();
    await cleanup(...others);
  }
});

test('a WAL file cleaned up before the replica read it: the replica says it is behind; one opened after the covering snapshot has every row', { timeout: 60_000 }, async () => {
  const { db, store, cleanup } = await tempDatabase({ wal: { ...WAL, snapshotSize: 1000 }, compaction: false });
  // Polls only when asked: the test decides what the replica sees.
  const replica = await SluiceDatabase.openReplica({ store, nodeId: 'query1', followNodeIds: ['node1'], replicationIntervalMs: 3_600_000, wal: WAL });
  const others: SluiceDatabase[] = [];
  try {
    await db.writer.writeLp('db1', Buffer.from('m,host=a v=1i 1'), { precision: 's' });
    await replica.followers[0]!.pollNow();
    assert.deepEqual(await queryRows(replica, 'db1', 'SELECT v FROM m'), ['v=1n']);
    await db.writer.writeLp('db1', Buffer.from('m,host=a v=2i 2'), { precision: 's' });
    await db.writer.writeLp('db1', Buffer.from('m,host=a v=3i 3'), { precision: 's' });
    // The next file the replica needs goes (as cleanup would take it).
    const next = replica.followers[0]!.status().appliedWalFile + 1;
    await store.delete(walFileKey('node1', next));
    await replica.followers[0]!.pollNow().catch(() => undefined);
    const status = replica.followers[0]!.status();
    assert.equal(status.state, 'behind');
    assert.match(status.lastError ?? '', new RegExp(`WAL file ${next} of node node1 is gone`));
    assert.equal(replica.wal.health().state, 'stopped');
    assert.deepEqual(await queryRows(replica, 'db1', 'SELECT v FROM m'), ['v=1n'], 'what it had stays readable');
    // Opening past the gap fails the same way until a snapshot covers it.
    await assert.rejects(SluiceDatabase.openReplica({ store, nodeId: 'query2', followNodeIds: ['node1'], wal: WAL }), /is gone/);
    await db.snapshotNow();
    const fresh = await SluiceDatabase.openReplica({ store, nodeId: 'query2', followNodeIds: ['node1'], wal: WAL });
    others.push(fresh);
    assert.deepEqual(await queryRows(fresh, 'db1', 'SELECT v FROM m ORDER BY time'), ['v=1n', 'v=2n', 'v=3n']);
  } finally {
    await replica.close();
    for (const o of others) await o.close();
    await cleanup();
  }
});

test('a replica of three ingest nodes answers over their union: one table by name, a type conflict named, a delete on one node takes only its rows', { timeout: 120_000 }, async () => {
  const seed = testSeed();
  console.log(`# replica union seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const first = await tempDatabase({ wal: WAL, compaction: false });
  const { store } = first;
  const nodes = ['ingest-a', 'ingest-b', 'ingest-c'];
  const writers: SluiceDatabase[] = [];
  for (const nodeId of nodes) writers.push(await SluiceDatabase.open({ store, nodeId, wal: WAL, compaction: false }));
  const replica = await SluiceDatabase.openReplica({ store, nodeId: 'query1', followNodeIds: nodes, replicationIntervalMs: 20, wal: WAL });
  try {
    const caughtUp = async () => {
      for (const [i, w] of writers.entries()) {
        const target = w.wal.lastWalSequenceNumber();
        await until(`${nodes[i]} on the replica`, 10_000, async () => replica.followers[i]!.status().appliedWalFile >= target);
      }
    };
    const union = async (sql: string) => (await Promise.all(writers.map((w) => queryRows(w, 'db1', sql).catch(() => [])))).flat().sort();
    // Each node its own hosts and its own tables created in its own order (ids differ per node).
    for (let round = 0; round < 12; round++) {
      for (const [i, w] of writers.entries()) {
        const lines = Array.from({ length: 10 }, (_, j) => `m,host=${nodes[i]}-${rng.nextInt(3)} v=${rng.nextInt(1000)}i,f${i}=${rng.nextInt(9)}.5 ${round * 100 + j * 7 + i}`);
        if (i === 1 && round === 0) lines.unshift(`only_b,host=x v=1i 5`);
        if (round === 6) lines.push(`shared,host=${nodes[i]} v=${i}i ${round}`);
        await w.writer.writeLp('db1', Buffer.from(lines.join('\n')), { precision: 's' });
      }
      if (round === 4) await writers[rng.nextInt(3)]!.snapshotNow();
    }
    await caughtUp();
    const ALLM = 'SELECT host, time, v FROM m';
    assert.deepEqual((await queryRows(replica, 'db1', ALLM)).sort(), await union(ALLM), 'the union, value by value');
    assert.deepEqual((await queryRows(replica, 'db1', 'SELECT host, f0, f1, f2 FROM m WHERE f1 IS NOT NULL')).length, (await queryRows(writers[1]!, 'db1', 'SELECT host FROM m WHERE f1 IS NOT NULL')).length, 'each node\'s own columns');
    assert.deepEqual(await queryRows(replica, 'db1', 'SELECT v FROM only_b'), ['v=1n']);

    // A column two nodes type differently: every query of the table fails, naming both.
    await writers[0]!.writer.writeLp('db1', Buffer.from('clash,host=a x=1i 1'), { precision: 's' });
    await writers[2]!.writer.writeLp('db1', Buffer.from('clash,host=c x="text" 1'), { precision: 's' });
    await caughtUp();
    await assert.rejects(queryRows(replica, 'db1', 'SELECT * FROM clash'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SCHEMA_CONFLICT');
      // Whichever node the replica heard from first, both are named with their types.
      assert.match(err.message, /"x" is (int64 on node "ingest-a" and string on node "ingest-c"|string on node "ingest-c" and int64 on node "ingest-a")/);
      return true;
    });
    assert.ok((await queryRows(replica, 'db1', 'SELECT count(*) FROM m')).length === 1, 'other tables still answer');

    // A table deleted on one node: that node's rows go; the others' stay.
    await writers[0]!.manage.deleteTable('db1', 'shared');
    await caughtUp();
    assert.deepEqual((await queryRows(replica, 'db1', 'SELECT host, v FROM shared')).sort(), ['host="ingest-b" v=1n', 'host="ingest-c" v=2n']);
    await writers[1]!.manage.deleteTable('db1', 'shared');
    await writers[2]!.manage.deleteTable('db1', 'shared');
    await caughtUp();
    assert.equal(replica.catalog.database('db1')!.tables.has('shared'), false, 'gone once no node has it');
  } finally {
    await replica.close();
    for (const w of writers) await w.close();
    await first.cleanup();
  }
});


test('a query node does not follow an ingest node of another --gen1-duration: neither at open nor when it registers later', { timeout: 60_000 }, async () => {
  const { db, store, cleanup } = await tempDatabase({ wal: WAL });
  const heartbeat = (nodeId: string, gen1Duration: '1m' | '10m') =>
    new NodeHeartbeat({ store, clusterId: 'c1', nodeId, mode: 'ingest', version: 'test', gen1Duration, clock: SYSTEM_CLOCK, intervalMs: 3_600_000, logger: silentLogger, checkFence: async () => undefined });
  const beats: NodeHeartbeat[] = [];
  let replica: SluiceDatabase | undefined;
  try {
    await db.writer.writeLp('db1', Buffer.from('m,host=a v=1i 1'), { precision: 's' });
    // node1 (the writer above) registers with 10m; the query node uses 1m.
    beats.push(heartbeat('node1', '10m'));
    await beats[0]!.start();
    // Found at open: not followed, and said in the health; the query node still opens.
    const refused = await SluiceDatabase.openReplica({ store, nodeId: 'query0', followNodeIds: [], clusterId: 'c1', registryIntervalMs: 3_600_000, replicationIntervalMs: 20, wal: WAL });
    try {
      assert.deepEqual(refused.followers.map((f) => f.nodeId), []);
      assert.match(refused.discovery!.failures.get('node1') ?? '', /ingest node "node1" uses --gen1-duration 10m and this node 1m: every node of a cluster must use the same/);
      assert.equal(refused.wal.health().state, 'degraded');
      // At the next poll it is still not followed.
      await refused.discovery!.pollNow();
      assert.deepEqual(refused.followers.map((f) => f.nodeId), []);
    } finally {
      await refused.close();
    }
    // Registered with the same duration, it is followed; a later node of another duration is
    // not, and the reason is kept for the next poll (which tries it again).
    await beats[0]!.stop();
    beats[0] = heartbeat('node1', '1m');
    await beats[0].start();
    replica = await SluiceDatabase.openReplica({ store, nodeId: 'query1', followNodeIds: [], clusterId: 'c1', registryIntervalMs: 3_600_000, replicationIntervalMs: 20, wal: WAL });
    assert.deepEqual(replica.followers.map((f) => f.nodeId), ['node1']);
    beats.push(heartbeat('node2', '10m'));
    await beats[1]!.start();
    await replica.discovery!.pollNow();
    assert.deepEqual(replica.followers.map((f) => f.nodeId), ['node1'], 'node2 is not followed');
    assert.match(replica.discovery!.failures.get('node2') ?? '', /--gen1-duration 10m and this node 1m/);
    const health = replica.wal.health();
    assert.equal(health.state, 'degraded', 'the query node says it is not following a registered node');
    assert.match(health.lastError ?? '', /not following node "node2": ingest node "node2" uses --gen1-duration 10m/);
    // Restarted with the right duration, it is followed at the next poll, and the trouble is gone.
    await beats[1]!.stop();
    beats[1] = heartbeat('node2', '1m');
    await beats[1].start();
    await replica.discovery!.pollNow();
    assert.deepEqual(replica.followers.map((f) => f.nodeId), ['node1', 'node2']);
    assert.equal(replica.discovery!.failures.size, 0);
    assert.equal(replica.wal.health().state, 'ok');
    assert.deepEqual(await queryRows(replica, 'db1', 'SELECT v FROM m'), await queryRows(db, 'db1', 'SELECT v FROM m'));
  } finally {
    for (const b of beats) await b.stop();
    await replica?.close();
    await cleanup();
  }
});
