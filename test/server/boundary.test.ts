/**
 * The HTTP boundary under hostile input: requests that used to kill the process or hold the
 * server's resources forever, and the browser policy. Each test names the attack it replays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { send, sendRaw, startServer } from '../support/http-helpers.js';

const CRASHERS = ['//x:99999/', '//[/', '//a%zz/write?db=x', 'http://x:99999/', 'http://[/', '//', '/%', '/api/v3/query_sql?q=%zz&db=%', '*', 'foo', '/\u00ff\u0001'];

test('request targets that are not valid URLs get 400 or 404, and the server stays up', async () => {
  const s = await startServer();
  try {
    for (const target of CRASHERS) {
      const reply = await sendRaw(s.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      assert.match(reply, /^HTTP\/1\.1 (400|404) /, `answer to GET ${target}: ${reply.slice(0, 80)}`);
    }
    assert.equal((await send(s.port, 'GET', '/health')).status, 200);
    // Absolute-form targets reach their route.
    const abs = await sendRaw(s.port, 'GET http://127.0.0.1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.match(abs, /^HTTP\/1\.1 200 /);
    // precision=__proto__ is a bad precision (400), not a 500.
    const proto = await send(s.port, 'POST', '/write?db=d&precision=__proto__', 'm v=1');
    assert.equal(proto.status, 400, proto.text);
    const proto3 = await send(s.port, 'POST', '/api/v3/write_lp?db=d&precision=constructor', 'm v=1');
    assert.equal(proto3.status, 400, proto3.text);
    // Route lookups are own properties only.
    assert.equal((await send(s.port, 'GET', '/__proto__')).status, 404);
    assert.equal((await send(s.port, 'GET', '/constructor')).status, 404);
  } finally {
    await s.stop();
  }
});

/** Starts a write whose body never finishes, then cuts the connection. */
function cutWrite(port: number, body: Buffer, headers: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST /api/v3/write_lp?db=cut HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`);
      socket.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => socket.destroy(), 100);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
  });
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('write bodies cut off mid-stream (gzip, chunked, with a length) release their admission; later writes land', async () => {
  const s = await startServer({}, { maxWriteBytesInFlight: 4 * 1024 * 1024 });
  try {
    const lines = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `m,h=h${i} v=${i}i ${i + 1}`).join('\n'));
    const gz = gzipSync(lines);
    const cuts: Array<Promise<void>> = [];
    for (let i = 0; i < 8; i++) cuts.push(cutWrite(s.port, gz, 'Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n'.replace('Transfer-Encoding: chunked\r\n', `Content-Length: ${gz.length}\r\n`)));
    for (let i = 0; i < 4; i++) cuts.push(cutWrite(s.port, lines, `Content-Length: ${lines.length}\r\n`));
    await Promise.all(cuts);
    await waitFor('write bytes in flight back to 0', () => s.server.admission.bytesInFlight === 0);
    // A truncated gzip body that does end: 400, nothing held.
    const truncated = await send(s.port, 'POST', '/api/v3/write_lp?db=cut', gz.subarray(0, gz.length - 20), { 'Content-Encoding': 'gzip' });
    assert.equal(truncated.status, 400, truncated.text);
    assert.equal(s.server.admission.bytesInFlight, 0);
    const ok = await send(s.port, 'POST', '/api/v3/write_lp?db=cut&precision=s', 'm,h=after v=1i 1');
    assert.equal(ok.status, 204, ok.text);
    const rows = await s.db.query.query('cut', "SELECT count(*) FROM m");
    assert.equal(rows.rows[0]![0], 1n, 'only the complete write is stored');
    const metrics = await send(s.port, 'GET', '/metrics');
    assert.match(metrics.text, /^sluice_write_bytes_in_flight 0$/m);
  } finally {
    await s.stop();
  }
});

test('a body sent one byte at a time is cut at the minimum rate with 408; its admission comes back', async () => {
  const s = await startServer({}, { minBodyBytesPerSecond: 100, bodyReadTimeoutMs: 60_000 });
  // The rate is judged after a grace period (5 s by default): shorten it for the test.
  (s.server.limits.body as { rateGraceMs: number }).rateGraceMs = 300;
  try {
    const body = 'm,h=slow v=1i 1\n'.repeat(100);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(s.port, '127.0.0.1', () => {
        socket.write(`POST /api/v3/write_lp?db=slow&precision=s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n`);
        let i = 0;
        const drip = setInterval(() => {
          if (socket.destroyed || i >= body.length) return clearInterval(drip);
          socket.write(body[i++]!);
        }, 50);
        socket.on('close', () => clearInterval(drip));
      });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /slower than 100 bytes\/s/);
    await waitFor('write bytes in flight back to 0', () => s.server.admission.bytesInFlight === 0);
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?db=slow&precision=s', 'm,h=fast v=1i 1')).status, 204);
  } finally {
    await s.stop();
  }
});

test('browser policy: no CORS headers by default, cross-origin and cross-site requests refused, loopback Host only', async () => {
  const s = await startServer({}, { loopbackHostsOnly: true });
  try {
    let n = 0;
    const write = (headers: Record<string, string>) => send(s.port, 'POST', '/api/v3/write_lp?db=web&precision=s', `m,n=${n++} v=1i 1`, headers);
    const plain = await write({});
    assert.equal(plain.status, 204);
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
    const evil = await write({ Origin: 'https://evil.example', 'Content-Type': 'text/plain' });
    assert.equal(evil.status, 403);
    assert.match(evil.text, /cross-origin request from https:\/\/evil.example refused/);
    assert.equal((await write({ 'Sec-Fetch-Site': 'cross-site' })).status, 403);
    const read = await send(s.port, 'GET', '/api/v3/query_sql?db=web&q=SELECT%201', undefined, { Origin: 'null' });
    assert.equal(read.status, 403);
    assert.equal((await send(s.port, 'GET', '/metrics', undefined, { Origin: 'https://evil.example' })).status, 403);
    assert.equal((await send(s.port, 'OPTIONS', '/api/v3/write_lp', undefined, { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' })).status, 403);
    // DNS rebinding: the right socket, a foreign name.
    const rebound = await write({ Host: 'attacker.example:8181' });
    assert.equal(rebound.status, 403);
    assert.match(rebound.text, /host attacker.example:8181 refused/);
    for (const host of ['localhost:8181', '127.0.0.1', '[::1]:8181', '127.1.2.3:1', 'app.localhost']) assert.equal((await write({ Host: host })).status, 204, host);
    // The server's own origin is same-origin.
    assert.equal((await write({ Origin: 'http://localhost:8181', Host: 'localhost:8181' })).status, 204);
    // Liveness probes stay open.
    assert.equal((await send(s.port, 'GET', '/health', undefined, { Origin: 'https://evil.example' })).status, 200);
    const nothing = await write({ Origin: 'https://evil.example' });
    assert.equal(nothing.status, 403);
    assert.equal((await s.db.query.query('web', 'SELECT count(*) FROM m')).rows[0]![0], 6n + 1n, 'refused writes wrote nothing');
  } finally {
    await s.stop();
  }
  const allowed = await startServer({}, { corsAllowedOrigins: ['https://grafana.example'] });
  try {
    const pre = await send(allowed.port, 'OPTIONS', '/api/v3/query_sql', undefined, { Origin: 'https://grafana.example', 'Access-Control-Request-Method': 'POST' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://grafana.example');
    assert.match(String(pre.headers['access-control-allow-headers']), /Authorization/);
    const ok = await send(allowed.port, 'POST', '/api/v3/write_lp?db=web&precision=s', 'm v=1i 1', { Origin: 'https://grafana.example' });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://grafana.example');
    assert.equal((await send(allowed.port, 'POST', '/api/v3/write_lp?db=web', 'm v=1i 1', { Origin: 'https://other.example' })).status, 403);
  } finally {
    await allowed.stop();
  }
});

test('/metrics labels only known routes: 2 000 random paths add one series', async () => {
  const s = await startServer();
  try {
    for (let i = 0; i < 2_000; i++) await sendRaw(s.port, `GET /x${i}/${'y'.repeat(i % 50)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const text = (await send(s.port, 'GET', '/metrics')).text;
    const series = text.split('\n').filter((l) => l.startsWith('sluice_http_requests_total{'));
    assert.ok(series.includes('sluice_http_requests_total{path="other",status="404"} 2000'), series.join('\n'));
    assert.ok(series.length <= 3, series.join('\n'));
    assert.ok(text.length < 20_000);
  } finally {
    await s.stop();
  }
});

