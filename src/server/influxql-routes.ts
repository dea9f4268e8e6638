/**
 * InfluxQL over HTTP: InfluxDB 1.x's `/query` and InfluxDB 3's `/api/v3/query_influxql`.
 *
 * `/query` reads its parameters as 1.x's `r.FormValue` does (a form body of a POST first, then
 * the URL): `q` (statements separated by `;`), `db`, `rp`, `epoch`, `params`, `chunked` and
 * `chunk_size`; `pretty` from the URL only. It answers 1.x's JSON (src/influxql/format-v1.ts), or
 * its CSV when `Accept` is exactly `application/csv` or `text/csv` (format-v1-csv.ts), with
 * `X-Influxdb-Version`; an error of the whole query (no `q`, bad `params`, a parse error) is a
 * 400 in the same format with an `X-Influxdb-Error` header, a statement's error is that
 * statement's `error` in a 200.
 *
 * `/api/v3/query_influxql` takes `/api/v3/query_sql`'s parameters (`db`, `q`, `format`, `params`;
 * a JSON body for POST) and one statement, answered as InfluxDB 3's flat table
 * (src/influxql/format-v3.ts) in json, jsonl, csv, pretty or parquet.
 *
 * Both hold a query slot as `/api/v3/query_sql` does (admitQuery): the queue, its timeout and 503,
 * the query timeout, the client going away stopping the query, `--max-query-text-bytes` on the
 * text and `--max-query-result-bytes` on the answer (413 while nothing was sent, the connection
 * cut once it was).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { databaseEnvironment, runInfluxQL, type InfluxQLEnvironment, type InfluxQLOptions } from '../influxql/executor.js';
import { writeFlatTableParquet } from '../influxql/format-parquet.js';
import { epochDivisor } from '../influxql/format-time.js';
import { formatV1CsvError, V1CsvWriter } from '../influxql/format-v1-csv.js';
import { chunkModeOf, chunkStatementResult, formatV1Error, V1JsonDocument, type ChunkMode } from '../influxql/format-v1.js';
import { flattenDatabases, flattenSeries, type FlatTable } from '../influxql/format-v3.js';
import type { Statement } from '../influxql/ast.js';
import { InfluxQLParseError, parseQuery, type BoundParameterValue } from '../influxql/parser.js';
import type { InfluxValue, StatementResult } from '../influxql/result.js';
import { QueryError } from '../query/errors.js';
import { parseQueryFormat, rowFormatter, type QueryFormat } from '../query/format.js';
import { HttpError, jsonError } from './http-error.js';
import { SLUICE_VERSION, type SluiceServer } from './http.js';
import { isFormContentType, parseFormBody, type FormBody } from './form-body.js';
import { ParamsError, parseInfluxQLParams, parseV3Params, parseV3QueryBody } from './influxql-params.js';
import { abortError, admitQuery, drained, queryError, sendDeadline, tooLarge } from './query-routes.js';
import type { RequestTarget } from './target.js';

/** InfluxDB 1.x's default `chunk_size`. */
export const DEFAULT_CHUNK_SIZE = 10_000;
/** Answer bytes gathered before they are written (and before the status is committed). */
const FLUSH_BYTES = 64 * 1024;
/** Answer bytes produced between two yields to the event loop (and to writes). */
const YIELD_BYTES = 1024 * 1024;


/** What InfluxQL runs against in this server. */
function environment(server: SluiceServer): InfluxQLEnvironment {
  // A statement's own JavaScript yields as its answer's streaming does: writes first.
  return { ...databaseEnvironment(server.db), yieldAfter: (busyMs, signal) => server.yieldToWrites(busyMs, signal) };
}

/**
 * The executor's options. Parameters may be objects (`{"identifier": "cpu"}`): the parser binds
 * every one of them before anything runs, so none reaches the executor's narrower type.
 */
