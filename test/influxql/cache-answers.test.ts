/**
 * InfluxQL answered from the caches: SHOW TAG VALUES from a distinct cache and lastpoint from a
 * last cache give exactly what reading the rows gives (the same statements run with no caches in
 * the environment), on seeded random data (SEED=… replays) — and the caches step aside where they
 * cannot prove it: a WHERE clause, an entry expired, a row without a key, rows persisted before
 * the cache saw them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Caches } from '../../src/cache/caches.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { databaseEnvironment, runInfluxQL, type InfluxQLEnvironment } from '../../src/influxql/executor.js';
import type { SluiceDatabase } from '../../src/database/database.js';
import { tempDatabase } from '../support/db-helpers.js';

async function run(env: InfluxQLEnvironment, q: string): Promise<string> {
  const out: unknown[] = [];
  for await (const r of runInfluxQL(env, q, { database: 'db' })) out.push(r);
  return JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Counts the cache reads that answered (a cache's `stores()` / `rows()` are read only when it answers). */
function spy(caches: Caches): { last: number; distinct: number } {
  const counts = { last: 0, distinct: 0 };
  const lastOf = caches.lastCachesOf.bind(caches);
  caches.lastCachesOf = (dbId, tableId) =>
    lastOf(dbId, tableId).map((c) => {
      const stores = c.stores.bind(c);
      c.stores = () => (counts.last++, stores());
      return c;
    });
  const distinctOf = caches.distinctCachesOf.bind(caches);
  caches.distinctCachesOf = (dbId, tableId) =>
    distinctOf(dbId, tableId).map((c) => {
      const rows = c.rows.bind(c);
      c.rows = (nowNs, cutoffNs) => (counts.distinct++, rows(nowNs, cutoffNs));
      return c;
    });
  return counts;
}

function environments(db: SluiceDatabase): { cached: InfluxQLEnvironment; rows: InfluxQLEnvironment } {
  const cached = databaseEnvironment(db);
  const { caches: _caches, ...rows } = cached;
  return { cached, rows };
}

const STATEMENTS = [
  'SELECT * FROM cpu GROUP BY * ORDER BY time DESC LIMIT 1',
  'SELECT usage FROM cpu GROUP BY * ORDER BY time DESC LIMIT 1',
  'SELECT state, host FROM cpu GROUP BY host, region ORDER BY time DESC LIMIT 1',
  'SHOW TAG VALUES FROM cpu WITH KEY = host',
  'SHOW TAG VALUES WITH KEY IN (host, region)',
];

test('randomized: lastpoint and SHOW TAG VALUES from the caches equal the answers from the rows', async () => {
  const seed = testSeed();
  console.log(`SEED=${seed}`);
  const rng = new SeededRng(seed);
  const env = await tempDatabase();
  try {
    const { db } = env;
    const counts = spy(db.caches);
    await db.manage.createTable('db', 'cpu', ['host', 'region'], [{ name: 'usage', type: 'float64' }, { name: 'state', type: 'utf8' }]);
    await db.manage.createLastCache('db', 'cpu', { count: 1 + rng.nextInt(3) });
    await db.manage.createDistinctCache('db', 'cpu', { columns: ['region', 'host'] });
    const now = BigInt(Date.now()) * 1_000_000n;
    for (let b = 0; b < 4 + rng.nextInt(6); b++) {
      const lines: string[] = [];
      for (let i = 0; i < 1 + rng.nextInt(40); i++) {
        const fields: string[] = [];
        if (rng.nextInt(3) > 0) fields.push(`usage=${rng.nextInt(100)}`);
        if (rng.nextInt(3) === 0 || fields.length === 0) fields.push(`state="${['ok', 'bad'][rng.nextInt(2)]}"`);
        lines.push(`cpu,host=h${rng.nextInt(6)},region=${['us', 'eu'][rng.nextInt(2)]} ${fields.join(',')} ${now - BigInt(rng.nextInt(30)) * 1000n}`);
      }
      await db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 'ns' });
    }
    const { cached, rows } = environments(db);
    for (const q of STATEMENTS) assert.equal(await run(cached, q), await run(rows, q), `${q} SEED=${seed}`);
    assert.ok(counts.distinct >= 2, 'SHOW TAG VALUES read the distinct cache');
    // `SELECT usage` may need a row the cache pushed out; the other two lastpoints always answer from it.
    assert.ok(counts.last >= 2, 'lastpoint read the last cache');
  } finally {
    await env.cleanup();
  }
});

test('the caches step aside where they cannot prove the answer: a WHERE clause, a row without a key, rows persisted before they saw them', async () => {
  const env = await tempDatabase();
  const dbs: SluiceDatabase[] = [];
  try {
    let db = env.db;
    const now = BigInt(Date.now()) * 1_000_000n;
    const write = (lp: string) => db.writer.writeLp('db', Buffer.from(lp), { precision: 'ns' });
    await write(`cpu,host=a,region=us usage=1 ${now - 10n}`);
    // Made over rows already buffered (none persisted): complete.
    await db.manage.createLastCache('db', 'cpu', {});
    await db.manage.createDistinctCache('db', 'cpu', { columns: ['host'] });
    await write(`cpu,host=b,region=eu usage=2 ${now - 5n}`);
    let counts = spy(db.caches);
    let { cached, rows } = environments(db);
    for (const q of STATEMENTS) assert.equal(await run(cached, q), await run(rows, q), q);
    assert.deepEqual([counts.last > 0, counts.distinct > 0], [true, true]);

    // With a WHERE clause: the rows.
    counts.last = counts.distinct = 0;
    for (const q of [`SELECT * FROM cpu WHERE time > ${now - 7n} GROUP BY * ORDER BY time DESC LIMIT 1`, "SHOW TAG VALUES WITH KEY = host WHERE region = 'us'"]) assert.equal(await run(cached, q), await run(rows, q), q);
    assert.deepEqual([counts.last, counts.distinct], [0, 0]);

    // A row without the region tag: the last cache (keyed on host, region) no longer sees every series.
    await write(`cpu,host=c usage=3 ${now}`);
    for (const q of STATEMENTS) assert.equal(await run(cached, q), await run(rows, q), q);
    assert.equal(counts.last, 0);
    assert.equal(await run(cached, 'SELECT * FROM cpu GROUP BY * ORDER BY time DESC LIMIT 1'), await run(rows, 'SELECT * FROM cpu GROUP BY * ORDER BY time DESC LIMIT 1'));

    // Persisted, then restarted: the replay holds none of the rows, the caches are not complete.
    await db.snapshotNow();
    await db.close();
    db = await env.open();
    dbs.push(db);
    counts = spy(db.caches);
    ({ cached, rows } = environments(db));
    await write(`cpu,host=d,region=ap usage=4 ${now + 1n}`);
    for (const q of STATEMENTS) assert.equal(await run(cached, q), await run(rows, q), q);
    assert.ok(db.persistedFiles.fileCount > 0, 'the snapshot persisted the rows');
    assert.deepEqual([counts.last, counts.distinct], [0, 0]);
  } finally {
    await env.cleanup(...dbs);
  }
});
