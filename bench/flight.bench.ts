/**
 * Flight against `/api/v3/query_sql` on a large scan: `SELECT * FROM cpu` over BENCH_SCAN_ROWS
 * (default 10 000 000) TSBS cpu-only rows (1 000 hosts, 10 tags, 10 int64 fields, 10 s interval)
 * written through the normal write path (`writeLp`, 5 000-line bodies, 4 at a time, one write
 * worker), read out of an in-process `SluiceServer` on a loopback port:
 *
 * - Flight `DoGet` with InfluxDB 3's JSON ticket, by a raw `@grpc/grpc-js` client with passthrough
 *   serializers (bytes and FlightData messages counted; rows from each batch's header), and once
 *   more decoded by apache-arrow (rows counted by the reader, checked against the table's count);
 * - `query_sql` with `format=json`, `csv` and `jsonl`, each read as a stream and counted.
 *
 * Twice: with the rows in the buffer, then after one snapshot to Parquet (BENCH_SCAN_PARQUET=0
 * skips it). The clients run in a worker thread (`scan-client.ts`), so the server's event loop is
 * its own; the process's RSS (server + client worker) is sampled every 50 ms during each scan.
 * BENCH_SCAN_RUNS (default 1) repeats each scan; the median is reported. BENCH_SCAN_COLUMNS
 * (default `*`) sets the select list, e.g. `time,usage_user,usage_system` to leave the tags out;
 * BENCH_SCAN_PATHS (comma-separated: flight, flight-arrow, json, csv, jsonl; default all) picks
 * the scans.
 */
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { snapshotAll, withBenchDatabase, type Bench, type BenchResult } from './harness.js';
import type { ClientReply, ClientRequest, ScanJob, ScanResult } from './scan-client.js';
import type { SluiceDatabase } from '../src/database/database.js';
import { SluiceServer } from '../src/server/http.js';

const ROWS = Number(process.env.BENCH_SCAN_ROWS ?? 10_000_000);
const RUNS = Number(process.env.BENCH_SCAN_RUNS ?? 1);
const PARQUET = process.env.BENCH_SCAN_PARQUET !== '0';
const HOSTS = 1000;
const BATCH_LINES = 5_000;
const IN_FLIGHT = 4;
const DB = 'bench';
const COLUMNS = process.env.BENCH_SCAN_COLUMNS ?? '*';
const SCAN_SQL = `SELECT ${COLUMNS} FROM cpu`;
const WARM_SQL = `${SCAN_SQL} LIMIT 20000`;
/** The paths to measure (BENCH_SCAN_PATHS, comma-separated: flight, flight-arrow, json, csv, jsonl; default all). */
const PATHS = process.env.BENCH_SCAN_PATHS?.split(',').map((s) => s.trim());
/** Added to the figures' names when the select list is not the default. */
const WHERE_SUFFIX = COLUMNS === '*' ? '' : ` (SELECT ${COLUMNS})`;
const START_NS = 1_735_689_600_000_000_000n; // 2025-01-01, as tsbsCpuLines
const TICK_NS = 10_000_000_000n;

