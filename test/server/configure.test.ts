/**
 * `/api/v3/configure/database` and `/api/v3/configure/table` over loopback HTTP against a real
 * server on a real on-disk object store: every route, status and error; deletes hiding data at
 * once and for good (writes and queries around them, a re-created name starting empty, files
 * removed from the store in the background, restarts); retention periods hiding old rows at once
 * in SQL and InfluxQL and removing the files past them; the catalog's limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceServer } from '../../src/server/http.js';
import type { SluiceDatabase } from '../../src/database/database.js';
import { listAll, type ObjectStore } from '../../src/objectstore/types.js';
import { send, startServer, type Reply } from '../support/http-helpers.js';
import { FlightSqlClient } from '../support/flight-sql-client.js';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function post(port: number, path: string, body: unknown, headers: Record<string, string> = JSON_HEADERS): Promise<Reply> {
  return send(port, 'POST', path, typeof body === 'string' ? body : JSON.stringify(body), headers);
}

async function sql(port: number, db: string, q: string): Promise<Reply> {
  return send(port, 'GET', `/api/v3/query_sql?db=${encodeURIComponent(db)}&q=${encodeURIComponent(q)}`);
}

async function write(port: number, db: string, lp: string): Promise<void> {
  const r = await send(port, 'POST', `/api/v3/write_lp?db=${db}&precision=ns`, lp);
  assert.equal(r.status, 204, r.text);
}

/** Parquet objects of database `dbId` (and table `tableId`) on the store. */
async function parquetKeys(store: ObjectStore, dbId: number, tableId?: number): Promise<string[]> {
  const prefix = `node1/dbs/${dbId}/${tableId === undefined ? '' : `${tableId}/`}`;
  return (await listAll(store, prefix)).map((m) => m.key).filter((k) => k.endsWith('.parquet'));
}

/**
 * Closes the server and the database (the WAL is flushed, nothing snapshotted: the next start
 * replays it), opens both again on the same store. The crash suites kill the process instead.
 */
async function restart(env: Awaited<ReturnType<typeof startServer>>, server: SluiceServer, db: SluiceDatabase): Promise<{ server: SluiceServer; db: SluiceDatabase; port: number }> {
  await server.close();
  await db.close();
  const reopened = await env.open();
  const next = new SluiceServer({ db: reopened });
  const { port } = await next.listen('127.0.0.1', 0);
  return { server: next, db: reopened, port };
}

