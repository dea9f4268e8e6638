/**
 * The HTTP face of a Sluice database, on `node:http`: InfluxDB's v1 (`/write`), v2
 * (`/api/v2/write`) and v3 (`/api/v3/write_lp`) write APIs, v3 SQL (`/api/v3/query_sql`) and
 * InfluxQL (`/api/v3/query_influxql`, and v1's `/query` as InfluxDB 1.x answers it), with
 * InfluxDB's parameters, status codes and error bodies, plus `/health`, `/ping` and `/metrics`.
 * This file is the boundary: every byte of a request is handled inside one error path (nothing a
 * client sends can throw past it), then the browser policy, authentication and the route
 * (`write-routes.ts`, `query-routes.ts`, `influxql-routes.ts`, `info-routes.ts`) run. See
 * docs/security.md.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { onClientError } from './client-error.js';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { FlightService, type FlightHost } from '../flight/service.js';
import { KEEP_ALIVE_MS } from '../flight/writer.js';
import { createDualListener, type DualListener } from './listener.js';
import { createGunzip } from 'node:zlib';
import type { SluiceDatabase } from '../database/database.js';
import { silentLogger, type WalLogger } from '../wal/notifier.js';
import { MalformedAuthorizationError, tokenOfAuthorization, type TokenStore } from './auth.js';
import { Admission } from './admission.js';
import { BodyIncompleteError, BodyTooLargeError, readBodyInto, type BodyLimits } from './body.js';
import { BrowserPolicy } from './browser-guard.js';
import { HttpError, json, jsonError, v2Error, type Api } from './http-error.js';
import { Metrics } from './metrics.js';
import { ROUTES } from './routes.js';
import { parseTarget, type RequestTarget } from './target.js';

export const SLUICE_VERSION = '0.1.0';

export interface ServerOptions {
  /** The database; undefined while it opens (every route but /health answers 503 until {@link SluiceServer.attach}). */
  db?: SluiceDatabase | undefined;
  /** Largest request body, before and after gzip (default 10 MiB). */
  maxRequestBytes?: number;
  /** Tokens: required on every non-public route while the store holds any. Undefined serves without authentication. */
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
   * sockets, up to `writeTimeoutMs`, then get 503 (nothing written). See Admission.
   */
  maxWriteBytesInFlight?: number;
  /** Longest a request body may take to arrive (default 60 s); then 408 and the connection is closed. */
  bodyReadTimeoutMs?: number;
  /** Slowest average body rate, judged after the first 5 s (default 1 024 bytes/s; 0: none). */
  minBodyBytesPerSecond?: number;
  /** Queries that run at once (default 2); more wait in line. */
  maxConcurrentQueries?: number;
  /** Queries that may wait in line (default 64); more get 503 at once. */
  maxQueuedQueries?: number;
  /** Longest a query waits in line (default 10 s); then 503 with Retry-After. */
  queryQueueTimeoutMs?: number;
  /** Largest query answer (default 256 MiB); larger ones get 413, or are cut off once streaming. */
  maxQueryResultBytes?: number;
  /** Longest query text (default 256 KiB); longer gets 413 before it is parsed. */
  maxQueryTextBytes?: number;
  /** Silence after which a Flight answer sends an empty batch (default 5 s, as InfluxDB 3). */
  flightKeepAliveMs?: number;
  /** Origins allowed to call from a browser (CORS); none by default. `*` allows any. */
  corsAllowedOrigins?: readonly string[];
  /** Refuse requests whose Host is not a loopback name (set it when bound to a loopback address). */
  loopbackHostsOnly?: boolean;
}

/** Default of ServerOptions.maxWriteBytesInFlight. */
export const DEFAULT_MAX_WRITE_BYTES_IN_FLIGHT = 8 * 1024 * 1024;

/** The server's limits, defaults filled in. */
export interface ServerLimits {
  maxRequestBytes: number;
  writeTimeoutMs: number;
  body: Omit<BodyLimits, 'maxBytes'>;
  queryQueueTimeoutMs: number;
  maxQueryResultBytes: number;
  maxQueryTextBytes: number;
  flightKeepAliveMs: number;
}