if (!Number.isSafeInteger(ROWS) || ROWS < 1) throw new Error(`BENCH_SCAN_ROWS must be a positive integer, got ${process.env.BENCH_SCAN_ROWS}`);
if (!Number.isSafeInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_SCAN_RUNS must be a positive integer, got ${process.env.BENCH_SCAN_RUNS}`);

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number): string => (bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1);
const log = (text: string): void => void process.stderr.write(`  [flight] ${text}\n`);

// ---- data -----------------------------------------------------------------------------------------

/** TSBS cpu-only series keys (as tsbsCpuLines writes them), one per host. */
function hostPrefixes(): string[] {
  const regions = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'];
  const out: string[] = [];
  for (let h = 0; h < HOSTS; h++) {
    const region = regions[h % regions.length]!;
    out.push(
      `cpu,hostname=host_${h},region=${region},datacenter=${region}${'abc'[h % 3]},rack=${h % 100},os=Ubuntu${h % 2 ? '16.04LTS' : '15.10'},arch=${h % 3 ? 'x64' : 'x86'},team=${['SF', 'NYC', 'LON', 'CHI'][h % 4]},service=${h % 20},service_version=${h % 2},service_environment=${['production', 'staging', 'test'][h % 3]} `,
    );
  }
  return out;
}

const FIELDS = ['usage_user', 'usage_system', 'usage_idle', 'usage_nice', 'usage_iowait', 'usage_irq', 'usage_softirq', 'usage_steal', 'usage_guest', 'usage_guest_nice'];

/** Distinct field sets (`usage_user=..i,…,usage_guest_nice=..i`, values 0–99) rows pick from at random. */
const FIELD_SETS = 8192;

/**
 * Rows [first, first + count) of the data set as line protocol: row i is host i % 1 000 at tick
 * i / 1 000, its fields one of FIELD_SETS random sets (made once: generating the text must not
 * be what limits the load).
 */
function linesOf(prefixes: readonly string[], fieldSets: readonly string[], first: number, count: number, random: () => number): Buffer {
  const parts: string[] = [];
  let tick = -1;
  let time = '';
  for (let i = first; i < first + count; i++) {
    const t = Math.floor(i / HOSTS);
    if (t !== tick) {
      tick = t;
      time = ` ${START_NS + BigInt(t) * TICK_NS}\n`;
    }
    parts.push(prefixes[i % HOSTS]! + fieldSets[Math.floor(random() * FIELD_SETS)]! + time);
  }
  return Buffer.from(parts.join(''));
}

/** Writes ROWS rows through `writeLp`; returns the line-protocol bytes and the time taken. */
async function load(db: SluiceDatabase): Promise<{ bytes: number; ms: number }> {
  const prefixes = hostPrefixes();
  let seed = 1;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 0x1_0000_0000;
  };
  const fieldSets: string[] = [];
  for (let k = 0; k < FIELD_SETS; k++) fieldSets.push(FIELDS.map((f) => `${f}=${Math.floor(random() * 100)}i`).join(','));
  const started = performance.now();
  let bytes = 0;
  let next = 0;
  let lastLog = started;
  const inFlight = new Set<Promise<void>>();
  while (next < ROWS) {
    const count = Math.min(BATCH_LINES, ROWS - next);
    const body = linesOf(prefixes, fieldSets, next, count, random);
    next += count;
    bytes += body.length;
    const write: Promise<void> = db.writer.writeLp(DB, body, { precision: 'ns', acceptPartial: false }).then(() => void inFlight.delete(write));
    inFlight.add(write);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`written ${int(next)} of ${int(ROWS)} rows`);
    }
  }
  await Promise.all(inFlight);
  return { bytes, ms: performance.now() - started };
}

// ---- the client worker ------------------------------------------------------------------------------

class ScanClient {
  private readonly worker = new Worker(new URL('./scan-client.js', import.meta.url));
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: ScanResult) => void; reject: (e: Error) => void }>();

  constructor() {
    this.worker.on('message', (reply: ClientReply) => {
      const w = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if ('error' in reply) w?.reject(new Error(reply.error));
      else w?.resolve(reply.result);
    });
    this.worker.on('error', (err) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  run(job: ScanJob): Promise<ScanResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, job } satisfies ClientRequest);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

// ---- scans -------------------------------------------------------------------------------------------

interface Measured extends ScanResult {
  /** Peak process RSS during the scan less the RSS just before it. */
  rssGrowth: number;
  /** CPU time of the whole process (server, client worker, engine threads) during the scan. */
  cpuMs: number;
}

/** Runs one scan while sampling the process's RSS every 50 ms. */
async function measured(client: ScanClient, job: ScanJob): Promise<Measured> {
  const base = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  let peak = base;
  const sample = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const result = await client.run(job);
    peak = Math.max(peak, process.memoryUsage().rss);
    const used = process.cpuUsage(cpu);
    return { ...result, rssGrowth: peak - base, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    clearInterval(sample);
  }
}

interface Path {
  key: string;
  label: string;
  job: (sql: string) => ScanJob;
}

async function scanAll(client: ScanClient, db: SluiceDatabase, port: number, where: string): Promise<BenchResult[]> {
  const counted = await db.query.query(DB, 'SELECT count(*) FROM cpu');
  const tableRows = Number(counted.rows[0]?.[0]);
  if (tableRows !== ROWS) throw new Error(`${where}: the table holds ${tableRows} rows, expected ${ROWS}`);

  const all: Path[] = [
    { key: 'flight', label: 'Flight DoGet (raw grpc-js, bytes counted)', job: (sql) => ({ kind: 'flight', port, database: DB, sql, decode: false }) },
    { key: 'flight-arrow', label: 'Flight DoGet + apache-arrow decode', job: (sql) => ({ kind: 'flight', port, database: DB, sql, decode: true }) },
    { key: 'json', label: 'query_sql format=json', job: (sql) => ({ kind: 'http', port, database: DB, sql, format: 'json' }) },
    { key: 'csv', label: 'query_sql format=csv', job: (sql) => ({ kind: 'http', port, database: DB, sql, format: 'csv' }) },
    { key: 'jsonl', label: 'query_sql format=jsonl', job: (sql) => ({ kind: 'http', port, database: DB, sql, format: 'jsonl' }) },
  ];
  const unknown = PATHS?.filter((k) => !all.some((p) => p.key === k)) ?? [];
  if (unknown.length > 0) throw new Error(`BENCH_SCAN_PATHS: unknown ${unknown.join(', ')} (known: ${all.map((p) => p.key).join(', ')})`);
  const paths = all.filter((p) => PATHS === undefined || PATHS.includes(p.key));
  // Warm every path (code, connections, views) on a small answer first.
  for (const p of paths) await client.run(p.job(WARM_SQL));

  const results: BenchResult[] = [];
  const rowsPerSec: Record<string, number> = {};
  let flightRss = 0;
  for (const p of paths) {
    const runs: Measured[] = [];
    log(`${where}, ${p.label}: ${SCAN_SQL} …`);
    for (let r = 0; r < RUNS; r++) {
      const m = await measured(client, p.job(SCAN_SQL));
      if (m.rows !== tableRows) throw new Error(`${where}: ${p.label} counted ${m.rows} rows, the table holds ${tableRows}`);
      log(`${where}, ${p.label}: ${int(m.rows)} rows, ${mb(m.bytes)} MB in ${(m.ms / 1000).toFixed(2)} s = ${int((m.rows * 1000) / m.ms)} rows/s, ${((m.bytes / 1e6) * 1000 / m.ms).toFixed(1)} MB/s; first byte ${m.firstByteMs.toFixed(0)} ms; peak RSS +${mb(m.rssGrowth)} MB; process CPU ${(m.cpuMs / m.ms * 100).toFixed(0)} % of one core; machine load ${loadavg()[0]!.toFixed(2)}`);
      runs.push(m);
    }
    const sorted = [...runs].sort((a, b) => a.ms - b.ms);
    const m = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const rate = (m.rows * 1000) / m.ms;
    rowsPerSec[p.key] = rate;
    const rss = Math.max(...runs.map((x) => x.rssGrowth));
    if (p.key === 'flight') flightRss = rss;
    const unitOf = p.key.startsWith('flight') ? 'FlightData messages' : 'body chunks';
    const extra = p.key === 'flight-arrow' ? `; decoded ${int(m.rows)} rows = the table's count(*), columns: ${m.columns?.length}` : '';
    results.push({
      name: `${p.label}, ${where}`,
      value: rate,
      unit: 'rows/s',
      note: `${((m.bytes / 1e6) * 1000 / m.ms).toFixed(1)} MB/s; ${mb(m.bytes)} MB (${(m.bytes / m.rows).toFixed(1)} B/row) in ${int(m.messages)} ${unitOf}, ${(m.ms / 1000).toFixed(2)} s, first byte ${m.firstByteMs.toFixed(0)} ms; process CPU ${((m.cpuMs / m.ms) * 100).toFixed(0)} % of a core; peak RSS +${mb(rss)} MB${RUNS > 1 ? `; median of ${RUNS}` : ''}${extra}`,
    });
  }
  const ratio = (a: string, b: string): string => (rowsPerSec[a] === undefined || rowsPerSec[b] === undefined ? 'n/a' : `${(rowsPerSec[a] / rowsPerSec[b]).toFixed(2)}×`);
  if (rowsPerSec.flight !== undefined && rowsPerSec.json !== undefined) {
    results.push({ name: `Flight ÷ JSON rows/s, ${where}`, value: rowsPerSec.flight / rowsPerSec.json, unit: '×', note: `target ≥ 5×; with apache-arrow decoding in the client ${ratio('flight-arrow', 'json')}; Flight ÷ CSV ${ratio('flight', 'csv')}, ÷ JSONL ${ratio('flight', 'jsonl')}` });
  }
  if (rowsPerSec.flight !== undefined) {
    results.push({ name: `peak RSS growth during the Flight scan, ${where}`, value: flightRss / 1e6, unit: 'MB', note: 'process RSS (server + client worker) sampled every 50 ms, less the RSS just before the scan' });
  }
  return results;
}

