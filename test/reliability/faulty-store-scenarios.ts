/**
 * The seeded scenarios of the faulty-store and writers suites (and of the broken-build checks
 * that run them with a safety step switched off).
 */
import assert from 'node:assert/strict';
import { SimClock } from '../../src/effects/clock.js';
import { SeededRng } from '../../src/effects/rng.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { epochKey } from '../../src/wal/paths.js';
import type { AckChecker, AckReport } from '../support/ack-checker.js';
import { drive, openProcess, SupersededOpenError, presentKeys, randomStoreOptions, Requests, storeDigest, type OpenFailures, type ProcessSpec, type WalProcess } from './faulty-store-harness.js';

const NODE = 'node';

/** What one seed did. */
export interface FaultyStoreRun {
  checker: AckChecker;
  /** Every row key the reader found (a key twice if stored twice). */
  present: string[];
  report: AckReport;
  crashes: number;
  processes: number;
  openFailures: OpenFailures;
  faults: { calls: number; errorBefore: number; errorAfter: number; conflict: number; slowCalls: number; listPages: number };
  snapshots: number;
  walFilesDeleted: number;
  /** WAL files a crashed process's late put left at the next number, replaced by the new process. */
  lateFilesReplaced: number;
  /** Digest of every process's trace, in order, and of the final store. */
  traceDigest: string;
  storeDigest: string;
}

/** One seed: 10 simulated minutes of writes, faults and crashes, then recovery and the check. */
export async function faultyStoreRun(seed: number, simulatedMs: number): Promise<FaultyStoreRun> {
  const rng = new SeededRng(seed);
  const clock = new SimClock();
  const mem = new MemoryObjectStore({ clock });
  const config = {
    flushIntervalMs: 700 + rng.nextInt(1_300),
    snapshotSize: 2 + rng.nextInt(8),
    snapshottedWalFilesToKeep: rng.nextInt(4),
    gen1Duration: '1m' as const,
    putRetryBaseDelayMs: 20,
    putRetryMaxDelayMs: 1_000,
    maxWriteBufferSize: 50 + rng.nextInt(200),
  };
  const storeOptions = randomStoreOptions(rng, 3_000);
  const requests = new Requests(`faulty store seed ${seed}`, clock);
  const openFailures: OpenFailures = new Map();
  const processes: WalProcess[] = [];
  let current: WalProcess | undefined;
  let crashes = 0;
  const logger = new CountingLogger();
  const spec = (i: number): ProcessSpec => ({ name: `p${i}`, mem, nodeId: NODE, clock, seed: seed + i * 0x10000, config, storeOptions, logger });
  const open = async (): Promise<void> => {
    const p = await openProcess(spec(processes.length), openFailures);
    processes.push(p);
    current = p;
  };

  await drive(clock, open());
  const endMs = clock.nowMs() + simulatedMs;
  // Crash times, and how long the process stays down each time.
  const crashAtMs = Array.from({ length: rng.nextInt(4) }, () => clock.nowMs() + rng.nextInt(simulatedMs)).sort((a, b) => a - b);
  let isWriting = true;
  let reopening: Promise<void> | undefined;

  // Several clients: each wake-up sends requests from 1–4 of them at once, so flushes carry
  // writes of concurrent clients (one timer for all keeps the simulation cheap).
  const clients = (async (): Promise<void> => {
    const own = new SeededRng(rng.nextU32());
    while (isWriting) {
      await clock.sleep(1 + own.nextInt(4_000));
      const senders = 1 + own.nextInt(3);
      for (let i = 0; i < senders && current !== undefined && isWriting; i++) requests.send(current, 1 + own.nextInt(4), clock.nowNs());
    }
  })();
  for (const at of crashAtMs) {
    clock.setTimer(at - clock.nowMs(), () => {
      if (current === undefined || !isWriting) return;
      // No answer reaches anyone; requests in flight stay unanswered, and some land late.
      current.store.crash({ inFlightDelayMs: rng.nextInt(2) === 0 ? 0 : rng.nextInt(10_000) });
      current.isCrashed = true;
      current = undefined;
      crashes++;
      const downMs = rng.nextInt(2) === 0 ? 0 : rng.nextInt(5_000);
      reopening = clock.sleep(downMs).then(open);
    });
  }

  await clock.runUntil(endMs);
  isWriting = false;
  if (reopening !== undefined) await drive(clock, reopening);
  // Every request to a live process is answered, faults or not.
  const live = current!;
  await clock.runUntilTrue(() => live.pending === 0, 120_000);
  assert.equal(live.pending, 0, `seed ${seed}: requests to the live process never answered (health ${JSON.stringify(live.wal.health())})`);
  await drive(clock, clients);

  // The end: a graceful stop or a crash, then recovery by a new process, still on the faulty store.
  if (rng.nextInt(2) === 0) await drive(clock, live.wal.shutdown());
  live.store.crash();
  const last = await drive(clock, openProcess(spec(processes.length), openFailures));
  processes.push(last);
  await drive(clock, last.wal.shutdown());

  const present = await presentKeys(mem, NODE, clock);
  for (const p of processes) assert.deepEqual(p.notifier.conflicts, [], `seed ${seed}: ${p.name} met a snapshot with other rows`);
  const faults = { calls: 0, errorBefore: 0, errorAfter: 0, conflict: 0, slowCalls: 0, listPages: 0 };
  for (const p of processes) for (const k of Object.keys(faults) as Array<keyof typeof faults>) faults[k] += p.store.counts[k];
  return {
    checker: requests.checker,
    present,
    report: requests.checker.report(present),
    crashes,
    processes: processes.length,
    openFailures,
    faults,
    snapshots: processes.reduce((n, p) => n + p.notifier.snapshotsPersisted, 0),
    walFilesDeleted: processes.reduce((n, p) => n + p.wal.getStats().walFilesDeleted, 0),
    lateFilesReplaced: logger.zombieFilesReplaced,
    traceDigest: processes.map((p) => p.store.traceDigest()).join(','),
    storeDigest: await storeDigest(mem),
  };
}


