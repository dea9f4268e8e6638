// `npm run bench:cluster [-- flags]` (issue #18): aggregate ingest of three ingest nodes on one
// machine, and how soon their writes are readable on a query node. Generates the TSBS cpu-only
// dataset (bench/tsbs.ts), starts three `sluice serve --mode ingest --cluster-id b1 --node-id
// ingest-N` and one `--mode query --cluster-id b1` on one local data directory (`--object-store
// file`), and sends each ingest node its share of the hosts (host h → node h mod 3), all three
// at once, in bodies of --batch lines with --connections writes in flight per node — the
// ingest bench's closed loop (bench/ingest.ts). Prints lines/s per node and in aggregate
// (durable acks: 204) and the CPU each process used meanwhile; then, on fresh directories, one
// single node given the whole dataset (at the same writes in flight per node, and at the
// cluster's total). Then time-to-readable: the query node must count every line, and then, for
// --readable-writes single-line writes spread over the ingest nodes (one chain per node), the
// time from the 204 to the query node counting the line (polled every --poll-ms), p50 / p99,
// beside the query node's `sluice_replica_time_to_readable_seconds` histogram (flush → applied).
// Every process it starts is stopped (SIGTERM, checked for a clean exit) and every directory removed.
//
// Flags: --lines 1000000 --hosts 1000 --batch 5000 --connections 4 (per node) --nodes 3
//        --single-connections 4,12 (the single node's runs; empty: none) --readable-writes 200
//        --poll-ms 5 --query-after-load (start the query node only once the load is done: it
//        catches up from the WAL files, and the load runs without it)
//        --server-flag=--wal-flush-interval=1s (repeatable; passed to every `sluice serve`)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from './harness.js';
import { shebangFlags, startSluiceServe, type SluiceServe } from './sluice-server.js';
import { tsbsCpuLines } from './tsbs.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    hosts: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '4' },
    nodes: { type: 'string', default: '3' },
    'single-connections': { type: 'string', default: '4,12' },
    'readable-writes': { type: 'string', default: '200' },
    'poll-ms': { type: 'string', default: '5' },
    'query-after-load': { type: 'boolean', default: false },
    'server-flag': { type: 'string', multiple: true, default: [] },
  },
});
const LINES = Number(values.lines);
const HOSTS = Number(values.hosts);
const BATCH = Number(values.batch);
const CONNECTIONS = Number(values.connections);
const NODES = Number(values.nodes);
const SINGLE_CONNECTIONS = values['single-connections'].split(',').filter((c) => c !== '').map(Number);
const READABLE_WRITES = Number(values['readable-writes']);
const POLL_MS = Number(values['poll-ms']);
const CLUSTER = 'b1';
const DB = 'bench';
const WRITE_PATH = `/api/v3/write_lp?db=${DB}&precision=nanosecond`;
if (!(LINES >= 1 && HOSTS >= NODES && BATCH >= 1 && CONNECTIONS >= 1 && NODES >= 1)) throw new Error('--lines, --batch, --connections, --nodes must be positive, --hosts at least --nodes');

function say(line: string): void {
  console.log(`# ${line}`);
}

// ---- processes and cleanup --------------------------------------------------------------------

/** Processes and directories to remove, also on Ctrl-C; newest first. */
const cleanups = new Set<() => Promise<void>>();
async function cleanUp(): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    await c().catch((err: unknown) => console.error(`# cleanup failed: ${(err as Error).message}`));
    cleanups.delete(c);
  }
}
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

interface Node {
  name: string;
  serve: SluiceServe;
  url: URL;
  pid: number;
}

/** Problems met while stopping and in the servers' logs: printed at the end. */
const problems: string[] = [];

