/**
 * The seven TSBS devops query types, written as TSBS's query generators write them
 * (github.com/timescale/tsbs, `cmd/tsbs_generate_queries/uses/devops` with the `influx` and
 * `victoriametrics` generators): the InfluxQL text InfluxDB and Sluice are asked, and the
 * MetricsQL range query VictoriaMetrics is asked where TSBS has one. Hosts and windows come from
 * a seeded generator, drawn within the dataset's time range as TSBS draws them.
 */
import type { Rng } from '../src/effects/rng.js';

/** The query types, by TSBS's labels, in the order the bench runs them. */
export const TSBS_QUERY_TYPES = ['single-groupby-1-1-1', 'single-groupby-5-1-12', 'cpu-max-all-1', 'double-groupby-1', 'lastpoint', 'high-cpu-1', 'groupby-orderby-limit'] as const;

/** One TSBS devops query type's label. */
export type TsbsQueryType = (typeof TSBS_QUERY_TYPES)[number];

/** TSBS's cpu metrics (`devops.cpuMetrics`), in its order: a query on N metrics takes the first N. */
export const CPU_METRICS = ['usage_user', 'usage_system', 'usage_idle', 'usage_nice', 'usage_iowait', 'usage_irq', 'usage_softirq', 'usage_steal', 'usage_guest', 'usage_guest_nice'] as const;

/** The dataset the queries are drawn for: hosts `host_0` … `host_{hosts-1}`, points in [startNs, endNs). */
export interface TsbsTimeRange {
  hosts: number;
  startNs: bigint;
  /** Exclusive: the last timestamp plus the interval, as TSBS's `--timestamp-end`. */
  endNs: bigint;
}

/**
 * What a VictoriaMetrics range query asks, as plain data: TSBS's generator writes it as
 * `aggregate(rollup_over_time(selector[window])) by (labels)`, and the bench checks VictoriaMetrics'
 * answer against the same question asked of the generated data.
 */
export interface VmRangeQuery {
  /** The MetricsQL text, as TSBS writes it. */
  query: string;
  /** Unix seconds, as TSBS sends them (`start`, `end`, `step`). */
  startS: number;
  endS: number;
  stepS: number;
  /** The metrics (without the `cpu_` prefix) and hosts (`undefined`: every host) selected. */
  metrics: readonly string[];
  hosts: readonly string[] | undefined;
  /** The rollup function over the window (`max_over_time`, `avg_over_time`) and its length. */
  rollup: 'max' | 'avg';
  windowS: number;
  /** The aggregation over series and the labels it keeps. */
  aggregate: 'max' | 'avg';
  by: ReadonlyArray<'__name__' | 'hostname'>;
}

/** One query of one type: the same question for every system. */
export interface TsbsQuery {
  type: TsbsQueryType;
  /** InfluxQL, as TSBS's influx generator writes it (sent to `/query?db=…&q=…`). */
  influxql: string;
  /** The VictoriaMetrics query, or undefined where TSBS's generator has none (it panics). */
  victoriaMetrics: VmRangeQuery | undefined;
  /**
   * True when the type's window (TSBS: 12 h for single-groupby-5-1-12, double-groupby and
   * high-cpu, 8 h for cpu-max-all) is at least as long as the dataset: TSBS would refuse to
   * generate it; here it starts at random where it still covers all of the data.
   */
  isWindowLongerThanData: boolean;
}

const SECOND_NS = 1_000_000_000n;
const HOUR_S = 3600;

/** TSBS's window lengths by query type (`devops.*Duration`, the single-groupby hours). */
const WINDOW_S: Record<TsbsQueryType, number> = {
  'single-groupby-1-1-1': 1 * HOUR_S,
  'single-groupby-5-1-12': 12 * HOUR_S,
  'cpu-max-all-1': 8 * HOUR_S, // devops.MaxAllDuration
  'double-groupby-1': 12 * HOUR_S, // devops.DoubleGroupByDuration
  lastpoint: 0,
  'high-cpu-1': 12 * HOUR_S, // devops.HighCPUDuration
  'groupby-orderby-limit': 1 * HOUR_S,
};

interface Window {
  startS: number;
  endS: number;
  isLongerThanData: boolean;
}

/**
 * TSBS's `TimeInterval.RandWindow`: a window of `lengthS` starting uniformly in
 * [start, end − length), at whole seconds (TSBS formats its times in RFC 3339 without fractions).
 * A window at least as long as the data (TSBS refuses those) starts uniformly in
 * [end − length, start]: it covers all of the data, and repeated queries still differ.
 */
function randomWindow(rng: Rng, range: TsbsTimeRange, lengthS: number): Window {
  const lowerS = Number(range.startNs / SECOND_NS);
  const upperS = Number(range.endNs / SECOND_NS) - lengthS;
  if (upperS <= lowerS) {
    const startS = upperS + rng.nextInt(lowerS - upperS + 1);
    return { startS, endS: startS + lengthS, isLongerThanData: true };
  }
  const startS = lowerS + rng.nextInt(upperS - lowerS);
  return { startS, endS: startS + lengthS, isLongerThanData: false };
}

/** A random host, as TSBS's `getRandomHosts(1, scale)`. */
function randomHost(rng: Rng, range: TsbsTimeRange): string {
  return `host_${rng.nextInt(range.hosts)}`;
}

