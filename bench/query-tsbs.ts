// `npm run bench:query [-- flags]`: the seven TSBS devops query types (bench/tsbs-queries.ts)
// against a real `sluice serve`, first with the TSBS cpu-only dataset in its buffer, then with all
// of it in Parquet (the newest rows held in memory), then after a restart (nothing held until the
// one-series reads have their files read back), and — with --peers — against InfluxDB 1.6 (the same InfluxQL) and
// VictoriaMetrics (TSBS's MetricsQL, where TSBS has one). One request at a time, each system alone
// on the machine; p50 and p95 per query type and system as a Markdown table; every answer
// compared: Sluice's buffer with its Parquet, Sluice with InfluxDB value by value, and
// VictoriaMetrics with the same question asked of the generated data (bench/tsbs-reference.ts).
// Exits non-zero when Sluice's answers differ from InfluxDB's or between buffer and Parquet.
//
// Flags: --lines 1000000 (env BENCH_QUERY_LINES; 1 000 hosts × lines/1 000 timestamps, 10 s apart)
//        --hosts 1000 (fewer hosts make a longer time range of the same size)
//        --runs 50 (queries of each type per system, measured after --warm-up 1000 others of the type,
//          unmeasured, from another seed; at most --warm-up-seconds 10 of them per type)
//        --max-seconds-per-type 120 (a system stops asking a type after this long, once it has
//          answered 5 of its queries; 0: no limit — a Sluice lastpoint over 1 M rows takes ~25 s)
//        --peers --seed 1 --fields int|float (TSBS writes its cpu fields as integers)
// Env: BENCH_JSON=<path> also writes the figures and the answer checks as JSON.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from './harness.js';
import { startSluiceServe, type SluiceServe } from './sluice-server.js';
import { TSBS_QUERY_TYPES, tsbsQueries, type TsbsQuery, type TsbsQueryType, type TsbsTimeRange } from './tsbs-queries.js';
import { diffRangeAnswers, readTsbsCpuValues, vmReferenceAnswer, type RangeSeries, type TsbsCpuValues } from './tsbs-reference.js';
import { splitLines, tsbsCpuLines } from './tsbs.js';
import { startVictoriaMetrics } from './victoriametrics.js';
import { SeededRng } from '../src/effects/rng.js';
import { diffJson, parseJsonExact, startInfluxDB1 } from '../test/support/influxdb1.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: process.env.BENCH_QUERY_LINES ?? '1000000' },
    runs: { type: 'string', default: '50' },
    'warm-up': { type: 'string', default: '1000' },
    'warm-up-seconds': { type: 'string', default: '10' },
    'max-seconds-per-type': { type: 'string', default: '120' },
    peers: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    hosts: { type: 'string', default: '1000' },
    fields: { type: 'string', default: 'int' },
  },
});
const LINES = Number(values.lines);
const RUNS = Number(values.runs);
const WARM_UP = Number(values['warm-up']);
const WARM_UP_MS = Number(values['warm-up-seconds']) * 1000;
const MAX_MS_PER_TYPE = Number(values['max-seconds-per-type']) * 1000 || Number.POSITIVE_INFINITY;
const MIN_RUNS = 5;
const SEED = Number(values.seed);
const FIELDS = values.fields === 'float' ? 'float' : 'int';
const HOSTS = Number(values.hosts);
const BATCH_LINES = 5000;
const WRITES_IN_FLIGHT = 4;
const START_S = 1_735_689_600; // tsbsCpuLines' first timestamp, 2025-01-01T00:00:00Z
const INTERVAL_S = 10;
const DB = 'bench';
if (!(HOSTS >= 1) || !(LINES >= HOSTS && LINES % HOSTS === 0) || !(RUNS >= 1)) throw new Error(`--lines must be a positive multiple of --hosts (${HOSTS}) and --runs at least 1`);
const TICKS = LINES / HOSTS;
const RANGE: TsbsTimeRange = { hosts: HOSTS, startNs: BigInt(START_S) * 1_000_000_000n, endNs: BigInt(START_S + TICKS * INTERVAL_S) * 1_000_000_000n };