async function startNode(name: string, dataDir: string, args: readonly string[]): Promise<Node> {
  const serve = await startSluiceServe(dataDir, [...args, '--log-level', 'info', ...values['server-flag']]);
  const node: Node = { name, serve, url: new URL(serve.url), pid: serve.child.pid! };
  const stop = async () => {
    await serve.stop();
    const { exitCode, signalCode } = serve.child;
    if (exitCode !== 0) problems.push(`${name} exited with ${exitCode ?? signalCode} on SIGTERM`);
    const bad = serve
      .log()
      .split('\n')
      .filter((l) => /"level":"(warn|error|fatal)"/.test(l) || /"level":(40|50|60)\b/.test(l));
    for (const l of bad) problems.push(`${name} logged: ${l.slice(0, 400)}`);
  };
  nodeStops.set(node, stop);
  cleanups.add(stop);
  return node;
}
const nodeStops = new Map<Node, () => Promise<void>>();

async function stopNode(node: Node): Promise<void> {
  const stop = nodeStops.get(node)!;
  cleanups.delete(stop);
  nodeStops.delete(node);
  await stop();
}

async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const remove = () => rm(dir, { recursive: true, force: true });
  cleanups.add(remove);
  return {
    dir,
    remove: async () => {
      cleanups.delete(remove);
      await remove();
    },
  };
}

/** CPU seconds (user + system) of a process so far, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** CPU seconds of the whole machine (every core), busy and in total, from /proc/stat. */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const cpu = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!.split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0) / 100;
  const idle = (cpu[3]! + cpu[4]!) / 100; // idle, iowait
  return { busy: total - idle, total };
}

// ---- HTTP -------------------------------------------------------------------------------------

