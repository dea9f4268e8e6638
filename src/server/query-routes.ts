/**
 * `/api/v3/query_sql`. A query is admitted by count (a few run at once, more wait in line up to
 * the queue timeout, beyond that 503), its text bounded before it is parsed, and its answer
 * streamed to the client a chunk at a time with backpressure: the engine fetches the next chunk
 * only once the client took the last, and the query's timeout covers producing and sending it.
 * An answer larger than `--max-query-result-bytes` is refused with 413 while nothing was sent, or
 * cut off (connection closed) once streaming; a client that goes away stops its query.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBDataChunk, DuckDBValue } from '@duckdb/node-api';
import type { QueryColumn, ResultSink } from '../query/engine.js';
import { QueryError } from '../query/errors.js';
import { parseQueryFormat, rowFormatter, type QueryFormat, type RowFormatter } from '../query/format.js';
import { HttpError, jsonError } from './http-error.js';
import type { SluiceServer } from './http.js';
import { OVERDUE_GRACE_MS, queryRefusal } from './admission.js';
import type { RequestTarget } from './target.js';

const CONTENT_TYPES: Record<QueryFormat, string> = {
  json: 'application/json',
  jsonl: 'application/jsonl',
  csv: 'text/csv; charset=utf-8',
  pretty: 'text/plain; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

/** Answer bytes gathered before they are written (and before the status is committed). */
const FLUSH_BYTES = 64 * 1024;
/** Answer bytes converted between two yields to the event loop. */
const YIELD_BYTES = 1024 * 1024;

function formatFromAccept(accept: string | undefined): QueryFormat {
  if (accept === undefined || accept === '') return 'json';
  const a = accept.toLowerCase();
  if (a.includes('application/vnd.apache.parquet')) return 'parquet';
  if (a.includes('text/csv')) return 'csv';
  if (a.includes('text/plain')) return 'pretty';
  if (a.includes('application/json') || a.includes('*/*') || a.includes('text/html')) return 'json';
  throw new HttpError(400, `unsupported Accept header ${JSON.stringify(accept.slice(0, 200))}: use format=json|jsonl|csv|pretty|parquet`);
}

/** Query parameters from JSON: integers become BIGINTs, everything else as JSON gives it. */
function queryParams(value: unknown): DuckDBValue[] | Record<string, DuckDBValue> | undefined {
  if (value === undefined || value === null) return undefined;
  const convert = (v: unknown): DuckDBValue => {
    if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
    if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
    throw new HttpError(400, `query parameter values must be strings, numbers, booleans or null, got ${JSON.stringify(v)?.slice(0, 200)}`);
  };
  if (Array.isArray(value)) return value.map(convert);
  if (typeof value === 'object') {
    const out: Record<string, DuckDBValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = convert(v);
    return out;
  }
  throw new HttpError(400, 'params must be a JSON object or array');
}

interface SqlRequest {
  db: string;
  sql: string;
  format: QueryFormat;
  params: DuckDBValue[] | Record<string, DuckDBValue> | undefined;
}

async function sqlRequest(server: SluiceServer, req: IncomingMessage, target: RequestTarget): Promise<SqlRequest> {
  let db: unknown;
  let sql: unknown;
  let format: unknown;
  let params: unknown;
  if (req.method === 'POST') {
    const body = await server.readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'the request body must be a JSON object: {"db", "q", "format", "params"}');
    ({ db, q: sql, format, params } = parsed as Record<string, unknown>);
  } else {
    const p = target.searchParams;
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
  const textBytes = Buffer.byteLength(sql);
  if (textBytes > server.limits.maxQueryTextBytes) throw jsonError(413, `the query text is ${textBytes} bytes, more than --max-query-text-bytes (${server.limits.maxQueryTextBytes})`);
  let fmt: QueryFormat;
  try {
    fmt = typeof format === 'string' && format !== '' ? parseQueryFormat(format) : formatFromAccept(req.headers.accept);
  } catch (err) {
    if (err instanceof QueryError) throw new HttpError(400, err.message);
    throw err;
  }
  return { db, sql, format: fmt, params: queryParams(params) };
}

