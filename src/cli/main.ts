#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * The `sluice` command: `serve`, `write`, `query`, `wal inspect`, `wal verify`, `snapshots`,
 * `create token`. Flags follow InfluxDB 3's names; each also reads `SLUICE_<FLAG>` from the
 * environment (`--wal-flush-interval` ↔ `SLUICE_WAL_FLUSH_INTERVAL`).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SluiceDatabase, listSnapshots } from '../database/database.js';
import { LocalObjectStore } from '../objectstore/local.js';
import { MemoryObjectStore } from '../objectstore/memory.js';
import { ObjectStoreError, UnsafeStoreError } from '../objectstore/errors.js';
import { probeConditionalPut } from '../objectstore/probe.js';
import type { ObjectStore } from '../objectstore/types.js';
import { TokenStore } from '../server/auth.js';
import { SLUICE_VERSION, SluiceServer } from '../server/http.js';
import { decodeWalFile } from '../wal/codec.js';
import { chunkRows } from '../wal/model.js';
import { createLogger } from './logger.js';

interface FlagSpec {
  type: 'string' | 'boolean';
  default?: string;
  help: string;
  /** Environment variables read after SLUICE_<FLAG>, in order (the AWS ones for S3). */
  env?: string[];
}

const STORE_FLAGS: Record<string, FlagSpec> = {
  'node-id': { type: 'string', default: 'sluice-node', help: 'identifies this writer; the prefix of every object it writes' },
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
  'force-snapshot-mem-threshold': { type: 'string', default: '', help: 'buffered bytes that force a snapshot (default 50% of RAM)' },
  'max-http-request-size': { type: 'string', default: '10485760', help: 'largest request body in bytes, before and after gzip' },
  'max-write-bytes-in-flight': { type: 'string', default: '8388608', help: 'write request bytes read and processed at once; more wait unread' },
  'query-memory-limit': { type: 'string', default: '', help: "the SQL engine's memory limit, e.g. 2GB (default 80% of RAM)" },
  'query-timeout': { type: 'string', default: '30s', help: 'longest a query may run' },
  'write-workers': { type: 'string', default: '', help: 'threads that parse and validate write bodies of 64 KiB and more (default 1 with 2+ cores, else 0)' },
  'without-auth': { type: 'boolean', help: 'serve without tokens even on a non-loopback address' },
  'log-format': { type: 'string', default: '', help: 'json | pretty (default: pretty on a terminal, else json)' },
  'log-level': { type: 'string', default: 'info', help: 'debug | info | warn | error' },
};

const CLIENT_FLAGS: Record<string, FlagSpec> = {
  host: { type: 'string', default: 'http://127.0.0.1:8181', help: 'the server URL' },
  token: { type: 'string', default: '', help: 'an API token (Authorization: Bearer)' },
  db: { type: 'string', default: '', help: 'the database' },
};

