/**
 * I/O errors (goal R6 in docs/testing.md): each file operation of the WAL flush path and of the snapshot
 * path fails at its k-th call, k = 1…K, once (transient) or on every call from the k-th on
 * (persistent), with EIO, ENOSPC or EDQUOT. In every run: no false acknowledgement (a power loss
 * that keeps only what was fsynced, then recovery, finds every acknowledged write exactly once),
 * no write acknowledged before an earlier one is settled, fsync never retried on a handle whose
 * fsync failed. Transient faults heal without a restart; persistent faults on the WAL's put path
 * leave the WAL unhealthy and new writes unacknowledged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/effects/clock.js';
import { SeededRng } from '../../src/effects/rng.js';
import { SimFs, type SimFsOp } from '../../src/effects/sim-fs.js';
import type { SluiceDatabase } from '../../src/database/database.js';
import { AckChecker } from '../support/ack-checker.js';
import { rowValues, writeOp } from '../support/wal-helpers.js';
import { openDb, openSimWal, presentKeys, request, type Request } from './power-loss-harness.js';

const K = Number(process.env.IO_ERRORS_K ?? 20);
const CODES = ['EIO', 'ENOSPC', 'EDQUOT'] as const;
const WAL_CONFIG = { flushIntervalMs: 10, putRetryBaseDelayMs: 5, putRetryMaxDelayMs: 20 };
/** A transient fault heals within this much simulated time: two flush intervals and a retry. */
const HEAL_BOUND_MS = 2 * WAL_CONFIG.flushIntervalMs + WAL_CONFIG.putRetryMaxDelayMs;

/** Every file operation a WAL flush makes (the epoch re-check is a stat; a put that meets its own earlier attempt reads it back). */
const FLUSH_OPS: SimFsOp[] = ['createExclusive', 'write', 'sync', 'close', 'link', 'syncDir', 'unlink', 'stat', 'readFile'];
/** Operations whose persistent failure stops every WAL put (the temp unlink is best effort). */
const PUT_CRITICAL: ReadonlySet<SimFsOp> = new Set(['createExclusive', 'write', 'sync', 'close', 'link', 'syncDir', 'stat', 'readFile']);

/** Settles requests in order and checks no request is acknowledged before an earlier one settled. */
class OrderedRequests {
  readonly checker: AckChecker;
  private readonly settled: boolean[] = [];
  readonly outcomes: Array<'pending' | 'acked' | 'failed'> = [];

  constructor(label: string) {
    this.checker = new AckChecker(label);
  }

  track(keys: string[], done: Promise<void>): void {
    const i = this.settled.length;
    this.settled.push(false);
    this.outcomes.push('pending');
    this.checker.attempt(String(i), keys);
    done.then(
      () => {
        for (let j = 0; j < i; j++) assert.ok(this.settled[j], `${this.checker.label}: request ${i} acknowledged before earlier request ${j} settled`);
        this.settled[i] = true;
        this.outcomes[i] = 'acked';
        this.checker.ack(String(i));
      },
      () => {
        this.settled[i] = true;
        this.outcomes[i] = 'failed';
        this.checker.indeterminate(String(i)); // failed after buffering: may still be durable
      },
    );
  }

  get pending(): number {
    return this.outcomes.filter((o) => o === 'pending').length;
  }
}

interface FlushRun {
  fired: boolean;
  acked: number;
  healedMs?: number;
}

