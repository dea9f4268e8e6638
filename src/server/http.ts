/**
 * The HTTP face of a Sluice database, on `node:http`: InfluxDB's v1 (`/write`), v2
 * (`/api/v2/write`) and v3 (`/api/v3/write_lp`) write APIs and v3 SQL (`/api/v3/query_sql`),
 * with InfluxDB 3's parameters, status codes and error bodies (see
 * `reference/influxdb3-wal.md` §6), plus `/health`, `/ping` and `/metrics`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import type { SluiceDatabase } from '../database/database.js';
import { QueryError } from '../query/errors.js';
import { formatResult, parseQueryFormat, type QueryFormat } from '../query/format.js';
import { BufferFullError, WalShutdownError, WalStoppedError } from '../wal/errors.js';
import { silentLogger, type WalLogger } from '../wal/notifier.js';
import { WriteError, type WriteLineError } from '../write/errors.js';
import type { Precision } from '../write/precision.js';
import type { WriteLpResult } from '../write/write-lp.js';
import { WriteWorkerLostError } from '../write/validate-pool.js';
import { parsePrecision } from '../write/precision.js';
import type { TokenStore } from './auth.js';
import { Metrics } from './metrics.js';
import { WriteAdmission } from './admission.js';
import { BodyTooLargeError, readBodyInto } from './body.js';

export const SLUICE_VERSION = '0.1.0';

export interface ServerOptions {
  db: SluiceDatabase;
  /** Largest request body, before and after gzip (default 10 MiB). */
  maxRequestBytes?: number;
  /** Tokens; undefined serves without authentication. */
  tokens?: TokenStore | undefined;
  logger?: WalLogger;
  /**
   * After this many WAL puts in a row failed (the WAL retries them for as long as it takes), the
   * server counts the WAL as degraded: new writes are refused with 503 before anything is
   * buffered, and `/health` answers 503. Default 3.
   */
  degradedAfterPutFailures?: number;
  /**
   * Longest a writer waits for its write to become durable (default 10 000 ms). Past it the
   * answer is 503 with an "outcome unknown" body: the write stays buffered and may still be
   * applied, so the client must treat it as indeterminate (re-sending the same points is safe:
   * writing a point again with the same fields changes nothing).
   */
  writeTimeoutMs?: number;
  /**
   * Write request bytes read and processed at once (default 8 MiB); more wait unread in their
   * sockets, up to `writeTimeoutMs`, then get 503 (nothing written). See WriteAdmission.
   */
  maxWriteBytesInFlight?: number;
}

type Api = 'v1' | 'v2' | 'v3';

/** An answer to send: status, body, content type, extra headers. */
/** A write that was buffered but not made durable in time: its outcome is unknown. */
class WriteOutcomeUnknownError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`write outcome unknown: not durable within ${timeoutMs} ms (the WAL may be failing); it may still be applied — re-sending the same points is safe`);
  }
}

/** Default of ServerOptions.maxWriteBytesInFlight. */
export const DEFAULT_MAX_WRITE_BYTES_IN_FLIGHT = 8 * 1024 * 1024;
/** What a write body of unknown size (chunked, gzip) counts for until it has been read. */
const UNKNOWN_BODY_BYTES = 1024 * 1024;

/** A request body's content encoding (lower case) and its Content-Length (NaN when absent). */
function declaredBody(req: IncomingMessage): { encoding: string; declared: number } {
  return { encoding: (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim(), declared: Number(req.headers['content-length'] ?? NaN) };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType = 'text/plain; charset=utf-8',
    readonly headers: Record<string, string> = {},
  ) {
    super(body);
  }
}

const json = (value: unknown) => JSON.stringify(value);

export class SluiceServer {
  readonly metrics: Metrics;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly maxBytes: number;
  private readonly logger: WalLogger;
  readonly degradedAfterPutFailures: number;
  readonly writeTimeoutMs: number;
  readonly admission: WriteAdmission;
  private closing = false;

