/**
 * Reads a request body with a hard size limit. With a Content-Length the body goes straight
 * into one buffer of that size ('data' events, no async iteration, no concatenation).
 */
import type { Readable } from 'node:stream';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`max request size (${limit} bytes) exceeded`);
  }
}

/** Everything `source` yields, at most `limit` bytes; `expected` (Content-Length) may be NaN. */
export function readBodyInto(source: Readable, expected: number, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sized = Number.isSafeInteger(expected) && expected >= 0 && expected <= limit;
    let buffer = sized ? Buffer.allocUnsafe(expected) : undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (err: Error | undefined, value?: Buffer) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
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
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
  });
}