test('configure/database: create, list in every format, 409 on a second create, 404 on an unknown delete, every malformed request refused with InfluxDB 3 words', async () => {
  const s = await startServer();
  try {
    const p = s.port;
    assert.equal((await post(p, '/api/v3/configure/database', { db: 'beta' })).status, 200);
    assert.equal((await post(p, '/api/v3/configure/database', { db: 'alpha' })).status, 200);
    const again = await post(p, '/api/v3/configure/database', { db: 'alpha' });
    assert.deepEqual([again.status, again.text], [409, 'attempted to create a resource that already exists']);

    const list = await send(p, 'GET', '/api/v3/configure/database?format=json');
    assert.deepEqual([list.status, list.headers['content-type'], list.text], [200, 'application/json', '[{"iox::database":"alpha"},{"iox::database":"beta"}]']);
    assert.equal((await send(p, 'GET', '/api/v3/configure/database')).text, '[{"iox::database":"alpha"},{"iox::database":"beta"}]');
    assert.equal((await send(p, 'GET', '/api/v3/configure/database?format=csv')).text, 'iox::database\nalpha\nbeta\n');
    assert.equal((await send(p, 'GET', '/api/v3/configure/database?format=jsonl')).text, '{"iox::database":"alpha"}\n{"iox::database":"beta"}\n');
    assert.equal((await send(p, 'GET', '/api/v3/configure/database?format=pretty')).text, '+---------------+\n| iox::database |\n+---------------+\n| alpha         |\n| beta          |\n+---------------+\n');
    assert.equal((await send(p, 'GET', '/api/v3/configure/database?format=xml')).status, 400);
    assert.equal((await send(p, 'GET', '/api/v3/configure/database?show_deleted=maybe')).status, 400);

    const refusals: Array<[Promise<Reply>, number, RegExp]> = [
      [post(p, '/api/v3/configure/database', { db: 'bad name' }), 400, /invalid database name/],
      [post(p, '/api/v3/configure/database', { db: '' }), 400, /must not be empty/],
      [post(p, '/api/v3/configure/database', {}), 400, /^serde json error: missing field `db`$/],
      [post(p, '/api/v3/configure/database', { db: 7 }), 400, /`db` must be a string/],
      [post(p, '/api/v3/configure/database', '{"db":'), 400, /^serde json error: /],
      [post(p, '/api/v3/configure/database', '[1]'), 400, /must be a JSON object/],
      [post(p, '/api/v3/configure/database', { db: 'x' }, { 'Content-Type': 'text/plain' }), 415, /^unacceptable content-type, expected: application\/json$/],
      [post(p, '/api/v3/configure/database', { db: 'x', retention_period: 'soon' }), 400, /invalid retention period "soon"/],
      [post(p, '/api/v3/configure/database', { db: 'x', retention_period: '0s' }), 400, /longer than zero/],
      [post(p, '/api/v3/configure/database', { db: 'x', retention_period: 30 }), 400, /retention_period must be a string/],
      [send(p, 'DELETE', '/api/v3/configure/database?db=nope'), 404, /^Database not found nope$/],
      [send(p, 'DELETE', '/api/v3/configure/database'), 400, /missing field `db`/],
      [send(p, 'PATCH', '/api/v3/configure/database'), 405, /not allowed/],
      [send(p, 'GET', '/api/v3/configure/table'), 405, /not allowed/],
    ];
    for (const [reply, status, text] of refusals) {
      const r = await reply;
      assert.equal(r.status, status, r.text);
      assert.match(r.text, text);
    }
    // Nothing refused was created.
    assert.equal((await send(p, 'GET', '/api/v3/configure/database')).text, '[{"iox::database":"alpha"},{"iox::database":"beta"}]');
  } finally {
    await s.stop();
  }
});

test('configure routes need a token like every other route', async () => {
  const s = await startServer({}, { withTokens: true });
  try {
    assert.equal((await post(s.port, '/api/v3/configure/database', { db: 'a' })).status, 401);
    assert.equal((await send(s.port, 'GET', '/api/v3/configure/database')).status, 401);
    assert.equal((await send(s.port, 'DELETE', '/api/v3/configure/table?db=a&table=t')).status, 401);
    const ok = await post(s.port, '/api/v3/configure/database', { db: 'a' }, { ...JSON_HEADERS, Authorization: `Bearer ${s.token!}` });
    assert.equal(ok.status, 200, ok.text);
  } finally {
    await s.stop();
  }
});

