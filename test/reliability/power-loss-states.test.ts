/**
 * Every crash state of a real SluiceDatabase on a LocalObjectStore over SimFs (goal R3 in docs/testing.md):
 * one snapshot (the WAL file with the marker, Parquet files, catalog, manifest, WAL deletes) and
 * one startup that re-runs a snapshot during replay. Each prefix of the episode's file-system
 * calls is an instant of death; for each, the disk keeps nothing pending, everything pending, or
 * seeded subsets with tearing. After each the database opens unaided, every acknowledged write
 * is present exactly once, an unacknowledged one whole or absent, nothing else appears.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/effects/rng.js';
import { SimFs, crashStates, type CrashState } from '../../src/effects/sim-fs.js';
import type { SluiceDatabase } from '../../src/database/database.js';
import { checkerAt, openDb, presentKeys, recoverDb, request, type Request } from './power-loss-harness.js';

/** Seeded outcomes per cut (besides keep-nothing and keep-all). */
const SEEDED_PER_CUT = Number(process.env.POWER_LOSS_SUBSETS ?? 2);

/** Recoveries run at once: each has its own disk; together they overlap DuckDB's waits. */
const CONCURRENCY = Number(process.env.POWER_LOSS_CONCURRENCY ?? 3);

/** Runs `fn` on every state of a crash-state generator (a few at once); returns the generator's summary. */
async function eachState(gen: Generator<CrashState, { states: number; skipped: number }>, fn: (state: CrashState) => Promise<void>): Promise<{ states: number; skipped: number }> {
  let summary: { states: number; skipped: number } | undefined;
  const worker = async (): Promise<void> => {
    while (summary === undefined) {
      const next = gen.next();
      if (next.done === true) summary = next.value;
      else await fn(next.value);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return summary!;
}

/** Writes a request through the database, flushes, and records when it was acknowledged. */
async function writeAcked(db: SluiceDatabase, callsNow: () => number, r: Request): Promise<void> {
  const done = db.writer.writeLp('db', Buffer.from(r.body), { precision: 's' });
  await db.wal.flushBuffer();
  await done;
  r.ackedAtCall = callsNow();
}

interface SnapshotEpisode {
  requests: Request[];
  images: SimFs[];
  /** Recorded calls made once the WAL file holding the snapshot marker was durable. */
  markerDurableAtCall: number;
}

/**
 * A database takes two acknowledged writes, then — recorded — a third write and a forced
 * snapshot (its WAL file with the marker, Parquet files, catalog, manifest, WAL deletes).
 */
async function recordSnapshot(): Promise<SnapshotEpisode> {
  const sim = new SimFs();
  const { db, store } = await openDb(sim, 1);
  const requests = [request(3, 0), request(4, 70), request(3, 130)];
  let start = sim.callCount();
  const callsNow = () => sim.callCount() - start;
  try {
    await writeAcked(db, callsNow, requests[0]!);
    await writeAcked(db, callsNow, requests[1]!);
    requests[0]!.ackedAtCall = requests[1]!.ackedAtCall = 0; // before the recording
    sim.trace = [];
    start = sim.callCount();
    sim.startRecording();
    await writeAcked(db, callsNow, requests[2]!);
    await db.snapshotNow();
    const images = sim.stopRecording();
    const trace = sim.trace;
    sim.trace = undefined;
    assert.equal(sim.syncRetriesAfterFailure.length, 0);
    const isParquet = (t: { op: string; path: string }) => t.path.endsWith('.parquet') && (t.op === 'link' || t.op === 'rename');
    // The marker's WAL file: the last WAL link before the first Parquet file, then its dir fsync.
    const firstParquet = trace.findIndex(isParquet);
    assert.ok(firstParquet > 0, 'the snapshot wrote a Parquet file');
    assert.ok(trace.filter(isParquet).length >= 2, 'the snapshot wrote several Parquet files');
    let markerLink = -1;
    for (let i = 0; i < firstParquet; i++) if (trace[i]!.op === 'link' && trace[i]!.path.includes('/wal/')) markerLink = i;
    const dirSync = trace.findIndex((t, i) => i > markerLink && t.op === 'syncDir');
    assert.ok(markerLink >= 0 && dirSync > markerLink);
    for (const kind of ['/catalog/', '/snapshots/']) assert.ok(trace.some((t) => t.path.includes(kind)), `the snapshot wrote ${kind}`);
    assert.ok(trace.some((t) => t.op === 'unlink' && t.path.includes('/wal/') && !t.path.endsWith('.tmp')), 'the snapshot deleted WAL files');
    return { requests, images, markerDurableAtCall: dirSync + 1 };
  } finally {
    await db.close();
    await store.close();
  }
}

const episode = recordSnapshot();

test('every crash state of one database snapshot opens unaided and keeps what was acknowledged', { timeout: 300_000 }, async () => {
  const started = performance.now();
  const { requests, images } = await episode;
  const ackKey = (cut: number) => requests.filter((r) => r.ackedAtCall! <= cut).map((r) => r.id).join(',');
  let acked = 0;
  const { states, skipped } = await eachState(crashStates(images, { seededPerCut: SEEDED_PER_CUT, seed: 23, keyOf: ackKey }), async (state) => {
    const report = await recoverDb('snapshot crash state', state, requests);
    acked += report.acked; // not `acked += await …`: that reads `acked` before the await
  });
  console.log(`# power loss, one snapshot: ${images.length - 1} calls, ${states} distinct crash states (${skipped} repeats skipped), ${acked} acknowledged writes checked, lost 0, duplicated 0, unexpected 0, opened unaided ${states}/${states} (${Math.round(performance.now() - started)} ms)`);
  assert.ok(states >= images.length);
});

test('every crash state of one startup that re-runs a snapshot opens unaided and keeps what was acknowledged', { timeout: 300_000 }, async () => {
  const started = performance.now();
  const snapshot = await episode;
  // The disk right after the WAL file with the snapshot marker became durable, before any
  // Parquet file: the startup must re-run that snapshot during replay.
  const cut = snapshot.markerDurableAtCall;
  const base = snapshot.images[cut]!.clone();
  base.crash(new SeededRng(0), 'dropAll');
  // Its writes are all in durable WAL files: acknowledged or not then, the startup must keep them.
  const requests: Request[] = snapshot.requests.map((r) => ({ ...r, ackedAtCall: 0 }));

  const sim = base.clone();
  sim.trace = [];
  sim.startRecording();
  const { db, store } = await openDb(sim, 99);
  const images = sim.stopRecording();
  const trace = sim.trace;
  sim.trace = undefined;
  try {
    assert.equal(db.wal.getStats().replay?.snapshotsRerun, 1, 'the startup re-ran the snapshot');
    assert.ok(trace.some((t) => (t.op === 'link' || t.op === 'rename') && t.path.endsWith('.parquet')), 'the startup wrote Parquet files');
    checkerAt('startup without a crash', requests, 0).check(await presentKeys(db));
  } finally {
    await db.close();
    await store.close();
  }
  let acked = 0;
  const { states, skipped } = await eachState(crashStates(images, { seededPerCut: SEEDED_PER_CUT, seed: 31 }), async (state) => {
    const report = await recoverDb('startup crash state', state, requests);
    acked += report.acked;
  });
  console.log(`# power loss, one startup re-running a snapshot: ${images.length - 1} calls, ${states} distinct crash states (${skipped} repeats skipped), ${acked} acknowledged writes checked, lost 0, duplicated 0, unexpected 0, opened unaided ${states}/${states} (${Math.round(performance.now() - started)} ms)`);
  assert.ok(states >= 20);
});