/** The systems of the table, in its column order. */
const SYSTEMS = ['Sluice, buffer', 'Sluice, Parquet', 'Sluice, restarted', 'InfluxDB', 'VictoriaMetrics'] as const;
type SystemName = (typeof SYSTEMS)[number];

/** One answer as it came: the status and the body. */
interface Answer {
  status: number;
  text: string;
}

/** A system's runs of one query type: latencies and answers, in the order of the query list. */
interface Runs {
  ms: number[];
  answers: Answer[];
}

/** Processes and directories to remove, also on Ctrl-C. */
const cleanups = new Set<() => Promise<void>>();
async function cleanUp(): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    await c().catch((err: unknown) => console.error(`# cleanup failed: ${(err as Error).message}`));
    cleanups.delete(c);
  }
}
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

function say(line: string): void {
  console.log(`# ${line}`);
}

// ---- talking to the systems -------------------------------------------------------------------

/** An InfluxQL query as TSBS's influx runner sends it: POST /query?q=…&db=…, no body. */
async function askInfluxQL(url: string, influxql: string): Promise<Answer> {
  const res = await fetch(`${url}/query?q=${encodeURIComponent(influxql)}&db=${DB}`, { method: 'POST' });
  return { status: res.status, text: Buffer.from(await res.arrayBuffer()).toString('utf8') };
}

/** A range query as TSBS's victoriametrics runner sends it: GET /api/v1/query_range. */
async function askVictoriaMetrics(url: string, q: TsbsQuery): Promise<Answer> {
  const vm = q.victoriaMetrics!;
  const params = new URLSearchParams({ query: vm.query, start: String(vm.startS), end: String(vm.endS), step: String(vm.stepS) });
  const res = await fetch(`${url}/api/v1/query_range?${params}`);
  return { status: res.status, text: Buffer.from(await res.arrayBuffer()).toString('utf8') };
}

/** Writes every body to `url + path`, a few at a time; throws unless each answers 204. */
async function load(name: string, url: string, path: string, bodies: Buffer[]): Promise<void> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITES_IN_FLIGHT }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(`${url}${path}`, { method: 'POST', body });
        const text = await res.text();
        if (res.status !== 204) throw new Error(`${name}: write answered ${res.status}: ${text.slice(0, 500)}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  say(`${name}: loaded ${LINES.toLocaleString('en-US')} lines in ${seconds.toFixed(1)} s (${Math.round(LINES / seconds).toLocaleString('en-US')} lines/s)`);
}

/** Polls `check` every 250 ms until it returns true; throws with `what` after `timeoutMs`. */
async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Runs every query of every type that `ask` answers (undefined: the system has no such query),
 * one at a time: first up to --warm-up unmeasured queries of the type (`warmUps`, other hosts and windows than the measured ones), then the list — or its first
 * part, once the type has taken its time budget and at least {@link MIN_RUNS} queries ran. A
 * latency is from sending the request to having read the whole answer, as TSBS's runners
 * measure it.
 */
async function measure(system: SystemName, queries: Map<TsbsQueryType, TsbsQuery[]>, ask: (q: TsbsQuery) => Promise<Answer> | undefined, warmUps: Map<TsbsQueryType, TsbsQuery[]> = WARM_UPS): Promise<Map<TsbsQueryType, Runs>> {
  const out = new Map<TsbsQueryType, Runs>();
  for (const type of TSBS_QUERY_TYPES) {
    const list = queries.get(type)!;
    const warming = warmUps.get(type)!;
    const warmUp = ask(warming[0]!);
    if (warmUp === undefined) continue; // the system has no query of this type
    await warmUp;
    // Unmeasured queries first, as a server that has answered dashboards for a while has: a
    // JIT-compiled server's first thousand or so queries run slower while V8 compiles and
    // re-optimises the query path (Go and C++ peers have no such phase). The same queries for
    // every system, other hosts and windows than the measured ones (nothing they read is warmer
    // for the measured queries than for any other), at most WARM_UP_MS per type.
    const warmStart = performance.now();
    for (let i = 1; i < warming.length && performance.now() - warmStart < WARM_UP_MS; i++) await ask(warming[i]!);
    const runs: Runs = { ms: [], answers: [] };
    const typeStarted = performance.now();
    for (const q of list) {
      if (runs.ms.length >= MIN_RUNS && performance.now() - typeStarted > MAX_MS_PER_TYPE) break;
      const started = performance.now();
      const answer = await ask(q)!;
      runs.ms.push(performance.now() - started);
      runs.answers.push(answer);
    }
    const failed = runs.answers.filter((a) => a.status !== 200).length;
    say(`${system}: ${type} ${runs.ms.length} queries, p50 ${formatMs(percentile(runs.ms, 50))} ms, p95 ${formatMs(percentile(runs.ms, 95))} ms${failed > 0 ? `, ${failed} answers not 200: ${runs.answers.find((a) => a.status !== 200)!.text.slice(0, 300)}` : ''}`);
    out.set(type, runs);
  }
  return out;
}

// ---- the systems ------------------------------------------------------------------------------

/** Rows of table `cpu` in the buffer and in Parquet files, from `system.tables`. */
async function sluiceRows(server: SluiceServe): Promise<{ buffered: number; persisted: number }> {
  const sql = "SELECT buffered_rows, persisted_rows FROM system.tables WHERE table_name = 'cpu'";
  const res = await fetch(`${server.url}/api/v3/query_sql?db=${DB}&format=json&q=${encodeURIComponent(sql)}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`sluice: system.tables answered ${res.status}: ${text}`);
  const rows = JSON.parse(text) as Array<{ buffered_rows: number | null; persisted_rows: number | null }>;
  return { buffered: Number(rows[0]?.buffered_rows ?? 0), persisted: Number(rows[0]?.persisted_rows ?? 0) };
}