test('configure/table: create with tags and fields (queryable at once, empty), 409 again, typed refusals, delete and 404s', async () => {
  const s = await startServer();
  try {
    const p = s.port;
    const create = await post(p, '/api/v3/configure/table', { db: 'fresh', table: 'cpu', tags: ['host', 'region'], fields: [{ name: 'usage', type: 'float64' }, { name: 'n', type: 'int64' }, { name: 'u', type: 'uint64' }, { name: 's', type: 'utf8' }, { name: 'ok', type: 'bool' }] });
    assert.equal(create.status, 200, create.text);
    // The database was created with it, as InfluxDB 3 does.
    assert.equal((await send(p, 'GET', '/api/v3/configure/database')).text, '[{"iox::database":"fresh"}]');
    const cols = s.db.catalog.database('fresh')!.tables.get('cpu')!;
    assert.deepEqual([...cols.columnsById.values()].map((c) => `${c.name}:${c.type}`), ['time:time', 'host:tag', 'region:tag', 'usage:float64', 'n:int64', 'u:uint64', 's:string', 'ok:bool']);
    const empty = await sql(p, 'fresh', 'SELECT * FROM cpu');
    assert.deepEqual([empty.status, empty.text], [200, '[]']);
    await write(p, 'fresh', 'cpu,host=a,region=eu usage=1.5,n=2i,u=3u,s="x",ok=true 1000');
    assert.equal((await sql(p, 'fresh', 'SELECT host, usage, n, u, s, ok FROM cpu')).text, '[{"host":"a","usage":1.5,"n":2,"u":3,"s":"x","ok":true}]');

    const refusals: Array<[unknown, number, RegExp]> = [
      [{ db: 'fresh', table: 'cpu', tags: [], fields: [] }, 409, /already exists/],
      [{ db: 'fresh', table: 't2', tags: ['a'], fields: [{ name: 'a', type: 'int64' }] }, 400, /duplicate column name "a"/],
      [{ db: 'fresh', table: 't2', tags: ['time'], fields: [] }, 400, /'time' is a reserved column name/],
      [{ db: 'fresh', table: 't2', tags: [], fields: [{ name: 'f', type: 'decimal' }] }, 400, /unknown field type "decimal"/],
      [{ db: 'fresh', table: 't2', tags: 'a', fields: [] }, 400, /tags must be an array of strings/],
      [{ db: 'fresh', table: 't2', tags: [], fields: [{ name: 'f' }] }, 400, /each field must be an object/],
      [{ db: 'fresh', tags: [], fields: [] }, 400, /missing field `table`/],
      [{ db: 'bad db', table: 't', tags: [], fields: [] }, 400, /invalid database name/],
      [{ db: 'fresh', table: '', tags: [], fields: [] }, 400, /table name must not be empty/],
    ];
    for (const [body, status, text] of refusals) {
      const r = await post(p, '/api/v3/configure/table', body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.text, text);
    }
    assert.equal(s.db.catalog.database('fresh')!.tables.size, 1);

    const unknownTable = await send(p, 'DELETE', '/api/v3/configure/table?db=fresh&table=nope');
    assert.deepEqual([unknownTable.status, unknownTable.text], [404, 'Table nope not in DB schema for fresh']);
    assert.equal((await send(p, 'DELETE', '/api/v3/configure/table?db=nope&table=cpu')).status, 404);
    assert.equal((await send(p, 'DELETE', '/api/v3/configure/table?db=fresh')).status, 400);
    const del = await send(p, 'DELETE', '/api/v3/configure/table?db=fresh&table=cpu');
    assert.equal(del.status, 200, del.text);
    assert.equal((await sql(p, 'fresh', 'SELECT * FROM cpu')).status, 400, 'a deleted table is gone from queries at once');
    // The name again: a new, empty table; the old rows stay gone.
    await write(p, 'fresh', 'cpu,host=b usage=9 2000');
    assert.equal((await sql(p, 'fresh', 'SELECT host, usage FROM cpu')).text, '[{"host":"b","usage":9.0}]');
  } finally {
    await s.stop();
  }
});

