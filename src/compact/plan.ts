/**
 * Which windows to compact, from the file index alone (a pure policy: worked examples in
 * test/compact/plan.test.ts). Windows are UTC-aligned; by width the levels are: gen1 files
 * (level 1, one gen1 window each), ten minutes (level 5), one hour (level 2), six hours
 * (level 4), one day (level 3) — numbered in the order they were added.
 *
 * A window is cold when its end is at least `coldMarginNs` older than the newest persisted row
 * of the node (the newest `maxTimeNs` of any file): data time, not the wall clock, so a backfill
 * of old data is compacted once the backfill has moved on, not while it still writes the window,
 * and a test on a simulated clock behaves as production does. Due:
 *
 * - a cold day with two files or more becomes one level-3 file;
 * - in a day not yet cold, a cold six-hour block with two files or more becomes one level-4
 *   file; once it holds one, later (late) files of the block merge among themselves, not with it;
 * - in a block not yet cold, each cold hour with two files or more becomes one level-2 file;
 * - in a warm hour, each ten-minute window the newest row has passed becomes one level-5 file
 *   once it holds two files or more: a 1-minute-gen1 hour is then at most 6 files plus the
 *   newest window's ten, and a query of the last minutes still reads ten minutes, not an hour.
 *
 * So the running day holds at most 3 blocks (each with at most one file of late data beside
 * it), 5 hours, a warm hour of ten-minute files and the newest ten minutes: under 30 files with
 * 1- and 10-minute gen1 windows. A window with one file is left as it is: rewriting it alone
 * gains nothing. Optionally (`warmHourMaxFiles`, off by default) a warm hour is merged whole
 * once it holds that many files, at the price of pruning by time within the newest hour.
 *
 * The inputs of a compaction are every file of the table that lies in the window, whatever its
 * level: queries rank duplicate points by `snapshotSequenceNumber`, and the output takes its
 * inputs' newest; leaving out a file whose number lies between the inputs' would let an older
 * value win. The one file ever left out — a block's level-4 file — is older than every input, so
 * no number lies between. A window that a file spans only partly, or that holds a file of a wider
 * level (after the newest data moved back when a table was deleted), is left to that file's
 * window.
 */import assert from 'node:assert/strict';
import { LEVEL_WINDOW_NS, type CompactionLevel } from '../persist/compaction-manifest.js';
import type { PersistedFile } from '../persist/manifest.js';

/** One compaction to run: the files of one table in one window. */
export interface CompactionPlan {
  dbId: number;
  tableId: number;
  level: CompactionLevel;
  windowStartNs: bigint;
  inputs: PersistedFile[];
  /** A file of the window left as it is (older than every input): a block's earlier level-4 file. */
  keptKey?: string;
}

/** `t` rounded down to a multiple of `windowNs` (also for times before 1970). */
export function windowStart(t: bigint, windowNs: bigint): bigint {
  const r = t % windowNs;
  return r < 0n ? t - r - windowNs : t - r;
}

/** Whether `f` lies wholly in [start, start + windowNs). */
function isWithin(f: PersistedFile, start: bigint, windowNs: bigint): boolean {
  return f.minTimeNs >= start && f.maxTimeNs < start + windowNs;
}

/** The newest row time of any file, or undefined when there are none. */
export function newestTimeNs(files: Iterable<PersistedFile>): bigint | undefined {
  let newest: bigint | undefined;
  for (const f of files) if (newest === undefined || f.maxTimeNs > newest) newest = f.maxTimeNs;
  return newest;
}


/** A file's level window (0 for a gen1 file, narrower than every compaction window). */
function levelWindowNs(f: PersistedFile): bigint {
  const level = f.level ?? 1;
  return level === 1 ? 0n : LEVEL_WINDOW_NS[level as CompactionLevel];
}

/**
 * `files` grouped by the `windowNs`-wide window each lies wholly in, and the windows a file
 * blocks: one it overlaps without lying in it, or one it lies in though a wider level made it.
 */
function windows(files: readonly PersistedFile[], windowNs: bigint): { within: Array<[bigint, PersistedFile[]]>; blocked: Set<bigint> } {
  const within = new Map<bigint, PersistedFile[]>();
  const blocked = new Set<bigint>();
  for (const f of files) {
    const start = windowStart(f.minTimeNs, windowNs);
    if (!isWithin(f, start, windowNs)) {
      for (let w = start; w <= f.maxTimeNs; w += windowNs) blocked.add(w);
      continue;
    }
    if (levelWindowNs(f) > windowNs) blocked.add(start);
    let list = within.get(start);
    if (list === undefined) within.set(start, (list = []));
    list.push(f);
  }
  return { within: [...within].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), blocked };
}

