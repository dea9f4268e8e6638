/**
 * Compaction, differentially: seeded random writes — points written again with some fields
 * (later values win, a field left out keeps its earlier value), late data into windows already
 * snapshotted and compacted — across many gen1 windows, hours and days, with snapshots,
 * compactions and a restart at random moments. After every step the table answers exactly as a
 * model of InfluxDB's point semantics does; each compaction leaves the answer unchanged.
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

async function oneRun(seed: number, totals: { compactions: number; steps: number; points: number }): Promise<void> {
  const rng = new SeededRng(seed);
  const where = (step: number, what: string) => `seed ${seed} step ${step} (${what}; replay with SEED=${seed} COMPACTION_DIFF_SEEDS=1)`;
  const t = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m' }, compactionInBackground: false, compactionColdMarginMs: rng.nextInt(2) === 0 ? 0 : 30 * 60_000 });
  let db = t.db;
  const opened: SluiceDatabase[] = [];
  const model = new Model();
  // Times in a few minutes of a few hours of three days: many windows, many rewrites of a point.
  const hours = Array.from({ length: 6 + rng.nextInt(6) }, () => rng.nextInt(72));
  let newestHour = 0;
  try {
    for (let step = 0; step < STEPS; step++) {
      // The first line creates every column (a query naming one never written is an error, not nulls).
      const lines: string[] = step === 0 ? [`m,host=a u=0.25,i=0i,s="v0" ${D0 + hours[0]! * 3600}`] : [];
      if (step === 0) model.write('a', D0 + hours[0]! * 3600, { u: 0.25, i: 0, s: 'v0' });
      // Time moves forward, but any hour already seen may get late data.
      newestHour = Math.min(hours.length - 1, newestHour + rng.nextInt(2));
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
    assert.deepEqual(await answer(db), model.rows(), where(STEPS, 'at the end'));
    await db.remover.idle();
    totals.points += model.points.size;
  } finally {
    await t.cleanup(...opened);
  }
}

test(`compaction answers as a model of point semantics does, through random writes, late data, snapshots, compactions and restarts (${SEEDS} seeds × ${STEPS} steps)`, { timeout: 600_000 }, async () => {
  const base = testSeed();
  console.log(`# compaction differential SEED=${base} (replay with SEED=${base} COMPACTION_DIFF_SEEDS=1)`);
  const totals = { compactions: 0, steps: 0, points: 0 };
  const started = performance.now();
  await runSeeds('compaction-differential', base, SEEDS, (seed) => oneRun(seed, totals));
  console.log(`# compaction differential: ${totals.steps} steps, ${totals.compactions} compactions, ${totals.points} points checked against the model after every step; ${Math.round(performance.now() - started)} ms`);
  assert.ok(totals.compactions > 0, 'compactions ran');
});
