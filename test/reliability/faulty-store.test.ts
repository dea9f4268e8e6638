/**
 * Faulty object store (goal O1, O2 in docs/testing.md): the real WAL — openWal, the background flusher,
 * snapshots and cleanup — on a FaultyObjectStore over a MemoryObjectStore for 10 simulated
 * minutes per seed: transient errors before and after puts take effect, 409 conflicts, latency
 * that reorders calls, small slow list pages. Several clients write at once; the process
 * crashes now and then (its in-flight calls may still land, no answer arrives) and a new one
 * reopens the same store and replays. At the end a last process recovers, and a reader
 * combines the persisted snapshots with the WAL above the newest: nothing acknowledged is lost,
 * nothing is there twice, nothing appears that was never attempted, and an unanswered request
 * is there whole or not at all. One seed run twice gives the same trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSeed } from '../../src/effects/rng.js';
import { AckTotals } from '../support/ack-checker.js';
import { runSeeds } from '../support/regressions.js';
import { faultyStoreRun } from './faulty-store-scenarios.js';

const SEEDS = Number(process.env.FAULTY_STORE_SEEDS ?? 200);
const SIMULATED_MS = Number(process.env.FAULTY_STORE_MINUTES ?? 10) * 60_000;

test(`faulty object store: ${SEEDS} seeds × ${SIMULATED_MS / 60_000} simulated minutes, crashes and recovery; nothing acknowledged lost, duplicated or invented`, async () => {
  const base = testSeed();
  console.log(`# faulty store: base seed ${base} (replay with SEED=${base})`);
  const startMs = Date.now();
  const totals = Object.assign(new AckTotals(), { crashes: 0, processes: 0, snapshots: 0, walFilesDeleted: 0, lateFilesReplaced: 0 });
  const faults = { calls: 0, errorBefore: 0, errorAfter: 0, conflict: 0, slowCalls: 0, listPages: 0 };
  const openFailures = new Map<string, number>();
  const { seeds, regressions } = await runSeeds('faulty-store', base, SEEDS, async (seed) => {
    const r = await faultyStoreRun(seed, SIMULATED_MS);
    r.checker.check(r.present, `(seed ${seed})`);
    totals.add(r.report);
    totals.crashes += r.crashes;
    totals.processes += r.processes;
    totals.snapshots += r.snapshots;
    totals.walFilesDeleted += r.walFilesDeleted;
    totals.lateFilesReplaced += r.lateFilesReplaced;
    for (const k of Object.keys(faults) as Array<keyof typeof faults>) faults[k] += r.faults[k];
    for (const [k, n] of r.openFailures) openFailures.set(k, (openFailures.get(k) ?? 0) + n);
  });
  console.log(
    `# faulty store: ${seeds} seeds (${regressions} kept regressions) × ${SIMULATED_MS / 60_000} simulated minutes, ${totals.acked} acknowledged requests checked ` +
      `(${totals.lines} lines; ${totals.indeterminate} unanswered, ${totals.refused} refused), lost ${totals.lost}, duplicated ${totals.duplicated}, unexpected ${totals.unexpected}, partial ${totals.partial}; ` +
      `${totals.crashes} crashes, ${totals.processes} processes, ${totals.snapshots} snapshots persisted, ${totals.walFilesDeleted} WAL files cleaned up, ${totals.lateFilesReplaced} late files of crashed processes replaced; ` +
      `store calls ${faults.calls}: ${faults.errorBefore} errors before effect, ${faults.errorAfter} after effect, ${faults.conflict} 409 conflicts, ${faults.slowCalls} slow, ${faults.listPages} list pages; ` +
      `opens retried: ${[...openFailures].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'} (${((Date.now() - startMs) / 1000).toFixed(1)} s)`,
  );
  assert.ok(totals.crashes > 0 && totals.snapshots > 0 && totals.walFilesDeleted > 0 && faults.errorAfter > 0 && faults.conflict > 0, 'crashes, snapshots, cleanup and every fault were exercised');
});

test('determinism: one seed run twice gives identical store traces, store contents and checks', async () => {
  const base = testSeed();
  for (let i = 0; i < 3; i++) {
    const seed = (base + 1_000_003 * (i + 1)) >>> 0;
    const a = await faultyStoreRun(seed, 120_000);
    const b = await faultyStoreRun(seed, 120_000);
    assert.equal(a.traceDigest, b.traceDigest, `seed ${seed}: traces differ (replay with SEED=${base})`);
    assert.equal(a.storeDigest, b.storeDigest, `seed ${seed}: final stores differ`);
    assert.deepEqual({ ...a.report, crashes: a.crashes }, { ...b.report, crashes: b.crashes });
    assert.ok(a.faults.calls > 100, `seed ${seed}: the run made store calls`);
  }
  console.log('# faulty store determinism: 3 seeds × 2 runs of 2 simulated minutes, identical traces and final stores');
});
