/**
 * Reads a request body with a hard size limit, a deadline and a minimum rate. With a
 * Content-Length the body goes straight into one buffer of that size ('data' events, no async
 * iteration, no concatenation). Whatever way the body ends — complete, cut off, reset, bad gzip,
 * too slow — the promise settles, so what was reserved for it (write admission) always comes back.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`max request size (${limit} bytes) exceeded`);
    this.name = 'BodyTooLargeError';
  }
}

/** The body stopped arriving: the client went away, or it was slower than the server allows. */
export class BodyIncompleteError extends Error {
  constructor(
    readonly reason: 'aborted' | 'timeout' | 'too-slow',
    message: string,
  ) {
    super(message);
    this.name = 'BodyIncompleteError';
  }
}

export interface BodyLimits {
  /** Most bytes (after inflating). */
  maxBytes: number;
  /** Longest the whole body may take to arrive. */
  deadlineMs: number;
  /** Slowest average rate allowed once `rateGraceMs` have passed (0: no minimum). */
  minBytesPerSecond: number;
  rateGraceMs: number;
}

/**
 * Everything `source` yields (the request itself, or its inflating stream), within `limits`;
 * `expected` (Content-Length) may be NaN. `req` is watched for the client going away.
 */
export function readBodyInto(source: Readable, expected: number, limits: BodyLimits, req: IncomingMessage = source as IncomingMessage): Promise<Buffer> {
  const limit = limits.maxBytes;
  return new Promise((resolve, reject) => {
    const sized = Number.isSafeInteger(expected) && expected >= 0 && expected <= limit;
    let buffer = sized ? Buffer.allocUnsafe(expected) : undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const startedMs = performance.now();
    const finish = (err: Error | undefined, value?: Buffer) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      req.off('close', onClose);
      req.off('error', onError);
      if (err !== undefined) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      if (total + chunk.length > limit) {
        source.pause();
        finish(new BodyTooLargeError(limit));
        return;
      }
      if (buffer !== undefined && total + chunk.length <= buffer.length) chunk.copy(buffer, total);
      else {
        // More than Content-Length said (or none was given): fall back to collecting chunks.
        if (buffer !== undefined) {
          chunks.push(buffer.subarray(0, total));
          buffer = undefined;
        }
        chunks.push(chunk);
      }
      total += chunk.length;
    };
    const onEnd = () => finish(undefined, buffer !== undefined ? buffer.subarray(0, total) : Buffer.concat(chunks, total));
    const onError = (err: Error) => finish(err);
    // 'close' before the request completed: the connection went away mid-body.
    const onClose = () => {
      if (!req.complete) finish(new BodyIncompleteError('aborted', `the request body was cut off after ${total} bytes`));
    };
    const watch = setInterval(() => {
      const elapsedMs = performance.now() - startedMs;
      if (elapsedMs > limits.deadlineMs) {
        finish(new BodyIncompleteError('timeout', `the request body did not arrive within ${limits.deadlineMs} ms (${total} bytes read)`));
      } else if (limits.minBytesPerSecond > 0 && elapsedMs > limits.rateGraceMs && (total * 1000) / elapsedMs < limits.minBytesPerSecond) {
        finish(new BodyIncompleteError('too-slow', `the request body arrives slower than ${limits.minBytesPerSecond} bytes/s (${total} bytes in ${Math.round(elapsedMs)} ms)`));
      }
    }, Math.min(1000, Math.max(10, Math.floor(Math.min(limits.deadlineMs, limits.rateGraceMs) / 4))));
    watch.unref();
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    if (req !== source) req.on('error', onError);
    req.on('close', onClose);
    if (req.destroyed && !req.complete) onClose();
  });
}
