import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock, SystemClock, drainMicrotasks } from '../../src/effects/clock.js';
import { SeededRng } from '../../src/effects/rng.js';
import { AlreadyExistsError, NotFoundError, StoreIoError, UnsafeStoreError } from '../../src/objectstore/errors.js';
import { FaultyObjectStore, type FaultyObjectStoreOptions } from '../../src/objectstore/faulty.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { probeConditionalPut } from '../../src/objectstore/probe.js';
import { listAll } from '../../src/objectstore/types.js';
import { noopNotifier } from '../../src/wal/notifier.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import { objectStoreContract } from './contract.js';

objectStoreContract('faulty store without faults', async () => ({
  store: new FaultyObjectStore(new MemoryObjectStore(), { rng: new SeededRng(1), clock: new SystemClock() }),
  dispose: async () => {},
}));

function faulty(options: Partial<FaultyObjectStoreOptions> = {}, seed = 1): { store: FaultyObjectStore; inner: MemoryObjectStore; clock: SimClock } {
  const clock = options.clock instanceof SimClock ? options.clock : new SimClock();
  const inner = new MemoryObjectStore({ clock });
  return { store: new FaultyObjectStore(inner, { rng: new SeededRng(seed), clock, ...options }), inner, clock };
}

const isTransient = (err: unknown): boolean => err instanceof StoreIoError && err.isTransient;

test('an error before the effect: transient, and nothing was written or deleted', async () => {
  const { store, inner } = faulty({ faults: { put: { errorBeforeRate: 1 }, delete: { errorBeforeRate: 1 } } });
  await assert.rejects(store.put('a/x', Buffer.from('1'), 'create'), isTransient);
  await assert.rejects(inner.head('a/x'), NotFoundError);
  await inner.put('a/y', Buffer.from('2'), 'create');
  await assert.rejects(store.delete('a/y'), isTransient);
  assert.equal((await inner.head('a/y')).sizeBytes, 1);
  assert.deepEqual(store.trace.map((e) => [e.op, e.outcome, e.effectMs === undefined]), [['put', 'error-before', true], ['delete', 'error-before', true]]);
});

test('an error after the effect: the same transient error, but the put and the delete did happen', async () => {
  const { store, inner } = faulty({ faults: { put: { errorAfterRate: 1 }, delete: { errorAfterRate: 1 }, get: { errorAfterRate: 1 } } });
  await assert.rejects(store.put('a/x', Buffer.from('hello'), 'create'), isTransient);
  assert.equal(Buffer.from(await inner.get('a/x')).toString(), 'hello');
  await assert.rejects(store.get('a/x'), isTransient);
  // a retried create meets its own earlier attempt
  await assert.rejects(store.put('a/x', Buffer.from('hello'), 'create'), AlreadyExistsError);
  await assert.rejects(store.delete('a/x'), isTransient);
  await assert.rejects(inner.head('a/x'), NotFoundError);
  assert.deepEqual(store.trace.map((e) => e.outcome), ['error-after', 'error-after', 'already-exists', 'error-after']);
  assert.equal(store.counts.errorAfter, 3);
});

test('a 409 ConditionalRequestConflict is a transient put error that writes nothing; other operations never get it', async () => {
  const { store, inner } = faulty({ allOps: { conflictRate: 1 } });
  await assert.rejects(store.put('a/x', Buffer.from('1'), 'create'), (err: unknown) => isTransient(err) && /409 ConditionalRequestConflict/.test((err as Error).message));
  await assert.rejects(inner.head('a/x'), NotFoundError);
  await inner.put('a/x', Buffer.from('1'), 'create');
  assert.equal((await store.head('a/x')).sizeBytes, 1);
  await store.delete('a/x');
  assert.equal(store.counts.conflict, 1);
});