  constructor(private readonly options: ServerOptions) {
    this.maxBytes = options.maxRequestBytes ?? 10 * 1024 * 1024;
    this.degradedAfterPutFailures = options.degradedAfterPutFailures ?? 3;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
    this.admission = new WriteAdmission(options.maxWriteBytesInFlight ?? DEFAULT_MAX_WRITE_BYTES_IN_FLIGHT);
    this.logger = options.logger ?? silentLogger;
    this.metrics = new Metrics(options.db, this.admission);
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens; resolves with the bound address (port 0 picks a free port). */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting, lets requests in flight finish (up to `graceMs`), closes idle connections. */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    res.setHeader('Request-Id', randomUUID());
    // While shutting down, every answer closes its connection so keep-alive clients let go.
    if (this.closing) res.setHeader('Connection', 'close');
    res.on('finish', () => {
      if (this.closing) setImmediate(() => this.server.closeIdleConnections());
    });
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', 'Access-Control-Allow-Headers': '*', 'Access-Control-Max-Age': '86400' });
        res.end();
        return;
      }
      const route = ROUTES[path];
      if (route === undefined) throw new HttpError(404, 'Not found');
      if (!route.methods.includes(req.method ?? '')) throw new HttpError(405, `method ${req.method} not allowed on ${path}`);
      if (this.options.tokens !== undefined && !route.public) await this.authenticate(req, url, route.api);
      await route.handler(this, req, res, url);
    } catch (err) {
      this.fail(res, err, ROUTES[path]?.api);
    } finally {
      this.metrics.observeRequest(path, res.statusCode, performance.now() - started);
    }
  }

  private fail(res: ServerResponse, err: unknown, api: Api | undefined): void {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else {
      this.logger.error({ err }, 'request failed');
      e = new HttpError(500, `internal error: ${(err as Error).message ?? String(err)}`);
    }
    // The v2 API answers every error as {code, message}.
    if (api === 'v2' && !e.contentType.startsWith('application/json')) e = v2Error(e.status, e.body, e.headers);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(e.status, { 'Content-Type': e.contentType, ...e.headers });
    res.end(e.body);
  }

  private async authenticate(req: IncomingMessage, url: URL, api: Api): Promise<void> {
    const token = tokenOf(req, url, api);
    if (token === undefined || !(await this.options.tokens!.verify(token))) {
      throw new HttpError(401, json({ error: 'the request was not authenticated' }), 'application/json');
    }
  }

  /** The request body: Content-Length and gzip bounded by the limit before more is read. */
  async readBody(req: IncomingMessage): Promise<Buffer> {
    const { encoding, declared } = declaredBody(req);
    if (encoding !== 'identity' && encoding !== 'gzip') {
      req.resume();
      throw new HttpError(400, `unacceptable content-encoding: ${encoding}`);
    }
    // Answer and close the connection: the rest of the body is never read.
    const tooLarge = () => new HttpError(413, `max request size (${this.maxBytes} bytes) exceeded`, 'text/plain; charset=utf-8', { Connection: 'close' });
    if (declared > this.maxBytes) throw tooLarge();
    const source = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
    try {
      // Inflated bytes are counted too: a gzip bomb stops at the limit.
      return await readBodyInto(source, encoding === 'gzip' ? NaN : declared, this.maxBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        if (source !== req) {
          req.unpipe(source as NodeJS.WritableStream);
          source.destroy();
        }
        throw tooLarge();
      }
      throw new HttpError(400, `could not read the request body: ${(err as Error).message}`);
    }
  }

  get db(): SluiceDatabase {
    return this.options.db;
  }

  /** Why the WAL cannot take writes now (stopped, shut down, or failing puts past the threshold), or undefined. */
  walTrouble(): string | undefined {
    const wal = this.db.wal.health();
    if (wal.state === 'stopped' || wal.state === 'shutdown') return `the WAL has ${wal.state}${wal.lastError === undefined ? '' : `: ${wal.lastError}`}`;
    if (wal.state === 'degraded' && wal.consecutivePutFailures >= this.degradedAfterPutFailures) {
      return `the WAL is degraded: ${wal.consecutivePutFailures} failed WAL puts in a row${wal.lastError === undefined ? '' : ` (${wal.lastError})`}, retrying`;
    }
    return undefined;
  }

  /** Waits for a write up to {@link writeTimeoutMs}; past it throws WriteOutcomeUnknownError (the write goes on). */
  async withWriteDeadline<T>(write: Promise<T>): Promise<T> {
    write.catch(() => undefined); // answered by the deadline: a later failure has no one to tell
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WriteOutcomeUnknownError(this.writeTimeoutMs)), this.writeTimeoutMs);
    });
    try {
      return await Promise.race([write, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function v2Error(status: number, message: string, headers: Record<string, string> = {}): HttpError {
  const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 404 ? 'not found' : status === 413 ? 'request too large' : status === 503 ? 'unavailable' : status >= 500 ? 'internal error' : 'invalid';
  return new HttpError(status, json({ code, message }), 'application/json', headers);
}

/** The token of a request: `Authorization: Bearer|Token <t>`, Basic (password part), or v1 `p=`. */
function tokenOf(req: IncomingMessage, url: URL, api: Api): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const parts = header.trim().split(/\s+/);
    if (parts.length !== 2) throw new HttpError(400, json({ error: 'Authorization header was malformed: expected "<scheme> <credentials>"' }), 'application/json');
    const [scheme, value] = parts as [string, string];
    const s = scheme.toLowerCase();
    if (s === 'bearer' || s === 'token') return value;
    if (s === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.lastIndexOf(':');
      if (colon < 0) throw new HttpError(400, json({ error: 'Authorization header was malformed: Basic credentials need user:token' }), 'application/json');
      return decoded.slice(colon + 1);
    }
    throw new HttpError(400, json({ error: `Authorization header was malformed: unknown scheme ${scheme}` }), 'application/json');
  }
  if (api === 'v1') return url.searchParams.get('p') ?? undefined;
  return undefined;
}

// ---- writes -----------------------------------------------------------------------------------

const V1_PRECISIONS: Record<string, Precision> = { n: 'ns', ns: 'ns', u: 'us', us: 'us', ms: 'ms', s: 's' };

async function write(server: SluiceServer, req: IncomingMessage, res: ServerResponse, url: URL, api: Api): Promise<void> {
  const q = url.searchParams;
  if (url.search === '' || url.search === '?') throw new HttpError(400, api === 'v2' ? "missing query parameter 'bucket'" : "missing query parameter 'db'");
  let db: string | null;
  let precision: Precision;
  let acceptPartial = false;
  let noSync = false;
  if (api === 'v3') {
    db = q.get('db');
    precision = parsePrecisionParam(q.get('precision') ?? 'auto');
    acceptPartial = parseBool(q.get('accept_partial'), true, 'accept_partial');
    noSync = parseBool(q.get('no_sync'), false, 'no_sync');
  } else if (api === 'v2') {
    db = q.get('bucket');
    precision = parsePrecisionParam(q.get('precision') ?? 'ns');
  } else {
    db = q.get('db');
    const rp = q.get('rp') ?? '';
    if (rp !== '' && rp !== 'autogen' && rp !== 'default') throw new HttpError(400, `retention policy ${JSON.stringify(rp)} is not supported: leave rp empty or use autogen`);
    const p = q.get('precision') ?? 'ns';
    const mapped = V1_PRECISIONS[p];
    if (mapped === undefined) throw new HttpError(400, `serde error: invalid precision ${JSON.stringify(p)}: expected n, ns, u, us, ms or s`);
    precision = mapped;
  }
  if (db === null || db === '') throw new HttpError(400, `serde error: missing field \`${api === 'v2' ? 'bucket' : 'db'}\``);
  // Admission by bytes, before the body is read: over the limit, it waits unread in its socket.
  const { encoding, declared } = declaredBody(req);
  let admitted = encoding === 'identity' && Number.isFinite(declared) ? declared : UNKNOWN_BODY_BYTES;
  if (!(await server.admission.acquire(admitted, server.writeTimeoutMs))) {
    throw new HttpError(503, `write refused, nothing was written: the server is busy (${server.admission.limitBytes} bytes of writes in flight, --max-write-bytes-in-flight); retry`, 'text/plain; charset=utf-8', { 'Retry-After': '1', Connection: 'close' });
  }
  let pending: Promise<WriteLpResult> | undefined;
  let result: WriteLpResult;
  try {
    const body = await server.readBody(req);
    if (body.length > admitted) {
      server.admission.charge(body.length - admitted);
      admitted = body.length;
    }
    if (!isUtf8(body)) throw new HttpError(400, 'the request body is not valid UTF-8');
    server.metrics.writeBytes += body.length;
    // A WAL that keeps failing refuses new writes at once (nothing is buffered: a definite "no"),
    // instead of letting them wait behind puts that do not succeed.
    const trouble = server.walTrouble();
    if (trouble !== undefined) throw new HttpError(503, `write refused, nothing was written: ${trouble}`, 'text/plain; charset=utf-8', { 'Retry-After': '5' });
    // The body is the server's own: a write worker may take its memory instead of a copy.
    pending = server.db.writer.writeLp(db, body, { precision, acceptPartial, noSync, detachBody: true });
    try {
      result = await server.withWriteDeadline(pending);
    } catch (err) {
      throw writeError(err, api);
    }
  } finally {
    // The bytes stay counted until the write itself settles, also past an answered deadline.
    const bytes = admitted;
    if (pending === undefined) server.admission.release(bytes);
    else void pending.then(() => server.admission.release(bytes), () => server.admission.release(bytes));
  }
  server.metrics.writeLines += result.lineCount;
  server.metrics.writeRejectedLines += result.invalidLines.length;
  if (result.invalidLines.length > 0) {
    const limit = result.invalidLines.some((e) => e.isLimit === true);
    throw new HttpError(limit ? 422 : 400, json({ error: 'partial write of line protocol occurred', data: result.invalidLines.map(lineErrorJson) }), 'application/json');
  }
  res.writeHead(204, { 'Access-Control-Allow-Origin': '*' });
  res.end();
}

function lineErrorJson(e: WriteLineError): { error_message: string; line_number: number; original_line: string } {
  return { error_message: e.errorMessage, line_number: e.lineNumber, original_line: truncateBytes(e.originalLine, 20) };
}

/** At most `max` UTF-8 bytes, cut at a character boundary. */
function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

function writeError(err: unknown, api: Api): HttpError {
  if (err instanceof WriteError) {
    if (err.code === 'PARSE' || err.code === 'LIMIT') {
      const first = err.lineErrors[0];
      const status = err.code === 'LIMIT' ? 422 : 400;
      if (api === 'v2') return v2Error(status, `write buffer error: line protocol parse failed: ${first === undefined ? err.message : `${first.errorMessage} (line ${first.lineNumber})`}`);
      return new HttpError(status, json({ error: 'line protocol parsing error', data: first === undefined ? null : lineErrorJson(first) }), 'application/json');
    }
    return new HttpError(400, err.message);
  }
  if (err instanceof WriteOutcomeUnknownError) return new HttpError(503, err.message, 'text/plain; charset=utf-8', { 'Retry-After': '5' });
  if (err instanceof BufferFullError) return new HttpError(503, `write buffer full, retry later: ${err.message}`, 'text/plain; charset=utf-8', { 'Retry-After': '1' });
  if (err instanceof WriteWorkerLostError) return new HttpError(503, err.message, 'text/plain; charset=utf-8', { 'Retry-After': '1' });
  if (err instanceof WalStoppedError || err instanceof WalShutdownError) return new HttpError(503, `write buffer error: error from wal: ${err.message}`);
  if (err instanceof Error && err.name === 'CatalogError') return new HttpError(400, err.message);
  return new HttpError(500, `write buffer error: ${(err as Error).message ?? String(err)}`);
}

function parsePrecisionParam(value: string): Precision {
  try {
    return parsePrecision(value);
  } catch (err) {
    throw new HttpError(400, `serde error: ${(err as Error).message}`);
  }
}

function parseBool(value: string | null, fallback: boolean, name: string): boolean {
  if (value === null || value === '') return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new HttpError(400, `serde error: ${name} must be true or false, got ${JSON.stringify(value)}`);
}

// ---- queries ----------------------------------------------------------------------------------

const CONTENT_TYPES: Record<QueryFormat, string> = {
  json: 'application/json',
  jsonl: 'application/jsonl',
  csv: 'text/csv; charset=utf-8',
  pretty: 'text/plain; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

function formatFromAccept(accept: string | undefined): QueryFormat {
  if (accept === undefined || accept === '') return 'json';
  const a = accept.toLowerCase();
  if (a.includes('application/vnd.apache.parquet')) return 'parquet';
  if (a.includes('text/csv')) return 'csv';
  if (a.includes('text/plain')) return 'pretty';
  if (a.includes('application/json') || a.includes('*/*') || a.includes('text/html')) return 'json';
  throw new HttpError(400, `unsupported Accept header ${JSON.stringify(accept)}: use format=json|jsonl|csv|pretty|parquet`);
}

/** Query parameters from JSON: integers become BIGINTs, everything else as JSON gives it. */
function queryParams(value: unknown): DuckDBValue[] | Record<string, DuckDBValue> | undefined {
  if (value === undefined || value === null) return undefined;
  const convert = (v: unknown): DuckDBValue => {
    if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
    if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
    throw new HttpError(400, `query parameter values must be strings, numbers, booleans or null, got ${JSON.stringify(v)}`);
  };
  if (Array.isArray(value)) return value.map(convert);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
  throw new HttpError(400, 'params must be a JSON object or array');
}

async function querySql(server: SluiceServer, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let db: unknown;
  let sql: unknown;
  let format: unknown;
  let params: unknown;
  if (req.method === 'POST') {
    const body = await server.readBody(req);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
    }
    ({ db, q: sql, format, params } = parsed);
  } else {
    const p = url.searchParams;
    db = p.get('db') ?? undefined;
    sql = p.get('q') ?? undefined;
    format = p.get('format') ?? undefined;
    const raw = p.get('params');
    if (raw !== null) {
      try {
        params = JSON.parse(raw);
      } catch (err) {
        throw new HttpError(400, `params is not valid JSON: ${(err as Error).message}`);
      }
    }
  }
  if (typeof db !== 'string' || db === '') throw new HttpError(400, "missing query parameter 'db'");
  if (typeof sql !== 'string' || sql === '') throw new HttpError(400, "missing query parameter 'q'");
  let fmt: QueryFormat;
  try {
    fmt = typeof format === 'string' && format !== '' ? parseQueryFormat(format) : formatFromAccept(req.headers.accept);
  } catch (err) {
    if (err instanceof QueryError) throw new HttpError(400, err.message);
    throw err;
  }
  const bound = queryParams(params);
  const started = performance.now();
  try {
    if (fmt === 'parquet') {
      const path = join(server.db.scratchDirectory, `query-${randomUUID()}.parquet`);
      try {
        await server.db.query.queryToParquet(db, sql, path, bound);
        const bytes = await readFile(path);
        res.writeHead(200, { 'Content-Type': CONTENT_TYPES.parquet, 'Access-Control-Allow-Origin': '*' });
        res.end(bytes);
      } finally {
        await rm(path, { force: true });
      }
    } else {
      const result = await server.db.query.query(db, sql, bound);
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[fmt], 'Access-Control-Allow-Origin': '*' });
      res.end(formatResult(result, fmt));
    }
    server.metrics.queries++;
  } catch (err) {
    server.metrics.queryErrors++;
    if (err instanceof QueryError) throw queryError(err);
    throw err;
  } finally {
    server.metrics.queryMs += performance.now() - started;
  }
}