test('queries: admission by count, 503 beyond the line; the timeout covers the answer; large answers stream or get 413', async () => {
  const s = await startServer({ queryTimeoutMs: 2_000 }, { maxConcurrentQueries: 1, maxQueuedQueries: 1, queryQueueTimeoutMs: 500, maxQueryResultBytes: 2_000_000, maxQueryTextBytes: 1_000 });
  try {
    await send(s.port, 'POST', '/api/v3/write_lp?db=q&precision=s', 'm v=1i 1');
    const q = (sql: string, extra = '') => send(s.port, 'GET', `/api/v3/query_sql?db=q&q=${encodeURIComponent(sql)}${extra}`);
    // Text the parser chokes on is a 400, not a 500.
    const garbled = await q(' \uFFFD');
    assert.equal(garbled.status, 400, garbled.text);
    // Engine "infinity" timestamps are answered (this reset the connection).
    const inf = await q("SELECT 'infinity'::TIMESTAMP AS a, '-infinity'::TIMESTAMP AS b", '&format=csv');
    assert.equal(inf.status, 200, inf.text);
    assert.equal(inf.text, 'a,b\ninfinity,-infinity\n');
    // Too long a text: 413 before parsing.
    const long = await q(`SELECT 1 ${' '.repeat(1_100)}`);
    assert.equal(long.status, 413);
    assert.match(long.text, /--max-query-text-bytes/);
    // Too large an answer: 413 (nothing was sent yet) for a result that fails early …
    const big = await q("SELECT repeat('x', 1000000) FROM range(50)");
    assert.equal(big.status, 413, big.text.slice(0, 200));
    assert.match(big.text, /--max-query-result-bytes/);
    // … a cut-off connection once streaming; a result under the limit streams whole.
    const streamed = await q('SELECT range AS i FROM range(100000)', '&format=jsonl');
    assert.equal(streamed.status, 200);
    assert.equal(streamed.text.split('\n').length - 1, 100_000);
    assert.equal(streamed.headers['transfer-encoding'], 'chunked');
    await assert.rejects(q('SELECT range AS i FROM range(1000000)', '&format=jsonl'), /socket hang up|aborted|ECONNRESET/);
    // One runs, one waits, the third is refused at once; the waiter times out in line.
    const slow = "SELECT count(*) FROM range(10000000000) a, range(1000) b";
    const running = q(slow);
    await waitFor('a running query', () => s.server.queryAdmission.bytesInFlight === 1);
    const waiting = q('SELECT 1');
    await waitFor('a waiting query', () => s.server.queryAdmission.waitingCount === 1);
    const refused = await q('SELECT 2');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal((await waiting).status, 503, 'waited past the queue timeout');
    const timedOut = await running;
    assert.equal(timedOut.status, 408, timedOut.text);
    assert.equal(s.server.queryAdmission.bytesInFlight, 0);
  } finally {
    await s.stop();
  }
});

