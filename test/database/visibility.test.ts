import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

test('no query gap: counts never drop while snapshots release buffered chunks under concurrent writes and queries', async () => {
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m' } });
  try {
    await db.writer.writeLp('db1', Buffer.from('m,host=first v=0i 0'), { precision: 's' });
    let acked = 1;
    let attempted = 1;
    let stop = false;
    const violations: string[] = [];
    let queries = 0;
    const reader = (async () => {
      while (!stop) {
        const before = acked;
        const [row] = await queryRows(db, 'db1', 'SELECT count(*) AS n FROM m');
        const n = Number(/n=(\d+)n/.exec(row ?? 'n=0n')![1]);
        const after = attempted;
        if (n < before || n > after) violations.push(`count ${n} outside [${before}, ${after}]`);
        queries++;
      }
    })();
    for (let batch = 0; batch < 30; batch++) {
      // 40 new points per batch spread over 4 gen1 windows, so every snapshot releases several chunks.
      const lines = Array.from({ length: 40 }, (_, j) => `m,host=h${j % 4} v=${batch}i ${batch * 40 + j + (j % 4) * 60}`);
      attempted += 40;
      await db.writer.writeLp('db1', Buffer.from(lines.join('\n')), { precision: 's' });
      acked += 40;
      if (batch % 5 === 4) await db.snapshotNow();
    }
    stop = true;
    await reader;
    assert.deepEqual(violations, []);
    assert.ok(queries >= 5, `the reader ran ${queries} queries`);
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT count(*) AS n FROM m'), ['n=1201n']);
    // Files the snapshots wrote (the background compactor may since have merged them).
    assert.ok(db.persister.stats.files >= 6, `snapshots wrote ${db.persister.stats.files} files`);
    // Chunks that left the buffer are no longer registered with the engine once queries are done.
    await db['mirrors'].idle();
    assert.equal(db['engine'].registeredCount(), db.buffer.getStats().chunks);
  } finally {
    await cleanup();
  }
});

test('columns added to a window already mirrored into the engine appear at once, null in older rows', async () => {
  const { db, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('db1', Buffer.from('m,host=a x=1i 10'), { precision: 's' });
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT * FROM m'), ['host="a" time=t10000000000 x=1n']);
    await db.writer.writeLp('db1', Buffer.from('m,host=b,dc=eu y="hi",x=2i 11'), { precision: 's' });
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT * FROM m ORDER BY time'), [
      'dc=null host="a" time=t10000000000 x=1n y=null',
      'dc="eu" host="b" time=t11000000000 x=2n y="hi"',
    ]);
    await db.snapshotNow();
    await db.writer.writeLp('db1', Buffer.from('m,host=a z=true 10'), { precision: 's' });
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT * FROM m ORDER BY time'), [
      'dc=null host="a" time=t10000000000 x=1n y=null z=true',
      'dc="eu" host="b" time=t11000000000 x=2n y="hi" z=null',
    ]);
  } finally {
    await cleanup();
  }
});

test('above its memory threshold the buffer forces a snapshot through the WAL, and every row stays queryable', async () => {
  const { db, cleanup } = await tempDatabase({ forceSnapshotBytes: 64 * 1024 });
  try {
    for (let batch = 0; batch < 20; batch++) {
      const lines = Array.from({ length: 200 }, (_, j) => `m,host=h${j} v=${batch}i,f=${j}.5 ${batch * 1000 + j}`);
      await db.writer.writeLp('db1', Buffer.from(lines.join('\n')), { precision: 's' });
    }
    await db.buffer.idle();
    assert.ok(db.buffer.getStats().forcedSnapshots >= 1, 'a snapshot was forced');
    assert.ok(db.persistedFiles.fileCount >= 1);
    assert.ok(db.buffer.getStats().bytes < 64 * 1024 * 4, `buffer shrank (${db.buffer.getStats().bytes} bytes)`);
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT count(*) AS n, sum(v) AS s FROM m'), [`n=4000n s=${200n * 190n}n`]);
  } finally {
    await cleanup();
  }
});

