/**
 * What VictoriaMetrics should answer to a TSBS range query, computed from the generated dataset
 * itself. Its answers cannot be held against InfluxQL's bucket for bucket: a range query's point
 * at `t` rolls up the samples in (t − window, t] at `t = start, start + step, …, end`, where
 * InfluxQL's `GROUP BY time(1m)` bucket `t` holds [t, t + 1m) at epoch-aligned `t` — one sample
 * in and one out at each end. So the bench asks the data the question VictoriaMetrics was asked.
 */
import { CPU_METRICS, type VmRangeQuery } from './tsbs-queries.js';

/** The dataset's field values: `values[metric][tick * hosts + host]`, NaN where no line wrote one. */
export interface TsbsCpuValues {
  hosts: number;
  ticks: number;
  startS: number;
  intervalS: number;
  values: Float64Array[];
}

const COMMA = 0x2c;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const EQUALS = 0x3d;
const HOST_TAG = Buffer.from('hostname=host_');

/**
 * Reads back the field values of TSBS cpu lines (as `tsbsCpuLines` writes them: fields in
 * {@link CPU_METRICS} order, ns timestamps at whole seconds, `intervalS` apart from `startS`).
 */
export function readTsbsCpuValues(body: Buffer, hosts: number, startS: number, intervalS: number, ticks: number): TsbsCpuValues {
  const values = CPU_METRICS.map(() => new Float64Array(hosts * ticks).fill(Number.NaN));
  let line = 0;
  while (line < body.length) {
    const newline = body.indexOf(NEWLINE, line);
    const end = newline === -1 ? body.length : newline;
    const hostAt = body.indexOf(HOST_TAG, line);
    if (hostAt === -1 || hostAt > end) throw new Error(`line at byte ${line}: no hostname tag`);
    let host = 0;
    for (let i = hostAt + HOST_TAG.length; body[i]! >= 0x30 && body[i]! <= 0x39; i++) host = host * 10 + body[i]! - 0x30;
    let i = body.indexOf(SPACE, hostAt) + 1;
    const lastSpace = body.lastIndexOf(SPACE, end);
    // Seconds: the timestamp's digits but its last nine (nanoseconds).
    const seconds = Number(body.toString('latin1', lastSpace + 1, end - 9));
    const tick = (seconds - startS) / intervalS;
    if (!Number.isInteger(tick) || tick < 0 || tick >= ticks || host >= hosts) throw new Error(`line at byte ${line}: host ${host}, time ${seconds} s outside the dataset`);
    for (let f = 0; f < CPU_METRICS.length; f++) {
      const valueAt = body.indexOf(EQUALS, i) + 1;
      let valueEnd = valueAt;
      while (body[valueEnd] !== COMMA && valueEnd < lastSpace) valueEnd++;
      const text = body.toString('latin1', valueAt, body[valueEnd - 1] === 0x69 /* i */ ? valueEnd - 1 : valueEnd);
      values[f]![tick * hosts + host] = Number(text);
      i = valueEnd + 1;
    }
    line = end + 1;
  }
  return { hosts, ticks, startS, intervalS, values };
}

/** One series of a range query's answer: its labels and its points `[unix seconds, value]`. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, number]>;
}

/**
 * The times of a range query's points. VictoriaMetrics (`promql.AdjustStartEnd`, so that it may
 * cache results) rounds `start` down and `end` up to multiples of `step` when the query has at
 * least 50 points, then drops points from the end until there are no more than asked for.
 */
export function vmPointTimes(q: Pick<VmRangeQuery, 'startS' | 'endS' | 'stepS'>): number[] {
  const points = Math.floor((q.endS - q.startS) / q.stepS) + 1;
  let start = q.startS;
  let end = q.endS;
  if (points >= 50) {
    start -= start % q.stepS;
    if (end % q.stepS > 0) end += q.stepS - (end % q.stepS);
    while (Math.floor((end - start) / q.stepS) + 1 > points) end -= q.stepS;
  }
  const times: number[] = [];
  for (let t = start; t <= end; t += q.stepS) times.push(t);
  return times;
}