async function flushRun(op: SimFsOp, k: number, isPersistent: boolean): Promise<FlushRun> {
  const seed = k * 31 + FLUSH_OPS.indexOf(op) * 7 + (isPersistent ? 1000 : 0);
  const code = CODES[k % CODES.length]!;
  const label = `flush path: ${op} fails at call ${k} with ${code} (${isPersistent ? 'persistent' : 'transient'})`;
  const sim = new SimFs();
  const clock = new SimClock();
  const { wal } = await openSimWal(sim, seed, WAL_CONFIG, clock, true);
  const requests = new OrderedRequests(label);
  let nextValue = 10;
  const write = (): void => {
    const rows = 1 + (nextValue % 3);
    const base = nextValue;
    nextValue += 10;
    requests.track(Array.from({ length: rows }, (_, r) => String(base + r)), wal.writeOps([writeOp(BigInt(base), rows, base)]));
  };
  const before = sim.opCounts.get(op) ?? 0;
  sim.failAt(op, k, code, isPersistent);
  if (op === 'readFile') {
    // A put reads its object back only after a conflict: make directory fsyncs fail now and
    // then, so retried puts meet their own earlier attempt and read it back.
    for (let n = 2; n <= 90; n += 3) sim.failAt('syncDir', n, 'EIO');
  }
  let firedAtMs: number | undefined;
  let firstAfterFault = Infinity;
  let healedMs: number | undefined;
  const hasFired = () => (sim.opCounts.get(op) ?? 0) - before >= k;
  for (let step = 0; step < 30; step++) {
    write();
    if (step % 3 === 0) write();
    await clock.advance(10);
    if (firedAtMs === undefined && hasFired()) {
      firedAtMs = clock.nowMs();
      firstAfterFault = requests.outcomes.length;
    }
    // Healed: healthy, and a write made after the fault acknowledged.
    if (firedAtMs !== undefined && healedMs === undefined && !isPersistent && wal.health().state === 'ok' && requests.outcomes.slice(firstAfterFault).includes('acked')) {
      healedMs = clock.nowMs() - firedAtMs;
    }
  }
  const fired = hasFired();
  if (!isPersistent) {
    // Heals without a restart: every write is acknowledged and the WAL is healthy again.
    await clock.runUntilTrue(() => requests.pending === 0, 2_000);
    assert.equal(requests.pending, 0, `${label}: writes still waiting after the fault passed`);
    assert.ok(requests.outcomes.every((o) => o === 'acked'), `${label}: a transient fault failed a write`);
    assert.equal(wal.health().state, 'ok', `${label}: healthy again`);
    if (fired) assert.ok(healedMs !== undefined && healedMs <= HEAL_BOUND_MS, `${label}: healed after ${healedMs} ms, bound ${HEAL_BOUND_MS}`);
  } else if (fired && PUT_CRITICAL.has(op)) {
    await clock.advance(200);
    assert.notEqual(wal.health().state, 'ok', `${label}: a WAL that cannot write reports itself unhealthy`);
    // A write made now is not acknowledged.
    const pendingBefore = requests.pending;
    write();
    await clock.advance(200);
    assert.ok(requests.pending >= pendingBefore + 1, `${label}: a write was acknowledged while every put fails`);
  } else {
    await clock.advance(200);
  }
  assert.deepEqual(sim.syncRetriesAfterFailure, [], `${label}: fsync retried on a handle whose fsync failed`);

  // Power loss keeping only what was fsynced, then recovery: no false acknowledgement.
  sim.crash(new SeededRng(seed), 'dropAll');
  const recovered = await openSimWal(sim, seed + 2);
  await recovered.wal.shutdown();
  const report = requests.checker.check(rowValues(recovered.notifier.ops()).map(String));
  return { fired, acked: report.acked, ...(healedMs === undefined ? {} : { healedMs }) };
}

test(`I/O errors on the WAL flush path: each operation failing at call 1…${K}, transient and persistent`, { timeout: 300_000 }, async () => {
  const started = performance.now();
  let runs = 0;
  let fired = 0;
  let acked = 0;
  let maxHealMs = 0;
  const unfired = new Map<SimFsOp, number>();
  for (const op of FLUSH_OPS) {
    for (let k = 1; k <= K; k++) {
      for (const isPersistent of [false, true]) {
        const r = await flushRun(op, k, isPersistent);
        runs++;
        if (r.fired) fired++;
        else unfired.set(op, (unfired.get(op) ?? 0) + 1);
        acked += r.acked;
        if (r.healedMs !== undefined && r.fired) maxHealMs = Math.max(maxHealMs, r.healedMs);
      }
    }
  }
  console.log(`# I/O errors, WAL flush path: ${runs} runs (${FLUSH_OPS.length} operations × k = 1…${K} × transient/persistent; ${fired} faults fired), ${acked} acknowledged writes checked after power loss, lost 0, false acknowledgements 0, fsync retries on a failed handle 0, transient faults healed without restart within ${maxHealMs} simulated ms (flush interval ${WAL_CONFIG.flushIntervalMs} ms); not reached: ${[...unfired].map(([o, n]) => `${o} ×${n}`).join(', ') || 'none'} (${Math.round(performance.now() - started)} ms)`);
  assert.ok(fired > runs * 0.8, 'most injected faults fired');
});

