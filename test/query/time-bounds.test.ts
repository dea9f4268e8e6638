import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseJsonKeepingBigInts, type AstNode } from '../../src/query/ast.js';
import { constantTimeNs } from '../../src/query/engine.js';

test('constant time bounds are read without the engine exactly as the engine reads them; anything else is left to the engine', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    const exprOf = async (sql: string) => {
      const text = String((await con.runAndReadAll(`SELECT json_serialize_sql('SELECT ${sql.replaceAll("'", "''")}')`)).getRows()[0]![0]);
      return ((parseJsonKeepingBigInts(text) as { statements: Array<{ node: { select_list: AstNode[] } }> }).statements[0]!.node.select_list[0])!;
    };
    const engineNs = async (sql: string) => (await con.runAndReadAll(`SELECT epoch_ns(${sql})`)).getRows()[0]![0];
    for (const sql of ['make_timestamp_ns(CAST(1704067200000000000 AS BIGINT))', 'make_timestamp_ns(-5)', 'make_timestamp_ns(0)', 'make_timestamp_ns(4611686018427387903)', 'make_timestamp_ns(CAST(-4611686018427387903 AS BIGINT))', 'make_timestamp_ns(12)']) {
      assert.equal(constantTimeNs(await exprOf(sql)), await engineNs(sql), sql);
    }
    for (const sql of ['make_timestamp_ns(CAST(1.5 AS BIGINT))', 'make_timestamp_ns(9223372036854775808)', 'make_timestamp_ns(9223372036854775806)', 'make_timestamp_ns(-4611686018427387904)', 'make_timestamp_ns(1 + 2)', "'2024-01-01'::TIMESTAMP", 'make_timestamp_ns(TRY_CAST(1 AS BIGINT))', 'main.make_timestamp_ns(1)', 'make_timestamp_ns(NULL)', 'now()']) {
      assert.equal(constantTimeNs(await exprOf(sql)), undefined, sql);
    }
  } finally {
    con.closeSync();
    instance.closeSync();
  }
});
