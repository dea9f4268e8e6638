import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { send, startServer } from '../support/http-helpers.js';
import { SluiceServer } from '../../src/server/http.js';

test('writes: v3, v2 and v1 answer 204, partial writes and parse errors with InfluxDB 3 bodies and physical line numbers', async () => {
  const s = await startServer();
  try {
    const ok = await send(s.port, 'POST', '/api/v3/write_lp?db=db1&precision=s', 'cpu,host=a v=1i 100\n');
    assert.equal(ok.status, 204);
    assert.equal(ok.text, '');

    // Partial: a blank line and a comment before the bad line; line numbers are physical.
    const partial = await send(s.port, 'POST', '/api/v3/write_lp?db=db1&precision=s', 'cpu,host=b v=2i 100\n\n# comment\ncpu,host=c v=oops 100\ncpu,host=d,host=e v=1i 100');
    assert.equal(partial.status, 400);
    assert.equal(partial.headers['content-type'], 'application/json');
    const pj = JSON.parse(partial.text) as { error: string; data: Array<{ line_number: number; original_line: string; error_message: string }> };
    assert.equal(pj.error, 'partial write of line protocol occurred');
    assert.deepEqual(pj.data.map((d) => d.line_number), [4, 5]);
    assert.equal(pj.data[0]!.original_line, 'cpu,host=c v=oops 10', 'original_line is cut to 20 bytes');

    const strict = await send(s.port, 'POST', '/api/v3/write_lp?db=db1&precision=s&accept_partial=false', 'cpu,host=f v=3i 100\ncpu v=x 1');
    assert.equal(strict.status, 400);
    const sj = JSON.parse(strict.text) as { error: string; data: { line_number: number } };
    assert.equal(sj.error, 'line protocol parsing error');
    assert.equal(sj.data.line_number, 2);

    const v2 = await send(s.port, 'POST', '/api/v2/write?bucket=db1&org=ignored&precision=s', 'cpu,host=g v=4i 100');
    assert.equal(v2.status, 204);
    const v2bad = await send(s.port, 'POST', '/api/v2/write?bucket=db1&precision=s', 'cpu,host=g v=4i 100\ncpu v=');
    assert.equal(v2bad.status, 400);
    assert.equal((JSON.parse(v2bad.text) as { code: string }).code, 'invalid');
    assert.match((JSON.parse(v2bad.text) as { message: string }).message, /^write buffer error: line protocol parse failed: .*\(line 2\)$/);
    const v2missing = await send(s.port, 'POST', '/api/v2/write?org=x', 'cpu v=1');
    assert.equal(v2missing.status, 400);
    assert.deepEqual(Object.keys(JSON.parse(v2missing.text) as object), ['code', 'message']);

    const v1 = await send(s.port, 'POST', '/write?db=db1&rp=&precision=s', 'cpu,host=h v=5i 100');
    assert.equal(v1.status, 204);
    assert.equal((await send(s.port, 'POST', '/write?db=db1&rp=autogen&precision=ms', 'cpu,host=i v=6i 100000')).status, 204);
    const rp = await send(s.port, 'POST', '/write?db=db1&rp=weekly', 'cpu v=1i');
    assert.equal(rp.status, 400);
    assert.match(rp.text, /retention policy "weekly" is not supported/);

    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp', 'cpu v=1')).text, "missing query parameter 'db'");
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?precision=s', 'cpu v=1')).status, 400);
    assert.match((await send(s.port, 'POST', '/api/v3/write_lp?db=db1&precision=fortnight', 'cpu v=1')).text, /^serde error: /);
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?db=bad%2Fname', 'cpu v=1')).status, 400);
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?db=db1', '')).status, 400, 'an empty write');
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?db=db1&no_sync=maybe', 'cpu v=1')).status, 400);
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?db=db1', 'cpu,host=j v=7i', { 'Content-Type': 'application/x-www-form-urlencoded' })).status, 204, 'Content-Type is ignored');

    const rows = await send(s.port, 'GET', `/api/v3/query_sql?db=db1&format=csv&q=${encodeURIComponent('SELECT host, v FROM cpu ORDER BY host')}`);
    assert.equal(rows.status, 200);
    // Every acknowledged line and the valid lines of partial writes; nothing of the refused strict write (f).
    assert.equal(rows.text, 'host,v\na,1\nb,2\ng,4\nh,5\ni,6\nj,7\n');
    assert.equal((await send(s.port, 'GET', '/nowhere')).status, 404);
    assert.equal((await send(s.port, 'GET', '/api/v3/write_lp?db=db1')).status, 405);
  } finally {
    await s.stop();
  }
});

