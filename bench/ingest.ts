// `npm run bench:ingest [-- flags]`: end-to-end ingest through the real server. Generates the
// TSBS cpu-only dataset (seeded, deterministic), starts `sluice serve` on a temporary directory,
// drives it over HTTP with N keep-alive connections in a closed loop, prints lines/s, latency
// percentiles, server CPU, peak RSS and bytes on disk, verifies with SQL that every acknowledged
// line is there, then SIGKILLs the server and measures the restart (WAL replay) — verified too.
//
// Flags: --lines 1000000 --hosts 1000 --batch 5000 --connections 4,16 --fields int|float
//        --endpoint /api/v3/write_lp|/api/v2/write|/write --flush-interval 1s --no-restart
//        --server-flag=--wal-flush-size=4194304 (repeatable; passed to `sluice serve`)
//        --repeat N (N fresh servers per connection count; then the medians)
//        --memory (also print the server's memory gauges at the end of the load)
//        --slowest N (also print the N slowest requests: which body, when it started, how long)
// Env: BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { shebangFlags, startSluiceServe } from './sluice-server.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    hosts: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '4,16' },
    fields: { type: 'string', default: 'int' },
    endpoint: { type: 'string', default: '/api/v3/write_lp' },
    'flush-interval': { type: 'string', default: '1s' },
    seed: { type: 'string', default: '1' },
    'no-restart': { type: 'boolean', default: false },
    slowest: { type: 'string', default: '0' },
    memory: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    'server-flag': { type: 'string', multiple: true, default: [] },
  },
});
const LINES = Number(values.lines);
const HOSTS = Number(values.hosts);
const BATCH = Number(values.batch);
const CONNECTIONS = values.connections.split(',').map(Number);
const FIELDS = values.fields === 'float' ? 'float' : 'int';
const ENDPOINT = values.endpoint;
const serverNodeFlags = await shebangFlags();

// ---- the dataset ------------------------------------------------------------------------------

/**
 * TSBS devops cpu-only lines: measurement `cpu`, 10 tags per host, 10 fields (usage_user …
 * usage_guest_nice) as a clamped random walk per host, one row per host every 10 s, time-major,
 * ns timestamps from 2025-01-01. Returned as request bodies of `batch` lines.
 */
function generate(lines: number, hosts: number, batch: number, fields: 'int' | 'float', seed: number): Buffer[] {
  let state = seed >>> 0 || 1;
  const rand = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const regions = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'];
  const names = ['usage_user', 'usage_system', 'usage_idle', 'usage_nice', 'usage_iowait', 'usage_irq', 'usage_softirq', 'usage_steal', 'usage_guest', 'usage_guest_nice'];
  const tags: string[] = [];
  const walk: number[][] = [];
  for (let h = 0; h < hosts; h++) {
    const region = regions[Math.floor(rand() * regions.length)]!;
    tags.push(
      `cpu,hostname=host_${h},region=${region},datacenter=${region}${'abc'[Math.floor(rand() * 3)]},rack=${Math.floor(rand() * 100)},os=Ubuntu${rand() < 0.5 ? '16.04LTS' : '15.10'},arch=${rand() < 0.5 ? 'x64' : 'x86'},team=${['SF', 'NYC', 'LON', 'CHI'][Math.floor(rand() * 4)]},service=${Math.floor(rand() * 20)},service_version=${Math.floor(rand() * 2)},service_environment=${['production', 'staging', 'test'][Math.floor(rand() * 3)]} `,
    );
    walk.push(names.map(() => rand() * 100));
  }
  const bodies: Buffer[] = [];
  const start = 1_735_689_600_000_000_000n;
  let parts: string[] = [];
  for (let i = 0; i < lines; i++) {
    const h = i % hosts;
    const w = walk[h]!;
    let line = tags[h]!;
    for (let f = 0; f < names.length; f++) {
      w[f] = Math.min(100, Math.max(0, w[f]! + (rand() - 0.5) * 2));
      line += `${f === 0 ? '' : ','}${names[f]}=${fields === 'int' ? `${Math.floor(w[f]!)}i` : w[f]!.toFixed(2)}`;
    }
    parts.push(`${line} ${start + BigInt(Math.floor(i / hosts)) * 10_000_000_000n}`);
    if (parts.length === batch || i === lines - 1) {
      bodies.push(Buffer.from(`${parts.join('\n')}\n`));
      parts = [];
    }
  }
  return bodies;
}

// ---- the server -------------------------------------------------------------------------------