/** One POST on a keep-alive agent, as the ingest bench sends it; resolves with the status. */
function post(agent: Agent, url: URL, path: string, body: Buffer | string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: url.hostname, port: url.port, method: 'POST', path, headers: { 'Content-Length': Buffer.byteLength(body), 'Content-Type': 'text/plain; charset=utf-8' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `SELECT count(*)` of a table on a node; 0 while the database or table is not there yet. */
async function countRows(node: Node, table: string, where = ''): Promise<number> {
  const sql = `SELECT count(*) AS n FROM ${table}${where === '' ? '' : ` WHERE ${where}`}`;
  const res = await fetch(`${node.url.origin}/api/v3/query_sql?db=${DB}&format=json&q=${encodeURIComponent(sql)}`);
  const text = await res.text();
  if (res.status !== 200) {
    if (/not found|does not exist|unknown/i.test(text)) return 0;
    throw new Error(`${node.name}: count answered ${res.status}: ${text.slice(0, 300)}`);
  }
  return Number((JSON.parse(text) as Array<{ n: number }>)[0]?.n ?? 0);
}

async function waitUntil(what: string, timeoutMs: number, intervalMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---- the dataset ------------------------------------------------------------------------------

/** The dataset's lines split by host over `nodes` nodes (host h → node h mod nodes), each cut into bodies of `batch` lines. */
function splitByHost(body: Buffer, hosts: number, nodes: number, batch: number): Array<{ bodies: Buffer[]; lines: number[] }> {
  const perNode: Buffer[][] = Array.from({ length: nodes }, () => []);
  let start = 0;
  let i = 0;
  for (let nl = body.indexOf(10); nl !== -1; nl = body.indexOf(10, nl + 1), i++) {
    perNode[(i % hosts) % nodes]!.push(body.subarray(start, nl + 1));
    start = nl + 1;
  }
  return perNode.map((lines) => {
    const bodies: Buffer[] = [];
    const counts: number[] = [];
    for (let k = 0; k < lines.length; k += batch) {
      const part = lines.slice(k, k + batch);
      bodies.push(Buffer.concat(part));
      counts.push(part.length);
    }
    return { bodies, lines: counts };
  });
}

// ---- the load ---------------------------------------------------------------------------------

interface NodeLoad {
  acked: number;
  failed: number;
  /** From the common start to this node's last answer. */
  seconds: number;
  latencies: number[];
}

/** Writes `bodies` to a node in a closed loop, `connections` in flight; counts the lines of 204s. */
async function loadNode(node: Node, share: { bodies: Buffer[]; lines: number[] }, connections: number, started: number): Promise<NodeLoad> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const out: NodeLoad = { acked: 0, failed: 0, seconds: 0, latencies: [] };
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < share.bodies.length) {
          const i = next++;
          const t0 = performance.now();
          const status = await post(agent, node.url, WRITE_PATH, share.bodies[i]!);
          out.latencies.push(performance.now() - t0);
          if (status === 204) out.acked += share.lines[i]!;
          else out.failed++;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  out.seconds = (performance.now() - started) / 1000;
  return out;
}

interface LoadResult {
  perNode: NodeLoad[];
  seconds: number;
  acked: number;
  cpu: Array<{ name: string; percent: number }>;
  machineBusyPercent: number;
  top: string;
}

/** Loads every node its share at once; CPU of each process (and the client) over the load, plus one `top` look midway. */
async function loadAll(nodes: Node[], shares: Array<{ bodies: Buffer[]; lines: number[] }>, connections: number, watch: Node[]): Promise<LoadResult> {
  const before = await Promise.all(watch.map((n) => cpuSeconds(n.pid)));
  const machineBefore = await machineCpu();
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  let top: Promise<string> | undefined;
  const topTimer = setTimeout(() => (top = topSnapshot(watch)), 1500);
  const perNode = await Promise.all(nodes.map((n, k) => loadNode(n, shares[k]!, connections, started)));
  const seconds = (performance.now() - started) / 1000;
  clearTimeout(topTimer);
  const after = await Promise.all(watch.map((n) => cpuSeconds(n.pid)));
  const machineAfter = await machineCpu();
  const client = process.cpuUsage(clientBefore);
  const topText = (await top) ?? '';
  const cpu = watch.map((n, k) => ({ name: n.name, percent: ((after[k]! - before[k]!) / seconds) * 100 }));
  cpu.push({ name: 'client (this bench)', percent: ((client.user + client.system) / 1e6 / seconds) * 100 });
  const machineBusyPercent = ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 100 * cpus().length;
  return { perNode, seconds, acked: perNode.reduce((a, p) => a + p.acked, 0), cpu, machineBusyPercent, top: topText };
}

/** `top -b` for the bench's processes (and whatever else is busy), as it stood midway through the load. */
async function topSnapshot(watch: Node[]): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    // Two frames 0.5 s apart: the first frame's %CPU is not over an interval; the second's is.
    execFile('top', ['-b', '-n', '2', '-d', '0.5', '-w', '200'], (err, stdout) => {
      if (err !== null) return resolve(`(top failed: ${err.message})`);
      const names = new Map(watch.map((n) => [String(n.pid), n.name]));
      names.set(String(process.pid), 'client');
      const frames = stdout.split(/^top - /m);
      const lines = `top - ${frames[frames.length - 1]}`.split('\n');
      const head = lines.filter((l) => /^(top|%Cpu|Tasks|load)/i.test(l.trim()));
      const header = lines.findIndex((l) => /PID\s+USER/.test(l));
      const procs = lines
        .slice(header + 1)
        .filter((l) => l.trim() !== '')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => Number(f[8]) >= 2 || names.has(f[0]!))
        .map((f) => `${names.get(f[0]!) ?? f.slice(11).join(' ').slice(0, 40)} (pid ${f[0]}) ${f[8]} %`);
      resolve([...head, ...procs].join('\n#     '));
    });
  });
}

// ---- time-to-readable -------------------------------------------------------------------------

/** The query node's `sluice_replica_time_to_readable_seconds` histogram per ingest node: bucket bounds → cumulative counts, sum, count. */
interface Histogram {
  buckets: Map<string, number>;
  sum: number;
  count: number;
}

