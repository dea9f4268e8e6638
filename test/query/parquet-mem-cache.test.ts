/**
 * The rows of recently persisted Parquet files held in memory (src/persist/mem-cache.ts): a
 * snapshot keeps a clean chunk as its file's rows, a compaction whose output is the exact union
 * of its inputs carries them, and planned statements over those files are answered from them
 * (src/query/native.ts). Checked differentially on seeded random data (SEED=… replays): each
 * statement asked as written, answered from memory, must equal the same statement with its tag
 * equality doubled into an OR (which the engine answers by scanning the Parquet files) — after
 * the snapshot, after compaction, and after a restart (nothing held, until the files statements
 * read are read back into memory: src/query/mem-fill.ts). Files whose rows merged a
 * duplicate point are never held; the bound and deleted tables let rows go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { databaseEnvironment, type InfluxQLEnvironment } from '../../src/influxql/executor.js';
import { answerOf, assertClose } from '../support/influxql-answers.js';
import type { SluiceDatabase } from '../../src/database/database.js';
import { tempDatabase } from '../support/db-helpers.js';

const T0 = 1_700_000_000_000_000_000n;
const SECOND = 1_000_000_000n;
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

const answer = (env: InfluxQLEnvironment, q: string) => answerOf(env, q, 'n');

test('statements over held Parquet rows answer exactly as the Parquet scan: after the snapshot, after compaction, after a restart and the files read back', { timeout: 180_000 }, async () => {
  const seed = testSeed();
  console.log(`# parquet-mem-cache seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
  const options = { wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 }, compactionInBackground: false, compactionColdMarginMs: 0 } as const;
  const { db, open, cleanup } = await tempDatabase(options);
  let reopened: SluiceDatabase | undefined;
  try {
    const hosts = ['a', 'b', 'É', '😀'];
    const SPAN = 2 * 3600; // two hours of 1-minute windows: cold hours compact
    const lines: string[] = [];
    for (const host of hosts) {
      for (let s = 0; s < SPAN; s += 2 + rng.nextInt(8)) {
        const fields: string[] = [];
        if (rng.nextInt(8) > 0) fields.push(`v=${rng.nextInt(3) === 0 ? BigInt(rng.nextInt(1 << 30)) * BigInt(rng.nextInt(1 << 30)) : rng.nextInt(2000) - 1000}i`);
        if (rng.nextInt(4) > 0) fields.push(`f=${(rng.nextInt(2_000_000) - 1_000_000) / 7}`);
        if (rng.nextInt(2) > 0) fields.push(`s="${pick(['x', 'y'])}"`);
        if (fields.length === 0) fields.push('f=0.5');
        const region = rng.nextInt(5) === 0 ? '' : `,region=${pick(['eu', 'us'])}`;
        lines.push(`m,host=${host}${region} ${fields.join(',')} ${T0 + BigInt(s) * SECOND}`);
      }
    }
    await db.writer.writeLp('n', Buffer.from(lines.join('\n')), { precision: 'ns', acceptPartial: false });
    await db.snapshotNow();
    const memCache = db.persistedFiles.memCache!;
    assert.equal(db.buffer.getStats().rows, 0, 'everything persisted');
    assert.equal(memCache.stats.files, db.persistedFiles.fileCount, 'every clean chunk is held as its file');
    const shown = await db.query.query('n', 'SELECT count(*) FILTER (WHERE rows_in_memory) AS held, count(*) AS files FROM system.parquet_files');
    assert.deepEqual(shown.rows[0], [BigInt(memCache.stats.files), BigInt(db.persistedFiles.fileCount)], 'system.parquet_files shows the held files');

    const time = (s: number) => `'${new Date(Number((T0 + BigInt(s) * SECOND) / 1_000_000n)).toISOString()}'`;
    const aggregates = ['count(v)', 'sum(v)', 'mean(v)', 'min(v)', 'max(v)', 'spread(v)', 'count(f)', 'sum(f)', 'mean(f)', 'max(f)', 'count(s)'];
    const ask = async (target: SluiceDatabase, stage: string, N: number): Promise<number> => {
      const env = databaseEnvironment(target);
      let native = 0;
      for (let i = 0; i < N; i++) {
        const host = pick([...hosts, 'zz']);
        const from = rng.nextInt(SPAN - 600);
        const range = ` AND time >= ${time(from)} AND time < ${time(from + 60 + rng.nextInt(3000))}`;
        let asked: string;
        let hidden: string;
        if (rng.nextInt(3) === 0) {
          const filter = rng.nextInt(2) === 0 ? '' : ` AND v ${pick(['>', '<=', '<>'])} ${rng.nextInt(1000) - 500}`;
          asked = `SELECT ${pick(['*', 'v, f', 'f, region'])} FROM m WHERE host = '${host}'${filter}${range}`;
          hidden = asked.replace(`host = '${host}'`, `(host = '${host}' OR host = '${host}')`);
        } else {
          const calls = [...new Set(Array.from({ length: 1 + rng.nextInt(3) }, () => pick(aggregates)))];
          const groupBy = [`time(${pick(['1m', '5m', '17m'])})`, pick(['', 'region'])].filter((g) => g !== '').join(', ');
          asked = `SELECT ${calls.join(', ')} FROM m WHERE host = '${host}'${range} GROUP BY ${groupBy}`;
          hidden = asked.replace(`host = '${host}'`, `(host = '${host}' OR host = '${host}')`);
        }
        const before = target.query.nativeAnswers;
        const got = await answer(env, asked);
        if (target.query.nativeAnswers > before) native++;
        const want = await answer(env, hidden);
        try {
          assertClose(got, want, 'answer');
        } catch (err) {
          console.log(`# differs (SEED=${seed}, ${stage} #${i}): ${asked}\n# held: ${json(got)}\n# parquet: ${json(want)}`);
          throw err;
        }
      }
      console.log(`# ${stage}: ${N} statements, ${native} answered from held rows, all equal to the Parquet scan's`);
      return native;
    };

    const hitsBefore = memCache.stats.hits;
    assert.ok((await ask(db, 'after the snapshot', 60)) >= 40, 'most statements are answered from held rows');
    assert.ok(memCache.stats.hits > hitsBefore);

    const filesBefore = db.persistedFiles.fileCount;
    const compactions = await db.compactNow();
    assert.ok(compactions > 0 && db.persistedFiles.fileCount < filesBefore, `compaction merged files (${filesBefore} → ${db.persistedFiles.fileCount})`);
    assert.ok(memCache.stats.carried > 0, 'compaction outputs carry their inputs\' rows');
    assert.equal(memCache.stats.files, db.persistedFiles.fileCount, 'every file still held (the inputs shared no point)');
    assert.ok((await ask(db, 'after compaction', 60)) >= 40);

    await db.close();
    reopened = await open();
    const refilled = reopened.persistedFiles.memCache!;
    assert.equal(refilled.stats.files, 0, 'nothing is held at the start');
    // The first one-series statements scan Parquet and ask for their files to be read back.
    await ask(reopened, 'after a restart', 20);
    await reopened.query.memFiller!.idle();
    assert.ok(refilled.stats.filled > 0 && refilled.stats.files > 0, `files read back into memory (${refilled.stats.filled})`);
    assert.equal(reopened.query.memFiller!.stats.failed, 0);
    for (let round = 0; round < 3; round++) {
      await ask(reopened, `after a restart, round ${round}`, 30);
      await reopened.query.memFiller!.idle();
    }
    assert.ok((await ask(reopened, 'after a restart, files read back', 60)) >= 40, 'most statements are answered from rows read back');
    const held = await reopened.query.query('n', 'SELECT count(*) FILTER (WHERE rows_in_memory) AS held FROM system.parquet_files');
    assert.equal(held.rows[0]![0], BigInt(refilled.stats.files), 'system.parquet_files shows the files read back');
  } finally {
    await cleanup(...(reopened === undefined ? [] : [reopened]));
  }
});

test('a file whose rows merged a duplicate point is not held, nor a compaction that merged one; a deleted table and the bound let rows go', { timeout: 60_000 }, async () => {
  // Nothing read back from files here: what snapshots and compactions keep is the subject.
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 }, compactionInBackground: false, compactionColdMarginMs: 0, parquetMemCacheFill: false });
  try {
    const env = databaseEnvironment(db);
    const memCache = db.persistedFiles.memCache!;
    const write = (body: string) => db.writer.writeLp('n', Buffer.from(body), { precision: 'ns', acceptPartial: false });
    const q = `SELECT sum(v), count(v) FROM m WHERE host = 'a' AND time >= '2023-11-14T22:13:00Z' AND time < '2023-11-14T22:20:00Z' GROUP BY time(1m)`;
    const ask = async () => json(await answer(env, q));

    // A chunk holding one point twice: its file holds one row fewer, so it is not held.
    await write(`m,host=a v=1i ${T0}\nm,host=a v=2i ${T0 + SECOND}`);
    await write(`m,host=a v=10i ${T0}`);
    await db.snapshotNow();
    assert.equal(memCache.stats.files, 0, 'a file that merged a point is not held');
    let native = db.query.nativeAnswers;
    assert.match(await ask(), /\["1699999980000000000n","12n","2n"\]/);
    assert.equal(db.query.nativeAnswers, native, 'read from Parquet');

    // Two clean files of one window that share a point (a later write replaces v=2): each held,
    // but their compaction merges the point, so its output is not.
    await write(`m,host=a v=20i ${T0 + SECOND}\nm,host=a v=3i ${T0 + 2n * SECOND}`);
    await db.snapshotNow();
    assert.equal(memCache.stats.files, 1);
    native = db.query.nativeAnswers;
    assert.match(await ask(), /\["1699999980000000000n","33n","3n"\]/);
    assert.equal(db.query.nativeAnswers, native, 'two overlapping files: deduplicated by the engine');
    // A window an hour later makes the first hour cold.
    await write(`m,host=a v=7i ${T0 + 3700n * SECOND}`);
    await db.snapshotNow();
    assert.equal(memCache.stats.files, 2);
    assert.ok((await db.compactNow()) > 0);
    assert.equal(memCache.stats.carried, 0, 'a compaction that merged a point carries nothing');
    assert.equal(memCache.stats.files, 1, 'its inputs left');
    assert.match(await ask(), /\["1699999980000000000n","33n","3n"\]/);

    // The held file answers natively; deleting its table lets its rows go.
    const q2 = `SELECT sum(v) FROM m WHERE host = 'a' AND time >= '2023-11-14T23:13:00Z' AND time < '2023-11-14T23:20:00Z'`;
    native = db.query.nativeAnswers;
    assert.match(json(await answer(env, q2)), /"7n"/);
    assert.equal(db.query.nativeAnswers, native + 1, 'a held file is answered natively');
    await db.manage.deleteTable('n', 'm');
    await db.buffer.sweepFiles('test');
    assert.equal(memCache.stats.files, 0, 'a deleted table\'s rows are let go');
    assert.equal(memCache.stats.bytes, 0);
  } finally {
    await cleanup();
  }

  // The bound: of ten one-minute files, only the newest that fit are held.
  const small = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 }, compaction: false, parquetMemCacheBytes: 1 });
  try {
    const lines = Array.from({ length: 600 }, (_, s) => `m,host=a v=${s}i ${T0 + BigInt(s) * SECOND}`);
    await small.db.writer.writeLp('n', Buffer.from(lines.join('\n')), { precision: 'ns', acceptPartial: false });
    const sizes = small.db.buffer.allChunks().map((c) => c.byteSize());
    await small.db.snapshotNow();
    assert.equal(small.db.persistedFiles.memCache!.stats.files, 0, 'a bound smaller than any chunk holds nothing');
    assert.ok(sizes.length >= 10);
  } finally {
    await small.cleanup();
  }
  const BOUND = 5_000;
  const bounded = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 }, compaction: false, parquetMemCacheBytes: BOUND });
  try {
    const lines = Array.from({ length: 600 }, (_, s) => `m,host=a v=${s}i ${T0 + BigInt(s) * SECOND}`);
    await bounded.db.writer.writeLp('n', Buffer.from(lines.join('\n')), { precision: 'ns', acceptPartial: false });
    const sizes = bounded.db.buffer.allChunks().map((c) => c.byteSize());
    await bounded.db.snapshotNow();
    const memCache = bounded.db.persistedFiles.memCache!;
    console.log(`# bound ${BOUND} bytes, chunks of ${Math.min(...sizes)}–${Math.max(...sizes)} bytes: ${memCache.stats.files} held, ${memCache.stats.evicted} let go`);
    assert.ok(memCache.stats.bytes <= BOUND, `within the bound (${memCache.stats.bytes})`);
    assert.ok(memCache.stats.files >= 1 && memCache.stats.files < sizes.length && memCache.stats.evicted > 0, `some held, some let go (${memCache.stats.files} of ${sizes.length})`);
    const newest = [...bounded.db.persistedFiles.all()].sort((a, b) => (a.maxTimeNs < b.maxTimeNs ? 1 : -1));
    for (const [i, f] of newest.entries()) assert.equal(memCache.partsOf(f) !== undefined, i < memCache.stats.files, `file ${i} by age: the newest are held`);
  } finally {
    await bounded.cleanup();
  }
});

test('a file read back holds exactly its rows: one whose snapshot merged a duplicate point, and only while it is in the index', { timeout: 60_000 }, async () => {
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 }, compactionInBackground: false, compactionColdMarginMs: 0 });
  try {
    const env = databaseEnvironment(db);
    const memCache = db.persistedFiles.memCache!;
    const filler = db.query.memFiller!;
    const write = (body: string) => db.writer.writeLp('n', Buffer.from(body), { precision: 'ns', acceptPartial: false });
    const q = `SELECT sum(v), count(v), count(s) FROM m WHERE host = 'a' AND time >= '2023-11-14T22:13:00Z' AND time < '2023-11-14T22:20:00Z' GROUP BY time(1m)`;
    await write(`m,host=a v=1i,s="x" ${T0}\nm,host=a v=2i ${T0 + SECOND}\nm,host=b v=5i ${T0}`);
    await write(`m,host=a v=10i ${T0}`);
    await db.snapshotNow();
    assert.equal(memCache.stats.files, 0, 'the snapshot did not keep the chunk that merged a point');
    let native = db.query.nativeAnswers;
    const fromParquet = json(await answer(env, q));
    assert.match(fromParquet, /\["1699999980000000000n","12n","2n","1n"\]/);
    assert.equal(db.query.nativeAnswers, native, 'read from Parquet');
    await filler.idle();
    assert.equal(memCache.stats.filled, 1, 'the file was read back');
    native = db.query.nativeAnswers;
    assert.equal(json(await answer(env, q)), fromParquet, 'the same answer from the rows read back');
    assert.equal(db.query.nativeAnswers, native + 1, 'answered from memory');
    const shown = await db.query.query('n', 'SELECT row_count, rows_in_memory FROM system.parquet_files');
    assert.deepEqual(shown.rows, [[3n, true]]);

    // A file that left the index while it was read is not held: the filler asks the index
    // again, under the engine's lock, before it holds the rows (here the index says it left).
    const before = new Set(db.persistedFiles.all().map((f) => f.key));
    await write(`m2,host=a v=1i ${T0}`);
    await db.snapshotNow();
    const m2Files = db.persistedFiles.all().filter((f) => !before.has(f.key));
    assert.equal(m2Files.length, 1);
    memCache.forget(m2Files.map((f) => f.key));
    const options = (filler as unknown as { options: { isIndexed: (f: unknown) => boolean } }).options;
    const isIndexed = options.isIndexed;
    options.isIndexed = () => false;
    try {
      const q2 = `SELECT sum(v) FROM m2 WHERE host = 'a' AND time >= '2023-11-14T22:13:00Z' AND time < '2023-11-14T22:20:00Z'`;
      assert.match(json(await answer(env, q2)), /"1n"/);
      await filler.idle();
    } finally {
      options.isIndexed = isIndexed;
    }
    assert.equal(filler.stats.dropped, 1, 'read, then not held');
    assert.equal(memCache.partsOf(m2Files[0]!), undefined);
    assert.equal(filler.stats.failed, 0);
  } finally {
    await cleanup();
  }
});
