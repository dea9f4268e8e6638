/**
 * Raw HTTP/1.1 requests for the HTTP fuzzer, generated from a seeded RNG: request lines (methods,
 * targets — invalid URLs, `..`, control bytes, percent-escapes, huge ones — and versions),
 * headers (duplicates, huge ones, Content-Length wrong, negative or doubled, chunked bodies with
 * bad chunk sizes, gzip valid, truncated and garbage, Expect, Connection, Host), the parameters of
 * every route, every auth form, and bodies (line protocol, query JSON, bytes); then, for a part
 * of them, byte-level mutations of the whole request.
 *
 * Every request says how the connection can carry it, as the server's own parser reads it
 * (`http-fuzz-wire.ts`): an `exact` request is one complete request, so more can be pipelined
 * behind it; an `open` one (cut short, or more than one request) is sent alone at the end of a
 * connection; one that `mayClose` it goes last.
 */
import type { Rng } from '../../src/effects/rng.js';
import { configureRequest, contentEncoding, dbName, FORMATS, frame, lpBody, PARAMS_JSON, queryJson, sql } from './http-fuzz-bodies.js';
import { Pick } from './http-fuzz-pick.js';
import { framingOf } from './http-fuzz-wire.js';

/** One generated request and how it may be sent. */
export interface FuzzRequest {
  bytes: Buffer;
  /** `exact`: complete and framed as the server will read it; `open`: anything else. */
  framing: 'exact' | 'open';
  /** The server may close the connection after answering it (or without answering: CONNECT). */
  mayClose: boolean;
  /** The client sends only the first `abortAfterBytes` bytes, then resets the connection. */
  abortAfterBytes?: number;
  isHead: boolean;
  /** The kind of request the generator set out to make (`v3-write`, `weird-target`, …). */
  kind: string;
  /** What the generator chose, for reports. */
  label: string;
}

/** A batch for one connection: exact requests pipelined (the last may close), then maybe one open or aborted request. */
export interface FuzzBatch {
  pipelined: FuzzRequest[];
  last?: FuzzRequest;
}

/** What the generator needs to know about the server under test. */
export interface FuzzTarget {
  /** `127.0.0.1:port` (changes when the server restarts; only used in Host headers). */
  hostPort: () => string;
  /** A valid API token. */
  token: string;
  /** A database the fuzzer must never write to (the known points live there); it may read it. */
  protectedDb: string;
}

// ---- parameters ---------------------------------------------------------------------------------

const PRECISIONS = ['s', 'ms', 'us', 'ns', 'auto', 'second', 'millisecond', 'microsecond', 'nanosecond', 'n', 'u'];
const ODD_PRECISIONS = ['', 'h', 'm', 'NS', 'MS', 'S', 'xx', '__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf', 'ns ', ' s', '1', 'null', 'undefined', 'nanoseconds', 'µs', 'rfc3339'];
const BOOL_PARAMS = ['true', 'false', '', 'TRUE', 'False', '1', '0', 'yes', 'on', 'null', '__proto__', 'true ', 'truee'];
const ACCEPTS = ['application/json', 'text/csv', 'text/plain', 'application/vnd.apache.parquet', '*/*', 'text/html', 'application/jsonl', 'image/png', '', 'application/json;q=0.1, text/csv', ';;;', 'x'.repeat(3000)];