// ---- the snapshot path: a real database on SimFs ----------------------------------------------

/** Every file operation of a snapshot (Parquet, catalog and manifest puts, WAL deletes) with a write during it. */
const SNAPSHOT_OPS: SimFsOp[] = ['mkdirp', 'syncDir', 'createExclusive', 'write', 'sync', 'close', 'rename', 'link', 'unlink', 'stat', 'readFile', 'readdir'];
const SNAPSHOT_WAL = { putRetryBaseDelayMs: 5, putRetryMaxDelayMs: 20 };
const SNAPSHOT_CONCURRENCY = Number(process.env.IO_ERRORS_CONCURRENCY ?? 3);

/** A disk holding a database with two acknowledged requests (and its WAL files). */
async function snapshotBase(): Promise<{ disk: SimFs; requests: Request[] }> {
  const sim = new SimFs();
  const { db, store } = await openDb(sim, 5, SNAPSHOT_WAL);
  const requests = [request(3, 0), request(3, 70)];
  for (const r of requests) {
    const done = db.writer.writeLp('db', Buffer.from(r.body), { precision: 's' });
    await db.wal.flushBuffer();
    await done;
    r.ackedAtCall = 0;
  }
  await db.close();
  await store.close();
  return { disk: sim, requests };
}

/** Waits (simulated time for retries, real time for DuckDB) until `done()` or the budget is spent. */
async function drive(clock: SimClock, done: () => boolean, giveUp: () => boolean, simMs = 500, realMs = 3_000): Promise<void> {
  const realStart = performance.now();
  const simStart = clock.nowMs();
  while (!done()) {
    const isPastBudget = clock.nowMs() - simStart >= simMs;
    if (isPastBudget && (giveUp() || performance.now() - realStart > realMs)) return;
    await clock.advance(10);
    if (isPastBudget) await new Promise<void>((resolve) => setTimeout(resolve, 1)); // DuckDB works in real time
  }
}

/** The keys present; a query may fail on an injected read fault, so it is asked twice. */
async function presentKeysRetried(db: SluiceDatabase): Promise<string[]> {
  try {
    return await presentKeys(db);
  } catch {
    return presentKeys(db);
  }
}

interface SnapshotRun {
  fired: boolean;
  acked: number;
  snapshotFailed: boolean;
  walStuck: boolean;
}

