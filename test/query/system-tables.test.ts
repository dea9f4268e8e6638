/**
 * InfluxDB 3's schema statements (SHOW TABLES / COLUMNS / DATABASES, information_schema) and
 * Sluice's system tables, checked against what is really there: the object store's listing,
 * the Parquet files read back by a separate engine, and the rows a query counts — after writes,
 * snapshots and a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { listAll } from '../../src/objectstore/types.js';
import { runInfluxQL, databaseEnvironment } from '../../src/influxql/executor.js';
import { SluiceServer } from '../../src/server/http.js';
import { SeededRng } from '../../src/effects/rng.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 32));

test('SHOW TABLES, SHOW COLUMNS and SHOW DATABASES answer as InfluxDB 3 does, from this database only', async () => {
  const env = await tempDatabase();
  try {
    const { db } = env;
    await db.writer.writeLp('db1', Buffer.from('cpu,host=a usage=1,n=2i 1\nMem,Host=x free=3u,ok=true,s="x" 2'), { precision: 's' });
    await db.writer.writeLp('other', Buffer.from('secret v=1 1'), { precision: 's' });
    assert.deepEqual((await queryRows(db, 'db1', 'SHOW TABLES')).slice(0, 3), [
      'table_catalog="public" table_schema="iox" table_name="Mem" table_type="BASE TABLE"',
      'table_catalog="public" table_schema="iox" table_name="cpu" table_type="BASE TABLE"',
      'table_catalog="public" table_schema="system" table_name="databases" table_type="BASE TABLE"',
    ]);
    const tables = await queryRows(db, 'db1', 'show tables;');
    assert.ok(!tables.some((r) => r.includes('secret')), 'another database’s table is not listed');
    for (const t of ['queries', 'parquet_files', 'snapshots', 'wal_files', 'tables', 'catalog']) assert.ok(tables.includes(`table_catalog="public" table_schema="system" table_name="${t}" table_type="BASE TABLE"`), t);
    for (const t of ['tables', 'columns', 'schemata', 'views']) assert.ok(tables.includes(`table_catalog="public" table_schema="information_schema" table_name="${t}" table_type="VIEW"`), t);
    // Every table SHOW TABLES lists can be read.
    for (const row of tables) {
      const [, schema, name] = /table_schema="([^"]+)" table_name="([^"]+)"/.exec(row)!;
      await db.query.query('db1', `SELECT * FROM ${schema}."${name}" LIMIT 1`);
    }

    assert.deepEqual(await queryRows(db, 'db1', 'SHOW COLUMNS FROM cpu'), [
      'table_catalog="public" table_schema="iox" table_name="cpu" column_name="host" data_type="Dictionary(Int32, Utf8)" is_nullable="YES"',
      'table_catalog="public" table_schema="iox" table_name="cpu" column_name="n" data_type="Int64" is_nullable="YES"',
      'table_catalog="public" table_schema="iox" table_name="cpu" column_name="time" data_type="Timestamp(Nanosecond, None)" is_nullable="NO"',
      'table_catalog="public" table_schema="iox" table_name="cpu" column_name="usage" data_type="Float64" is_nullable="YES"',
    ]);
    const mem = ['Host:Dictionary(Int32, Utf8)', 'free:UInt64', 'ok:Boolean', 's:Utf8', 'time:Timestamp(Nanosecond, None)'];
    // IN or FROM, quoted exactly, or bare matching one table regardless of case.
    for (const sql of ['SHOW COLUMNS IN "Mem"', 'show columns from mem', 'SHOW COLUMNS FROM Mem ;']) {
      const rows = await queryRows(db, 'db1', sql);
      assert.deepEqual(rows.map((r) => /column_name="([^"]+)" data_type="([^"]+)"/.exec(r)!.slice(1).join(':')), mem, sql);
    }
    await assert.rejects(db.query.query('db1', 'SHOW COLUMNS FROM "mem"'), /table "mem" not found in database "db1"/);
    await assert.rejects(db.query.query('db1', 'SHOW COLUMNS FROM secret'), /table "secret" not found in database "db1"/);
    await assert.rejects(db.query.query('db1', 'SHOW ALL'), (e: Error & { code?: string }) => e.code === 'INVALID_QUERY' && /unsupported SHOW statement/.test(e.message));
    await assert.rejects(db.query.query('db1', 'SHOW TABLES; SELECT 1'), (e: Error & { code?: string }) => e.code === 'INVALID_QUERY' || e.code === 'NOT_READ_ONLY');

    assert.deepEqual(await queryRows(db, 'db1', 'SHOW DATABASES'), ['iox::database="db1"', 'iox::database="other"']);
    assert.deepEqual(await queryRows(db, 'db1', "SELECT column_name FROM information_schema.columns WHERE table_name = 'cpu' AND table_schema = 'iox' ORDER BY ordinal_position"), ['column_name="host"', 'column_name="n"', 'column_name="time"', 'column_name="usage"']);
    assert.deepEqual(await queryRows(db, 'db1', "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'iox'"), ['n=2n']);
  } finally {
    await env.cleanup();
  }
});

test('schema qualifiers as InfluxDB 3 has them: iox. and public.iox. reach the tables, system. and information_schema. the system tables; any other is refused by name', async () => {
  const env = await tempDatabase();
  try {
    const { db } = env;
    await db.writer.writeLp('db1', Buffer.from('cpu,host=a usage=1 1'), { precision: 's' });
    for (const sql of ['SELECT usage FROM iox.cpu', 'SELECT usage FROM public.iox.cpu', 'SELECT c.usage FROM iox.cpu AS c']) assert.deepEqual(await queryRows(db, 'db1', sql), ['usage=1'], sql);
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT tables.table_name FROM system.tables'), ['table_name="cpu"']);
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT t.table_name FROM public.system.tables t'), ['table_name="cpu"']);
    for (const [sql, name] of [
      ['SELECT * FROM main.cpu', 'main.cpu'],
      ['SELECT * FROM other.iox.cpu', 'other.iox.cpu'],
      ['SELECT * FROM system.nope', 'system.nope'],
      ['SELECT * FROM "System".tables', 'System.tables'],
      ['SELECT * FROM information_schema.df_settings', 'information_schema.df_settings'],
      ['SELECT * FROM temp.main."^_system_tables"', 'temp.main.^_system_tables'],
      ['SELECT * FROM "^_system_tables"', '^_system_tables'],
    ]) {
      await assert.rejects(db.query.query('db1', sql!), (e: Error & { code?: string }) => e.code === 'INVALID_QUERY' && e.message === `table ${JSON.stringify(name)} not found in database "db1"`, sql);
    }
  } finally {
    await env.cleanup();
  }
});

/** Row counts of Parquet files, read by an engine of the test's own. */
async function parquetRowCounts(paths: string[]): Promise<number[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    const out: number[] = [];
    for (const p of paths) out.push(Number((await con.runAndReadAll(`SELECT count(*) FROM read_parquet('${p.replaceAll("'", "''")}')`)).getRows()[0]![0]));
    return out;
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

test('system tables agree with the object store after writes, snapshots, a table delete, retention and a restart', async () => {
  console.log(`# system tables seed=${SEED} (replay with SEED=${SEED})`);
  const rng = new SeededRng(SEED);
  const env = await tempDatabase({ wal: { flushIntervalMs: 5, snapshottedWalFilesToKeep: 2 } });
  let db = env.db;
  const written = new Map<string, number>(); // db/table → distinct points written
  let checks = 0;
  try {
    const tables = ['cpu', 'mem', 'Disk'];
    for (let round = 0; round < 4; round++) {
      for (const database of ['db1', 'db2']) {
        const lines: string[] = [];
        for (const table of tables) {
          const n = 1 + rng.nextInt(20);
          for (let i = 0; i < n; i++) {
            const key = `${database}/${table}`;
            const k = written.get(key) ?? 0;
            written.set(key, k + 1);
            // Distinct points: each row its own time, spread over several gen1 windows.
            lines.push(`${table},host=h${k % 3} v=${k}i ${BigInt(round) * 3_600n + BigInt(k) * 7n}`);
          }
        }
        await db.writer.writeLp(database, Buffer.from(lines.join('\n')), { precision: 's' });
      }
      if (round < 3) await db.snapshotNow();
    }
    // A deleted table: gone from every system table but as a deleted row, its files off the store.
    await db.manage.deleteTable('db2', 'mem');
    written.delete('db2/mem');
    // A database with a retention period: rows (and files) past it are gone.
    const hourNs = 3_600_000_000_000n;
    await db.manage.createDatabase('db3', { retentionPeriodNs: hourNs });
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const old = Array.from({ length: 5 }, (_, i) => `cpu,host=h v=${i}i ${nowNs - 3n * hourNs + BigInt(i)}`);
    const fresh = Array.from({ length: 7 }, (_, i) => `cpu,host=h v=${i}i ${nowNs - 60_000_000_000n + BigInt(i)}`);
    await db.writer.writeLp('db3', Buffer.from([...old, ...fresh].join('\n')), { precision: 'ns' }).catch(() => undefined);
    await db.writer.writeLp('db3', Buffer.from(fresh.join('\n')), { precision: 'ns' });
    await db.snapshotNow();
    await db.remover.idle();
    written.set('db3/cpu', fresh.length);

    const check = async (label: string) => {
      const { nodeId } = db;
      // Background compaction settled (what is due merged, its inputs deleted): index and store agree.
      await db.compactNow();
      await db.remover.idle();
      // Parquet files: exactly the store's objects, sizes as stored, row counts as the files hold.
      const stored = new Map((await listAll(env.store, `${nodeId}/dbs/`)).filter((o) => o.key.endsWith('.parquet')).map((o) => [o.key, o.sizeBytes]));
      const listed = new Map<string, { size: number; rows: number; table: string; database: string }>();
      for (const database of ['db1', 'db2', 'db3']) {
        for (const row of (await db.query.query(database, 'SELECT path, size_bytes, row_count, table_name FROM system.parquet_files')).rows) {
          listed.set(String(row[0]), { size: Number(row[1]), rows: Number(row[2]), table: String(row[3]), database });
        }
      }
      assert.deepEqual([...listed.keys()].sort(), [...stored.keys()].sort(), `${label}: system.parquet_files lists the Parquet objects on the store`);
      for (const [key, f] of listed) assert.equal(f.size, stored.get(key), `${label}: size of ${key}`);
      const paths = [...listed.keys()];
      const counts = await parquetRowCounts(paths.map((k) => join(env.dir, k)));
      paths.forEach((k, i) => assert.equal(listed.get(k)!.rows, counts[i], `${label}: row count of ${k}`));

      // WAL files: exactly the store's, snapshotted up to the newest snapshot's WAL file.
      const walStored = new Map((await listAll(env.store, `${nodeId}/wal/`)).map((o) => [o.key, o.sizeBytes]));
      const wal = (await db.query.query('db1', 'SELECT path, size_bytes, snapshotted, wal_file_sequence_number FROM system.wal_files ORDER BY wal_file_sequence_number')).rows;
      assert.deepEqual(wal.map((r) => String(r[0])).sort(), [...walStored.keys()].sort(), `${label}: system.wal_files lists the WAL objects`);
      for (const r of wal) assert.equal(Number(r[1]), walStored.get(String(r[0])), `${label}: size of ${String(r[0])}`);
      const snapshots = (await db.query.query('db1', 'SELECT snapshot_sequence_number, wal_file_sequence_number, all_parquet_files FROM system.snapshots ORDER BY 1')).rows;
      const manifests = (await listAll(env.store, `${nodeId}/snapshots/`)).filter((o) => o.key.endsWith('.json') || o.key.includes('manifest'));
      assert.equal(snapshots.length, 4, `${label}: four snapshots`);
      assert.ok(manifests.length >= 4, `${label}: their manifests are on the store (${manifests.map((m) => m.key).join(', ')})`);
      assert.ok(snapshots.reduce((n, r) => n + Number(r[2]), 0) >= stored.size, `${label}: the snapshots account for every Parquet file (and those removed since)`);
      const through = Number(snapshots.at(-1)![1]);
      for (const r of wal) assert.equal(r[2], Number(r[3]) <= through, `${label}: WAL file ${Number(r[3])} snapshotted iff at most ${through}`);

      // Tables: buffered + persisted rows are the rows a query counts (every point distinct).
      for (const database of ['db1', 'db2', 'db3']) {
        const rows = (await db.query.query(database, 'SELECT table_name, buffered_rows, persisted_rows, parquet_files, column_count, series_key_columns FROM system.tables WHERE NOT deleted ORDER BY table_name')).rows;
        const live = [...written.keys()].filter((k) => k.startsWith(`${database}/`)).map((k) => k.slice(database.length + 1)).sort();
        assert.deepEqual(rows.map((r) => String(r[0])), live, `${label}: ${database}'s tables`);
        for (const r of rows) {
          const table = String(r[0]);
          const [count] = (await db.query.query(database, `SELECT count(*) FROM "${table}"`)).rows[0]!;
          // Past a retention period, rows may still be buffered though no query sees them.
          if (database !== 'db3') assert.equal(Number(r[1]) + Number(r[2]), Number(count), `${label}: ${database}.${table} buffered + persisted = counted`);
          assert.equal(Number(count), written.get(`${database}/${table}`), `${label}: ${database}.${table} holds what was written`);
          assert.equal(Number(r[3]), [...listed.values()].filter((f) => f.database === database && f.table === table).length, `${label}: ${database}.${table} files`);
          assert.equal(r[4], 3n);
          assert.equal(r[5], 'host');
        }
        const catalog = await queryRows(db, database, 'SELECT table_name, column_name, column_type FROM system.catalog ORDER BY table_id, column_id');
        assert.equal(catalog.length, 3 * live.length, `${label}: ${live.length} tables × (time, host, v)`);
        checks++;
      }
      assert.deepEqual(await queryRows(db, 'db2', 'SELECT table_name, deleted FROM system.tables WHERE deleted'), ['table_name="mem" deleted=true'], `${label}: the deleted table`);
      assert.ok(![...listed.values()].some((f) => f.database === 'db2' && f.table === 'mem'), `${label}: no file of the deleted table is listed`);
      const db3Files = (await db.query.query('db3', 'SELECT max_time FROM system.parquet_files')).rows;
      assert.ok(db3Files.length >= 1 && db3Files.every((r) => (r[0] as bigint) >= nowNs - hourNs), `${label}: only files within db3's retention period are listed (and stored)`);
      assert.deepEqual(await queryRows(db, 'db1', "SELECT database_name, retention_period_ns, deleted FROM system.databases WHERE database_name = 'db3'"), [`database_name="db3" retention_period_ns=${hourNs}n deleted=false`]);
    };
    await check('before restart');
    await db.close();
    db = await env.open();
    await check('after restart');
    console.log(`# system tables: ${checks} database checks, ${[...written.values()].reduce((a, b) => a + b, 0)} points`);
  } finally {
    await env.cleanup(db);
  }
});

test('system.queries: each query of this database with its type, text, rows, outcome and durations; InfluxQL as written; the running one as running', async () => {
  const env = await tempDatabase();
  try {
    const { db } = env;
    await db.writer.writeLp('db1', Buffer.from('cpu,host=a usage=1 1\ncpu,host=b usage=2 2'), { precision: 's' });
    await db.writer.writeLp('db2', Buffer.from('cpu,host=a usage=1 1'), { precision: 's' });
    await db.query.query('db1', 'SELECT * FROM cpu');
    await assert.rejects(db.query.query('db1', 'SELECT nope FROM cpu'));
    await db.query.query('db2', 'SELECT 1 AS in_db2');
    for await (const r of runInfluxQL(databaseEnvironment(db), 'SELECT mean(usage) FROM cpu', { database: 'db1' })) assert.equal(r.error, undefined);
    const rows = (await db.query.query('db1', 'SELECT query_type, query_text, phase, rows, success, running, error, end2end_duration_ns, plan_duration_ns, execute_duration_ns, issue_time FROM system.queries')).rows;
    assert.ok(!rows.some((r) => String(r[1]).includes('in_db2')), 'another database’s queries are not shown');
    const [all, bad, influxql, self] = [rows.find((r) => r[1] === 'SELECT * FROM cpu'), rows.find((r) => r[1] === 'SELECT nope FROM cpu'), rows.find((r) => r[0] === 'influxql'), rows.at(-1)];
    assert.deepEqual(all!.slice(0, 7), ['sql', 'SELECT * FROM cpu', 'success', 2n, true, false, null]);
    assert.ok((all![7] as bigint) > 0n && (all![7] as bigint) >= (all![8] as bigint) + (all![9] as bigint) - 1n, 'end to end covers planning and execution');
    assert.deepEqual(bad!.slice(0, 6), ['sql', 'SELECT nope FROM cpu', 'fail', 0n, false, false]);
    assert.match(String(bad![6]), /nope/);
    assert.deepEqual(influxql!.slice(0, 3), ['influxql', 'SELECT mean(usage) FROM cpu', 'success']);
    assert.deepEqual(self!.slice(2, 6), ['running', 0n, false, true], 'the query reading system.queries is running');
  } finally {
    await env.cleanup();
  }
});

test('system tables over HTTP: query_sql answers them like any table, in every format', async () => {
  const env = await tempDatabase();
  const server = new SluiceServer({ db: env.db });
  const { port } = await server.listen('127.0.0.1', 0);
  try {
    await env.db.writer.writeLp('db1', Buffer.from('cpu,host=a usage=1 1'), { precision: 's' });
    const get = async (q: string, format: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v3/query_sql?db=db1&format=${format}&q=${encodeURIComponent(q)}`);
      return { status: res.status, text: await res.text() };
    };
    const json = await get('SELECT table_name, buffered_rows, min_time FROM system.tables', 'json');
    assert.equal(json.status, 200, json.text);
    assert.deepEqual(JSON.parse(json.text), [{ table_name: 'cpu', buffered_rows: 1, min_time: '1970-01-01T00:00:01' }]);
    const csv = await get('SHOW COLUMNS FROM cpu', 'csv');
    assert.equal(csv.text.split('\n')[0], 'table_catalog,table_schema,table_name,column_name,data_type,is_nullable');
    const bad = await get('SELECT * FROM system.nope', 'json');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /table \\"system.nope\\" not found in database \\"db1\\"/);
  } finally {
    await server.close();
    await env.cleanup();
  }
});
