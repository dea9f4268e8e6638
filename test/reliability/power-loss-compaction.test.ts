/**
 * Every crash state of a compaction (goal R3 in docs/testing.md; docs/compaction.md): a real
 * SluiceDatabase on a LocalObjectStore over SimFs, its files persisted by several snapshots (a
 * point written again in a later one, so merged windows hold overlapping files), then —
 * recorded — the compactions that were due (a six-hour block, an hour and ten minutes of the warm
 * hour: levels 4, 2 and 5; each output put, manifest put, swap) and the
 * removal of their inputs. Each prefix of those file-system calls is an instant of death; for
 * each, the disk keeps nothing pending, everything pending, or seeded subsets with tearing.
 * After each the database opens unaided and answers every point exactly once with its last
 * value and nothing else; its own compactions then finish, and the store ends holding exactly
 * the files the index names (no input left behind, no unfinished output).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFs, crashStates } from '../../src/effects/sim-fs.js';
import { listAll } from '../../src/objectstore/types.js';
import type { SluiceDatabase } from '../../src/database/database.js';
import { queryRows } from '../support/db-helpers.js';
import { openDb } from './power-loss-harness.js';

/** Seeded outcomes per cut (besides keep-nothing and keep-all). */
const SEEDED_PER_CUT = Number(process.env.POWER_LOSS_SUBSETS ?? 1);
const CONCURRENCY = Number(process.env.POWER_LOSS_CONCURRENCY ?? 3);
const H = 3600;

/**
 * Points: id → last value, written in three snapshots (gen1 = 1 m) over hours 0–2 (ids 0 and 5
 * rewritten), hour 6 and the first ten minutes of hour 7; the newest at 7:40. Due then: the cold
 * six-hour block 0–6 (level 4), the cold hour 6 (level 2) and 7:00–7:10 of the warm hour 7 (level 5).
 */
function snapshotsToWrite(): { batches: string[][]; expected: string[] } {
  const last = new Map<string, { t: number; v: number }>();
  const batches: string[][] = [];
  for (let b = 0; b < 3; b++) {
    const lines: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = `p${b}-${i}`;
      const t = (i % 3) * H + b * 600 + i * 7; // hours 0–2, several gen1 windows each
      lines.push(`cpu,id=${id} v=${b * 100 + i}i ${t}`);
      last.set(id, { t, v: b * 100 + i });
    }
    if (b < 2) {
      for (const [id, t] of [[`h6-${b}`, 6 * H + b * 900], [`h7-${b}`, 7 * H + 60 + b * 240]] as const) {
        lines.push(`cpu,id=${id} v=${b}i ${t}`);
        last.set(id, { t, v: b });
      }
    }
    if (b > 0) {
      // A point of the first snapshot written again: the later value must win, before and after compaction.
      for (const i of [0, 5]) {
        const id = `p0-${i}`;
        const v = 1000 * b + i;
        lines.push(`cpu,id=${id} v=${v}i ${last.get(id)!.t}`);
        last.set(id, { t: last.get(id)!.t, v });
      }
    }
    batches.push(lines);
  }
  batches[2]!.push(`cpu,id=newest v=1i ${7 * H + 40 * 60}`); // block 0–6 and hour 6 are cold (30 min margin)
  last.set('newest', { t: 7 * H + 40 * 60, v: 1 });
  return { batches, expected: [...last].map(([id, { v }]) => `id=${JSON.stringify(id)} v=${v}n`).sort() };
}

async function rowsOf(db: SluiceDatabase): Promise<string[]> {
  return (await queryRows(db, 'db', 'SELECT id, v FROM cpu')).sort();
}

async function storedParquet(db: SluiceDatabase, store: { list: unknown }): Promise<string[]> {
  return (await listAll(store as never, 'n/dbs/')).filter((m) => m.key.endsWith('.parquet')).map((m) => m.key).sort();
}

test('every crash state of a compaction and its input removal opens unaided, answers every point once with its last value, and finishes cleanly', { timeout: 600_000 }, async () => {
  const started = performance.now();
  const { batches, expected } = snapshotsToWrite();
  const sim = new SimFs();
  let images: SimFs[];
  {
    const { db, store } = await openDb(sim, 1, {}, undefined, false, { compactionInBackground: false });
    try {
      for (const lines of batches) {
        const done = db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 's' });
        await db.wal.flushBuffer();
        await done;
        await db.snapshotNow();
      }
      assert.deepEqual(await rowsOf(db), expected);
      const gen1 = db.persistedFiles.fileCount;
      sim.trace = [];
      sim.startRecording();
      const committed = await db.compactNow();
      await db.remover.idle();
      images = sim.stopRecording();
      const trace = sim.trace;
      sim.trace = undefined;
      assert.equal(committed, 3, 'block 0–6, hour 6 and 7:00–7:10 compacted');
      assert.ok(gen1 >= 14 && db.persistedFiles.fileCount === 4, `${gen1} files → ${db.persistedFiles.fileCount}`);
      assert.deepEqual(db.persistedFiles.all().map((f) => f.level ?? 1).sort(), [1, 2, 4, 5], 'one file of each level the running day makes');
      assert.deepEqual(await rowsOf(db), expected);
      assert.ok(trace.some((t) => t.path.includes('/compactions/')), 'the episode commits compaction manifests');
      assert.ok(trace.some((t) => t.op === 'unlink' && t.path.endsWith('.parquet')), 'the episode removes inputs');
      assert.equal(sim.syncRetriesAfterFailure.length, 0);
    } finally {
      await db.close();
      await store.close();
    }
  }
  let states = 0;
  let skipped = 0;
  let compactedAtOpen = 0;
  const gen = crashStates(images, { seededPerCut: SEEDED_PER_CUT, seed: 41 });
  let done = false;
  const worker = async (): Promise<void> => {
    while (!done) {
      const next = gen.next();
      if (next.done === true) {
        done = true;
        ({ states, skipped } = next.value);
        return;
      }
      const state = next.value;
      const where = `compaction crash state: death after ${state.cut}/${state.calls} calls, disk kept ${state.outcome}`;
      let opened;
      try {
        opened = await openDb(state.fs, state.cut, {}, undefined, false, { compactionInBackground: false });
      } catch (err) {
        assert.fail(`${where}: the database does not open: ${(err as Error).stack}`);
      }
      const { db, store } = opened;
      try {
        assert.deepEqual(await rowsOf(db), expected, `${where}: every point once, its last value`);
        if (db.persistedFiles.fileCount === 4) compactedAtOpen++;
        await db.compactNow();
        await db.remover.idle();
        assert.deepEqual(await rowsOf(db), expected, `${where}: after the restart's compactions`);
        assert.equal(db.persistedFiles.fileCount, 4, `${where}: compacted to one file a window`);
        assert.deepEqual(await storedParquet(db, store), db.persistedFiles.all().map((f) => f.key).sort(), `${where}: the store holds exactly the indexed files`);
      } finally {
        await db.close();
        await store.close();
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  console.log(`# power loss, compaction: ${images.length - 1} calls, ${states} distinct crash states (${skipped} repeats skipped; ${compactedAtOpen} opened with every compaction committed), ${expected.length} points checked in each: lost 0, duplicated 0, stale 0; opened unaided ${states}/${states}, compacted cleanly afterwards ${states}/${states} (${Math.round(performance.now() - started)} ms)`);
  // Reads (listing, the inputs) leave the disk as it was: those cuts repeat a state and are skipped.
  assert.ok(states >= 40, `${states} distinct states`);
});