async function readableHistograms(node: Node): Promise<Map<string, Histogram>> {
  const text = await (await fetch(`${node.url.origin}/metrics`)).text();
  const out = new Map<string, Histogram>();
  const get = (n: string) => {
    let h = out.get(n);
    if (h === undefined) out.set(n, (h = { buckets: new Map(), sum: 0, count: 0 }));
    return h;
  };
  for (const m of text.matchAll(/^sluice_replica_time_to_readable_seconds_bucket\{node="([^"]+)",le="([^"]+)"\} (\S+)$/gm)) get(m[1]!).buckets.set(m[2]!, Number(m[3]));
  for (const m of text.matchAll(/^sluice_replica_time_to_readable_seconds_(sum|count)\{node="([^"]+)"\} (\S+)$/gm)) get(m[2]!)[m[1] as 'sum' | 'count'] = Number(m[3]);
  return out;
}

/** `after` − `before`, bucket by bucket. */
function histogramDelta(after: Histogram, before: Histogram | undefined): Histogram {
  const buckets = new Map<string, number>();
  for (const [le, n] of after.buckets) buckets.set(le, n - (before?.buckets.get(le) ?? 0));
  return { buckets, sum: after.sum - (before?.sum ?? 0), count: after.count - (before?.count ?? 0) };
}

/** The bucket bound at or under which p % of the observations fall (an upper bound on the percentile). */
function histogramPercentile(h: Histogram, p: number): string {
  if (h.count === 0) return 'n/a';
  for (const [le, n] of h.buckets) if (n >= (p / 100) * h.count) return le === '+Inf' ? '> 60 s' : `≤ ${Number(le) * 1000} ms`;
  return 'n/a';
}

function histogramRow(name: string, h: Histogram): string {
  const bounds = [...h.buckets.keys()];
  const per = bounds.map((le, i) => (h.buckets.get(le) ?? 0) - (i === 0 ? 0 : (h.buckets.get(bounds[i - 1]!) ?? 0)));
  return `| ${name} | ${h.count} | ${h.count === 0 ? 'n/a' : ((h.sum / h.count) * 1000).toFixed(0)} | ${histogramPercentile(h, 50)} | ${histogramPercentile(h, 99)} | ${per.join(' / ')} |`;
}

/** One chain per ingest node: write one line, take the 204, poll the query node until it counts the line. */
async function timeToReadable(ingest: Node[], query: Node, writes: number): Promise<{ ms: number[]; failed: number }> {
  const ms: number[] = [];
  let failed = 0;
  let id = 0;
  const t0 = 1_735_689_600_000_000_000n + 10n ** 13n; // after the dataset's 2.8 hours
  await Promise.all(
    ingest.map(async (node, k) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let r = k; r < writes; r += ingest.length) {
          const key = `w${id++}`;
          const status = await post(agent, node.url, WRITE_PATH, `readable,node=${node.name},k=${key} v=${r}i ${t0 + BigInt(r) * 1_000_000n}\n`);
          const acked = performance.now();
          if (status !== 204) {
            failed++;
            continue;
          }
          for (;;) {
            if ((await countRows(query, 'readable', `k = '${key}'`)) === 1) break;
            if (performance.now() - acked > 60_000) throw new Error(`${query.name} did not show ${key} (written to ${node.name}) within 60 s`);
            await new Promise((res) => setTimeout(res, POLL_MS));
          }
          ms.push(performance.now() - acked);
        }
      } finally {
        agent.destroy();
      }
    }),
  );
  return { ms, failed };
}