test('request bodies: gzip, a gzip bomb and an oversized body get 413 before more is read, bad encodings 400', async () => {
  const s = await startServer({}, { maxRequestBytes: 64 * 1024 });
  try {
    const lines = Array.from({ length: 200 }, (_, i) => `m,host=h${i} v=${i}i ${i}`).join('\n');
    const gz = await send(s.port, 'POST', '/api/v3/write_lp?db=db1&precision=s', gzipSync(lines), { 'Content-Encoding': 'gzip' });
    assert.equal(gz.status, 204);
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 'a')); // 50 MiB of 'a' in ~50 KiB
    assert.ok(bomb.length < 64 * 1024);
    const bombReply = await send(s.port, 'POST', '/api/v3/write_lp?db=db1', bomb, { 'Content-Encoding': 'gzip' });
    assert.equal(bombReply.status, 413);
    assert.equal(bombReply.text, 'max request size (65536 bytes) exceeded');
    const big = await send(s.port, 'POST', '/api/v3/write_lp?db=db1', Buffer.alloc(70 * 1024, 'x'));
    assert.equal(big.status, 413);
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?db=db1', 'm v=1i', { 'Content-Encoding': 'br' })).status, 400);
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?db=db1', Buffer.from('x'), { 'Content-Encoding': 'gzip' })).status, 400, 'not gzip at all');
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?db=db1', Buffer.from([0x6d, 0x20, 0x76, 0x3d, 0x22, 0xff, 0xfe, 0x22]))).status, 400, 'not UTF-8');
    const v2big = await send(s.port, 'POST', '/api/v2/write?bucket=db1', Buffer.alloc(70 * 1024, 'x'));
    assert.equal(v2big.status, 413);
    assert.equal((JSON.parse(v2big.text) as { code: string }).code, 'request too large');
    const count = await send(s.port, 'GET', `/api/v3/query_sql?db=db1&q=${encodeURIComponent('SELECT count(*) AS n FROM m')}`);
    assert.equal(count.text, '[{"n":200}]', 'only the good gzip body was written');
  } finally {
    await s.stop();
  }
});