test('limits: a database, table or column past its limit is 422 with {"error": …} and InfluxDB 3 words; nothing is created', async () => {
  const s = await startServer({ catalogLimits: { maxDatabases: 2, maxTables: 3, maxColumnsPerTable: 4 } });
  try {
    const p = s.port;
    assert.equal((await post(p, '/api/v3/configure/database', { db: 'a' })).status, 200);
    assert.equal((await post(p, '/api/v3/configure/database', { db: 'b' })).status, 200);
    const dbs = await post(p, '/api/v3/configure/database', { db: 'c' });
    assert.deepEqual([dbs.status, dbs.headers['content-type'], dbs.text], [422, 'application/json', '{"error":"Adding a new database would exceed limit of 2 databases"}']);
    // A table in a database that does not exist would create one: the database limit holds there too.
    assert.equal((await post(p, '/api/v3/configure/table', { db: 'c', table: 't', tags: [], fields: [] })).status, 422);
    const cols = await post(p, '/api/v3/configure/table', { db: 'a', table: 'wide', tags: ['x', 'y'], fields: [{ name: 'f', type: 'bool' }, { name: 'g', type: 'bool' }] });
    assert.deepEqual([cols.status, cols.text], [422, '{"error":"Update to schema would exceed number of columns per table limit of 4 columns"}']);
    for (const t of ['t1', 't2', 't3']) assert.equal((await post(p, '/api/v3/configure/table', { db: 'a', table: t, tags: ['x'], fields: [{ name: 'f', type: 'bool' }] })).status, 200);
    const tables = await post(p, '/api/v3/configure/table', { db: 'b', table: 't4', tags: [], fields: [] });
    assert.deepEqual([tables.status, tables.text], [422, '{"error":"Update to schema would exceed number of tables limit: attempted to create table but already have 3 table(s) (limit: 3)"}']);
    assert.deepEqual(s.db.catalog.listDatabases().map((d) => `${d.name}:${d.tables.size}`), ['a:3', 'b:0']);
    // Deleting frees room: a deleted database no longer counts.
    assert.equal((await send(p, 'DELETE', '/api/v3/configure/database?db=b')).status, 200);
    assert.equal((await post(p, '/api/v3/configure/database', { db: 'c' })).status, 200);
  } finally {
    await s.stop();
  }
});

test('deleting a database: hidden at once from queries, writes and the list; the name starts over empty with a new id; its Parquet files leave the store in the background; a restart changes nothing', async () => {
  const s = await startServer();
  let { server, db, port } = { server: s.server, db: s.db, port: s.port };
  try {
    await write(port, 'keep', 'm,k=a v=1 1000\nm,k=b v=2 2000');
    await write(port, 'gone', 'm,k=a v=10 1000\nm,k=b v=20 2000\nn f=1 1000');
    await db.snapshotNow();
    const goneId = db.catalog.database('gone')!.id;
    const keepId = db.catalog.database('keep')!.id;
    assert.ok((await parquetKeys(s.store, goneId)).length >= 2, 'the snapshot wrote the files to delete');
    await write(port, 'gone', 'm,k=c v=30 3000'); // buffered only, not yet snapshotted

    const del = await send(port, 'DELETE', '/api/v3/configure/database?db=gone');
    assert.deepEqual([del.status, del.text], [200, '']);
    assert.equal((await sql(port, 'gone', 'SELECT * FROM m')).status, 404);
    assert.equal((await send(port, 'GET', '/api/v3/configure/database')).text, '[{"iox::database":"keep"}]');
    const withDeleted = JSON.parse((await send(port, 'GET', '/api/v3/configure/database?show_deleted=true')).text) as Array<Record<string, unknown>>;
    assert.equal(withDeleted.length, 2);
    assert.deepEqual(withDeleted[0], { 'iox::database': 'keep', deleted: false });
    assert.match(String(withDeleted[1]!['iox::database']), /^gone-\d{8}T\d{6}$/);
    assert.equal(withDeleted[1]!.deleted, true);
    assert.equal((await send(port, 'DELETE', '/api/v3/configure/database?db=gone')).status, 404, 'deleted twice');

    await db.remover.idle();
    assert.deepEqual(await parquetKeys(s.store, goneId), [], 'the deleted database\'s files are removed from the store');
    assert.ok((await parquetKeys(s.store, keepId)).length > 0, 'other databases keep theirs');

    // The name again: a new database, empty but for what is written now.
    await write(port, 'gone', 'm,k=z v=99 5000');
    const newId = db.catalog.database('gone')!.id;
    assert.notEqual(newId, goneId);
    const expectGone = '[{"k":"z","v":99.0}]';
    const expectKeep = '[{"k":"a","v":1.0},{"k":"b","v":2.0}]';
    assert.equal((await sql(port, 'gone', 'SELECT k, v FROM m ORDER BY k')).text, expectGone);
    assert.equal((await sql(port, 'gone', 'SELECT * FROM n')).status, 400);

    // A restart replays the WAL (the delete and the new writes are not snapshotted yet): nothing comes back.
    ({ server, db, port } = await restart(s, server, db));
    assert.equal((await sql(port, 'gone', 'SELECT k, v FROM m ORDER BY k')).text, expectGone);
    assert.equal((await sql(port, 'keep', 'SELECT k, v FROM m ORDER BY k')).text, expectKeep);
    assert.equal((await send(port, 'GET', '/api/v3/configure/database')).text, '[{"iox::database":"gone"},{"iox::database":"keep"}]');
    // Snapshotted, then reopened from the snapshot's catalog: still so.
    await db.snapshotNow();
    ({ server, db, port } = await restart(s, server, db));
    assert.equal((await sql(port, 'gone', 'SELECT k, v FROM m ORDER BY k')).text, expectGone);
    assert.equal((await sql(port, 'keep', 'SELECT k, v FROM m ORDER BY k')).text, expectKeep);
    assert.equal(db.catalog.database('gone')!.id, newId);
    assert.equal(db.catalog.isDatabaseDeleted(goneId), true);
    assert.deepEqual(await parquetKeys(s.store, goneId), []);
  } finally {
    await server.close();
    await s.cleanup(db);
  }
});