function runOptions(database: string | undefined, retentionPolicy: string, params: Record<string, BoundParameterValue> | undefined, signal: AbortSignal, readOnly = false): InfluxQLOptions {
  return {
    ...(database === undefined ? {} : { database }),
    retentionPolicy,
    readOnly,
    ...(params === undefined ? {} : { params: params as Record<string, InfluxValue> }),
    signal,
  };
}

/** Writes an answer a piece at a time: gathered, flushed with backpressure, counted against the size limit. */
class PieceWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private writtenBytes = 0;
  private sinceYield = 0;
  private busySinceMs = performance.now();

  constructor(
    private readonly server: SluiceServer,
    private readonly res: ServerResponse,
    private readonly contentType: string,
    private readonly signal: AbortSignal,
  ) {}

  /** Bytes taken so far. */
  get bytes(): number {
    return this.writtenBytes + this.pendingBytes;
  }

  async push(piece: string): Promise<void> {
    if (piece === '') return;
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    const max = this.server.limits.maxQueryResultBytes;
    if (this.bytes > max) throw tooLarge(max);
    this.sinceYield += piece.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
    if (this.sinceYield >= YIELD_BYTES) {
      this.sinceYield = 0;
      await this.server.yieldToWrites(performance.now() - this.busySinceMs, this.signal);
      this.busySinceMs = performance.now();
    }
  }

  /** Writes the rest; the whole answer in one piece (with its length) when it was small. */
  end(): void {
    const body = this.pending.join('');
    this.pending = [];
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': this.contentType, 'Content-Length': String(Buffer.byteLength(body)) });
    // Not waited for: the end's callback never comes when the connection closes first.
    this.res.end(body);
  }

  private async flush(): Promise<void> {
    const res = this.res;
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': this.contentType });
    const text = this.pending.join('');
    this.pending = [];
    this.writtenBytes += this.pendingBytes;
    this.pendingBytes = 0;
    if (!res.write(text)) await drained(res, this.signal);
  }
}


// ---------------------------------------------------------------------------------------------
// /query (InfluxDB 1.x)

/** A `/query` answer's format: 1.x chooses CSV only when `Accept` is exactly one of its CSV types. */
type V1Format = 'json' | 'csv';

function v1FormatOf(req: IncomingMessage): V1Format {
  const accept = req.headers.accept;
  return accept === 'application/csv' || accept === 'text/csv' ? 'csv' : 'json';
}

const V1_CONTENT_TYPE: Record<V1Format, string> = { json: 'application/json', csv: 'text/csv' };

/** Header values must be Latin-1 without control characters: others become `?`. */
function headerSafe(text: string): string {
  return text.slice(0, 1024).replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

/** An error of the whole query, in the answer's format, with 1.x's `X-Influxdb-Error` header. */
function v1Error(status: number, message: string, format: V1Format, pretty: boolean, headers: Record<string, string> = {}): HttpError {
  const body = format === 'csv' ? formatV1CsvError(message) : formatV1Error(message, pretty);
  return new HttpError(status, body, V1_CONTENT_TYPE[format], { 'X-Influxdb-Error': headerSafe(message), ...headers });
}

/** Go's `strings.TrimSpace`: Unicode white space off both ends (not U+FEFF, which JavaScript's trim also takes). */
function goTrimSpace(text: string): string {
  return text.replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g, '');
}

/**
 * The parameters as `r.FormValue` sees them: a POST's urlencoded body before the URL, a
 * multipart body after it; `q` may also be a file uploaded as a multipart part, read when no `q`
 * value is given.
 */
async function v1Form(server: SluiceServer, req: IncomingMessage, target: RequestTarget): Promise<(name: string) => string | undefined> {
  const url = target.searchParams;
  const contentType = req.headers['content-type'];
  let body: FormBody | undefined;
  if (req.method === 'POST' && isFormContentType(contentType)) body = parseFormBody(await server.readBody(req), contentType!);
  return (name) => {
    const v = body?.beforeUrl === true ? (body.values.get(name) ?? url.get(name) ?? undefined) : (url.get(name) ?? body?.values.get(name));
    if (name !== 'q' || (v !== undefined && goTrimSpace(v) !== '')) return v;
    return body?.files.get('q')?.toString('utf8') ?? v;
  };
}

