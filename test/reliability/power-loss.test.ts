/**
 * Power loss on the WAL write path (goals R2, R3 in docs/testing.md): a WAL on a LocalObjectStore over
 * SimFs, a file system that forgets what was not fsynced.
 *
 * - Seeded crash points: writers run against the WAL; after a seeded number of file-system calls
 *   the process dies and the disk keeps a seeded subset of its unsynced changes (in-order
 *   prefixes per file and directory, the last kept write maybe torn at 512 B / 4 KiB).
 * - Every crash state of one recorded flush (the first, which creates the WAL directory, and a
 *   steady one): each prefix of its calls as the instant of death × what the disk kept.
 *
 * After each crash the WAL opens unaided, every acknowledged write is present exactly once, an
 * unacknowledged one whole or absent, and nothing never attempted appears. The database-level
 * episodes (snapshot, startup) are in power-loss-states.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/effects/clock.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { SimFs, crashStates } from '../../src/effects/sim-fs.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import { noopNotifier } from '../../src/wal/notifier.js';
import { AckChecker } from '../support/ack-checker.js';
import { runSeeds } from '../support/regressions.js';
import { RecordingNotifier, rowValues, writeOp } from '../support/wal-helpers.js';
import { ROOT, isProcessAlive, tornTailScenario, walCrashPoint } from './power-loss-harness.js';

const SEEDS = Number(process.env.POWER_LOSS_SEEDS ?? 5000);
/** Seeded outcomes per cut of the enumerated flush (besides keep-nothing and keep-all). */
const SEEDED_PER_CUT = Number(process.env.POWER_LOSS_SUBSETS ?? 16);

test(`power loss: ${SEEDS} seeded crash points of the WAL write path lose no acknowledged write`, { timeout: 600_000 }, async () => {
  const started = performance.now();
  const base = testSeed();
  console.log(`power loss seed=${base} (replay one point with SEED=<seed> POWER_LOSS_SEEDS=1)`);
  let acked = 0;
  let lines = 0;
  let withAcks = 0;
  let fsCalls = 0;
  const { seeds, regressions } = await runSeeds('power-loss', base, SEEDS, async (seed) => {
    const o = await walCrashPoint(seed);
    assert.equal(o.syncRetries, 0, 'fsync never retried on a handle whose fsync failed');
    acked += o.acked;
    lines += o.lines;
    fsCalls += o.fsCalls;
    if (o.acked > 0) withAcks++;
  });
  console.log(`# power loss: ${seeds} seeded crash points (${regressions} kept regressions, ${withAcks} after an acknowledgement, ${fsCalls} file-system calls), ${acked} acknowledged writes (${lines} lines) checked, lost 0, duplicated 0, unexpected 0, reopened unaided ${seeds}/${seeds} (${Math.round(performance.now() - started)} ms)`);
  assert.ok(withAcks > seeds / 4, 'enough crash points fall after acknowledgements');
});

test('every crash state of one WAL flush (first and steady) keeps what was acknowledged', async () => {
  const sim = new SimFs();
  const rng = new SeededRng(7);
  const store = await LocalObjectStore.open({ root: ROOT, fs: sim, rng, isProcessAlive });
  const wal = await openWal({ store, nodeId: 'node', notifier: noopNotifier, clock: new SimClock(), rng, startBackgroundFlush: false, skipStoreProbe: true });
  // Two requests per flush: the first flush creates the WAL directory, the second is steady state.
  const acks = new Map<number, number>(); // request → recorded calls made when acknowledged
  const keysOf = (id: number) => Array.from({ length: 3 }, (_, r) => String(id * 10 + r));
  const start = sim.callCount();
  sim.startRecording();
  for (const flush of [[1, 2], [3, 4]]) {
    const writes = flush.map((id) => wal.writeOps([writeOp(BigInt(id), 3, id * 10)]).then(() => acks.set(id, sim.callCount() - start)));
    await wal.flushBuffer();
    await Promise.all(writes);
  }
  const images = sim.stopRecording();
  await wal.shutdown();
  assert.equal(sim.syncRetriesAfterFailure.length, 0);
  assert.equal(acks.size, 4);

  const ackedBy = (cut: number) => [1, 2, 3, 4].filter((id) => acks.get(id)! <= cut);
  const gen = crashStates(images, { seededPerCut: SEEDED_PER_CUT, seed: 11, keyOf: (cut) => ackedBy(cut).join(',') });
  let ackedChecked = 0;
  let next = gen.next();
  for (; next.done !== true; next = gen.next()) {
    const state = next.value;
    const checker = new AckChecker(`flush crash state: death after ${state.cut}/${state.calls} calls, disk kept ${state.outcome}`);
    const acked = ackedBy(state.cut);
    for (const id of [1, 2, 3, 4]) {
      checker.attempt(String(id), keysOf(id));
      if (acked.includes(id)) checker.ack(String(id));
      else checker.indeterminate(String(id));
    }
    const store2 = await LocalObjectStore.open({ root: ROOT, fs: state.fs, rng: new SeededRng(state.cut), isProcessAlive });
    const notifier = new RecordingNotifier();
    const wal2 = await openWal({ store: store2, nodeId: 'node', notifier, clock: new SimClock(), startBackgroundFlush: false, skipStoreProbe: true });
    await wal2.shutdown();
    ackedChecked += checker.check(rowValues(notifier.ops()).map(String)).acked;
  }
  const { states, skipped } = next.value;
  console.log(`# power loss, one WAL flush (first and steady): ${images.length - 1} calls, ${states} distinct crash states (${skipped} repeats skipped), ${ackedChecked} acknowledged writes checked, lost 0, duplicated 0, unexpected 0, reopened unaided ${states}/${states}`);
  assert.ok(states >= images.length, 'at least one state per cut');
  assert.ok(ackedChecked > 0);
});

const TORN_TAIL_SEEDS = Number(process.env.TORN_TAIL_SEEDS ?? 50);

test(`a lying disk tears the newest WAL file (${TORN_TAIL_SEEDS} seeds): quarantine moves it aside, numbering continues above it, nothing else is lost`, async () => {
  const base = testSeed();
  let quarantined = 0;
  let acked = 0;
  const { seeds } = await runSeeds('power-loss-torn-tail', base, TORN_TAIL_SEEDS, async (seed) => {
    const o = await tornTailScenario(seed);
    quarantined += o.quarantined;
    acked += o.acked;
  });
  console.log(`# power loss, torn newest WAL file with quarantine: ${seeds} seeds, ${quarantined} files quarantined, ${acked} acknowledged writes outside them checked, lost 0, reopened unaided ${3 * seeds}/${3 * seeds}`);
});
