#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * The `sluice` command: `serve`, `write`, `query`, `wal inspect`, `wal verify`, `snapshots`,
 * `create token`, `delete token`. Flags follow InfluxDB 3's names; each also reads
 * `SLUICE_<FLAG>` from the environment (`--wal-flush-interval` ↔ `SLUICE_WAL_FLUSH_INTERVAL`).
 * Every error ends the command with one line, `error: <message>`, and exit code 1; its stack
 * follows only with `--log-level debug`.
 */
import './threadpool.js';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { availableParallelism, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SluiceDatabase, listSnapshots } from '../database/database.js';
import { NodeHeartbeat, validateClusterId, type NodeMode } from '../cluster/registry.js';
import { SYSTEM_CLOCK } from '../effects/clock.js';
import { LocalObjectStore } from '../objectstore/local.js';
import { MemoryObjectStore } from '../objectstore/memory.js';
import { ObjectStoreError, UnsafeStoreError } from '../objectstore/errors.js';
import { probeConditionalPut } from '../objectstore/probe.js';
import { InvalidKeyError } from '../objectstore/errors.js';
import { validateKey } from '../objectstore/keys.js';
import type { ObjectStore } from '../objectstore/types.js';
import { DuplicateTokenError, TokenStore, UnknownTokenError } from '../server/auth.js';
import { authHeaders, ManageUsageError, runManageCommand } from './manage.js';
import { SLUICE_VERSION, SluiceServer } from '../server/http.js';
import { MAX_NODE_ID_BYTES, decodeWalFile } from '../wal/codec.js';
import { type WalConfig, parseGen1Duration, resolveWalConfig } from '../wal/config.js';
import { InvalidWalConfigError } from '../wal/errors.js';
import { hasErrorCode } from '../effects/fs.js';
import type { ReplayProgress } from '../wal/replay.js';
import { describeSnapshots, describeWalFiles } from './inspect.js';
import { LOG_FORMATS, LOG_LEVELS, createLogger } from './logger.js';

interface FlagSpec {
  type: 'string' | 'boolean';
  default?: string;
  help: string;
  /** Environment variables read after SLUICE_<FLAG>, in order (the AWS ones for S3). */
  env?: string[];
}

const STORE_FLAGS: Record<string, FlagSpec> = {
  'node-id': { type: 'string', default: 'sluice-node', help: 'identifies this writer; the prefix of every object it writes' },
  mode: { type: 'string', default: 'all', help: 'ingest | query | all: a query node takes no writes and serves the data of ingest nodes (--read-from-node-ids, or the cluster registry)' },
  'cluster-id': { type: 'string', default: '', help: 'registers this node in the cluster registry on the store; query nodes follow the ingest nodes it lists' },
  'read-from-node-ids': { type: 'string', default: '', help: 'query mode: the ingest nodes to follow, comma-separated (default: the cluster registry\'s, as they appear)' },
  'replication-interval': { type: 'string', default: '250ms', help: 'query mode: how often each ingest node\'s next WAL file is looked for (ms, s)' },
  'file-delete-delay': { type: 'string', default: '', help: 'how long Parquet files replaced by a compaction, or of deleted tables, stay on the object store before they are deleted, so that query nodes\' running queries can still read them (ms, s, m; default 1m in --mode ingest, 0 otherwise)' },
  'registry-interval': { type: 'string', default: '1s', help: 'how often the cluster registry is polled for new ingest nodes; ingest nodes refresh their entry every 10 of these' },
  'object-store': { type: 'string', default: 'file', help: 'where WAL, Parquet and catalog go: file | memory | s3' },
  'data-dir': { type: 'string', default: './data', help: 'the directory of the file object store' },
  bucket: { type: 'string', default: '', help: 'the S3 bucket (with --object-store s3)', env: ['INFLUXDB3_BUCKET'] },
  'aws-endpoint': { type: 'string', default: '', help: 'an S3-compatible endpoint URL (default: AWS)', env: ['AWS_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'] },
  'aws-default-region': { type: 'string', default: 'us-east-1', help: 'the S3 region', env: ['AWS_DEFAULT_REGION', 'AWS_REGION'] },
  'aws-access-key-id': { type: 'string', default: '', help: 'S3 access key (default: the AWS credential chain)', env: ['AWS_ACCESS_KEY_ID'] },
  'aws-secret-access-key': { type: 'string', default: '', help: 'S3 secret key', env: ['AWS_SECRET_ACCESS_KEY'] },
  'aws-session-token': { type: 'string', default: '', help: 'S3 session token', env: ['AWS_SESSION_TOKEN'] },
  'aws-allow-http': { type: 'boolean', help: 'allow a plain http:// S3 endpoint', env: ['AWS_ALLOW_HTTP'] },
  'object-store-prefix': { type: 'string', default: '', help: 'a key prefix inside the bucket, before the node id' },
  'unsafe-skip-store-probe': { type: 'boolean', help: 'UNSAFE: use a store that fails the conditional-put probe (a second writer can overwrite acknowledged WAL files)' },
};