test('latency runs on the clock and the effect lands inside it, so concurrent calls reorder', async () => {
  const { store, inner, clock } = faulty({ allOps: { latencyRate: 1, minLatencyMs: 100, maxLatencyMs: 100 } });
  let isDone = false;
  const put = store.put('a/x', Buffer.from('1'), 'create').then(() => (isDone = true));
  await clock.advance(99);
  assert.equal(isDone, false, 'still in flight after 99 ms');
  await clock.advance(1);
  await put;
  assert.equal(isDone, true);
  const e = store.trace[0]!;
  assert.ok(e.effectMs! >= e.startMs && e.effectMs! <= e.endMs && e.endMs - e.startMs === 100);
  assert.equal((await inner.head('a/x')).sizeBytes, 1);

  // Two puts of one key started in order: over many seeds, both orders of effect happen.
  const winners = new Set<string>();
  for (let seed = 1; seed <= 40 && winners.size < 2; seed++) {
    const s = faulty({ allOps: { latencyRate: 1, minLatencyMs: 1, maxLatencyMs: 50 } }, seed);
    const first = s.store.put('k/x', Buffer.from('first'), 'create').catch(() => undefined);
    const second = s.store.put('k/x', Buffer.from('second'), 'create').catch(() => undefined);
    await s.clock.advance(100);
    await Promise.all([first, second]);
    winners.add(Buffer.from(await s.inner.get('k/x')).toString());
  }
  assert.deepEqual([...winners].sort(), ['first', 'second']);
});

test('slow paginated lists: small pages, each with its latency, still complete and in order', async () => {
  const { store, inner, clock } = faulty({ listPageSize: 2, listPageLatencyMs: 50 });
  for (const k of ['p/e', 'p/a', 'p/d', 'p/b', 'p/c', 'q/z']) await inner.put(k, Buffer.from(k), 'create');
  const startMs = clock.nowMs();
  const listing = listAll(store, 'p/');
  await clock.advance(1000);
  assert.deepEqual((await listing).map((o) => o.key), ['p/a', 'p/b', 'p/c', 'p/d', 'p/e']);
  assert.equal(store.counts.listPages, 3);
  assert.deepEqual(store.trace.map((e) => [e.key, e.endMs - startMs]), [['p/', 50], ['p/ after p/b', 100], ['p/ after p/d', 150]]);
  // a caller asking for fewer keys than a page gets fewer
  const page = store.list({ prefix: 'p/', maxKeys: 1 });
  await clock.advance(50);
  assert.equal((await page).objects.length, 1);
});

test('a store that ignores conditional puts overwrites on create; the probe refuses it, and so does openWal', async () => {
  const { store, inner } = faulty({ ignoreConditionalPuts: true });
  await store.put('a/x', Buffer.from('first'), 'create');
  await store.put('a/x', Buffer.from('second'), 'create');
  assert.equal(Buffer.from(await inner.get('a/x')).toString(), 'second');
  assert.deepEqual(store.trace.map((e) => e.outcome), ['ok', 'overwrote-create']);
  await assert.rejects(probeConditionalPut(store, 'node/probe'), (err: unknown) => err instanceof UnsafeStoreError && /second create-only put/.test(err.message));
  await assert.rejects(openWal({ store, nodeId: 'node', notifier: noopNotifier, startBackgroundFlush: false }), UnsafeStoreError);
  assert.ok(store.counts.ignoredConditions >= 3);
  // the same store honouring conditions passes the probe
  await probeConditionalPut(faulty().store, 'node/probe');
});

test('a crash: a call in flight still takes effect but never answers; later calls are never sent', async () => {
  const { store, inner, clock } = faulty({ allOps: { latencyRate: 1, minLatencyMs: 100, maxLatencyMs: 100 } }, 3);
  let isSettled = false;
  void store.put('a/x', Buffer.from('1'), 'create').finally(() => (isSettled = true));
  await clock.advance(1);
  store.crash();
  void store.put('a/y', Buffer.from('2'), 'create').finally(() => (isSettled = true));
  await clock.advance(1000);
  await drainMicrotasks();
  assert.equal(isSettled, false);
  assert.equal((await inner.head('a/x')).sizeBytes, 1, 'the in-flight put landed');
  await assert.rejects(inner.head('a/y'), NotFoundError, 'the put after the crash was never sent');
  assert.deepEqual(store.trace.map((e) => [e.key, e.outcome, e.isAnswered]), [['a/x', 'ok', false]]);
});

