/**
 * The one function family that puts InfluxQL values and names into SQL: every value read back
 * through the engine is the value written (strings with quotes, NULs and any character; integers
 * at the ends of 64 bits; every float bit pattern, -0, NaN and the infinities), and names with
 * quotes reach exactly their column.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { sqlBoolean, sqlFloat, sqlIdent, sqlInteger, sqlString, sqlTimestampNs, sqlValue } from '../../src/influxql/sql-values.js';
import { tempDatabase } from '../support/db-helpers.js';

let env: Awaited<ReturnType<typeof tempDatabase>>;
before(async () => {
  env = await tempDatabase();
  await env.db.writer.writeLp('v', Buffer.from('m,t\\ a=x f=1i 1\nm,t\\ a=y f=2i 2'), { precision: 'ns' });
});
after(async () => {
  await env.cleanup();
});

async function readBack(literal: string): Promise<unknown> {
  const result = await env.db.query.query('v', `SELECT ${literal} AS x`);
  return result.rows[0]![0];
}

test('worked examples: each literal as written', () => {
  assert.equal(sqlIdent('usage'), '"usage"');
  assert.equal(sqlIdent('a"b'), '"a""b"');
  assert.equal(sqlString("it's"), "'it''s'");
  assert.equal(sqlString('a\0b'), "('a' || chr(0) || 'b')");
  assert.equal(sqlInteger(-5n), 'CAST(-5 AS BIGINT)');
  assert.equal(sqlFloat(1.5), "CAST('1.5' AS DOUBLE)");
  assert.equal(sqlFloat(Number.NaN), "CAST('nan' AS DOUBLE)");
  assert.equal(sqlBoolean(true), 'TRUE');
  assert.equal(sqlTimestampNs(1n), 'make_timestamp_ns(CAST(1 AS BIGINT))');
  assert.equal(sqlValue(null), 'NULL');
  assert.equal(sqlInteger(2n ** 64n - 1n), 'CAST(18446744073709551615 AS UBIGINT)');
  assert.throws(() => sqlInteger(2n ** 64n), RangeError);
});

test('strings come back from the engine exactly, whatever they hold', async () => {
  const seed = testSeed();
  console.log(`# seed ${seed}`);
  const rng = new SeededRng(seed);
  const alphabet = ["'", '"', '\\', '\0', '\n', ';', '--', '/*', 'é', '中', '😀', 'a', ' ', '$1', '?'];
  for (let i = 0; i < 200; i++) {
    let s = '';
    const n = rng.nextInt(12);
    for (let k = 0; k < n; k++) s += alphabet[rng.nextInt(alphabet.length)];
    assert.equal(await readBack(sqlString(s)), s, `SEED=${seed} ${JSON.stringify(s)}`);
  }
});

test('integers and floats come back from the engine exactly', async () => {
  const seed = testSeed();
  console.log(`# seed ${seed}`);
  const rng = new SeededRng(seed);
  for (const v of [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, 2n ** 64n - 1n, 1577836800000000000n]) assert.equal(await readBack(sqlInteger(v)), v);
  const floats = [0, -0, 1.5, -2.25, 5e-324, -5e-324, 1.7976931348623157e308, 1e21, 1e-7, 0.1, Number.NaN, Infinity, -Infinity];
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 2000; i++) {
    view.setUint32(0, rng.nextU32());
    view.setUint32(4, rng.nextU32());
    floats.push(view.getFloat64(0));
  }
  for (const f of floats) {
    const back = await readBack(sqlFloat(f));
    // The engine keeps no negative zero: -0 reads back as 0 (equal to it in every comparison).
    assert.ok(Object.is(back, f) || (Number.isNaN(f) && Number.isNaN(back)) || (f === 0 && back === 0), `SEED=${seed} ${f} came back as ${String(back)}`);
  }
  assert.equal(await readBack(sqlValue(true)), true);
  assert.equal(await readBack(`epoch_ns(${sqlTimestampNs(1577836800123456789n)})`), 1577836800123456789n);
});

test('a quoted name reaches exactly its column, spaces and quotes included', async () => {
  const result = await env.db.query.query('v', `SELECT ${sqlIdent('t a')} FROM ${sqlIdent('m')} WHERE ${sqlIdent('t a')} = ${sqlString('y')}`);
  assert.deepEqual(result.rows, [['y']]);
});