const SERVE_FLAGS: Record<string, FlagSpec> = {
  ...STORE_FLAGS,
  'http-bind': { type: 'string', default: '127.0.0.1:8181', help: 'address and port to listen on' },
  'wal-flush-interval': { type: 'string', default: '1s', help: 'how often the WAL buffer is flushed (ms, s)' },
  'wal-flush-size': { type: 'string', default: '1048576', help: 'flush early once this many bytes are buffered' },
  'wal-snapshot-size': { type: 'string', default: '600', help: 'WAL files per snapshot' },
  'wal-max-write-buffer-size': { type: 'string', default: '100000', help: 'ops the WAL buffer holds before answering 503' },
  'gen1-duration': { type: 'string', default: '10m', help: 'time window rows are chunked and persisted by: 1m | 5m | 10m' },
  'snapshotted-wal-files-to-keep': { type: 'string', default: '300', help: 'snapshotted WAL files kept after cleanup' },
  'wal-replay-concurrency-limit': { type: 'string', default: '', help: 'WAL files fetched at once during replay (default max(cores, 10))' },
  'retention-check-interval': { type: 'string', default: '1m', help: 'how often Parquet files past their database\'s retention period are removed (rows past it are invisible at once regardless)' },
  'force-snapshot-mem-threshold': { type: 'string', default: '', help: 'buffered bytes that force a snapshot (default 50% of RAM)' },
  'parquet-mem-cache-size': { type: 'string', default: '20%', help: 'memory the rows of recently persisted Parquet files may keep for reads: bytes, or a percentage of RAM' },
  'disable-parquet-mem-cache': { type: 'boolean', help: 'keep no persisted rows in memory: every read of persisted data scans Parquet' },
  compaction: { type: 'string', default: 'on', help: 'merge Parquet files in the background into ten-minute (newest hour), hour, six-hour (running day) and day files: on | off' },
  'compaction-cold-margin': { type: 'string', default: '30m', help: 'how far behind the newest persisted row a window\'s end must be before it is compacted (ms, s, m)' },
  'compaction-warm-hour-files': { type: 'string', default: '0', help: 'files the newest (warm) hour of a table may hold before it is compacted anyway; 0: only cold hours are' },
  'max-http-request-size': { type: 'string', default: '10485760', help: 'largest request body in bytes, before and after gzip' },
  'max-write-bytes-in-flight': { type: 'string', default: '8388608', help: 'write request bytes read and processed at once; more wait unread' },
  'query-memory-limit': { type: 'string', default: '', help: "the SQL engine's memory limit, e.g. 2GB (default 80% of RAM)" },
  'query-timeout': { type: 'string', default: '30s', help: 'longest a query may take, sending its answer included' },
  'query-threads': { type: 'string', default: '', help: 'SQL engine threads per query (default: cores minus the queries that may run at once, at least 1)' },
  'max-concurrent-queries': { type: 'string', default: '', help: 'queries that run at once; more wait in line (default half the cores, at least 1)' },
  'max-queued-queries': { type: 'string', default: '64', help: 'queries that may wait in line; more get 503 at once' },
  'query-queue-timeout': { type: 'string', default: '10s', help: 'longest a query waits in line before 503' },
  'max-query-result-bytes': { type: 'string', default: '268435456', help: 'largest query answer: 413, or cut off once streaming' },
  'max-query-text-bytes': { type: 'string', default: '262144', help: 'longest query text: 413 before it is parsed' },
  'http-body-timeout': { type: 'string', default: '60s', help: 'longest a request body may take to arrive: 408 and the connection closed' },
  'min-body-rate': { type: 'string', default: '1024', help: 'slowest average request body rate in bytes/s, judged after 5 s (0: none)' },
  'cors-allowed-origins': { type: 'string', default: '', help: 'comma-separated origins browsers may call from (* for any); none by default' },
  'write-workers': { type: 'string', default: '', help: 'threads that parse and validate write bodies of 64 KiB and more (default 1 with 2+ cores, else 0)' },
  'without-auth': { type: 'boolean', help: 'serve without tokens even on a non-loopback address' },
  'log-format': { type: 'string', default: '', help: 'json | pretty (default: pretty on a terminal, else json)' },
  'log-level': { type: 'string', default: 'info', help: 'debug | info | warn | error (debug also prints the stack of an error)' },
};

/** Every command takes it: with `debug`, an error's stack follows its one-line message. */
const DEBUG_FLAG: Record<string, FlagSpec> = {
  'log-level': { type: 'string', default: 'info', help: 'debug prints the stack of an error' },
};

const CLIENT_FLAGS: Record<string, FlagSpec> = {
  host: { type: 'string', default: 'http://127.0.0.1:8181', help: 'the server URL' },
  token: { type: 'string', default: '', help: 'an API token (Authorization: Bearer)' },
  db: { type: 'string', default: '', help: 'the database' },
};

