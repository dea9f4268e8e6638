/**
 * InfluxQL over real HTTP against a real server: `/query` as InfluxDB 1.x answers it (expected
 * texts are influxd 1.6.7's answers for the same points) and `/api/v3/query_influxql` as
 * InfluxDB 3 does; every parameter, the errors, chunking, CSV, the auth forms, the query limits
 * shared with `/api/v3/query_sql`, and the `influx` npm client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import Influx from 'influx';
import { send, startServer, type Reply } from '../support/http-helpers.js';

/** The points of the worked examples (also written to influxd 1.6.7 to get the expected answers). */
const POINTS = [
  'cpu,host=a,region=w v=1,i=5i,b=true,s="x y" 1000000000',
  'cpu,host=b v=1.5,i=-9223372036854775807i,b=false,s="q\\"z" 1000000123',
  'cpu,host=a v=1e300,i=9223372036854775807i 2000000000',
  'cpu,host=a v=0.1,i=1i 1500000000',
  'mem,host=a free=3e-7 1000000000',
  'mem,host=a free=123456789012345678901234.0 1100000000',
].join('\n');

const CPU_ALL =
  '{"statement_id":0,"series":[{"name":"cpu","columns":["time","b","host","i","region","s","v"],"values":[["1970-01-01T00:00:01Z",true,"a",5,"w","x y",1],["1970-01-01T00:00:01.000000123Z",false,"b",-9223372036854775807,null,"q\\"z",1.5],["1970-01-01T00:00:01.5Z",null,"a",1,null,null,0.1],["1970-01-01T00:00:02Z",null,"a",9223372036854775807,null,null,1e+300]]}]}';
const MEM_ALL = '{"statement_id":1,"series":[{"name":"mem","columns":["time","free","host"],"values":[["1970-01-01T00:00:01Z",3e-7,"a"],["1970-01-01T00:00:01.1Z",1.2345678901234569e+23,"a"]]}]}';

async function withData<T>(serverOptions: Parameters<typeof startServer>[1], run: (s: Awaited<ReturnType<typeof startServer>>) => Promise<T>, dbOptions: Parameters<typeof startServer>[0] = {}): Promise<T> {
  const s = await startServer(dbOptions, serverOptions);
  try {
    const auth: Record<string, string> = s.token === undefined ? {} : { Authorization: `Bearer ${s.token}` };
    const w = await send(s.port, 'POST', '/write?db=d1&precision=ns', POINTS, auth);
    assert.equal(w.status, 204, w.text);
    return await run(s);
  } finally {
    await s.stop();
  }
}

