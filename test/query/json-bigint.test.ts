import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonKeepingBigInts, stringifyJsonKeepingBigInts } from '../../src/query/engine.js';

test('DuckDB AST JSON keeps 64-bit integers exact through parse and stringify, and strings untouched', () => {
  const text = '{"a":1700000000123456789,"b":[-9223372036854775808,18446744073709551615,1.5,-2e+300,12345],"s":"x:12345678901234567,\\"q\\" \\\\ \\u0000bigint:5","n":null}';
  const parsed = parseJsonKeepingBigInts(text) as { b: unknown[]; s: string };
  assert.equal(parsed.b[2], 1.5);
  assert.equal(parsed.s, 'x:12345678901234567,"q" \\ \u0000bigint:5');
  assert.equal(stringifyJsonKeepingBigInts(parsed), text);
});
