import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { QueryError } from '../../src/query/errors.js';
import { formatCsv, formatJson, formatJsonLines, formatPretty } from '../../src/query/format.js';
import { listSnapshots } from '../../src/database/database.js';
import { queryRows, tempDatabase, walFileCount } from '../support/db-helpers.js';

const lp = (s: string) => Buffer.from(s);

// Every field type at its extremes, escapes in tags and strings, nanosecond times far from 1970.
const EXTREMES = [
  't,tag=a i=-9223372036854775808i,u=18446744073709551615u,f=1.7976931348623157e308,b=true,s="quote \\" back\\\\slash" -9000000000000000001',
  't,tag=b i=9223372036854775807i,u=0u,f=-5e-324,b=false,s="ünïcode ✓, = ok" 9000000000000000001',
  't,tag=c\\ d\\,e i=0i,f=0.1,s="" 1700000000123456789',
  't,tag=a f=-0.0 1700000000123456789',
].join('\n');

const EXTREME_ROWS = [
  'b=true f=1.7976931348623157e+308 i=-9223372036854775808n s="quote \\" back\\\\slash" tag="a" time=t-9000000000000000001 u=18446744073709551615n',
  'b=null f=-0 i=null s=null tag="a" time=t1700000000123456789 u=null',
  'b=null f=0.1 i=0n s="" tag="c d,e" time=t1700000000123456789 u=null',
  'b=false f=-5e-324 i=9223372036854775807n s="ünïcode ✓, = ok" tag="b" time=t9000000000000000001 u=0n',
];

test('every type round-trips exactly: from the buffer, from Parquet after a snapshot, and after a restart', async () => {
  const { db, open, store, cleanup } = await tempDatabase();
  let reopened;
  try {
    await db.writer.writeLp('db1', lp(EXTREMES), { precision: 'ns' });
    const sql = 'SELECT * FROM t ORDER BY time, tag';
    assert.deepEqual(await queryRows(db, 'db1', sql), EXTREME_ROWS);
    await db.snapshotNow();
    assert.equal(db.buffer.getStats().rows, 0, 'the snapshot released every buffered row');
    assert.ok(db.persistedFiles.fileCount >= 3, 'one file per gen1 window');
    assert.deepEqual(await queryRows(db, 'db1', sql), EXTREME_ROWS);
    await db.close();
    reopened = await open();
    assert.deepEqual(await queryRows(reopened, 'db1', sql), EXTREME_ROWS);
    assert.equal(reopened.buffer.getStats().rows, 0, 'nothing replayed twice');
    assert.ok((await walFileCount(store, 'node1')) <= 2);
  } finally {
    await cleanup(...(reopened ? [reopened] : []));
  }
});

test('int64 segments of every width and dictionaries past 2^8 entries answer the same from the buffer, from Parquet and after a restart', async () => {
  // The buffer stores int64 values 1, 2, 4 or 8 bytes wide and dictionary indices 1, 2 or 4
  // bytes wide, per segment, widening as values arrive; the SQL scan widens them back.
  const { db, open, cleanup } = await tempDatabase();
  let reopened;
  try {
    const edges = [5n, -100n, 300n, -40_000n, 3_000_000_000n, -9223372036854775808n, 9223372036854775807n];
    const lines: string[] = [];
    let sum = 0n;
    let min = 0n;
    let max = 0n;
    const rows = 70_000; // more than one 65 536-row segment
    for (let r = 0; r < rows; r++) {
      // widths rise through each segment: the first rows fit a byte, later ones need more
      const v = edges[Math.min(edges.length - 1, Math.floor(((r % 65_536) / 65_536) * edges.length * 1.2))]! + BigInt(r % 3);
      const value = v > 9223372036854775807n ? 9223372036854775807n : v;
      sum += value;
      if (r === 0 || value < min) min = value;
      if (r === 0 || value > max) max = value;
      lines.push(`w,tag=t${r % 700} i=${value}i,small=${r % 100}i ${1_000_000_000 + r}`);
    }
    for (let i = 0; i < lines.length; i += 10_000) await db.writer.writeLp('db1', lp(lines.slice(i, i + 10_000).join('\n')), { precision: 'ns' });
    const sql = 'SELECT count(*) AS n, sum(i::HUGEINT)::VARCHAR AS s, min(i) AS lo, max(i) AS hi, sum(small) AS small, count(DISTINCT tag) AS tags, max(tag) AS last FROM w';
    const expected = [`n=${rows}n s="${sum}" lo=${min}n hi=${max}n small=${BigInt(((rows / 100) * 99 * 100) / 2)}n tags=700n last="t99"`];
    assert.deepEqual(await queryRows(db, 'db1', sql), expected, 'from the buffer');
    const spot = "SELECT tag, i, time FROM w WHERE time IN ('1970-01-01T00:00:01.000000000', '1970-01-01T00:00:01.000065537') ORDER BY time";
    const spotRows = await queryRows(db, 'db1', spot);
    assert.equal(spotRows.length, 2);
    await db.snapshotNow();
    assert.equal(db.buffer.getStats().rows, 0);
    assert.deepEqual(await queryRows(db, 'db1', sql), expected, 'from Parquet');
    assert.deepEqual(await queryRows(db, 'db1', spot), spotRows);
    await db.close();
    reopened = await open();
    assert.deepEqual(await queryRows(reopened, 'db1', sql), expected, 'after a restart');
  } finally {
    await cleanup(...(reopened ? [reopened] : []));
  }
});