const get = (port: number, params: Record<string, string>, headers: Record<string, string> = {}) => send(port, 'GET', `/query?${new URLSearchParams(params).toString()}`, undefined, headers);
const form = (port: number, body: Record<string, string>, urlParams: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  send(port, 'POST', `/query?${new URLSearchParams(urlParams).toString()}`, new URLSearchParams(body).toString(), { 'Content-Type': 'application/x-www-form-urlencoded', ...headers });

test('/query: several statements in one 1.x JSON document, GET and POST (URL or form body, the body winning), epoch, pretty, 1.x headers', async () => {
  await withData({}, async (s) => {
    const q = 'SELECT * FROM cpu; SELECT * FROM mem; SELECT * FROM nope; SELECT mean(v) FROM cpu GROUP BY host';
    const expected = `{"results":[${CPU_ALL},${MEM_ALL},{"statement_id":2},{"statement_id":3,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","mean"],"values":[["1970-01-01T00:00:00Z",3.3333333333333335e+299]]},{"name":"cpu","tags":{"host":"b"},"columns":["time","mean"],"values":[["1970-01-01T00:00:00Z",1.5]]}]}]}\n`;
    const r = await get(s.port, { db: 'd1', q });
    assert.equal(r.status, 200);
    assert.equal(r.text, expected);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['x-influxdb-version'], '0.1.0');
    assert.match(String(r.headers['request-id']), /^[0-9a-f-]{36}$/);
    // POST with everything in the URL and no body, as the influx npm client and the 1.x CLI send.
    assert.equal((await send(s.port, 'POST', `/query?${new URLSearchParams({ db: 'd1', q }).toString()}`)).text, expected);
    // A form body; its values come before the URL's, as Go's r.FormValue reads them.
    assert.equal((await form(s.port, { db: 'd1', q })).text, expected);
    assert.equal((await form(s.port, { q: 'SELECT * FROM cpu' }, { db: 'd1', q: 'SELECT * FROM mem' })).text, `{"results":[${CPU_ALL}]}\n`);
    // A body that is not a form is not read (as 1.x): q must be in the URL.
    assert.equal((await send(s.port, 'POST', '/query?db=d1', 'q=SELECT+*+FROM+cpu', { 'Content-Type': 'text/plain' })).status, 400);

    const epochs: Array<[string, string]> = [
      ['ns', '[[1000000000,1],[1000000123,1.5],[1500000000,0.1],[2000000000,1e+300]]'],
      ['u', '[[1000000,1],[1000000,1.5],[1500000,0.1],[2000000,1e+300]]'],
      ['ms', '[[1000,1],[1000,1.5],[1500,0.1],[2000,1e+300]]'],
      ['s', '[[1,1],[1,1.5],[1,0.1],[2,1e+300]]'],
      ['m', '[[0,1],[0,1.5],[0,0.1],[0,1e+300]]'],
      ['h', '[[0,1],[0,1.5],[0,0.1],[0,1e+300]]'],
      ['x', '[[1000000000,1],[1000000123,1.5],[1500000000,0.1],[2000000000,1e+300]]'],
    ];
    for (const [epoch, values] of epochs) {
      const e = await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu', epoch });
      assert.equal(e.text, `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":${values}}]}]}\n`, `epoch=${epoch}`);
    }
    // tz(): RFC3339 times in the zone, with its offset; epoch numbers unchanged (as influxd 1.6).
    assert.equal((await get(s.port, { db: 'd1', q: "SELECT v FROM cpu LIMIT 2 tz('Europe/Paris')" })).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[["1970-01-01T01:00:01+01:00",1],["1970-01-01T01:00:01.000000123+01:00",1.5]]}]}]}\n');
    assert.equal((await get(s.port, { db: 'd1', q: "SELECT v FROM cpu LIMIT 2 tz('Europe/Paris')", epoch: 'ms' })).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1000,1],[1000,1.5]]}]}]}\n');
    assert.equal((await form(s.port, { db: 'd1', q: 'SELECT v FROM cpu LIMIT 1', epoch: 's' })).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]]}]}]}\n', 'epoch from the form body');

    const pretty = await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu LIMIT 1', pretty: 'true' });
    assert.equal(
      pretty.text,
      '{\n    "results": [\n        {\n            "statement_id": 0,\n            "series": [\n                {\n                    "name": "cpu",\n                    "columns": [\n                        "time",\n                        "v"\n                    ],\n                    "values": [\n                        [\n                            "1970-01-01T00:00:01Z",\n                            1\n                        ]\n                    ]\n                }\n            ]\n        }\n    ]\n}\n',
    );
    assert.equal((await form(s.port, { db: 'd1', q: 'SELECT v FROM cpu LIMIT 1', pretty: 'true' })).text.includes('\n    '), false, '1.x reads pretty from the URL only');
    // A query of only `;` has no results.
    assert.equal((await get(s.port, { db: 'd1', q: ';' })).text, '{}\n');
    // Statement errors are per statement in a 200; the others still run.
    const errs = await get(s.port, { db: 'nodb', q: 'SELECT v FROM cpu; SELECT v FROM d1..cpu LIMIT 1' });
    assert.equal(errs.status, 200);
    assert.equal(errs.text, '{"results":[{"statement_id":0,"error":"database not found: nodb"},{"statement_id":1,"series":[{"name":"cpu","columns":["time","v"],"values":[["1970-01-01T00:00:01Z",1]]}]}]}\n');
    assert.equal((await get(s.port, { q: 'SELECT v FROM cpu' })).text, '{"results":[{"statement_id":0,"error":"database name required"}]}\n');
    // A write statement over GET runs, with 1.x's deprecation warning; over POST without.
    assert.equal((await get(s.port, { q: 'CREATE DATABASE viaget' })).text, '{"results":[{"statement_id":0,"messages":[{"level":"warning","text":"deprecated use of \'CREATE DATABASE viaget\' in a read only context, please use a POST request instead"}]}]}\n');
    assert.equal((await form(s.port, { q: 'CREATE DATABASE viapost' })).text, '{"results":[{"statement_id":0}]}\n');
    assert.equal((await get(s.port, { q: 'SHOW DATABASES' })).text, '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["d1"],["viaget"],["viapost"]]}]}]}\n');
    // rp: empty or autogen reads the data; another retention policy does not exist.
    assert.equal((await get(s.port, { db: 'd1', rp: 'autogen', q: 'SELECT v FROM cpu LIMIT 1', epoch: 's' })).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]]}]}]}\n');
    assert.equal((await get(s.port, { db: 'd1', rp: 'weekly', q: 'SELECT v FROM cpu' })).text, '{"results":[{"statement_id":0,"error":"retention policy not found: weekly"}]}\n');
  });
});