const COMMANDS: Record<string, { summary: string; usage: string; flags: Record<string, FlagSpec> }> = {
  serve: { summary: 'run the HTTP server', usage: 'sluice serve [flags]', flags: SERVE_FLAGS },
  write: { summary: 'write line protocol from a file or stdin', usage: 'sluice write --db <db> [--precision p] [file|-]', flags: { ...CLIENT_FLAGS, precision: { type: 'string', default: 'auto', help: 'auto | s | ms | us | ns' } } },
  query: { summary: 'run a SQL query', usage: 'sluice query --db <db> [--format pretty] "<sql>"', flags: { ...CLIENT_FLAGS, format: { type: 'string', default: 'pretty', help: 'json | jsonl | csv | pretty | parquet' } } },
  'wal inspect': { summary: 'decode WAL files: header, checksum, ops', usage: 'sluice wal inspect <file|dir> [--rows]', flags: { rows: { type: 'boolean', help: 'print every row' } } },
  'wal verify': { summary: 'check every WAL file of a directory; exit 1 on damage', usage: 'sluice wal verify <dir>', flags: {} },
  snapshots: { summary: 'list snapshot manifests and their Parquet files', usage: 'sluice snapshots [--data-dir d] [--node-id n]', flags: STORE_FLAGS },
  'create token': { summary: 'create an API token and print it once', usage: 'sluice create token --admin [--name n]', flags: { ...STORE_FLAGS, admin: { type: 'boolean', help: 'an admin token (the only kind so far)' }, name: { type: 'string', default: '_admin', help: "the token's name" } } },
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
    throw new UsageError(`${(err as Error).message}\n\n${help(command)}`);
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

class UsageError extends Error {}

function durationMs(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (m === null) throw new UsageError(`--${flag}: invalid duration ${JSON.stringify(value)} (use e.g. 500ms, 1s, 1m)`);
  const n = Number(m[1]);
  return Math.round(m[2] === 's' || m[2] === undefined ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

function int(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${flag}: expected a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

async function openStore(values: Record<string, string | boolean>): Promise<ObjectStore> {
  const kind = String(values['object-store']);
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

async function serve(argv: string[]): Promise<void> {
  const { values } = parse('serve', argv);
  const logger = createLogger(String(values['log-format']), String(values['log-level']));
  const bind = String(values['http-bind']);
  const colon = bind.lastIndexOf(':');
  const host = colon < 0 ? bind : bind.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = colon < 0 ? 8181 : int(bind.slice(colon + 1), 'http-bind');
  if (host !== 'localhost' && isIP(host) === 0) throw new UsageError(`--http-bind: ${JSON.stringify(host)} is not an IP address`);
  const nodeId = String(values['node-id']);
  const store = await openStore(values);
  const skipStoreProbe = values['unsafe-skip-store-probe'] === true;
  if (skipStoreProbe) {
    logger.warn({ objectStore: store.description }, 'UNSAFE: --unsafe-skip-store-probe: the store is not checked for create-only puts; if it ignores them, a second writer can overwrite acknowledged WAL files');
  } else {
    try {
      await probeConditionalPut(store, `${nodeId}/probe`);
    } catch (err) {
      await store.close();
      if (err instanceof UnsafeStoreError) throw new UsageError(`${err.message}. Sluice's fencing needs conditional puts (If-None-Match: *); refusing to start. Use a store that honours them, or pass --unsafe-skip-store-probe to run anyway and risk losing acknowledged writes.`);
      throw err;
    }
  }
  const tokens = await TokenStore.open(store, nodeId);
  const withoutAuth = values['without-auth'] === true;
  if (!isLoopback(host) && tokens.count === 0 && !withoutAuth) {
    await store.close();
    throw new UsageError(`refusing to serve on ${host} without authentication: create a token (sluice create token --admin) or pass --without-auth`);
  }
  const wal = {
    flushIntervalMs: durationMs(String(values['wal-flush-interval']), 'wal-flush-interval'),
    flushSizeBytes: int(String(values['wal-flush-size']), 'wal-flush-size'),
    snapshotSize: int(String(values['wal-snapshot-size']), 'wal-snapshot-size'),
    maxWriteBufferSize: int(String(values['wal-max-write-buffer-size']), 'wal-max-write-buffer-size'),
    gen1Duration: String(values['gen1-duration']) as '1m' | '5m' | '10m',
    snapshottedWalFilesToKeep: int(String(values['snapshotted-wal-files-to-keep']), 'snapshotted-wal-files-to-keep'),
    ...(values['wal-replay-concurrency-limit'] === '' ? {} : { replayConcurrencyLimit: int(String(values['wal-replay-concurrency-limit']), 'wal-replay-concurrency-limit') }),
  };
  logger.info({ nodeId, objectStore: store.description, bind, wal }, 'starting');
  const db = await SluiceDatabase.open({
    store,
    nodeId,
    wal,
    logger,
    queryTimeoutMs: durationMs(String(values['query-timeout']), 'query-timeout'),
    skipStoreProbe: true, // probed above, before anything else touched the store
    writeWorkers: values['write-workers'] === '' ? (availableParallelism() > 1 ? 1 : 0) : int(String(values['write-workers']), 'write-workers'),
    ...(values['query-memory-limit'] === '' ? {} : { queryMemoryLimit: String(values['query-memory-limit']) }),
    ...(values['force-snapshot-mem-threshold'] === '' ? {} : { forceSnapshotBytes: int(String(values['force-snapshot-mem-threshold']), 'force-snapshot-mem-threshold') }),
    onReplayProgress: (p) => logger.info({ ...p }, 'replaying WAL'),
  });
  const server = new SluiceServer({ db, tokens: withoutAuth || tokens.count === 0 ? undefined : tokens, maxRequestBytes: int(String(values['max-http-request-size']), 'max-http-request-size'), maxWriteBytesInFlight: int(String(values['max-write-bytes-in-flight']), 'max-write-bytes-in-flight'), logger });
  const address = await server.listen(host, port);
  logger.info({ address: `${address.address}:${address.port}`, auth: !withoutAuth && tokens.count > 0 }, 'listening');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, final flush');
    try {
      // Stop accepting; flush at once so writes in flight are answered now, not at the next tick.
      const serverClosed = server.close();
      await db.wal.flushBuffer().catch(() => undefined);
      await serverClosed;
      await db.close();
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

function authHeaders(values: Record<string, string | boolean>): Record<string, string> {
  return values.token === '' ? {} : { Authorization: `Bearer ${String(values.token)}` };
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
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith('.wal')).sort();
  return names.map((n) => join(path, n));
}

async function walInspect(argv: string[]): Promise<void> {
  const { values, positionals } = parse('wal inspect', argv);
  if (positionals.length === 0) throw new UsageError('wal inspect: give a WAL file or directory');
  for (const file of await walFiles(positionals[0]!)) {
    const bytes = await readFile(file);
    try {
      const { header, contents } = decodeWalFile(bytes, file);
      const ops = contents.ops.map((op) => (op.kind === 'write' ? `write db=${op.batch.databaseName} tables=${op.batch.tableChunks.size} rows=${[...op.batch.tableChunks.values()].reduce((n, t) => n + [...t.chunkTimeToChunk.values()].reduce((m, c) => m + c.rowCount, 0), 0)}` : op.kind === 'catalog' ? `catalog db=${op.batch.databaseName} ops=${op.batch.ops.map((o) => o.kind).join(',')}` : 'noop'));
      console.log(`${file}: ok, ${bytes.length} bytes, node ${header.nodeId}, epoch ${header.writerEpoch}, sequence ${contents.walFileNumber}, ${contents.ops.length} ops${contents.snapshot === undefined ? '' : `, snapshot ${contents.snapshot.snapshotSequenceNumber} (WAL ${contents.snapshot.firstWalSequenceNumber}..${contents.snapshot.lastWalSequenceNumber}, end ${contents.snapshot.endTimeMarkerNs})`}`);
      for (const op of ops) console.log(`  ${op}`);
      if (values.rows === true) {
        for (const op of contents.ops) {
          if (op.kind !== 'write') continue;
          for (const [tableId, t] of op.batch.tableChunks) {
            for (const chunk of t.chunkTimeToChunk.values()) {
              for (const row of chunkRows(chunk)) console.log(`    table ${tableId} time=${row.timeNs} ${row.fields.map((f) => `${f.columnId}=${String(f.value)}`).join(' ')}`);
            }
          }
        }
      }
    } catch (err) {
      console.log(`${file}: DAMAGED: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  }
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
    for (const m of await listSnapshots(store, String(values['node-id']))) {
      console.log(`snapshot ${m.snapshotSequenceNumber}: WAL ≤ ${m.walFileSequenceNumber}, ${m.files.length} files, ${m.files.reduce((n, f) => n + f.rowCount, 0)} rows, catalog ${m.catalogKey}${m.forced ? ', forced' : ''}`);
      for (const f of m.files) console.log(`  ${f.key}  db ${f.dbId} table ${f.tableId}  ${f.rowCount} rows  ${f.sizeBytes} bytes  time ${f.minTimeNs}..${f.maxTimeNs}`);
    }
  } finally {
    await store.close();
  }
}

async function createToken(argv: string[]): Promise<void> {
  const { values } = parse('create token', argv);
  if (values.admin !== true) throw new UsageError('create token: only admin tokens exist so far: pass --admin');
  const store = await openStore(values);
  try {
    const tokens = await TokenStore.open(store, String(values['node-id']));
    const token = await tokens.create(String(values.name), true);
    console.log(`Token: ${token}\n\nStore it now: only its hash is kept, it cannot be shown again.\nUse it as: Authorization: Bearer ${token}`);
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
      throw new UsageError(`unknown command ${JSON.stringify(argv.join(' '))}\n\n${help()}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof UsageError ? `sluice: ${err.message}` : err);
  process.exit(2);
});