/**
 * A cold six-hour block's inputs: all its files; or, once it holds a level-4 file older than
 * every other, the others only (late data since), so that late data never rewrites the block's
 * hours of data again — it collects in a second level-4 file of the block until the day is cold.
 */
function blockInputs(inBlock: readonly PersistedFile[]): { inputs: PersistedFile[]; keptKey?: string } | undefined {
  let base: PersistedFile | undefined;
  for (const f of inBlock) if (f.level === 4 && (base === undefined || f.snapshotSequenceNumber < base.snapshotSequenceNumber)) base = f;
  if (base !== undefined && inBlock.every((f) => f === base || f.snapshotSequenceNumber > base.snapshotSequenceNumber)) {
    const inputs = inBlock.filter((f) => f !== base);
    return inputs.length >= 2 ? { inputs, keptKey: base.key } : undefined;
  }
  return inBlock.length >= 2 ? { inputs: [...inBlock] } : undefined;
}

/**
 * The compactions due for `files` (one table's), oldest window first within each level, given
 * the node's newest persisted row time. Plans never overlap: a cold block takes its hours, a
 * warm hour merged whole takes its ten-minute windows.
 */
export function planTable(files: readonly PersistedFile[], newestNs: bigint, coldMarginNs: bigint, warmHourMaxFiles = 0): CompactionPlan[] {
  const day = LEVEL_WINDOW_NS[3];
  const block = LEVEL_WINDOW_NS[4];
  const hour = LEVEL_WINDOW_NS[2];
  const tenMinutes = LEVEL_WINDOW_NS[5];
  const coldBefore = newestNs - coldMarginNs;
  const plans: CompactionPlan[] = [];
  // A file spanning days is left out of every day (no level makes such a file; never merged).
  for (const [dayStart, inDay] of windows(files, day).within) {
    const { dbId, tableId } = inDay[0]!;
    const plan = (level: CompactionLevel, windowStartNs: bigint, inputs: PersistedFile[], keptKey?: string) =>
      plans.push({ dbId, tableId, level, windowStartNs, inputs, ...(keptKey === undefined ? {} : { keptKey }) });
    if (dayStart + day <= coldBefore) {
      if (inDay.length >= 2) plan(3, dayStart, inDay);
      continue;
    }
    const blocks = windows(inDay, block);
    const isBlockTaken = (start: bigint) => start + block <= coldBefore && !blocks.blocked.has(start);
    for (const [blockStart, inBlock] of blocks.within) {
      if (!isBlockTaken(blockStart)) continue;
      const due = blockInputs(inBlock);
      if (due !== undefined) plan(4, blockStart, due.inputs, due.keptKey);
    }
    const hours = windows(inDay, hour);
    for (const [hourStart, inHour] of hours.within) {
      if (isBlockTaken(windowStart(hourStart, block)) || hours.blocked.has(hourStart)) continue;
      if (hourStart + hour <= coldBefore) {
        if (inHour.length >= 2) plan(2, hourStart, inHour);
        continue;
      }
      if (warmHourMaxFiles > 0 && inHour.length >= Math.max(2, warmHourMaxFiles)) {
        plan(2, hourStart, inHour);
        continue;
      }
      // A warm hour: each ten-minute window the newest row has passed.
      const tens = windows(inHour, tenMinutes);
      for (const [tenStart, inTen] of tens.within) {
        if (tenStart + tenMinutes <= newestNs && !tens.blocked.has(tenStart) && inTen.length >= 2) plan(5, tenStart, inTen);
      }
    }
  }
  return plans;
}

/**
 * The inputs of `plan` among `files` (the table's, as they are now: a snapshot may have added
 * some since the plan): every file in its window but the kept one; undefined when the kept file
 * left the index meanwhile (the window is planned again at the next round).
 */
export function currentInputs(files: readonly PersistedFile[], plan: CompactionPlan): PersistedFile[] | undefined {
  const inWindow = files.filter((f) => isWithin(f, plan.windowStartNs, LEVEL_WINDOW_NS[plan.level]));
  if (plan.keptKey === undefined) return inWindow;
  const kept = inWindow.find((f) => f.key === plan.keptKey);
  if (kept === undefined) return undefined;
  const inputs = inWindow.filter((f) => f !== kept);
  // Files added since the plan come from later snapshots: the kept file stays older than every input.
  assert.ok(inputs.every((f) => f.snapshotSequenceNumber > kept.snapshotSequenceNumber), `compaction of window ${plan.windowStartNs} (level ${plan.level}): the kept file ${kept.key} is not older than every input`);
  return inputs;
}
