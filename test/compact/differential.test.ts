/**
 * Compaction, differentially: seeded random writes — points written again with some fields
 * (later values win, a field left out keeps its earlier value), late data into windows already
 * snapshotted and compacted — across many gen1 windows, hours and days, with snapshots,
 * compactions and a restart at random moments. After every step the table answers exactly as a
 * model of InfluxDB's point semantics does; each compaction leaves the answer unchanged. Two
 * shapes: hours scattered over three days (cold days and hours), and one day written hour after
 * hour (six-hour blocks going cold while late data keeps arriving into them, ten-minute windows
 * of the warm hour), which ends with writes that make every kind of compaction happen.
 * Prints its seed; `SEED=<seed>` replays one run. `COMPACTION_DIFF_SEEDS` / `_STEPS` for more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import type { SluiceDatabase } from '../../src/database/database.js';
import { runSeeds } from '../support/regressions.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

const SEEDS = Number(process.env.COMPACTION_DIFF_SEEDS ?? 2);
const STEPS = Number(process.env.COMPACTION_DIFF_STEPS ?? 14);
const D0 = 1_699_920_000; // 2023-11-14T00:00:00Z, seconds
const HOSTS = ['a', 'b', 'c'];

type Fields = { u?: number; i?: number; s?: string };

/** The model: point (host, time in s) → each field's last written value. */
class Model {
  readonly points = new Map<string, { host: string; t: number; fields: Fields }>();

  write(host: string, t: number, fields: Fields): void {
    const k = `${host}|${t}`;
    const p = this.points.get(k) ?? { host, t, fields: {} };
    Object.assign(p.fields, fields);
    this.points.set(k, p);
  }

  /** Rows as queryRows prints them, ordered by host then time. */
  rows(): string[] {
    return [...this.points.values()]
      .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.t - b.t))
      .map(({ host, t, fields }) => `host=${JSON.stringify(host)} time=t${BigInt(t) * 1_000_000_000n} u=${fields.u ?? 'null'} i=${fields.i === undefined ? 'null' : `${fields.i}n`} s=${fields.s === undefined ? 'null' : JSON.stringify(fields.s)}`);
  }
}

async function answer(db: SluiceDatabase): Promise<string[]> {
  if (db.catalog.database('db')?.tables.has('m') !== true) return [];
  return queryRows(db, 'db', 'SELECT host, time, u, i, s FROM m ORDER BY host, time');
}

type Totals = { compactions: number; steps: number; points: number; levels: Set<number>; keptBlockFiles: number };

/** Notes the levels the index holds, and blocks holding two level-4 files (one kept beside late data's). */
function noteLevels(db: SluiceDatabase, totals: Totals): void {
  const blocks = new Set<bigint>();
  for (const f of db.persistedFiles.all()) {
    totals.levels.add(f.level ?? 1);
    if (f.level !== 4) continue;
    if (blocks.has(f.chunkTimeNs)) totals.keptBlockFiles++;
    blocks.add(f.chunkTimeNs);
  }
}

