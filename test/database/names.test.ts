/**
 * Case-sensitive names end to end: line protocol tells `cpu` from `Cpu` and `host` from `Host`,
 * and so must every query — from the buffer, from Parquet after a snapshot, after a restart, and
 * over HTTP — while a query that spells a unique name in another case keeps working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { SluiceDatabase } from '../../src/database/database.js';
import { QueryError } from '../../src/query/errors.js';
import { SluiceServer } from '../../src/server/http.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

const lp = (s: string) => Buffer.from(s);

// Two tables whose names differ only in case; in `cpu`, tags and fields that differ only in case.
const LINES = [
  'cpu,host=a,Host=B usage=1,Usage=10i 1000000000',
  'cpu,host=c,Host=D usage=2,Usage=20i 2000000000',
  'Cpu,region=eu load=7 3000000000',
  'mem free=3i 4000000000',
].join('\n');

/** Every check of this file's data, as [sql, expected rows]. */
const EXPECTED: Array<[string, string[]]> = [
  ['SELECT * FROM cpu ORDER BY time', [
    'Host="B" Usage=10n host="a" time=t1000000000 usage=1',
    'Host="D" Usage=20n host="c" time=t2000000000 usage=2',
  ]],
  ['SELECT * FROM "Cpu"', ['load=7 region="eu" time=t3000000000']],
  ['SELECT "Host", host FROM cpu ORDER BY time', ['Host="B" host="a"', 'Host="D" host="c"']],
  ['SELECT "Usage", usage FROM cpu ORDER BY time', ['Usage=10n usage=1', 'Usage=20n usage=2']],
  // Unquoted identifiers keep their case in DuckDB's parser, so these are exact too.
  ['SELECT Host, Usage FROM cpu ORDER BY time', ['Host="B" Usage=10n', 'Host="D" Usage=20n']],
  ['select usage from cpu order by usage', ['usage=1', 'usage=2']],
  // A spelling that matches no name exactly but exactly one regardless of case still works.
  ['SELECT LOAD, Region FROM "Cpu"', ['load=7 region="eu"']],
  ['SELECT FREE FROM MEM', ['free=3n']],
  ['SELECT count(*) AS n FROM cpu WHERE "Host" = \'B\' AND host = \'a\'', ['n=1n']],
  ['SELECT count(*) AS n FROM cpu WHERE "Host" = \'a\'', ['n=0n']],
  // Aliases, CTEs, subqueries, ORDER BY and GROUP BY by name.
  ['SELECT "Host" AS "H", host AS h FROM cpu ORDER BY "H" DESC', ['H="D" h="c"', 'H="B" h="a"']],
  ['WITH "Recent" AS (SELECT "Host", "Usage" FROM cpu) SELECT "Host", sum("Usage") AS "Total" FROM "Recent" GROUP BY "Host" ORDER BY "Total"', ['Host="B" Total=10n', 'Host="D" Total=20n']],
  ['SELECT s."Host" FROM (SELECT "Host", host FROM cpu) AS s WHERE s.host = \'c\'', ['Host="D"']],
  ['SELECT c."Usage" + c.usage AS "Sum" FROM cpu c ORDER BY 1', ['Sum=11', 'Sum=22']],
  ['SELECT "Host", max("Usage") FROM cpu GROUP BY "Host" ORDER BY "Host"', ['Host="B" max(cpu.Usage)=10n', 'Host="D" max(cpu.Usage)=20n']],
  ['SELECT "Host", count(*) AS n FROM cpu GROUP BY ALL ORDER BY ALL', ['Host="B" n=1n', 'Host="D" n=1n']],
  ['SELECT * EXCLUDE ("Host", "Usage", time) FROM cpu ORDER BY usage', ['host="a" usage=1', 'host="c" usage=2']],
  ['SELECT a."Host", b.load FROM cpu a, "Cpu" b WHERE a.host = \'a\'', ['Host="B" load=7']],
  ['SELECT "Host" FROM cpu WHERE "Usage" IN (SELECT max("Usage") FROM cpu)', ['Host="D"']],
  // UNPIVOT's name column holds the exact names.
  ['SELECT name, val FROM cpu UNPIVOT (val FOR name IN (usage, "Usage")) ORDER BY val', ['name="usage" val=1', 'name="usage" val=2', 'name="Usage" val=10', 'name="Usage" val=20']],
];

async function checkAll(db: SluiceDatabase, when: string): Promise<void> {
  for (const [sql, expected] of EXPECTED) assert.deepEqual(await queryRows(db, 'db1', sql), expected, `${when}: ${sql}`);
}

test('tables, tags and fields that differ only in case each read their own values: from the buffer, from Parquet, after a restart', async () => {
  const { db, open, cleanup } = await tempDatabase();
  let reopened;
  try {
    await db.writer.writeLp('db1', lp(LINES), { precision: 'ns' });
    await checkAll(db, 'buffer');
    await db.snapshotNow();
    assert.equal(db.buffer.getStats().rows, 0, 'every row is in Parquet');
    await checkAll(db, 'parquet');
    // A window with both a file and buffered rows is deduplicated across them, by exact names.
    await db.writer.writeLp('db1', lp('cpu,host=a,Host=B usage=5 1000000000'), { precision: 'ns' });
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT "Host", host, "Usage", usage FROM cpu ORDER BY time'), ['Host="B" host="a" Usage=10n usage=5', 'Host="D" host="c" Usage=20n usage=2']);
    await db.close();
    reopened = await open();
    assert.deepEqual(await queryRows(reopened, 'db1', 'SELECT "Host", host, "Usage", usage FROM cpu ORDER BY time'), ['Host="B" host="a" Usage=10n usage=5', 'Host="D" host="c" Usage=20n usage=2']);
    await reopened.snapshotNow();
    assert.equal(reopened.buffer.getStats().rows, 0);
    assert.deepEqual(await queryRows(reopened, 'db1', 'SELECT "Host", host, "Usage", usage FROM cpu ORDER BY time'), ['Host="B" host="a" Usage=10n usage=5', 'Host="D" host="c" Usage=20n usage=2']);
    assert.deepEqual(await queryRows(reopened, 'db1', 'SELECT * FROM "Cpu"'), ['load=7 region="eu" time=t3000000000']);
  } finally {
    await cleanup(...(reopened ? [reopened] : []));
  }
});