test('deleting a table: its rows (buffered and persisted) vanish at once, its files leave the store, sibling tables keep theirs, across a restart', async () => {
  const s = await startServer();
  let { server, db, port } = { server: s.server, db: s.db, port: s.port };
  try {
    await write(port, 'd', 'a v=1 1000\nb v=2 1000');
    await db.snapshotNow();
    await write(port, 'd', 'a v=3 2000\nb v=4 2000');
    const dbId = db.catalog.database('d')!.id;
    const aId = db.catalog.database('d')!.tables.get('a')!.id;
    const bId = db.catalog.database('d')!.tables.get('b')!.id;
    assert.equal((await parquetKeys(s.store, dbId, aId)).length, 1);
    assert.equal((await send(port, 'DELETE', '/api/v3/configure/table?db=d&table=a')).status, 200);
    assert.equal((await sql(port, 'd', 'SELECT * FROM a')).status, 400);
    assert.equal((await sql(port, 'd', 'SELECT v FROM b ORDER BY time')).text, '[{"v":2.0},{"v":4.0}]');
    await db.remover.idle();
    assert.deepEqual(await parquetKeys(s.store, dbId, aId), []);
    assert.equal((await parquetKeys(s.store, dbId, bId)).length, 1);
    // A write racing nothing: the name starts over.
    await write(port, 'd', 'a v=5 3000');
    ({ server, db, port } = await restart(s, server, db));
    assert.equal((await sql(port, 'd', 'SELECT v FROM a')).text, '[{"v":5.0}]');
    assert.equal((await sql(port, 'd', 'SELECT v FROM b ORDER BY time')).text, '[{"v":2.0},{"v":4.0}]');
    await db.snapshotNow();
    ({ server, db, port } = await restart(s, server, db));
    assert.equal((await sql(port, 'd', 'SELECT v FROM a')).text, '[{"v":5.0}]');
    assert.equal((await sql(port, 'd', 'SELECT v FROM b ORDER BY time')).text, '[{"v":2.0},{"v":4.0}]');
  } finally {
    await server.close();
    await s.cleanup(db);
  }
});