/** A multipart/form-data body as curl -F builds it: fields, and files with a filename. */
function multipart(parts: Array<{ name: string; value: string; filename?: string }>): { body: string; headers: Record<string, string> } {
  const boundary = '------------------------d74496d66958873e';
  const body = parts
    .map((p) => `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"\r\nContent-Type: application/octet-stream`}\r\n\r\n${p.value}\r\n`)
    .join('');
  return { body: `${body}--${boundary}--\r\n`, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } };
}

test('/query multipart/form-data as 1.x reads it: fields after the URL\'s, q from an uploaded file (curl -F q=@file)', async () => {
  await withData({}, async (s) => {
    const both = '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]]}]},{"statement_id":1,"series":[{"name":"mem","columns":["time","free"],"values":[[1,3e-7]]}]}]}\n';
    const file = multipart([{ name: 'q', value: 'SELECT v FROM cpu LIMIT 1;\nSELECT free FROM mem LIMIT 1\n', filename: 'q.txt' }]);
    assert.equal((await send(s.port, 'POST', '/query?db=d1&epoch=s', file.body, file.headers)).text, both);
    const fields = multipart([{ name: 'q', value: 'SELECT v FROM cpu LIMIT 1' }, { name: 'db', value: 'd1' }]);
    assert.equal((await send(s.port, 'POST', '/query?epoch=s', fields.body, fields.headers)).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]]}]}]}\n');
    // Go appends multipart values after the URL's: the URL's q wins (as influxd 1.6 answers).
    assert.equal((await send(s.port, 'POST', `/query?epoch=s&q=${encodeURIComponent('SELECT free FROM mem LIMIT 1')}`, fields.body, fields.headers)).text, '{"results":[{"statement_id":0,"series":[{"name":"mem","columns":["time","free"],"values":[[1,3e-7]]}]}]}\n');
    const broken = await send(s.port, 'POST', '/query?db=d1', 'not multipart at all', fields.headers);
    assert.equal(broken.status, 400);
    assert.equal(broken.text, '{"error":"missing required parameter \\"q\\""}\n');
  });
});

test('/query errors as 1.x: missing or blank q, parse errors (q trimmed first), bad params; JSON or CSV with X-Influxdb-Error; too long a q is 413', async () => {
  await withData({ maxQueryTextBytes: 64 }, async (s) => {
    const missing = await get(s.port, { db: 'd1' });
    assert.equal(missing.status, 400);
    assert.equal(missing.text, '{"error":"missing required parameter \\"q\\""}\n');
    assert.equal(missing.headers['content-type'], 'application/json');
    assert.equal(missing.headers['x-influxdb-error'], 'missing required parameter "q"');
    assert.equal(missing.headers['x-influxdb-version'], '0.1.0');
    assert.equal((await get(s.port, { db: 'd1', q: ' \n\t ' })).text, '{"error":"missing required parameter \\"q\\""}\n');
    assert.equal((await get(s.port, { db: 'd1', pretty: 'true' })).text, '{\n    "error": "missing required parameter \\"q\\""\n}\n');
    const parse = await get(s.port, { db: 'd1', q: '  \n SELEC v FROM cpu' });
    assert.equal(parse.status, 400);
    const message = 'error parsing query: found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1';
    assert.equal(parse.text, `{"error":${JSON.stringify(message)}}\n`);
    assert.equal(parse.headers['x-influxdb-error'], message);
    const csv = await get(s.port, { db: 'd1', q: 'SELEC v' }, { Accept: 'text/csv' });
    assert.equal(csv.status, 400);
    assert.equal(csv.headers['content-type'], 'text/csv');
    assert.equal(csv.text, `error\n"${message}"\n`);
    // A parse error anywhere fails the whole query before anything runs.
    assert.equal((await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu; SELECT FROM' })).status, 400);

    const params: Array<[string, number, string]> = [
      ['{"h":1e5}', 400, '{"error":"error parsing json value: strconv.ParseInt: parsing \\"1e5\\": invalid syntax"}\n'],
      ['[1]', 400, '{"error":"error parsing query parameters: json: cannot unmarshal array into Go value of type map[string]interface {}"}\n'],
      ['{"x":1}', 400, '{"error":"error parsing query: missing parameter: h"}\n'],
      ['{"h":null}', 400, '{"error":"error parsing query: missing parameter: unable to bind parameter with type \\u003cnil\\u003e"}\n'],
    ];
    for (const [p, status, text] of params) {
      const r = await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu WHERE host = $h', params: p });
      assert.equal(r.status, status, p);
      assert.equal(r.text, text, p);
    }
    const tooLong = await get(s.port, { db: 'd1', q: `SELECT v FROM cpu WHERE host = '${'x'.repeat(64)}'` });
    assert.equal(tooLong.status, 413);
    assert.match(tooLong.text, /^\{"error":"the query text is 97 bytes, more than --max-query-text-bytes \(64\)"\}\n$/);
    assert.equal((await send(s.port, 'PUT', '/query?q=x')).status, 405);
  });
});

test('/query params: strings, exact integers, floats by their dot, booleans and objects bind $names; in the URL or the form body', async () => {
  await withData({}, async (s) => {
    const q = 'SELECT v FROM cpu WHERE host = $h AND i >= $min LIMIT $n';
    const one = (p: string) => get(s.port, { db: 'd1', q, params: p, epoch: 'ns' });
    assert.equal((await one('{"h":"a","min":5,"n":5}')).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1000000000,1],[2000000000,1e+300]]}]}]}\n');
    assert.equal((await one('{"h":{"string":"b"},"min":-9223372036854775807,"n":1}')).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1000000123,1.5]]}]}]}\n');
    // 9223372036854775807 must bind exactly (a double would round it up past int64).
    const exact = await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu WHERE i = $i', params: '{"i":9223372036854775807}', epoch: 'ns' });
    assert.equal(exact.text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[2000000000,1e+300]]}]}]}\n');
    // `3.0` is a float: LIMIT needs an integer.
    const float = await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu LIMIT $n', params: '{"n":3.0}' });
    assert.equal(float.status, 400);
    assert.equal((await form(s.port, { db: 'd1', q: 'SELECT v FROM cpu WHERE b = $b', params: '{"b":false}', epoch: 'ns' })).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1000000123,1.5]]}]}]}\n');
    assert.equal((await get(s.port, { db: 'd1', q: 'SELECT v FROM $m LIMIT 1', params: '{"m":{"identifier":"cpu"}}', epoch: 'ns' })).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1000000000,1]]}]}]}\n');
  });
});

test('/query chunked=true: one document per series piece of at most chunk_size rows, partial where it goes on; bad sizes are 10000; chunked=yes is not chunked', async () => {
  await withData({}, async (s) => {
    const q = 'SELECT v FROM cpu GROUP BY host; SHOW DATABASES; SELECT v FROM cpu WHERE time > now()';
    const r = await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu GROUP BY host; SELECT v FROM nope', chunked: 'true', chunk_size: '2' });
    assert.equal(r.status, 200);
    assert.equal(
      r.text,
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:01Z",1],["1970-01-01T00:00:01.5Z",0.1]],"partial":true}],"partial":true}]}\n' +
        '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:02Z",1e+300]]}],"partial":true}]}\n' +
        '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"b"},"columns":["time","v"],"values":[["1970-01-01T00:00:01.000000123Z",1.5]]}]}]}\n' +
        '{"results":[{"statement_id":1}]}\n',
    );
    const whole = '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1000000000,1],[1000000123,1.5],[1500000000,0.1],[2000000000,1e+300]]}]}]}\n';
    for (const size of ['0', '-1', 'x', '', '1.5']) assert.equal((await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu', chunked: 'true', chunk_size: size, epoch: 'ns' })).text, whole, `chunk_size=${size}`);
    assert.equal((await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu', chunked: 'yes', chunk_size: '1', epoch: 'ns' })).text, whole);
    const ones = await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu', chunked: 'true', chunk_size: '1', epoch: 'ns' });
    const docs = ones.text.split('\n');
    assert.equal(docs.pop(), '', 'each document ends with a newline');
    assert.deepEqual(docs.map((d) => (JSON.parse(d) as { results: Array<{ partial?: boolean; series: Array<{ values: unknown[]; partial?: boolean }> }> }).results[0]!).map((r) => [r.partial ?? false, r.series[0]!.partial ?? false, r.series[0]!.values.length]), [
      [true, true, 1],
      [true, true, 1],
      [true, true, 1],
      [false, false, 1],
    ]);
    // Statements 1.6 does not cut by rows: SHOW TAG KEYS a document per series, SHOW MEASUREMENTS one.
    assert.equal(
      (await get(s.port, { db: 'd1', q: 'SHOW TAG KEYS; SHOW MEASUREMENTS', chunked: 'true', chunk_size: '1' })).text,
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["tagKey"],"values":[["host"],["region"]]}]}]}\n' +
        '{"results":[{"statement_id":0,"series":[{"name":"mem","columns":["tagKey"],"values":[["host"]]}]}]}\n' +
        '{"results":[{"statement_id":1,"series":[{"name":"measurements","columns":["name"],"values":[["cpu"],["mem"]]}]}]}\n',
    );
    // Chunked CSV: one header per statement however many pieces.
    const csv = await get(s.port, { db: 'd1', q, chunked: 'true', chunk_size: '1' }, { Accept: 'application/csv' });
    assert.ok(csv.text.startsWith('name,tags,time,v\ncpu,host=a,1000000000,1\ncpu,host=a,1500000000,0.1\n'), csv.text);
  });
});

test('/query CSV for Accept: application/csv or text/csv exactly, as 1.x writes it; anything else is JSON', async () => {
  await withData({}, async (s) => {
    const q = 'SELECT * FROM cpu GROUP BY host; SELECT * FROM nope; SELECT free FROM mem';
    const expected = `name,tags,time,b,i,region,s,v
cpu,host=a,1000000000,true,5,w,x y,1
cpu,host=a,1500000000,,1,,,0.1
cpu,host=a,2000000000,,9223372036854775807,,,1${'0'.repeat(300)}
cpu,host=b,1000000123,false,-9223372036854775807,,"q""z",1.5

name,tags,time,free
mem,,1000000000,0.0000003
mem,,1100000000,123456789012345690000000
`;
    for (const accept of ['application/csv', 'text/csv']) {
      const r = await get(s.port, { db: 'd1', q }, { Accept: accept });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/csv');
      assert.equal(r.text, expected);
    }
    assert.equal((await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu LIMIT 1', epoch: 'ms' }, { Accept: 'text/csv' })).text, 'name,tags,time,v\ncpu,,1000,1\n');
    for (const accept of ['text/*', 'text/csv;q=0.5, application/json', 'text/html', '*/*', 'application/x-msgpack']) {
      assert.equal((await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu LIMIT 1' }, { Accept: accept })).headers['content-type'], 'application/json', accept);
    }
  });
});

test('/query auth: 401 in 1.x words with its challenge; p=, Basic, Token and Bearer carry the token', async () => {
  await withData({ withTokens: true }, async (s) => {
    const token = s.token!;
    const q = { db: 'd1', q: 'SELECT v FROM cpu LIMIT 1', epoch: 's' };
    const ok = '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]]}]}]}\n';
    const none = await get(s.port, q);
    assert.equal(none.status, 401);
    assert.equal(none.text, '{"error":"unable to parse authentication credentials"}');
    assert.equal(none.headers['www-authenticate'], 'Basic realm="InfluxDB"');
    const wrong = await get(s.port, { ...q, u: 'me', p: 'wrong' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, '{"error":"authorization failed"}');
    assert.equal((await get(s.port, q, { Authorization: 'Basic !!!' })).status, 401);
    assert.equal((await get(s.port, q, { Authorization: 'Digest x' })).status, 401);
    assert.equal((await get(s.port, { ...q, u: 'me', p: token })).text, ok);
    assert.equal((await get(s.port, { ...q, p: token })).text, ok);
    assert.equal((await get(s.port, q, { Authorization: `Basic ${Buffer.from(`me:${token}`).toString('base64')}` })).text, ok);
    assert.equal((await get(s.port, q, { Authorization: `Token ${token}` })).text, ok);
    assert.equal((await get(s.port, q, { Authorization: `Bearer ${token}` })).text, ok);
    // As 1.x: credentials in a form body are not read.
    assert.equal((await form(s.port, { ...q, u: 'me', p: token })).status, 401);
    // The v3 route answers in InfluxDB 3's words.
    const v3 = await send(s.port, 'GET', `/api/v3/query_influxql?db=d1&q=${encodeURIComponent('SELECT v FROM cpu')}`);
    assert.equal(v3.status, 401);
    assert.equal(v3.text, '{"error":"the request was not authenticated"}');
    assert.equal((await send(s.port, 'GET', `/api/v3/query_influxql?db=d1&q=${encodeURIComponent('SELECT v FROM cpu LIMIT 1')}&p=${token}`)).status, 401, 'p= is v1 only');
  });
});

/** Sends a request and destroys it as soon as it is written; resolves once the socket is closed. */
function leave(port: number, path: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.end(() => setTimeout(() => req.destroy(), 50));
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('query slots as query_sql: a full line is 503 with Retry-After, the queue timeout too; a client that leaves gives up its place; /metrics labels the routes', async () => {
  await withData({ maxConcurrentQueries: 1, maxQueuedQueries: 1, queryQueueTimeoutMs: 300 }, async (s) => {
    const admission = s.server.queryAdmission;
    // Hold the only slot as a running query would.
    assert.ok(await admission.acquire(1, 1_000));
    try {
      const queued = get(s.port, { db: 'd1', q: 'SELECT v FROM cpu' });
      await until('the first query waits', () => admission.waitingCount === 1);
      const full = await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu' });
      assert.equal(full.status, 503);
      assert.equal(full.headers['retry-after'], '1');
      assert.match(full.text, /^\{"error":"query refused: 1 queries running and 1 waiting/);
      assert.match(String(full.headers['x-influxdb-error']), /^query refused/);
      const csv = await get(s.port, { db: 'd1', q: 'SELECT v FROM cpu' }, { Accept: 'text/csv' });
      assert.equal(csv.status, 503);
      assert.match(csv.text, /^error\n"query refused: 1 queries running/);
      const timedOut = await queued;
      assert.equal(timedOut.status, 503, 'waited past --query-queue-timeout');
      const v3 = await send(s.port, 'GET', `/api/v3/query_influxql?db=d1&q=${encodeURIComponent('SELECT v FROM cpu')}`);
      assert.equal(v3.status, 503);
      // A client that goes away while waiting leaves the line at once.
      await leave(s.port, `/query?db=d1&q=${encodeURIComponent('SELECT v FROM cpu')}`);
      await until('the client that left is out of the line', () => admission.waitingCount === 0, 2_000);
    } finally {
      admission.release(1);
    }
    assert.equal(admission.bytesInFlight, 0);
    assert.equal((await get(s.port, { db: 'd1', q: 'SELECT count(v) FROM cpu', epoch: 'ns' })).text, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count"],"values":[[0,4]]}]}]}\n');
    const metrics = (await send(s.port, 'GET', '/metrics')).text;
    assert.ok(metrics.includes('sluice_http_requests_total{path="/query",status="200"}'), metrics);
    assert.ok(metrics.includes('sluice_http_requests_total{path="/query",status="503"} 3'), metrics);
    assert.ok(metrics.includes('sluice_http_requests_total{path="/api/v3/query_influxql",status="503"} 1'), metrics);
  });
});

test('answer size: 413 while nothing was sent, the connection cut once it was; the query timeout is 408; slots come back', async () => {
  await withData({ maxQueryResultBytes: 100_000 }, async (s) => {
    const small = await get(s.port, { db: 'd1', q: 'SELECT * FROM cpu' });
    assert.equal(small.status, 200);
    const lines = Array.from({ length: 2_000 }, (_, i) => `big,k=${i % 7} s="${'y'.repeat(100)}" ${i + 1}`).join('\n');
    assert.equal((await send(s.port, 'POST', '/write?db=d1&precision=ns', lines)).status, 204);
    // 2000 rows of ~140 bytes: past 64 KiB the answer is on its way when the limit is reached.
    await assert.rejects(get(s.port, { db: 'd1', q: 'SELECT s FROM big' }), /aborted/);
    const csv = get(s.port, { db: 'd1', q: 'SELECT s FROM big' }, { Accept: 'text/csv' });
    await assert.rejects(csv, /aborted/);
    const v3 = await send(s.port, 'GET', `/api/v3/query_influxql?db=d1&format=pretty&q=${encodeURIComponent('SELECT s FROM big')}`);
    assert.equal(v3.status, 413, 'pretty holds its rows: refused before anything is sent');
    assert.match(v3.text, /larger than --max-query-result-bytes \(100000 bytes\)/);
    await until('every slot is back', () => s.server.queryAdmission.bytesInFlight === 0);
  });
  await withData({ maxQueryResultBytes: 300 }, async (s) => {
    const r = await get(s.port, { db: 'd1', q: 'SELECT * FROM cpu; SELECT * FROM mem' });
    assert.equal(r.status, 413);
    assert.match(r.text, /^\{"error":"the answer is larger than --max-query-result-bytes \(300 bytes\)/);
    assert.equal(r.headers['x-influxdb-version'], '0.1.0');
    const parquet = await send(s.port, 'GET', `/api/v3/query_influxql?db=d1&format=parquet&q=${encodeURIComponent('SELECT * FROM cpu')}`);
    assert.equal(parquet.status, 413);
  });
  await withData(
    {},
    async (s) => {
      const r = await get(s.port, { db: 'd1', q: 'SELECT * FROM cpu' });
      assert.equal(r.status, 408, r.text);
      assert.match(r.text, /^\{"error":".*time/);
      assert.equal(s.server.queryAdmission.bytesInFlight, 0);
    },
    { queryTimeoutMs: 1 },
  );
});

const v3 = (port: number, params: Record<string, string>, headers: Record<string, string> = {}) => send(port, 'GET', `/api/v3/query_influxql?${new URLSearchParams(params).toString()}`, undefined, headers);

function parquetRows(reply: Reply): Promise<Array<Record<string, unknown>>> {
  const b = reply.body;
  return parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, compressors });
}

test('/api/v3/query_influxql: the flat table in json, jsonl, csv, pretty and Parquet; GET or a JSON POST; one statement; InfluxDB 3 errors', async () => {
  await withData({}, async (s) => {
    const q = 'SELECT v, i FROM cpu GROUP BY host';
    const json = await v3(s.port, { db: 'd1', q });
    assert.equal(json.status, 200);
    assert.equal(json.headers['content-type'], 'application/json');
    assert.equal(
      json.text,
      '[{"iox::measurement":"cpu","time":"1970-01-01T00:00:01","host":"a","v":1.0,"i":5},{"iox::measurement":"cpu","time":"1970-01-01T00:00:01.500","host":"a","v":0.1,"i":1},{"iox::measurement":"cpu","time":"1970-01-01T00:00:02","host":"a","v":1e+300,"i":9223372036854775807},{"iox::measurement":"cpu","time":"1970-01-01T00:00:01.000000123","host":"b","v":1.5,"i":-9223372036854775807}]',
    );
    const jsonl = await v3(s.port, { db: 'd1', q: 'SELECT free FROM mem', format: 'jsonl' });
    assert.equal(jsonl.headers['content-type'], 'application/jsonl');
    assert.equal(jsonl.text, '{"iox::measurement":"mem","time":"1970-01-01T00:00:01","free":3e-7}\n{"iox::measurement":"mem","time":"1970-01-01T00:00:01.100","free":1.2345678901234569e+23}\n');
    const csv = await v3(s.port, { db: 'd1', q: 'SELECT s, b FROM cpu', format: 'csv' });
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    // Rows whose selected fields are all null are left out, as InfluxQL does.
    assert.equal(csv.text, 'iox::measurement,time,s,b\ncpu,1970-01-01T00:00:01,x y,true\ncpu,1970-01-01T00:00:01.000000123,"q""z",false\n');
    assert.equal((await v3(s.port, { db: 'd1', q: 'SELECT v FROM cpu LIMIT 1' }, { Accept: 'text/csv' })).text, 'iox::measurement,time,v\ncpu,1970-01-01T00:00:01,1.0\n');
    const pretty = await v3(s.port, { db: 'd1', q: 'SELECT v FROM cpu LIMIT 1', format: 'pretty' });
    assert.equal(pretty.text, '+------------------+---------------------+-----+\n| iox::measurement | time                | v   |\n+------------------+---------------------+-----+\n| cpu              | 1970-01-01T00:00:01 | 1.0 |\n+------------------+---------------------+-----+\n');
    // SHOW DATABASES as InfluxDB 3 answers it.
    assert.equal((await v3(s.port, { q: 'SHOW DATABASES' })).text, '[{"iox::database":"d1","deleted":false}]');
    // SHOW answers have no time column; the series name is the measurement column.
    assert.equal((await v3(s.port, { db: 'd1', q: 'SHOW TAG KEYS FROM cpu' })).text, '[{"iox::measurement":"cpu","tagKey":"host"},{"iox::measurement":"cpu","tagKey":"region"}]');

    // Parquet: values bound by type, names (even ones differing only in case) as they are.
    assert.equal((await send(s.port, 'POST', '/write?db=d1&precision=ns', 'case,Host=A,host=a V=1i,v=2.5 7')).status, 204);
    const pq = await v3(s.port, { db: 'd1', q: 'SELECT * FROM "case"', format: 'parquet' });
    assert.equal(pq.status, 200, pq.text);
    assert.equal(pq.headers['content-type'], 'application/vnd.apache.parquet');
    const [caseRow] = await parquetRows(pq);
    assert.deepEqual(Object.keys(caseRow!).sort(), ['Host', 'V', 'host', 'iox::measurement', 'time', 'v']);
    assert.deepEqual([caseRow!['iox::measurement'], caseRow!.Host, caseRow!.host, caseRow!.V, caseRow!.v], ['case', 'A', 'a', 1n, 2.5]);
    const rows = await parquetRows(await v3(s.port, { db: 'd1', q: 'SELECT v, i, s, b FROM cpu', format: 'parquet' }));
    assert.deepEqual(rows.map((r) => [r['iox::measurement'], r.v, r.i, r.s, r.b]), [
      ['cpu', 1, 5n, 'x y', true],
      ['cpu', 1.5, -9223372036854775807n, 'q"z', false],
      ['cpu', 0.1, 1n, null, null],
      ['cpu', 1e300, 9223372036854775807n, null, null],
    ]);
    assert.ok(rows.every((r) => r.time !== null && r.time !== undefined));

    // POST with a JSON body; params bind $names (integers exact).
    const post = await send(s.port, 'POST', '/api/v3/query_influxql', JSON.stringify({ db: 'd1', q: 'SELECT v FROM cpu WHERE host = $h AND i = $i', format: 'jsonl', params: { h: 'a', i: 5 } }));
    assert.equal(post.text, '{"iox::measurement":"cpu","time":"1970-01-01T00:00:01","v":1.0}\n');
    assert.equal((await v3(s.port, { db: 'd1', q: 'SELECT v FROM cpu WHERE i = $i', params: '{"i":9223372036854775807}', format: 'jsonl' })).text, '{"iox::measurement":"cpu","time":"1970-01-01T00:00:02","v":1e+300}\n');
    // The database may be named in the statement instead.
    assert.equal((await v3(s.port, { q: 'SELECT v FROM d1..cpu LIMIT 1', format: 'jsonl' })).text, '{"iox::measurement":"cpu","time":"1970-01-01T00:00:01","v":1.0}\n');

    const errors: Array<[Record<string, string>, number, RegExp]> = [
      [{ db: 'd1', q: 'SELECT v FROM cpu; SELECT v FROM mem' }, 400, /^\{"error":"must provide only one InfluxQl statement per query"\}$/],
      [{ db: 'd1', q: 'SELEC v' }, 400, /^\{"error":"error in InfluxQL statement: found SELEC, expected SELECT/],
      [{ db: 'd1' }, 400, /missing query parameter 'q'/],
      [{ db: 'nodb', q: 'SELECT v FROM cpu' }, 404, /^\{"error":"database not found: nodb"\}$/],
      [{ q: 'SELECT v FROM cpu' }, 400, /^\{"error":"database name required"\}$/],
      [{ db: 'd1', q: 'SELECT v FROM cpu', format: 'xml' }, 400, /invalid format \\"xml\\"/],
      [{ db: 'd1', q: 'SELECT v FROM cpu', params: '{"a":' }, 400, /unexpected end of JSON input/],
    ];
    for (const [params, status, body] of errors) {
      const r = await v3(s.port, params);
      assert.equal(r.status, status, JSON.stringify(params));
      assert.match(r.text, body, JSON.stringify(params));
    }
    assert.equal((await send(s.port, 'POST', '/api/v3/query_influxql', '{"db":"d1","q":"SELECT v FROM cpu"} trailing')).status, 400);
    assert.equal((await send(s.port, 'POST', '/api/v3/query_influxql', '[]')).status, 400);
  });
});

test('the influx npm client: ping with the version header, queries with RFC3339 and epoch times, placeholders, results grouped by tags', async () => {
  await withData({}, async (s) => {
    const influx = new Influx.InfluxDB({ host: '127.0.0.1', port: s.port, database: 'd1' });
    const [ping] = await influx.ping(2_000);
    assert.equal(ping!.online, true);
    assert.equal(ping!.version, '0.1.0');
    const rows = await influx.query<{ time: Influx.INanoDate; v: number; i: number; host: string }>('SELECT v, i, host FROM cpu');
    assert.deepEqual(
      rows.map((r) => [r.time.toNanoISOString(), r.v, r.host]),
      [
        ['1970-01-01T00:00:01.000000000Z', 1, 'a'],
        ['1970-01-01T00:00:01.000000123Z', 1.5, 'b'],
        ['1970-01-01T00:00:01.500000000Z', 0.1, 'a'],
        ['1970-01-01T00:00:02.000000000Z', 1e300, 'a'],
      ],
    );
    const byMs = await influx.query<{ time: Date; v: number }>('SELECT v FROM cpu WHERE host = $h', { precision: 'ms', placeholders: { h: 'a' } });
    assert.deepEqual(byMs.map((r) => [r.time.getTime(), r.v]), [[1000, 1], [1500, 0.1], [2000, 1e300]]);
    const grouped = await influx.query<{ time: Date; mean: number; host: string }>('SELECT mean(v) FROM cpu WHERE time >= 0 AND time < 3s GROUP BY time(1s), host fill(none)');
    assert.deepEqual(grouped.groups().map((g) => [g.tags.host, g.rows.map((r) => [r.time.getTime(), r.mean])]), [
      ['a', [[1000, (1 + 0.1) / 2], [2000, 1e300]]],
      ['b', [[1000, 1.5]]],
    ]);
    await assert.rejects(influx.query('SELEC x'), /error parsing query/);
    assert.deepEqual(await influx.getDatabaseNames(), ['d1']);
    await influx.createDatabase('made_by_npm');
    await influx.createDatabase('made_by_npm');
    assert.deepEqual((await influx.getDatabaseNames()).sort(), ['d1', 'made_by_npm']);
  });
});
