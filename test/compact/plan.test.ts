/**
 * The compaction policy's worked examples (src/compact/plan.ts): which windows are cold, which
 * level they get, and that every file of a window is an input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { currentInputs, planTable, windowStart } from '../../src/compact/plan.js';
import type { PersistedFile } from '../../src/persist/manifest.js';

const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
const DAY = 24n * HOUR;

let serial = 0;
/** A file of table 0/0 spanning [fromMin, toMin] minutes after `base`. */
function file(base: bigint, fromMin: number, toMin: number, seq: number, level?: number): PersistedFile {
  return { key: `f${serial++}`, dbId: 0, tableId: 0, chunkTimeNs: base + BigInt(fromMin) * MIN, minTimeNs: base + BigInt(fromMin) * MIN, maxTimeNs: base + BigInt(toMin) * MIN, rowCount: 1, sizeBytes: 1, columnIds: [0], snapshotSequenceNumber: seq, ...(level === undefined ? {} : { level }) };
}

const D0 = 20_000n * DAY; // a UTC midnight

test('windowStart rounds down, also before 1970', () => {
  assert.equal(windowStart(D0 + 5n, DAY), D0);
  assert.equal(windowStart(-1n, HOUR), -HOUR);
  assert.equal(windowStart(-HOUR, HOUR), -HOUR);
  assert.equal(windowStart(0n, HOUR), 0n);
});

test('worked examples: cold hours become level 2, a cold day level 3, a lone file stays', () => {
  const margin = 30n * MIN;
  const a = file(D0, 0, 9, 1); // hour 0
  const b = file(D0, 10, 19, 2); // hour 0
  const c = file(D0, 60, 69, 3); // hour 1, alone
  const d = file(D0, 120, 129, 4); // hour 2
  const e = file(D0, 130, 139, 5); // hour 2
  const files = [a, b, c, d, e];
  const rows = (newestMin: number) =>
    planTable(files, D0 + BigInt(newestMin) * MIN, margin).map((p) => `L${p.level} ${(p.windowStartNs - D0) / MIN}m [${p.inputs.map((f) => f.key).join(',')}]`);
  // Newest at 1:29: hour 0 ends at 1:00, not 30 minutes behind yet.
  assert.deepEqual(rows(89), []);
  // Newest at 1:30: hour 0 is cold; hour 1 holds one file.
  assert.deepEqual(rows(90), [`L2 0m [${a.key},${b.key}]`]);
  // Newest at 3:30: hours 0 and 2 cold.
  assert.deepEqual(rows(210), [`L2 0m [${a.key},${b.key}]`, `L2 120m [${d.key},${e.key}]`]);
  // Newest at 24:30 the next day: the whole day is cold, all five files in one.
  assert.deepEqual(rows(24 * 60 + 30), [`L3 0m [${files.map((f) => f.key).join(',')}]`]);
  // A day already compacted into one file stays as it is; a late gen1 file makes it two again.
  const day = file(D0, 0, 139, 5, 3);
  assert.deepEqual(planTable([day], D0 + 2n * DAY, margin), []);
  const late = file(D0, 70, 79, 9);
  assert.deepEqual(planTable([day, late], D0 + 2n * DAY, margin).map((p) => [p.level, p.inputs.length]), [[3, 2]]);
});

test('a warm hour is merged by the ten-minute windows the newest row has passed (level 5), and whole once it holds warmHourMaxFiles files when that is set', () => {
  const margin = 30n * MIN;
  const warm = Array.from({ length: 6 }, (_, i) => file(D0, 600 + i * 2, 601 + i * 2, 10 + i)); // hour 10: 10:00–10:11
  const rows = (files: PersistedFile[], newestMin: number, warmHourMaxFiles = 0) =>
    planTable(files, D0 + BigInt(newestMin) * MIN, margin, warmHourMaxFiles).map((p) => [p.level, (p.windowStartNs - D0) / MIN, p.inputs.length]);
  // Newest at 10:09: no ten-minute window has ended.
  assert.deepEqual(rows(warm.slice(0, 5), 609), []);
  // Newest at 10:13: 10:00–10:10 has ended (5 files); 10:10–10:20 (one file) has not.
  assert.deepEqual(rows(warm, 613), [[5, 600n, 5]]);
  assert.deepEqual(rows(warm.slice(0, 5), 613, 6), [[5, 600n, 5]], 'five files: not yet due whole');
  assert.deepEqual(rows(warm, 613, 6), [[2, 600n, 6]], 'the whole hour takes its ten-minute windows');
  assert.deepEqual(rows(warm.slice(0, 1), 613, 1), [], 'never a single file');
  // A ten-minute window already merged, and one late file into it: merged again; a lone file in the newest window stays.
  const merged = file(D0, 600, 609, 15, 5);
  const late = file(D0, 603, 603, 16);
  assert.deepEqual(rows([merged, late, warm[5]!], 615), [[5, 600n, 2]]);
  assert.deepEqual(rows([merged, warm[5]!], 625), []);
});