test('snapshot Parquet files hold the exact column names, each with its own values (read by hyparquet)', async () => {
  const { db, store, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('db1', lp(LINES), { precision: 'ns' });
    await db.snapshotNow();
    const cpu = db.catalog.database('db1')!.tables.get('cpu')!;
    const files = db.persistedFiles.filesOf(db.catalog.database('db1')!.id, cpu.id);
    assert.equal(files.length, 1);
    const bytes = await readFile(store.localPath!(files[0]!.key)!);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const metadata = parquetMetadata(file);
    // Tags (catalog order), time, then fields; each column's Parquet field id is its catalog id.
    assert.deepEqual(metadata.schema.slice(1).map((s) => s.name), ['host', 'Host', 'time', 'usage', 'Usage']);
    assert.deepEqual(metadata.schema.slice(1).map((s) => s.field_id), ['host', 'Host', 'time', 'usage', 'Usage'].map((n) => cpu.columns.get(n)!.id));
    for (const group of metadata.row_groups) assert.deepEqual(group.columns.map((c) => c.meta_data!.path_in_schema), [['host'], ['Host'], ['time'], ['usage'], ['Usage']]);
    const rows = await parquetReadObjects({ file, compressors });
    assert.deepEqual(rows.map((r) => [r.host, r.Host, r.usage, r.Usage]), [['a', 'B', 1, 10n], ['c', 'D', 2, 20n]]);
  } finally {
    await cleanup();
  }
});

test('a name that matches several in another case, or none, is an error that shows the names as written', async () => {
  const { db, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('db1', lp(LINES), { precision: 'ns' });
    const cases: Array<[string, RegExp]> = [
      ['SELECT * FROM CPU', /table "CPU" is ambiguous.*"cpu".*"Cpu"|table "CPU" is ambiguous.*"Cpu".*"cpu"/],
      ['SELECT HOST FROM cpu', /"HOST" is ambiguous/],
      ['SELECT "Nope" FROM cpu', /"Nope"/],
      ['SELECT "Host", count(*) FROM cpu', /column "Host" must appear in the GROUP BY clause/],
      ['SELECT * FROM nope', /table "nope" not found in database "db1"/],
    ];
    for (const [sql, message] of cases) {
      await assert.rejects(db.query.query('db1', sql), (err: unknown) => {
        assert.ok(err instanceof QueryError && err.code === 'INVALID_QUERY', `${sql}: ${String(err)}`);
        assert.match(err.message, message, sql);
        assert.doesNotMatch(err.message, /\^[a-z]/, `${sql}: no SQL name in the message`);
        return true;
      });
    }
  } finally {
    await cleanup();
  }
});

test('time-range pruning works on a table whose name has upper-case letters', async () => {
  const { db, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('db1', lp('Cpu v=1 1000\nCpu v=2 1000000'), { precision: 's' });
    await db.snapshotNow();
    assert.ok(db.persistedFiles.fileCount >= 2, 'one file per window');
    assert.deepEqual(await queryRows(db, 'db1', "SELECT v FROM \"Cpu\" WHERE time >= '1970-01-02'"), ['v=2']);
    assert.ok(db.query.lastPruning !== undefined && db.query.lastPruning.filesPruned >= 1, JSON.stringify(db.query.lastPruning));
  } finally {
    await cleanup();
  }
});

test('a query result written as Parquet keeps the exact column names', async () => {
  const { db, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('db1', lp(LINES), { precision: 'ns' });
    const out = `${db.scratchDirectory}/names-result.parquet`;
    await db.query.queryToParquet('db1', 'SELECT "Host", host, max("Usage") FROM cpu GROUP BY ALL ORDER BY ALL', out);
    const bytes = await readFile(out);
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), compressors });
    assert.deepEqual(rows, [{ Host: 'B', host: 'a', 'max(cpu.Usage)': 10n }, { Host: 'D', host: 'c', 'max(cpu.Usage)': 20n }]);
  } finally {
    await cleanup();
  }
});

test('over HTTP, SELECT * answers the exact names and "Cpu" only its own rows', async () => {
  const { db, cleanup } = await tempDatabase();
  const server = new SluiceServer({ db });
  try {
    await db.writer.writeLp('db1', lp(LINES), { precision: 'ns' });
    const { port } = await server.listen('127.0.0.1', 0);
    const get = (q: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: `/api/v3/query_sql?db=db1&format=json&q=${encodeURIComponent(q)}` }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end();
      });
    const all = await get('SELECT * FROM cpu ORDER BY time');
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(JSON.parse(all.text), [
      { Host: 'B', Usage: 10, host: 'a', time: '1970-01-01T00:00:01', usage: 1.0 },
      { Host: 'D', Usage: 20, host: 'c', time: '1970-01-01T00:00:02', usage: 2.0 },
    ]);
    const other = await get('SELECT * FROM "Cpu"');
    assert.deepEqual(JSON.parse(other.text), [{ load: 7.0, region: 'eu', time: '1970-01-01T00:00:03' }]);
  } finally {
    await server.close();
    await cleanup();
  }
});
