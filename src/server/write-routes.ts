/**
 * The write routes: v1 `/write`, v2 `/api/v2/write`, v3 `/api/v3/write_lp`. A body is admitted by
 * bytes before it is read (see Admission), read within its size, time and rate limits, and
 * written through the WAL; its admission is released whatever way it ends.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { CatalogError } from '../catalog/errors.js';
import { BufferFullError, ReadOnlyWalError, WalShutdownError, WalStoppedError } from '../wal/errors.js';
import { WriteError, type WriteLineError } from '../write/errors.js';
import type { Precision } from '../write/precision.js';
import { parsePrecision } from '../write/precision.js';
import type { WriteLpResult } from '../write/write-lp.js';
import { WriteWorkerLostError } from '../write/validate-pool.js';
import { HttpError, json, v2Error, type Api } from './http-error.js';
import { declaredBody, type SluiceServer } from './http.js';
import type { RequestTarget } from './target.js';

/** A write that was buffered but not made durable in time: its outcome is unknown. */
class WriteOutcomeUnknownError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`write outcome unknown: not durable within ${timeoutMs} ms (the WAL may be failing); it may still be applied — re-sending the same points is safe`);
  }
}

/** What a write body of unknown size (chunked, gzip) counts for until it has been read. */
const UNKNOWN_BODY_BYTES = 1024 * 1024;

/** Waits for a write up to `timeoutMs`; past it throws WriteOutcomeUnknownError (the write goes on). */
async function withWriteDeadline<T>(write: Promise<T>, timeoutMs: number): Promise<T> {
  write.catch(() => undefined); // answered by the deadline: a later failure has no one to tell
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WriteOutcomeUnknownError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([write, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const V1_PRECISIONS: ReadonlyMap<string, Precision> = new Map([['n', 'ns'], ['ns', 'ns'], ['u', 'us'], ['us', 'us'], ['ms', 'ms'], ['s', 's']]);

export async function write(server: SluiceServer, req: IncomingMessage, res: ServerResponse, target: RequestTarget, api: Api): Promise<void> {
  const q = target.searchParams;
  if (target.search === '' || target.search === '?') throw new HttpError(400, api === 'v2' ? "missing query parameter 'bucket'" : "missing query parameter 'db'");
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
    const mapped = V1_PRECISIONS.get(p);
    if (mapped === undefined) throw new HttpError(400, `serde error: invalid precision ${JSON.stringify(p)}: expected n, ns, u, us, ms or s`);
    precision = mapped;
  }
  if (db === null || db === '') throw new HttpError(400, `serde error: missing field \`${api === 'v2' ? 'bucket' : 'db'}\``);
  // Admission by bytes, before the body is read: over the limit, it waits unread in its socket.
  const { encoding, declared } = declaredBody(req);
  let admitted = encoding === 'identity' && Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, server.limits.maxRequestBytes) : UNKNOWN_BODY_BYTES;
  const gone = new AbortController();
  const onClose = () => gone.abort();
  req.once('close', onClose);
  let admittedOk: boolean;
  try {
    admittedOk = await server.admission.acquire(admitted, server.limits.writeTimeoutMs, gone.signal);
  } finally {
    req.off('close', onClose);
  }
  if (!admittedOk) {
    throw new HttpError(503, `write refused, nothing was written: the server is busy (${server.admission.limitBytes} bytes of writes in flight, --max-write-bytes-in-flight); retry`, 'text/plain; charset=utf-8', { 'Retry-After': '1', Connection: 'close' });
  }
  let pending: Promise<WriteLpResult> | undefined;
  let result: WriteLpResult;
  try {
    const body = await server.readBody(req);
    // Count what the body really is from now on: a guess for a chunked or gzip body (1 MiB) that
    // stayed reserved would let a few small bodies fill the whole budget.
    if (body.length > admitted) server.admission.charge(body.length - admitted);
    else if (body.length < admitted) server.admission.release(admitted - body.length);
    admitted = body.length;
    if (!isUtf8(body)) throw new HttpError(400, 'the request body is not valid UTF-8');
    server.metrics.writeBytes += body.length;
    // A WAL that keeps failing refuses new writes at once (nothing is buffered: a definite "no"),
    // instead of letting them wait behind puts that do not succeed.
    const trouble = server.walTrouble();
    if (trouble !== undefined) throw new HttpError(503, `write refused, nothing was written: ${trouble}`, 'text/plain; charset=utf-8', { 'Retry-After': '5' });
    // The body is the server's own: a write worker may take its memory instead of a copy.
    pending = server.db.writer.writeLp(db, body, { precision, acceptPartial, noSync, detachBody: true });
    try {
      result = await withWriteDeadline(pending, server.limits.writeTimeoutMs);
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
  res.writeHead(204);
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
      // A refusal of the whole request (a new database past the limit) has no line: its message is the error.
      if (first === undefined) return new HttpError(status, json({ error: err.message, data: null }), 'application/json');
      return new HttpError(status, json({ error: 'line protocol parsing error', data: lineErrorJson(first) }), 'application/json');
    }
    return new HttpError(400, err.message);
  }
  if (err instanceof WriteOutcomeUnknownError) return new HttpError(503, err.message, 'text/plain; charset=utf-8', { 'Retry-After': '5' });
  if (err instanceof WriteWorkerLostError) return new HttpError(503, err.message, 'text/plain; charset=utf-8', { 'Retry-After': '1' });
  const refused = walRefusal(err);
  if (refused !== undefined) return refused;
  if (err instanceof CatalogError) return new HttpError(err.code === 'LIMIT' ? 422 : 400, err.message || `catalog error ${err.code}`);
  return new HttpError(500, `write buffer error: ${(err as Error).message ?? String(err)}`);
}

/** The answer to a WAL that cannot take a write (buffer full, stopped, shutting down, a query node's), or undefined for any other error. */
export function walRefusal(err: unknown): HttpError | undefined {
  if (err instanceof BufferFullError) return new HttpError(503, `write buffer full, retry later: ${err.message}`, 'text/plain; charset=utf-8', { 'Retry-After': '1' });
  if (err instanceof WalStoppedError || err instanceof WalShutdownError) return new HttpError(503, `write buffer error: error from wal: ${err.message}`);
  // Not worth retrying here: the client must send it to another node.
  if (err instanceof ReadOnlyWalError) return new HttpError(403, err.message);
  return undefined;
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