async function snapshotRun(base: { disk: SimFs; requests: Request[] }, op: SimFsOp, k: number, isPersistent: boolean): Promise<SnapshotRun> {
  const code = CODES[k % CODES.length]!;
  const label = `snapshot path: ${op} fails at call ${k} with ${code} (${isPersistent ? 'persistent' : 'transient'})`;
  const sim = base.disk.clone();
  const clock = new SimClock();
  const { db, store } = await openDb(sim, k, SNAPSHOT_WAL, clock);
  const checker = new AckChecker(label);
  const outcomes: Array<'pending' | 'acked' | 'failed'> = [];
  for (const r of base.requests) {
    checker.attempt(r.id, r.keys);
    checker.ack(r.id);
  }
  const write = (r: Request): void => {
    const i = outcomes.length;
    outcomes.push('pending');
    checker.attempt(r.id, r.keys);
    checker.indeterminate(r.id);
    const done = db.writer.writeLp('db', Buffer.from(r.body), { precision: 's' });
    void db.wal.flushBuffer().catch(() => undefined);
    done.then(
      () => {
        for (let j = 0; j < i; j++) assert.notEqual(outcomes[j], 'pending', `${label}: a write acknowledged before an earlier one settled`);
        outcomes[i] = 'acked';
        checker.ack(r.id);
      },
      () => (outcomes[i] = 'failed'),
    );
  };
  let snapshotFailed = false;
  let walStuck = false;
  let fired = false;
  let before = 0;
  try {
    write(request(2, 130));
    await drive(clock, () => outcomes[0] !== 'pending', () => false);
    before = sim.opCounts.get(op) ?? 0;
    sim.failAt(op, k, code, isPersistent);
    const snap: { outcome: 'pending' | 'ok' | 'failed' } = { outcome: 'pending' };
    db.snapshotNow().then(
      () => (snap.outcome = 'ok'),
      () => (snap.outcome = 'failed'),
    );
    write(request(2, 200)); // arrives while the snapshot runs
    const allSettled = () => snap.outcome !== 'pending' && outcomes.every((o) => o !== 'pending');
    // Persistent faults: wait until the writes settle or the WAL says it is unhealthy (a snapshot
    // whose puts keep failing retries for ever while the WAL goes on).
    const hasFired = () => (sim.opCounts.get(op) ?? 0) - before >= k;
    await drive(clock, allSettled, () => isPersistent && hasFired() && (db.wal.health().state !== 'ok' || outcomes.every((o) => o !== 'pending')));
    if (!isPersistent && snap.outcome === 'failed') {
      // A failed snapshot keeps its data buffered; the next one succeeds without a restart.
      snapshotFailed = true;
      snap.outcome = 'pending';
      db.snapshotNow().then(
        () => (snap.outcome = 'ok'),
        () => (snap.outcome = 'failed'),
      );
      await drive(clock, allSettled, () => false);
    }
    if (!isPersistent) {
      assert.equal(snap.outcome, 'ok', `${label}: the snapshot after a transient fault (failed once: ${snapshotFailed}, writes ${outcomes.join(',')}, wal ${JSON.stringify(db.wal.health())})`);
      assert.ok(outcomes.every((o) => o === 'acked'), `${label}: every write acknowledged after a transient fault (${outcomes.join(',')})`);
      assert.equal(db.wal.health().state, 'ok', `${label}: healthy again`);
      checker.check(await presentKeysRetried(db), 'before any restart');
    } else {
      snapshotFailed = snap.outcome !== 'ok'; // failed, or still retrying
      walStuck = outcomes.includes('pending');
      // Writers held by the WAL see it unhealthy; a write made now is not acknowledged.
      if (walStuck) {
        assert.notEqual(db.wal.health().state, 'ok', `${label}: writers wait, yet the WAL reports itself healthy`);
        write(request(1, 300));
        await drive(clock, () => false, () => true, 100);
        assert.equal(outcomes.at(-1), 'pending', `${label}: a write was acknowledged while the WAL cannot write`);
      }
    }
    assert.deepEqual(sim.syncRetriesAfterFailure, [], `${label}: fsync retried on a handle whose fsync failed`);
    fired = (sim.opCounts.get(op) ?? 0) - before >= k;
  } finally {
    await db.kill();
    await store.close().catch(() => undefined);
  }
  // Power loss keeping only what was fsynced, then a restart: no false acknowledgement.
  sim.crash(new SeededRng(k), 'dropAll');
  const reopened = await openDb(sim, k + 100, SNAPSHOT_WAL);
  try {
    const report = checker.check(await presentKeys(reopened.db), 'after power loss and restart');
    return { fired, acked: report.acked, snapshotFailed, walStuck };
  } finally {
    await reopened.db.close();
    await reopened.store.close();
  }
}

test(`I/O errors on the snapshot path: each operation failing at call 1…${K} (as far as a snapshot reaches), transient and persistent`, { timeout: 300_000 }, async () => {
  const started = performance.now();
  const base = await snapshotBase();
  // How often a snapshot (and the query after it) calls each operation: k beyond that cannot fire.
  const probe = await (async () => {
    const sim = base.disk.clone();
    const clock = new SimClock();
    const { db, store } = await openDb(sim, 1, SNAPSHOT_WAL, clock);
    const w = db.writer.writeLp('db', Buffer.from(request(2, 130).body), { precision: 's' });
    await db.wal.flushBuffer();
    await w;
    const before = new Map(sim.opCounts);
    const snapshot = db.snapshotNow();
    const during = db.writer.writeLp('db', Buffer.from(request(2, 200).body), { precision: 's' });
    await db.wal.flushBuffer();
    await Promise.all([snapshot, during]);
    const calls = new Map(SNAPSHOT_OPS.map((op) => [op, (sim.opCounts.get(op) ?? 0) - (before.get(op) ?? 0)]));
    await db.close();
    await store.close();
    return calls;
  })();
  let runs = 0;
  let fired = 0;
  let acked = 0;
  let snapshotsFailed = 0;
  let walStuck = 0;
  const reached: string[] = [];
  const cases: Array<{ op: SimFsOp; k: number; isPersistent: boolean }> = [];
  for (const op of SNAPSHOT_OPS) {
    const maxK = Math.min(K, probe.get(op)!);
    reached.push(`${op} ${maxK}`);
    for (let k = 1; k <= maxK; k++) for (const isPersistent of [false, true]) cases.push({ op, k, isPersistent });
  }
  // Runs are independent (each its own disk and clock); a few at once overlap DuckDB's waits.
  let nextCase = 0;
  const worker = async (): Promise<void> => {
    while (nextCase < cases.length) {
      const { op, k, isPersistent } = cases[nextCase++]!;
      const r = await snapshotRun(base, op, k, isPersistent);
      runs++;
      if (r.fired) fired++;
      if (r.snapshotFailed) snapshotsFailed++;
      if (r.walStuck) walStuck++;
      acked += r.acked;
    }
  };
  await Promise.all(Array.from({ length: SNAPSHOT_CONCURRENCY }, worker));
  console.log(`# I/O errors, snapshot path: ${runs} runs (k per operation: ${reached.join(', ')}; × transient/persistent; ${fired} faults fired, ${snapshotsFailed} snapshots failed, ${walStuck} persistent faults held the WAL), ${acked} acknowledged writes checked after power loss and restart, lost 0, false acknowledgements 0, fsync retries on a failed handle 0, transient faults healed without restart (${Math.round(performance.now() - started)} ms)`);
  assert.ok(fired > runs * 0.8, 'most injected faults fired');
});

