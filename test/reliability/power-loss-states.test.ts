/**
 * Every crash state of a real SluiceDatabase on a LocalObjectStore over SimFs (goal R3 in docs/testing.md):
 * one episode that deletes a table and a database and snapshots (the WAL file with the deletes,
 * the one with the marker, Parquet files, catalog, manifest, WAL deletes, the background removal
 * of the deleted Parquet files) and one startup that re-runs a snapshot during replay. Each
 * prefix of the episode's file-system calls is an instant of death; for each, the disk keeps
 * nothing pending, everything pending, or seeded subsets with tearing. After each the database
 * opens unaided, every acknowledged write is present exactly once, an unacknowledged one whole or
 * absent, nothing else appears; an acknowledged delete left nothing of its table or database (no
 * row, no file once the background removal ran), an unacknowledged one left it whole or absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/effects/rng.js';
import { SimFs, crashStates, type CrashState } from '../../src/effects/sim-fs.js';
import type { SluiceDatabase } from '../../src/database/database.js';
import { listAll } from '../../src/objectstore/types.js';
import type { LocalObjectStore } from '../../src/objectstore/local.js';
import { queryRows } from '../support/db-helpers.js';
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
  deletes: Deletes;
}

/** The table `victim` of `db` and the database `gone`, written and persisted before the episode, deleted in it. */
interface Deletes {
  victimKeys: string[];
  goneKeys: string[];
  /** Ids of database `db`, its table `victim`, and database `gone`. */
  dbId: number;
  victimId: number;
  goneId: number;
  /** Recorded calls made once both deletes were acknowledged. */
  ackedAtCall: number;
}

/** Lines with unique `id` tags in table `table`, 100 s apart. */
function linesOf(prefix: string, table: string, n: number): { keys: string[]; body: string } {
  const keys = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  return { keys, body: keys.map((k, i) => `${table},id=${k} v=${i}i ${10 + i * 100}`).join('\n') };
}

/** The `id`s of `table` in `database`, or undefined when the table is not there. */
async function idsOf(db: SluiceDatabase, database: string, table: string): Promise<string[] | undefined> {
  if (db.catalog.database(database)?.tables.has(table) !== true) return undefined;
  return (await queryRows(db, database, `SELECT id FROM ${table}`)).map((row) => JSON.parse(row.slice('id='.length)) as string).sort();
}

/**
 * After recovery at `cut`: an acknowledged delete left no table, no row and — once the
 * background removal ran — no Parquet file; an unacknowledged one left the object whole or
 * absent. Nothing under a deleted id may come back.
 */