/** Host and token of the commands that manage databases and tables on a running server. */
const SERVER_FLAGS: Record<string, FlagSpec> = { host: CLIENT_FLAGS.host!, token: CLIENT_FLAGS.token! };
const YES_FLAG: Record<string, FlagSpec> = { yes: { type: 'boolean', help: 'skip the confirmation question' } };
const TABLE_DATABASE_FLAG: Record<string, FlagSpec> = { database: { type: 'string', default: '', help: 'the database of the table' } };

const COMMANDS: Record<string, { summary: string; usage: string; flags: Record<string, FlagSpec> }> = {
  serve: { summary: 'run the HTTP server', usage: 'sluice serve [flags]', flags: SERVE_FLAGS },
  write: { summary: 'write line protocol from a file or stdin', usage: 'sluice write --db <db> [--precision p] [file|-]', flags: { ...CLIENT_FLAGS, precision: { type: 'string', default: 'auto', help: 'auto | s | ms | us | ns' }, ...DEBUG_FLAG } },
  query: { summary: 'run a SQL query', usage: 'sluice query --db <db> [--format pretty] "<sql>"', flags: { ...CLIENT_FLAGS, format: { type: 'string', default: 'pretty', help: 'json | jsonl | csv | pretty | parquet' }, ...DEBUG_FLAG } },
  'wal inspect': { summary: 'decode WAL files: header, checksum, ops', usage: 'sluice wal inspect <file|dir> [--rows]', flags: { rows: { type: 'boolean', help: 'print every row' }, ...DEBUG_FLAG } },
  'wal verify': { summary: 'check every WAL file of a directory; exit 1 on damage', usage: 'sluice wal verify <dir>', flags: { ...DEBUG_FLAG } },
  snapshots: { summary: 'list snapshot manifests and their Parquet files', usage: 'sluice snapshots [--data-dir d] [--node-id n]', flags: { ...STORE_FLAGS, ...DEBUG_FLAG } },
  'create token': { summary: 'create an API token and print it once', usage: 'sluice create token --admin [--name n]', flags: { ...STORE_FLAGS, admin: { type: 'boolean', help: 'an admin token (the only kind so far)' }, name: { type: 'string', default: '_admin', help: "the token's name" }, ...DEBUG_FLAG } },
  'create database': { summary: 'create a database (on a running server)', usage: 'sluice create database <name> [--retention-period 30d]', flags: { ...SERVER_FLAGS, 'retention-period': { type: 'string', default: '', help: 'rows older than this are invisible and removed, e.g. 30d, 12h, 1h30m (default: keep forever)' }, ...DEBUG_FLAG } },
  'show databases': { summary: 'list the databases (on a running server)', usage: 'sluice show databases [--format pretty] [--show-deleted]', flags: { ...SERVER_FLAGS, format: { type: 'string', default: 'pretty', help: 'json | jsonl | csv | pretty' }, 'show-deleted': { type: 'boolean', help: 'list deleted databases too' }, ...DEBUG_FLAG } },
  'delete database': { summary: 'delete a database and its data (on a running server)', usage: 'sluice delete database <name> [--yes]', flags: { ...SERVER_FLAGS, ...YES_FLAG, ...DEBUG_FLAG } },
  'create table': { summary: 'create a table with tags and fields (on a running server)', usage: 'sluice create table <name> --database <db> [--tags a,b] [--fields x:float64,y:int64]', flags: { ...SERVER_FLAGS, ...TABLE_DATABASE_FLAG, tags: { type: 'string', default: '', help: 'tag columns, comma separated' }, fields: { type: 'string', default: '', help: 'fields as name:type, comma separated; types utf8, int64, uint64, float64, bool' }, ...DEBUG_FLAG } },
  'delete table': { summary: 'delete a table and its data (on a running server)', usage: 'sluice delete table <name> --database <db> [--yes]', flags: { ...SERVER_FLAGS, ...TABLE_DATABASE_FLAG, ...YES_FLAG, ...DEBUG_FLAG } },
  'delete token': { summary: 'delete an API token; a running server refuses it within a second', usage: 'sluice delete token --name <n>', flags: { ...STORE_FLAGS, name: { type: 'string', default: '', help: "the token's name" }, ...DEBUG_FLAG } },
};

function envName(flag: string): string {
  return `SLUICE_${flag.toUpperCase().replaceAll('-', '_')}`;
}