export async function querySql(server: SluiceServer, req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<void> {
  const request = await sqlRequest(server, req, target);
  await admitQuery(server, res, { db: request.db, sql: request.sql.slice(0, 2000), format: request.format }, async (signal) => {
    if (request.format === 'parquet') await answerParquet(server, request, res, signal);
    else {
      const sink = new ResponseSink(server, res, request.format, server.limits.maxQueryResultBytes);
      await server.db.query.stream(request.db, request.sql, request.params, sink, { signal });
      sink.end();
    }
  });
}

/**
 * Runs `answer` holding one query slot, as every query route does: it waits in line (up to the
 * queue timeout; a full line or the timeout is 503 with Retry-After), the client going away
 * aborts `signal` (waiting or running), a watchdog logs a query still holding its slot well past
 * its timeout (`describe` says which), the metrics count it, and a QueryError becomes its HTTP
 * answer ({@link queryError}).
 */
export async function admitQuery(server: SluiceServer, res: ServerResponse, describe: Record<string, unknown>, answer: (signal: AbortSignal) => Promise<void>): Promise<void> {
  // The client going away (before the answer finished) stops the query, waiting or running. A
  // pipelined request's answer that has not reached the connection yet gets no 'close' of its own
  // when the connection goes: the connection's 'close' says it too.
  const gone = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) gone.abort('aborted');
  };
  const socket = res.req.socket;
  res.on('close', onClose);
  socket.on('close', onClose);
  try {
    const admission = server.queryAdmission;
    if (!(await admission.acquire(1, server.limits.queryQueueTimeoutMs, gone.signal))) {
      if (gone.signal.aborted) return;
      throw jsonError(503, queryRefusal(admission), { 'Retry-After': '1' });
    }
    const started = performance.now();
    // A query still running well past its timeout is a bug (something the timeout does not
    // reach): say which, so it can be found, and give its slot back.
    const overdue = () => server.logger.error({ ...describe, elapsedMs: Math.round(performance.now() - started), answerStarted: res.headersSent, clientGone: gone.signal.aborted }, 'query still holds its slot past its timeout: slot given back');
    await admission.holding(1, server.db.query.timeoutMs + OVERDUE_GRACE_MS, overdue, async () => {
      try {
        await answer(gone.signal);
        server.metrics.queries++;
      } catch (err) {
        server.metrics.queryErrors++;
        if (err instanceof QueryError) throw queryError(err);
        throw err;
      } finally {
        server.metrics.queryMs += performance.now() - started;
      }
    });
  } finally {
    socket.off('close', onClose);
  }
}

async function answerParquet(server: SluiceServer, request: SqlRequest, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const path = join(server.db.scratchDirectory, `query-${randomUUID()}.parquet`);
  try {
    await server.db.query.queryToParquet(request.db, request.sql, path, request.params, { signal });
    const { size } = await stat(path);
    if (size > server.limits.maxQueryResultBytes) throw tooLarge(server.limits.maxQueryResultBytes);
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES.parquet, 'Content-Length': String(size) });
    // Sent within the query's timeout too: a reader that stops is cut off. Written by hand, not
    // with pipeline(): a pipelined answer whose connection went away never emits 'close', and
    // pipeline() would wait for it forever, holding the query's slot.
    const deadline = sendDeadline(server, signal);
    for await (const chunk of createReadStream(path, { highWaterMark: FLUSH_BYTES })) {
      if (deadline.aborted) throw abortError(deadline);
      if (!res.write(chunk)) await drained(res, deadline);
    }
    res.end();
  } finally {
    await rm(path, { force: true });
  }
}

/**
 * A signal that aborts when `signal` does or when the query timeout passes from now. Its own
 * timer, not `AbortSignal.any` over `AbortSignal.timeout`: a composite holds its sources weakly,
 * and a timeout signal nothing else references can be collected before it fires — an answer
 * waiting on a connection that never drains then waited for good (the HTTP fuzz caught a
 * Parquet answer holding its slot past its timeout).
 */
export function sendDeadline(server: SluiceServer, signal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new QueryError('TIMEOUT', 'the answer was not taken within the query timeout')), server.db.query.timeoutMs);
  timer.unref();
  const onAbort = () => {
    clearTimeout(timer);
    controller.abort(signal.reason);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return controller.signal;
}

/** The answer is larger than `--max-query-result-bytes`. */
export function tooLarge(maxBytes: number): QueryError {
  return new QueryError('RESULT_TOO_LARGE', `the answer is larger than --max-query-result-bytes (${maxBytes} bytes): select fewer rows or columns, or aggregate`);
}

/** Formats rows as they come and writes them to the response, waiting while the client is slow. */
class ResponseSink implements ResultSink {
  private formatter: RowFormatter | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private writtenBytes = 0;

