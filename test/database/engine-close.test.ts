/**
 * Killing or closing a database while its SQL engine is busy — a snapshot writing Parquet, a
 * query scanning — must not crash the process: the engine closes its instance only once the
 * last connection is released (closing it under a running statement was a SIGSEGV).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/effects/rng.js';
import { tempDatabase } from '../support/db-helpers.js';

const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 32));
const ROUNDS = 60;

test(`a database killed while a snapshot and queries run: the process lives, every pending call settles (${ROUNDS} rounds)`, async () => {
  console.log(`# engine close seed=${SEED} (replay with SEED=${SEED})`);
  const rng = new SeededRng(SEED);
  const outcomes = { snapshotOk: 0, snapshotFailed: 0, queryOk: 0, queryFailed: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const env = await tempDatabase();
    const { db } = env;
    try {
      const lines = Array.from({ length: 3000 }, (_, k) => `cpu,host=h${k % 50} v=${k}i,u=${k * 1.5} ${1_000_000 + k}`).join('\n');
      await db.writer.writeLp('db', Buffer.from(lines), { precision: 's' });
      const snapshot = db.snapshotNow().then(
        () => outcomes.snapshotOk++,
        () => outcomes.snapshotFailed++,
      );
      const queries = Array.from({ length: 2 }, () =>
        db.query.query('db', 'SELECT host, count(*), sum(u) FROM cpu GROUP BY host').then(
          () => outcomes.queryOk++,
          () => outcomes.queryFailed++,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, rng.nextInt(8)));
      if (round % 3 !== 2) await db.kill();
      else await db.close().catch(() => undefined);
      await Promise.all([snapshot, ...queries]);
      await assert.rejects(db.query.query('db', 'SELECT 1'), 'a closed database answers no query');
    } finally {
      await env.store.close();
    }
  }
  console.log(`# engine close: ${ROUNDS} rounds, snapshots ${outcomes.snapshotOk} ok / ${outcomes.snapshotFailed} failed, queries ${outcomes.queryOk} ok / ${outcomes.queryFailed} failed`);
  assert.equal(outcomes.snapshotOk + outcomes.snapshotFailed, ROUNDS);
  assert.equal(outcomes.queryOk + outcomes.queryFailed, 2 * ROUNDS);
});