function help(command?: string): string {
  if (command === undefined || COMMANDS[command] === undefined) {
    const lines = [`sluice ${SLUICE_VERSION} — a durable time-series write path (InfluxDB 3 WAL) with SQL`, '', 'Commands:'];
    for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(14)} ${c.summary}`);
    lines.push('', 'sluice <command> --help shows its flags. Every flag can also be set as SLUICE_<FLAG> in the environment.');
    return lines.join('\n');
  }
  const c = COMMANDS[command]!;
  const lines = [c.summary, '', `Usage: ${c.usage}`, '', 'Flags:'];
  for (const [name, f] of Object.entries(c.flags)) {
    const def = f.type === 'boolean' ? '' : f.default === '' || f.default === undefined ? '' : ` (default ${f.default})`;
    lines.push(`  --${name.padEnd(32)} ${f.help}${def}  [${[envName(name), ...(f.env ?? [])].join(', ')}]`);
  }
  return lines.join('\n');
}

function parse(command: string, argv: string[]): { values: Record<string, string | boolean>; positionals: string[] } {
  const spec = COMMANDS[command]!.flags;
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, f] of Object.entries(spec)) options[name] = { type: f.type };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (sluice ${command} --help lists the flags)`);
  }
  if (parsed.values.help === true) {
    console.log(help(command));
    process.exit(0);
  }
  const values: Record<string, string | boolean> = {};
  for (const [name, f] of Object.entries(spec)) {
    const given = parsed.values[name];
    const env = [envName(name), ...(f.env ?? [])].map((e) => process.env[e]).find((v) => v !== undefined && v !== '');
    if (given !== undefined) values[name] = given as string | boolean;
    else if (env !== undefined) values[name] = f.type === 'boolean' ? env === 'true' || env === '1' : env;
    else values[name] = f.type === 'boolean' ? false : (f.default ?? '');
  }
  return { values, positionals: parsed.positionals };
}

/** A command given wrongly (a flag, an argument): the person must change the command line. */
class UsageError extends Error {}

/** Why a command could not run, in words the person can act on (a taken port, a missing file). */
class CommandError extends Error {}

function durationMs(value: string, flag: string, minMs = 0): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (m === null) throw new UsageError(`--${flag}: invalid duration ${JSON.stringify(value)} (use e.g. 500ms, 1s, 1m)`);
  const n = Number(m[1]);
  const ms = Math.round(m[2] === 's' || m[2] === undefined ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
  if (ms < minMs) throw new UsageError(`--${flag}: must be at least ${minMs} ms, got ${JSON.stringify(value)}`);
  return ms;
}

function int(value: string, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag}: expected an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `N` bytes or `P%` of the machine's memory (0 to 100). */
function bytesOrPercentOfRam(value: string, flag: string): number {
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  if (percent === null) return int(value, flag);
  const p = Number(percent[1]);
  if (p > 100) throw new UsageError(`--${flag}: a percentage of RAM is at most 100%, got ${JSON.stringify(value)}`);
  return Math.floor((totalmem() * p) / 100);
}

function oneOf(value: string, flag: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new UsageError(`--${flag}: expected ${allowed.filter((a) => a !== '').join(' | ')}, got ${JSON.stringify(value)}`);
  return value;
}

/** A node id names a directory and prefixes every key: one key segment, at most 255 bytes. */
function nodeIdOf(values: Record<string, string | boolean>): string {
  const nodeId = String(values['node-id']);
  try {
    validateKey(nodeId);
  } catch (err) {
    if (err instanceof InvalidKeyError) throw new UsageError(`--node-id: ${err.message}`);
    throw err;
  }
  if (nodeId.includes('/') || Buffer.byteLength(nodeId) > MAX_NODE_ID_BYTES) throw new UsageError(`--node-id: ${JSON.stringify(nodeId)} must be one path segment of at most ${MAX_NODE_ID_BYTES} bytes`);
  return nodeId;
}

async function openStore(values: Record<string, string | boolean>): Promise<ObjectStore> {
  const kind = oneOf(String(values['object-store']), 'object-store', ['file', 'memory', 's3']);
  if (kind === 'memory') return new MemoryObjectStore();
  if (kind === 'file') return LocalObjectStore.open({ root: String(values['data-dir']) });
  if (kind === 's3') {
    const bucket = String(values.bucket);
    if (bucket === '') throw new UsageError('--object-store s3 needs --bucket (or INFLUXDB3_BUCKET)');
    const accessKeyId = String(values['aws-access-key-id']);
    const secretAccessKey = String(values['aws-secret-access-key']);
    if ((accessKeyId === '') !== (secretAccessKey === '')) throw new UsageError('--aws-access-key-id and --aws-secret-access-key go together');
    const endpoint = String(values['aws-endpoint']);
    const prefix = String(values['object-store-prefix']);
    const sessionToken = String(values['aws-session-token']);
    // Loaded only here: the AWS SDK takes a third of a second to import, which every start paid.
    const { S3ObjectStore } = await import('../objectstore/s3.js');
    try {
      return new S3ObjectStore({
        bucket,
        region: String(values['aws-default-region']),
        allowHttp: values['aws-allow-http'] === true,
        ...(endpoint === '' ? {} : { endpoint }),
        ...(prefix === '' ? {} : { prefix }),
        ...(accessKeyId === '' ? {} : { accessKeyId, secretAccessKey }),
        ...(sessionToken === '' ? {} : { sessionToken }),
      });
    } catch (err) {
      if (err instanceof ObjectStoreError) throw new UsageError(err.message);
      throw err;
    }
  }
  throw new UsageError(`--object-store: expected file, memory or s3, got ${JSON.stringify(kind)}`);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '::1' || host.startsWith('127.');
}