interface V1Request {
  text: string;
  database: string | undefined;
  retentionPolicy: string;
  params: Record<string, BoundParameterValue> | undefined;
  epochDivisor: bigint | undefined;
  pretty: boolean;
  format: V1Format;
  /** Rows per document with `chunked=true`; undefined: one document. */
  chunkSize: number | undefined;
  /** With `chunked=true`: how each statement (by index) is cut into documents. */
  chunkModes: ChunkMode[];
  /** A GET: 1.x runs write statements anyway, each with a deprecation warning. */
  readOnly: boolean;
}

async function v1Request(server: SluiceServer, req: IncomingMessage, target: RequestTarget): Promise<V1Request> {
  const format = v1FormatOf(req);
  const pretty = target.searchParams.get('pretty') === 'true';
  const value = await v1Form(server, req, target);
  const text = goTrimSpace(value('q') ?? '');
  if (text === '') throw v1Error(400, 'missing required parameter "q"', format, pretty);
  const textBytes = Buffer.byteLength(text);
  if (textBytes > server.limits.maxQueryTextBytes) {
    throw v1Error(413, `the query text is ${textBytes} bytes, more than --max-query-text-bytes (${server.limits.maxQueryTextBytes})`, format, pretty);
  }
  let params: Record<string, BoundParameterValue> | undefined;
  try {
    params = parseInfluxQLParams(value('params'));
  } catch (err) {
    if (err instanceof ParamsError) throw v1Error(400, err.message, format, pretty);
    throw err;
  }
  let chunkSize: number | undefined;
  if (value('chunked') === 'true') {
    const n = Number(value('chunk_size'));
    chunkSize = /^[+-]?\d+$/.test(value('chunk_size') ?? '') && n > 0 ? Math.min(n, Number.MAX_SAFE_INTEGER) : DEFAULT_CHUNK_SIZE;
  }
  // Chunking depends on each statement's kind: read them now (a parse error is answered later,
  // when the query runs, the same way with or without chunking).
  let chunkModes: ChunkMode[] = [];
  if (chunkSize !== undefined) {
    try {
      chunkModes = parseQuery(text, { params: params ?? {} }).statements.map((st) => chunkModeOf(st.kind));
    } catch (err) {
      if (!(err instanceof InfluxQLParseError)) throw err;
    }
  }
  const db = value('db') ?? '';
  return { text, database: db === '' ? undefined : db, retentionPolicy: value('rp') ?? '', params, epochDivisor: epochDivisor(value('epoch')), pretty, format, chunkSize, chunkModes, readOnly: req.method === 'GET' };
}