test('a client that reads a large answer slowly is cut off at the query timeout; one that leaves stops its query', async () => {
  const s = await startServer({ queryTimeoutMs: 1_500 }, { maxConcurrentQueries: 1 });
  try {
    await send(s.port, 'POST', '/api/v3/write_lp?db=q&precision=s', 'm v=1i 1');
    const started = Date.now();
    let paused: import('node:http').IncomingMessage | undefined;
    const outcome = new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port: s.port, path: `/api/v3/query_sql?db=q&format=csv&q=${encodeURIComponent("SELECT range, repeat('y', 100) FROM range(5000000)")}` }, (res) => {
        paused = res;
        res.pause(); // not reading: the server must not wait for it forever
        res.on('end', () => resolve('complete'));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      });
      req.on('error', () => resolve('cut'));
      req.end();
    });
    await waitFor('the query running', () => s.server.queryAdmission.bytesInFlight === 1);
    await waitFor('the server giving up on the slow reader', () => s.server.queryAdmission.bytesInFlight === 0, 1_500 + 2_500);
    assert.ok(Date.now() - started < 1_500 + 2_500, `gave up after ${Date.now() - started} ms`);
    paused!.resume();
    assert.equal(await outcome, 'cut', 'the answer was cut off, not completed');
    // A client that goes away frees the slot at once.
    const req = request({ host: '127.0.0.1', port: s.port, path: `/api/v3/query_sql?db=q&q=${encodeURIComponent('SELECT count(*) FROM range(10000000000) a')}` });
    req.on('error', () => undefined);
    req.end();
    await waitFor('the query running', () => s.server.queryAdmission.bytesInFlight === 1);
    req.destroy();
    await waitFor('the query stopped', () => s.server.queryAdmission.bytesInFlight === 0, 3_000);
    assert.equal((await send(s.port, 'GET', '/api/v3/query_sql?db=q&q=SELECT%20v%20FROM%20m')).text, '[{"v":1}]');
  } finally {
    await s.stop();
  }
});