test('a delete acknowledged before its files were removed: the next start removes them (a crash cut the removal short)', async () => {
  const s = await startServer({ removeRetryDelayMs: 1 });
  let { server, db, port } = { server: s.server, db: s.db, port: s.port };
  try {
    await write(port, 'd', 'a v=1 1000');
    await db.snapshotNow();
    const dbId = db.catalog.database('d')!.id;
    db.remover.close(); // as if the process died before the background removal ran
    assert.equal((await send(port, 'DELETE', '/api/v3/configure/database?db=d')).status, 200);
    assert.equal((await parquetKeys(s.store, dbId)).length, 1, 'still on the store');
    ({ server, db, port } = await restart(s, server, db));
    await db.remover.idle();
    assert.deepEqual(await parquetKeys(s.store, dbId), []);
    assert.equal((await sql(port, 'd', 'SELECT * FROM a')).status, 404);
  } finally {
    await server.close();
    await s.cleanup(db);
  }
});

test('retention: rows older than now − period are invisible at once in SQL and InfluxQL, files wholly past it leave the store, and it survives a restart', async () => {
  const s = await startServer();
  let { server, db, port } = { server: s.server, db: s.db, port: s.port };
  try {
    const create = await post(port, '/api/v3/configure/database', { db: 'r', retention_period: '1h' });
    assert.equal(create.status, 200, create.text);
    assert.equal(db.catalog.retentionPeriodNs(db.catalog.database('r')!.id), 3_600_000_000_000n);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const oldNs = nowNs - 3n * 3_600_000_000_000n; // 3 h ago: past the period
    const recentNs = nowNs - 60_000_000_000n; // 1 minute ago
    // Writes older than the period are accepted, as InfluxDB 3 accepts them, and never shown.
    await write(port, 'r', `m v=1 ${oldNs}\nm v=2 ${recentNs}`);
    await write(port, 'plain', `m v=1 ${oldNs}\nm v=2 ${recentNs}`);
    assert.equal((await sql(port, 'r', 'SELECT v FROM m')).text, '[{"v":2.0}]');
    assert.equal((await sql(port, 'r', 'SELECT count(*) AS n FROM m')).text, '[{"n":1}]');
    assert.equal((await sql(port, 'plain', 'SELECT count(*) AS n FROM m')).text, '[{"n":2}]');
    const influxql = await send(port, 'GET', `/query?db=r&q=${encodeURIComponent('SELECT v FROM m')}`);
    assert.equal(influxql.status, 200, influxql.text);
    assert.deepEqual((JSON.parse(influxql.text) as { results: Array<{ series: Array<{ values: unknown[][] }> }> }).results[0]!.series[0]!.values.map((r) => r[1]), [2]);
    const flight = new FlightSqlClient(`127.0.0.1:${port}`);
    try {
      const answer = await flight.doGet(Buffer.from(JSON.stringify({ database: 'r', sql_query: 'SELECT v FROM m', query_type: 'sql' })));
      assert.deepEqual([...answer.table.getChild('v')!.toArray()], [2], 'Flight hides the old row too');
    } finally {
      flight.close();
    }

    // Snapshotted: the file of the old window is written, found past the period at once and
    // removed; the database without a period keeps its own.
    const rId = db.catalog.database('r')!.id;
    const plainId = db.catalog.database('plain')!.id;
    const removedBefore = db.remover.stats.removed;
    await db.snapshotNow();
    await db.remover.idle();
    assert.ok(db.remover.stats.removed > removedBefore, 'a file past the period was removed');
    const indexed = (id: number) => db.persistedFiles.all().filter((f) => f.dbId === id).map((f) => f.key).sort();
    assert.deepEqual(await parquetKeys(s.store, rId), indexed(rId), 'no file on the store the index does not name');
    assert.ok(db.persistedFiles.all().every((f) => f.dbId !== rId || f.maxTimeNs >= oldNs + 3_600_000_000_000n));
    assert.ok(indexed(plainId).length >= 1);
    assert.deepEqual(await parquetKeys(s.store, plainId), indexed(plainId));
    assert.equal((await sql(port, 'r', 'SELECT v FROM m')).text, '[{"v":2.0}]');

    // A row that passes the period while persisted: the background check removes its file.
    const soonNs = BigInt(Date.now()) * 1_000_000n - 3_600_000_000_000n + 1_500_000_000n;
    await write(port, 'r', `m v=3 ${soonNs}`);
    await db.snapshotNow();
    while (BigInt(Date.now()) * 1_000_000n - 3_600_000_000_000n <= soonNs) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await sql(port, 'r', 'SELECT v FROM m')).text, '[{"v":2.0}]', 'invisible the moment it passes the period');
    await db.enforceRetention();
    await db.remover.idle();
    assert.ok(db.persistedFiles.all().every((f) => f.dbId !== rId || f.maxTimeNs > soonNs));
    assert.deepEqual(await parquetKeys(s.store, rId), indexed(rId));

    // PUT sets the period again (InfluxDB 3's update): cleared without one, set with one.
    assert.equal((await send(port, 'PUT', '/api/v3/configure/database', JSON.stringify({ db: 'r' }), JSON_HEADERS)).status, 200);
    assert.equal(db.catalog.retentionPeriodNs(rId), 0n);
    assert.equal((await send(port, 'PUT', '/api/v3/configure/database', JSON.stringify({ db: 'r', retention_period: '1h' }), JSON_HEADERS)).status, 200);
    assert.equal((await send(port, 'PUT', '/api/v3/configure/database', JSON.stringify({ db: 'nope', retention_period: '1h' }), JSON_HEADERS)).status, 404);
    assert.equal((await send(port, 'PUT', '/api/v3/configure/database', JSON.stringify({ db: 'r', retention_period: 'x' }), JSON_HEADERS)).status, 400);

    ({ server, db, port } = await restart(s, server, db));
    assert.equal(db.catalog.retentionPeriodNs(rId), 3_600_000_000_000n);
    assert.equal((await sql(port, 'r', 'SELECT v FROM m')).text, '[{"v":2.0}]');
    assert.equal((await sql(port, 'plain', 'SELECT count(*) AS n FROM m')).text, '[{"n":2}]');
  } finally {
    await server.close();
    await s.cleanup(db);
  }
});