/** `GET|POST /query`. */
export async function queryV1(server: SluiceServer, req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<void> {
  res.setHeader('X-Influxdb-Version', SLUICE_VERSION);
  res.setHeader('X-Influxdb-Build', 'Sluice');
  const request = await v1Request(server, req, target);
  const { format, pretty } = request;
  try {
    await answerV1(server, res, request);
  } catch (err) {
    // The slot's own refusals (503) in the request's format too.
    if (err instanceof HttpError && !res.headersSent && err.contentType === 'application/json' && err.headers['X-Influxdb-Error'] === undefined) {
      const message = (JSON.parse(err.body) as { error?: unknown }).error;
      if (typeof message === 'string') throw v1Error(err.status, message, format, pretty, err.headers);
    }
    throw err;
  }
}

async function answerV1(server: SluiceServer, res: ServerResponse, request: V1Request): Promise<void> {
  const { format, pretty } = request;
  await admitQuery(server, res, { api: 'v1', db: request.database, influxql: request.text.slice(0, 2000) }, async (signal) => {
    const results = runInfluxQL(environment(server), request.text, runOptions(request.database, request.retentionPolicy, request.params, signal, request.readOnly));
    try {
      let next: IteratorResult<StatementResult>;
      try {
        next = await results.next();
      } catch (err) {
        if (err instanceof InfluxQLParseError) throw v1Error(400, `error parsing query: ${err.message}`, format, pretty);
        throw err;
      }
      const writer = new PieceWriter(server, res, V1_CONTENT_TYPE[format], sendDeadline(server, signal));
      const csv = format === 'csv' ? new V1CsvWriter(request.epochDivisor) : undefined;
      const json = { epochDivisor: request.epochDivisor, pretty };
      // Without chunking, every statement goes into one document.
      const whole = request.chunkSize === undefined ? new V1JsonDocument(json) : undefined;
      if (whole !== undefined && csv === undefined) await writer.push(whole.head());
      for (; next.done !== true; next = await results.next()) {
        const pieces = request.chunkSize === undefined ? [next.value] : chunkStatementResult(next.value, request.chunkSize, request.chunkModes[next.value.statement_id] ?? 'rows');
        for (const result of pieces) {
          if (csv !== undefined) {
            for (const piece of csv.result(result)) await writer.push(piece);
          } else if (whole !== undefined) {
            for (const piece of whole.result(result)) await writer.push(piece);
          } else {
            const doc = new V1JsonDocument(json);
            await writer.push(doc.head());
            for (const piece of doc.result(result)) await writer.push(piece);
            await writer.push(doc.tail());
          }
        }
      }
      if (whole !== undefined && csv === undefined) await writer.push(whole.tail());
      writer.end();
    } catch (err) {
      // Answered in the request's format, with query_sql's statuses (408 timeout, 413 too large, …).
      if (err instanceof QueryError && !res.headersSent) {
        const e = queryError(err);
        throw v1Error(e.status, err.message, format, pretty, e.headers);
      }
      throw err;
    } finally {
      await results.return(undefined);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// /api/v3/query_influxql (InfluxDB 3)

const V3_CONTENT_TYPES: Record<QueryFormat, string> = {
  json: 'application/json',
  jsonl: 'application/jsonl',
  csv: 'text/csv; charset=utf-8',
  pretty: 'text/plain; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

/** The format `Accept` asks for, as `/api/v3/query_sql` reads it. */
function v3FormatFromAccept(accept: string | undefined): QueryFormat {
  if (accept === undefined || accept === '') return 'json';
  const a = accept.toLowerCase();
  if (a.includes('application/vnd.apache.parquet')) return 'parquet';
  if (a.includes('text/csv')) return 'csv';
  if (a.includes('application/jsonl')) return 'jsonl';
  if (a.includes('text/plain')) return 'pretty';
  if (a.includes('application/json') || a.includes('*/*') || a.includes('text/html')) return 'json';
  throw new HttpError(400, `unsupported Accept header ${JSON.stringify(accept.slice(0, 200))}: use format=json|jsonl|csv|pretty|parquet`);
}

interface V3Request {
  database: string | undefined;
  text: string;
  format: QueryFormat;
  params: Record<string, BoundParameterValue> | undefined;
}

async function v3Request(server: SluiceServer, req: IncomingMessage, target: RequestTarget): Promise<V3Request> {
  let db: unknown;
  let text: unknown;
  let format: unknown;
  let params: Record<string, BoundParameterValue> | undefined;
  try {
    if (req.method === 'POST') {
      ({ db, q: text, format, params } = parseV3QueryBody((await server.readBody(req)).toString('utf8')));
    } else {
      const p = target.searchParams;
      db = p.get('db') ?? undefined;
      text = p.get('q') ?? undefined;
      format = p.get('format') ?? undefined;
      params = parseV3Params(p.get('params') ?? undefined);
    }
  } catch (err) {
    if (err instanceof ParamsError) throw jsonError(400, err.message);
    throw err;
  }
  if (db !== undefined && db !== null && typeof db !== 'string') throw jsonError(400, "'db' must be a string");
  if (typeof text !== 'string' || text === '') throw jsonError(400, "missing query parameter 'q'");
  const textBytes = Buffer.byteLength(text);
  if (textBytes > server.limits.maxQueryTextBytes) throw jsonError(413, `the query text is ${textBytes} bytes, more than --max-query-text-bytes (${server.limits.maxQueryTextBytes})`);
  let fmt: QueryFormat;
  try {
    fmt = typeof format === 'string' && format !== '' ? parseQueryFormat(format) : v3FormatFromAccept(req.headers.accept);
  } catch (err) {
    if (err instanceof QueryError) throw jsonError(400, err.message);
    throw err;
  }
  return { database: typeof db === 'string' && db !== '' ? db : undefined, text, format: fmt, params };
}

/** `GET|POST /api/v3/query_influxql`: one statement, answered as a flat table. */
export async function queryInfluxQLV3(server: SluiceServer, req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<void> {
  const request = await v3Request(server, req, target);
  // InfluxDB 3 answers one statement per request; counted before anything runs.
  let statements: Statement[];
  try {
    statements = parseQuery(request.text, { params: request.params ?? {} }).statements;
  } catch (err) {
    if (err instanceof InfluxQLParseError) throw jsonError(400, `error in InfluxQL statement: ${err.message}`);
    throw err;
  }
  if (statements.length !== 1) throw jsonError(400, 'must provide only one InfluxQl statement per query');
  const isShowDatabases = statements[0]!.kind === 'showDatabases';
  await admitQuery(server, res, { api: 'v3', db: request.database, influxql: request.text.slice(0, 2000), format: request.format }, async (signal) => {
    let result: StatementResult | undefined;
    for await (const r of runInfluxQL(environment(server), request.text, runOptions(request.database, '', request.params, signal))) result = r;
    if (result === undefined) throw new Error('an InfluxQL statement gave no result');
    if (result.error !== undefined) throw jsonError(/^database not found/.test(result.error) ? 404 : 400, result.error);
    const table = isShowDatabases ? flattenDatabases(result.series ?? []) : flattenSeries(result.series ?? []);
    const deadline = sendDeadline(server, signal);
    if (request.format === 'parquet') {
      await answerParquet(server, res, table, deadline);
      return;
    }
    const writer = new PieceWriter(server, res, V3_CONTENT_TYPES[request.format], deadline);
    const formatter = rowFormatter(request.format, table.columns);
    const max = server.limits.maxQueryResultBytes;
    await writer.push(formatter.head());
    for (const row of table.rows()) {
      await writer.push(formatter.row(row));
      // `pretty` holds its rows until the end: count them as they are held.
      if (writer.bytes + formatter.heldBytes > max) throw tooLarge(max);
    }
    await writer.push(formatter.tail());
    writer.end();
  });
}

async function answerParquet(server: SluiceServer, res: ServerResponse, table: FlatTable, deadline: AbortSignal): Promise<void> {
  const path = join(server.db.scratchDirectory, `influxql-${randomUUID()}.parquet`);
  try {
    await writeFlatTableParquet(table, path, deadline);
    const { size } = await stat(path);
    if (size > server.limits.maxQueryResultBytes) throw tooLarge(server.limits.maxQueryResultBytes);
    res.writeHead(200, { 'Content-Type': V3_CONTENT_TYPES.parquet, 'Content-Length': String(size) });
    for await (const chunk of createReadStream(path, { highWaterMark: FLUSH_BYTES })) {
      if (deadline.aborted) throw abortError(deadline);
      if (!res.write(chunk)) await drained(res, deadline);
    }
    res.end();
  } finally {
    await rm(path, { force: true });
  }
}