test('a crash can hold calls in flight so that they land late', async () => {
  const { store, inner, clock } = faulty({ allOps: { latencyRate: 1, minLatencyMs: 100, maxLatencyMs: 100 } }, 3);
  void store.put('a/x', Buffer.from('1'), 'create');
  await clock.advance(1);
  store.crash({ inFlightDelayMs: 5_000 });
  await clock.advance(4_000);
  await assert.rejects(inner.head('a/x'), NotFoundError, 'not yet landed');
  await clock.advance(2_000);
  assert.equal((await inner.head('a/x')).sizeBytes, 1, 'landed late');
  assert.ok(store.trace[0]!.effectMs! >= store.trace[0]!.startMs + 5_000);
});

/** A random mix of calls from several concurrent callers, on a simulated clock. */
async function randomRun(seed: number): Promise<{ digest: string; store: FaultyObjectStore; objects: string[] }> {
  const clock = new SimClock();
  const inner = new MemoryObjectStore({ clock });
  const rates = { errorBeforeRate: 0.1, errorAfterRate: 0.1, conflictRate: 0.05, latencyRate: 0.5, minLatencyMs: 1, maxLatencyMs: 40 };
  const store = new FaultyObjectStore(inner, { rng: new SeededRng(seed), clock, allOps: rates, listPageSize: 3, listPageLatencyMs: 5 });
  const callers = new SeededRng(seed ^ 0x5eed);
  const caller = async (id: number): Promise<void> => {
    for (let i = 0; i < 40; i++) {
      const key = `d/${callers.nextInt(12)}`;
      const call = [
        () => store.put(key, Buffer.from(`${id}.${i}`), callers.nextInt(2) === 0 ? 'create' : 'overwrite'),
        () => store.get(key),
        () => store.getRange(key, 0, 2),
        () => store.head(key),
        () => listAll(store, 'd/'),
        () => store.delete(key),
      ][callers.nextInt(6)]!;
      await call().catch(() => undefined);
      await clock.sleep(callers.nextInt(10));
    }
  };
  const done = Promise.all([0, 1, 2, 3].map(caller));
  await clock.runUntilTrue(() => false, 60_000);
  await done;
  const objects = await Promise.all((await listAll(inner, '')).map(async (o) => `${o.key}=${Buffer.from(await inner.get(o.key)).toString()}`));
  return { digest: store.traceDigest(), store, objects };
}

test('determinism: one seed run twice gives the same trace and the same objects; another seed does not', async () => {
  for (const seed of [11, 12, 13]) {
    const a = await randomRun(seed);
    const b = await randomRun(seed);
    assert.ok(a.store.trace.length > 100);
    assert.equal(a.digest, b.digest, `seed ${seed}: traces differ`);
    assert.deepEqual(a.store.trace, b.store.trace);
    assert.deepEqual(a.objects, b.objects);
    const c = a.store.counts;
    assert.ok(c.errorBefore > 0 && c.errorAfter > 0 && c.conflict > 0 && c.slowCalls > 0, `seed ${seed}: every kind of fault fired: ${JSON.stringify(c)}`);
  }
  assert.notEqual((await randomRun(11)).digest, (await randomRun(14)).digest);
});

test('fault rates are per call: 30 % errors before over 2 000 calls', async () => {
  const { store, inner } = faulty({ faults: { head: { errorBeforeRate: 0.3 } } }, 7);
  await inner.put('a/x', Buffer.from('1'), 'create');
  let failed = 0;
  for (let i = 0; i < 2000; i++) await store.head('a/x').catch(() => failed++);
  assert.ok(failed > 500 && failed < 700, `failed ${failed} of 2000`);
  store.heal();
  for (let i = 0; i < 100; i++) await store.head('a/x');
});
