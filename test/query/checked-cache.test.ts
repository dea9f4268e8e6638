/**
 * Checked statements are kept by text (src/query/checked-cache.ts): a repeated statement skips
 * the check, but never answers from a schema or a time that has passed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDatabase } from '../support/db-helpers.js';

test('a repeated statement is checked once; a schema change or a deleted table is seen at once; now() is never frozen', async () => {
  const { db, cleanup } = await tempDatabase();
  try {
    const write = (lp: string) => db.writer.writeLp('d', Buffer.from(lp), { precision: 'ns', acceptPartial: false });
    const columns = async (sql: string) => (await db.query.query('d', sql)).columns.map((c) => c.name);
    await write('cpu,host=a usage=1 1000');
    const before = db.query.checkedStatementStats;
    assert.deepEqual(await columns('SELECT * FROM cpu'), ['host', 'time', 'usage']);
    assert.deepEqual(await columns('SELECT * FROM cpu'), ['host', 'time', 'usage']);
    const after = db.query.checkedStatementStats;
    assert.equal(after.lookups - before.lookups, 2);
    assert.equal(after.hits - before.hits, 1, 'the second run was not checked again');
    // A new field: the same text reads it.
    await write('cpu,host=a usage=2,load=3i 2000');
    assert.deepEqual(await columns('SELECT * FROM cpu'), ['host', 'load', 'time', 'usage']);
    // A table whose name differs only in case is another table; the cached text still reads its own.
    await write('Cpu,Host=b usage=9 3000');
    assert.deepEqual((await db.query.query('d', 'SELECT count(*) FROM cpu')).rows, [[2n]]);
    assert.deepEqual(await columns('SELECT * FROM "Cpu"'), ['Host', 'time', 'usage']);
    // Deleted: the cached check does not keep it alive.
    await write('mem,host=a free=1i 1000');
    assert.deepEqual(await columns('SELECT * FROM mem'), ['free', 'host', 'time']);
    await db.manage.deleteTable('d', 'mem');
    await assert.rejects(db.query.query('d', 'SELECT * FROM mem'), /table "mem" not found in database "d"/);
    // now() is evaluated when the statement runs, not when it was checked.
    const recent = "SELECT count(*) FROM cpu WHERE time > now() - INTERVAL '1 second'";
    await write(`cpu,host=c usage=5 ${BigInt(Date.now()) * 1_000_000n}`);
    assert.deepEqual((await db.query.query('d', recent)).rows, [[1n]]);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    assert.deepEqual((await db.query.query('d', recent)).rows, [[0n]], 'a second later the point is no longer recent');
  } finally {
    await cleanup();
  }
});