test('duplicate points inside one buffered chunk merge on their integer keys: strings, missing tags and nulls', async () => {
  const { db, cleanup } = await tempDatabase();
  try {
    const first = await db.writer.writeLp('db1', Buffer.from('m,a=x,b=y s="one",n=1i 5\nm,a=x s="two" 5\nm,b=z n=3i 5\nm,a=x,b=y n=2i 5\nm,a=x,b=y s="three" 6\nm,b=w s="w" 5'), { precision: 's' });
    assert.equal(first.invalidLines.length, 0);
    await db.writer.writeLp('db1', Buffer.from('m,a=x,b=y s="four" 5\nm,a=x n=9i 5'), { precision: 's' });
    const expected = [
      'a=null b="w" n=null s="w" time=t5000000000',
      'a=null b="z" n=3n s=null time=t5000000000',
      'a="x" b=null n=9n s="two" time=t5000000000',
      'a="x" b="y" n=2n s="four" time=t5000000000',
      'a="x" b="y" n=null s="three" time=t6000000000',
    ];
    const sql = 'SELECT a, b, n, s, time FROM m ORDER BY a NULLS FIRST, b NULLS FIRST, time';
    assert.deepEqual(await queryRows(db, 'db1', sql), expected);
    // A duplicate that arrives after the chunk was copied into the engine without any is merged too.
    await db.writer.writeLp('db1', Buffer.from('u,h=a,k=1 x=1i,y=1i 1\nu,h=a x=5i 1\nu,h=b,k=1 x=2i 2\nu x=0i 1'), { precision: 's' });
    const usql = 'SELECT h, k, x, y, time FROM u ORDER BY h NULLS FIRST, k NULLS FIRST, time';
    const before = ['h=null k=null x=0n y=null time=t1000000000', 'h="a" k=null x=5n y=null time=t1000000000', 'h="a" k="1" x=1n y=1n time=t1000000000', 'h="b" k="1" x=2n y=null time=t2000000000'];
    assert.deepEqual(await queryRows(db, 'db1', usql), before);
    await db.writer.writeLp('db1', Buffer.from('u,k=1,h=a y=9i 1\nu x=3i 1'), { precision: 's' });
    const after = ['h=null k=null x=3n y=null time=t1000000000', 'h="a" k=null x=5n y=null time=t1000000000', 'h="a" k="1" x=1n y=9n time=t1000000000', 'h="b" k="1" x=2n y=null time=t2000000000'];
    assert.deepEqual(await queryRows(db, 'db1', usql), after);
    await db.snapshotNow();
    assert.deepEqual(await queryRows(db, 'db1', sql), expected, 'the snapshot deduplicates the same way');
  } finally {
    await cleanup();
  }
});

