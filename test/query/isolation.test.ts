/**
 * One database cannot read another's rows: every way a SELECT could name another database's
 * views, the engine's catalog or a Parquet file is refused with a QueryError that names it, and
 * bad parameters are the caller's mistake (INVALID_QUERY, HTTP 400), not the server's (500).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { QueryError } from '../../src/query/errors.js';
import { SluiceServer } from '../../src/server/http.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

const lp = (s: string) => Buffer.from(s);

async function twoDatabases() {
  const env = await tempDatabase();
  await env.db.writer.writeLp('mine', lp('t,k=mine v=1i 1'), { precision: 's' });
  await env.db.writer.writeLp('theirs', lp('t,k=secret v=42i 1\nsecret_table v=7i 1'), { precision: 's' });
  await env.db.snapshotNow();
  const theirs = env.db.catalog.database('theirs')!;
  const t = theirs.tables.get('t')!;
  const files = env.db.persistedFiles.filesOf(theirs.id, t.id);
  assert.equal(files.length, 1);
  const path = env.store.localPath!(files[0]!.key)!;
  return { ...env, theirsId: theirs.id, path };
}

test('a query cannot reach another database: qualified names, file paths, file and catalog functions, SHOW are refused', async () => {
  const { db, theirsId, path, cleanup } = await twoDatabases();
  try {
    const dir = path.slice(0, path.lastIndexOf('/'));
    const refused: Array<[string, 'INVALID_QUERY' | 'NOT_READ_ONLY', RegExp]> = [
      [`SELECT * FROM db_${theirsId}.t`, 'INVALID_QUERY', new RegExp(`table "db_${theirsId}.t" not found in database "mine"`)],
      [`SELECT * FROM memory.db_${theirsId}.t`, 'INVALID_QUERY', new RegExp(`table "memory.db_${theirsId}.t" not found`)],
      [`SELECT * FROM "db_${theirsId}"."t"`, 'INVALID_QUERY', /not found in database "mine"/],
      [`SELECT * FROM t JOIN db_${theirsId}.t AS o ON true`, 'INVALID_QUERY', /not found/],
      [`SELECT (SELECT max(v) FROM db_${theirsId}.t)`, 'INVALID_QUERY', /not found/],
      [`SELECT * FROM t WHERE v IN (SELECT v FROM db_${theirsId}.t)`, 'INVALID_QUERY', /not found/],
      ['SELECT * FROM secret_table', 'INVALID_QUERY', /table "secret_table" not found in database "mine"/],
      [`SELECT * FROM '${path}'`, 'INVALID_QUERY', /not found in database "mine"/],
      [`SELECT * FROM "${path}"`, 'INVALID_QUERY', /not found in database "mine"/],
      [`SELECT * FROM '${dir}/*.parquet'`, 'INVALID_QUERY', /not found/],
      // A CTE of that name in another scope does not make the path readable here.
      [`SELECT * FROM (WITH "${path}" AS (SELECT 1) SELECT 1) a, "${path}"`, 'INVALID_QUERY', /not found/],
      [`WITH a AS (SELECT * FROM "${path}"), "${path}" AS (SELECT 1) SELECT * FROM a`, 'INVALID_QUERY', /not found/],
      [`SELECT * FROM read_parquet('${path}')`, 'NOT_READ_ONLY', /table function read_parquet\(\) is not allowed/],
      [`SELECT * FROM parquet_scan('${path}')`, 'NOT_READ_ONLY', /not allowed/],
      [`SELECT * FROM glob('${dir}/*')`, 'NOT_READ_ONLY', /table function glob\(\) is not allowed/],
      [`SELECT * FROM read_blob('${path}')`, 'NOT_READ_ONLY', /not allowed/],
      ['SELECT * FROM duckdb_tables()', 'NOT_READ_ONLY', /duckdb_tables\(\) is not allowed/],
      ['SELECT * FROM duckdb_columns()', 'NOT_READ_ONLY', /not allowed/],
      ['SELECT * FROM duckdb_views', 'INVALID_QUERY', /not found/],
      ["SELECT * FROM query('SELECT 1')", 'NOT_READ_ONLY', /not allowed/],
      [`SELECT * FROM query_table('db_${theirsId}.t')`, 'NOT_READ_ONLY', /not allowed/],
      ['SELECT * FROM information_schema.df_settings', 'INVALID_QUERY', /table "information_schema.df_settings" not found/],
      ['SELECT * FROM public.information_schema.nope', 'INVALID_QUERY', /not found/],
      ['SELECT * FROM pg_catalog.pg_tables', 'INVALID_QUERY', /not found/],
      ['SELECT * FROM system.main.duckdb_tables', 'INVALID_QUERY', /not found/],
      ['SELECT * FROM temp.main.t', 'INVALID_QUERY', /not found/],
      ['SELECT * FROM sluice.anything', 'INVALID_QUERY', /table "sluice.anything" not found/],
      ['SELECT * FROM main.range(3)', 'NOT_READ_ONLY', /table function main.range\(\) is not allowed/],
      // SHOW TABLES / COLUMNS / DATABASES are InfluxDB 3's (over this database's system tables); DuckDB's other forms are not.
      ['SHOW ALL TABLES', 'INVALID_QUERY', /unsupported SHOW statement/],
      [`SHOW db_${theirsId}.t`, 'INVALID_QUERY', /unsupported SHOW statement/],
      ['SHOW COLUMNS FROM secret_table', 'INVALID_QUERY', /table "secret_table" not found in database "mine"/],
      [`DESCRIBE db_${theirsId}.t`, 'INVALID_QUERY', /not found/],
      [`SELECT * EXCLUDE (memory.db_${theirsId}.t.v) FROM t`, 'INVALID_QUERY', /not found/],
    ];
    for (const [sql, code, message] of refused) {
      await assert.rejects(db.query.query('mine', sql), (err: unknown) => {
        assert.ok(err instanceof QueryError, `${sql}: ${String(err)}`);
        assert.equal(err.code, code, `${sql}: ${err.message}`);
        assert.match(err.message, message, sql);
        return true;
      }, sql);
    }
    // The schema and system tables show this database only.
    assert.deepEqual(await queryRows(db, 'mine', "SELECT table_name FROM information_schema.tables WHERE table_schema = 'iox'"), ['table_name="t"']);
    assert.deepEqual(await queryRows(db, 'mine', "SELECT DISTINCT table_name FROM information_schema.columns WHERE table_schema = 'iox'"), ['table_name="t"']);
    assert.deepEqual(await queryRows(db, 'mine', "SELECT table_name FROM (SHOW TABLES) WHERE table_schema = 'iox'").catch(() => ['(refused)']), ['(refused)'], 'SHOW is a statement, not a subquery');
    assert.deepEqual(await queryRows(db, 'mine', 'SELECT table_name FROM system.tables'), ['table_name="t"']);
    assert.deepEqual(await queryRows(db, 'mine', "SELECT count(*) AS n FROM system.catalog WHERE table_name = 'secret_table'"), ['n=0n']);
    // What stays allowed: this database's tables, CTEs (recursive too), pure table functions.
    assert.deepEqual(await queryRows(db, 'mine', 'SELECT k, v FROM t'), ['k="mine" v=1n']);
    assert.deepEqual(await queryRows(db, 'theirs', 'SELECT k, v FROM t'), ['k="secret" v=42n']);
    assert.deepEqual(await queryRows(db, 'mine', 'WITH x AS (SELECT v FROM t) SELECT v FROM x'), ['v=1n']);
    assert.deepEqual(await queryRows(db, 'mine', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT sum(n) AS s FROM r'), ['s=6n']);
    assert.deepEqual(await queryRows(db, 'mine', 'SELECT count(*) AS n FROM range(5), generate_series(1, 2), unnest([1, 2, 3])'), ['n=30n']);
    assert.deepEqual(await queryRows(db, 'mine', 'DESCRIBE SELECT v FROM t'), ['column_name="v" column_type="BIGINT" null="YES" key=null default=null extra=null']);
  } finally {
    await cleanup();
  }
});

test('bad parameters are INVALID_QUERY, and the server answers 400', async () => {
  const { db, cleanup } = await tempDatabase();
  const server = new SluiceServer({ db });
  try {
    await db.writer.writeLp('db1', lp('cpu,host=a v=1i 1'), { precision: 's' });
    const bad: Array<[string, unknown]> = [
      ['SELECT v FROM cpu WHERE v = $1', [1n, 2n]],
      ['SELECT v FROM cpu WHERE v = $1 AND host = $2', [1n]],
      ['SELECT v FROM cpu WHERE v = $1', undefined],
      ['SELECT v FROM cpu WHERE v = $1::INTEGER', ['not a number']],
      ['SELECT v FROM cpu WHERE v = $x', { y: 1n }],
      ['SELECT v FROM cpu WHERE v = $1', { x: 1n }],
    ];
    for (const [sql, params] of bad) {
      await assert.rejects(db.query.query('db1', sql, params as never), (err: unknown) => {
        assert.ok(err instanceof QueryError, `${sql}: ${String(err)}`);
        assert.equal(err.code, 'INVALID_QUERY', `${sql} ${JSON.stringify(params, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}: ${err.message}`);
        return true;
      });
    }
    assert.deepEqual((await db.query.query('db1', 'SELECT v FROM cpu WHERE v = $1', [1n])).rows, [[1n]]);
    const { port } = await server.listen('127.0.0.1', 0);
    const post = (body: unknown) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v3/query_sql', headers: { 'content-type': 'application/json' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    for (const [q, params] of [
      ['SELECT v FROM cpu WHERE v = $1', [1, 2]],
      ['SELECT v FROM cpu WHERE v = $1', []],
      ['SELECT v FROM cpu WHERE v = $1::INTEGER', ['x']],
      ['SELECT v FROM cpu WHERE v = $x', { y: 1 }],
    ] as const) {
      const reply = await post({ db: 'db1', q, params });
      assert.equal(reply.status, 400, `${q} ${JSON.stringify(params)}: ${reply.text}`);
    }
    const ok = await post({ db: 'db1', q: 'SELECT v FROM cpu WHERE v = $1', params: [1] });
    assert.equal(ok.status, 200, ok.text);
  } finally {
    await server.close();
    await cleanup();
  }
});
