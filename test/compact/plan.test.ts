/**
 * The compaction policy's worked examples (src/compact/plan.ts): which windows are cold, which
 * level they get, and that every file of a window is an input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTable, windowStart } from '../../src/compact/plan.js';
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

test('a warm hour is left alone by default, and compacted once it holds warmHourMaxFiles files when that is set', () => {
  const margin = 30n * MIN;
  const warm = Array.from({ length: 6 }, (_, i) => file(D0, 600 + i * 2, 601 + i * 2, 10 + i)); // hour 10
  const newest = D0 + 613n * MIN; // hour 10 is warm
  assert.deepEqual(planTable(warm, newest, margin), []);
  assert.deepEqual(planTable(warm.slice(0, 5), newest, margin, 6), []);
  assert.deepEqual(planTable(warm, newest, margin, 6).map((p) => [p.level, (p.windowStartNs - D0) / MIN, p.inputs.length]), [[2, 600n, 6]]);
  assert.deepEqual(planTable(warm.slice(0, 1), newest, margin, 1), [], 'never a single file');
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