test('time-range pruning skips files and chunks outside the range and answers exactly as an unpruned query (seeded ranges)', async () => {
  const { SeededRng, testSeed } = await import('../../src/effects/rng.js');
  const seed = testSeed();
  console.log(`# pruning test seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m' } });
  try {
    // Ten 1-minute windows; overwrites across snapshots so some windows hold a file and a chunk.
    for (let round = 0; round < 3; round++) {
      const lines = Array.from({ length: 120 }, (_, j) => `m,host=h${j % 3} v=${round * 1000 + j}i,r=${round}i ${j * 5}`);
      await db.writer.writeLp('db1', Buffer.from(lines.join('\n')), { precision: 's' });
      if (round < 2) await db.snapshotNow();
    }
    const iso = (s: number) => new Date(s * 1000).toISOString();
    await queryRows(db, 'db1', `SELECT count(*) FROM m WHERE time >= '${iso(0)}'`);
    assert.deepEqual(db.query.lastPruning, { files: 20, filesPruned: 0, chunks: 10, chunksPruned: 0 });
    await queryRows(db, 'db1', `SELECT count(*) FROM m WHERE time >= '${iso(130)}' AND time < '${iso(170)}'`);
    assert.deepEqual(db.query.lastPruning, { files: 2, filesPruned: 18, chunks: 1, chunksPruned: 9 }, 'only window 2 is read');
    assert.deepEqual(await queryRows(db, 'db1', "SELECT count(*) AS n FROM m WHERE time > CAST(now() AS TIMESTAMP) - INTERVAL '1 hour'"), ['n=0n']);
    assert.deepEqual(db.query.lastPruning, { files: 0, filesPruned: 20, chunks: 0, chunksPruned: 10 }, 'a lower bound from now() prunes');
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT count(*) AS n FROM m WHERE time < CAST(now() AS TIMESTAMP)'), ['n=120n']);
    assert.equal(db.query.lastPruning, undefined, 'an upper bound from now() never prunes');
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT count(*) AS n FROM m WHERE time >= make_timestamp_ns(v)'), ['n=119n']);
    assert.equal(db.query.lastPruning, undefined, 'a bound from a column never prunes');
    for (let i = 0; i < 40; i++) {
      const a = rng.nextInt(650) - 30;
      const b = a + rng.nextInt(200);
      const forms = [
        [`time >= '${iso(a)}' AND time <= '${iso(b)}'`, `(time >= '${iso(a)}' AND time <= '${iso(b)}') OR false`],
        [`time BETWEEN '${iso(a)}' AND '${iso(b)}' AND host <> 'h1'`, `(time BETWEEN '${iso(a)}' AND '${iso(b)}' OR false) AND host <> 'h1'`],
        [`'${iso(a)}' < time AND v > 5`, `('${iso(a)}' < time OR false) AND v > 5`],
        [`time = '${iso(a - (a % 5))}'`, `time = '${iso(a - (a % 5))}' OR false`],
        [`time >= make_timestamp_ns(${a}000000000) AND time < CAST('${iso(b)}' AS TIMESTAMP)`, `(time >= make_timestamp_ns(${a}000000000) OR false) AND (time < CAST('${iso(b)}' AS TIMESTAMP) OR false)`],
      ][i % 5]!;
      const pruned = await queryRows(db, 'db1', `SELECT host, time, v, r FROM m WHERE ${forms[0]} ORDER BY host, time`);
      assert.notEqual(db.query.lastPruning, undefined, `seed ${seed}: ${forms[0]} is pruned`);
      const full = await queryRows(db, 'db1', `SELECT host, time, v, r FROM m WHERE ${forms[1]} ORDER BY host, time`);
      assert.equal(db.query.lastPruning, undefined, `${forms[1]} is not pruned`);
      assert.deepEqual(pruned, full, `seed ${seed} (replay with SEED=${seed}): ${forms[0]}`);
    }
  } finally {
    await cleanup();
  }
});

test('a window of 150 000 rows spanning buffer segments answers exactly, in the buffer and in Parquet', async () => {
  const { db, cleanup } = await tempDatabase();
  try {
    let sumV = 0n;
    let countW = 0;
    let sumW = 0;
    for (let batch = 0; batch < 30; batch++) {
      const lines: string[] = [];
      for (let j = 0; j < 5000; j++) {
        const k = batch * 5000 + j;
        const fields = [`v=${k}i`];
        sumV += BigInt(k);
        // `w` appears only after the first 70 000 rows, and on every third row.
        if (k >= 70_000 && k % 3 === 0) {
          fields.push(`w=${k % 7}`);
          countW++;
          sumW += k % 7;
        }
        lines.push(`big,host=h${k % 13} ${fields.join(',')} ${1_000_000_000n + BigInt(k) * 1000n}`);
      }
      await db.writer.writeLp('db1', Buffer.from(lines.join('\n')), { precision: 'ns' });
    }
    const sql = "SELECT count(*) AS n, sum(v) AS sv, count(w) AS nw, sum(w) AS sw, count(DISTINCT host) AS hosts, max(time) AS t FROM big";
    const expected = [`n=150000n sv=${sumV}n nw=${countW}n sw=${sumW} hosts=13n t=t${1_000_000_000n + 149_999_000n}`];
    assert.deepEqual(await queryRows(db, 'db1', sql), expected);
    const probes = [69_999, 70_000, 70_001, 70_002, 131_071, 131_072, 149_999];
    assert.deepEqual(
      await queryRows(db, 'db1', `SELECT host, v, w FROM big WHERE v IN (${probes.join(', ')}) ORDER BY v`),
      probes.map((v) => `host="h${v % 13}" v=${v}n w=${v >= 70_000 && v % 3 === 0 ? String(v % 7) : 'null'}`),
    );
    await db.snapshotNow();
    assert.deepEqual(await queryRows(db, 'db1', sql), expected);
  } finally {
    await cleanup();
  }
});

test('a query brings up to date only the views of the tables it reads; the others catch up when read', async () => {
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m' } });
  try {
    await db.writer.writeLp('db1', Buffer.from('a v=1i 1\nb v=2i 1\nc v=3i 1'), { precision: 's' });
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT count(*) AS n FROM a'), ['n=1n']);
    assert.deepEqual(db.query.lastPrepared, ['a']);
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT 1 AS one'), ['one=1']);
    assert.deepEqual(db.query.lastPrepared, [], 'a query of no table prepares none');
    // b gains rows and a column while nothing reads it; c is a CTE's name here, not the table.
    await db.writer.writeLp('db1', Buffer.from('b v=4i,w=1.5 2\nb v=5i 3'), { precision: 's' });
    assert.deepEqual(await queryRows(db, 'db1', 'WITH c AS (SELECT * FROM a) SELECT count(*) AS n FROM c'), ['n=1n']);
    assert.deepEqual(db.query.lastPrepared, ['a']);
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT v, w FROM b ORDER BY time'), ['v=2n w=null', 'v=4n w=1.5', 'v=5n w=null']);
    assert.deepEqual(db.query.lastPrepared, ['b']);
    assert.deepEqual(await queryRows(db, 'db1', 'SELECT a.v AS x, c.v AS y FROM a JOIN c ON a.time = c.time'), ['x=1n y=3n']);
    assert.deepEqual(db.query.lastPrepared, ['a', 'c']);
  } finally {
    await cleanup();
  }
});

test('a pruned view left on a connection for the next query never shadows the table for any other query', async () => {
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m' } });
  try {
    const lines = Array.from({ length: 600 }, (_, j) => `m,host=h${j % 3} v=${j}i ${j}`);
    await db.writer.writeLp('db1', Buffer.from(lines.join('\n')), { precision: 's' });
    await db.snapshotNow();
    await db.writer.writeLp('db1', Buffer.from(lines.map((l, j) => l.replace(/ \d+$/, ` ${600 + j}`)).join('\n')), { precision: 's' });
    await db.writer.writeLp('db2', Buffer.from('m v=7i 1'), { precision: 's' });
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const window = `WHERE time >= '${iso(120)}' AND time < '${iso(180)}'`;
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(await queryRows(db, 'db1', `SELECT count(*) AS n FROM m ${window}`), ['n=60n']);
      assert.notEqual(db.query.lastPruning, undefined, 'pruned');
      assert.deepEqual(await queryRows(db, 'db1', `SELECT count(*) AS n FROM m ${window}`), ['n=60n'], 'the same range again (the view reused)');
      assert.deepEqual(await queryRows(db, 'db1', 'SELECT count(*) AS n FROM m'), ['n=1200n'], 'unpruned: the whole table');
      assert.deepEqual(await queryRows(db, 'db1', `SELECT count(*) AS n FROM m ${window}`), ['n=60n']);
      // A bound the engine evaluates reads the table itself: never the pruned view.
      assert.deepEqual(await queryRows(db, 'db1', "SELECT count(*) AS n FROM m WHERE time >= (SELECT min(time) FROM m) AND time < '2100-01-01'"), ['n=1200n']);
      assert.deepEqual(await queryRows(db, 'db1', `SELECT count(*) AS n FROM m WHERE time >= '${iso(900)}'`), ['n=300n'], 'another range');
      assert.deepEqual(await queryRows(db, 'db2', 'SELECT count(*) AS n, sum(v) AS s FROM m'), ['n=1n s=7n'], 'another database, same table name');
      assert.deepEqual(await queryRows(db, 'db1', 'SELECT count(*) AS n FROM m WHERE v >= 0'), ['n=1200n']);
    }
  } finally {
    await cleanup();
  }
});