function queryError(err: QueryError): HttpError {
  switch (err.code) {
    case 'DATABASE_NOT_FOUND':
      return new HttpError(404, json({ error: err.message }), 'application/json');
    case 'INVALID_QUERY':
    case 'NOT_READ_ONLY':
    case 'INVALID_FORMAT':
      return new HttpError(400, json({ error: err.message }), 'application/json');
    case 'TIMEOUT':
      return new HttpError(408, json({ error: err.message }), 'application/json');
    case 'RESOURCES_EXHAUSTED':
      return new HttpError(503, json({ error: err.message }), 'application/json', { 'Retry-After': '5' });
    default:
      return new HttpError(500, json({ error: err.message }), 'application/json');
  }
}

// ---- server information ----------------------------------------------------------------------

function health(server: SluiceServer, _req: IncomingMessage, res: ServerResponse): void {
  const trouble = server.walTrouble();
  if (trouble !== undefined) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`unhealthy: ${trouble}`);
    return;
  }
  const wal = server.db.wal.health();
  const snapshots = server.db.persister.stats;
  // Failing snapshot puts do not endanger acknowledged writes (the WAL keeps them), but the
  // buffer and the WAL grow until they succeed: say so.
  const notes: string[] = [];
  if (wal.state === 'degraded') notes.push(`${wal.consecutivePutFailures} failed WAL puts in a row, retrying`);
  if (snapshots.consecutivePutFailures > 0) notes.push(`${snapshots.consecutivePutFailures} failed snapshot puts in a row, retrying${snapshots.lastPutError === undefined ? '' : ` (${snapshots.lastPutError})`}`);
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Access-Control-Allow-Origin': '*' });
  res.end(notes.length > 0 ? `OK (degraded: ${notes.join('; ')})` : 'OK');
}

