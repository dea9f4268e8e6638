/**
 * `npm run bench -- influxql`: the TSBS devops query types in InfluxQL (through `runInfluxQL`, as
 * `/query` runs them) beside the same question in SQL (through the engine, as `/api/v3/query_sql`
 * runs it), over TSBS cpu-only data in the buffer and then in Parquet: what translating InfluxQL
 * costs. Queries pick their host and window from a fixed seed, the same for both languages.
 */
import type { Bench, BenchResult } from './harness.js';
import { percentile, withBenchDatabase } from './harness.js';
import { splitLines, tsbsCpuLines } from './tsbs.js';
import type { SluiceDatabase } from '../src/database/database.js';
import { SeededRng } from '../src/effects/rng.js';
import { databaseEnvironment, runInfluxQL, type InfluxQLEnvironment } from '../src/influxql/executor.js';

/** Rows written: 1 000 hosts every 10 s, so 360 000 rows are one hour. */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_440_000);
const HOSTS = 1000;
const START_NS = 1_735_689_600_000_000_000n; // tsbsCpuLines' first timestamp
const TICK_NS = 10_000_000_000n;
const HOUR_NS = 3_600_000_000_000n;
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const DB = 'bench';

interface QueryPair {
  label: string;
  influxql: string;
  sql: string;
}

const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

/** The seven TSBS devops query types, each as InfluxQL and as SQL, for one random host and window. */
function queryPairs(rng: SeededRng, spanNs: bigint): QueryPair[] {
  const host = `host_${rng.nextInt(HOSTS)}`;
  const window = (hours: bigint): [string, string] => {
    const room = spanNs > hours * HOUR_NS ? spanNs - hours * HOUR_NS : 0n;
    const from = START_NS + (room === 0n ? 0n : BigInt(rng.nextInt(Number(room / TICK_NS))) * TICK_NS);
    return [iso(from), iso(from + hours * HOUR_NS)];
  };
  const five = ['usage_user', 'usage_system', 'usage_idle', 'usage_nice', 'usage_iowait'];
  const all = [...five, 'usage_irq', 'usage_softirq', 'usage_steal', 'usage_guest', 'usage_guest_nice'];
  const [a1, b1] = window(1n);
  const [a12, b12] = window(12n);
  const [a8, b8] = window(8n);
  const [ad, bd] = window(12n);
  const [ah, bh] = window(12n);
  const [, bl] = window(1n);
  return [
    {
      label: 'single-groupby-1-1-1',
      influxql: `SELECT max(usage_user) FROM cpu WHERE hostname = '${host}' AND time >= '${a1}' AND time < '${b1}' GROUP BY time(1m)`,
      sql: `SELECT date_trunc('minute', time) AS minute, max(usage_user) FROM cpu WHERE hostname = '${host}' AND time >= '${a1}' AND time < '${b1}' GROUP BY 1 ORDER BY 1`,
    },
    {
      label: 'single-groupby-5-1-12',
      influxql: `SELECT ${five.map((f) => `max(${f})`).join(', ')} FROM cpu WHERE hostname = '${host}' AND time >= '${a12}' AND time < '${b12}' GROUP BY time(1m)`,
      sql: `SELECT date_trunc('minute', time) AS minute, ${five.map((f) => `max(${f})`).join(', ')} FROM cpu WHERE hostname = '${host}' AND time >= '${a12}' AND time < '${b12}' GROUP BY 1 ORDER BY 1`,
    },
    {
      label: 'cpu-max-all-1',
      influxql: `SELECT ${all.map((f) => `max(${f})`).join(', ')} FROM cpu WHERE hostname = '${host}' AND time >= '${a8}' AND time < '${b8}' GROUP BY time(1h)`,
      sql: `SELECT date_trunc('hour', time) AS hour, ${all.map((f) => `max(${f})`).join(', ')} FROM cpu WHERE hostname = '${host}' AND time >= '${a8}' AND time < '${b8}' GROUP BY 1 ORDER BY 1`,
    },
    {
      label: 'double-groupby-1',
      influxql: `SELECT mean(usage_user) FROM cpu WHERE time >= '${ad}' AND time < '${bd}' GROUP BY time(1h), hostname`,
      sql: `SELECT hostname, date_trunc('hour', time) AS hour, avg(usage_user) FROM cpu WHERE time >= '${ad}' AND time < '${bd}' GROUP BY 1, 2 ORDER BY 1, 2`,
    },
    {
      label: 'lastpoint',
      influxql: 'SELECT last(*) FROM cpu GROUP BY hostname',
      sql: `SELECT hostname, max(time), ${all.map((f) => `arg_max(${f}, time)`).join(', ')} FROM cpu GROUP BY hostname ORDER BY hostname`,
    },
    {
      label: 'high-cpu-1',
      influxql: `SELECT * FROM cpu WHERE usage_user > 90.0 AND time >= '${ah}' AND time < '${bh}' AND hostname = '${host}'`,
      sql: `SELECT * FROM cpu WHERE usage_user > 90.0 AND time >= '${ah}' AND time < '${bh}' AND hostname = '${host}' ORDER BY time`,
    },
    {
      label: 'groupby-orderby-limit',
      influxql: `SELECT max(usage_user) FROM cpu WHERE time < '${bl}' GROUP BY time(1m) ORDER BY time DESC LIMIT 5`,
      sql: `SELECT date_trunc('minute', time) AS minute, max(usage_user) FROM cpu WHERE time < '${bl}' GROUP BY 1 ORDER BY 1 DESC LIMIT 5`,
    },
  ];
}