/** The WAL config from the serve flags; every value checked, an error names its flag. */
function walConfigOf(values: Record<string, string | boolean>): Partial<WalConfig> {
  // A closed list, not parseGen1Duration alone: its `in` check also accepts `constructor`.
  const gen1 = oneOf(String(values['gen1-duration']), 'gen1-duration', ['1m', '5m', '10m']);
  const wal: Partial<WalConfig> = {
    flushIntervalMs: durationMs(String(values['wal-flush-interval']), 'wal-flush-interval', 1),
    flushSizeBytes: int(String(values['wal-flush-size']), 'wal-flush-size', 1),
    snapshotSize: int(String(values['wal-snapshot-size']), 'wal-snapshot-size', 1),
    maxWriteBufferSize: int(String(values['wal-max-write-buffer-size']), 'wal-max-write-buffer-size', 1),
    gen1Duration: parseGen1Duration(gen1),
    snapshottedWalFilesToKeep: int(String(values['snapshotted-wal-files-to-keep']), 'snapshotted-wal-files-to-keep'),
    ...(values['wal-replay-concurrency-limit'] === '' ? {} : { replayConcurrencyLimit: int(String(values['wal-replay-concurrency-limit']), 'wal-replay-concurrency-limit', 1) }),
  };
  try {
    resolveWalConfig(wal);
  } catch (err) {
    if (err instanceof InvalidWalConfigError) throw new UsageError(err.message);
    throw err;
  }
  return wal;
}

/** `host:port` of --http-bind; a bare host listens on 8181. */
function bindOf(bind: string): { host: string; port: number } {
  const colon = bind.lastIndexOf(':');
  const host = colon < 0 ? bind : bind.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = colon < 0 ? 8181 : int(bind.slice(colon + 1), 'http-bind', 0, 65535);
  if (host !== 'localhost' && isIP(host) === 0) throw new UsageError(`--http-bind: ${JSON.stringify(host)} is not an IP address`);
  return { host, port };
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use (is another server running?)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this machine',
};

/** The replay's progress as /health shows it while the port is bound and the WAL replays. */
function replayProgressText(p: ReplayProgress): string {
  return `replaying WAL: ${p.filesDone}/${p.filesTotal} WAL files, ${p.opsApplied} ops, ${p.bytesRead} bytes`;
}

