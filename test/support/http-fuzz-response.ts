/**
 * A strict HTTP/1.1 response reader for the HTTP fuzzer: it takes the bytes a server sends on one
 * connection, in whatever pieces they arrive, and cuts them into responses by RFC 9112's rules
 * (status line, header fields, then a body framed by `Transfer-Encoding: chunked`,
 * `Content-Length`, or the end of the connection), without trusting any HTTP library to be
 * lenient for it. Anything that is not a well-formed response is a {@link MalformedResponseError}.
 */

/** One response as it came off the wire. */
export interface WireResponse {
  status: number;
  reason: string;
  /** Header fields in order, names in lower case. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** The status line and header block, as text (for failure reports). */
  head: string;
  /** A 1xx answer: the final response to the same request follows. */
  isInterim: boolean;
  /** The response asked for the connection to be closed after it. */
  isClosing: boolean;
}

/** The server sent bytes that are not a well-formed HTTP/1.1 response. */
export class MalformedResponseError extends Error {
  constructor(
    readonly reason: string,
    /** The bytes of the response being read when it went wrong (at most 4 KiB of them). */
    readonly excerpt: Buffer,
  ) {
    super(`malformed response: ${reason}; bytes: ${JSON.stringify(excerpt.toString('latin1'))}`);
  }
}

/** Largest status line plus header block we accept from the server. */
const MAX_HEAD_BYTES = 64 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.1 ([1-5][0-9][0-9]) ([\t \x21-\x7e\x80-\xff]*)$/;
// A field value: visible characters, obs-text, spaces and tabs inside (RFC 9110 §5.5).
const FIELD_VALUE = /^[\t \x21-\x7e\x80-\xff]*$/;
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]{1,15})((?:[ \t]*;[^\r\n]*)?)$/;

type State =
  | { kind: 'head' }
  | { kind: 'length'; response: WireResponse; remaining: number; parts: Buffer[] }
  | { kind: 'chunk-size'; response: WireResponse; parts: Buffer[] }
  | { kind: 'chunk-data'; response: WireResponse; parts: Buffer[]; remaining: number }
  | { kind: 'chunk-crlf'; response: WireResponse; parts: Buffer[] }
  | { kind: 'trailers'; response: WireResponse; parts: Buffer[] }
  | { kind: 'until-close'; response: WireResponse; parts: Buffer[] }
  | { kind: 'closed-by-response' };

/**
 * Reads the responses of one connection. `isHeadRequest()` is asked, for each response, whether
 * the request it answers was a HEAD (its response has no body whatever its headers say).
 */