async function timeBoth(db: SluiceDatabase, env: InfluxQLEnvironment, where: string, spanNs: bigint): Promise<BenchResult[]> {
  const influxMs = new Map<string, number[]>();
  const sqlMs = new Map<string, number[]>();
  const rng = new SeededRng(7);
  for (let run = -1; run < RUNS; run++) {
    // One random host and window per run, the same for both languages; run -1 warms up.
    for (const pair of queryPairs(rng, BigInt(Math.ceil(ROWS / HOSTS)) * TICK_NS)) {
      let start = performance.now();
      let statements = 0;
      for await (const result of runInfluxQL(env, pair.influxql, { database: DB })) {
        if (result.error !== undefined) throw new Error(`${pair.label}: ${result.error}\n${pair.influxql}`);
        statements++;
      }
      if (statements !== 1) throw new Error(`${pair.label}: ${statements} results`);
      const influxql = performance.now() - start;
      start = performance.now();
      await db.query.query(DB, pair.sql);
      const sql = performance.now() - start;
      if (run < 0) continue;
      influxMs.set(pair.label, [...(influxMs.get(pair.label) ?? []), influxql]);
      sqlMs.set(pair.label, [...(sqlMs.get(pair.label) ?? []), sql]);
    }
  }
  const results: BenchResult[] = [];
  for (const [label, runs] of influxMs) {
    const sql = sqlMs.get(label)!;
    const overhead = percentile(runs, 50) / percentile(sql, 50) - 1;
    results.push({ name: `${label}, ${where}: InfluxQL p50 / p95`, value: percentile(runs, 50), unit: 'ms', note: `p95 ${percentile(runs, 95).toFixed(1)} ms` });
    results.push({ name: `${label}, ${where}: SQL p50 / p95`, value: percentile(sql, 50), unit: 'ms', note: `p95 ${percentile(sql, 95).toFixed(1)} ms; InfluxQL ${overhead >= 0 ? '+' : ''}${(overhead * 100).toFixed(0)} % at p50` });
  }
  return results;
}

const bench: Bench = {
  name: 'InfluxQL beside SQL (TSBS devops queries)',
  async run() {
    return withBenchDatabase('influxql', {}, async (db) => {
      const bodies = splitLines(tsbsCpuLines(ROWS, HOSTS, 'float'), 5000);
      for (let i = 0; i < bodies.length; i += 4) await Promise.all(bodies.slice(i, i + 4).map((b) => db.writer.writeLp(DB, b, { precision: 'ns', acceptPartial: false })));
      const env: InfluxQLEnvironment = databaseEnvironment(db);
      const spanNs = BigInt(Math.ceil(ROWS / HOSTS)) * TICK_NS;
      const buffered = await timeBoth(db, env, 'buffer', spanNs);
      await db.snapshotNow();
      const persisted = await timeBoth(db, env, 'Parquet', spanNs);
      return [...buffered, ...persisted];
    });
  },
};

export default bench;