async function serve(argv: string[]): Promise<void> {
  // Every flag is checked before anything is opened: a mistake costs no replay.
  const { values } = parse('serve', argv);
  const logFormat = oneOf(String(values['log-format']), 'log-format', ['', ...LOG_FORMATS]);
  const logLevel = oneOf(String(values['log-level']), 'log-level', LOG_LEVELS);
  const bind = String(values['http-bind']);
  const { host, port } = bindOf(bind);
  const nodeId = nodeIdOf(values);
  const wal = walConfigOf(values);
  const queryTimeoutMs = durationMs(String(values['query-timeout']), 'query-timeout', 1);
  const maxRequestBytes = int(String(values['max-http-request-size']), 'max-http-request-size', 1);
  const maxWriteBytesInFlight = int(String(values['max-write-bytes-in-flight']), 'max-write-bytes-in-flight', 1);
  const writeWorkers = values['write-workers'] === '' ? (availableParallelism() > 1 ? 1 : 0) : int(String(values['write-workers']), 'write-workers');
  const queryMemoryLimit = String(values['query-memory-limit']);
  if (queryMemoryLimit !== '' && !/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(queryMemoryLimit)) throw new UsageError(`--query-memory-limit: expected a size such as 512MB or 2GB, got ${JSON.stringify(queryMemoryLimit)}`);
  const limits = {
    maxConcurrentQueries: values['max-concurrent-queries'] === '' ? Math.max(1, Math.floor(availableParallelism() / 2)) : int(String(values['max-concurrent-queries']), 'max-concurrent-queries', 1),
    maxQueuedQueries: int(String(values['max-queued-queries']), 'max-queued-queries'),
    queryQueueTimeoutMs: durationMs(String(values['query-queue-timeout']), 'query-queue-timeout', 1),
    maxQueryResultBytes: int(String(values['max-query-result-bytes']), 'max-query-result-bytes', 1),
    maxQueryTextBytes: int(String(values['max-query-text-bytes']), 'max-query-text-bytes', 1),
    bodyReadTimeoutMs: durationMs(String(values['http-body-timeout']), 'http-body-timeout', 1),
    minBodyBytesPerSecond: int(String(values['min-body-rate']), 'min-body-rate'),
    corsAllowedOrigins: String(values['cors-allowed-origins']).split(',').map((o) => o.trim()).filter((o) => o !== ''),
  };
  // Each running query keeps its calling thread and the engine's workers busy: leave a core for
  // the write path (the event loop, the WAL's I/O), or a busy engine would double write latency.
  const queryThreads = values['query-threads'] === '' ? Math.max(1, availableParallelism() - limits.maxConcurrentQueries) : int(String(values['query-threads']), 'query-threads', 1);
  const retentionCheckIntervalMs = durationMs(String(values['retention-check-interval']), 'retention-check-interval', 1000);
  const compactionFlag = String(values.compaction);
  if (compactionFlag !== 'on' && compactionFlag !== 'off') throw new UsageError(`--compaction: expected on or off, got ${JSON.stringify(compactionFlag)}`);
  const compactionColdMarginMs = durationMs(String(values['compaction-cold-margin']), 'compaction-cold-margin');
  const compactionWarmHourMaxFiles = int(String(values['compaction-warm-hour-files']), 'compaction-warm-hour-files');
  const forceSnapshotBytes = values['force-snapshot-mem-threshold'] === '' ? undefined : int(String(values['force-snapshot-mem-threshold']), 'force-snapshot-mem-threshold', 1);
  const parquetMemCacheBytes = values['disable-parquet-mem-cache'] === true ? 0 : bytesOrPercentOfRam(String(values['parquet-mem-cache-size']), 'parquet-mem-cache-size');
  const mode = oneOf(String(values.mode), 'mode', ['ingest', 'query', 'all']) as NodeMode;
  const clusterId = String(values['cluster-id']);
  if (clusterId !== '') {
    try {
      validateClusterId(clusterId);
    } catch (err) {
      throw new UsageError(`--cluster-id: ${(err as Error).message}`);
    }
  }
  const readFromNodeIds = String(values['read-from-node-ids']).split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (mode !== 'query' && readFromNodeIds.length > 0) throw new UsageError('--read-from-node-ids is for --mode query');
  if (mode === 'query' && readFromNodeIds.length === 0 && clusterId === '') throw new UsageError('--mode query follows ingest nodes: pass --read-from-node-ids or --cluster-id');
  for (const id of readFromNodeIds) if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new UsageError(`--read-from-node-ids: ${JSON.stringify(id)} is not a node id`);
  const replicationIntervalMs = durationMs(String(values['replication-interval']), 'replication-interval', 1);
  const registryIntervalMs = durationMs(String(values['registry-interval']), 'registry-interval', 1);
  const fileDeleteDelayMs = values['file-delete-delay'] === '' ? (mode === 'ingest' ? 60_000 : 0) : durationMs(String(values['file-delete-delay']), 'file-delete-delay', 0);
  const withoutAuth = values['without-auth'] === true;
  const skipStoreProbe = values['unsafe-skip-store-probe'] === true;
  const logger = createLogger(logFormat, logLevel);

  const store = await openStore(values);
  let server: SluiceServer | undefined;
  let db: SluiceDatabase | undefined;
  let heartbeat: NodeHeartbeat | undefined;
  try {
    if (skipStoreProbe) {
      logger.warn({ objectStore: store.description }, 'UNSAFE: --unsafe-skip-store-probe: the store is not checked for create-only puts; if it ignores them, a second writer can overwrite acknowledged WAL files');
    } else {
      try {
        await probeConditionalPut(store, `${nodeId}/probe`);
      } catch (err) {
        if (err instanceof UnsafeStoreError) throw new UsageError(`${err.message}. Sluice's fencing needs conditional puts (If-None-Match: *); refusing to start. Use a store that honours them, or pass --unsafe-skip-store-probe to run anyway and risk losing acknowledged writes.`);
        throw err;
      }
    }
    const tokens = await TokenStore.open(store, nodeId);
    if (!isLoopback(host) && tokens.count === 0 && !withoutAuth) {
      throw new UsageError(`refusing to serve on ${host} without authentication: create a token (sluice create token --admin) or pass --without-auth`);
    }
    if (withoutAuth && tokens.count > 0) {
      logger.warn({ tokens: tokens.names }, `--without-auth: the ${tokens.count} existing token${tokens.count === 1 ? ' is' : 's are'} ignored; every request is served without authentication`);
    }
    logger.info({ nodeId, objectStore: store.description, bind, wal }, 'starting');

    // The port is bound before the WAL is replayed: a taken port fails now, not after a long
    // replay, and meanwhile /health answers 503 with the replay's progress.
    // The last resort: whatever escapes a request's error path (a bug) is logged, and the
    // server goes on serving every other client instead of exiting.
    process.on('uncaughtException', (err) => logger.error({ err }, 'uncaught exception (a bug): logged, the server goes on'));
    process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection (a bug): logged, the server goes on'));
    // On a loopback bind only loopback Host names are answered (DNS rebinding); see docs/security.md.
    server = new SluiceServer({ db: undefined, tokens: withoutAuth ? undefined : tokens, maxRequestBytes, maxWriteBytesInFlight, logger, ...limits, loopbackHostsOnly: isLoopback(host) });
    let address;
    try {
      address = await server.listen(host, port);
    } catch (err) {
      const code = typeof err === 'object' && err !== null ? String((err as { code?: unknown }).code ?? '') : '';
      throw new CommandError(`cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}: ${LISTEN_ERRORS[code] ?? (err as Error).message}`, { cause: err });
    }
    const where = `${address.address}:${address.port}`;
    logger.info({ address: where }, 'port bound; replaying the WAL before serving');
    const startedMs = performance.now();
    let loggedAtMs = 0;
    const startingServer = server;
    startingServer.setStartupProgress('loading the catalog and snapshots');
    if (mode === 'query') {
      db = await SluiceDatabase.openReplica({
        store,
        nodeId,
        followNodeIds: readFromNodeIds,
        ...(clusterId === '' ? {} : { clusterId }),
        replicationIntervalMs,
        registryIntervalMs,
        wal,
        logger,
        queryTimeoutMs,
        queryThreads,
        retentionCheckIntervalMs,
        ...(queryMemoryLimit === '' ? {} : { queryMemoryLimit }),
        parquetMemCacheBytes,
      });
    } else {
      db = await SluiceDatabase.open({
        store,
        nodeId,
        wal,
        logger,
        queryTimeoutMs,
        queryThreads,
        skipStoreProbe: true, // probed above, before anything else touched the store
        writeWorkers,
        retentionCheckIntervalMs,
        compaction: compactionFlag === 'on',
        fileDeleteDelayMs,
        compactionColdMarginMs,
        compactionWarmHourMaxFiles,
        ...(queryMemoryLimit === '' ? {} : { queryMemoryLimit }),
        ...(forceSnapshotBytes === undefined ? {} : { forceSnapshotBytes }),
        parquetMemCacheBytes,
        onReplayProgress: (p) => {
          startingServer.setStartupProgress(replayProgressText(p));
          // One line a second at most: replay reports every file.
          const nowMs = performance.now();
          if (nowMs - loggedAtMs >= 1000 || p.filesDone === p.filesTotal) {
            loggedAtMs = nowMs;
            logger.info({ ...p }, 'replaying WAL');
          }
        },
      });
    }
    if (clusterId !== '') {
      const registered = db;
      heartbeat = new NodeHeartbeat({ store, clusterId, nodeId, mode, version: SLUICE_VERSION, gen1Duration: db.wal.getConfig().gen1Duration, clock: SYSTEM_CLOCK, intervalMs: registryIntervalMs * 10, logger, checkFence: () => registered.checkFence() });
      await heartbeat.start();
    }
    if (store instanceof LocalObjectStore && store.lastLockTakeover !== undefined) logger.warn({ lock: store.lastLockTakeover }, 'took over the lock of a writer that is gone');
    server.attach(db);
    logger.info({ address: where, auth: withoutAuth ? 'off (--without-auth)' : tokens.count > 0 ? 'on' : 'on once a token exists', startupMs: Math.round(performance.now() - startedMs) }, 'listening');
  } catch (err) {
    // Nothing was acknowledged yet: release the port, the database and the lock, then report
    // the error that stopped the start (a failure to clean up would only hide it).
    await server?.close(0).catch(() => undefined);
    await heartbeat?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
  assert(server !== undefined && db !== undefined);
  const running = { server, db };
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, final flush');
    try {
      // Stop accepting; flush at once so writes in flight are answered now, not at the next tick.
      const serverClosed = running.server.close();
      await running.db.wal.flushBuffer().catch(() => undefined);
      await serverClosed;
      await heartbeat?.stop();
      await running.db.close();
      await store.close();
      logger.info({}, 'stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function writeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse('write', argv);
  if (values.db === '') throw new UsageError('write: --db is required');
  const file = positionals[0] ?? '-';
  const body = file === '-' ? await readStdin() : await readFile(file);
  const url = new URL('/api/v3/write_lp', String(values.host));
  url.searchParams.set('db', String(values.db));
  url.searchParams.set('precision', String(values.precision));
  const res = await fetch(url, { method: 'POST', body, headers: authHeaders(values) });
  if (res.status !== 204) {
    console.error(`write failed: HTTP ${res.status}: ${await res.text()}`);
    process.exit(1);
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function queryCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse('query', argv);
  if (values.db === '') throw new UsageError('query: --db is required');
  const sql = positionals.join(' ');
  if (sql === '') throw new UsageError('query: give the SQL as an argument');
  const url = new URL('/api/v3/query_sql', String(values.host));
  url.searchParams.set('db', String(values.db));
  url.searchParams.set('q', sql);
  url.searchParams.set('format', String(values.format));
  const res = await fetch(url, { headers: authHeaders(values) });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) {
    console.error(`query failed: HTTP ${res.status}: ${bytes.toString('utf8')}`);
    process.exit(1);
  }
  process.stdout.write(bytes);
}

async function walFiles(path: string): Promise<string[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) throw new CommandError(`${path}: no such file or directory`, { cause: err });
    throw err;
  }
  if (!isDirectory) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith('.wal')).sort();
  return names.map((n) => join(path, n));
}

