/**
 * The windows of GROUP BY time: every window from the first to the last, the empty ones filled
 * as `fill()` says (null, none, previous, linear or a number), InfluxDB 1.x's way.
 */
import type { Fill } from './ast.js';
import type { OnWork, Value } from './functions.js';

/** One output row of an aggregate, before its columns are evaluated. */
export interface WindowRow {
  timeNs: bigint;
  windowNs: bigint;
  /** Per call (in the order of `calls`): the value; undefined when the call had no points in this window. */
  values: Array<Value | null | undefined>;
  /** The row of the lone selector's point (its companions' values). */
  row?: number;
}

/** Where the windows run and how to fill them. */
export interface FillPlan {
  startNs: bigint;
  endNs: bigint;
  /** The start of the window after the one starting at `windowNs`. */
  next(windowNs: bigint): bigint;
  fill: Fill;
  /** ORDER BY time DESC: fill(previous) carries the later window's value (1.x fills in the order it answers). */
  descending: boolean;
  /** How many calls each window holds. */
  calls: number;
  /** The GROUP BY time() interval (linear fill works in units of it). */
  intervalNs: bigint;
  /** Reports each window made and each one filled (the statement's deadline check). */
  onWork: OnWork;
  /** Lets other work run, when `onWork` says (the statement's pause). */
  pause: () => Promise<void>;
}

/**
 * `windows` (in time order, some missing) as every window of the plan, empty ones filled.
 *
 * A window before the start (a subquery's row before the outer range) is answered as 1.x's fill
 * iterator answers it: that iterator expects one window after another from the start and passes
 * on any point not later than the one it expects. Ascending, such a point takes the expected
 * window's place (which then has no row); descending, the windows are filled on down to it.
 */
export async function fillWindows(windows: readonly WindowRow[], plan: FillPlan): Promise<WindowRow[]> {
  const out: WindowRow[] = [];
  // Under fill(null) nothing is written into an empty window's values: they share one array.
  // (Frozen: a write would throw rather than fill every window.)
  const shared = plan.fill.mode === 'null' ? (Object.freeze(new Array<undefined>(plan.calls).fill(undefined)) as Array<Value | null | undefined>) : undefined;
  const empty = (w: bigint): WindowRow => ({ timeNs: w, windowNs: w, values: shared ?? new Array<Value | null | undefined>(plan.calls).fill(undefined) });
  let expected = plan.startNs;
  if (plan.descending && windows.length > 0 && windows[0]!.windowNs < expected) expected = windows[0]!.windowNs;
  for (const row of windows) {
    if (row.windowNs > plan.endNs) break;
    while (row.windowNs > expected) {
      out.push(empty(expected));
      expected = plan.next(expected);
      if (plan.onWork(1)) await plan.pause();
    }
    out.push(row);
    expected = plan.next(expected);
  }
  for (; expected <= plan.endNs; expected = plan.next(expected)) {
    out.push(empty(expected));
    if (plan.onWork(1)) await plan.pause();
  }
  await fillValues(out, plan.fill, plan.descending, plan.calls, plan.intervalNs, plan.onWork, plan.pause);
  return out;
}

/**
 * Fills the missing (undefined) values of `rows` (every window, in time order) in place, value
 * by value: fill(null) leaves them, previous carries the last point (null ones too), linear
 * draws the line between two points (null where either is null), a number is that number.
 * Each window visited is reported to `onWork`.
 */
export async function fillValues(rows: WindowRow[], fill: Fill, descending: boolean, width: number, intervalNs: bigint, onWork: OnWork, pause: () => Promise<void>): Promise<void> {
  const keys = Array.from({ length: width }, (_c, i) => i);
  const out = rows;
  if (fill.mode === 'previous') {
    // In ORDER BY time DESC, "previous" is the later window (1.x fills in the order it answers).
    const order = descending ? [...out].reverse() : out;
    for (const k of keys) {
      let last: Value | null | undefined;
      for (const w of order) {
        if (onWork(1)) await pause();
        const v = w.values[k];
        // A point whose value is null (stddev of one point) is carried too, as 1.x does.
        if (v === undefined) {
          if (last !== undefined) w.values[k] = last;
        } else last = v;
      }
    }
  } else if (fill.mode === 'linear') {
    for (const k of keys) {
      let prev = -1;
      for (let i = 0; i < out.length; i++) {
        if (onWork(1)) await pause();
        const v = out[i]!.values[k];
        if (v === undefined) continue;
        // Only between two points. A point whose value is null (stddev of one point) is NaN in
        // 1.x, and a line to NaN is NaN at every window: those windows get a point valued null,
        // which a transformation over them sees (derivative answers a null row there).
        const a = prev >= 0 ? out[prev]!.values[k] : undefined;
        if (a !== undefined && i - prev > 1) {
          for (let j = prev + 1; j < i; j++) {
            onWork(1);
            if (out[j]!.values[k] !== undefined) continue;
            out[j]!.values[k] = a === null || v === null ? null : interpolate(a, v, out[prev]!.windowNs / intervalNs, out[i]!.windowNs / intervalNs, out[j]!.windowNs / intervalNs);
          }
        }
        prev = i;
      }
    }
  } else if (fill.mode === 'value') {
    for (const w of out) {
      if (onWork(1)) await pause();
      for (const k of keys) if (w.values[k] === undefined) w.values[k] = fill.value;
    }
  }
}

/**
 * The value at window `at` on the line from (window `from`, a) to (window `to`, b), computed as
 * 1.x does: slope times distance plus start, in floats, an integer the float truncated — with
 * times counted in intervals (each window's time divided by the interval, truncating), not
 * nanoseconds: between 30 and 0 the window midway is 15, where nanoseconds give
 * 14.999999999999998 and an integer fill of 14.
 */
function interpolate(a: Value, b: Value, from: bigint, to: bigint, at: bigint): Value {
  const slope = (Number(b) - Number(a)) / Number(to - from);
  const value = slope * Number(at - from) + Number(a);
  if (typeof a === 'bigint' && typeof b === 'bigint') return BigInt(Math.trunc(value));
  return value;
}