// ---- the bench ---------------------------------------------------------------------------------------

const bench: Bench = {
  name: 'flight',
  async run(): Promise<BenchResult[]> {
    return withBenchDatabase('flight', { queryTimeoutMs: 60 * 60 * 1000, writeWorkers: 1 }, async (db) => {
      const server = new SluiceServer({ db, maxQueryResultBytes: 1024 ** 4 });
      let client: ScanClient | undefined;
      try {
        const { port } = await server.listen('127.0.0.1', 0);
        client = new ScanClient();
        const loaded = await load(db);
        const stats = db.buffer.getStats();
        if (stats.rows !== ROWS) throw new Error(`buffered ${stats.rows} rows, expected ${ROWS}`);
        log(`loaded ${int(ROWS)} rows (${mb(loaded.bytes)} MB of line protocol) in ${(loaded.ms / 1000).toFixed(1)} s; RSS ${mb(process.memoryUsage().rss)} MB`);
        const results: BenchResult[] = [
          { name: 'load (writeLp, 5 000-line bodies, 4 in flight, 1 write worker)', value: (ROWS * 1000) / loaded.ms, unit: 'rows/s', note: `${int(ROWS)} rows, ${mb(loaded.bytes)} MB of line protocol (generated on the same thread), ${stats.chunks} buffer chunks` },
        ];
        results.push(...(await scanAll(client, db, port, `buffer${WHERE_SUFFIX}`)));

        if (PARQUET) {
          const { ms, files, bytes } = await snapshotAll(db);
          log(`snapshot: ${files} Parquet files, ${mb(bytes)} MB in ${(ms / 1000).toFixed(1)} s`);
          results.push({ name: 'snapshot (snapshotNow)', value: (ROWS * 1000) / ms, unit: 'rows/s', note: `${files} Parquet files, ${mb(bytes)} MB, ${(ms / 1000).toFixed(1)} s` });
          results.push(...(await scanAll(client, db, port, `Parquet${WHERE_SUFFIX}`)));
        }
        return results;
      } finally {
        await client?.close();
        await server.close(1_000);
      }
    });
  },
};

export default bench;