// ---- over HTTP ------------------------------------------------------------------------------------

test('over HTTP, a disk whose fsync fails from now on: 503 to the waiting writer within the deadline, 503 to new writers at once, /health 503; healing needs no restart and a power loss then loses nothing acknowledged', async () => {
  const { request: httpRequest } = await import('node:http');
  const { SluiceServer } = await import('../../src/server/http.js');
  const { SystemClock } = await import('../../src/effects/clock.js');
  const send = (port: number, method: string, path: string, body?: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  const sim = new SimFs();
  const { db, store } = await openDb(sim, 3, { flushIntervalMs: 5, putRetryBaseDelayMs: 5, putRetryMaxDelayMs: 20 }, new SystemClock(), true);
  const server = new SluiceServer({ db, writeTimeoutMs: 250, degradedAfterPutFailures: 3 });
  const { port } = await server.listen('127.0.0.1', 0);
  const checker = new AckChecker('HTTP over a failing disk');
  const statuses: number[] = [];
  const write = async (id: string) => {
    const r = request(2, 10);
    checker.attempt(id, r.keys);
    const reply = await send(port, 'POST', '/api/v3/write_lp?db=db&precision=s', r.body);
    statuses.push(reply.status);
    if (reply.status === 204) checker.ack(id);
    else if (reply.status === 503 && reply.text.startsWith('write refused, nothing was written')) checker.refuse(id);
    else checker.indeterminate(id);
    return reply;
  };
  try {
    assert.equal((await write('before')).status, 204);
    sim.failAt('sync', 1, 'EIO', true);
    const waiting = await write('waiting');
    assert.equal(waiting.status, 503);
    assert.match(waiting.text, /^write outcome unknown/);
    assert.equal((await send(port, 'GET', '/health')).status, 503);
    const refused = await write('refused');
    assert.equal(refused.status, 503);
    assert.match(refused.text, /^write refused, nothing was written: the WAL is degraded/);
    assert.deepEqual(sim.syncRetriesAfterFailure, []);
    sim.clearFaults();
    const started = performance.now();
    while ((await send(port, 'GET', '/health')).status !== 200) {
      assert.ok(performance.now() - started < 5_000, 'healthy again without a restart');
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal((await write('after')).status, 204);
  } finally {
    await server.close();
    await db.close(); // stops the WAL's timer (the real clock's); what was acknowledged is synced already
    await store.close();
  }
  sim.crash(new SeededRng(3), 'dropAll');
  const reopened = await openDb(sim, 4);
  try {
    const report = checker.check(await presentKeys(reopened.db), 'after power loss');
    console.log(`# I/O errors over HTTP: statuses ${statuses.join(', ')}; after power loss: ${report.acked} acknowledged present, ${report.refused} refused absent, ${report.indeterminate} indeterminate whole or absent`);
  } finally {
    await reopened.db.close();
    await reopened.store.close();
  }
});
