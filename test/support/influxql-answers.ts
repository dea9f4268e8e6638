/** Helpers of the tests that compare InfluxQL answers given two ways (native and SQL paths). */
import assert from 'node:assert/strict';
import { runInfluxQL, type InfluxQLEnvironment } from '../../src/influxql/executor.js';

/** Every result of `q` on database `database`. */
export async function answerOf(env: InfluxQLEnvironment, q: string, database: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const r of runInfluxQL(env, q, { database })) out.push(r);
  return out;
}

/** Equal as JSON, but numbers that are not both safe integers compare to 1e-12 relative (sums taken in another order). */
export function assertClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof actual === 'number' && typeof expected === 'number' && !(Number.isSafeInteger(actual) && Number.isSafeInteger(expected))) {
    assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${path}: ${actual} ≠ ${expected}`);
    return;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    assert.equal(actual.length, expected.length, `${path}: length`);
    actual.forEach((a, i) => assertClose(a, expected[i], `${path}[${i}]`));
    return;
  }
  if (actual !== null && expected !== null && typeof actual === 'object' && typeof expected === 'object') {
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${path}: keys`);
    for (const k of Object.keys(actual)) assertClose((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  assert.deepEqual(actual, expected, path);
}
