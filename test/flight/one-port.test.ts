/**
 * One port, two protocols, at once: HTTP/1.1 clients (node's http with a keep-alive connection
 * each, and fetch) write and query while gRPC clients (the official InfluxDB 3 client, each with
 * its own channel and connection) run Arrow Flight queries on the same port, for
 * FLIGHT_HAMMER_SECONDS (default 30), with snapshots to Parquet under way and raw TCP clients
 * sending garbage that looks like the HTTP/2 preface, single bytes, half a preface, or nothing.
 * One more client of each kind goes through a proxy that sends the first bytes of every connection
 * one at a time, so the listener has to gather the preface or request line from many reads.
 * No request of either kind may fail or get the other protocol's answer, every acknowledged write
 * reads back, and the misbehaving connections get what the listener promises (an HTTP/1.1 400, an
 * HTTP/2 GOAWAY, a silent close, or the 30 s first-bytes timeout).
 *
 * Then the server's graceful close with a Flight stream open: a stream still being read finishes
 * within the grace, one whose client stopped reading is cancelled when the grace runs out, and
 * close() resolves either way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { InfluxDBClient } from '@influxdata/influxdb3-client';
import { RecordBatchReader } from 'apache-arrow';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { decodeFlightData } from '../../src/flight/flight-data.js';
import { SluiceServer } from '../../src/server/http.js';
import { TokenStore } from '../../src/server/auth.js';
import { tempDatabase } from '../support/db-helpers.js';

const SECONDS = Number(process.env.FLIGHT_HAMMER_SECONDS ?? 30);
/** Clients with a connection of their own; one more of each kind goes through the dribbling proxy. */
const HTTP_CLIENTS = 8;
const FLIGHT_CLIENTS = 8;
/** Bytes at the start of each proxied connection sent one at a time (the preface is 24). */
const DRIBBLE_BYTES = 30;
/** The listener's first-bytes timeout (src/server/http.ts: createDualListener(…, 30_000)). */
const FIRST_BYTES_TIMEOUT_MS = 30_000;
const DB = 'hammer';
const BASE_NS = 1_700_000_000_000_000_000n;
const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What Arrow JS (and so the client) gives for a Timestamp(ns) value: milliseconds with a fraction. */
const arrowMs = (ns: bigint) => Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1_000_000;

/** An integer as the client gives it (number with column metadata, bigint without). */
function int(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new Error(`expected an integer, got ${typeof v} ${String(v)}`);
}

async function collect<T>(gen: AsyncGenerator<T, void, void>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of gen) out.push(v);
  return out;
}

/** Server-side TCP connections on `port` that are established (Linux: /proc/net/tcp). */
function establishedOn(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[1]!.endsWith(hex) && f[3] === '01') n++;
    }
  }
  return n;
}

// ---- HTTP ------------------------------------------------------------------------------------------

interface HttpAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
  version: string;
}

type HttpCall = (method: 'GET' | 'POST', path: string, body?: string, contentType?: string) => Promise<HttpAnswer>;

/** node:http over one keep-alive connection of its own (or a new connection per request). */
function nodeHttp(port: number, token: string, keepAlive = true): { call: HttpCall; agent: Agent } {
  const agent = new Agent({ keepAlive, maxSockets: 1 });
  const call: HttpCall = (method, path, body, contentType = 'text/plain; charset=utf-8') =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
      if (body !== undefined) Object.assign(headers, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      const req = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8'), version: res.httpVersion }));
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
      req.end(body);
    });
  return { call, agent };
}

/** fetch (undici: HTTP/1.1 and its own connection pool). */
function fetchHttp(port: number, token: string): HttpCall {
  return async (method, path, body, contentType = 'text/plain; charset=utf-8') => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, contentType: res.headers.get('content-type') ?? undefined, body: await res.text(), version: '1.1' };
  };
}

// ---- raw TCP ---------------------------------------------------------------------------------------

interface RawResult {
  bytes: Buffer;
  /** Who closed: the server (FIN/reset seen), or the client after holding or timing out. */
  closedBy: 'server' | 'client';
  ms: number;
  error?: string;
}