  constructor(
    private readonly server: SluiceServer,
    private readonly res: ServerResponse,
    private readonly format: Exclude<QueryFormat, 'parquet'>,
    private readonly maxBytes: number,
  ) {}

  start(columns: QueryColumn[]): void {
    this.formatter = rowFormatter(this.format, columns);
    this.push(this.formatter.head());
  }

  async rows(chunk: DuckDBDataChunk, signal: AbortSignal): Promise<void> {
    const startedMs = performance.now();
    const formatter = this.formatter!;
    const width = chunk.columnCount;
    const vectors = Array.from({ length: width }, (_, i) => chunk.getColumnVector(i));
    const values = new Array<DuckDBValue>(width);
    const n = chunk.rowCount;
    let sinceYield = 0;
    for (let r = 0; r < n; r++) {
      // One row at a time, checked as it grows: a result of huge values stops at the limit
      // instead of being turned into JS strings whole.
      for (let c = 0; c < width; c++) values[c] = vectors[c]!.getItem(r) as DuckDBValue;
      const text = formatter.row(values);
      this.push(text);
      if (this.writtenBytes + this.pendingBytes + formatter.heldBytes > this.maxBytes) throw tooLarge(this.maxBytes);
      // Rows of large values take long to convert: let other clients' work (the WAL's flushes)
      // run in between instead of holding the event loop for the whole chunk.
      sinceYield += text.length + 64;
      if (sinceYield >= YIELD_BYTES) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
        signal.throwIfAborted();
      }
    }
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush(signal);
    await this.server.yieldToWrites(performance.now() - startedMs, signal);
  }

  /** Writes the rest; the whole answer in one piece (with its length) when it was small. */
  end(): void {
    this.push(this.formatter?.tail() ?? '');
    if (this.writtenBytes + this.pendingBytes > this.maxBytes) throw tooLarge(this.maxBytes);
    const body = this.pending.join('');
    this.pending = [];
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': CONTENT_TYPES[this.format], 'Content-Length': String(Buffer.byteLength(body)) });
    // Not waited for: the end's callback never comes when the connection closes first (a
    // pipelined answer whose socket went away), and the query's slot must not wait on it.
    this.res.end(body);
  }

  private push(text: string): void {
    if (text === '') return;
    this.pending.push(text);
    this.pendingBytes += text.length;
  }

  private async flush(signal: AbortSignal): Promise<void> {
    const res = this.res;
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': CONTENT_TYPES[this.format] });
    const text = this.pending.join('');
    this.pending = [];
    this.writtenBytes += this.pendingBytes;
    this.pendingBytes = 0;
    if (!res.write(text)) await drained(res, signal);
  }
}

/** Why `signal` aborted, as a QueryError: the client left, or the answer was not taken in time. */
export function abortError(signal: AbortSignal): QueryError {
  const reason: unknown = signal.reason;
  if (reason instanceof QueryError) return reason;
  if (reason === 'aborted') return new QueryError('CANCELLED', 'the client went away');
  return new QueryError('TIMEOUT', 'the answer was not taken within the query timeout');
}

/** Waits until `res` takes more (its 'drain'), the connection closes, or `signal` aborts. */
export function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: unknown) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err as Error);
    };
    const onDrain = () => done();
    const onClose = () => done(new QueryError('CANCELLED', 'the client went away'));
    const onAbort = () => done(abortError(signal));
    if (signal.aborted) return onAbort();
    res.on('drain', onDrain);
    res.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The HTTP answer to a query that failed: its status by the error's code, `{"error": message}`. */
export function queryError(err: QueryError): HttpError {
  switch (err.code) {
    case 'DATABASE_NOT_FOUND':
      return jsonError(404, err.message);
    case 'INVALID_QUERY':
    case 'NOT_READ_ONLY':
    case 'INVALID_FORMAT':
      return jsonError(400, err.message);
    case 'TIMEOUT':
      return jsonError(408, err.message);
    case 'RESULT_TOO_LARGE':
    case 'QUERY_TOO_LARGE':
      return jsonError(413, err.message);
    case 'RESOURCES_EXHAUSTED':
      return jsonError(503, err.message, { 'Retry-After': '5' });
    case 'SCHEMA_CONFLICT':
      // Ingest nodes disagree on a column's type: no answer would be right until they agree.
      return jsonError(409, err.message);
    case 'CANCELLED':
      // Nobody is listening; the status is for the logs and metrics.
      return jsonError(499, err.message);
    default:
      return jsonError(500, err.message);
  }
}
