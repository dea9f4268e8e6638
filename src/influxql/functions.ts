/**
 * InfluxQL's functions computed in JavaScript, as InfluxDB 1.x computes them: aggregates and
 * selectors over the points of one window (`reduceWindow`), transformations over a series'
 * sequence of values (`transformSeries`) and math on one value (`applyMath`). Integers are
 * bigint and stay exact where InfluxDB keeps them integer (sum, min, max, spread, difference,
 * cumulative_sum, abs…); float results are numbers.
 */
import { InfluxQLStatementError } from './executor.js';

/** A field value: float number, integer bigint (signed or unsigned), string or boolean. */
export type Value = number | bigint | string | boolean;

/** One input point of a window: its time, value and index among the window's rows (for selectors' companions). */
export interface Point {
  timeNs: bigint;
  value: Value;
  row: number;
}

/** One output of a reducer: a value, and for selectors the time and row of the point it chose. */
export interface Reduced {
  value: Value | null;
  timeNs?: bigint;
  row?: number;
}

/**
 * Reports work done (one unit a point, a comparison or an output row) to the statement, which
 * every few thousand units checks its deadline and throws QueryError TIMEOUT once it is past.
 * True when the statement has held the event loop long enough: a loop that can wait then lets
 * other work run (its `pause`); one that cannot ignores it.
 */
export type OnWork = (units: number) => boolean;