test('a point written again merges its fields, last write wins, across the buffer and every file', async () => {
  const { db, open, cleanup } = await tempDatabase();
  let reopened;
  try {
    const w = (s: string) => db.writer.writeLp('db1', lp(s), { precision: 's' });
    await w('m,h=a x=1i,y=1i 100\nm,h=b x=7i 100');
    await db.snapshotNow();
    await w('m,h=a y=2i 100');
    const sql = 'SELECT h, x, y, time FROM m ORDER BY h';
    assert.deepEqual(await queryRows(db, 'db1', sql), ['h="a" x=1n y=2n time=t100000000000', 'h="b" x=7n y=null time=t100000000000']);
    await db.snapshotNow();
    await w('m,h=a x=3i 100\nm,h=a x=4i 100');
    const expected = ['h="a" x=4n y=2n time=t100000000000', 'h="b" x=7n y=null time=t100000000000'];
    assert.deepEqual(await queryRows(db, 'db1', sql), expected);
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT count(*) AS n FROM m'), ['n=2n']);
    assert.equal(db.persistedFiles.fileCount, 2, 'two snapshots wrote the same window');
    await db.close();
    reopened = await open();
    assert.deepEqual(await queryRows(reopened, 'db1', sql), expected, 'the same answer after a restart (two files + replayed buffer)');
    await reopened.snapshotNow();
    assert.deepEqual(await queryRows(reopened, 'db1', sql), expected, 'and with three files');
  } finally {
    await cleanup(...(reopened ? [reopened] : []));
  }
});

test('a snapshot deletes the snapshotted WAL files and every query answers the same, before and after a restart', async () => {
  const { db, open, store, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, snapshottedWalFilesToKeep: 0 } });
  let reopened;
  try {
    for (let i = 0; i < 10; i++) {
      const lines = Array.from({ length: 50 }, (_, j) => `cpu,host=h${j % 7},dc=d${i % 3} v=${i * 100 + j}i,f=${j / 3} ${1_000_000 + i * 60 + j}`);
      await db.writer.writeLp('db1', lp(lines.join('\n')), { precision: 's' });
    }
    assert.ok((await walFileCount(store, 'node1')) >= 10);
    const queries = ['SELECT count(*), sum(v), min(time), max(time) FROM cpu', 'SELECT host, count(*), round(avg(f), 9) FROM cpu GROUP BY host ORDER BY host', "SELECT * FROM cpu WHERE time >= '1970-01-12T13:50:00' AND time < '1970-01-12T14:00:00' ORDER BY time, host, dc"];
    const before = await Promise.all(queries.map((q) => queryRows(db, 'db1', q)));
    await db.snapshotNow();
    assert.equal(await walFileCount(store, 'node1'), 0, 'every snapshotted WAL file is deleted');
    assert.deepEqual(await Promise.all(queries.map((q) => queryRows(db, 'db1', q))), before);
    await db.close();
    reopened = await open();
    assert.deepEqual(await Promise.all(queries.map((q) => queryRows(reopened!, 'db1', q))), before);
    const snapshots = await listSnapshots(store, 'node1');
    assert.equal(snapshots.length, 1);
    assert.equal(snapshots[0]!.files.reduce((n, f) => n + f.rowCount, 0), 500);
  } finally {
    await cleanup(...(reopened ? [reopened] : []));
  }
});