interface Server {
  child: ChildProcess;
  url: URL;
  startMs: number;
  readyMs: number;
  exited: Promise<void>;
}

async function startServer(dataDir: string): Promise<Server> {
  const startMs = performance.now();
  // BENCH_SERVER_NODE_ARGS: node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof",
  // beside those of the `sluice` command's shebang, as `sluice serve` runs.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const server = await startSluiceServe(dataDir, ['--wal-flush-interval', values['flush-interval'], '--log-level', 'info', ...values['server-flag']], nodeArgs);
  return { child: server.child, url: new URL(server.url), startMs, readyMs: performance.now() - startMs, exited: server.exited };
}

/** CPU seconds (user + system) of a process so far, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function peakRssMb(pid: number): Promise<number> {
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await diskBytes(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

// ---- the load ---------------------------------------------------------------------------------

function post(agent: Agent, url: URL, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: url.hostname, port: url.port, method: 'POST', path, headers: { 'Content-Length': body.length, 'Content-Type': 'text/plain; charset=utf-8' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The server's memory gauges from /metrics, in MB. */
async function memoryMetrics(url: URL): Promise<string> {
  const text = await (await fetch(`${url.origin}/metrics`)).text();
  const out: string[] = [];
  for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'sluice_buffer_bytes']) {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (m !== null) out.push(`${name.replace(/_bytes$/, '')} ${(Number(m[1]) / 1e6).toFixed(0)} MB`);
  }
  return out.join(', ');
}

function query(url: URL, sql: string): Promise<unknown> {
  return fetch(`${url.origin}/api/v3/query_sql?db=bench&format=json&q=${encodeURIComponent(sql)}`).then(async (res) => {
    if (res.status !== 200) throw new Error(`query answered ${res.status}: ${await res.text()}`);
    return res.json();
  });
}