/** Connects, sends `send` (then FIN when `end`), and waits for the server to close; past `holdMs` the client closes. */
function rawExchange(port: number, send: Buffer | string, opts: { end?: boolean; holdMs: number }): Promise<RawResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let done = false;
    const finish = (closedBy: RawResult['closedBy']) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closedBy, ms: performance.now() - started, ...(error === undefined ? {} : { error }) });
    };
    const timer = setTimeout(() => finish('client'), opts.holdMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e) => (error = e.message));
    socket.on('end', () => finish('server'));
    socket.on('close', () => finish('server'));
    socket.on('connect', () => {
      if (send.length > 0) socket.write(send);
      if (opts.end === true) socket.end();
    });
  });
}

/** HTTP/2 frames (9-byte headers) of `bytes`: their types, or undefined if they do not parse. */
function http2FrameTypes(bytes: Buffer): number[] | undefined {
  const types: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 9 > bytes.length) return undefined;
    const length = bytes.readUIntBE(at, 3);
    types.push(bytes[at + 3]!);
    at += 9 + length;
  }
  return at === bytes.length ? types : undefined;
}

interface Garbage {
  name: string;
  send: (rng: SeededRng) => Buffer | string;
  end?: boolean;
  holdMs: number;
  /** Undefined when the outcome is right, else what was wrong. */
  check: (r: RawResult) => string | undefined;
}

const text = (r: RawResult) => JSON.stringify(r.bytes.toString('latin1').slice(0, 120));
const http400 = (r: RawResult) =>
  r.closedBy === 'server' && r.bytes.toString('latin1').startsWith('HTTP/1.1 400 ') ? undefined : `want an HTTP/1.1 400 and a close, got ${text(r)} closed by ${r.closedBy}`;

const GARBAGE: Garbage[] = [
  { name: 'PRI * HTTP/1.1 then FIN', send: () => 'PRI * HTTP/1.1\r\n\r\n', end: true, holdMs: 10_000, check: http400 },
  { name: 'PRI * HTTP/1.1 with a Host header', send: () => 'PRI * HTTP/1.1\r\nHost: x\r\n\r\n', holdMs: 10_000, check: http400 },
  { name: 'the HTTP/2 preface broken at its 19th byte', send: () => 'PRI * HTTP/2.0\r\n\r\nSX\r\n\r\n', holdMs: 10_000, check: http400 },
  { name: 'PRX, a method that starts like PRI', send: () => 'PRX / HTTP/1.1\r\n\r\n', holdMs: 10_000, check: http400 },
  {
    name: 'random binary after a control byte',
    send: (rng) => Buffer.concat([Buffer.from([rng.nextInt(32)]), Buffer.from(rng.bytes(1 + rng.nextInt(200)))]),
    holdMs: 10_000,
    check: http400,
  },
  {
    name: 'the whole preface, then garbage frames',
    send: (rng) => Buffer.concat([Buffer.from(PREFACE, 'latin1'), Buffer.from('GARBAGE!GARBAGE!'), Buffer.from(rng.bytes(rng.nextInt(64)))]),
    holdMs: 10_000,
    check: (r) => {
      const types = http2FrameTypes(r.bytes);
      if (r.closedBy !== 'server') return `want the server to close, it did not: got ${text(r)}`;
      if (types === undefined || types[0] !== 4 || !types.includes(7)) return `want HTTP/2 frames, SETTINGS first and a GOAWAY, got ${text(r)}`;
      return undefined;
    },
  },
  { name: '"P" then FIN', send: () => 'P', end: true, holdMs: 10_000, check: (r) => (r.closedBy === 'server' && r.bytes.length === 0 ? undefined : `want a silent close, got ${text(r)} closed by ${r.closedBy}`) },
  { name: 'half the preface, then the client goes away', send: () => 'PRI * HTTP/2.0\r\n', holdMs: 300, check: (r) => (r.closedBy === 'client' && r.bytes.length === 0 ? undefined : `want nothing while the server waits for the rest, got ${text(r)} closed by ${r.closedBy}`) },
  {
    name: 'PRI * HTTP/1.1 and silence, then the client goes away',
    send: () => 'PRI * HTTP/1.1\r\n\r\n',
    holdMs: 300,
    check: (r) => (r.bytes.length === 0 || r.bytes.toString('latin1').startsWith('HTTP/1.1 4') ? undefined : `want nothing or an HTTP/1.1 4xx, got ${text(r)}`),
  },
  { name: 'connect and close at once', send: () => '', end: true, holdMs: 10_000, check: (r) => (r.closedBy === 'server' && r.bytes.length === 0 ? undefined : `want a silent close, got ${text(r)}`) },
];