test('worked examples: a cold six-hour block of the running day becomes level 4; late files later merge among themselves beside it', () => {
  const margin = 30n * MIN;
  const plans = (files: PersistedFile[], newestMin: number) =>
    planTable(files, D0 + BigInt(newestMin) * MIN, margin).map((p) => `L${p.level} ${(p.windowStartNs - D0) / MIN}m [${p.inputs.map((f) => f.key).join(',')}]${p.keptKey === undefined ? '' : ` kept ${p.keptKey}`}`);
  const hours = Array.from({ length: 5 }, (_, h) => file(D0, h * 60, h * 60 + 59, h + 1, 2)); // hours 0–4, level 2
  const h5a = file(D0, 300, 309, 6); // hour 5, two gen1 files
  const h5b = file(D0, 310, 319, 7);
  const block = [...hours, h5a, h5b];
  // Newest at 6:29: block 0–6 ends at 6:00, not 30 minutes behind; hour 5 neither.
  assert.deepEqual(plans(block, 389), []);
  // Newest at 6:30: the block is cold and takes all seven files (hour 5 is not merged on its own first).
  assert.deepEqual(plans(block, 390), [`L4 0m [${block.map((f) => f.key).join(',')}]`]);
  // Merged: one level-4 file. One late file into it stays beside it (rewriting six hours for it gains little).
  const base = file(D0, 0, 319, 7, 4);
  const late1 = file(D0, 125, 125, 8);
  assert.deepEqual(plans([base, late1], 400), []);
  // A second late file: the two merge into a level-4 file of late data, the block's own file kept as it is.
  const late2 = file(D0, 200, 200, 9);
  assert.deepEqual(plans([base, late1, late2], 400), [`L4 0m [${late1.key},${late2.key}] kept ${base.key}`]);
  const lateMerged = file(D0, 125, 200, 9, 4);
  const late3 = file(D0, 30, 30, 10);
  assert.deepEqual(plans([base, lateMerged, late3], 400), [`L4 0m [${lateMerged.key},${late3.key}] kept ${base.key}`]);
  // A block's file newer than another of its files (never made so, but): nothing kept, all merged.
  const older = file(D0, 40, 40, 6);
  assert.deepEqual(plans([base, older], 400), [`L4 0m [${base.key},${older.key}]`]);
  // The day cold: everything, both level-4 files included, into one level-3 file.
  assert.deepEqual(plans([base, lateMerged, late3], 24 * 60 + 30), [`L3 0m [${base.key},${lateMerged.key},${late3.key}]`]);
});

test('an hour a day-level file spans is left to its day, and every file in a window is an input whatever its level', () => {
  const margin = 0n;
  const day = file(D0, 0, 200, 3, 3); // a level-3 file spanning hours 0–3
  const h0a = file(D0, 10, 19, 4);
  const h0b = file(D0, 20, 29, 5);
  const h5a = file(D0, 300, 309, 6);
  const h5b = file(D0, 310, 319, 7, 2);
  // The day is not cold (newest 6:00): hour 0 is spanned by the day file, hour 5 is merged with its level-2 file.
  const plans = planTable([day, h0a, h0b, h5a, h5b], D0 + 360n * MIN, margin);
  assert.deepEqual(plans.map((p) => [p.level, (p.windowStartNs - D0) / MIN, p.inputs.map((f) => f.key)]), [[2, 300n, [h5a.key, h5b.key]]]);
});

test('times before 1970 fall in their own (negative) windows', () => {
  const base = -DAY; // 1969-12-31
  const a = file(base, 0, 5, 1);
  const b = file(base, 6, 9, 2);
  const plans = planTable([a, b], 0n, 0n);
  assert.deepEqual(plans.map((p) => [p.level, p.windowStartNs]), [[3, -DAY]]);
});

/**
 * The policy run as the compactor runs it, over files a model of snapshots writes: every
 * `snapshotEveryMin` minutes of data (a row a second, 1 % of them late — seeded — by up to six
 * hours) one file per gen1 window written; after each snapshot every
 * due compaction, one after the other, each output taking its inputs' span and newest snapshot.
 * Returns the most files any day not yet cold held after a round, and checks on the way that a
 * finished day is one file and that no compaction leaves out a file whose snapshot lies between
 * its inputs' (the dedup order queries rely on).
 */
