/**
 * How the server's HTTP parser will read a generated request. The fuzzer needs to know, for each
 * request it sends, whether the server sees exactly that one request (then more can be pipelined
 * behind it and it must be answered), more or less than one (a cut-off body, bytes left over), or
 * a parse error (the server answers 400 and closes). Guessing from the generator's intentions goes
 * wrong as soon as a byte is mutated, so this asks node's own parser (llhttp, the one `sluice
 * serve` runs on, in the same node binary) through `_http_common`, node's internal HTTP module.
 */
import { createRequire } from 'node:module';

interface ParserBinding {
  REQUEST: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  new (): {
    initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
    execute(data: Buffer): number | Error;
    finish(): number | Error | undefined;
    close(): void;
    [key: number]: unknown;
  };
}

const require = createRequire(import.meta.url);
const { HTTPParser, methods } = require('_http_common') as { HTTPParser: ParserBinding; methods: string[] };

/** What the server's parser makes of a request's bytes. */
export interface WireReading {
  /** Messages whose head was read completely. */
  heads: number;
  /** Messages read completely (head and body). */
  complete: number;
  /** The parser stopped with an error (the server answers 400, 413, 431 or closes). */
  error?: string;
  /** Every byte was used by the messages read. */
  consumedAll: boolean;
  /**
   * Bytes after the last complete message began another one (a body longer than its
   * Content-Length): they become the head of whatever is pipelined next, which then fails to parse.
   */
  trailing: boolean;
  /** The first message's method, version, whether it keeps the connection and whether it upgrades. */
  first?: { method: string; version: string; keepAlive: boolean; upgrade: boolean; headers: Array<[string, string]> };
}

/** Node's default largest request head (`--max-http-header-size`). */
const MAX_HEADER_BYTES = 16 * 1024;

/** Parses `bytes` as the server would (strict, 16 KiB heads). */
export function readAsServer(bytes: Buffer): WireReading {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, MAX_HEADER_BYTES, 0);
  const reading: WireReading = { heads: 0, complete: 0, consumedAll: false, trailing: false };
  let partialHeaders: string[] = [];
  parser[HTTPParser.kOnHeaders] = (headers: string[]) => {
    partialHeaders = partialHeaders.concat(headers);
  };
  parser[HTTPParser.kOnHeadersComplete] = (versionMajor: number, versionMinor: number, headers: string[] | undefined, method: number, _url: string, _statusCode: number, _statusMessage: string, upgrade: boolean, keepAlive: boolean) => {
    reading.heads++;
    if (reading.first === undefined) {
      const flat = headers ?? partialHeaders;
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!.toLowerCase(), flat[i + 1]!]);
      reading.first = { method: methods[method] ?? String(method), version: `${versionMajor}.${versionMinor}`, keepAlive, upgrade, headers: pairs };
    }
    partialHeaders = [];
    return 0;
  };
  parser[HTTPParser.kOnBody] = () => undefined;
  parser[HTTPParser.kOnMessageComplete] = () => {
    reading.complete++;
  };
  parser[HTTPParser.kOnExecute] = () => undefined;
  const result = parser.execute(bytes);
  if (result instanceof Error) {
    const e = result as Error & { code?: string; bytesParsed?: number };
    reading.error = e.code ?? e.message;
  } else {
    reading.consumedAll = result === bytes.length;
    // The parser sits in the middle of a message only if bytes followed the last complete one.
    reading.trailing = reading.complete > 0 && parser.finish() instanceof Error;
  }
  parser.close();
  return reading;
}

/**
 * How a request may be sent: `exact` when the server reads exactly this one request and keeps the
 * connection open for the next; otherwise it goes last, alone (`open`) or as the last of a
 * pipelined batch (`mayClose`).
 */
export function framingOf(bytes: Buffer): { framing: 'exact' | 'open'; mayClose: boolean; why: string } {
  const r = readAsServer(bytes);
  // A parse error after a complete request: the server answers that one, then 400 — two answers.
  if (r.error !== undefined) return { framing: r.complete > 0 || r.heads > 1 ? 'open' : 'exact', mayClose: true, why: `parse error ${r.error}` };
  if (r.complete !== 1 || r.heads !== 1 || !r.consumedAll) return { framing: 'open', mayClose: true, why: `${r.complete} complete of ${r.heads} messages` };
  if (r.trailing) return { framing: 'open', mayClose: true, why: 'bytes after the message' };
  const first = r.first!;
  const header = (name: string) => first.headers.filter(([n]) => n === name).map(([, v]) => v);
  // Node's server checks after the parser: HTTP/1.1 needs a Host; CONNECT and upgrades leave HTTP; Expect other than 100-continue is 417.
  if (!first.keepAlive) return { framing: 'exact', mayClose: true, why: 'not keep-alive' };
  if (first.upgrade || first.method === 'CONNECT') return { framing: 'exact', mayClose: true, why: 'upgrade or CONNECT' };
  if (first.version === '1.1' && header('host').length === 0) return { framing: 'exact', mayClose: true, why: 'no Host' };
  if (header('expect').some((v) => !/^100-continue$/i.test(v.trim()))) return { framing: 'exact', mayClose: true, why: 'Expect' };
  return { framing: 'exact', mayClose: false, why: 'one complete request' };
}