/** Percent-encodes the UTF-8 bytes of `value` but those `keep` matches (a lone surrogate becomes U+FFFD). */
function percentEncode(value: string, keep: RegExp = /[A-Za-z0-9\-_.~]/): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && keep.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-encodes one query component, or now and then leaves raw bytes and broken escapes in it. */
function encodeComponent(p: Pick, value: string): string {
  const roll = p.int(100);
  if (roll < 85) return percentEncode(value).replace(/%20/g, p.chance(0.5) ? '+' : '%20');
  if (roll < 92) return percentEncode(value, /[\x21-\x7e]/).replace(/[#&]/g, (c) => percentEncode(c)); // keeps %, +, ", \
  if (roll < 96) return `${percentEncode(value)}${p.one(['%', '%z', '%zz', '%0', '%00', '%FF', '%e9', '%C3', '%u0041', '%%', '%2', '%G0'])}`;
  return value.replace(/ /g, '+'); // raw: control bytes and non-ASCII go into the request line as they are
}

function queryString(p: Pick, params: Array<[string, string]>): string {
  if (params.length === 0) return p.chance(0.1) ? '?' : '';
  const order = params.slice();
  if (p.chance(0.2)) order.reverse();
  if (p.chance(0.05)) order.push(order[0]!); // a duplicated key
  if (p.chance(0.03)) order.push([p.one(['', '=', '__proto__', 'constructor', 'x'.repeat(100)]), p.text(5)]);
  const sep = p.chance(0.97) ? '&' : p.one([';', '&&', '&amp;']);
  const parts = order.map(([k, v]) => (p.chance(0.02) ? encodeComponent(p, k) : `${encodeComponent(p, k)}=${encodeComponent(p, v)}`));
  return `?${parts.join(sep)}${p.chance(0.02) ? p.one(['&', '#frag', '#', '&=']) : ''}`;
}

// ---- auth ---------------------------------------------------------------------------------------

/** A token too long to be one (built once). */
const LONG_BEARER = `Bearer ${'A'.repeat(8000)}`;

/** The Authorization header to send (undefined for none) and, for v1, the `u`/`p` parameters. */
function auth(p: Pick, token: string, isV1: boolean): { header?: string[]; params: Array<[string, string]> } {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const valid = p.chance(0.8);
  if (valid) {
    return p.weighted<{ header?: string[]; params: Array<[string, string]> }>([
      [10, { header: [`Bearer ${token}`], params: [] }],
      [3, { header: [`Token ${token}`], params: [] }],
      [2, { header: [`bearer ${token}`], params: [] }],
      [2, { header: [`Basic ${b64(`user:${token}`)}`], params: [] }],
      [1, { header: [`Basic ${b64(`:${token}`)}`], params: [] }],
      [1, { header: [`  Bearer \t ${token}  `], params: [] }],
      [isV1 ? 4 : 0, { params: [['p', token]] }],
      [isV1 ? 2 : 0, { params: [['u', 'user'], ['p', token]] }],
    ]);
  }
  return p.weighted<{ header?: string[]; params: Array<[string, string]> }>([
    [4, { params: [] }],
    [2, { header: ['Bearer wrong'], params: [] }],
    [1, { header: ['Bearer'], params: [] }],
    [1, { header: [''], params: [] }],
    [1, { header: [`Bearer ${token} extra`], params: [] }],
    [1, { header: [`Bearer ${token.slice(0, -1)}`], params: [] }],
    [1, { header: [`Bearer ${token}x`], params: [] }],
    [1, { header: ['Basic !!!notbase64'], params: [] }],
    [1, { header: [`Basic ${b64('nocolon')}`], params: [] }],
    [1, { header: [`Basic ${b64(token)}`], params: [] }],
    [1, { header: ['Basic '], params: [] }],
    [1, { header: ['Digest username="a"'], params: [] }],
    [1, { header: ['Negotiate YII='], params: [] }],
    [1, { header: [LONG_BEARER], params: [] }],
    [1, { header: ['Bearer wrong', `Bearer ${token}`], params: [] }],
    [1, { header: [`Bearer ${token}`, 'Bearer wrong'], params: [] }],
    [1, { header: ['Bearer \u00e9\u00ff'], params: [] }],
    [isV1 ? 3 : 0, { params: [['p', 'wrong']] }],
    [isV1 ? 1 : 0, { params: [['p', '']] }],
    [isV1 ? 1 : 0, { params: [['u', token]] }],
    [isV1 ? 1 : 0, { header: ['Bearer wrong'], params: [['p', token]] }],
  ]);
}

// ---- the request ---------------------------------------------------------------------------------

interface Draft {
  method: string;
  target: string;
  version: string;
  headers: string[];
  body: Buffer;
  hasBody: boolean;
  label: string[];
  kind: string;
}

const METHODS_ODD = ['PUT', 'DELETE', 'PATCH', 'TRACE', 'PROPFIND', 'MKCOL', 'PURGE', 'SEARCH', 'QUERY', 'LINK', 'REPORT', 'SOURCE'];
const METHODS_BAD = ['get', 'Post', 'FOO', 'GET\u0000', 'G ET', '', 'GETT', 'POSTX', 'PRI', 'HTTP/1.1', 'ÉGET', 'CONNECT'];
const WEIRD_TARGETS = [
  '//x:99999/', '//[/', '//a%zz/', 'http://x:99999/', 'http://[::1/', '//', '///', '*', 'x', 'health', 'example.com:80', '127.0.0.1:8181',
  'http://localhost/health', 'http://127.0.0.1/api/v3/query_sql?db=fuzz&q=SELECT%201', 'https://a/b', '//x@y/', 'http://u:p@h/ping', 'http:/ping', 'http:ping', 'mailto:x',
  '/..', '/../..', '/../../etc/passwd', '/./health', '/health/', '/health/.', '/health?', '/health#x', '/HEALTH', '/Health', '/%2e%2e/health', '/%2e/health', '/%68ealth', '/health%00', '/health%2f',
  '/%', '/%zz', '/%00', '/a%00b', '/%ff%fe', '/%c0%af', '/\u00e9', '/%E9', '/;', '/ping;x', '/ping/', '//ping', '///ping', '/api/v3//write_lp?db=fuzz', '/api/v3/write_lp/', '/api/v3/WRITE_LP?db=fuzz', '/API/V3/WRITE_LP?db=fuzz',
  '/api/v2/write/', '/write/', '/writex', '/query', '/api/v3/query_influxql?db=fuzz&q=SHOW%20DATABASES', '/api/v3/configure/database', '/api/v1/health', '/api/v3/query_sql/', '/metrics/', '/metrics?x=1', '/debug/pprof', '/__proto__', '/constructor', '/toString', '/hasOwnProperty', '/api/__proto__',
  '/?', '/??', '/?&', '/?=', '/?a=%', '/?%zz=1', '\\health', '/a\\b', '/a b', '/a\tb', '/a"b', '/a<b>', '/a{b}', '/a|b', '/a^b', '/a`b',
];

function route(p: Pick, t: FuzzTarget): Draft {
  const d: Draft = { method: 'GET', target: '/', version: 'HTTP/1.1', headers: [], body: Buffer.alloc(0), hasBody: false, label: [], kind: '' };
  const kind = p.weighted<string>([
    [14, 'v3-write'],
    [8, 'v2-write'],
    [8, 'v1-write'],
    [2.5, 'query-get'],
    [1, 'query-post'],
    [1.5, 'configure'],
    [6, 'health'],
    [5, 'ping'],
    [0.5, 'metrics'],
    [2, 'options'],
    [6, 'weird-target'],
    [3, 'wrong-method'],
    [1, 'bad-method'],
  ]);
  d.label.push(kind);
  d.kind = kind;
  const isV1 = kind === 'v1-write';
  const authChoice = auth(p, t.token, isV1);
  if (authChoice.header !== undefined) for (const h of authChoice.header) d.headers.push(`Authorization: ${h}`);
  d.label.push(authChoice.header === undefined ? (authChoice.params.length > 0 ? 'auth=p' : 'auth=none') : `auth=${authChoice.header[0]!.trim().split(/\s+/)[0] ?? ''}`);
  switch (kind) {
    case 'v3-write': {
      const precision = p.chance(0.9) ? p.one(PRECISIONS) : p.one(ODD_PRECISIONS);
      const params: Array<[string, string]> = [];
      if (p.chance(0.97)) params.push(['db', dbName(p, t.protectedDb)]);
      if (p.chance(0.8)) params.push(['precision', precision]);
      if (p.chance(0.3)) params.push(['accept_partial', p.one(BOOL_PARAMS)]);
      if (p.chance(0.3)) params.push(['no_sync', p.one(BOOL_PARAMS)]);
      d.method = 'POST';
      d.target = `/api/v3/write_lp${queryString(p, params)}`;
      d.body = lpBody(p, precisionUnit(precision));
      d.hasBody = true;
      break;
    }
    case 'v2-write': {
      const precision = p.chance(0.9) ? p.one(PRECISIONS) : p.one(ODD_PRECISIONS);
      const params: Array<[string, string]> = [];
      if (p.chance(0.97)) params.push(['bucket', dbName(p, t.protectedDb)]);
      if (p.chance(0.5)) params.push(['org', p.one(['', 'org', 'my-org', '😀', '__proto__'])]);
      if (p.chance(0.7)) params.push(['precision', precision]);
      d.method = 'POST';
      d.target = `/api/v2/write${queryString(p, params)}`;
      d.body = lpBody(p, precisionUnit(precision));
      d.hasBody = true;
      break;
    }
    case 'v1-write': {
      const precision = p.chance(0.9) ? p.one(['n', 'ns', 'u', 'us', 'ms', 's']) : p.one(ODD_PRECISIONS);
      const params: Array<[string, string]> = [...authChoice.params];
      if (p.chance(0.97)) params.push(['db', dbName(p, t.protectedDb)]);
      if (p.chance(0.3)) params.push(['rp', p.one(['', 'autogen', 'default', 'x', '__proto__', 'AUTOGEN', 'autogen '])]);
      if (p.chance(0.7)) params.push(['precision', precision]);
      if (p.chance(0.1)) params.push(['consistency', p.one(['one', 'all', 'any'])]);
      d.method = 'POST';
      d.target = `/write${queryString(p, params)}`;
      d.body = lpBody(p, precisionUnit(precision === 'n' ? 'ns' : precision === 'u' ? 'us' : precision));
      d.hasBody = true;
      break;
    }
    case 'query-get': {
      const params: Array<[string, string]> = [];
      if (p.chance(0.95)) params.push(['db', p.chance(0.1) ? t.protectedDb : dbName(p, t.protectedDb)]);
      if (p.chance(0.95)) params.push(['q', sql(p)]);
      if (p.chance(0.5)) params.push(['format', p.one(FORMATS)]);
      if (p.chance(0.2)) params.push(['params', p.one(PARAMS_JSON)]);
      d.method = 'GET';
      d.target = `/api/v3/query_sql${queryString(p, params)}`;
      if (p.chance(0.3)) d.headers.push(`Accept: ${p.one(ACCEPTS)}`);
      break;
    }
    case 'query-post': {
      d.method = 'POST';
      d.target = `/api/v3/query_sql${p.chance(0.1) ? queryString(p, [['db', 'fuzz'], ['q', 'SELECT 2']]) : ''}`;
      d.body = queryJson(p, t.protectedDb);
      d.hasBody = true;
      if (p.chance(0.5)) d.headers.push(`Content-Type: ${p.one(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''])}`);
      if (p.chance(0.2)) d.headers.push(`Accept: ${p.one(ACCEPTS)}`);
      break;
    }
    case 'configure': {
      const r = configureRequest(p, t.protectedDb);
      d.method = r.method;
      d.target = r.target;
      if (r.body !== undefined) {
        d.body = r.body;
        d.hasBody = true;
        if (p.chance(0.9)) d.headers.push(`Content-Type: ${p.chance(0.9) ? 'application/json' : p.one(['text/plain', ''])}`);
      }
      break;
    }
    case 'health':
      d.target = p.one(['/health', '/api/v1/health', '/health', `/health${queryString(p, [['x', p.text(5)]])}`]);
      d.method = p.chance(0.9) ? 'GET' : p.one(['HEAD', 'POST']);
      break;
    case 'ping':
      d.target = p.chance(0.9) ? '/ping' : `/ping${queryString(p, [['verbose', p.one(['true', 'x'])]])}`;
      d.method = p.one(['GET', 'GET', 'HEAD', 'POST']);
      if (d.method === 'POST' && p.chance(0.5)) {
        d.body = p.bytes(p.int(100));
        d.hasBody = true;
      }
      break;
    case 'metrics':
      d.target = '/metrics';
      d.method = p.chance(0.9) ? 'GET' : 'HEAD';
      break;
    case 'options':
      d.method = 'OPTIONS';
      d.target = p.one(['/api/v3/write_lp?db=fuzz', '/api/v3/query_sql', '*', '/nothing', '/write']);
      if (p.chance(0.6)) d.headers.push(`Origin: ${p.one(['http://evil.example', 'null', 'http://localhost:3000', ''])}`, `Access-Control-Request-Method: ${p.one(['POST', 'GET', 'PUT'])}`);
      break;
    case 'weird-target':
      d.method = p.one(['GET', 'GET', 'POST', 'HEAD']);
      d.target = p.lazy<string>([
        [10, () => p.one(WEIRD_TARGETS)],
        [2, () => `/${p.text(30)}`],
        [1, () => `/${'a/'.repeat(1 + p.int(500))}`],
        [1, () => `/api/v3/query_sql?db=fuzz&q=${'%41'.repeat(1000 + p.int(3000))}`],
        [0.5, () => `/${'x'.repeat(17_000 + p.int(50_000))}`],
        [0.3, () => `/?${'a=b&'.repeat(4000)}`],
      ]);
      if (d.method === 'POST' && p.chance(0.5)) {
        d.body = lpBody(p, 'ns');
        d.hasBody = true;
      }
      break;
    case 'wrong-method':
      d.method = p.one(METHODS_ODD);
      d.target = p.one(['/api/v3/write_lp?db=fuzz', '/api/v2/write?bucket=fuzz', '/write?db=fuzz', '/api/v3/query_sql?db=fuzz&q=SELECT%201', '/health', '/ping', '/metrics']);
      if (p.chance(0.5)) {
        d.body = lpBody(p, 'ns');
        d.hasBody = true;
      }
      break;
    case 'bad-method':
      d.method = p.one(METHODS_BAD);
      d.target = p.one(['/health', '/ping', '/api/v3/write_lp?db=fuzz', '*', 'x:1']);
      break;
  }
  return d;
}

/** The unit of the timestamps a body should carry for a precision parameter. */
function precisionUnit(precision: string): string {
  const map: Record<string, string> = { s: 's', second: 's', ms: 'ms', millisecond: 'ms', us: 'us', u: 'us', microsecond: 'us', ns: 'ns', n: 'ns', nanosecond: 'ns', auto: 'ns' };
  return Object.hasOwn(map, precision) ? map[precision]! : 'ns';
}

/** Extra headers: Host, Expect, Connection, duplicates, huge ones, odd ones. */
function extraHeaders(p: Pick, d: Draft, t: FuzzTarget): void {
  const host = p.weighted<string | undefined>([
    [90, t.hostPort()],
    [3, 'localhost'],
    [2, p.one(['evil.example', '[::1]', '127.0.0.1', 'LOCALHOST:1', 'a b', '', 'x'.repeat(300)])],
    [1, undefined],
  ]);
  if (host !== undefined) d.headers.unshift(`Host: ${host}`);
  if (host !== undefined && p.chance(0.005)) d.headers.push(`Host: ${host}`);
  if (p.chance(0.03)) d.headers.push(`Expect: ${p.weighted([[5, '100-continue'], [1, '100-Continue'], [1, 'foo'], [1, '']] as const)}`);
  if (p.chance(0.04)) {
    const c = p.one(['keep-alive', 'close', 'Close', 'upgrade', 'keep-alive, close', 'TE', 'foo']);
    d.headers.push(`Connection: ${c}`);
    if (c === 'upgrade') d.headers.push(`Upgrade: ${p.one(['websocket', 'h2c', 'foo'])}`);
  }
  if (p.chance(0.02)) d.headers.push(`Origin: ${p.one(['http://evil.example', 'null', 'http://localhost'])}`, `Sec-Fetch-Site: ${p.one(['cross-site', 'same-origin', 'none'])}`);
  if (p.chance(0.02)) d.headers.push(`Content-Type: ${p.one(['text/plain', 'application/octet-stream', 'text/plain; charset=latin1', '\u00e9'])}`);
  if (p.chance(0.01)) d.headers.push(`X-Big: ${'b'.repeat(p.chance(0.5) ? 8000 : 20_000)}`);
  if (p.chance(0.005)) for (let i = 0; i < 1000 + p.int(1500); i++) d.headers.push(`X-Many-${i}: ${i}`);
  if (p.chance(0.01)) {
    // Headers that node's parser refuses (400 and close).
    d.headers.push(p.one(['X-Bad : 1', 'X-Nul: a\u0000b', 'X-Fold: a\r\n b', 'NoColon', ': empty-name', 'X-Ctl: \u0001', 'X\u00e9: 1', 'X-CR: a\rb']));
  }
  if (p.chance(0.01)) d.headers.push(`X-Obs-Text: ${'\u00e9\u00ff'}`); // latin1 bytes in a value
  if (p.chance(0.01)) d.headers.push('X-Empty:', `X-Dup: 1`, `x-dup: 2`);
  if (p.chance(0.01)) d.headers.push(`Cookie: ${'c=1; '.repeat(50)}`);
  if (p.chance(0.02)) d.headers.push(`User-Agent: ${p.text(30).replace(/[\r\n]/g, '')}`);
}

/** The HTTP version of the request line. */
function version(p: Pick, d: Draft): void {
  d.version = p.weighted<string>([
    [97, 'HTTP/1.1'],
    [1.5, 'HTTP/1.0'],
    [0.5, p.one(['HTTP/0.9', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/9.9', 'HTTP/1', 'http/1.1', 'HTTP/1.1 ', 'HTTP/11', 'HTTPS/1.1', 'HTTP/1.10'])],
    [0.3, ''],
  ]);
}

function mutate(p: Pick, bytes: Buffer): { bytes: Buffer; label: string } {
  let b: Buffer = Buffer.from(bytes);
  const labels: string[] = [];
  const ops = 1 + p.int(3);
  const interesting = ['\r\n', '\r\n\r\n', '\u0000', ' ', ':', '%', '\r', '\n', '\t', '\u00ff', '"', '?', '/', '..', '0', '-1', 'ffffffff', '\r\n0\r\n\r\n', 'chunked', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', '%zz', 'HTTP/1.1'];
  for (let i = 0; i < ops; i++) {
    const at = p.int(b.length + 1);
    const op = p.int(8);
    switch (op) {
      case 0:
        if (b.length > 0) {
          const k = Math.min(at, b.length - 1);
          b[k] = b[k]! ^ (1 << p.int(8));
        }
        labels.push('flip');
        break;
      case 1:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = p.int(256);
        labels.push('set');
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(p.one(interesting), 'latin1'), b.subarray(at)]);
        labels.push('insert');
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), p.bytes(1 + p.int(8)), b.subarray(at)]);
        labels.push('insert-random');
        break;
      case 4:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + p.int(16)))]);
        labels.push('delete');
        break;
      case 5: {
        const n = 1 + p.int(32);
        b = Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]);
        labels.push('duplicate');
        break;
      }
      case 6:
        b = b.subarray(0, at);
        labels.push('truncate');
        break;
      default: {
        // Replace a digit run (a length, a chunk size, a timestamp) with another number.
        const text = b.toString('latin1');
        const digits = [...text.matchAll(/[0-9]+/g)];
        if (digits.length > 0) {
          const m = p.one(digits);
          const replacement = p.one(['0', '1', '-1', '99999999999', String(Number(m[0].slice(0, 15)) + 1), '18446744073709551616']);
          b = Buffer.concat([b.subarray(0, m.index), Buffer.from(replacement, 'latin1'), b.subarray(m.index + m[0].length)]);
        }
        labels.push('number');
      }
    }
  }
  return { bytes: b, label: `mutated(${labels.join(',')})` };
}