function simulate(gen1Min: number, snapshotEveryMin: number, seed: number, days = 2): { worstRunningDay: number; filesWritten: number; rowsWrittenByCompaction: number } {
  const rng = new SeededRng(seed);
  const margin = 30n * MIN;
  const gen1 = BigInt(gen1Min) * MIN;
  let files: PersistedFile[] = [];
  let seq = 0;
  let worstRunningDay = 0;
  let filesWritten = 0;
  let rowsWrittenByCompaction = 0;
  const where = `gen1 ${gen1Min}m, a snapshot every ${snapshotEveryMin} min, SEED=${seed}`;
  for (let fromMin = 0; fromMin < days * 24 * 60; fromMin += snapshotEveryMin) {
    seq++;
    // One row a second; a file per gen1 window with rows, spanning its rows.
    const windows = new Map<bigint, [bigint, bigint, number]>();
    const addRow = (t: bigint) => {
      const w = windowStart(t, gen1);
      const span = windows.get(w);
      windows.set(w, span === undefined ? [t, t, 1] : [span[0] < t ? span[0] : t, span[1] > t ? span[1] : t, span[2] + 1]);
    };
    for (let s = 0; s < snapshotEveryMin * 60; s++) {
      const t = D0 + BigInt(fromMin) * MIN + BigInt(s) * 1_000_000_000n;
      const lateNs = rng.nextInt(100) === 0 ? BigInt(rng.nextInt(6 * 3600)) * 1_000_000_000n : 0n;
      addRow(t - lateNs < D0 ? D0 : t - lateNs);
    }
    for (const [w, [lo, hi, rows]] of windows) {
      files.push({ key: `s${seq}-${w}`, dbId: 0, tableId: 0, chunkTimeNs: w, minTimeNs: lo, maxTimeNs: hi, rowCount: rows, sizeBytes: rows, columnIds: [0], snapshotSequenceNumber: seq });
      filesWritten++;
    }
    const newest = files.reduce((m, f) => (f.maxTimeNs > m ? f.maxTimeNs : m), 0n);
    for (let compacted = 1; compacted > 0; ) {
      compacted = 0;
      for (const plan of planTable(files, newest, margin)) {
        const inputs = currentInputs(files, plan)!;
        const lo = inputs.reduce((m, f) => Math.min(m, f.snapshotSequenceNumber), Infinity);
        const hi = inputs.reduce((m, f) => Math.max(m, f.snapshotSequenceNumber), 0);
        const windowEnd = plan.windowStartNs + (plan.level === 5 ? 10n * MIN : plan.level === 2 ? HOUR : plan.level === 4 ? 6n * HOUR : DAY);
        for (const f of files) {
          const overlaps = f.minTimeNs < windowEnd && f.maxTimeNs >= plan.windowStartNs;
          if (overlaps && !inputs.includes(f)) assert.ok(f.snapshotSequenceNumber < lo || f.snapshotSequenceNumber > hi, `${where}: ${f.key} (snapshot ${f.snapshotSequenceNumber}) left out of a level-${plan.level} compaction of snapshots ${lo}–${hi}`);
        }
        const rows = inputs.reduce((n, f) => n + f.rowCount, 0);
        rowsWrittenByCompaction += rows;
        files = files.filter((f) => !inputs.includes(f));
        files.push({ key: `c${plan.level}-${seq}-${plan.windowStartNs}-${compacted}`, dbId: 0, tableId: 0, chunkTimeNs: plan.windowStartNs, minTimeNs: inputs.reduce((m, f) => (f.minTimeNs < m ? f.minTimeNs : m), inputs[0]!.minTimeNs), maxTimeNs: inputs.reduce((m, f) => (f.maxTimeNs > m ? f.maxTimeNs : m), inputs[0]!.maxTimeNs), rowCount: rows, sizeBytes: rows, columnIds: [0], snapshotSequenceNumber: hi, level: plan.level });
        compacted++;
      }
    }
    const perDay = new Map<bigint, number>();
    for (const f of files) perDay.set(windowStart(f.minTimeNs, DAY), (perDay.get(windowStart(f.minTimeNs, DAY)) ?? 0) + 1);
    for (const [day, n] of perDay) {
      if (day + DAY <= newest - margin) assert.equal(n, 1, `${where}: a finished day is one file (at ${(newest - D0) / MIN} min)`);
      else worstRunningDay = Math.max(worstRunningDay, n);
    }
  }
  return { worstRunningDay, filesWritten, rowsWrittenByCompaction };
}

test('a running day never holds more than 30 files with 1-, 5- and 10-minute gen1 windows, late data included, through two days of snapshots', () => {
  const seed = testSeed();
  console.log(`# running-day files SEED=${seed}`);
  for (const [gen1Min, snapshotEveryMin] of [[1, 10], [1, 1], [5, 10], [10, 10], [10, 1]] as const) {
    const { worstRunningDay, filesWritten, rowsWrittenByCompaction } = simulate(gen1Min, snapshotEveryMin, seed);
    const rowsWritten = 2 * 24 * 3600;
    console.log(`# gen1 ${gen1Min}m, a snapshot every ${snapshotEveryMin} min: at most ${worstRunningDay} files in the running day; ${filesWritten} files written; compactions rewrote each row ${(rowsWrittenByCompaction / rowsWritten).toFixed(2)} times`);
    assert.ok(worstRunningDay <= 30, `gen1 ${gen1Min}m, a snapshot every ${snapshotEveryMin} min: the running day held ${worstRunningDay} files (SEED=${seed})`);
  }
});
