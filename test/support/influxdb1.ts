/**
 * The real InfluxDB 1.x beside a real `sluice serve`, for the InfluxQL differential tests:
 * starts Debian's influxd (1.6) from a config of its own — temp data, wal and meta dirs, free
 * loopback ports, reporting, monitoring and query logs off — and a bundled `sluice serve` on a
 * temp data dir; asks both `/query`; compares the answers value by value.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleCli, startServer } from './kill-harness.js';
import { freePort, startPeerProcess } from './peer-process.js';

const run = promisify(execFile);
// From test/support/, or from dist/test/support/ when a compiled bench imports this file.
const INSTALL_SCRIPT_CANDIDATES = ['../../scripts', '../../../scripts'].map((dir) => join(import.meta.dirname, dir, 'influxdb1-test-server.sh'));
const INSTALL_SCRIPT = INSTALL_SCRIPT_CANDIDATES.find((path) => existsSync(path)) ?? INSTALL_SCRIPT_CANDIDATES[0]!;

/** A server the tests talk to over HTTP. */
export interface TestPeer {
  /** `influxdb` or `sluice`, for messages. */
  name: string;
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
  /** Sluice only: rows its snapshots have persisted to Parquet so far (from its JSON log). */
  persistedRows?(): number;
}

/** Installs Debian's `influxdb` and `influxdb-client` when `influxd` or `influx` is missing. */
export async function ensureInfluxDB1Installed(): Promise<void> {
  await run('bash', [INSTALL_SCRIPT, 'install'], { maxBuffer: 1 << 20 });
}


/** Starts influxd 1.x on free loopback ports with private temp dirs; `stop()` kills it and removes them. */
export async function startInfluxDB1(): Promise<TestPeer> {
  await ensureInfluxDB1Installed();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-influxdb1-'));
  const port = await freePort();
  const rpcPort = await freePort();
  await writeFile(join(dir, 'influxdb.conf'), influxdConfig(dir, port, rpcPort));
  const { url, stop } = await startPeerProcess({ name: 'influxd', command: 'influxd', args: ['-config', join(dir, 'influxdb.conf')], dir, port, healthPath: '/ping', readyStatus: 204, startTimeoutMs: 60_000, killAfterMs: 5_000 });
  return { name: 'influxdb', url, host: '127.0.0.1', port, stop };
}

function influxdConfig(dir: string, port: number, rpcPort: number): string {
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
  logging-enabled = false
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  index-version = "inmem"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
  suppress-logo = true
`;
}

/**
 * Starts `sluice serve` (bundled once, see bundleCli) on a temp data dir, no auth, on a free
 * loopback port, with `extraArgs` (e.g. a small `--force-snapshot-mem-threshold` so that part
 * of the data is read from Parquet).
 */
export async function startSluice(extraArgs: string[] = []): Promise<TestPeer> {
  const { path: cli, removeBundle } = await bundleCli();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-influxql-'));
  try {
    const server = await startServer(cli, ['--data-dir', dir, '--wal-flush-interval', '10ms', ...extraArgs]);
    const url = new URL(server.url);
    return {
      name: 'sluice',
      url: server.url,
      host: url.hostname,
      port: Number(url.port),
      persistedRows: () => {
        let rows = 0;
        for (const m of server.log().matchAll(/"msg":"snapshot persisted".*?"rows":(\d+)/g)) rows += Number(m[1]);
        return rows;
      },
      stop: async () => {
        if (server.child.exitCode === null && server.child.signalCode === null) {
          server.child.kill('SIGTERM');
          const timer = setTimeout(() => server.child.kill('SIGKILL'), 5_000);
          await server.exited;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
        await removeBundle();
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    await removeBundle();
    throw err;
  }
}

/** Writes line protocol through v1 `/write` (precision ns); throws unless 204. */
export async function writeLp(peer: TestPeer, db: string, lp: string): Promise<void> {
  const res = await fetch(`${peer.url}/write?db=${encodeURIComponent(db)}&precision=ns`, { method: 'POST', body: lp });
  const text = await res.text();
  if (res.status !== 204) throw new Error(`${peer.name}: write to ${db} answered ${res.status}: ${text}`);
}

/** One `/query` answer: the status, the raw body and the body parsed with exact integers. */
export interface QueryAnswer {
  status: number;
  contentType: string;
  text: string;
  /** The body parsed by {@link parseJsonExact}; undefined when it is not JSON. */
  json: unknown;
}

/**
 * JSON.parse that keeps integer literals exact: a number written without a fraction or exponent
 * becomes a bigint (epoch=ns times and 64-bit integers pass 2^53), any other number a double.
 */
export function parseJsonExact(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`JSON: ${what} at ${i}`);
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = str();
        ws();
        if (text[i++] !== ':') fail('expected :');
        Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return out;
        } else fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return out;
        } else fail('expected , or ]');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null) return fail('unexpected character');
    i += m[0].length;
    return m[2] === undefined && m[3] === undefined ? BigInt(m[0]) : Number(m[0]);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const out = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return out;
}

/** Relative tolerance for floats (sums in another order differ in the last bits). */
const FLOAT_TOLERANCE = 1e-9;

/**
 * The differences between two parsed answers, each as `path: a ≠ b` (empty when equal): object
 * keys exactly, arrays in order, strings and booleans exactly, integers exactly, floats within
 * {@link FLOAT_TOLERANCE} relative. At most `max` differences are listed.
 */
export function diffJson(a: unknown, b: unknown, path = '$', out: string[] = [], max = 8): string[] {
  if (out.length >= max) return out;
  const show = (v: unknown): string => {
    const text = typeof v === 'bigint' ? `${v}` : (JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? 'undefined');
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  };
  const isNum = (v: unknown): v is number | bigint => typeof v === 'number' || typeof v === 'bigint';
  if (isNum(a) && isNum(b)) {
    if (typeof a === 'bigint' && typeof b === 'bigint') {
      if (a !== b) out.push(`${path}: ${a} ≠ ${b}`);
    } else if (!floatsEqual(Number(a), Number(b))) out.push(`${path}: ${show(a)} ≠ ${show(b)}`);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: ${a.length} items ≠ ${b.length} items`);
    for (let k = 0; k < Math.min(a.length, b.length) && out.length < max; k++) diffJson(a[k], b[k], `${path}[${k}]`, out, max);
    return out;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      if (!(k in ra)) out.push(`${path}.${k}: absent ≠ ${show(rb[k])}`);
      else if (!(k in rb)) out.push(`${path}.${k}: ${show(ra[k])} ≠ absent`);
      else diffJson(ra[k], rb[k], `${path}.${k}`, out, max);
      if (out.length >= max) break;
    }
    return out;
  }
  if (a !== b) out.push(`${path}: ${show(a)} ≠ ${show(b)}`);
  return out;
}

function floatsEqual(x: number, y: number): boolean {
  if (Object.is(x, y) || x === y) return true;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  return Math.abs(x - y) <= FLOAT_TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
}

/** An answer for a failure message: its status and raw body, cut at `maxChars`. */
export function showAnswer(answer: QueryAnswer, maxChars = 3_000): string {
  const text = `${answer.status} ${answer.text.trim()}`;
  return text.length > maxChars ? `${text.slice(0, maxChars)}… (${answer.text.length} bytes)` : text;
}