async function oneRun(seed: number, totals: Totals, shape: 'scattered' | 'day'): Promise<void> {
  const rng = new SeededRng(seed);
  const where = (step: number, what: string) => `seed ${seed} step ${step} (${what}; replay with SEED=${seed} COMPACTION_DIFF_SEEDS=1)`;
  const t = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m' }, compactionInBackground: false, compactionColdMarginMs: rng.nextInt(2) === 0 ? 0 : 30 * 60_000 });
  let db = t.db;
  const opened: SluiceDatabase[] = [];
  const model = new Model();
  // Times in a few minutes of a few hours of three days: many windows, many rewrites of a point.
  // Scattered: hours anywhere in three days. Day: hours 0–11 of one day, the newest one written at each step.
  const hours = shape === 'scattered' ? Array.from({ length: 6 + rng.nextInt(6) }, () => rng.nextInt(72)) : Array.from({ length: 12 }, (_, h) => 24 * rng.nextInt(2) + h);
  let newestHour = 0;
  try {
    for (let step = 0; step < STEPS; step++) {
      // The first line creates every column (a query naming one never written is an error, not nulls).
      const lines: string[] = step === 0 ? [`m,host=a u=0.25,i=0i,s="v0" ${D0 + hours[0]! * 3600}`] : [];
      if (step === 0) model.write('a', D0 + hours[0]! * 3600, { u: 0.25, i: 0, s: 'v0' });
      // Time moves forward, but any hour already seen may get late data.
      newestHour = shape === 'scattered' ? Math.min(hours.length - 1, newestHour + rng.nextInt(2)) : Math.floor((step * hours.length) / STEPS);
      if (shape === 'day' && step > 0) {
        // The newest row late in the newest hour: blocks before it go cold (30 minutes margin too).
        const ts = D0 + hours[newestHour]! * 3600 + (45 + rng.nextInt(10)) * 60;
        lines.push(`m,host=c u=${step} ${ts}`);
        model.write('c', ts, { u: step });
      }
      for (let n = 1 + rng.nextInt(25); n > 0; n--) {
        const host = HOSTS[rng.nextInt(HOSTS.length)]!;
        const hour = hours[rng.nextInt(newestHour + 1)]!;
        const ts = D0 + hour * 3600 + rng.nextInt(4) * 60 * (1 + rng.nextInt(14)) + rng.nextInt(3);
        const fields: Fields = {};
        if (rng.nextInt(3) !== 0) fields.u = rng.nextInt(1000) / 4;
        if (rng.nextInt(3) === 0) fields.i = rng.nextInt(100) - 50;
        if (rng.nextInt(4) === 0) fields.s = `v${rng.nextInt(50)}`;
        if (Object.keys(fields).length === 0) fields.u = 0.5;
        const set = Object.entries(fields).map(([k, v]) => (k === 'i' ? `i=${v}i` : k === 's' ? `s="${v}"` : `u=${v}`));
        lines.push(`m,host=${host} ${set.join(',')} ${ts}`);
        model.write(host, ts, fields);
      }
      await db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 's' });
      assert.deepEqual(await answer(db), model.rows(), where(step, 'after the write'));
      if (rng.nextInt(3) !== 0) await db.snapshotNow();
      if (rng.nextInt(2) === 0) {
        const before = await answer(db);
        totals.compactions += await db.compactNow();
        noteLevels(db, totals);
        assert.deepEqual(await answer(db), before, where(step, 'compaction changed the answer'));
      }
      if (rng.nextInt(6) === 0) {
        await db.close();
        db = await t.open();
        opened.push(db);
        assert.deepEqual(await answer(db), model.rows(), where(step, 'after a restart'));
      }
      totals.steps++;
    }
    // Everything persisted and compacted: the same answer, and files as few as the policy says.
    await db.snapshotNow();
    totals.compactions += await db.compactNow();
    noteLevels(db, totals);
    assert.deepEqual(await answer(db), model.rows(), where(STEPS, 'at the end'));
    if (shape === 'day') {
      // Two files in a passed ten-minute window of the warm hour 11 (level 5), then twice two late
      // files into the cold block 0–6 (level 4, the second time beside the block's own file).
      const h = D0 + hours[11]! * 3600;
      const base = D0 + hours[0]! * 3600;
      const rounds = [[`m,host=a u=1.5 ${h + 60}`], [`m,host=b i=7i ${h + 180}`, `m,host=b u=2.5 ${base + 2 * 3600 + 300}`, `m,host=a s="late" ${base + 4 * 3600 + 420}`], [`m,host=c u=3.5 ${base + 600}`, `m,host=a i=9i ${base + 3600 + 60}`]];
      for (const [i, lines] of rounds.entries()) {
        await db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 's' });
        for (const line of lines) {
          const [head, set, ts] = line.split(' ');
          const fields: Fields = {};
          const [k, v] = set!.split('=');
          if (k === 'i') fields.i = Number(v!.slice(0, -1));
          else if (k === 's') fields.s = JSON.parse(v!) as string;
          else fields.u = Number(v);
          model.write(head!.split('=')[1]!, Number(ts), fields);
        }
        await db.snapshotNow();
        if (i === 0) continue;
        totals.compactions += await db.compactNow();
        noteLevels(db, totals);
        assert.deepEqual(await answer(db), model.rows(), where(STEPS + i, 'after the closing writes'));
      }
    }
    await db.remover.idle();
    totals.points += model.points.size;
  } finally {
    await t.cleanup(...opened);
  }
}

test(`compaction answers as a model of point semantics does, through random writes, late data, snapshots, compactions and restarts (${SEEDS} seeds × ${STEPS} steps)`, { timeout: 600_000 }, async () => {
  const base = testSeed();
  console.log(`# compaction differential SEED=${base} (replay with SEED=${base} COMPACTION_DIFF_SEEDS=1)`);
  const totals: Totals = { compactions: 0, steps: 0, points: 0, levels: new Set(), keptBlockFiles: 0 };
  const started = performance.now();
  await runSeeds('compaction-differential', base, SEEDS, (seed) => oneRun(seed, totals, 'scattered'));
  console.log(`# compaction differential: ${totals.steps} steps, ${totals.compactions} compactions (levels seen ${[...totals.levels].sort().join(', ')}), ${totals.points} points checked against the model after every step; ${Math.round(performance.now() - started)} ms`);
  assert.ok(totals.compactions > 0, 'compactions ran');
});

test(`compaction of a running day — six-hour blocks with late data beside them, ten-minute windows of the warm hour — answers as the model does (${SEEDS} seeds × ${STEPS} steps)`, { timeout: 600_000 }, async () => {
  const base = testSeed();
  console.log(`# compaction differential, running day SEED=${base} (replay with SEED=${base} COMPACTION_DIFF_SEEDS=1)`);
  const totals: Totals = { compactions: 0, steps: 0, points: 0, levels: new Set(), keptBlockFiles: 0 };
  const started = performance.now();
  await runSeeds('compaction-differential-day', base, SEEDS, (seed) => oneRun(seed, totals, 'day'));
  console.log(`# compaction differential, running day: ${totals.steps} steps, ${totals.compactions} compactions (levels seen ${[...totals.levels].sort().join(', ')}; ${totals.keptBlockFiles} times a block's level-4 file kept beside late data's), ${totals.points} points checked; ${Math.round(performance.now() - started)} ms`);
  for (const level of [2, 4, 5]) assert.ok(totals.levels.has(level), `a level-${level} file was made (levels seen: ${[...totals.levels].join(', ')})`);
  assert.ok(totals.keptBlockFiles > 0, "late data merged beside a block's level-4 file");
});