test('queries: every format, POST with params, Accept negotiation and error statuses', async () => {
  const s = await startServer();
  try {
    await send(s.port, 'POST', '/api/v3/write_lp?db=db1&precision=ns', 'cpu,host=a v=9223372036854775807i,f=1.5 1000000000123\ncpu,host=b v=2i 2000000000000');
    const q = (sql: string, extra = '') => send(s.port, 'GET', `/api/v3/query_sql?db=db1&q=${encodeURIComponent(sql)}${extra}`);
    const j = await q('SELECT host, v, time FROM cpu ORDER BY host');
    assert.equal(j.status, 200);
    assert.equal(j.headers['content-type'], 'application/json');
    assert.equal(j.text, '[{"host":"a","v":9223372036854775807,"time":"1970-01-01T00:16:40.000000123"},{"host":"b","v":2,"time":"1970-01-01T00:33:20"}]');
    assert.equal((await q('SELECT host FROM cpu ORDER BY host', '&format=jsonl')).text, '{"host":"a"}\n{"host":"b"}\n');
    assert.equal((await q('SELECT host FROM cpu ORDER BY host', '&format=json_lines')).headers['content-type'], 'application/jsonl');
    assert.equal((await q('SELECT host FROM cpu ORDER BY host', '&format=pretty')).text, '+------+\n| host |\n+------+\n| a    |\n| b    |\n+------+\n');
    const pq = await q('SELECT host, v FROM cpu ORDER BY host', '&format=parquet');
    assert.equal(pq.headers['content-type'], 'application/vnd.apache.parquet');
    const rows = await parquetReadObjects({ file: pq.body.buffer.slice(pq.body.byteOffset, pq.body.byteOffset + pq.body.byteLength) as ArrayBuffer, compressors });
    assert.deepEqual(rows, [{ host: 'a', v: 9223372036854775807n }, { host: 'b', v: 2n }]);
    assert.equal((await send(s.port, 'GET', `/api/v3/query_sql?db=db1&q=${encodeURIComponent('SELECT host FROM cpu')}`, undefined, { Accept: 'text/csv' })).headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal((await send(s.port, 'GET', `/api/v3/query_sql?db=db1&q=${encodeURIComponent('SELECT 1')}`, undefined, { Accept: 'image/png' })).status, 400);

    const post = await send(s.port, 'POST', '/api/v3/query_sql', JSON.stringify({ db: 'db1', q: 'SELECT host FROM cpu WHERE v > $min AND host <> $h', params: { min: 1, h: 'zzz' }, format: 'csv' }), { 'Content-Type': 'application/json' });
    assert.equal(post.status, 200, post.text);
    assert.equal(post.text, 'host\na\nb\n');
    const getParams = await q('SELECT host FROM cpu WHERE v = $1', `&params=${encodeURIComponent('[2]')}&format=csv`);
    assert.equal(getParams.text, 'host\nb\n');

    assert.equal((await send(s.port, 'GET', `/api/v3/query_sql?db=nope&q=${encodeURIComponent('SELECT 1')}`)).status, 404);
    assert.equal((await q('SELEC 1')).status, 400);
    assert.equal((await q('DROP VIEW cpu')).status, 400);
    assert.equal((await q('SELECT 1', '&format=xml')).status, 400);
    assert.equal((await send(s.port, 'GET', '/api/v3/query_sql?db=db1')).text, "missing query parameter 'q'");
    assert.equal((await send(s.port, 'POST', '/api/v3/query_sql', '{not json')).status, 400);
  } finally {
    await s.stop();
  }
});

test('health, ping and metrics; a full WAL buffer answers 503 with Retry-After and loses nothing acknowledged', async () => {
  const s = await startServer({ wal: { flushIntervalMs: 60_000, maxWriteBufferSize: 2 } });
  try {
    const health = await send(s.port, 'GET', '/health');
    assert.equal(health.status, 200);
    assert.equal(health.text, 'OK');
    const ping = await send(s.port, 'GET', '/ping');
    assert.equal(ping.status, 200);
    assert.equal(ping.headers['x-influxdb-build'], 'Sluice');
    assert.ok(typeof ping.headers['x-influxdb-version'] === 'string');
    assert.equal((JSON.parse(ping.text) as { product_name: string }).product_name, 'Sluice');

    // The first write (catalog + rows = 2 ops) fills the buffer; it waits for a flush.
    const first = send(s.port, 'POST', '/api/v3/write_lp?db=db1', 'm,host=a v=1i 1');
    await new Promise((r) => setTimeout(r, 100));
    const full = await send(s.port, 'POST', '/api/v3/write_lp?db=db1', 'm,host=a v=2i 2');
    assert.equal(full.status, 503);
    assert.equal(full.headers['retry-after'], '1');
    await s.db.wal.flushBuffer();
    assert.equal((await first).status, 204);
    const metrics = await send(s.port, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers['content-type'] as string, /^text\/plain; version=0.0.4/);
    for (const name of ['sluice_write_lines_total 1', 'sluice_wal_flushes_total 1', 'sluice_buffer_rows 1', 'sluice_snapshots_total 0', 'sluice_compactions_total 0', 'sluice_compaction_files_in_total 0', 'sluice_compaction_running 0', 'sluice_compaction_bytes_out_total 0', 'sluice_http_requests_total{path="/api/v3/write_lp",status="503"} 1']) {
      assert.ok(metrics.text.includes(name), `${name} in\n${metrics.text}`);
    }
    assert.ok(metrics.text.endsWith('# EOF\n'));
  } finally {
    await s.stop();
  }
});

test('auth: tokens by Bearer, Token, Basic and v1 p=; 401 without, 400 when malformed; only hashes are stored', async () => {
  const s = await startServer({}, { withTokens: true });
  try {
    const token = s.token!;
    assert.match(token, /^apiv3_/);
    const stored = new TextDecoder().decode(await s.store.get('node1/tokens.json'));
    assert.ok(!stored.includes(token), 'the token itself is never stored');
    const path = '/api/v3/write_lp?db=db1';
    assert.equal((await send(s.port, 'POST', path, 'm v=1i')).status, 401);
    const denied = await send(s.port, 'POST', path, 'm v=1i', { Authorization: 'Bearer wrong' });
    assert.equal(denied.status, 401);
    assert.deepEqual(JSON.parse(denied.text), { error: 'the request was not authenticated' });
    assert.equal((await send(s.port, 'POST', path, 'm v=1i', { Authorization: `Bearer ${token}` })).status, 204);
    assert.equal((await send(s.port, 'POST', '/api/v2/write?bucket=db1', 'm v=2i', { Authorization: `Token ${token}` })).status, 204);
    assert.equal((await send(s.port, 'POST', '/write?db=db1', 'm v=3i', { Authorization: `Basic ${Buffer.from(`user:${token}`).toString('base64')}` })).status, 204);
    assert.equal((await send(s.port, 'POST', `/write?db=db1&u=x&p=${token}`, 'm v=4i')).status, 204);
    assert.equal((await send(s.port, 'POST', `/api/v3/write_lp?db=db1&p=${token}`, 'm v=5i')).status, 401, 'p= only on v1');
    assert.equal((await send(s.port, 'POST', path, 'm v=1i', { Authorization: 'Bearer' })).status, 400);
    assert.equal((await send(s.port, 'POST', path, 'm v=1i', { Authorization: `Digest ${token}` })).status, 400);
    assert.equal((await send(s.port, 'GET', '/metrics')).status, 401);
    assert.equal((await send(s.port, 'GET', '/health')).status, 200, 'liveness without a token');
    const q = await send(s.port, 'GET', `/api/v3/query_sql?db=db1&q=${encodeURIComponent('SELECT count(*) AS n FROM m')}`, undefined, { Authorization: `Bearer ${token}` });
    assert.equal(q.text, '[{"n":4}]', 'the four authenticated writes (each stamped with the server time), none of the refused ones');
  } finally {
    await s.stop();
  }
});

test('a WAL stopped by another writer answers writes with 503 and /health with 503, and keeps answering queries', async () => {
  const { walFileKey } = await import('../../src/wal/paths.js');
  const s = await startServer({ wal: { flushIntervalMs: 5 } });
  try {
    assert.equal((await send(s.port, 'POST', '/api/v3/write_lp?db=db1&precision=s', 'm,h=a v=1i 1')).status, 204);
    // Another process takes the next WAL number (a copy of file 1: not our put id).
    const next = s.db.wal.lastWalSequenceNumber() + 1;
    await s.store.put(walFileKey('node1', next), await s.store.get(walFileKey('node1', next - 1)), 'create');
    const refused = await send(s.port, 'POST', '/api/v3/write_lp?db=db1&precision=s', 'm,h=b v=2i 2');
    assert.equal(refused.status, 503);
    assert.match(refused.text, /another process has written WAL file/);
    const health = await send(s.port, 'GET', '/health');
    assert.equal(health.status, 503);
    assert.match(health.text, /^unhealthy: the WAL has stopped: /);
    assert.equal((await send(s.port, 'POST', '/api/v2/write?bucket=db1&precision=s', 'm,h=c v=3i 3')).status, 503);
    const q = await send(s.port, 'GET', `/api/v3/query_sql?db=db1&format=csv&q=${encodeURIComponent('SELECT h, v FROM m')}`);
    assert.equal(q.text, 'h,v\na,1\n', 'acknowledged data is still answered, nothing refused is there');
    assert.match((await send(s.port, 'GET', '/metrics')).text, /sluice_wal_healthy 0/);
  } finally {
    await s.stop();
  }
});

test('a WAL whose puts keep failing: a waiting writer gets 503 (outcome unknown) within the deadline, new writes are refused with 503 at once, /health is 503; all heals without a restart', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { LocalObjectStore } = await import('../../src/objectstore/local.js');
  const { SluiceDatabase } = await import('../../src/database/database.js');
  const { FlakyStore } = await import('../support/wal-helpers.js');
  const { AckChecker } = await import('../support/ack-checker.js');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-http-degraded-'));
  const local = await LocalObjectStore.open({ root: dir });
  const store = new FlakyStore(local);
  const db = await SluiceDatabase.open({ store, nodeId: 'node1', wal: { flushIntervalMs: 5, putRetryBaseDelayMs: 5, putRetryMaxDelayMs: 20 } });
  const writeTimeoutMs = 300;
  const server = new SluiceServer({ db, writeTimeoutMs, degradedAfterPutFailures: 3 });
  const { port } = await server.listen('127.0.0.1', 0);
  const checker = new AckChecker('degraded WAL over HTTP');
  const write = async (id: string, expect: 'ack' | 'unknown' | 'refused') => {
    const keys = [`${id}a`, `${id}b`];
    checker.attempt(id, keys);
    const started = performance.now();
    const reply = await send(port, 'POST', '/api/v3/write_lp?db=db1&precision=s', keys.map((k, i) => `m,id=${k} v=${i}i ${i + 1}`).join('\n'));
    const elapsedMs = performance.now() - started;
    if (reply.status === 204) checker.ack(id);
    else if (/nothing was written/.test(reply.text)) checker.refuse(id);
    else checker.indeterminate(id);
    if (expect === 'ack') assert.equal(reply.status, 204, reply.text);
    else {
      assert.equal(reply.status, 503, reply.text);
      assert.equal(reply.headers['retry-after'], '5');
      assert.match(reply.text, expect === 'unknown' ? /^write outcome unknown: not durable within 300 ms/ : /^write refused, nothing was written: the WAL is degraded: \d+ failed WAL puts in a row/);
    }
    return elapsedMs;
  };
  try {
    await write('ok1', 'ack');
    store.failPuts = 1_000_000_000;
    // The writer waiting behind failing puts is answered within the deadline, not never.
    const waitedMs = await write('waiting', 'unknown');
    assert.ok(waitedMs >= writeTimeoutMs && waitedMs < writeTimeoutMs + 2_000, `answered after ${waitedMs} ms`);
    assert.ok(db.wal.health().consecutivePutFailures >= 3);
    const health = await send(port, 'GET', '/health');
    assert.equal(health.status, 503);
    assert.match(health.text, /^unhealthy: the WAL is degraded: \d+ failed WAL puts in a row \(injected put failure\), retrying$/);
    const refusedMs = await write('refused', 'refused');
    assert.ok(refusedMs < writeTimeoutMs, `refused at once (${refusedMs} ms)`);
    // The store heals: the WAL's own retries get through, without a restart.
    store.failPuts = 0;
    const healStarted = performance.now();
    while ((await send(port, 'GET', '/health')).status !== 200) {
      assert.ok(performance.now() - healStarted < 5_000, 'healthy again within 5 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    await write('ok2', 'ack');
    const q = await send(port, 'GET', `/api/v3/query_sql?db=db1&format=jsonl&q=${encodeURIComponent('SELECT id FROM m')}`);
    const present = q.text.trim().split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { id: string }).id);
    const report = checker.check(present);
    assert.equal(report.refused, 1);
    assert.equal(report.indeterminate, 1);
    // The write answered "outcome unknown" stayed buffered and was applied once the puts got through.
    assert.ok(present.includes('waitinga') && present.includes('waitingb'));
  } finally {
    await server.close();
    await db.close();
    await local.close();
    await rm(dir, { recursive: true, force: true });
  }
});