// ---- the runs ---------------------------------------------------------------------------------

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Three ingest nodes and a query node on one directory: the load, the query node's catch-up, time-to-readable. */
async function runCluster(shares: Array<{ bodies: Buffer[]; lines: number[] }>): Promise<void> {
  const { dir, remove } = await tempDir('sluice-bench-cluster-');
  const ingest: Node[] = [];
  try {
    for (let k = 0; k < NODES; k++) ingest.push(await startNode(`ingest-${k}`, dir, ['--object-store', 'file', '--mode', 'ingest', '--cluster-id', CLUSTER, '--node-id', `ingest-${k}`]));
    const startQuery = async (): Promise<Node> => {
      const node = await startNode('query-1', dir, ['--object-store', 'file', '--mode', 'query', '--cluster-id', CLUSTER, '--node-id', 'query-1']);
      // The query node finds the ingest nodes in the registry: wait until it follows every one.
      await waitUntil(`${node.name} to follow ${NODES} ingest nodes`, 60_000, 100, async () => (await readableHistograms(node)).size === NODES);
      return node;
    };
    const after = values['query-after-load'];
    let query = after ? undefined : await startQuery();
    say(`cluster ${CLUSTER}: ${ingest.map((n) => `${n.name} ${n.url.host}`).join(', ')}, ${query === undefined ? 'the query node started after the load' : `${query.name} ${query.url.host} (following all ${NODES})`}, data dir ${dir}`);

    const load = await loadAll(ingest, shares, CONNECTIONS, query === undefined ? ingest : [...ingest, query]);
    const lastAck = performance.now();
    console.log('');
    console.log(`${NODES} ingest nodes at once, ${CONNECTIONS} writes in flight each (${NODES * CONNECTIONS} in all), bodies of ${BATCH} lines:`);
    console.log('');
    console.log('| node | lines | lines/s | p50 ms | p99 ms | non-204 |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    load.perNode.forEach((p, k) => {
      const sorted = [...p.latencies].sort((a, b) => a - b);
      console.log(`| ${ingest[k]!.name} | ${fmt(p.acked)} | ${fmt(p.acked / p.seconds)} | ${percentile(sorted, 50).toFixed(0)} | ${percentile(sorted, 99).toFixed(0)} | ${p.failed} |`);
    });
    console.log(`| aggregate | ${fmt(load.acked)} | **${fmt(load.acked / load.seconds)}** | | | ${load.perNode.reduce((a, p) => a + p.failed, 0)} |`);
    console.log('');
    console.log(`CPU over the load (${load.seconds.toFixed(1)} s; ${cpus().length} cores = ${cpus().length * 100} %): ${load.cpu.map((c) => `${c.name} ${c.percent.toFixed(0)} %`).join(', ')}; sum ${load.cpu.reduce((a, c) => a + c.percent, 0).toFixed(0)} %, the machine busy ${load.machineBusyPercent.toFixed(0)} %`);
    if (load.top !== '') say(`top midway through the load:\n#     ${load.top}`);

    if (query === undefined) {
      query = await startQuery();
      say(`${query.name} started and following all ${NODES} ingest nodes ${((performance.now() - lastAck) / 1000).toFixed(2)} s after the last ack, ${query.url.host}`);
    }
    const q = query;
    // The query node must count every acknowledged line.
    let seen = 0;
    await waitUntil(`${query.name} to count ${load.acked} lines (last count ${seen})`, 300_000, 50, async () => (seen = await countRows(q, 'cpu')) >= load.acked);
    say(`${query.name} counted all ${fmt(seen)} acknowledged lines ${((performance.now() - lastAck) / 1000).toFixed(2)} s after the last ack${seen === load.acked ? '' : ` — MORE than acknowledged: ${seen}`}`);
    if (seen !== load.acked) problems.push(`${query.name} counted ${seen} rows of cpu for ${load.acked} acknowledged lines`);

    const histogramsBefore = await readableHistograms(query);
    const readable = await timeToReadable(ingest, query, READABLE_WRITES);
    const histogramsAfter = await readableHistograms(query);
    const sorted = [...readable.ms].sort((a, b) => a - b);
    console.log('');
    console.log(`Time-to-readable on ${query.name}: ${readable.ms.length} single-line writes (${NODES} chains, one per ingest node, each waiting for its line before the next), 204 → counted, polled every ${POLL_MS} ms:`);
    console.log('');
    console.log('| writes | p50 ms | p99 ms | max ms | non-204 |');
    console.log('| ---: | ---: | ---: | ---: | ---: |');
    console.log(`| ${readable.ms.length} | ${percentile(sorted, 50).toFixed(0)} | ${percentile(sorted, 99).toFixed(0)} | ${sorted[sorted.length - 1]?.toFixed(0) ?? 'n/a'} | ${readable.failed} |`);
    console.log('');
    console.log(`${query.name}'s sluice_replica_time_to_readable_seconds (flush → applied), per ingest node; the percentiles are the bucket bounds they fall under; buckets ≤ ${[...(histogramsAfter.values().next().value?.buckets.keys() ?? [])].join(' / ')} s:`);
    console.log('');
    console.log('| ingest node, WAL files of | files | mean ms | p50 | p99 | per bucket |');
    console.log('| --- | ---: | ---: | --- | --- | --- |');
    for (const [name, h] of histogramsAfter) {
      console.log(histogramRow(`${name}, the load (and its catch-up)`, histogramsBefore.get(name) ?? h));
      console.log(histogramRow(`${name}, the single-line writes`, histogramDelta(h, histogramsBefore.get(name))));
    }

    for (const n of [query, ...ingest]) await stopNode(n);
  } finally {
    for (const n of [...nodeStops.keys()]) await stopNode(n);
    await remove();
  }
}