/** Builds requests from a seeded RNG; the same seed gives the same bytes. */
export class RequestGenerator {
  private readonly p: Pick;

  constructor(
    rng: Rng,
    private readonly target: FuzzTarget,
  ) {
    this.p = new Pick(rng);
  }

  /** One request. */
  next(): FuzzRequest {
    const p = this.p;
    const d = route(p, this.target);
    version(p, d);
    extraHeaders(p, d, this.target);
    const coded = d.hasBody ? contentEncoding(p, d.body) : { headers: [], body: d.body, label: 'identity' };
    const framed = frame(p, coded.body, d.hasBody);
    const requestLine = d.version === '' ? `${d.method} ${d.target}` : `${d.method} ${d.target} ${d.version}`;
    const headers = [...d.headers, ...coded.headers, ...framed.headers];
    if (p.chance(0.3)) shuffle(p, headers);
    const head = Buffer.from(`${requestLine}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`, d.label.some((l) => l.startsWith('weird')) || p.chance(0.5) ? 'utf8' : 'latin1');
    let bytes: Buffer = Buffer.concat([head, framed.bytes]);
    const label = [d.method.slice(0, 12), d.target.length > 80 ? `${d.target.slice(0, 60)}…(${d.target.length})` : d.target, ...d.label, coded.label, framed.label, d.version === 'HTTP/1.1' ? '' : `version=${JSON.stringify(d.version)}`].filter((s) => s !== '');
    if (p.chance(0.12)) {
      const m = mutate(p, bytes);
      bytes = m.bytes;
      label.push(m.label);
    }
    const wire = framingOf(bytes);
    if (wire.framing === 'open' || wire.mayClose) label.push(`[${wire.why}]`);
    const request: FuzzRequest = { bytes, framing: wire.framing, mayClose: wire.mayClose, isHead: methodOf(bytes) === 'HEAD', kind: d.kind, label: label.join(' ') };
    if (p.chance(0.01)) {
      request.abortAfterBytes = p.int(bytes.length + 1);
      request.label += ` abort@${request.abortAfterBytes}`;
    }
    return request;
  }

  /** Requests for one connection: up to 12 exact ones pipelined (a closing one last), then maybe one open or aborted. */
  nextBatch(): FuzzBatch {
    const p = this.p;
    const want = p.chance(0.3) ? 1 : 1 + p.int(12);
    const pipelined: FuzzRequest[] = [];
    let last: FuzzRequest | undefined;
    for (let i = 0; i < want * 2 && pipelined.length < want; i++) {
      const r = this.next();
      if (r.abortAfterBytes !== undefined || r.framing === 'open') {
        last = r;
        break;
      }
      pipelined.push(r);
      if (r.mayClose) break;
    }
    return last === undefined ? { pipelined } : { pipelined, last };
  }
}

function shuffle<T>(p: Pick, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = p.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** The method token of a raw request (what the server will take as its method). */
export function methodOf(bytes: Buffer): string {
  // Node's HTTP parser skips CR and LF bytes before a request line (RFC 9112 asks a server to
  // ignore empty lines there): `\r\nHEAD /` is a HEAD, answered without a body.
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x0d || bytes[start] === 0x0a)) start++;
  const space = bytes.indexOf(0x20, start);
  return bytes.subarray(start, space < 0 ? Math.min(bytes.length, start + 16) : space).toString('latin1');
}