function ping(_server: SluiceServer, _req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'X-Influxdb-Build': 'Sluice',
    'X-Influxdb-Version': SLUICE_VERSION,
    'Access-Control-Allow-Origin': '*',
  });
  res.end(json({ product_name: 'Sluice', version: SLUICE_VERSION, revision: '', process_id: String(process.pid) }));
}

function metrics(server: SluiceServer, _req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  res.end(server.metrics.render());
}

interface Route {
  methods: string[];
  api: Api;
  /** Answered without a token (only /health and /ping: liveness probes). */
  public?: boolean;
  handler: (server: SluiceServer, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;
}

const ROUTES: Record<string, Route> = {
  '/api/v3/write_lp': { methods: ['POST'], api: 'v3', handler: (s, req, res, url) => write(s, req, res, url, 'v3') },
  '/api/v2/write': { methods: ['POST'], api: 'v2', handler: (s, req, res, url) => write(s, req, res, url, 'v2') },
  '/write': { methods: ['POST'], api: 'v1', handler: (s, req, res, url) => write(s, req, res, url, 'v1') },
  '/api/v3/query_sql': { methods: ['GET', 'POST'], api: 'v3', handler: querySql },
  '/health': { methods: ['GET'], api: 'v3', public: true, handler: health },
  '/api/v1/health': { methods: ['GET'], api: 'v3', public: true, handler: health },
  '/ping': { methods: ['GET', 'POST', 'HEAD'], api: 'v3', public: true, handler: ping },
  '/metrics': { methods: ['GET'], api: 'v3', handler: metrics },
};