/** One node, the whole dataset, `connections` in flight. */
async function runSingle(bodies: { bodies: Buffer[]; lines: number[] }, connections: number): Promise<void> {
  const { dir, remove } = await tempDir('sluice-bench-single-');
  try {
    const node = await startNode('single', dir, ['--object-store', 'file', '--mode', 'ingest', '--cluster-id', 'b1single', '--node-id', 'single']);
    const load = await loadAll([node], [bodies], connections, [node]);
    const sorted = [...load.perNode[0]!.latencies].sort((a, b) => a - b);
    console.log(`| one node, ${connections} in flight | ${fmt(load.acked)} | **${fmt(load.acked / load.seconds)}** | ${percentile(sorted, 50).toFixed(0)} | ${percentile(sorted, 99).toFixed(0)} | ${load.perNode[0]!.failed} | ${load.cpu.map((c) => `${c.name} ${c.percent.toFixed(0)} %`).join(', ')}; machine ${load.machineBusyPercent.toFixed(0)} % |`);
    await stopNode(node);
  } finally {
    for (const n of [...nodeStops.keys()]) await stopNode(n);
    await remove();
  }
}

const machine = `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
console.log(`# sluice bench:cluster — ${machine}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const generated = performance.now();
const body = tsbsCpuLines(LINES, HOSTS);
const shares = splitByHost(body, HOSTS, NODES, BATCH);
const whole = splitByHost(body, HOSTS, 1, BATCH)[0]!;
say(`dataset: TSBS cpu-only (bench/tsbs.ts), ${fmt(LINES)} lines, ${HOSTS} hosts, ${(body.length / 1e6).toFixed(0)} MB; split by host (h mod ${NODES}): ${shares.map((s, k) => `ingest-${k} ${fmt(s.lines.reduce((a, b) => a + b, 0))} lines in ${s.bodies.length} bodies`).join(', ')}; generated in ${((performance.now() - generated) / 1000).toFixed(1)} s`);
say(`servers: node ${(await shebangFlags()).join(' ')} sluice serve --object-store file --log-level info ${values['server-flag'].join(' ')} (default flags otherwise); writes: POST ${WRITE_PATH}`);
let failed = false;
try {
  await runCluster(shares);
  if (SINGLE_CONNECTIONS.length > 0) {
    console.log('');
    console.log('For comparison, one ingest node alone with the whole dataset (fresh directory each):');
    console.log('');
    console.log('| run | lines | lines/s | p50 ms | p99 ms | non-204 | CPU over the load |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const c of SINGLE_CONNECTIONS) await runSingle(whole, c);
  }
} catch (err) {
  failed = true;
  console.error(`# FAILED: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanUp();
}
console.log('');
if (problems.length > 0) {
  say(`${problems.length} problem(s):`);
  for (const p of problems) say(`  ${p}`);
} else say('every process stopped cleanly (exit 0 on SIGTERM), no warnings or errors in their logs; temp directories removed');
say(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (failed || problems.length > 0) process.exitCode = 1;
