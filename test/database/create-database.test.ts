import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceDatabase } from '../../src/database/database.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { WriteError } from '../../src/write/errors.js';
import type { ObjectStoreWal } from '../../src/wal/object-store-wal.js';
import { runChildUntilKilled } from '../support/kill-harness.js';
import { tempDatabase } from '../support/db-helpers.js';

test('a database created by createDatabase is there after the process dies without a flush, and after a snapshot', async () => {
  // A memory store holds no writer lock, so one process can play the dead node and the next.
  const store = new MemoryObjectStore();
  const open = (startBackgroundFlush: boolean) => SluiceDatabase.open({ store, nodeId: 'node1', startBackgroundFlush, wal: { flushIntervalMs: 5 } });
  // First life: the WAL is flushed by hand, only for the CREATE DATABASE, then the node dies.
  const first = await open(false);
  const created = first.createDatabase('made');
  await (first.wal as ObjectStoreWal).forceFlushBuffer();
  await created;
  assert.ok(first.catalog.database('made') !== undefined, 'visible at once');
  await first.kill();
  // Second life: replays it, creates another, snapshots, dies.
  const second = await open(true);
  assert.deepEqual(second.catalog.listDatabases().map((d) => d.name), ['made'], 'replayed from the WAL');
  await second.createDatabase('later');
  await second.snapshotNow();
  await second.kill();
  const third = await open(false);
  try {
    assert.deepEqual(third.catalog.listDatabases().map((d) => d.name), ['made', 'later'], 'from the snapshot');
    assert.ok(third.manifests.length > 0, 'a snapshot was persisted');
    assert.deepEqual((await third.query.query('later', 'SELECT 1 AS one')).rows, [[1]], 'the SQL engine knows it');
  } finally {
    await third.close();
  }
});

test('createDatabase is idempotent and refuses a bad name without changing the catalog', async () => {
  const env = await tempDatabase();
  try {
    await env.db.createDatabase('one');
    const version = env.db.catalog.version;
    await env.db.createDatabase('one');
    assert.equal(env.db.catalog.version, version, 'creating it again changes nothing');
    await assert.rejects(env.db.createDatabase('no spaces'), (err: unknown) => err instanceof WriteError && err.code === 'INVALID_DATABASE');
    assert.equal(env.db.catalog.version, version);
  } finally {
    await env.cleanup();
  }
});

test('CREATE DATABASE of a database another request is still making durable answers only once it is durable', async () => {
  const store = new MemoryObjectStore();
  const db = await SluiceDatabase.open({ store, nodeId: 'node1', startBackgroundFlush: false });
  try {
    const settled: string[] = [];
    const first = db.createDatabase('x').then(() => settled.push('first'));
    const second = db.createDatabase('x').then(() => settled.push('second'));
    const write = db.writer.writeLp('y', Buffer.from('m f=1i 1'), { precision: 'ns' }).then(() => settled.push('write'));
    const afterWrite = db.createDatabase('y').then(() => settled.push('after write'));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(settled, [], 'nothing is answered before the WAL file is on the store');
    await (db.wal as ObjectStoreWal).forceFlushBuffer();
    await Promise.all([first, second, write, afterWrite]);
    assert.deepEqual(settled.sort(), ['after write', 'first', 'second', 'write']);
    assert.deepEqual(db.catalog.listDatabases().map((d) => d.name), ['x', 'y']);
  } finally {
    await db.close();
  }
});

const CYCLES = Number(process.env.CREATE_DB_KILL_CYCLES ?? 4);
const childScript = fileURLToPath(new URL('../support/create-db-kill-child.ts', import.meta.url));

test(`a process killed with SIGKILL while creating databases keeps every acknowledged one (${CYCLES} cycles)`, { timeout: 300_000 }, async () => {
  const seed = testSeed();
  console.log(`# create database kill test seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-create-db-kill-'));
  const attempted = new Set<number>();
  const acked = new Set<number>();
  const perRun = Math.floor(96 / CYCLES);
  try {
    for (let run = 1; run <= CYCLES; run++) {
      await runChildUntilKilled(childScript, [dir, String(run), String(perRun), String(1 + rng.nextInt(20))], 20 + rng.nextInt(400), attempted, acked);
      const store = await LocalObjectStore.open({ root: dir });
      const db = await SluiceDatabase.open({ store, nodeId: 'kill', wal: { gen1Duration: '1m' } });
      try {
        const present = new Set(db.catalog.listDatabases().map((d) => Number(d.name.slice(1))));
        const lost = [...acked].filter((id) => !present.has(id));
        const unexpected = [...present].filter((id) => !attempted.has(id));
        assert.deepEqual(lost, [], `run ${run}: acknowledged databases lost (seed ${seed})`);
        assert.deepEqual(unexpected, [], `run ${run}: databases present that were never created (seed ${seed})`);
      } finally {
        await db.close();
        await store.close();
      }
    }
    console.log(`# create database kill cycles: ${CYCLES}, attempted: ${attempted.size}, acknowledged: ${acked.size}, lost: 0`);
    assert.ok(acked.size > 0, 'the child made progress');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
