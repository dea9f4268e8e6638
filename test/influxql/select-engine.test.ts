/**
 * How SELECT uses the SQL engine: the TSBS dashboard shapes are one SQL query each, aggregated
 * by the engine; time bounds reach the engine as constants, so it leaves out Parquet files
 * outside them; `$name` parameters are bound as values, never as SQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SelectStatement } from '../../src/influxql/ast.js';
import type { StatementContext } from '../../src/influxql/executor.js';
import { parseQuery } from '../../src/influxql/parser.js';
import type { Series } from '../../src/influxql/result.js';
import { runSelect } from '../../src/influxql/select.js';
import type { QueryEngine } from '../../src/query/engine.js';
import { exampleDatabase, plain, q, ref, bin, T0 } from './select-support.js';

type Env = Awaited<ReturnType<typeof exampleDatabase>>;

/** Runs `text` and returns its series and the SQL statements it sent to the engine. */
async function run(env: Env, text: string, params?: Record<string, string>): Promise<{ series: Series[]; sql: string[] }> {
  const sql: string[] = [];
  const engine = env.db.query;
  const counting = {
    timeoutMs: engine.timeoutMs,
    query: (db: string, text: string, p?: unknown, o?: unknown) => {
      sql.push(text);
      return engine.query(db, text, p as never, o as never);
    },
    stream: (db: string, text: string, p: unknown, sink: unknown, o?: unknown) => {
      sql.push(text);
      return engine.stream(db, text, p as never, sink as never, o as never);
    },
  } as unknown as QueryEngine;
  const nowNs = T0 + 240_000_000_000n;
  const ctx: StatementContext = { env: { catalog: env.db.catalog, query: counting, createDatabase: async () => undefined, nowNs: () => nowNs }, options: { database: 't', ...(params === undefined ? {} : { params }) }, nowNs };
  const statement = parseQuery(text, { nowNs }).statements[0] as SelectStatement;
  return { series: await runSelect(ctx, statement), sql };
}

test('the TSBS dashboard shapes are one SQL query each, grouped and aggregated by the engine', async () => {
  const env = await exampleDatabase();
  try {
    const shapes = [
      "SELECT max(v) FROM cpu WHERE host = 'a' AND time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
      "SELECT max(v), max(i) FROM cpu WHERE host = 'a' AND time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
      "SELECT mean(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1h), host",
      'SELECT last(*) FROM cpu GROUP BY host',
      "SELECT max(v) FROM cpu WHERE time < '2020-01-01T00:04:00Z' GROUP BY time(1m) ORDER BY time DESC LIMIT 5",
      "SELECT * FROM cpu WHERE v > 2.5 AND time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' AND host = 'a'",
    ];
    for (const text of shapes) {
      const { sql } = await run(env, text);
      assert.equal(sql.length, 1, text);
      if (!text.startsWith('SELECT *')) assert.match(sql[0]!, /GROUP BY/, text);
    }
    const { sql } = await run(env, 'SELECT last(*) FROM cpu GROUP BY host');
    assert.match(sql[0]!, /arg_max\("v", "time"\)/);
    // Raw values of one series: the engine applies LIMIT and OFFSET.
    const limited = await run(env, 'SELECT v FROM cpu ORDER BY time DESC LIMIT 2 OFFSET 1');
    assert.match(limited.sql[0]!, /ORDER BY "time" DESC.* LIMIT CAST\(3 AS BIGINT\)$/);
    assert.deepEqual(plain(limited.series)[0]!.values, [['2020-01-01T00:01:10Z', 8], ['2020-01-01T00:01:05Z', 4]]);
  } finally {
    await env.cleanup();
  }
});

test('a time range reaches the engine as constants: Parquet files outside it are left out', async () => {
  const env = await exampleDatabase('cpu,host=a v=1 1577836800000000000\ncpu,host=a v=2 1609459200000000000');
  try {
    await env.db.snapshotNow();
    const { series } = await run(env, "SELECT v FROM cpu WHERE time >= '2021-01-01T00:00:00Z'");
    assert.deepEqual(plain(series), [{ name: 'cpu', columns: ['time', 'v'], values: [['2021-01-01T00:00:00Z', 2]] }]);
    const pruning = env.db.query.lastPruning;
    assert.ok(pruning !== undefined && pruning.filesPruned >= 1 && pruning.files === 1, JSON.stringify(pruning));
  } finally {
    await env.cleanup();
  }
});

test('a $parameter is a value: quotes in it match a tag value with quotes, never change the SQL', async () => {
  const env = await exampleDatabase("cpu,host=it's v=1 1577836800000000000\ncpu,host=b v=2 1577836800000000000");
  try {
    const statement = q({ fields: [ref('v')], where: bin('=', ref('host'), { kind: 'param', name: 'h' }) });
    const ctxFor = (h: string): StatementContext => ({ env: { catalog: env.db.catalog, query: env.db.query, createDatabase: async () => undefined, nowNs: () => T0 }, options: { database: 't', params: { h } }, nowNs: T0 });
    assert.deepEqual(plain(await runSelect(ctxFor("it's"), statement)), [{ name: 'cpu', columns: ['time', 'v'], values: [['2020-01-01T00:00:00Z', 1]] }]);
    assert.deepEqual(plain(await runSelect(ctxFor("x' OR '1'='1"), statement)), []);
  } finally {
    await env.cleanup();
  }
});

test('sample(v, 2) answers two of the points, in time order', async () => {
  const env = await exampleDatabase();
  try {
    const { series } = await run(env, 'SELECT sample(v, 2) FROM cpu');
    const rows = plain(series)[0]!.values;
    const all = new Map([['2020-01-01T00:00:00Z', 1], ['2020-01-01T00:00:10Z', 2], ['2020-01-01T00:00:30Z', 3], ['2020-01-01T00:01:05Z', 4], ['2020-01-01T00:01:10Z', 8], ['2020-01-01T00:02:10Z', 5]]);
    assert.equal(rows.length, 2);
    for (const [t, v] of rows) assert.equal(all.get(t as string), v);
    assert.ok((rows[0]![0] as string) < (rows[1]![0] as string));
  } finally {
    await env.cleanup();
  }
});
