/**
 * Write workers: bodies parsed and validated on worker threads commit exactly what the main
 * thread would have — the same rows, rejected lines, schema and WAL bytes — including bodies
 * that add schema while other bodies are in flight (sent to a worker again, then redone on the main thread), and bodies moved to a worker rather than copied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalog } from '../../src/catalog/catalog.js';
import { CatalogApplier } from '../../src/catalog/notifier.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import { WriteError } from '../../src/write/errors.js';
import { WriteWorkerLostError } from '../../src/write/validate-pool.js';
import { LineProtocolWriter } from '../../src/write/write-lp.js';
import { RecordingNotifier, rowsOf } from '../support/wal-helpers.js';

/** `text` in a buffer that is its own ArrayBuffer (Buffer.from(string) may share a pool). */
function ownBuffer(text: string): Buffer {
  const body = Buffer.from(new ArrayBuffer(Buffer.byteLength(text)));
  body.write(text);
  return body;
}

async function setup(workers: number) {
  const store = new MemoryObjectStore();
  const catalog = new Catalog();
  const notifier = new RecordingNotifier();
  const wal = await openWal({ store, nodeId: 'node', notifier: new CatalogApplier(catalog, notifier), config: { flushIntervalMs: 2 }, fencing: false });
  const writer = new LineProtocolWriter(catalog, wal, { workers, workerMinBytes: 0 });
  return { store, catalog, notifier, wal, writer };
}

/** Seeded bodies: growing schemas, type conflicts, bad lines, a few databases. */
function bodies(seed: number, count: number, withConflicts: boolean): Array<{ db: string; body: string }> {
  const rng = new SeededRng(seed);
  const out: Array<{ db: string; body: string }> = [];
  let t = 1_700_000_000_000_000_000n;
  for (let b = 0; b < count; b++) {
    const lines: string[] = [];
    const n = 1 + rng.nextInt(200);
    for (let i = 0; i < n; i++) {
      const table = `m${rng.nextInt(4)}`;
      const tags = Array.from({ length: rng.nextInt(3) }, (_, k) => `,t${k + rng.nextInt(2)}=v${rng.nextInt(5)}`).join('');
      const fields: string[] = [];
      for (let f = 0; f < 1 + rng.nextInt(3); f++) {
        const name = `f${rng.nextInt(6 + b)}`;
        const kind = withConflicts ? rng.nextInt(3) : Number(name.slice(1)) % 3;
        fields.push(`${name}=${kind === 0 ? `${rng.nextInt(1000)}i` : kind === 1 ? `${rng.nextInt(1000) / 8}` : `"s${rng.nextInt(9)}"`}`);
      }
      t += 1_000_000n;
      lines.push(rng.nextInt(50) === 0 ? `${table} bad line here` : `${table}${tags} ${[...new Set(fields.map((f) => f.split('=')[0]))].map((k) => fields.find((f) => f.startsWith(`${k}=`))).join(',')} ${t}`);
    }
    out.push({ db: `db${rng.nextInt(2)}`, body: lines.join('\n') });
  }
  return out;
}

test('bodies validated on workers commit exactly what the main thread commits: results, rejected lines, rows, schema', { timeout: 60_000 }, async () => {
  const seed = testSeed();
  console.log(`write workers seed=${seed} (replay with SEED=${seed})`);
  const plain = await setup(0);
  const pooled = await setup(2);
  for (const { db, body } of bodies(seed, 150, true)) {
    const a = await plain.writer.writeLp(db, Buffer.from(body), { precision: 'ns' }).catch((err: unknown) => err);
    const b = await pooled.writer.writeLp(db, Buffer.from(body), { precision: 'ns' }).catch((err: unknown) => err);
    assert.deepEqual(b, a, `seed ${seed}: the same result for ${JSON.stringify(body.slice(0, 80))}`);
  }
  assert.ok(pooled.writer.workerStats.committed > 100, `most bodies committed from a worker (${JSON.stringify(pooled.writer.workerStats)})`);
  assert.deepEqual(rowsOf(pooled.catalog, pooled.notifier.ops()), rowsOf(plain.catalog, plain.notifier.ops()));
  assert.deepEqual(Buffer.from(pooled.catalog.serialize()), Buffer.from(plain.catalog.serialize()));
  await plain.wal.shutdown();
  await pooled.wal.shutdown();
  await pooled.writer.close();
});