/**
 * The answer to `q` from the data: per selected series (metric × host), the rollup over each
 * point's window (no point where the window holds no sample), then the aggregation across series
 * with the same `by` labels. Series and points in no particular order.
 */
export function vmReferenceAnswer(q: VmRangeQuery, data: TsbsCpuValues): RangeSeries[] {
  const hosts = q.hosts === undefined ? Array.from({ length: data.hosts }, (_, h) => h) : q.hosts.map((h) => Number(h.slice('host_'.length)));
  const groups = new Map<string, { metric: Record<string, string>; points: Map<number, number[]> }>();
  for (const name of q.metrics) {
    const column = data.values[CPU_METRICS.indexOf(name as (typeof CPU_METRICS)[number])]!;
    for (const host of hosts) {
      const labels: Record<string, string> = {};
      for (const label of q.by) labels[label] = label === '__name__' ? `cpu_${name}` : `host_${host}`;
      const key = JSON.stringify(labels);
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { metric: labels, points: new Map() }));
      for (const t of vmPointTimes(q)) {
        // Ticks with time in (t − window, t].
        const first = Math.max(0, Math.floor((t - q.windowS - data.startS) / data.intervalS) + 1);
        const last = Math.min(data.ticks - 1, Math.floor((t - data.startS) / data.intervalS));
        let n = 0;
        let sum = 0;
        let max = Number.NEGATIVE_INFINITY;
        for (let tick = first; tick <= last; tick++) {
          const v = column[tick * data.hosts + host]!;
          if (Number.isNaN(v)) continue;
          n++;
          sum += v;
          if (v > max) max = v;
        }
        if (n === 0) continue;
        const rolled = q.rollup === 'max' ? max : sum / n;
        let list = group.points.get(t);
        if (list === undefined) group.points.set(t, (list = []));
        list.push(rolled);
      }
    }
  }
  const out: RangeSeries[] = [];
  for (const { metric, points } of groups.values()) {
    const values: Array<[number, number]> = [];
    for (const [t, list] of points) values.push([t, q.aggregate === 'max' ? Math.max(...list) : list.reduce((a, b) => a + b, 0) / list.length]);
    if (values.length > 0) out.push({ metric, values });
  }
  return out;
}

/**
 * The differences between VictoriaMetrics' answer (its `data.result`) and the reference, as
 * readable lines (at most `max`): series present on one side only, points at different times,
 * values beyond a 1e-9 relative tolerance. A series is known by all its labels.
 */
export function diffRangeAnswers(actual: RangeSeries[], expected: RangeSeries[], max = 8): string[] {
  const out: string[] = [];
  const keyOf = (metric: Record<string, string>): string => JSON.stringify(Object.keys(metric).sort().map((k) => [k, metric[k]]));
  const index = (list: RangeSeries[]): Map<string, Map<number, number>> => new Map(list.map((s) => [keyOf(s.metric), new Map(s.values)]));
  const a = index(actual);
  const e = index(expected);
  for (const [key, points] of e) {
    if (out.length >= max) break;
    const got = a.get(key);
    if (got === undefined) {
      out.push(`series ${key}: missing (${points.size} points expected)`);
      continue;
    }
    for (const [t, v] of points) {
      const g = got.get(t);
      if (g === undefined) out.push(`series ${key} at ${t}: missing, ${v} expected`);
      else if (!(g === v || Math.abs(g - v) <= 1e-9 * Math.max(Math.abs(g), Math.abs(v)))) out.push(`series ${key} at ${t}: ${g} ≠ ${v} expected`);
      if (out.length >= max) break;
    }
    for (const t of got.keys()) if (!points.has(t) && out.length < max) out.push(`series ${key} at ${t}: ${got.get(t)} not expected`);
  }
  for (const key of a.keys()) if (!e.has(key) && out.length < max) out.push(`series ${key}: not expected`);
  return out;
}