export class SluiceServer {
  readonly metrics: Metrics;
  private readonly server: Server;
  private readonly listener: NetServer;
  private readonly dual: DualListener;
  /** Arrow Flight and Flight SQL, on the same port. */
  readonly flight: FlightService;
  private readonly sockets = new Set<Socket>();
  readonly logger: WalLogger;
  readonly degradedAfterPutFailures: number;
  readonly limits: ServerLimits;
  /** Write bodies by bytes. */
  readonly admission: Admission;
  /** Queries by count. */
  readonly queryAdmission: Admission;
  readonly browser: BrowserPolicy;
  private database: SluiceDatabase | undefined;
  private startupProgress = 'opening the database';
  private closing = false;

  constructor(private readonly options: ServerOptions) {
    this.database = options.db;
    this.degradedAfterPutFailures = options.degradedAfterPutFailures ?? 3;
    this.limits = {
      maxRequestBytes: options.maxRequestBytes ?? 10 * 1024 * 1024,
      writeTimeoutMs: options.writeTimeoutMs ?? 10_000,
      body: { deadlineMs: options.bodyReadTimeoutMs ?? 60_000, minBytesPerSecond: options.minBodyBytesPerSecond ?? 1024, rateGraceMs: 5_000 },
      queryQueueTimeoutMs: options.queryQueueTimeoutMs ?? 10_000,
      maxQueryResultBytes: options.maxQueryResultBytes ?? 256 * 1024 * 1024,
      maxQueryTextBytes: options.maxQueryTextBytes ?? 256 * 1024,
      flightKeepAliveMs: options.flightKeepAliveMs ?? KEEP_ALIVE_MS,
    };
    this.admission = new Admission(options.maxWriteBytesInFlight ?? DEFAULT_MAX_WRITE_BYTES_IN_FLIGHT);
    this.queryAdmission = new Admission(options.maxConcurrentQueries ?? 2, options.maxQueuedQueries ?? 64);
    this.browser = new BrowserPolicy({ corsAllowedOrigins: options.corsAllowedOrigins ?? [], loopbackHostsOnly: options.loopbackHostsOnly ?? false });
    this.logger = options.logger ?? silentLogger;
    this.metrics = new Metrics(() => this.database, this.admission, this.queryAdmission);
    this.server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 30_000, requestTimeout: 0 }, (req, res) => {
      // The last line of the boundary: handle() catches everything; this catches handle()'s own bugs.
      this.handle(req, res).catch((err: unknown) => this.lastResort(res, err));
    });
    this.server.on('clientError', onClientError);
    this.flight = new FlightService(this.flightHost());
    // One port: HTTP/1.1 here, gRPC (Flight) for connections that open with the HTTP/2 preface.
    this.dual = createDualListener(this.server, () => this.flight, 30_000);
    this.listener = this.dual.server;
    this.listener.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens; resolves with the bound address (port 0 picks a free port). */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(port, host, () => {
        this.listener.off('error', reject);
        // The HTTP server gets its connections from the listener; this starts its own timers
        // (header and request timeouts, idle connection tracking) as listening would.
        this.server.emit('listening');
        resolve(this.listener.address() as AddressInfo);
      });
    });
  }

  /** What the Flight service sees of this server. */
  private flightHost(): FlightHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const server = this;
    return {
      get attachedDatabase() {
        return server.database;
      },
      get notReady() {
        return server.notReady;
      },
      tokens: this.options.tokens,
      queryAdmission: this.queryAdmission,
      limits: this.limits,
      logger: this.logger,
      version: SLUICE_VERSION,
      observeFlight: (method, code, ms, isQuery) => this.metrics.observeFlight(method, code, ms, isQuery),
    };
  }

  /** Serves `db` from now on (after it opened and replayed its WAL). */
  attach(db: SluiceDatabase): void {
    this.database = db;
  }

  /** What /health says while the database is still opening (e.g. the WAL replay's progress). */
  setStartupProgress(text: string): void {
    this.startupProgress = text;
  }

  /** Why the server cannot serve yet, or undefined once the database is attached. */
  get notReady(): string | undefined {
    return this.database === undefined ? this.startupProgress : undefined;
  }

  /** Stops accepting, lets requests in flight finish (up to `graceMs`), closes idle connections. */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // The listener's close waits for every connection it accepted, HTTP and gRPC.
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    this.server.close();
    this.server.closeIdleConnections();
    this.dual.destroyUndecided();
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, graceMs);
    await Promise.all([closed, this.flight.close(graceMs)]);
    clearTimeout(timer);
    this.metrics.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let path: string | undefined;
    let api: Api | undefined;
    res.setHeader('Request-Id', randomUUID());
    // While shutting down, every answer closes its connection so keep-alive clients let go.
    if (this.closing) res.setHeader('Connection', 'close');
    res.on('finish', () => {
      if (this.closing) setImmediate(() => this.server.closeIdleConnections());
    });
    try {
      const target = parseTarget(req.url);
      path = target.path;
      const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
      api = route?.api;
      if (req.method === 'OPTIONS') {
        res.writeHead(204, this.browser.preflight(req));
        res.end();
        return;
      }
      if (route === undefined) throw new HttpError(404, 'Not found');
      if (!route.public) {
        for (const [name, value] of Object.entries(this.browser.check(req))) res.setHeader(name, value);
      }
      if (!route.methods.includes(req.method ?? '')) throw new HttpError(405, `method ${req.method} not allowed on ${path}`);
      if (!route.public && this.options.tokens !== undefined) await this.checkAuth(req, target, route.api, this.options.tokens);
      if (this.database === undefined && !route.whileStarting) {
        throw new HttpError(503, `starting: ${this.startupProgress}`, 'text/plain; charset=utf-8', { 'Retry-After': '1' });
      }
      await route.handler(this, req, res, target);
    } catch (err) {
      this.fail(res, err, api);
    } finally {
      this.metrics.observeRequest(path, res.statusCode, performance.now() - started);
    }
  }

  private fail(res: ServerResponse, err: unknown, api: Api | undefined): void {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else {
      this.logger.error({ err }, 'request failed');
      e = new HttpError(500, `internal error: ${(err as Error)?.message ?? String(err)}`);
    }
    // The v2 API answers every error as {code, message}.
    if (api === 'v2' && !e.contentType.startsWith('application/json')) e = v2Error(e.status, e.body, e.headers);
    if (res.headersSent) {
      // Part of an answer went out (a streamed query): cutting the connection is the only way to
      // tell the client it is incomplete.
      res.destroy();
      return;
    }
    res.writeHead(e.status, { 'Content-Type': e.contentType, ...e.headers });
    res.end(e.body);
  }

  private lastResort(res: ServerResponse, err: unknown): void {
    this.logger.error({ err }, 'request handler failed outside its error path');
    try {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
        res.end('internal error');
      }
    } catch {
      res.destroy(); // nothing more can be said on this connection
    }
  }

  /** Requires a valid token while any exists; a token file that cannot be read is a 503, never a pass. */
  private async checkAuth(req: IncomingMessage, target: RequestTarget, api: Api, tokens: TokenStore): Promise<void> {
    let enabled: boolean;
    try {
      enabled = await tokens.isEnabled();
    } catch (err) {
      throw this.tokensUnreadable(err);
    }
    if (!enabled) return;
    let token: string | undefined;
    try {
      token = tokenOf(req, target, api);
    } catch (err) {
      // InfluxDB 1.x answers credentials it cannot read with 401, not 400.
      if (api === 'v1' && err instanceof HttpError) throw v1Unauthorized('unable to parse authentication credentials');
      throw err;
    }
    if (token === undefined && api === 'v1') throw v1Unauthorized('unable to parse authentication credentials');
    let ok: boolean;
    try {
      ok = token !== undefined && (await tokens.verify(token));
    } catch (err) {
      throw this.tokensUnreadable(err);
    }
    if (!ok) throw api === 'v1' ? v1Unauthorized('authorization failed') : new HttpError(401, json({ error: 'the request was not authenticated' }), 'application/json');
  }

  private tokensUnreadable(err: unknown): HttpError {
    this.logger.error({ err }, 'could not read the tokens');
    return new HttpError(503, json({ error: `cannot check the request's token now: ${(err as Error).message}` }), 'application/json', { 'Retry-After': '5' });
  }

  /** The request body: bounded in size (before and after gzip), time and rate. */
  async readBody(req: IncomingMessage): Promise<Buffer> {
    const { encoding, declared } = declaredBody(req);
    const maxBytes = this.limits.maxRequestBytes;
    if (encoding !== 'identity' && encoding !== 'gzip') {
      req.resume();
      throw new HttpError(400, `unacceptable content-encoding: ${encoding}`);
    }
    // Answer and close the connection: the rest of the body is never read.
    const tooLarge = () => new HttpError(413, `max request size (${maxBytes} bytes) exceeded`, 'text/plain; charset=utf-8', { Connection: 'close' });
    if (declared > maxBytes) throw tooLarge();
    const source = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
    try {
      // Inflated bytes are counted too: a gzip bomb stops at the limit.
      return await readBodyInto(source, encoding === 'gzip' ? NaN : declared, { maxBytes, ...this.limits.body }, req);
    } catch (err) {
      if (source !== req) {
        req.unpipe(source as NodeJS.WritableStream);
        source.destroy();
      }
      if (err instanceof BodyTooLargeError) throw tooLarge();
      if (err instanceof BodyIncompleteError) throw new HttpError(408, `${err.message}; nothing was written`, 'text/plain; charset=utf-8', { Connection: 'close' });
      throw new HttpError(400, `could not read the request body: ${(err as Error).message}`);
    }
  }

  /** The database; only routes marked `whileStarting` run before it is attached, and they check. */
  get db(): SluiceDatabase {
    if (this.database === undefined) throw new HttpError(503, `starting: ${this.startupProgress}`, 'text/plain; charset=utf-8', { 'Retry-After': '1' });
    return this.database;
  }

  /**
   * Called by a query after each piece of main-thread work on its answer (`busyMs` long), and by an
   * InfluxQL statement after each 10 ms of its own JavaScript (windows, fills, transformations). While
   * writes are in flight, the query pauses twice as long as it worked, so writes get at least
   * two thirds of the event loop however many queries stream: a write needs several turns of the loop (read,
   * validate, flush, answer), and each would otherwise wait behind every query's chunk.
   */
  async yieldToWrites(busyMs: number, signal?: AbortSignal): Promise<void> {
    const pauseMs = this.admission.bytesInFlight > 0 ? Math.min(Math.ceil(2 * busyMs), 50) : 0;
    await new Promise<void>((resolve) => (pauseMs > 0 ? setTimeout(resolve, pauseMs) : setImmediate(resolve)));
    signal?.throwIfAborted();
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
}

/** A request body's content encoding (lower case) and its Content-Length (NaN when absent). */
export function declaredBody(req: IncomingMessage): { encoding: string; declared: number } {
  const length = req.headers['content-length'];
  return { encoding: (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim(), declared: length === undefined ? NaN : Number(length) };
}

/** A 401 in InfluxDB 1.x's words, with its challenge header. */
function v1Unauthorized(message: string): HttpError {
  return new HttpError(401, json({ error: message }), 'application/json', { 'WWW-Authenticate': 'Basic realm="InfluxDB"' });
}

/** The token of a request: `Authorization: Bearer|Token <t>`, Basic (password part), or v1 `p=` (`/write`, `/query`). */
function tokenOf(req: IncomingMessage, target: RequestTarget, api: Api): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    try {
      return tokenOfAuthorization(header);
    } catch (err) {
      if (!(err instanceof MalformedAuthorizationError)) throw err;
      throw jsonError(400, `Authorization header was malformed: ${err.message}`);
    }
  }
  if (api === 'v1') return target.searchParams.get('p') ?? undefined;
  return undefined;
}