export class ResponseReader {
  private pending: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'head' };

  constructor(
    private readonly isHeadRequest: () => boolean,
    private readonly onResponse: (response: WireResponse) => void,
  ) {}

  /** Whether the reader is in the middle of a response (bytes seen, response not complete). */
  get isMidResponse(): boolean {
    return this.state.kind === 'head' ? this.pending.length > 0 : this.state.kind !== 'closed-by-response';
  }

  /** Takes the next bytes from the server; throws MalformedResponseError. */
  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.step()) {
      // each step consumes bytes or changes state; it returns false when it needs more bytes
    }
  }

  /** The connection closed: a response cut off in the middle is malformed. */
  close(): void {
    const s = this.state;
    if (s.kind === 'until-close') {
      s.response.body = Buffer.concat([...s.parts, this.pending]);
      this.pending = Buffer.alloc(0);
      this.state = { kind: 'closed-by-response' };
      this.onResponse(s.response);
      return;
    }
    if (s.kind === 'closed-by-response') return;
    if (s.kind === 'head' && this.pending.length === 0) return;
    throw new MalformedResponseError(`the connection closed in the middle of a response (${s.kind})`, this.excerpt(s));
  }

  private excerpt(s: State): Buffer {
    const head = 'response' in s ? Buffer.from(s.response.head, 'latin1') : Buffer.alloc(0);
    return Buffer.concat([head, this.pending]).subarray(0, 4096);
  }

  /** One step of the state machine; false when it needs more bytes. */
  private step(): boolean {
    const s = this.state;
    switch (s.kind) {
      case 'closed-by-response':
        if (this.pending.length === 0) return false;
        throw new MalformedResponseError('bytes after a response that closes the connection', this.pending.subarray(0, 4096));
      case 'head':
        return this.readHead();
      case 'length': {
        const n = Math.min(s.remaining, this.pending.length);
        if (n > 0) s.parts.push(this.pending.subarray(0, n));
        this.pending = this.pending.subarray(n);
        s.remaining -= n;
        if (s.remaining > 0) return false;
        this.finish(s.response, s.parts);
        return true;
      }
      case 'chunk-size': {
        const end = this.pending.indexOf('\r\n');
        if (end < 0) {
          if (this.pending.length > 1024) throw new MalformedResponseError('a chunk-size line longer than 1 KiB', this.excerpt(s));
          return false;
        }
        const line = this.pending.subarray(0, end).toString('latin1');
        const m = CHUNK_SIZE_LINE.exec(line);
        if (m === null) throw new MalformedResponseError(`bad chunk-size line ${JSON.stringify(line)}`, this.excerpt(s));
        this.pending = this.pending.subarray(end + 2);
        const size = parseInt(m[1]!, 16);
        this.state = size === 0 ? { kind: 'trailers', response: s.response, parts: s.parts } : { kind: 'chunk-data', response: s.response, parts: s.parts, remaining: size };
        return true;
      }
      case 'chunk-data': {
        const n = Math.min(s.remaining, this.pending.length);
        if (n > 0) s.parts.push(this.pending.subarray(0, n));
        this.pending = this.pending.subarray(n);
        s.remaining -= n;
        if (s.remaining > 0) return false;
        this.state = { kind: 'chunk-crlf', response: s.response, parts: s.parts };
        return true;
      }
      case 'chunk-crlf': {
        if (this.pending.length < 2) return false;
        if (this.pending[0] !== 0x0d || this.pending[1] !== 0x0a) throw new MalformedResponseError('chunk data not followed by CRLF', this.excerpt(s));
        this.pending = this.pending.subarray(2);
        this.state = { kind: 'chunk-size', response: s.response, parts: s.parts };
        return true;
      }
      case 'trailers': {
        const end = this.pending.indexOf('\r\n');
        if (end < 0) return false;
        const line = this.pending.subarray(0, end).toString('latin1');
        this.pending = this.pending.subarray(end + 2);
        if (line === '') {
          this.finish(s.response, s.parts);
          return true;
        }
        parseField(line, this.excerpt(s));
        return true;
      }
      case 'until-close':
        if (this.pending.length > 0) s.parts.push(this.pending);
        this.pending = Buffer.alloc(0);
        return false;
    }
  }

  private readHead(): boolean {
    // Every response starts with "HTTP/1.1 ": catch anything else at once instead of waiting for more.
    const prefix = this.pending.subarray(0, 9).toString('latin1');
    if (!'HTTP/1.1 '.startsWith(prefix)) throw new MalformedResponseError('bytes that do not start an HTTP/1.1 response', this.pending.subarray(0, 4096));
    const end = this.pending.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.pending.length > MAX_HEAD_BYTES) throw new MalformedResponseError(`a response head longer than ${MAX_HEAD_BYTES} bytes`, this.pending.subarray(0, 4096));
      return false;
    }
    const head = this.pending.subarray(0, end).toString('latin1');
    const raw = this.pending.subarray(0, end + 4);
    this.pending = this.pending.subarray(end + 4);
    const lines = head.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (m === null) throw new MalformedResponseError(`bad status line ${JSON.stringify(lines[0])}`, raw);
    const status = Number(m[1]);
    const headers: Array<[string, string]> = [];
    for (const line of lines.slice(1)) headers.push(parseField(line, raw));
    const values = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);
    const connection = values('connection').join(',').toLowerCase().split(',').map((t) => t.trim());
    const response: WireResponse = { status, reason: m[2]!, headers, body: Buffer.alloc(0), head, isInterim: status < 200, isClosing: connection.includes('close') };
    const lengths = values('content-length');
    const encodings = values('transfer-encoding');
    if (lengths.length > 1) throw new MalformedResponseError(`${lengths.length} Content-Length fields`, raw);
    if (lengths.length === 1 && !/^[0-9]{1,15}$/.test(lengths[0]!)) throw new MalformedResponseError(`bad Content-Length ${JSON.stringify(lengths[0])}`, raw);
    if (lengths.length > 0 && encodings.length > 0) throw new MalformedResponseError('both Content-Length and Transfer-Encoding', raw);
    if (status === 101) throw new MalformedResponseError('101 Switching Protocols: nothing here upgrades a connection', raw);
    if (status < 200 || status === 204) {
      // RFC 9110 §8.6 and §6.4.1: no Content-Length, no Transfer-Encoding, no body.
      if (lengths.length > 0 || encodings.length > 0) throw new MalformedResponseError(`a ${status} response with a body framing header`, raw);
      this.finish(response, []);
      return true;
    }
    if (this.isHeadRequest() || status === 304) {
      this.finish(response, []);
      return true;
    }
    if (encodings.length > 0) {
      const codings = encodings.join(',').toLowerCase().split(',').map((t) => t.trim());
      if (codings[codings.length - 1] !== 'chunked') throw new MalformedResponseError(`Transfer-Encoding ${JSON.stringify(encodings.join(', '))} does not end in chunked`, raw);
      this.state = { kind: 'chunk-size', response, parts: [] };
      return true;
    }
    if (lengths.length === 1) {
      this.state = { kind: 'length', response, remaining: Number(lengths[0]), parts: [] };
      return true;
    }
    this.state = { kind: 'until-close', response, parts: [] };
    return true;
  }

  private finish(response: WireResponse, parts: Buffer[]): void {
    response.body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.state = response.isClosing && !response.isInterim ? { kind: 'closed-by-response' } : { kind: 'head' };
    this.onResponse(response);
  }
}

function parseField(line: string, raw: Buffer): [string, string] {
  const colon = line.indexOf(':');
  if (colon <= 0) throw new MalformedResponseError(`a header line without a name and colon: ${JSON.stringify(line)}`, raw);
  const name = line.slice(0, colon);
  if (!TOKEN.test(name)) throw new MalformedResponseError(`a header name that is not a token: ${JSON.stringify(name)}`, raw);
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
  if (!FIELD_VALUE.test(value)) throw new MalformedResponseError(`header ${name} has characters not allowed in a field value: ${JSON.stringify(value)}`, raw);
  return [name.toLowerCase(), value];
}

/** The value of a header (fields of the same name joined with ", "), or undefined. */
export function headerOf(response: WireResponse, name: string): string | undefined {
  const values = response.headers.filter(([n]) => n === name).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(', ');
}