/**
 * Waits until the background compactor is done: no round running, and the number of Parquet
 * files of `cpu` and the compactions committed unchanged for 3 s.
 */
async function settledParquetFiles(server: SluiceServe): Promise<{ count: number; compactions: number; running: boolean }> {
  const read = async () => {
    const res = await fetch(`${server.url}/api/v3/query_sql?db=${DB}&format=json&q=${encodeURIComponent("SELECT count(*) AS n FROM system.parquet_files WHERE table_name = 'cpu'")}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`sluice: system.parquet_files answered ${res.status}: ${text}`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const compactions = Number(/^sluice_compactions_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    const running = /^sluice_compaction_running 1/m.test(metrics);
    return { count: Number((JSON.parse(text) as Array<{ n: number }>)[0]?.n ?? 0), compactions, running };
  };
  let last = await read();
  let stableSince = Date.now();
  await waitUntil('compaction to settle', 600_000, async () => {
    await new Promise((r) => setTimeout(r, 500));
    const now = await read();
    if (now.count !== last.count || now.compactions !== last.compactions || now.running) {
      last = now;
      stableSince = Date.now();
    }
    return Date.now() - stableSince >= 3_000;
  });
  return last;
}

/**
 * Sluice three times: with the dataset in the buffer; then — restarted with a buffer threshold of
 * one byte and sent one line to another database, so the server forces a snapshot of everything
 * buffered, as it does under memory pressure — with all of it in Parquet, the newest files' rows
 * still held in memory (`--parquet-mem-cache-size`), as they are after snapshots; then restarted
 * again, nothing held at the start: the first one-series reads scan Parquet and have their files
 * read back into memory in the background, so after the warm-up the measured ones find most of
 * them held ("restarted"). `system.tables` must show every row
 * where it is meant to be before the queries run.
 */
async function runSluice(bodies: Buffer[], queries: Map<TsbsQueryType, TsbsQuery[]>): Promise<Map<TsbsQueryType, Runs>[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-query-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  cleanups.add(removeDir);
  let server = await startSluiceServe(dir, []);
  cleanups.add(server.stop);
  const ask = (q: TsbsQuery) => askInfluxQL(server.url, q.influxql);
  try {
    await load('Sluice', server.url, `/write?db=${DB}&precision=ns`, bodies);
    const before = await sluiceRows(server);
    if (before.buffered !== LINES || before.persisted !== 0) throw new Error(`sluice: expected ${LINES} rows in the buffer and none in Parquet, found ${JSON.stringify(before)}`);
    const buffered = await measure('Sluice, buffer', queries, ask);

    await server.stop();
    cleanups.delete(server.stop);
    server = await startSluiceServe(dir, ['--force-snapshot-mem-threshold', '1']);
    cleanups.add(server.stop);
    const started = performance.now();
    const trigger = await fetch(`${server.url}/write?db=${DB}_snapshot_trigger&precision=ns`, { method: 'POST', body: `snapshot_trigger value=1i ${RANGE.startNs}\n` });
    if (trigger.status !== 204) throw new Error(`sluice: the snapshot trigger write answered ${trigger.status}: ${await trigger.text()}`);
    let rows = { buffered: -1, persisted: -1 };
    await waitUntil(`every row in Parquet (system.tables: ${JSON.stringify(rows)})`, 300_000, async () => {
      rows = await sluiceRows(server);
      return rows.buffered === 0 && rows.persisted === LINES;
    });
    say(`Sluice: restarted and snapshotted ${LINES.toLocaleString('en-US')} rows to Parquet in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    // The background compactor merges the cold hours' files after the snapshot: measured as it leaves them.
    const compacting = performance.now();
    const files = await settledParquetFiles(server);
    say(`Sluice: ${files.count} Parquet files of cpu once compaction settled (${files.compactions} compactions, ${((performance.now() - compacting) / 1000).toFixed(1)} s)`);
    const persisted = await measure('Sluice, Parquet', queries, ask);

    await server.stop();
    cleanups.delete(server.stop);
    server = await startSluiceServe(dir, []);
    cleanups.add(server.stop);
    const restarted = await sluiceRows(server);
    if (restarted.buffered !== 0 || restarted.persisted !== LINES) throw new Error(`sluice: expected ${LINES} rows in Parquet after the restart, found ${JSON.stringify(restarted)}`);
    const cold = await measure('Sluice, restarted', queries, ask);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const filled = /^sluice_parquet_mem_cache_filled_total (\S+)$/m.exec(metrics)?.[1] ?? '?';
    const held = /^sluice_parquet_mem_cache_files (\S+)$/m.exec(metrics)?.[1] ?? '?';
    say(`Sluice, restarted: ${filled} Parquet files read back into memory by the one-series reads, ${held} held at the end`);
    return [buffered, persisted, cold];
  } finally {
    await server.stop();
    cleanups.delete(server.stop);
    await removeDir();
    cleanups.delete(removeDir);
  }
}

/** InfluxDB 1.6: the same line protocol through `/write`, the same InfluxQL on `/query`. */
async function runInfluxDB(bodies: Buffer[], queries: Map<TsbsQueryType, TsbsQuery[]>): Promise<{ runs: Map<TsbsQueryType, Runs>; version: string }> {
  const influx = await startInfluxDB1();
  cleanups.add(influx.stop);
  try {
    const created = await askInfluxQL(influx.url, `CREATE DATABASE ${DB}`);
    if (created.status !== 200) throw new Error(`influxdb: CREATE DATABASE answered ${created.status}: ${created.text}`);
    const ping = await fetch(`${influx.url}/ping`);
    await ping.arrayBuffer();
    const version = ping.headers.get('x-influxdb-version') ?? 'unknown';
    await load('InfluxDB', influx.url, `/write?db=${DB}&precision=ns`, bodies);
    const count = parseJsonExact((await askInfluxQL(influx.url, 'SELECT count(usage_user) FROM cpu')).text) as { results: Array<{ series?: Array<{ values: unknown[][] }> }> };
    const counted = Number(count.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
    if (counted !== LINES) throw new Error(`influxdb: counted ${counted} rows after loading ${LINES}`);
    return { runs: await measure('InfluxDB', queries, (q) => askInfluxQL(influx.url, q.influxql)), version };
  } finally {
    await influx.stop();
    cleanups.delete(influx.stop);
  }
}

/** VictoriaMetrics: the same line protocol through its InfluxDB `/write`, TSBS's MetricsQL. */
async function runVictoriaMetrics(bodies: Buffer[], queries: Map<TsbsQueryType, TsbsQuery[]>): Promise<{ runs: Map<TsbsQueryType, Runs>; version: string }> {
  const vm = await startVictoriaMetrics();
  cleanups.add(vm.stop);
  try {
    await load('VictoriaMetrics', vm.url, `/write?db=${DB}&precision=ns`, bodies);
    await vm.flush();
    // Every line is one sample of cpu_usage_user: count them at the end, over the whole dataset.
    const endS = START_S + TICKS * INTERVAL_S;
    const params = new URLSearchParams({ query: `sum(count_over_time(cpu_usage_user[${TICKS * INTERVAL_S + 60}s]))`, time: String(endS) });
    let counted = 0;
    await waitUntil(`VictoriaMetrics to count ${LINES} samples (counted ${counted})`, 120_000, async () => {
      const body = (await (await fetch(`${vm.url}/api/v1/query?${params}`)).json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      counted = Number(body.data?.result?.[0]?.value[1] ?? 0);
      return counted === LINES;
    });
    return { runs: await measure('VictoriaMetrics', queries, (q) => (q.victoriaMetrics === undefined ? undefined : askVictoriaMetrics(vm.url, q))), version: vm.version };
  } finally {
    await vm.stop();
    cleanups.delete(vm.stop);
  }
}

// ---- comparing answers ------------------------------------------------------------------------

/** How two systems' answers to the same queries compare: per query type, equal out of compared. */
interface Agreement {
  left: SystemName;
  right: SystemName | 'the data';
  byType: Map<TsbsQueryType, { equal: number; compared: number }>;
}

const MISMATCHES_SHOWN_PER_TYPE = 3;

function parseAnswer(answer: Answer): unknown {
  try {
    return parseJsonExact(answer.text);
  } catch {
    return answer.text; // not JSON: compared as text
  }
}

/** Compares two systems' InfluxQL answers query by query and prints the first differences of each type. */
function compareInfluxQL(left: SystemName, a: Map<TsbsQueryType, Runs>, right: SystemName, b: Map<TsbsQueryType, Runs>, queries: Map<TsbsQueryType, TsbsQuery[]>): Agreement {
  const agreement: Agreement = { left, right, byType: new Map() };
  for (const type of TSBS_QUERY_TYPES) {
    const ra = a.get(type);
    const rb = b.get(type);
    if (ra === undefined || rb === undefined) continue;
    let equal = 0;
    let shown = 0;
    const compared = Math.min(ra.answers.length, rb.answers.length); // the first queries, when a budget cut a list
    for (let i = 0; i < compared; i++) {
      const x = ra.answers[i]!;
      const y = rb.answers[i]!;
      const diff = x.status !== y.status ? [`status ${x.status} ≠ ${y.status}: ${x.text.slice(0, 300)} | ${y.text.slice(0, 300)}`] : diffJson(parseAnswer(x), parseAnswer(y));
      if (diff.length === 0) {
        equal++;
        continue;
      }
      if (shown++ < MISMATCHES_SHOWN_PER_TYPE) {
        console.log(`MISMATCH ${left} ≠ ${right}: ${type} #${i}: ${queries.get(type)![i]!.influxql}`);
        for (const line of diff) console.log(`    ${line}`);
      }
    }
    agreement.byType.set(type, { equal, compared });
  }
  return agreement;
}

/** Compares VictoriaMetrics' answers with the same range queries asked of the generated data. */
function compareWithData(runs: Map<TsbsQueryType, Runs>, queries: Map<TsbsQueryType, TsbsQuery[]>, data: TsbsCpuValues): Agreement {
  const agreement: Agreement = { left: 'VictoriaMetrics', right: 'the data', byType: new Map() };
  for (const [type, r] of runs) {
    let equal = 0;
    let shown = 0;
    for (let i = 0; i < r.answers.length; i++) {
      const q = queries.get(type)![i]!;
      const answer = r.answers[i]!;
      let diff: string[];
      if (answer.status !== 200) diff = [`status ${answer.status}: ${answer.text.slice(0, 300)}`];
      else {
        const body = JSON.parse(answer.text) as { data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
        const actual: RangeSeries[] = body.data.result.map((s) => ({ metric: s.metric, values: s.values.map(([t, v]) => [t, Number(v)]) }));
        diff = diffRangeAnswers(actual, vmReferenceAnswer(q.victoriaMetrics!, data));
      }
      if (diff.length === 0) {
        equal++;
        continue;
      }
      if (shown++ < MISMATCHES_SHOWN_PER_TYPE) {
        const vm = q.victoriaMetrics!;
        console.log(`MISMATCH VictoriaMetrics ≠ the data: ${type} #${i}: ${vm.query} start=${vm.startS} end=${vm.endS} step=${vm.stepS}`);
        for (const line of diff) console.log(`    ${line}`);
      }
    }
    agreement.byType.set(type, { equal, compared: r.answers.length });
  }
  return agreement;
}

/** Rows in an InfluxQL answer (values of every series of every statement). */
function influxqlRows(answer: Answer): number {
  const body = parseAnswer(answer) as { results?: Array<{ series?: Array<{ values?: unknown[] }> }> };
  let rows = 0;
  for (const result of body.results ?? []) for (const series of result.series ?? []) rows += series.values?.length ?? 0;
  return rows;
}

// ---- the run ----------------------------------------------------------------------------------

function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

const machine = `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`# sluice bench:query — ${machine}, load average ${loadAtStart}`);
const generated = performance.now();
const body = tsbsCpuLines(LINES, HOSTS, FIELDS);
const bodies = splitLines(body, BATCH_LINES);
say(`dataset: TSBS cpu-only, ${LINES.toLocaleString('en-US')} lines (${HOSTS} hosts × ${TICKS} timestamps ${INTERVAL_S} s apart from 2025-01-01T00:00:00Z, ${FIELDS} fields), ${(body.length / 1e6).toFixed(0)} MB, ${bodies.length} bodies of ${BATCH_LINES} lines, ${WRITES_IN_FLIGHT} in flight; generated in ${((performance.now() - generated) / 1000).toFixed(1)} s`);
const queries = tsbsQueries(new SeededRng(SEED), RANGE, RUNS);
/** The warm-up queries: the same types, from another seed. */
const WARM_UPS = tsbsQueries(new SeededRng(SEED + 1_000_003), RANGE, Math.max(1, WARM_UP));
const longWindows = TSBS_QUERY_TYPES.filter((t) => queries.get(t)!.some((q) => q.isWindowLongerThanData));
const budget = Number.isFinite(MAX_MS_PER_TYPE) ? `; fewer, but at least ${MIN_RUNS}, past ${MAX_MS_PER_TYPE / 1000} s per type and system` : '';
say(`queries: ${RUNS} per type (seed ${SEED}${budget}), one at a time after up to ${WARM_UP} unmeasured warm-up queries; ${longWindows.length > 0 ? `windows longer than the data, placed at random to cover all of it: ${longWindows.join(', ')}` : 'every window within the data'}`);

const results = new Map<SystemName, Map<TsbsQueryType, Runs>>();
const versions: Partial<Record<SystemName, string>> = {};
const agreements: Agreement[] = [];
try {
  const [buffered, persisted, cold] = await runSluice(bodies, queries);
  results.set('Sluice, buffer', buffered!);
  results.set('Sluice, Parquet', persisted!);
  results.set('Sluice, restarted', cold!);
  agreements.push(compareInfluxQL('Sluice, buffer', buffered!, 'Sluice, Parquet', persisted!, queries));
  agreements.push(compareInfluxQL('Sluice, buffer', buffered!, 'Sluice, restarted', cold!, queries));
  if (values.peers) {
    const influx = await runInfluxDB(bodies, queries);
    results.set('InfluxDB', influx.runs);
    versions.InfluxDB = influx.version;
    agreements.push(compareInfluxQL('Sluice, buffer', buffered!, 'InfluxDB', influx.runs, queries));
    agreements.push(compareInfluxQL('Sluice, Parquet', persisted!, 'InfluxDB', influx.runs, queries));
    const vm = await runVictoriaMetrics(bodies, queries);
    results.set('VictoriaMetrics', vm.runs);
    versions.VictoriaMetrics = vm.version;
    agreements.push(compareWithData(vm.runs, queries, readTsbsCpuValues(body, HOSTS, START_S, INTERVAL_S, TICKS)));
  }
} finally {
  await cleanUp();
}

const columns = SYSTEMS.filter((s) => results.has(s));
const title = (s: SystemName): string => (versions[s] === undefined ? s : `${s} ${versions[s]!.replace(/[~+].*$/, '')}`);
console.log('');
console.log(`p50 / p95 in ms, ${RUNS} queries of each type per system unless a count says fewer (the time budget), one at a time (n/a: TSBS has no such query for the system):`);
console.log('');
console.log(`| query | ${columns.map(title).join(' | ')} |`);
console.log(`| --- |${columns.map(() => ' ---: |').join('')}`);
for (const type of TSBS_QUERY_TYPES) {
  const cells = columns.map((s) => {
    const r = results.get(s)!.get(type);
    return r === undefined ? 'n/a' : `${formatMs(percentile(r.ms, 50))} / ${formatMs(percentile(r.ms, 95))}${r.ms.length < RUNS ? ` (${r.ms.length})` : ''}`;
  });
  console.log(`| ${type} | ${cells.join(' | ')} |`);
}
console.log('');
console.log('Answers: equal / compared, query by query (InfluxQL answers value by value, floats within 1e-9 relative):');
console.log('');
console.log(`| query | distinct queries | rows per Sluice answer (median) | ${agreements.map((a) => `${a.left} = ${a.right}`).join(' | ')} |`);
console.log(`| --- | ---: | ---: |${agreements.map(() => ' ---: |').join('')}`);
for (const type of TSBS_QUERY_TYPES) {
  const rows = percentile(results.get('Sluice, buffer')!.get(type)!.answers.map(influxqlRows), 50);
  const cells = agreements.map((a) => {
    const c = a.byType.get(type);
    return c === undefined ? 'n/a' : `${c.equal} / ${c.compared}`;
  });
  const distinct = new Set(queries.get(type)!.map((q) => q.influxql)).size;
  console.log(`| ${type} | ${distinct} | ${rows} | ${cells.join(' | ')} |`);
}
const loadAtEnd = loadavg().map((l) => l.toFixed(2)).join(' ');
console.log('');
say(`load average at the end ${loadAtEnd}`);

const sluiceDisagrees = agreements.filter((a) => a.left.startsWith('Sluice') && [...a.byType.values()].some((c) => c.equal !== c.compared));
if (sluiceDisagrees.length > 0) {
  console.log(`FAILED: Sluice's answers differ (${sluiceDisagrees.map((a) => `${a.left} ≠ ${a.right}`).join(', ')}); see the MISMATCH lines above`);
  process.exitCode = 1;
}

if (process.env.BENCH_JSON) {
  const figures = [];
  for (const [system, byType] of results) for (const [type, r] of byType) figures.push({ query: type, system, version: versions[system] ?? null, p50Ms: percentile(r.ms, 50), p95Ms: percentile(r.ms, 95), runs: r.ms.length });
  const answers = agreements.flatMap((a) => [...a.byType].map(([type, c]) => ({ query: type, left: a.left, right: a.right, ...c })));
  await writeFile(process.env.BENCH_JSON, JSON.stringify({ machine, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadAtEnd, lines: LINES, hosts: HOSTS, fields: FIELDS, runs: RUNS, maxSecondsPerType: values['max-seconds-per-type'], seed: SEED, figures, answers }, null, 2));
}