test('concurrent bodies that add schema on workers: every row lands once, ids stay consistent, refusals are typed', { timeout: 60_000 }, async () => {
  const seed = testSeed();
  const plain = await setup(0);
  const pooled = await setup(2);
  const all = bodies(seed, 120, false);
  for (const { db, body } of all) await plain.writer.writeLp(db, Buffer.from(body), { precision: 'ns' });
  // Bodies in buffers of their own, given up by the caller: they move to the worker and back
  // (again for a second try, and to the main thread for a redo) instead of being copied.
  await Promise.all(all.map(({ db, body }) => pooled.writer.writeLp(db, ownBuffer(body), { precision: 'ns', detachBody: true })));
  assert.deepEqual(rowsOf(pooled.catalog, pooled.notifier.ops()), rowsOf(plain.catalog, plain.notifier.ops()), `seed ${seed}`);
  const stats = pooled.writer.workerStats;
  assert.equal(stats.committed + stats.redone, all.length);
  console.log(`# worker stats ${JSON.stringify(stats)}`);
  assert.ok(stats.retried > 0, `some bodies went to a worker again because the schema changed under them (${JSON.stringify(stats)})`);
  assert.ok(stats.redone > 0, `some bodies were validated on the main thread after a second try (${JSON.stringify(stats)})`);
  // a refusal on the worker is redone on the main thread and throws the typed error there
  await assert.rejects(pooled.writer.writeLp('bad/db', Buffer.from('m f=1 1')), (err: unknown) => err instanceof WriteError && err.code === 'INVALID_DATABASE');
  await assert.rejects(pooled.writer.writeLp('db0', Buffer.from('')), (err: unknown) => err instanceof WriteError && err.code === 'EMPTY_WRITE');
  await plain.wal.shutdown();
  await pooled.wal.shutdown();
  await pooled.writer.close();
});

test('a worker that dies holding a moved body: 503-able WriteWorkerLostError, nothing written; a copied body is redone on the main thread', { timeout: 60_000 }, async () => {
  const pooled = await setup(1);
  const lines = Array.from({ length: 40_000 }, (_, i) => `m,h=h${i % 100} v=${i}i,w=${i}.5 ${1_700_000_000_000_000_000 + i}`).join('\n');
  const kill = () => (pooled.writer as unknown as { pool: { workers: Array<{ worker: { terminate(): Promise<number> } }> } }).pool.workers[0]!.worker.terminate();
  // Moved: the body is gone with the worker.
  const given = ownBuffer(lines);
  const moved = pooled.writer.writeLp('db', given, { precision: 'ns', detachBody: true });
  assert.equal(given.length, 0, 'the body moved to the worker, not a copy');
  await kill();
  await assert.rejects(moved, (err: unknown) => err instanceof WriteWorkerLostError && /nothing was written, retry/.test(err.message));
  assert.equal(pooled.catalog.listDatabases().length, 0, 'no schema from the lost body');
  assert.equal(pooled.notifier.ops().length, 0);
  // Copied: the caller's body is still there, so the main thread validates it (a new worker starts for later bodies).
  const copied = pooled.writer.writeLp('db', ownBuffer(lines), { precision: 'ns' });
  await kill();
  const result = await copied;
  assert.equal(result.lineCount, 40_000);
  assert.equal(rowsOf(pooled.catalog, pooled.notifier.ops()).length, 40_000);
  await pooled.wal.shutdown();
  await pooled.writer.close();
});