function deletesChecked(d: Deletes, cut: number): (db: SluiceDatabase, store: LocalObjectStore, where: string) => Promise<void> {
  return async (db, store, where) => {
    const isAcked = d.ackedAtCall <= cut;
    const victim = await idsOf(db, 'db', 'victim');
    const gone = await idsOf(db, 'gone', 'm');
    if (isAcked) {
      assert.equal(victim, undefined, `${where}: an acknowledged table delete came back`);
      assert.equal(gone, undefined, `${where}: an acknowledged database delete came back`);
    }
    if (victim !== undefined) assert.deepEqual(victim, [...d.victimKeys].sort(), `${where}: table victim neither whole nor absent`);
    if (gone !== undefined) assert.deepEqual(gone, [...d.goneKeys].sort(), `${where}: database gone neither whole nor absent`);
    if (victim === undefined) assert.equal(db.catalog.database('db')!.tables.get('victim'), undefined);
    await db.enforceRetention(); // the start's sweep, awaited
    await db.remover.idle();
    const parquet = async (prefix: string) => (await listAll(store, prefix)).filter((m) => m.key.endsWith('.parquet')).length;
    if (victim === undefined) assert.equal(await parquet(`n/dbs/${d.dbId}/${d.victimId}/`), 0, `${where}: files of the deleted table left on the store`);
    if (gone === undefined) assert.equal(await parquet(`n/dbs/${d.goneId}/`), 0, `${where}: files of the deleted database left on the store`);
  };
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
    // Before the recording: the table and the database to delete, persisted (so there are
    // files to remove), then the writes the snapshot persists.
    const victim = linesOf('victim', 'victim', 3);
    const gone = linesOf('gone', 'm', 2);
    const written = Promise.all([db.writer.writeLp('db', Buffer.from(victim.body), { precision: 's' }), db.writer.writeLp('gone', Buffer.from(gone.body), { precision: 's' })]);
    await db.wal.flushBuffer();
    await written;
    await db.snapshotNow();
    await writeAcked(db, callsNow, requests[0]!);
    await writeAcked(db, callsNow, requests[1]!);
    requests[0]!.ackedAtCall = requests[1]!.ackedAtCall = 0; // before the recording
    const dbId = db.catalog.database('db')!.id;
    const victimId = db.catalog.database('db')!.tables.get('victim')!.id;
    const goneId = db.catalog.database('gone')!.id;
    assert.ok(db.persistedFiles.filesOf(dbId, victimId).length > 0 && db.persistedFiles.filesOf(goneId, 0).length > 0, 'the tables to delete have files');
    sim.trace = [];
    start = sim.callCount();
    sim.startRecording();
    await writeAcked(db, callsNow, requests[2]!);
    const deleted = Promise.all([db.manage.deleteTable('db', 'victim'), db.manage.deleteDatabase('gone')]);
    await db.wal.flushBuffer();
    await deleted;
    const deletes: Deletes = { victimKeys: victim.keys, goneKeys: gone.keys, dbId, victimId, goneId, ackedAtCall: callsNow() };
    await db.snapshotNow();
    await db.enforceRetention();
    await db.remover.idle();
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
    // The WAL directory's own sync (a background file removal may sync another directory first).
    const dirSync = trace.findIndex((t, i) => i > markerLink && t.op === 'syncDir' && t.path.includes('/wal'));
    assert.ok(markerLink >= 0 && dirSync > markerLink);
    for (const kind of ['/catalog/', '/snapshots/']) assert.ok(trace.some((t) => t.path.includes(kind)), `the snapshot wrote ${kind}`);
    assert.ok(trace.some((t) => t.op === 'unlink' && t.path.includes('/wal/') && !t.path.endsWith('.tmp')), 'the snapshot deleted WAL files');
    assert.ok(trace.some((t) => t.op === 'unlink' && t.path.includes(`/dbs/${goneId}/`)), 'the deleted database\'s files were removed');
    assert.ok(trace.some((t) => t.op === 'unlink' && t.path.includes(`/dbs/${dbId}/${victimId}/`)), 'the deleted table\'s files were removed');
    return { requests, images, markerDurableAtCall: dirSync + 1, deletes };
  } finally {
    await db.close();
    await store.close();
  }
}

const episode = recordSnapshot();

test('every crash state of one episode of deletes and a snapshot opens unaided, keeps what was acknowledged and never brings back what was deleted', { timeout: 300_000 }, async () => {
  const started = performance.now();
  const { requests, images, deletes } = await episode;
  // A state whose disk repeats an earlier one's is skipped even when the deletes were acknowledged
  // in between: the WAL file holding them was durable then already, so the earlier check saw it.
  const ackKey = (cut: number) => requests.filter((r) => r.ackedAtCall! <= cut).map((r) => r.id).join(',');
  let acked = 0;
  let deletesAcked = 0;
  const { states, skipped } = await eachState(crashStates(images, { seededPerCut: SEEDED_PER_CUT, seed: 23, keyOf: ackKey }), async (state) => {
    const report = await recoverDb('snapshot crash state', state, requests, deletesChecked(deletes, state.cut));
    acked += report.acked; // not `acked += await …`: that reads `acked` before the await
    if (deletes.ackedAtCall <= state.cut) deletesAcked++;
  });
  console.log(`# power loss, deletes and a snapshot: ${images.length - 1} calls, ${states} distinct crash states (${skipped} repeats skipped), ${acked} acknowledged writes checked, lost 0, duplicated 0, unexpected 0; ${deletesAcked} states after the deletes were acknowledged, none brought back; opened unaided ${states}/${states} (${Math.round(performance.now() - started)} ms)`);
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
    await deletesChecked({ ...snapshot.deletes, ackedAtCall: 0 }, 0)(db, store, 'startup without a crash');
  } finally {
    await db.close();
    await store.close();
  }
  let acked = 0;
  const { states, skipped } = await eachState(crashStates(images, { seededPerCut: SEEDED_PER_CUT, seed: 31 }), async (state) => {
    // The deletes were durable before the marker: every state must have them.
    const report = await recoverDb('startup crash state', state, requests, deletesChecked({ ...snapshot.deletes, ackedAtCall: 0 }, state.cut));
    acked += report.acked;
  });
  console.log(`# power loss, one startup re-running a snapshot: ${images.length - 1} calls, ${states} distinct crash states (${skipped} repeats skipped), ${acked} acknowledged writes checked, lost 0, duplicated 0, unexpected 0, opened unaided ${states}/${states} (${Math.round(performance.now() - started)} ms)`);
  assert.ok(states >= 20);
});