/** A silent WAL logger that counts the fenced writers' files a newer writer replaced. */
class CountingLogger {
  zombieFilesReplaced = 0;
  debug(): void {}
  info(): void {}
  warn(_o: object, msg: string): void {
    if (msg.startsWith('removing a WAL file a fenced writer wrote')) this.zombieFilesReplaced++;
  }
  error(): void {}
}

// ---- two or three writers on one node id ----------------------------------------------------

/** What one writers seed did. */
export interface WritersRun {
  checker: AckChecker;
  present: string[];
  report: AckReport;
  /** Fencing and liveness promises broken (zombie bound, a stop, an unanswered request, a failed open). */
  violations: string[];
  writers: number;
  /** Writers a newer one fenced, and of those how many had to flush after it (and stopped). */
  zombies: number;
  zombiesStopped: number;
  /** Most WAL files any zombie made durable after it was fenced (the bound is one). */
  maxFilesAfterFence: number;
  /** Acknowledgements by writers after a newer writer claimed the node id. */
  zombieAcks: number;
  crashes: number;
  snapshots: number;
  walFilesDeleted: number;
  /** Files a newer writer found at its number, written by a fenced one, and replaced. */
  zombieFilesReplaced: number;
  /** Opens that failed because a newer writer claimed the node id while they opened. */
  fencedOpens: number;
  openFailures: OpenFailures;
  faults: number;
}

/**
 * One seed of O3: two or three processes open the same node id at seeded moments (each open
 * claims the next epoch), with snapshots and cleanup running, store faults, and writes sent to
 * any of them — zombies included — interleaved on the simulated clock; now and then one crashes
 * or is stopped. Checks, besides what the reader finds, that every zombie makes at most one WAL
 * file durable after its fencing and then stops, and that the newest writer never stops.
 */