function pathFor(endpoint: string): string {
  if (endpoint === '/api/v2/write') return '/api/v2/write?bucket=bench&precision=ns';
  if (endpoint === '/write') return '/write?db=bench&precision=n';
  return '/api/v3/write_lp?db=bench&precision=nanosecond';
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function countRows(url: URL): Promise<number> {
  const rows = (await query(url, 'SELECT count(*) AS n FROM cpu')) as Array<{ n: number }>;
  return Number(rows[0]?.n ?? 0);
}

interface RunResult {
  linesPerSecond: number;
  steady: number;
  p99: number;
  rss: number;
}
const results = new Map<number, RunResult[]>();

async function run(bodies: Buffer[], connections: number): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-ingest-'));
  try {
    const server = await startServer(dataDir);
    const pid = server.child.pid!;
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    const path = pathFor(ENDPOINT);
    const latencies: number[] = [];
    const trace: Array<{ at: number; ms: number; i: number }> = [];
    let drain: { ms: number; acked: number } | undefined;
    let next = 0;
    let acked = 0;
    let failed = 0;
    const cpuBefore = await cpuSeconds(pid);
    const clientCpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < bodies.length) {
          const i = next++;
          const t0 = performance.now();
          const status = await post(agent, server.url, path, bodies[i]!);
          latencies.push(performance.now() - t0);
          trace.push({ at: t0 - started, ms: performance.now() - t0, i });
          if (status === 204) acked += BATCH_LINES[i]!;
          else failed++;
        }
        // The first connection out of bodies: from here on fewer bodies are in flight than
        // connections, and the last ones wait for the 1 s flush tick unless they fill a flush.
        drain ??= { ms: performance.now() - started, acked };
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const steady = drain === undefined ? NaN : drain.acked / (drain.ms / 1000);
    const serverCpu = (await cpuSeconds(pid)) - cpuBefore;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    agent.destroy();
    latencies.sort((a, b) => a - b);
    // Peak RSS at the end of the load (where the peer benchmark harness reads it), then after the SQL count.
    const rss = await peakRssMb(pid);
    const memory = values.memory ? await memoryMetrics(server.url) : '';
    const verified = await countRows(server.url);
    const rssAfterQuery = await peakRssMb(pid);
    const disk = await diskBytes(dataDir);
    console.log(
      `| ${connections} | ${Math.round(acked / seconds).toLocaleString('en-US')} | ${Math.round(steady).toLocaleString('en-US')} | ${percentile(latencies, 50).toFixed(0)} | ${percentile(latencies, 99).toFixed(0)} | ${Math.round((serverCpu / seconds) * 100)} % | ${Math.round(((clientCpu.user + clientCpu.system) / 1e6 / seconds) * 100)} % | ${rss.toFixed(0)} MB | ${rssAfterQuery.toFixed(0)} MB | ${(disk / 1e6).toFixed(1)} MB | ${failed} | ${verified.toLocaleString('en-US')}/${acked.toLocaleString('en-US')} |`,
    );
    results.set(connections, [...(results.get(connections) ?? []), { linesPerSecond: acked / seconds, steady, p99: percentile(latencies, 99), rss }]);
    if (memory !== '') console.log(`#   memory at the end of the load: ${memory}`);
    const slowest = Number(values.slowest);
    if (slowest > 0) {
      const worst = trace.sort((a, b) => b.ms - a.ms).slice(0, slowest);
      console.log(`#   slowest requests (body, started at, took): ${worst.map((w) => `#${w.i} @${w.at.toFixed(0)} ms ${w.ms.toFixed(0)} ms`).join(', ')}`);
    }
    if (verified !== acked) throw new Error(`verification failed: ${verified} rows for ${acked} acknowledged lines`);

    if (values['no-restart']) {
      server.child.kill('SIGTERM');
      await server.exited;
      return;
    }
    // Restart after SIGKILL with everything acknowledged in the WAL: time to listening, all there.
    server.child.kill('SIGKILL');
    await server.exited;
    const again = await startServer(dataDir);
    const after = await countRows(again.url);
    restarts.push(`| ${connections} | ${(again.readyMs / 1000).toFixed(2)} s | ${((await diskBytes(join(dataDir, 'sluice-node', 'wal')).catch(() => 0)) / 1e6).toFixed(1)} MB | ${after.toLocaleString('en-US')}/${acked.toLocaleString('en-US')} | ${(await peakRssMb(again.child.pid!)).toFixed(0)} MB |`);
    again.child.kill('SIGTERM');
    await again.exited;
    if (after !== acked) throw new Error(`after restart ${after} rows for ${acked} acknowledged lines`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const genStarted = performance.now();
const bodies = generate(LINES, HOSTS, BATCH, FIELDS, Number(values.seed));
const BATCH_LINES = bodies.map((b) => {
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
  return n;
});
const bytes = bodies.reduce((n, b) => n + b.length, 0);
const restarts: string[] = [];
console.log(`# sluice ingest — node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
console.log(`# dataset: TSBS cpu-only, ${LINES.toLocaleString('en-US')} lines (${FIELDS} fields, ${HOSTS} hosts, seed ${values.seed}), ${(bytes / 1e6).toFixed(0)} MB, generated in ${((performance.now() - genStarted) / 1000).toFixed(1)} s`);
console.log(`# load: ${ENDPOINT}, batches of ${BATCH} lines, closed loop; server: node ${serverNodeFlags.join(' ')} sluice serve --wal-flush-interval ${values['flush-interval']} ${values['server-flag'].join(' ')}`);
console.log('');
console.log('| connections | lines/s | lines/s until the drain | p50 ms | p99 ms | server CPU | client CPU | server peak RSS | peak RSS after the SQL count | on disk | non-204 | verified |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const REPEAT = Number(values.repeat);
for (const c of CONNECTIONS) for (let r = 0; r < REPEAT; r++) await run(bodies, c);
if (REPEAT > 1) {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  console.log('');
  console.log(`Medians over ${REPEAT} runs (lines/s, p99) and the highest peak RSS:`);
  console.log('');
  console.log('| connections | lines/s (median) | lines/s (min–max) | until the drain (median) | p99 ms (median) | server peak RSS (max) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [c, rs] of results) {
    const lps = rs.map((r) => r.linesPerSecond);
    console.log(`| ${c} | ${Math.round(median(lps)).toLocaleString('en-US')} | ${Math.round(Math.min(...lps)).toLocaleString('en-US')}–${Math.round(Math.max(...lps)).toLocaleString('en-US')} | ${Math.round(median(rs.map((r) => r.steady))).toLocaleString('en-US')} | ${median(rs.map((r) => r.p99)).toFixed(0)} | ${Math.max(...rs.map((r) => r.rss)).toFixed(0)} MB |`);
  }
}
if (restarts.length > 0) {
  console.log('');
  console.log('Restart after SIGKILL with every acknowledged line in the WAL (spawn → listening):');
  console.log('');
  console.log('| after the run with connections | ready in | WAL on disk | verified | peak RSS |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of restarts) console.log(r);
}
