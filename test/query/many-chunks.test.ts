/**
 * A table spread over many small buffered chunks (writes over many gen1 windows, as a backfill
 * makes them) is read by one row-set scan of the chunks that need no deduplication, instead of
 * one relation per chunk (src/query/engine.ts, `manySmallChunks`). Checked differentially on
 * seeded random data (SEED=… replays): every statement answers the same before a snapshot (many
 * chunks, some with duplicate points, some overlapping files) and after it (the same rows, all
 * in Parquet files).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

const T0 = 1_700_000_000_000_000_000n;

test('many small chunks read by one scan answer as the same rows in Parquet: duplicates, files overlapping, every column type', { timeout: 120_000 }, async () => {
  const seed = testSeed();
  console.log(`# many chunks seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 }, compaction: false });
  try {
    const write = async (from: number, to: number) => {
      const lines: string[] = [];
      for (let i = 0; i < 400; i++) {
        // Seconds over the windows [from, to): many one-minute chunks; some points written twice.
        const t = (from + rng.nextInt((to - from) * 60)) * 1_000_000_000;
        const fields = [`v=${rng.nextInt(1000) - 500}i`];
        if (rng.nextInt(3) > 0) fields.push(`f=${rng.nextInt(10_000) / 16}`);
        if (rng.nextInt(4) === 0) fields.push(`s="${['x', 'y', 'é'][rng.nextInt(3)]}"`, `b=${rng.nextInt(2) === 0}`, `u=${rng.nextInt(100)}u`);
        lines.push(`m,host=h${rng.nextInt(5)}${rng.nextInt(4) === 0 ? '' : `,dc=d${rng.nextInt(2)}`} ${fields.join(',')} ${BigInt(t) + T0}`);
      }
      await db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 'ns', acceptPartial: false });
    };
    // Windows 0–39 go to Parquet first; then 30–89 buffered: ten windows overlap files.
    await write(0, 40);
    await db.snapshotNow();
    await write(30, 90);
    await write(60, 90); // chunks with points written twice
    const chunks = db.buffer.allChunks().length;
    assert.ok(chunks >= 30, `many chunks (${chunks})`);

    const statements = [
      'SELECT * FROM m ORDER BY host, dc, time',
      'SELECT count(*), count(f), count(s), sum(v), min(f), max(u) FROM m',
      'SELECT host, dc, count(*) AS n, sum(v) AS v, avg(f) AS f FROM m GROUP BY host, dc ORDER BY host, dc',
      "SELECT date_bin(INTERVAL '10 minutes', time) AS w, count(*) AS n, max(v) AS v FROM m GROUP BY 1 ORDER BY 1",
      "SELECT * FROM m WHERE time >= '2023-11-14T22:40:00Z' ORDER BY time, host, dc",
      "SELECT host, s, b FROM m WHERE s IS NOT NULL ORDER BY time, host, dc",
    ];
    const before: string[][] = [];
    for (const sql of statements) {
      before.push(await queryRows(db, 'db', sql));
      assert.ok((db.query.lastPruning?.chunks ?? 0) >= 16, `${sql}: read through the pruned relation (${JSON.stringify(db.query.lastPruning)})`);
    }
    assert.ok(before[0]!.length > 500, 'rows to compare');

    await db.snapshotNow();
    assert.equal(db.buffer.allChunks().length, 0);
    for (const [i, sql] of statements.entries()) assert.deepEqual(await queryRows(db, 'db', sql), before[i], `${sql}: the same from Parquet`);
    console.log(`# many chunks: ${chunks} chunks, ${statements.length} statements, ${before[0]!.length} rows, each equal from Parquet`);
  } finally {
    await cleanup();
  }
});