export async function writersRun(seed: number, options: { isSnapshotReadBeforeClaim?: boolean } = {}): Promise<WritersRun> {
  const rng = new SeededRng(seed);
  const clock = new SimClock();
  const mem = new MemoryObjectStore({ clock });
  const node = 'shared';
  const runMs = 1_500;
  const config = {
    flushIntervalMs: 20 + rng.nextInt(60),
    snapshotSize: 1 + rng.nextInt(3),
    snapshottedWalFilesToKeep: rng.nextInt(3),
    gen1Duration: '1m' as const,
    putRetryBaseDelayMs: 5,
    putRetryMaxDelayMs: 100,
  };
  const storeOptions = randomStoreOptions(rng, 150);
  const requests = new Requests(`writers seed ${seed}`, clock);
  const openFailures: OpenFailures = new Map();
  const startMs = clock.nowMs();
  const count = 2 + rng.nextInt(2);
  const writers: WalProcess[] = [];
  const stoppedByUs = new Set<WalProcess>();
  let crashes = 0;
  let zombieAcks = 0;
  const logger = new CountingLogger();

  const opens: Array<Promise<void>> = [];
  const openErrors: unknown[] = [];
  /** Broken promises other than the AckChecker's; the suite asserts none. */
  const violations: string[] = [];
  let fencedOpens = 0;
  for (let i = 0; i < count; i++) {
    const atMs = i === 0 ? 0 : rng.nextInt(Math.floor(runMs * 0.7));
    const spec: ProcessSpec = { name: `w${i}`, mem, nodeId: node, clock, seed: seed + i * 0x10000, config, storeOptions, logger, ...options };
    opens.push(
      clock.sleep(atMs).then(async () => {
        try {
          writers.push(await openProcess(spec, openFailures));
        } catch (err) {
          // A newer writer claimed the node id while this one opened: it gives up, as it should.
          if (err instanceof SupersededOpenError) fencedOpens++;
          else openErrors.push(err);
        }
      }),
    );
  }
  const isAlive = (w: WalProcess): boolean => !w.isCrashed && !stoppedByUs.has(w);
  // Now and then one writer crashes, or is stopped gracefully, at a seeded moment.
  const event = rng.nextInt(4);
  if (event < 2) {
    clock.setTimer(rng.nextInt(runMs), () => {
      const alive = writers.filter(isAlive);
      const w = alive[rng.nextInt(alive.length)];
      if (w === undefined) return;
      if (event === 0) {
        w.store.crash();
        w.isCrashed = true;
        crashes++;
      } else {
        stoppedByUs.add(w);
        void w.wal.shutdown();
      }
    });
  }
  const dataOffsetNs = (): bigint => BigInt(clock.nowMs() - startMs) * 19_000_000n; // data time runs 20× faster, so gen1 windows pass
  let isWriting = true;
  const newestEpoch = (): bigint => writers.reduce((m, w) => (w.wal.epoch() > m ? w.wal.epoch() : m), 0n);
  const load = (async (): Promise<void> => {
    const own = new SeededRng(rng.nextU32());
    while (isWriting) {
      await clock.sleep(1 + own.nextInt(25));
      const alive = writers.filter(isAlive);
      if (alive.length === 0 || !isWriting) continue;
      // Mostly to writers that have not stopped; now and then to any (a stopped one refuses).
      const running = alive.filter((w) => w.wal.health().state !== 'stopped');
      const pool = running.length > 0 && own.nextInt(5) !== 0 ? running : alive;
      const w = pool[own.nextInt(pool.length)]!;
      requests.send(w, 1 + own.nextInt(3), clock.nowNs() + dataOffsetNs());
    }
  })();
  await clock.runUntil(startMs + runMs);
  isWriting = false;
  await drive(clock, Promise.all(opens));
  for (const err of openErrors) violations.push(`an open failed: ${err instanceof Error ? err.message : String(err)}`);
  await drive(clock, load);
  // Every request to a writer that did not crash is answered.
  const answered = await clock.runUntilTrue(() => writers.every((w) => w.isCrashed || w.pending === 0), 60_000);
  if (!answered) violations.push(`requests never answered: ${writers.map((w) => `${w.name} ${w.pending} pending, ${JSON.stringify(w.wal.health())}`).join('; ')}`);

  // Fencing: T = when epoch e+1 of the node id was claimed; a zombie makes at most one WAL file
  // durable after T (a flush whose put lands after T checks the epoch and stops), and stops.
  let zombies = 0;
  let zombiesStopped = 0;
  let maxFilesAfterFence = 0;
  const newest = newestEpoch();
  for (const w of writers) {
    const e = w.wal.epoch();
    const claimed = await mem.head(epochKey(node, e + 1n)).catch(() => undefined);
    if (claimed === undefined) continue;
    zombies++;
    const fencedAtMs = claimed.lastModifiedMs;
    const filesAfter = new Set(
      w.store.trace.filter((t) => t.op === 'put' && t.key.startsWith(`${node}/wal/`) && (t.outcome === 'ok' || t.outcome === 'error-after') && t.effectMs! > fencedAtMs).map((t) => t.key),
    );
    maxFilesAfterFence = Math.max(maxFilesAfterFence, filesAfter.size);
    if (filesAfter.size > 1) violations.push(`${w.name} (epoch ${e}) made ${filesAfter.size} WAL files durable after epoch ${e + 1n} was claimed: ${[...filesAfter].join(', ')}`);
    zombieAcks += w.ackTimesMs.filter((t) => t > fencedAtMs).length;
    const putAfter = w.store.trace.some((t) => t.op === 'put' && t.key.startsWith(`${node}/wal/`) && t.startMs > fencedAtMs);
    if (putAfter && isAlive(w)) {
      if (w.wal.health().state === 'stopped') zombiesStopped++;
      else violations.push(`${w.name} (epoch ${e}) wrote after being fenced and did not stop`);
    }
  }
  const epochs = writers.map((w) => w.wal.epoch());
  if (new Set(epochs).size !== epochs.length) violations.push(`two writers hold one epoch: ${writers.map((w) => `${w.name} ${w.wal.epoch()}`).join(', ')}`);
  for (const w of writers) {
    if (w.wal.epoch() === newest && isAlive(w) && w.wal.health().state === 'stopped') violations.push(`the newest writer ${w.name} stopped: ${w.wal.health().lastError}`);
  }

  for (const w of writers) if (!w.isCrashed) await drive(clock, w.wal.shutdown());
  for (const w of writers) for (const c of w.notifier.conflicts) violations.push(`${w.name} met a snapshot with other rows: ${c}`);
  const present = await presentKeys(mem, node, clock);
  return {
    checker: requests.checker,
    present,
    report: requests.checker.report(present),
    violations,
    writers: writers.length,
    zombies,
    zombiesStopped,
    maxFilesAfterFence,
    zombieAcks,
    crashes,
    snapshots: writers.reduce((n, w) => n + w.notifier.snapshotsPersisted, 0),
    walFilesDeleted: writers.reduce((n, w) => n + w.wal.getStats().walFilesDeleted, 0),
    zombieFilesReplaced: logger.zombieFilesReplaced,
    fencedOpens,
    openFailures,
    faults: writers.reduce((n, w) => n + w.store.counts.errorBefore + w.store.counts.errorAfter + w.store.counts.conflict, 0),
  };
}
