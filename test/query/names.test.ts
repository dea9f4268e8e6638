/**
 * SQL names (src/engine/names.ts) and the query rewrite that uses them (src/query/names.ts,
 * src/query/sql-check.ts), as worked examples: name → SQL name, user SQL → the SQL that runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DatabaseSchema, TableSchema } from '../../src/catalog/catalog.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { decodeQuotedNames, foldCase, nameOfSql, sqlName } from '../../src/engine/names.js';
import { decodeMessage } from '../../src/query/engine-errors.js';
import { QueryError } from '../../src/query/errors.js';
import { checkQuery } from '../../src/query/sql-check.js';
import type { ColumnType } from '../../src/wal/model.js';

test('SQL names: worked examples, identity without upper case or ^, and the inverse', () => {
  const examples: Array<[string, string]> = [
    ['cpu', 'cpu'],
    ['usage_idle', 'usage_idle'],
    ['time', 'time'],
    ['Host', '^host'],
    ['CPU', '^c^p^u'],
    ['a^b', 'a^^b'],
    ['^', '^^'],
    ['^h', '^^h'],
    ['é', 'é'],
    ['É', 'É'], // DuckDB folds ASCII only
    ['中文 Ω', '中文 Ω'],
    ['x"y', 'x"y'],
    ['', ''],
  ];
  for (const [name, encoded] of examples) {
    assert.equal(sqlName(name), encoded, name);
    assert.equal(nameOfSql(encoded), name, encoded);
  }
  for (const notEncoded of ['Host', '^', 'a^', '^1', '^H']) assert.equal(nameOfSql(notEncoded), undefined, notEncoded);
});

test('SQL names never collide under DuckDB case folding, and always decode back (random names)', () => {
  const seed = testSeed();
  console.log(`# seed ${seed}`);
  const rng = new SeededRng(seed);
  const alphabet = ['a', 'A', 'b', 'B', 'z', 'Z', '^', '_', '0', 'é', 'É', '"', ' '];
  const byFold = new Map<string, string>();
  for (let i = 0; i < 20_000; i++) {
    let name = '';
    const length = 1 + rng.nextInt(6);
    for (let k = 0; k < length; k++) name += alphabet[rng.nextInt(alphabet.length)]!;
    const encoded = sqlName(name);
    assert.equal(nameOfSql(encoded), name, `seed ${seed}: ${name}`);
    assert.doesNotMatch(encoded, /[A-Z]/, `seed ${seed}: ${name}`);
    const other = byFold.get(foldCase(encoded));
    assert.ok(other === undefined || other === name, `seed ${seed}: ${JSON.stringify(name)} and ${JSON.stringify(other)} would be one name to DuckDB`);
    byFold.set(foldCase(encoded), name);
  }
});

test('engine text with SQL names is decoded: quoted names, bare names in messages, never string literals', () => {
  const plain = (n: string) => /^[A-Za-z_]\w*$/.test(n);
  assert.equal(decodeQuotedNames('max("^usage")', plain), 'max(Usage)');
  assert.equal(decodeQuotedNames('max("^usage")'), 'max("Usage")');
  assert.equal(decodeQuotedNames('"^my host" || \'"^x"\'', plain), '"My host" || \'"^x"\'');
  assert.equal(decodeQuotedNames('"^1"', plain), '"^1"', 'not a SQL name: left as it is');
  assert.equal(
    decodeMessage('Binder Error: column "^host" must appear in the GROUP BY clause … use "ANY_VALUE(^host)"; could not convert string \'^abc\''),
    'Binder Error: column "Host" must appear in the GROUP BY clause … use "ANY_VALUE(Host)"; could not convert string \'^abc\'',
  );
  assert.equal(decodeMessage('no escape here'), 'no escape here');
});

function table(id: number, name: string, columns: Array<[string, ColumnType]>): TableSchema {
  const defs = columns.map(([n, type], i) => ({ id: i, name: n, type }));
  return { id, name, columns: new Map(defs.map((d) => [d.name, d])), columnsById: new Map(defs.map((d) => [d.id, d])), nextColumnId: defs.length, lastCaches: new Map(), distinctCaches: new Map() };
}

const TABLES = [
  table(0, 'cpu', [['time', 'time'], ['host', 'tag'], ['Host', 'tag'], ['usage', 'float64'], ['Usage', 'int64']]),
  table(1, 'Cpu', [['time', 'time'], ['region', 'tag'], ['load', 'float64']]),
  table(2, 'mem', [['time', 'time'], ['free', 'int64']]),
];
const DATABASE: DatabaseSchema = { id: 7, name: 'mydb', tables: new Map(TABLES.map((t) => [t.name, t])), tablesById: new Map(TABLES.map((t) => [t.id, t])), nextTableId: 3 };

test('queries are rewritten to SQL names; one that needs no rewrite runs as written', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    const rewrites: Array<[string, string]> = [
      // Nothing to rewrite: the user's text runs.
      ['select usage from cpu where time > make_timestamp_ns(0) and usage > 1', 'select usage from cpu where time > make_timestamp_ns(0) and usage > 1'],
      ['SELECT range FROM range(3)', 'SELECT range FROM range(3)'],
      // InfluxDB 3's dialect (src/query/dialect.ts): now() is a nanosecond time, count(*) is named as DataFusion names it.
      ['select usage from cpu where time > now() - interval 1 hour', 'SELECT usage FROM cpu WHERE ("time" > (CAST(now() AS TIMESTAMP_NS) - to_hours(CAST(trunc(CAST(1 AS DOUBLE)) AS BIGINT))))'],
      ['SELECT count(*) FROM range(3)', 'SELECT count_star() AS "count(*)" FROM "range"(3)'],
      ['SELECT "Host", host FROM cpu', 'SELECT "^host", host FROM cpu'],
      ['SELECT * FROM "Cpu"', 'SELECT * FROM "^cpu"'],
      ['SELECT FREE FROM MEM', 'SELECT free FROM mem'],
      ['SELECT c."Usage" AS "U" FROM cpu AS c ORDER BY "U"', 'SELECT c."^usage" AS "^u" FROM cpu AS c ORDER BY "^u"'],
      ['WITH "W" AS (SELECT "Host" FROM cpu) SELECT * FROM "W"', 'WITH "^w" AS (SELECT "^host" FROM cpu)SELECT * FROM "^w"'],
      ['SELECT * EXCLUDE ("Usage") FROM cpu', 'SELECT * EXCLUDE ("^usage") FROM cpu'],
      ['SELECT "Host", count(*) FROM cpu GROUP BY "Host"', 'SELECT "^host", count_star() AS "count(*)" FROM cpu GROUP BY "^host"'],
      ['SELECT a.host FROM cpu a JOIN cpu b USING ("Host")', 'SELECT a.host FROM cpu AS a INNER JOIN cpu AS b USING ("^host")'],
      // An unknown name keeps its spelling, but a ^ in it is escaped: "^host" is not a way to reach Host.
      ['SELECT "^host" FROM cpu', 'SELECT "^^host" FROM cpu'],
      // A struct field is no known name: it keeps its spelling.
      ["SELECT s.Field, \"Host\" FROM cpu, (SELECT {'Field': 1} AS s)", 'SELECT s.Field, "^host" FROM cpu , (SELECT main.struct_pack(Field := 1) AS s)'],
    ];
    for (const [sql, expected] of rewrites) {
      const checked = await checkQuery(con, sql, DATABASE);
      assert.equal(checked.sql, expected, sql);
    }
    const checked = await checkQuery(con, 'SELECT "Host", max("Usage") FROM cpu GROUP BY 1', DATABASE);
    assert.deepEqual(['^host', 'max("^usage")', 'max("^time")', "concat('^a', \"^host\")"].map(checked.columnName), ['Host', 'max(Usage)', 'max("Time")', "concat('^a', Host)"]);
    const ambiguous: Array<[string, RegExp]> = [
      ['SELECT * FROM CPU', /table "CPU" is ambiguous/],
      ['SELECT USAGE FROM cpu', /name "USAGE" is ambiguous/],
      // A literal past a double's range: DuckDB serializes it as a bare Infinity it cannot read back.
      ['SELECT 1e3087 * 10', /out of the range of a 64-bit float \(it would be Infinity\)/],
      ['SELECT usage FROM cpu WHERE usage > -1e400', /out of the range of a 64-bit float \(it would be -Infinity\)/],
    ];
    for (const [sql, message] of ambiguous) await assert.rejects(checkQuery(con, sql, DATABASE), (err: unknown) => err instanceof QueryError && err.code === 'INVALID_QUERY' && message.test(err.message));
  } finally {
    con.closeSync();
    instance.closeSync();
  }
});