test('a write racing a delete lands wholly before it (deleted with it) or wholly after it (a new table holding only its rows), never half', async () => {
  const s = await startServer();
  try {
    const p = s.port;
    const outcomes = new Set<string>();
    for (let round = 0; round < 8; round++) {
      await write(p, 'race', `t,k=old${round} v=1i 1000`);
      const racing = Array.from({ length: 20 }, (_, i) => `t,k=new${round}-${i} v=${i}i ${2000 + i}`).join('\n');
      // The write is sent first or second by turns; both are in flight together.
      const [a, b] = await Promise.all(round % 2 === 0 ? [send(p, 'POST', '/api/v3/write_lp?db=race', racing), send(p, 'DELETE', '/api/v3/configure/table?db=race&table=t')] : [send(p, 'DELETE', '/api/v3/configure/table?db=race&table=t'), send(p, 'POST', '/api/v3/write_lp?db=race', racing)]);
      const [w, d] = round % 2 === 0 ? [a, b] : [b, a];
      assert.equal(w.status, 204, w.text);
      assert.equal(d.status, 200, d.text);
      const r = await sql(p, 'race', 'SELECT k FROM t ORDER BY k');
      if (r.status === 400) {
        outcomes.add('before');
      } else {
        const keys = (JSON.parse(r.text) as Array<{ k: string }>).map((x) => x.k);
        assert.equal(keys.length, 20, `round ${round}: the racing write is whole or absent, never partial: ${r.text}`);
        assert.ok(keys.every((k) => k.startsWith(`new${round}-`)), `round ${round}: only the racing write's rows, nothing deleted: ${r.text}`);
        outcomes.add('after');
        assert.equal((await send(p, 'DELETE', '/api/v3/configure/table?db=race&table=t')).status, 200);
      }
    }
    console.log(`# write racing a delete: outcomes seen ${[...outcomes].join(', ')}`);
  } finally {
    await s.stop();
  }
});
