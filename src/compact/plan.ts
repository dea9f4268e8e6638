/**
 * Which windows to compact, from the file index alone (a pure policy: worked examples in
 * test/compact/plan.test.ts). Levels: gen1 files (level 1, one gen1 window each) merge into
 * one file per hour (level 2), and those into one file per day (level 3); windows are UTC-aligned.
 *
 * A window is cold when its end is at least `coldMarginNs` older than the newest persisted row
 * of the node (the newest `maxTimeNs` of any file): data time, not the wall clock, so a backfill
 * of old data is compacted once the backfill has moved on, not while it still writes the window,
 * and a test on a simulated clock behaves as production does. A cold day with two files or more
 * becomes one level-3 file; in a day not yet cold, each cold hour with two files or more becomes
 * one level-2 file. A window with one file is left as it is: rewriting it alone gains nothing.
 * Optionally (`warmHourMaxFiles`, off by default) a warm hour — the newest, still written — is
 * merged too once it holds that many files: with 1-minute gen1 windows it holds up to 60, so the
 * current day up to 23 + 60 files; merging it caps that, at the price of pruning by time within
 * the newest hour (queries of the last minutes then read the hour's file).
 *
 * The inputs of a compaction are every file of the table that lies in the window, whatever its
 * level: queries rank duplicate points by `snapshotSequenceNumber`, and the output takes its
 * inputs' newest; leaving out a file whose number lies between the inputs' would let an older
 * value win. An hour that a file spans only partly (a level-3 file, after the newest data moved
 * back when a table was deleted) is not compacted on its own: its day is, once cold.
 */
import { LEVEL_WINDOW_NS, type CompactionLevel } from '../persist/compaction-manifest.js';
import type { PersistedFile } from '../persist/manifest.js';

/** One compaction to run: the files of one table in one window. */
export interface CompactionPlan {
  dbId: number;
  tableId: number;
  level: CompactionLevel;
  windowStartNs: bigint;
  inputs: PersistedFile[];
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


/**
 * The compactions due for `files` (one table's), oldest window first, given the node's newest
 * persisted row time.
 */
export function planTable(files: readonly PersistedFile[], newestNs: bigint, coldMarginNs: bigint, warmHourMaxFiles = 0): CompactionPlan[] {
  const day = LEVEL_WINDOW_NS[3];
  const hour = LEVEL_WINDOW_NS[2];
  const coldBefore = newestNs - coldMarginNs;
  const byDay = new Map<bigint, PersistedFile[]>();
  for (const f of files) {
    const start = windowStart(f.minTimeNs, day);
    if (!isWithin(f, start, day)) continue; // spans days: no level makes such a file; never merged
    let list = byDay.get(start);
    if (list === undefined) byDay.set(start, (list = []));
    list.push(f);
  }
  const plans: CompactionPlan[] = [];
  for (const dayStart of [...byDay.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const inDay = byDay.get(dayStart)!;
    const { dbId, tableId } = inDay[0]!;
    if (dayStart + day <= coldBefore) {
      if (inDay.length >= 2) plans.push({ dbId, tableId, level: 3, windowStartNs: dayStart, inputs: inDay });
      continue;
    }
    const byHour = new Map<bigint, PersistedFile[]>();
    const straddled = new Set<bigint>();
    for (const f of inDay) {
      const start = windowStart(f.minTimeNs, hour);
      if (!isWithin(f, start, hour)) {
        for (let h = start; h <= f.maxTimeNs; h += hour) straddled.add(h);
        continue;
      }
      let list = byHour.get(start);
      if (list === undefined) byHour.set(start, (list = []));
      list.push(f);
    }
    for (const hourStart of [...byHour.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const inHour = byHour.get(hourStart)!;
      const isDue = hourStart + hour <= coldBefore ? inHour.length >= 2 : warmHourMaxFiles > 0 && inHour.length >= Math.max(2, warmHourMaxFiles);
      if (!isDue || straddled.has(hourStart)) continue;
      plans.push({ dbId, tableId, level: 2, windowStartNs: hourStart, inputs: inHour });
    }
  }
  return plans;
}

/** The files of `files` that lie in the plan's window (what a compaction of it takes, now). */
export function filesInWindow(files: readonly PersistedFile[], level: CompactionLevel, windowStartNs: bigint): PersistedFile[] {
  return files.filter((f) => isWithin(f, windowStartNs, LEVEL_WINDOW_NS[level]));
}
