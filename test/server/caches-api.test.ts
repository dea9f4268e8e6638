/**
 * `/api/v3/configure/last_cache` and `/api/v3/configure/distinct_cache` over loopback HTTP: the
 * status of every case InfluxDB 3's own server tests pin (influxdb3/tests/server/configure.rs),
 * the defaults a create fills in, deletes from the body and from the query string, and the SQL
 * table functions answering from the caches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send, startServer, type Reply } from '../support/http-helpers.js';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function post(port: number, path: string, body: unknown): Promise<Reply> {
  return send(port, 'POST', path, JSON.stringify(body), JSON_HEADERS);
}

function del(port: number, path: string, body?: unknown): Promise<Reply> {
  if (body === undefined) return send(port, 'DELETE', path);
  // Node's client frames a DELETE body only with a Content-Length (it does not chunk DELETEs).
  const text = JSON.stringify(body);
  return send(port, 'DELETE', path, text, { ...JSON_HEADERS, 'Content-Length': String(Buffer.byteLength(text)) });
}

async function write(port: number, db: string, lp: string, precision = 's'): Promise<void> {
  const r = await send(port, 'POST', `/api/v3/write_lp?db=${db}&precision=${precision}`, lp);
  assert.equal(r.status, 204, r.text);
}

async function sqlJson(port: number, db: string, q: string): Promise<unknown> {
  const r = await send(port, 'GET', `/api/v3/query_sql?db=${encodeURIComponent(db)}&format=json&q=${encodeURIComponent(q)}`);
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text);
}

test('configure/last_cache: create with defaults, 409 for a taken name, 400 for bad columns and counts, 404 for an unknown database or table (InfluxDB 3 cases)', async () => {
  const s = await startServer();
  try {
    const p = s.port;
    await write(p, 'db', 'tbl,t1=a,t2=b,t3=c f1=true,f2="hello",f3=4i,f4=4u,f5=5 1000');
    const url = '/api/v3/configure/last_cache';
    const cases: Array<[string, Record<string, unknown>, number]> = [
      ['no parameters', {}, 400],
      ['missing database', { table: 'tbl' }, 400],
      ['missing table', { db: 'db' }, 400],
      ['unknown database', { db: 'nope', table: 'tbl' }, 404],
      ['unknown table', { db: 'db', table: 'nope' }, 404],
      ['defaults', { db: 'db', table: 'tbl' }, 201],
      ['same again', { db: 'db', table: 'tbl' }, 409],
      ['named', { db: 'db', table: 'tbl', name: 'my_cache' }, 201],
      ['named again', { db: 'db', table: 'tbl', name: 'my_cache' }, 409],
      ['named again, other ttl', { db: 'db', table: 'tbl', name: 'my_cache', ttl: 666 }, 409],
      ['other key columns, other default name', { db: 'db', table: 'tbl', key_columns: ['t1', 't2'] }, 201],
      ['those again', { db: 'db', table: 'tbl', key_columns: ['t1', 't2'] }, 409],
      ['unknown key column', { db: 'db', table: 'tbl', key_columns: ['not_a_key_column'] }, 400],
      ['float key column', { db: 'db', table: 'tbl', key_columns: ['f5'] }, 400],
      ['unknown value column', { db: 'db', table: 'tbl', value_columns: ['not_a_value_column'] }, 400],
      ['count 0', { db: 'db', table: 'tbl', name: 'too_small', count: 0 }, 400],
      ['count 11', { db: 'db', table: 'tbl', name: 'too_big', count: 11 }, 400],
      ['count as a string', { db: 'db', table: 'tbl', name: 'x', count: '2' }, 400],
    ];
    for (const [what, body, status] of cases) {
      const r = await post(p, url, body);
      assert.equal(r.status, status, `${what}: ${r.text}`);
    }
    const made = await post(p, url, { db: 'db', table: 'tbl', name: 'explicit', key_columns: ['t1', 'f3'], value_columns: ['f1', 'f5'], count: 3, ttl: 60 });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual(JSON.parse(made.text), { db: 'db', table: 'tbl', name: 'explicit', key_columns: ['t1', 'f3'], value_columns: ['f1', 'f5'], count: 3, ttl: 60 });
    const table = s.db.catalog.database('db')!.tables.get('tbl')!;
    assert.deepEqual([...table.lastCaches.keys()], ['tbl_t1_t2_t3_last_cache', 'my_cache', 'tbl_t1_t2_last_cache', 'explicit']);
    const defaults = table.lastCaches.get('tbl_t1_t2_t3_last_cache')!;
    assert.deepEqual([defaults.count, defaults.ttlSeconds, defaults.valueColumnIds], [1, 14_400, undefined]);
    for (const body of [[], null, 'x', { db: 'db', table: 'tbl', key_columns: 't1' }, { db: 'db', table: 'tbl', count: 1.5 }, { db: 'db', table: 'tbl', ttl: -1 }, { db: 'db', table: 'tbl', name: '' }, { db: 1, table: 'tbl' }]) {
      const r = await post(p, url, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    }
    const timeOnly = await post(p, url, { db: 'db', table: 'tbl', name: 'time_only', value_columns: ['time'] });
    assert.equal(timeOnly.status, 201, timeOnly.text);
    assert.deepEqual(JSON.parse(timeOnly.text).value_columns, ['time']);
    assert.equal((await post(p, url, { db: 'db', table: 'tbl', key_columns: ['f5'] })).text, 'only uint64, int64, bool, tag, and string columns are supported in the last cache');
    assert.equal((await post(p, url, { db: 'db', table: 'tbl', name: 'n', count: 0 })).text, 'last cache size must be from 1 to 10');
  } finally {
    await s.stop();
  }
});

test('configure/distinct_cache: create, 409 for a taken name whatever its settings, 400 for no, unknown or non-string columns and a zero cardinality, 404 for unknown names (InfluxDB 3 cases)', async () => {
  const s = await startServer();
  try {
    const p = s.port;
    await write(p, 'foo', 'bar,t1=a,t2=aa,t3=aaa f1="potato",f2=true,f3=4i,f4=4u,f5=5 1000');
    const url = '/api/v3/configure/distinct_cache';
    const cases: Array<[string, Record<string, unknown>, number]> = [
      ['no parameters', {}, 400],
      ['no columns field', { db: 'foo', table: 'bar' }, 400],
      ['columns not strings', { db: 'foo', table: 'bar', columns: [1] }, 400],
      ['missing database', { table: 'bar', columns: [] }, 400],
      ['unknown database', { db: 'carrot', table: 'bar', columns: [] }, 404],
      ['unknown table', { db: 'foo', table: 'celery', columns: [] }, 404],
      ['no columns', { db: 'foo', table: 'bar', columns: [] }, 400],
      ['unknown column', { db: 'foo', table: 'bar', columns: ['leek'] }, 400],
      ['a bool column', { db: 'foo', table: 'bar', columns: ['f2'] }, 400],
      ['zero cardinality', { db: 'foo', table: 'bar', columns: ['t1'], max_cardinality: 0 }, 400],
      ['valid', { db: 'foo', table: 'bar', columns: ['t1', 't2'] }, 201],
      ['identical', { db: 'foo', table: 'bar', columns: ['t1', 't2'] }, 409],
      ['other max cardinality', { db: 'foo', table: 'bar', columns: ['t1', 't2'], max_cardinality: 1 }, 409],
      ['other max age', { db: 'foo', table: 'bar', columns: ['t1', 't2'], max_age: 1 }, 409],
      ['named, a string field', { db: 'foo', table: 'bar', columns: ['t1', 'f1'], name: 'my_cache' }, 201],
      ['named again, other columns', { db: 'foo', table: 'bar', columns: ['t1', 't2'], name: 'my_cache' }, 409],
    ];
    for (const [what, body, status] of cases) {
      const r = await post(p, url, body);
      assert.equal(r.status, status, `${what}: ${r.text}`);
    }
    const table = s.db.catalog.database('foo')!.tables.get('bar')!;
    const made = table.distinctCaches.get('bar_t1_t2_distinct_cache')!;
    assert.deepEqual([made.maxCardinality, made.maxAgeSeconds], [100_000, 86_400]);
    assert.equal((await post(p, url, { db: 'foo', table: 'bar', columns: ['f2'] })).text, 'only tag and string columns are supported in the distinct cache');
  } finally {
    await s.stop();
  }
});

test('configure caches: a delete takes its names from the query string, else from the JSON body; 400 for a missing one, 415 for no body, 404 once deleted', async () => {
  const s = await startServer();
  try {
    const p = s.port;
    await write(p, 'foo', 'bar,t1=a,t2=aa f1=true 1000');
    for (const [url, create] of [
      ['/api/v3/configure/last_cache', { db: 'foo', table: 'bar', name: 'test_cache' }],
      ['/api/v3/configure/distinct_cache', { db: 'foo', table: 'bar', name: 'test_cache', columns: ['t1', 't2'] }],
    ] as const) {
      // body
      assert.equal((await post(p, url, create)).status, 201);
      for (const partial of [{}, { db: 'foo' }, { db: 'foo', table: 'bar' }, { table: 'bar', name: 'test_cache' }, { name: 'test_cache' }]) {
        assert.equal((await del(p, url, partial)).status, 400, `${url} ${JSON.stringify(partial)}`);
      }
      const deleted = await del(p, url, { db: 'foo', table: 'bar', name: 'test_cache' });
      assert.equal(deleted.status, 200, deleted.text);
      assert.equal((await del(p, url, { db: 'foo', table: 'bar', name: 'test_cache' })).status, 404);
      // query string
      assert.equal((await post(p, url, create)).status, 201);
      assert.equal((await del(p, url)).status, 415);
      for (const q of ['db=foo', 'db=foo&table=bar', 'table=bar&name=test_cache', 'name=test_cache']) assert.equal((await del(p, `${url}?${q}`)).status, 400, q);
      assert.equal((await del(p, `${url}?db=nope&table=bar&name=test_cache`)).status, 404);
      assert.equal((await del(p, `${url}?db=foo&table=nope&name=test_cache`)).status, 404);
      assert.equal((await del(p, `${url}?db=foo&table=bar&name=test_cache`)).status, 200);
      assert.equal((await del(p, `${url}?db=foo&table=bar&name=test_cache`)).status, 404);
    }
  } finally {
    await s.stop();
  }
});

test('SQL: last_cache() and distinct_cache() answer from the caches, with InfluxDB 3 columns; a wrong table or name is a 400', async () => {
  const s = await startServer();
  try {
    const p = s.port;
    await write(p, 'db', 'cpu,host=a,region=us usage=1,idle=9i 1\ncpu,host=b,region=eu usage=2,idle=8i 1');
    // The distinct cache drops what was last seen a day (max_age) before now: these rows are recent.
    const now = BigInt(Date.now()) * 1_000_000n;
    await write(p, 'db', `mem,host=a,region=us used=1 ${now}\nmem,host=b,region=eu used=1 ${now}\nmem,host=a,region=us used=2 ${now - 5n}`, 'ns');
    assert.equal((await post(p, '/api/v3/configure/last_cache', { db: 'db', table: 'cpu', count: 2 })).status, 201);
    assert.equal((await post(p, '/api/v3/configure/distinct_cache', { db: 'db', table: 'mem', columns: ['region', 'host'] })).status, 201);
    await write(p, 'db', `mem,host=c,region=us used=3 ${now + 1n}`, 'ns');
    await write(p, 'db', 'cpu,host=a,region=us usage=3,idle=7i 2\ncpu,host=a,region=us usage=4 3\ncpu,host=c,region=us usage=5,idle=5i 3', 's');
    // The cache started from the buffered rows; a third row of host a pushed out its first.
    assert.deepEqual(await sqlJson(p, 'db', "SELECT * FROM last_cache('cpu')"), [
      { host: 'a', region: 'us', idle: 7, time: '1970-01-01T00:00:03', usage: 4 },
      { host: 'a', region: 'us', idle: 7, time: '1970-01-01T00:00:02', usage: 3 },
      { host: 'b', region: 'eu', idle: 8, time: '1970-01-01T00:00:01', usage: 2 },
      { host: 'c', region: 'us', idle: 5, time: '1970-01-01T00:00:03', usage: 5 },
    ].map((r) => (r.time === '1970-01-01T00:00:03' && r.host === 'a' ? { ...r, idle: undefined } : r)).map((r) => JSON.parse(JSON.stringify(r))));
    assert.deepEqual(await sqlJson(p, 'db', "SELECT host, usage FROM last_cache('cpu', 'cpu_host_region_last_cache') AS lc WHERE lc.host <> 'b' ORDER BY usage DESC LIMIT 2"), [
      { host: 'c', usage: 5 },
      { host: 'a', usage: 4 },
    ]);
    assert.deepEqual(await sqlJson(p, 'db', "SELECT * FROM distinct_cache('mem')"), [
      { region: 'eu', host: 'b' },
      { region: 'us', host: 'a' },
      { region: 'us', host: 'c' },
    ]);
    for (const q of ["SELECT * FROM last_cache('nope')", "SELECT * FROM last_cache('cpu', 'nope')", 'SELECT * FROM last_cache(1)', "SELECT * FROM distinct_cache('cpu', 'a', 'b')"]) {
      const r = await send(p, 'GET', `/api/v3/query_sql?db=db&q=${encodeURIComponent(q)}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
    }
  } finally {
    await s.stop();
  }
});

test('system.last_caches and system.distinct_caches list the definitions as InfluxDB 3 does', async () => {
  const s = await startServer();
  try {
    const p = s.port;
    await write(p, 'db', 'cpu,host=a,region=us usage=1,idle=9i 1');
    assert.equal((await post(p, '/api/v3/configure/last_cache', { db: 'db', table: 'cpu' })).status, 201);
    assert.equal((await post(p, '/api/v3/configure/last_cache', { db: 'db', table: 'cpu', name: 'lc', key_columns: ['host'], value_columns: ['usage'], count: 5, ttl: 60 })).status, 201);
    assert.equal((await post(p, '/api/v3/configure/distinct_cache', { db: 'db', table: 'cpu', columns: ['region', 'host'] })).status, 201);
    const ids = (name: string) => s.db.catalog.database('db')!.tables.get('cpu')!.columns.get(name)!.id;
    // Lists as text, so the JSON answer shows them whole.
    const lists = (cols: string[]) => cols.map((c) => `array_to_string(${c}, ',') AS ${c}`).join(', ');
    assert.deepEqual(await sqlJson(p, 'db', `SELECT "table", name, ${lists(['key_column_ids', 'key_column_names', 'value_column_ids', 'value_column_names'])}, count, ttl FROM system.last_caches`), [
      { table: 'cpu', name: 'cpu_host_region_last_cache', key_column_ids: `${ids('host')},${ids('region')}`, key_column_names: 'host,region', count: 1, ttl: 14400 },
      { table: 'cpu', name: 'lc', key_column_ids: `${ids('host')}`, key_column_names: 'host', value_column_ids: `${ids('usage')}`, value_column_names: 'usage', count: 5, ttl: 60 },
    ]);
    assert.deepEqual(await sqlJson(p, 'db', `SELECT "table", name, ${lists(['column_ids', 'column_names'])}, max_cardinality, max_age_seconds FROM system.distinct_caches`), [
      { table: 'cpu', name: 'cpu_region_host_distinct_cache', column_ids: `${ids('region')},${ids('host')}`, column_names: 'region,host', max_cardinality: 100000, max_age_seconds: 86400 },
    ]);
  } finally {
    await s.stop();
  }
});