test('every Parquet file is read by an independent reader (hyparquet) with the same values and types', async () => {
  const { db, dir, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('db1', lp(EXTREMES), { precision: 'ns' });
    const more = Array.from({ length: 300 }, (_, j) => `t,tag=x${j % 5} i=${j}i,f=${j * 1.25},b=${j % 2 === 0},s="s${j}",u=${j * 3}u ${1_700_000_000_000_000_000n + BigInt(j) * 1_000_000_000n}`);
    await db.writer.writeLp('db1', lp(more.join('\n')), { precision: 'ns' });
    await db.snapshotNow();
    const files = db.persistedFiles.all();
    assert.ok(files.length >= 3);
    let checked = 0;
    for (const file of files) {
      const bytes = await readFile(join(dir, file.key));
      const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const schema = parquetSchema(metadata);
      const byName = new Map(schema.children.map((c) => [c.element.name, c.element]));
      assert.equal(byName.get('time')?.type, 'INT64');
      assert.deepEqual(byName.get('time')?.logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' });
      assert.equal(byName.get('tag')?.type, 'BYTE_ARRAY');
      if (byName.has('i')) assert.equal(byName.get('i')?.type, 'INT64');
      if (byName.has('u')) assert.equal(byName.get('u')?.converted_type, 'UINT_64', JSON.stringify(byName.get('u'), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
      if (byName.has('f')) assert.equal(byName.get('f')?.type, 'DOUBLE');
      if (byName.has('b')) assert.equal(byName.get('b')?.type, 'BOOLEAN');
      const rows = await parquetReadObjects({
        file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
        compressors,
        parsers: { timestampFromNanoseconds: (n: bigint) => n },
      } as never);
      assert.equal(rows.length, file.rowCount);
      // The same rows through SQL, restricted to this file's window.
      const sql = `SELECT * FROM t WHERE time >= make_timestamp_ns(${file.minTimeNs}) AND time <= make_timestamp_ns(${file.maxTimeNs}) ORDER BY tag, time`;
      const viaSql = await db.query.query('db1', sql);
      assert.equal(viaSql.rows.length, rows.length);
      for (let r = 0; r < rows.length; r++) {
        const fromFile = rows[r] as Record<string, unknown>;
        viaSql.columns.forEach((col, c) => {
          let expected: unknown = viaSql.rows[r]![c];
          if (expected !== null && typeof expected === 'object' && 'nanos' in expected) expected = (expected as { nanos: bigint }).nanos;
          const actual = fromFile[col.name] ?? null;
          if (col.name === 'u' && actual !== null) assert.equal(BigInt.asUintN(64, BigInt(actual as bigint)), expected, `${file.key} row ${r} ${col.name}`);
          else assert.deepEqual(actual, expected, `${file.key} row ${r} ${col.name}`);
        });
        checked++;
      }
      // Sorted by series key then time, no duplicate points.
      const keys = rows.map((r) => `${String((r as Record<string, unknown>).tag)}\u0000${String((r as Record<string, unknown>).time).padStart(25, '0')}`);
      assert.deepEqual([...keys].sort(), keys, `${file.key} is sorted by tags and time`);
      assert.equal(new Set(keys).size, keys.length, `${file.key} has no duplicate points`);
    }
    assert.equal(checked, 304);
  } finally {
    await cleanup();
  }
});

test('only one read-only statement runs: DDL, DML, COPY, PRAGMA, SET, several statements and file functions are refused', async () => {
  const { db, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('db1', lp('cpu,host=a v=1i 1\ncpu,host=b v=2i 2'), { precision: 's' });
    const refused = [
      'DROP VIEW cpu',
      'CREATE TABLE x (a INT)',
      'INSERT INTO cpu VALUES (1)',
      'DELETE FROM cpu',
      'UPDATE cpu SET v = 3',
      "COPY (SELECT * FROM cpu) TO '/tmp/sluice-leak.csv'",
      'PRAGMA database_list',
      "SET memory_limit = '100TB'",
      "ATTACH '/tmp/x.db'",
      'SELECT 1; SELECT 2',
      'SELECT * FROM cpu; DROP VIEW cpu',
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM glob('/*')",
      "SELECT * FROM read_parquet('/tmp/*.parquet')",
      'SELECT * FROM duckdb_settings()',
      'SELECT * FROM sluice.buf_1',
      "INSTALL httpfs",
      "LOAD httpfs",
      "CALL pragma_version()",
      'EXPORT DATABASE \'/tmp/sluice-export\'',
    ];
    for (const sql of refused) {
      await assert.rejects(db.query.query('db1', sql), (err: unknown) => {
        assert.ok(err instanceof QueryError, `${sql}: ${String(err)}`);
        assert.ok(['NOT_READ_ONLY', 'INVALID_QUERY'].includes(err.code), `${sql}: ${err.code} ${err.message}`);
        return true;
      }, sql);
    }
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT host, v FROM cpu ORDER BY host'), ['host="a" v=1n', 'host="b" v=2n'], 'the data is untouched');
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT count(*) AS n FROM range(10)'), ['n=10n'], 'pure table functions are allowed');
  } finally {
    await cleanup();
  }
});

test('queries: parameters, unknown database, bad SQL, timeout, and every output format', async () => {
  const { db, dir, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('db1', lp('cpu,host=a v=9223372036854775807i,f=1,s="x,\\"y\\"" 1000000000123\ncpu,host=b v=2i 2000000000000'), { precision: 'ns' });
    assert.deepEqual((await db.query.query('db1', 'SELECT host FROM cpu WHERE v = $1', [3n])).rows, []);
    const bound = await db.query.query('db1', 'SELECT host FROM cpu WHERE host = $1 AND v > $2', ['b', 1n]);
    assert.deepEqual(bound.rows, [['b']]);
    await assert.rejects(db.query.query('nope', 'SELECT 1'), { name: 'QueryError', code: 'DATABASE_NOT_FOUND' });
    await assert.rejects(db.query.query('db1', 'SELEC 1'), { name: 'QueryError', code: 'INVALID_QUERY' });
    await assert.rejects(db.query.query('db1', 'SELECT nope FROM cpu'), { name: 'QueryError', code: 'INVALID_QUERY' });
    await assert.rejects(db.query.query('db1', 'SELECT count(*) FROM range(100000000000) a', undefined, { timeoutMs: 100 }), { name: 'QueryError', code: 'TIMEOUT' });

    const result = await db.query.query('db1', 'SELECT * FROM cpu ORDER BY time');
    assert.equal(formatJson(result), '[{"f":1.0,"host":"a","s":"x,\\"y\\"","time":"1970-01-01T00:16:40.000000123","v":9223372036854775807},{"host":"b","time":"1970-01-01T00:33:20","v":2}]');
    assert.equal(formatJsonLines(result), '{"f":1.0,"host":"a","s":"x,\\"y\\"","time":"1970-01-01T00:16:40.000000123","v":9223372036854775807}\n{"host":"b","time":"1970-01-01T00:33:20","v":2}\n');
    assert.equal(formatCsv(result), 'f,host,s,time,v\n1.0,a,"x,""y""",1970-01-01T00:16:40.000000123,9223372036854775807\n,b,,1970-01-01T00:33:20,2\n');
    assert.equal(
      formatPretty(result),
      [
        '+-----+------+-------+-------------------------------+---------------------+',
        '| f   | host | s     | time                          | v                   |',
        '+-----+------+-------+-------------------------------+---------------------+',
        '| 1.0 | a    | x,"y" | 1970-01-01T00:16:40.000000123 | 9223372036854775807 |',
        '|     | b    |       | 1970-01-01T00:33:20           | 2                   |',
        '+-----+------+-------+-------------------------------+---------------------+',
        '',
      ].join('\n'),
    );
    assert.equal(formatJson(await db.query.query('db1', 'SELECT * FROM cpu WHERE false')), '[]');

    const out = join(db.scratchDirectory, 'result.parquet');
    await db.query.queryToParquet('db1', 'SELECT host, v FROM cpu ORDER BY host;', out);
    const bytes = await readFile(out);
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), compressors });
    assert.deepEqual(rows, [{ host: 'a', v: 9223372036854775807n }, { host: 'b', v: 2n }]);
    void dir;
  } finally {
    await cleanup();
  }
});

test('a query over its memory limit fails with RESOURCES_EXHAUSTED, and the database keeps answering', async () => {
  const { db, cleanup } = await tempDatabase({ queryMemoryLimit: '24MB' });
  try {
    await db.writer.writeLp('db1', lp('m v=1i 1'), { precision: 's' });
    await assert.rejects(
      db.query.query('db1', "SELECT count(DISTINCT x) FROM (SELECT i::VARCHAR || 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' AS x FROM range(5000000) t(i))"),
      { name: 'QueryError', code: 'RESOURCES_EXHAUSTED' },
    );
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT v FROM m'), ['v=1n']);
  } finally {
    await cleanup();
  }
});