/** Go's `time.RFC3339` for a UTC time at whole seconds: `2025-01-01T00:00:00Z`. */
function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** The influx generator's host clause: `(hostname = 'host_1' or hostname = 'host_2')`. */
function influxHostWhere(hosts: readonly string[]): string {
  return `(${hosts.map((h) => `hostname = '${h}'`).join(' or ')})`;
}

/** The victoriametrics generator's `getSelectClause`. */
function vmSelector(metrics: readonly string[], hosts: readonly string[] | undefined): string {
  const hostClause = hosts === undefined || hosts.length === 0 ? '' : hosts.length === 1 ? `hostname='${hosts[0]}'` : `hostname=~'${hosts.join('|')}'`;
  if (metrics.length === 1) return `cpu_${metrics[0]}{${hostClause}}`;
  const names = metrics.join('|');
  return hostClause === '' ? `{__name__=~'cpu_(${names})'}` : `{__name__=~'cpu_(${names})', ${hostClause}}`;
}

/** Draws one query of `type` from `rng` (in TSBS's order of draws: the window, then the hosts). */
export function tsbsQuery(type: TsbsQueryType, rng: Rng, range: TsbsTimeRange): TsbsQuery {
  switch (type) {
    case 'single-groupby-1-1-1':
    case 'single-groupby-5-1-12': {
      const metrics = CPU_METRICS.slice(0, type === 'single-groupby-1-1-1' ? 1 : 5);
      const w = randomWindow(rng, range, WINDOW_S[type]);
      const hosts = [randomHost(rng, range)];
      return {
        type,
        influxql: `SELECT ${metrics.map((m) => `max(${m})`).join(', ')} from cpu where ${influxHostWhere(hosts)} and time >= '${rfc3339(w.startS)}' and time < '${rfc3339(w.endS)}' group by time(1m)`,
        victoriaMetrics: { query: `max(max_over_time(${vmSelector(metrics, hosts)}[1m])) by (__name__)`, startS: w.startS, endS: w.endS, stepS: 60, metrics, hosts, rollup: 'max', windowS: 60, aggregate: 'max', by: ['__name__'] },
        isWindowLongerThanData: w.isLongerThanData,
      };
    }
    case 'cpu-max-all-1': {
      const w = randomWindow(rng, range, WINDOW_S[type]);
      const hosts = [randomHost(rng, range)];
      return {
        type,
        influxql: `SELECT ${CPU_METRICS.map((m) => `max(${m})`).join(',')} from cpu where ${influxHostWhere(hosts)} and time >= '${rfc3339(w.startS)}' and time < '${rfc3339(w.endS)}' group by time(1h)`,
        victoriaMetrics: { query: `max(max_over_time(${vmSelector(CPU_METRICS, hosts)}[1h])) by (__name__)`, startS: w.startS, endS: w.endS, stepS: HOUR_S, metrics: CPU_METRICS, hosts, rollup: 'max', windowS: HOUR_S, aggregate: 'max', by: ['__name__'] },
        isWindowLongerThanData: w.isLongerThanData,
      };
    }
    case 'double-groupby-1': {
      const metrics = CPU_METRICS.slice(0, 1);
      const w = randomWindow(rng, range, WINDOW_S[type]);
      return {
        type,
        influxql: `SELECT ${metrics.map((m) => `mean(${m})`).join(', ')} from cpu where time >= '${rfc3339(w.startS)}' and time < '${rfc3339(w.endS)}' group by time(1h),hostname`,
        victoriaMetrics: { query: `avg(avg_over_time(${vmSelector(metrics, undefined)}[1h])) by (__name__, hostname)`, startS: w.startS, endS: w.endS, stepS: HOUR_S, metrics, hosts: undefined, rollup: 'avg', windowS: HOUR_S, aggregate: 'avg', by: ['__name__', 'hostname'] },
        isWindowLongerThanData: w.isLongerThanData,
      };
    }
    case 'lastpoint':
      return { type, influxql: 'SELECT * from cpu group by "hostname" order by time desc limit 1', victoriaMetrics: undefined, isWindowLongerThanData: false };
    case 'high-cpu-1': {
      const w = randomWindow(rng, range, WINDOW_S[type]);
      const hosts = [randomHost(rng, range)];
      return {
        type,
        influxql: `SELECT * from cpu where usage_user > 90.0 and ${influxHostWhere(hosts)} and time >= '${rfc3339(w.startS)}' and time < '${rfc3339(w.endS)}'`,
        victoriaMetrics: undefined,
        isWindowLongerThanData: w.isLongerThanData,
      };
    }
    case 'groupby-orderby-limit': {
      // TSBS draws a 1 h window and uses only its end.
      const w = randomWindow(rng, range, WINDOW_S[type]);
      return { type, influxql: `SELECT max(usage_user) from cpu WHERE time < '${rfc3339(w.endS)}' group by time(1m) limit 5`, victoriaMetrics: undefined, isWindowLongerThanData: w.isLongerThanData };
    }
  }
}

/**
 * `runs` queries of every type, drawn from `rng` type after type: the list every system is
 * asked, in the same order, so their answers can be compared query by query.
 */
export function tsbsQueries(rng: Rng, range: TsbsTimeRange, runs: number): Map<TsbsQueryType, TsbsQuery[]> {
  const out = new Map<TsbsQueryType, TsbsQuery[]>();
  for (const type of TSBS_QUERY_TYPES) {
    const list: TsbsQuery[] = [];
    for (let i = 0; i < runs; i++) list.push(tsbsQuery(type, rng, range));
    out.set(type, list);
  }
  return out;
}