/** Aggregates (answer at the window's time). */
export const AGGREGATES = new Set(['count', 'distinct', 'integral', 'mean', 'median', 'mode', 'spread', 'stddev', 'sum']);
/** Selectors (pick points; alone, they answer at the point's time). */
export const SELECTORS = new Set(['bottom', 'first', 'last', 'max', 'min', 'percentile', 'sample', 'top']);
/** Transformations over a series of values. */
export const TRANSFORMS = new Set(['derivative', 'non_negative_derivative', 'difference', 'non_negative_difference', 'moving_average', 'cumulative_sum', 'elapsed']);
/** Math on one value. */
export const MATH = new Set(['abs', 'ceil', 'floor', 'round', 'sqrt', 'ln', 'log', 'log2', 'log10', 'pow', 'exp', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2']);

/** Functions whose result keeps the input's points' times (several rows per window for some). */
export const MULTI_ROW = new Set(['top', 'bottom', 'sample', 'distinct']);

/** Which value types each function accepts (`*` expands to the fields of these types). */
export function acceptsType(fn: string, type: 'float' | 'integer' | 'unsigned' | 'string' | 'boolean'): boolean {
  switch (fn) {
    case 'count':
    case 'distinct':
    case 'first':
    case 'last':
    case 'mode':
    case 'sample':
    case 'elapsed':
      return true;
    case 'max':
    case 'min':
      return type !== 'string';
    default:
      return type === 'float' || type === 'integer' || type === 'unsigned';
  }
}

function isNumeric(v: Value): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

function compareValues(a: Value, b: Value): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (isNumeric(a) && isNumeric(b)) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function unsupported(fn: string, v: Value): never {
  const kind = typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'boolean' : typeof v === 'bigint' ? 'integer' : 'float';
  throw new InfluxQLStatementError(`unsupported ${fn} iterator type: *query.${kind}InterruptIterator`);
}

/**
 * Reduces one window's points (in time order) with aggregate or selector `fn`; `args` are its
 * literal arguments after the field (percentile's p, top's n, integral's unit…). A pass over
 * the points is reported before it runs; sorts report each comparison.
 */
export function reduceWindow(fn: string, points: readonly Point[], args: ReadonlyArray<number | bigint>, rng: () => number, onWork: OnWork): Reduced[] {
  if (fn === 'count') return [{ value: BigInt(points.length) }];
  if (points.length === 0) return [];
  onWork(points.length);
  const first = points[0]!.value;
  const numericOnly = !acceptsType(fn, 'string');
  if (numericOnly && !isNumeric(first) && !((fn === 'max' || fn === 'min') && typeof first === 'boolean')) unsupported(fn, first);
  switch (fn) {
    case 'sum': {
      if (typeof first === 'bigint') {
        let s = 0n;
        for (const p of points) s += p.value as bigint;
        return [{ value: BigInt.asIntN(64, s) }];
      }
      let s = 0;
      for (const p of points) s += Number(p.value);
      return [{ value: s }];
    }
    case 'mean': {
      let s = 0;
      for (const p of points) s += Number(p.value);
      return [{ value: s / points.length }];
    }
    case 'median': {
      const sorted = points.map((p) => p.value).sort((a, b) => (onWork(1), compareValues(a, b)));
      const n = sorted.length;
      // A float also over an integer field (1.x's IntegerMedianReduceSlice answers FloatPoints), so fill(linear) does not truncate it.
      if (n % 2 === 1) {
        const mid = sorted[(n - 1) / 2]!;
        return [{ value: typeof mid === 'bigint' ? Number(mid) : mid }];
      }
      const a = sorted[n / 2 - 1]!;
      const b = sorted[n / 2]!;
      return [{ value: (Number(a) + Number(b)) / 2 }];
    }
    case 'mode': {
      if (typeof first === 'boolean') {
        // InfluxDB: true when it occurs at least as often as false.
        let trues = 0;
        for (const p of points) if (p.value === true) trues++;
        return [{ value: trues * 2 >= points.length }];
      }
      // As InfluxDB 1.x answers (its ModeReduceSlice): the points sorted by value, walked run by
      // run; the first run is the answer so far; a later run takes over when it is more frequent,
      // or as frequent and its earliest point is no later than the answer's latest one. A run of
      // one point never takes over (1.x counts a later run from its second point). Within a run
      // the points are in time order, as 1.x's sort leaves them for up to 12 points (beyond that
      // its sort is not stable, and its ties are not reproducible).
      const sorted = [...points].sort((a, b) => (onWork(1), compareValues(a.value, b.value) || (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0)));
      let best = sorted[0]!;
      let bestCount = 0;
      let bestLatest = sorted[0]!.timeNs;
      for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j < sorted.length && compareValues(sorted[j]!.value, sorted[i]!.value) === 0) j++;
        const count = j - i;
        // sorted[i] is the run's earliest point, sorted[j - 1] its latest.
        if ((i === 0 || count >= 2) && (count > bestCount || (count === bestCount && sorted[i]!.timeNs <= bestLatest))) {
          best = sorted[i]!;
          bestCount = count;
          bestLatest = sorted[j - 1]!.timeNs;
        }
        i = j;
      }
      return [{ value: best.value }];
    }
    case 'spread': {
      let lo = points[0]!.value as number | bigint;
      let hi = lo;
      for (const p of points) {
        const v = p.value as number | bigint;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return [{ value: typeof lo === 'bigint' ? BigInt.asIntN(64, (hi as bigint) - lo) : Number(hi) - Number(lo) }];
    }
    case 'stddev': {
      if (points.length < 2) return [{ value: null }];
      let mean = 0;
      for (const p of points) mean += Number(p.value);
      mean /= points.length;
      let variance = 0;
      for (const p of points) variance += (Number(p.value) - mean) ** 2;
      return [{ value: Math.sqrt(variance / (points.length - 1)) }];
    }
    case 'first':
    case 'last': {
      let pick = points[0]!;
      for (const p of points) {
        if (fn === 'first' ? p.timeNs < pick.timeNs : p.timeNs >= pick.timeNs) pick = p;
      }
      return [{ value: pick.value, timeNs: pick.timeNs, row: pick.row }];
    }
    case 'max':
    case 'min': {
      let pick = points[0]!;
      for (const p of points) {
        const c = compareValues(p.value, pick.value);
        if ((fn === 'max' ? c > 0 : c < 0) || (c === 0 && p.timeNs < pick.timeNs)) pick = p;
      }
      return [{ value: pick.value, timeNs: pick.timeNs, row: pick.row }];
    }
    case 'percentile': {
      const p = Number(args[0]);
      const sorted = [...points].sort((a, b) => (onWork(1), compareValues(a.value, b.value) || (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0)));
      const i = Math.floor((sorted.length * p) / 100 + 0.5) - 1;
      // Too few points for this percentile: no point at all (fill() fills it, as in InfluxDB 1.x).
      if (i < 0 || i >= sorted.length) return [];
      const pick = sorted[i]!;
      return [{ value: pick.value, timeNs: pick.timeNs, row: pick.row }];
    }
    case 'distinct': {
      const seen = new Set<string>();
      const out: Reduced[] = [];
      for (const p of points) {
        const key = `${typeof p.value}:${String(p.value)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ value: p.value });
      }
      return out;
    }
    case 'integral': {
      const unitNs = args.length > 0 ? Number(args[0]) : 1e9;
      const whole = integralByWindow(points, () => [0n, 2n ** 63n], unitNs, onWork);
      return [{ value: whole.get(0n) ?? 0 }];
    }
    case 'sample': {
      const n = Number(args[0]);
      const picked: Point[] = [];
      for (let i = 0; i < points.length; i++) {
        if (picked.length < n) picked.push(points[i]!);
        else {
          const j = Math.floor(rng() * (i + 1));
          if (j < n) picked[j] = points[i]!;
        }
      }
      picked.sort((a, b) => (onWork(1), a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.row - b.row));
      return picked.map((p) => ({ value: p.value, timeNs: p.timeNs, row: p.row }));
    }
    default:
      throw new Error(`reduceWindow: ${fn} is no aggregate`);
  }
}

/**
 * integral() as InfluxDB 1.x computes it: the trapezium rule over the points in time order; at
 * the end of a window the value there is interpolated, closes that window's area and opens the
 * next one's (so a gap's area goes to the window of the point after it). Keyed by window start;
 * `windowOf` gives a time's window [start, end).
 */
export function integralByWindow(points: readonly Point[], windowOf: (timeNs: bigint) => [bigint, bigint], unitNs: number, onWork: OnWork): Map<bigint, number> {
  const out = new Map<bigint, number>();
  if (points.length === 0) return out;
  onWork(points.length);
  if (!isNumeric(points[0]!.value)) unsupported('integral', points[0]!.value);
  let prevTime = points[0]!.timeNs;
  let prevValue = Number(points[0]!.value);
  let [start, end] = windowOf(prevTime);
  let sum = 0;
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    const value = Number(p.value);
    if (p.timeNs === prevTime) {
      prevValue = value;
      continue;
    }
    if (p.timeNs >= end) {
      if (prevTime !== end) {
        const slope = (value - prevValue) / Number(p.timeNs - prevTime);
        const atEnd = slope * Number(end - prevTime) + prevValue;
        sum += 0.5 * (atEnd + prevValue) * (Number(end - prevTime) / unitNs);
        prevValue = atEnd;
        prevTime = end;
      }
      out.set(start, sum);
      [start, end] = windowOf(p.timeNs);
      sum = 0;
    }
    sum += 0.5 * (value + prevValue) * (Number(p.timeNs - prevTime) / unitNs);
    prevTime = p.timeNs;
    prevValue = value;
  }
  out.set(start, sum);
  return out;
}

/**
 * top/bottom: the `n` largest (smallest) points, ties to the earlier; with `groupKeys` (the
 * values of the tags named in the call, per point) at most one point per distinct key, the
 * best of each. Answered in time order.
 */
export function topBottom(fn: 'top' | 'bottom', points: readonly Point[], n: number, onWork: OnWork, groupKeys?: readonly string[]): Reduced[] {
  if (points.length === 0) return [];
  onWork(points.length);
  if (!isNumeric(points[0]!.value)) unsupported(fn, points[0]!.value);
  const better = (a: Point, b: Point) => {
    const c = compareValues(a.value, b.value);
    if (c !== 0) return fn === 'top' ? c > 0 : c < 0;
    return a.timeNs < b.timeNs;
  };
  let candidates: Point[] = [...points];
  if (groupKeys !== undefined) {
    const best = new Map<string, Point>();
    for (const p of points) {
      const key = groupKeys[p.row]!;
      const cur = best.get(key);
      if (cur === undefined || better(p, cur)) best.set(key, p);
    }
    candidates = [...best.values()];
  }
  candidates.sort((a, b) => (onWork(1), better(a, b) ? -1 : better(b, a) ? 1 : 0));
  const picked = candidates.slice(0, n);
  picked.sort((a, b) => (onWork(1), a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.row - b.row));
  return picked.map((p) => ({ value: p.value, timeNs: p.timeNs, row: p.row }));
}

/** One value of a series for a transformation: its time and value (never null). */
export interface TimedValue {
  timeNs: bigint;
  value: Value;
}

/**
 * A transformation over one series' values in time order (nulls already left out);
 * `unitNs` is derivative's/elapsed's unit, `n` moving_average's window. Each value read is reported.
 */
export function transformSeries(fn: string, input: readonly TimedValue[], unitNs: bigint, n: number, onWork: OnWork): TimedValue[] {
  const out: TimedValue[] = [];
  if (input.length > 0 && fn !== 'elapsed' && !isNumeric(input[0]!.value)) unsupported(fn, input[0]!.value);
  switch (fn) {
    case 'derivative':
    case 'non_negative_derivative':
      for (let i = 1; i < input.length; i++) {
        onWork(1);
        const a = input[i - 1]!;
        const b = input[i]!;
        if (b.timeNs === a.timeNs) continue;
        // In ORDER BY time DESC the series runs backwards: the change over the time between, as 1.x does.
        const dt = b.timeNs > a.timeNs ? b.timeNs - a.timeNs : a.timeNs - b.timeNs;
        const d = (Number(b.value) - Number(a.value)) / (Number(dt) / Number(unitNs));
        if (fn === 'non_negative_derivative' && d < 0) continue;
        out.push({ timeNs: b.timeNs, value: d });
      }
      return out;
    case 'difference':
    case 'non_negative_difference':
      for (let i = 1; i < input.length; i++) {
        onWork(1);
        const a = input[i - 1]!.value;
        const b = input[i]!.value;
        const d = typeof a === 'bigint' && typeof b === 'bigint' ? BigInt.asIntN(64, b - a) : Number(b) - Number(a);
        if (fn === 'non_negative_difference' && d < 0) continue;
        out.push({ timeNs: input[i]!.timeNs, value: d });
      }
      return out;
    case 'cumulative_sum': {
      let s: number | bigint | undefined;
      for (const p of input) {
        onWork(1);
        const v = p.value as number | bigint;
        s = s === undefined ? v : typeof s === 'bigint' && typeof v === 'bigint' ? BigInt.asIntN(64, s + v) : Number(s) + Number(v);
        out.push({ timeNs: p.timeNs, value: s });
      }
      return out;
    }
    case 'moving_average': {
      let sum = 0;
      for (let i = 0; i < input.length; i++) {
        onWork(1);
        // The oldest value leaves before the new one enters (1.x's order: the float sums agree).
        if (i >= n) sum -= Number(input[i - n]!.value);
        sum += Number(input[i]!.value);
        if (i >= n - 1) out.push({ timeNs: input[i]!.timeNs, value: sum / n });
      }
      return out;
    }
    case 'elapsed':
      for (let i = 1; i < input.length; i++) {
        onWork(1);
        out.push({ timeNs: input[i]!.timeNs, value: (input[i]!.timeNs - input[i - 1]!.timeNs) / unitNs });
      }
      return out;
    default:
      throw new Error(`transformSeries: ${fn} is no transformation`);
  }
}

/** Go's math.Log2 (through Frexp, so exact powers of two give exact answers; it differs from Math.log2 in the last bit). */
function goLog2(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log2(x);
  let exp = Math.floor(Math.log2(x)) + 1;
  let frac = x / 2 ** exp;
  // Math.log2 may be off by one near powers of two: settle frac into [0.5, 1).
  while (frac >= 1) {
    frac /= 2;
    exp++;
  }
  while (frac < 0.5) {
    frac *= 2;
    exp--;
  }
  if (frac === 0.5) return exp - 1;
  return Math.log(frac) * Math.LOG2E + exp;
}

/** Go's math.Round: halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** A math function on one value (and a second argument for log, pow, atan2); null in, null out. */
export function applyMath(fn: string, v: Value | null, arg?: Value | null): Value | null {
  const out = math(fn, v, arg);
  // InfluxDB answers null where the result is no number (sqrt(-1), ln(0)).
  return typeof out === 'number' && !Number.isFinite(out) ? null : out;
}

function math(fn: string, v: Value | null, arg?: Value | null): Value | null {
  if (v === null || arg === null) return null;
  if (!isNumeric(v)) return null;
  if (typeof v === 'bigint' && (fn === 'abs' || fn === 'ceil' || fn === 'floor' || fn === 'round')) return fn === 'abs' ? (v < 0n ? -v : v) : v;
  const x = Number(v);
  const y = arg === undefined ? NaN : Number(arg);
  switch (fn) {
    case 'abs':
      return Math.abs(x);
    case 'ceil':
      return Math.ceil(x);
    case 'floor':
      return Math.floor(x);
    case 'round':
      return roundHalfAway(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'ln':
      return Math.log(x);
    case 'log':
      return Math.log(x) / Math.log(y);
    case 'log2':
      return goLog2(x);
    case 'log10':
      return Math.log(x) * Math.LOG10E;
    case 'pow':
      return x ** y;
    case 'exp':
      return Math.exp(x);
    case 'sin':
      return Math.sin(x);
    case 'cos':
      return Math.cos(x);
    case 'tan':
      return Math.tan(x);
    case 'asin':
      return Math.asin(x);
    case 'acos':
      return Math.acos(x);
    case 'atan':
      return Math.atan(x);
    case 'atan2':
      return Math.atan2(x, y);
    default:
      throw new Error(`applyMath: ${fn} is no math function`);
  }
}
