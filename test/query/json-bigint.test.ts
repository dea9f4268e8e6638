import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonKeepingBigInts, stringifyJsonKeepingBigInts } from '../../src/query/engine.js';
import { tempDatabase } from '../support/db-helpers.js';

test('DuckDB AST JSON keeps 64-bit integers exact through parse and stringify, and strings untouched', () => {
  const text = '{"a":1700000000123456789,"b":[-9223372036854775808,18446744073709551615,1.5,-2e+300,12345],"s":"x:12345678901234567,\\"q\\" \\\\ \\u0000bigint:5","n":null}';
  const parsed = parseJsonKeepingBigInts(text) as { b: unknown[]; s: string };
  assert.equal(parsed.b[2], 1.5);
  assert.equal(parsed.s, 'x:12345678901234567,"q" \\ \u0000bigint:5');
  assert.equal(stringifyJsonKeepingBigInts(parsed), text);
});

test('whole floats keep their float form through parse and stringify (1e6 is a DOUBLE to DuckDB, not an integer)', async () => {
  const text = '{"a":1000000.0,"b":[1e6,-2.0,1.5,7,1E+21],"c":0.0}';
  assert.equal(stringifyJsonKeepingBigInts(parseJsonKeepingBigInts(text)), text);
  // Through the engine: a statement whose tree is rendered back (a name resolved, the dialect applied).
  const { db, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('d', Buffer.from('cpu,Host=a v=3i 1000'), { precision: 'ns', acceptPartial: false });
    assert.deepEqual((await db.query.query('d', 'SELECT "Host", v / 1e6 AS x, v * 2.0 AS y, now() IS NOT NULL AS z FROM cpu')).rows.map((r) => [r[0], r[1], Number(String(r[2]))]), [['a', 0.000003, 6]]);
  } finally {
    await cleanup();
  }
});