async function walInspect(argv: string[]): Promise<void> {
  const { values, positionals } = parse('wal inspect', argv);
  if (positionals.length === 0) throw new UsageError('wal inspect: give a WAL file or directory');
  const files = await walFiles(positionals[0]!);
  const walDir = files.length === 1 && files[0] === positionals[0] ? dirname(positionals[0]!) : positionals[0]!;
  const { lines, damaged } = await describeWalFiles(files, walDir, values.rows === true);
  for (const line of lines) console.log(line);
  if (damaged) process.exitCode = 1;
}

async function walVerify(argv: string[]): Promise<void> {
  const { positionals } = parse('wal verify', argv);
  if (positionals.length === 0) throw new UsageError('wal verify: give a WAL directory');
  let bad = 0;
  const files = await walFiles(positionals[0]!);
  for (const file of files) {
    try {
      decodeWalFile(await readFile(file), file);
    } catch (err) {
      bad++;
      console.log(`${file}: ${(err as Error).message}`);
    }
  }
  console.log(`${files.length} WAL files checked, ${bad} damaged`);
  if (bad > 0) process.exit(1);
}

async function snapshotsCommand(argv: string[]): Promise<void> {
  const { values } = parse('snapshots', argv);
  const store = await openStore(values);
  try {
    for (const line of await describeSnapshots(store, await listSnapshots(store, String(values['node-id'])))) console.log(line);
  } finally {
    await store.close();
  }
}