/**
 * A TCP proxy to `target` that sends the first DRIBBLE_BYTES of every connection one byte at a time,
 * a few milliseconds apart, then the rest as it comes: the listener must gather a preface (or an
 * HTTP request line) from many reads.
 */
async function dribblingProxy(target: number): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const proxy = createServer({ noDelay: true }, (client) => {
    connections++;
    const upstream = connect({ port: target, host: '127.0.0.1', noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    let forwarded = 0;
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      client.pause();
      chain = chain.then(async () => {
        let at = 0;
        while (at < chunk.length && forwarded < DRIBBLE_BYTES) {
          upstream.write(chunk.subarray(at, at + 1));
          at++;
          forwarded++;
          await sleep(2);
        }
        if (at < chunk.length) upstream.write(chunk.subarray(at));
        client.resume();
      });
    });
    client.on('end', () => void chain.then(() => upstream.end()));
    upstream.on('data', (c: Buffer) => client.write(c));
    upstream.on('end', () => client.end());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as { port: number };
  return {
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}

// ---- Flight ----------------------------------------------------------------------------------------

interface FlightRow {
  tag: string;
  v: number;
  i: number;
  s: string;
  ns: bigint;
}

function flightRows(k: number, rng: SeededRng): FlightRow[] {
  return Array.from({ length: 200 }, (_, j) => ({
    tag: `t${j % 4}`,
    v: k * 1000 + rng.nextInt(4000) / 4,
    i: rng.nextInt(2_000_000) - 1_000_000,
    s: `k${k} row ${j} "q" \\ é`,
    ns: BASE_NS + BigInt(j) * 1_000_000_000n + BigInt(k),
  }));
}

const lpString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
const flightLine = (k: number, r: FlightRow) => `flight_${k},tag=${r.tag} v=${r.v},i=${r.i}i,s=${lpString(r.s)} ${r.ns}`;

test(`one port: ${HTTP_CLIENTS} HTTP/1.1 clients and ${FLIGHT_CLIENTS} gRPC Flight clients (and one more of each with its first bytes dribbled) for ${SECONDS} s, with garbage connections beside them: nothing fails, nothing crosses protocols, every acknowledged write reads back`, { timeout: (SECONDS + 180) * 1000 }, async () => {
  const seed = testSeed();
  console.log(`# one port hammer seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const env = await tempDatabase();
  const tokens = await TokenStore.open(env.store, 'node1');
  const token = await tokens.create('_admin', true);
  const server = new SluiceServer({ db: env.db, tokens });
  const { port } = await server.listen('127.0.0.1', 0);
  const url = `http://127.0.0.1:${port}`;
  const agents: Agent[] = [];
  const flightClients: InfluxDBClient[] = [];
  let closeProxy: () => Promise<void> = () => Promise.resolve();
  const failures: string[] = [];
  let failureCount = 0;
  const fail = (what: string) => {
    failureCount++;
    if (failures.length < 40) failures.push(what);
  };
  try {
    // The Flight clients' tables: known rows, half in Parquet, half in the buffer.
    const setup = fetchHttp(port, token);
    const expected = Array.from({ length: FLIGHT_CLIENTS + 1 }, (_, k) => flightRows(k, rng));
    for (const half of [0, 1]) {
      for (let k = 0; k <= FLIGHT_CLIENTS; k++) {
        const rows = expected[k]!.filter((_, j) => j % 2 === half);
        const w = await setup('POST', `/api/v3/write_lp?db=${DB}&precision=nanosecond`, rows.map((r) => flightLine(k, r)).join('\n'));
        assert.equal(w.status, 204, w.body);
      }
      if (half === 0) await env.db.snapshotNow();
    }

    const deadline = performance.now() + SECONDS * 1000;
    const running = () => performance.now() < deadline;
    let httpRequests = 0;
    let flightQueries = 0;
    let rawConnections = 0;
    let snapshots = 0;
    let peakConnections = 0;

    // Long-lived misbehaving connections, opened first: the listener closes each when its first bytes
    // do not say which protocol within 30 s.
    const lingering = [
      { name: 'an idle connection that sends nothing', send: '' },
      { name: 'a connection that sends "P" and waits', send: 'P' },
      { name: 'a connection that sends the preface but its last byte', send: PREFACE.slice(0, -1) },
    ].map((c) => ({ ...c, result: rawExchange(port, c.send, { holdMs: FIRST_BYTES_TIMEOUT_MS + 15_000 }) }));
    // Handed to the HTTP server, which waits for the rest of an HTTP/2 upgrade that never comes.
    const pri11 = rawExchange(port, 'PRI * HTTP/1.1\r\n\r\n', { holdMs: SECONDS * 1000 });

    const proxy = await dribblingProxy(port);
    closeProxy = proxy.close;

    // Client k < HTTP_CLIENTS: node:http on a keep-alive connection of its own (even k) or fetch
    // (odd k); client HTTP_CLIENTS: node:http through the dribbling proxy, a new connection per request.
    const httpLoop = async (k: number) => {
      let call: HttpCall;
      if (k === HTTP_CLIENTS) {
        const h = nodeHttp(proxy.port, token, false);
        agents.push(h.agent);
        call = h.call;
      } else if (k % 2 === 0) {
        const h = nodeHttp(port, token);
        agents.push(h.agent);
        call = h.call;
      } else call = fetchHttp(port, token);
      const krng = new SeededRng(seed + 1000 + k);
      const acked = new Map<number, number>();
      let seq = 0;
      let round = 0;
      while (running()) {
        round++;
        const batch: Array<[number, number]> = Array.from({ length: 1 + krng.nextInt(20) }, () => [++seq, krng.nextInt(1_000_000) / 8]);
        const body = batch.map(([s, v]) => `http_${k},client=c${k} seq=${s}i,v=${v} ${BASE_NS + BigInt(s)}`).join('\n');
        try {
          const w = await call('POST', `/api/v3/write_lp?db=${DB}&precision=nanosecond`, body);
          httpRequests++;
          if (w.status !== 204 || w.body !== '' || w.version !== '1.1') fail(`http client ${k} write: HTTP/${w.version} ${w.status} ${JSON.stringify(w.body.slice(0, 200))}`);
          else for (const [s, v] of batch) acked.set(s, v);
        } catch (err) {
          fail(`http client ${k} write: ${(err as Error).message}`);
        }
        // Every write so far was acknowledged before this query: it must see all of them.
        const sql = `SELECT count(*) AS n, max(seq) AS m FROM http_${k}`;
        try {
          const q = round % 2 === 0 ? await call('GET', `/api/v3/query_sql?db=${DB}&format=json&q=${encodeURIComponent(sql)}`) : await call('POST', '/api/v3/query_sql', JSON.stringify({ db: DB, q: sql, format: 'json' }), 'application/json');
          httpRequests++;
          const want = JSON.stringify([{ n: acked.size, m: acked.size === 0 ? null : Math.max(...acked.keys()) }]);
          let got: string;
          try {
            got = JSON.stringify(JSON.parse(q.body));
          } catch {
            got = `unparsable ${JSON.stringify(q.body.slice(0, 200))}`;
          }
          if (q.status !== 200 || q.version !== '1.1' || !q.contentType?.startsWith('application/json') || got !== want) fail(`http client ${k} query: HTTP/${q.version} ${q.status} ${q.contentType} ${got}, want ${want}`);
        } catch (err) {
          fail(`http client ${k} query: ${(err as Error).message}`);
        }
      }
      return acked;
    };

    // Client k < FLIGHT_CLIENTS: a channel of its own (no shared subchannel pool), one connection for
    // the whole run; client FLIGHT_CLIENTS: a new client (and connection) per query, through the proxy.
    const flightLoop = async (k: number) => {
      const dribbled = k === FLIGHT_CLIENTS;
      const connectClient = () => new InfluxDBClient({ host: dribbled ? `http://127.0.0.1:${proxy.port}` : url, token, database: DB, grpcOptions: { 'grpc.use_local_subchannel_pool': 1 } });
      let client = connectClient();
      flightClients.push(client);
      const rows = expected[k]!;
      let round = 0;
      while (running()) {
        round++;
        if (dribbled && round > 1) {
          await client.close();
          client = connectClient();
          flightClients.push(client);
        }
        const tag = `t${round % 4}`;
        try {
          switch (round % 3) {
            case 0: {
              const got = await collect(client.query(`SELECT tag, v, i, s, epoch_ns(time) AS ns FROM flight_${k} ORDER BY time`, DB));
              assert.deepEqual(got, rows.map((r) => ({ tag: r.tag, v: r.v, i: r.i, s: r.s, ns: r.ns })));
              break;
            }
            case 1: {
              const got = await collect(client.query(`SELECT v, i FROM flight_${k}`, DB, { type: 'influxql' }));
              assert.deepEqual(
                got.map((g) => [Object.keys(g).join(','), g['iox::measurement'], g.time, g.v, int(g.i)]),
                rows.map((r) => ['iox::measurement,time,v,i', `flight_${k}`, arrowMs(r.ns), r.v, BigInt(r.i)]),
              );
              break;
            }
            default: {
              const got = await collect(client.queryPoints(`SELECT tag, v, time FROM flight_${k} WHERE tag = $tag ORDER BY time`, DB, { type: 'sql', params: { tag } }));
              assert.deepEqual(
                got.map((p) => [p.getTag('tag'), p.getFloatField('v'), p.getTimestamp()]),
                rows.filter((r) => r.tag === tag).map((r) => [r.tag, r.v, arrowMs(r.ns)]),
              );
            }
          }
          flightQueries++;
        } catch (err) {
          fail(`flight client ${k} round ${round}: ${(err as Error).message.slice(0, 400)}`);
        }
      }
    };

    const rawLoop = async (w: number) => {
      const wrng = new SeededRng(seed + 2000 + w);
      let i = w;
      while (running()) {
        const g = GARBAGE[i++ % GARBAGE.length]!;
        const r = await rawExchange(port, g.send(wrng), { ...(g.end === undefined ? {} : { end: g.end }), holdMs: g.holdMs });
        rawConnections++;
        const wrong = g.check(r);
        if (wrong !== undefined) fail(`raw "${g.name}": ${wrong}`);
        await sleep(wrng.nextInt(50));
      }
    };

    const snapshotLoop = async () => {
      while (running()) {
        await sleep(Math.min(5_000, Math.max(0, deadline - performance.now())));
        if (!running()) break;
        try {
          await env.db.snapshotNow();
          snapshots++;
        } catch (err) {
          fail(`snapshot: ${(err as Error).message}`);
        }
      }
    };

    const sampler = setInterval(() => {
      peakConnections = Math.max(peakConnections, establishedOn(port));
    }, 200);
    const started = performance.now();
    const acked = await (async () => {
      try {
        const [httpResults] = await Promise.all([
          Promise.all(Array.from({ length: HTTP_CLIENTS + 1 }, (_, k) => httpLoop(k))),
          Promise.all(Array.from({ length: FLIGHT_CLIENTS + 1 }, (_, k) => flightLoop(k))),
          Promise.all([0, 1].map((w) => rawLoop(w))),
          snapshotLoop(),
        ]);
        return httpResults;
      } finally {
        clearInterval(sampler);
      }
    })();
    const elapsed = (performance.now() - started) / 1000;
    console.log(`# one port: ${httpRequests} http requests, ${flightQueries} flight queries, ${failureCount} failed (${elapsed.toFixed(1)} s; ${rawConnections} garbage connections, ${proxy.connections()} through the dribbling proxy, ${snapshots} snapshots, at most ${peakConnections} connections at once)`);
    assert.deepEqual(failures, [], `${failureCount} failures`);
    assert.ok(httpRequests >= HTTP_CLIENTS * 4 && flightQueries >= FLIGHT_CLIENTS * 3, 'every client got through several rounds');
    assert.ok(proxy.connections() >= 6, `connections through the dribbling proxy: ${proxy.connections()}`);
    assert.ok(rawConnections >= GARBAGE.length, 'every kind of garbage was sent');
    assert.ok(peakConnections >= FLIGHT_CLIENTS + HTTP_CLIENTS / 2 + lingering.length, `each gRPC client and each node:http client had a connection of its own (at most ${peakConnections} at once)`);

    // The lingering connections: closed by the listener, silently, 30 s after they opened.
    for (const l of lingering) {
      const r = await l.result;
      assert.equal(r.closedBy, 'server', `${l.name}: the server closes it after ${FIRST_BYTES_TIMEOUT_MS} ms`);
      assert.equal(r.bytes.length, 0, `${l.name}: closed without an answer`);
      assert.ok(r.ms >= FIRST_BYTES_TIMEOUT_MS - 1_000 && r.ms < FIRST_BYTES_TIMEOUT_MS + 10_000, `${l.name}: closed after ${r.ms.toFixed(0)} ms`);
    }
    const pri = await pri11;
    assert.ok(pri.bytes.length === 0 || pri.bytes.toString('latin1').startsWith('HTTP/1.1 4'), `PRI * HTTP/1.1 left waiting: nothing, or an HTTP/1.1 4xx, got ${text(pri)}`);

    // Every acknowledged write, value by value, through Flight and through HTTP.
    const reader = new InfluxDBClient({ host: url, token, database: DB });
    flightClients.push(reader);
    let flightDoGets = flightQueries;
    for (let k = 0; k <= HTTP_CLIENTS; k++) {
      const want = [...acked[k]!].sort((a, b) => a[0] - b[0]);
      assert.ok(want.length > 0, `http client ${k} had writes acknowledged`);
      const got = await collect(reader.query(`SELECT seq, v, epoch_ns(time) AS ns FROM http_${k} ORDER BY seq`, DB));
      flightDoGets++;
      assert.deepEqual(
        got.map((g) => [g.seq, g.v, g.ns]),
        want.map(([s, v]) => [s, v, BASE_NS + BigInt(s)]),
        `http client ${k}: every acknowledged write reads back`,
      );
      const viaHttp = await setup('GET', `/api/v3/query_sql?db=${DB}&format=jsonl&q=${encodeURIComponent(`SELECT seq, v FROM http_${k} ORDER BY seq`)}`);
      assert.equal(viaHttp.status, 200);
      assert.deepEqual(
        viaHttp.body.trim().split('\n').map((l) => JSON.parse(l) as unknown),
        want.map(([seq, v]) => ({ seq, v })),
      );
    }
    // The server counted exactly the Flight calls made, all OK.
    const metrics = await setup('GET', '/metrics');
    const calls = metrics.body.split('\n').filter((l) => l.startsWith('sluice_flight_calls_total{'));
    assert.deepEqual(calls, [`sluice_flight_calls_total{method="DoGet",code="0"} ${flightDoGets}`]);
  } finally {
    for (const c of flightClients) await c.close();
    for (const a of agents) a.destroy();
    await closeProxy();
    const closing = performance.now();
    await server.close();
    console.log(`# one port: server.close() took ${(performance.now() - closing).toFixed(0)} ms`);
    await env.cleanup();
  }
});

// ---- graceful close with a Flight stream open -------------------------------------------------------

const DO_GET: grpc.ServiceDefinition = {
  DoGet: {
    path: '/arrow.flight.protocol.FlightService/DoGet',
    requestStream: false,
    responseStream: true,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
    originalName: 'DoGet',
  },
};
const FlightClient = grpc.makeGenericClientConstructor(DO_GET, 'FlightService');

/** `Ticket { bytes ticket = 1; }` around InfluxDB 3's JSON ticket. */
function ticketOf(database: string, sql: string): Buffer {
  const json = Buffer.from(JSON.stringify({ database, sql_query: sql, query_type: 'sql' }));
  const len: number[] = [];
  for (let v = json.length; ; v >>>= 7) {
    if (v < 0x80) {
      len.push(v);
      break;
    }
    len.push((v & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x0a, ...len]), json]);
}

/** The record batches of a DoGet answer's FlightData messages. */
function decodeAnswer(messages: Buffer[]) {
  const parts: Uint8Array[] = [];
  for (const m of messages) {
    const d = decodeFlightData(m);
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(0xffffffff, 0);
    prefix.writeInt32LE(d.header.length, 4);
    parts.push(prefix, d.header, d.body);
  }
  return [...RecordBatchReader.from(Buffer.concat(parts))];
}

interface OpenStream {
  call: grpc.ClientReadableStream<Buffer>;
  messages: Buffer[];
  /** Resolves with the call's final status (OK, or the error's). */
  status: Promise<grpc.StatusObject>;
  firstMessage: Promise<void>;
}

function openDoGet(port: number, database: string, sql: string): OpenStream {
  const client = new FlightClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const doGet = client.DoGet as (ticket: Buffer, metadata: grpc.Metadata) => grpc.ClientReadableStream<Buffer>;
  const call = doGet.call(client, ticketOf(database, sql), new grpc.Metadata());
  const messages: Buffer[] = [];
  let first!: () => void;
  const firstMessage = new Promise<void>((resolve) => (first = resolve));
  call.on('data', (m: Buffer) => {
    messages.push(m);
    first();
  });
  const status = new Promise<grpc.StatusObject>((resolve) => {
    call.on('status', (s: grpc.StatusObject) => resolve(s));
    call.on('error', () => undefined); // the status says it
  });
  void status.finally(() => client.close());
  return { call, messages, status, firstMessage };
}

async function until(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

const BIG_ROWS = 400_000;
const BIG_SQL = `SELECT i, repeat('x', 100) AS s FROM range(${BIG_ROWS}) r(i)`;

async function closeServer(): Promise<{ port: number; server: SluiceServer; env: Awaited<ReturnType<typeof tempDatabase>> }> {
  const env = await tempDatabase();
  const server = new SluiceServer({ db: env.db });
  const { port } = await server.listen('127.0.0.1', 0);
  const w = await fetchHttp(port, 'unused')('POST', `/api/v3/write_lp?db=${DB}`, 'exists v=1 1');
  assert.equal(w.status, 204);
  return { port, server, env };
}

/**
 * A big answer whose client stopped reading after the first message: flow control holds the
 * server's answer mid-way, its query slot taken.
 */
async function pausedBigAnswer(port: number, server: SluiceServer): Promise<ReturnType<typeof openDoGet>> {
  const stream = openDoGet(port, DB, BIG_SQL);
  await stream.firstMessage;
  stream.call.pause();
  await sleep(300);
  assert.equal(server.queryAdmission.bytesInFlight, 1, 'the query is running, its answer unfinished');
  return stream;
}

test('graceful close while a Flight stream is being read: the stream finishes within the grace, every row, then close() resolves', { timeout: 60_000 }, async () => {
  const { port, server, env } = await closeServer();
  try {
    const stream = await pausedBigAnswer(port, server);
    let closed = false;
    const started = performance.now();
    const closing = server.close().then(() => (closed = true));
    await sleep(200);
    assert.equal(closed, false, 'close() waits for the open stream');
    // A new connection is refused while closing.
    const refused = await rawExchange(port, '', { holdMs: 2_000 });
    assert.equal(refused.closedBy, 'server');
    assert.match(refused.error ?? '', /ECONNREFUSED/);
    stream.call.resume();
    const status = await stream.status;
    assert.equal(status.code, grpc.status.OK, `the stream finished: ${status.details}`);
    await closing;
    console.log(`# graceful close with a stream being read: ${(performance.now() - started).toFixed(0)} ms`);
    const batches = decodeAnswer(stream.messages);
    const seen = new Uint8Array(BIG_ROWS);
    let rows = 0;
    for (const b of batches) {
      const is = b.getChild('i')!;
      const ss = b.getChild('s')!;
      for (let r = 0; r < b.numRows; r++) {
        const i = Number(is.get(r) as bigint);
        assert.equal(seen[i], 0, `row ${i} once`);
        seen[i] = 1;
        if (r === 0) assert.equal(ss.get(r), 'x'.repeat(100));
      }
      rows += b.numRows;
    }
    assert.equal(rows, BIG_ROWS, 'every row arrived');
    assert.equal(server.queryAdmission.bytesInFlight, 0, 'the query slot is free');
  } finally {
    await server.close();
    await env.cleanup();
  }
});

test('graceful close while a Flight client has stopped reading: close() resolves once the grace is over, the stream ends in an error', { timeout: 60_000 }, async () => {
  const { port, server, env } = await closeServer();
  try {
    const stream = await pausedBigAnswer(port, server);
    const graceMs = 1_500;
    const started = performance.now();
    await server.close(graceMs);
    const ms = performance.now() - started;
    console.log(`# graceful close with a stalled stream (grace ${graceMs} ms): ${ms.toFixed(0)} ms`);
    assert.ok(ms >= graceMs - 100 && ms < graceMs + 5_000, `close() resolved after ${ms.toFixed(0)} ms`);
    stream.call.resume();
    const status = await Promise.race([stream.status, sleep(10_000).then(() => undefined)]);
    assert.ok(status !== undefined, 'the stream ended');
    assert.notEqual(status.code, grpc.status.OK, 'a stream cut short is not reported complete');
    await until('the query slot is released', () => server.queryAdmission.bytesInFlight === 0);
  } finally {
    await server.close();
    await env.cleanup();
  }
});

test('graceful close while the InfluxDB 3 client streams an answer: it gets every row or an error, and close() resolves', { timeout: 60_000 }, async () => {
  const { port, server, env } = await closeServer();
  const client = new InfluxDBClient({ host: `http://127.0.0.1:${port}`, token: '', database: DB });
  try {
    const n = 200_000;
    const gen = client.query(`SELECT i, md5(repeat(CAST(i AS VARCHAR), 50)) AS h FROM range(${n}) r(i)`, DB);
    const first = await gen.next();
    assert.equal(first.done, false);
    const closing = server.close();
    const rows = [first.value!];
    let error: Error | undefined;
    try {
      for await (const row of gen) rows.push(row);
    } catch (err) {
      error = err as Error;
    }
    await closing;
    if (error === undefined) {
      assert.equal(rows.length, n, 'a stream that completes has every row');
      const seen = new Set<bigint>();
      for (const r of rows) {
        seen.add(r.i as bigint);
        if ((r.i as bigint) % 997n === 0n) assert.equal(r.h, createHash('md5').update(String(r.i).repeat(50)).digest('hex'));
      }
      assert.equal(seen.size, n);
    } else assert.equal(error.name, 'RpcError', `a gRPC error, got ${error.name}: ${error.message}`);
    console.log(`# InfluxDB 3 client during close: ${error === undefined ? `completed, ${rows.length} rows` : `error ${error.message}`}`);
  } finally {
    await client.close();
    await server.close();
    await env.cleanup();
  }
});

test('graceful close does not wait for idle connections: one that never said which protocol (nothing, "P", half the preface) is closed at once, as idle HTTP and gRPC connections are', { timeout: 60_000 }, async () => {
  const { port, server, env } = await closeServer();
  const client = new InfluxDBClient({ host: `http://127.0.0.1:${port}`, token: '', database: DB });
  try {
    assert.deepEqual(await collect(client.query('SELECT v FROM exists', DB)), [{ v: 1 }]);
    const undecided = ['', 'P', 'PRI * HTTP/2.0\r\n'].map((send) => ({ send, result: rawExchange(port, send, { holdMs: 30_000 }) }));
    const keepAlive = rawExchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', { holdMs: 30_000 });
    await sleep(300);
    const started = performance.now();
    await server.close(); // the default grace: 10 s
    const ms = performance.now() - started;
    const alive = await keepAlive;
    assert.ok(alive.closedBy === 'server' && alive.bytes.toString('latin1').startsWith('HTTP/1.1 200 '), `the idle keep-alive HTTP connection is answered, then closed: ${text(alive)}`);
    for (const u of undecided) {
      const r = await u.result;
      assert.ok(r.closedBy === 'server' && r.bytes.length === 0, `${JSON.stringify(u.send)}: closed silently by the server, got ${text(r)} closed by ${r.closedBy}`);
    }
    console.log(`# graceful close with idle connections open: ${ms.toFixed(0)} ms`);
    assert.ok(ms < 2_000, `close() took ${ms.toFixed(0)} ms: it waited out its grace for connections that carry no request (sent nothing, "P", or half the preface)`);
  } finally {
    await client.close();
    await server.close();
    await env.cleanup();
  }
});
