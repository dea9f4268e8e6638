import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/effects/clock.js';
import { SeededRng } from '../../src/effects/rng.js';
import { FaultyObjectStore } from '../../src/objectstore/faulty.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { FileRemover } from '../../src/persist/file-remover.js';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDatabase } from '../support/db-helpers.js';

test('the remover deletes queued keys in the background, retries a store that refuses deletes with growing delays, logs each failure, and finishes once it heals', async () => {
  const clock = new SimClock();
  const memory = new MemoryObjectStore();
  for (const k of ['n/dbs/1/0/a.parquet', 'n/dbs/1/0/b.parquet', 'n/dbs/2/0/c.parquet']) await memory.put(k, new Uint8Array(1), 'create');
  const store = new FaultyObjectStore(memory, { rng: new SeededRng(1), clock });
  store.refuse({ ops: ['delete'], status: 503, serviceCode: 'SlowDown' });
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { info: () => undefined, warn: (o: Record<string, unknown>) => warnings.push(o), error: () => undefined, debug: () => undefined } as never;
  const remover = new FileRemover({ store, clock, logger, retryDelayMs: 100, maxRetryDelayMs: 400 });
  remover.remove(['n/dbs/1/0/a.parquet', 'n/dbs/1/0/b.parquet'], 'table deleted');
  remover.remove(['n/dbs/1/0/a.parquet'], 'queued twice'); // not twice
  assert.equal(remover.stats.pending, 2);
  await clock.advance(1_000); // 100 + 200 + 400 + 400 ms of retries: still refused
  assert.deepEqual(warnings.map((w) => w.delayMs), [100, 200, 400, 400]);
  assert.ok(warnings.every((w) => w.key === 'n/dbs/1/0/a.parquet' && w.reason === 'table deleted'));
  assert.equal(remover.stats.removed, 0);
  store.refuse(undefined);
  await clock.advance(400);
  await remover.idle();
  assert.deepEqual(remover.stats, { removed: 2, failedAttempts: 4, pending: 0 });
  assert.deepEqual((await memory.list({ prefix: 'n/' })).objects.map((o) => o.key), ['n/dbs/2/0/c.parquet']);
  // An absent key counts as removed; a closed remover takes nothing more.
  remover.remove(['n/dbs/9/9/gone.parquet'], 'again');
  await remover.idle();
  assert.equal(remover.stats.removed, 3);
  remover.close();
  remover.remove(['n/dbs/2/0/c.parquet'], 'after close');
  await remover.idle();
  assert.equal((await memory.list({ prefix: 'n/' })).objects.length, 1);
});

test('a Parquet file of a deleted table is removed only once the queries that were reading it have finished', async () => {
  const { db, dir, cleanup } = await tempDatabase();
  let release = () => undefined as void;
  try {
    const lines = Array.from({ length: 6_000 }, (_, i) => `cpu,host=h${i % 7} v=${i}i ${1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n}`);
    await db.writer.writeLp('d', Buffer.from(lines.join('\n')), { precision: 'ns', acceptPartial: false });
    await db.snapshotNow();
    const files = db.persistedFiles.filesOf(db.catalog.database('d')!.id, db.catalog.database('d')!.tables.get('cpu')!.id);
    assert.equal(files.length, 1);
    const path = join(dir, files[0]!.key);
    // A query that reads the file in several chunks, held after its first one.
    const held = new Promise<void>((resolve) => (release = resolve));
    let reading!: () => void;
    const started = new Promise<void>((resolve) => (reading = resolve));
    let rows = 0;
    const query = db.query.stream('d', 'SELECT * FROM cpu', undefined, {
      start: () => undefined,
      rows: async (chunk) => {
        rows += chunk.rowCount;
        reading();
        await held;
      },
    });
    await started;
    await db.manage.deleteTable('d', 'cpu');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await access(path); // still there: the query may read on
    release();
    await query;
    assert.equal(rows, 6_000, 'the running query read every row of the file');
    await db.remover.idle();
    await assert.rejects(access(path), /ENOENT/, 'removed once the query finished');
  } finally {
    release(); // a failed check must not leave the query (and so the engine's close) waiting
    await cleanup();
  }
});

test('with a grace, a file stays on the store for that long after it left the index (query nodes may still read it); close ends the wait and keeps it', async () => {
  const clock = new SimClock();
  const memory = new MemoryObjectStore();
  for (const k of ['n/a.parquet', 'n/b.parquet', 'n/c.parquet']) await memory.put(k, new Uint8Array(1), 'create');
  const logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never;
  const remover = new FileRemover({ store: memory, clock, logger, graceMs: 60_000 });
  const keys = async () => (await memory.list({ prefix: 'n/' })).objects.map((o) => o.key);
  remover.remove(['n/a.parquet'], 'compacted');
  await clock.advance(30_000);
  remover.remove(['n/b.parquet'], 'compacted');
  await clock.advance(29_999);
  assert.deepEqual(await keys(), ['n/a.parquet', 'n/b.parquet', 'n/c.parquet'], 'nothing before its grace is over');
  await clock.advance(1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await keys(), ['n/b.parquet', 'n/c.parquet'], 'a.parquet 60 s after it left');
  await clock.advance(30_000);
  await remover.idle();
  assert.deepEqual(await keys(), ['n/c.parquet'], 'b.parquet 60 s after it left');
  remover.remove(['n/c.parquet'], 'table deleted');
  await clock.advance(1_000);
  remover.close(); // a stopping server does not wait out the grace: the next start removes it
  await remover.idle();
  assert.deepEqual(await keys(), ['n/c.parquet']);
  assert.equal(remover.stats.removed, 2);
});