async function createToken(argv: string[]): Promise<void> {
  const { values } = parse('create token', argv);
  if (values.admin !== true) throw new UsageError('create token: only admin tokens exist so far: pass --admin');
  const store = await openStore(values);
  try {
    const tokens = await TokenStore.open(store, nodeIdOf(values));
    let token: string;
    try {
      token = await tokens.create(String(values.name), true);
    } catch (err) {
      if (err instanceof DuplicateTokenError) throw new CommandError(`${err.message}: pick another --name, or delete it first (sluice delete token --name ${err.tokenName})`);
      throw err;
    }
    console.log(`Token: ${token}\n\nStore it now: only its hash is kept, it cannot be shown again.\nUse it as: Authorization: Bearer ${token}`);
  } finally {
    await store.close();
  }
}

async function deleteToken(argv: string[]): Promise<void> {
  const { values } = parse('delete token', argv);
  const name = String(values.name);
  if (name === '') throw new UsageError('delete token: --name is required');
  const store = await openStore(values);
  try {
    const tokens = await TokenStore.open(store, nodeIdOf(values));
    try {
      await tokens.delete(name);
    } catch (err) {
      if (err instanceof UnknownTokenError) throw new CommandError(`${err.message}${tokens.count === 0 ? ': there are no tokens' : `; the tokens are: ${tokens.names.join(', ')}`}`);
      throw err;
    }
    console.log(`Deleted token ${JSON.stringify(name)}; a running server refuses it within a second.${tokens.count === 0 ? ' No tokens are left: a server on a loopback address now serves without authentication.' : ''}`);
  } finally {
    await store.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [first, second, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    console.log(help());
    return;
  }
  if (first === '--version') {
    console.log(SLUICE_VERSION);
    return;
  }
  const twoWord = `${first} ${second ?? ''}`;
  if (COMMANDS[twoWord] !== undefined) {
    if (twoWord === 'wal inspect') return walInspect(rest);
    if (twoWord === 'wal verify') return walVerify(rest);
    if (twoWord === 'create token') return createToken(rest);
    if (twoWord === 'delete token') return deleteToken(rest);
    if (twoWord === 'create database' || twoWord === 'show databases' || twoWord === 'delete database' || twoWord === 'create table' || twoWord === 'delete table') {
      const args = parse(twoWord, rest);
      try {
        console.log(await runManageCommand(twoWord, args));
      } catch (err) {
        if (err instanceof ManageUsageError) throw new UsageError(err.message);
        throw err;
      }
      return;
    }
  }
  const tail = second === undefined ? [] : [second, ...rest];
  switch (first) {
    case 'serve':
      return serve(tail);
    case 'write':
      return writeCommand(tail);
    case 'query':
      return queryCommand(tail);
    case 'snapshots':
      return snapshotsCommand(tail);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(argv.join(' '))} (sluice --help lists the commands)`);
  }
}

/** Whether the command line or the environment asks for `--log-level debug`. */
function isDebug(argv: string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--log-level=debug' || (argv[i] === '--log-level' && argv[i + 1] === 'debug')) return true;
  }
  return process.env[envName('log-level')] === 'debug';
}

/** An error's message on one line, with the cause's when the message does not already say it. */
function oneLineMessage(err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  if (cause !== undefined && !(err instanceof CommandError) && !message.includes(cause)) message += ` (${cause})`;
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

const args = process.argv.slice(2);
main(args).catch((err: unknown) => {
  process.stderr.write(`error: ${oneLineMessage(err)}\n`);
  if (isDebug(args) && err instanceof Error && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