test('pipelined queries whose connection goes away stop at once, the one not yet answering too', async () => {
  // A long timeout: only the client leaving can stop these queries in time.
  const s = await startServer({ queryTimeoutMs: 60_000 }, { maxConcurrentQueries: 2 });
  try {
    await send(s.port, 'POST', '/api/v3/write_lp?db=q&precision=s', 'm v=1i 1');
    const slow = `/api/v3/query_sql?db=q&q=${encodeURIComponent('SELECT count(*) FROM range(10000000000) a')}`;
    const socket = connect(s.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // The second answer waits behind the first on the connection: it has no 'close' of its own.
    socket.write(`GET ${slow} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET ${slow} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await waitFor('both queries running', () => s.server.queryAdmission.bytesInFlight === 2);
    socket.destroy();
    await waitFor('both queries stopped', () => s.server.queryAdmission.bytesInFlight === 0, 3_000);
    assert.equal(s.server.queryAdmission.stats.reclaimed, 0);
  } finally {
    await s.stop();
  }
});

test('a malformed request pipelined behind a query does not cut the query\'s answer: it is answered whole, then the connection closes', async () => {
  const s = await startServer();
  try {
    await send(s.port, 'POST', '/api/v3/write_lp?db=q&precision=s', 'm v=1i 1');
    // Long enough to be under way when the parser refuses the next request.
    const slow = `/api/v3/query_sql?db=q&q=${encodeURIComponent('SELECT count(*) AS n FROM range(300000000) a')}`;
    for (const garbage of ['GET / HTTP/1.1\r\nBad Header\r\n\r\n', `POST /write?db=q HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`]) {
      const socket = connect(s.port, '127.0.0.1');
      socket.on('error', () => undefined);
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(`GET ${slow} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${garbage}`);
      await closed;
      const reply = Buffer.concat(received).toString('latin1');
      // Node's own handling answered 400 in the query's place (or cut its answer) and closed at once.
      assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/, reply.slice(0, 200));
      assert.match(reply, /\[\{"n":300000000\}\]/, reply.slice(0, 400));
      assert.equal((reply.match(/HTTP\/1\.1 /g) ?? []).length, 1, `one answer: ${reply}`);
    }
    // A request whose own body the parser refuses never gets the rest: it goes at once, with
    // its write admission (not after the bound an answer under way has).
    const socket = connect(s.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.resume(); // read on, so the server's close is seen
    const started = performance.now();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('POST /write?db=q HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nm v=1\r\nzz\r\n');
    await closed;
    assert.ok(performance.now() - started < 5_000, `closed after ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(s.server.admission.bytesInFlight, 0);
    assert.equal((await send(s.port, 'GET', '/health')).status, 200);
  } finally {
    await s.stop();
  }
});

test('the 101st database is refused with 422 and a message naming the limit; the 100 before it stay', async () => {
  const s = await startServer();
  try {
    for (let i = 0; i < 100; i++) assert.equal((await send(s.port, 'POST', `/api/v3/write_lp?db=d${i}&precision=s`, 'm v=1i 1')).status, 204);
    const refused = await send(s.port, 'POST', '/api/v3/write_lp?db=d100&precision=s', 'm v=1i 1');
    assert.equal(refused.status, 422);
    assert.match((JSON.parse(refused.text) as { error: string }).error, /exceed limit of 100 databases/);
    const v2 = await send(s.port, 'POST', '/api/v2/write?bucket=d100&precision=s', 'm v=1i 1');
    assert.equal(v2.status, 422);
    assert.match(v2.text, /100 databases/);
    assert.equal((await s.db.query.query('d99', 'SELECT v FROM m')).rows[0]![0], 1n);
  } finally {
    await s.stop();
  }
});
