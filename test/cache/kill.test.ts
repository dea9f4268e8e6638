/**
 * The caches across SIGKILLs: a child makes a last and a distinct cache and writes under several
 * writers until it is killed; after each restart the definitions are there, and — while nothing
 * was snapshotted, so WAL replay brings every row back — the caches are complete and answer
 * exactly what the equivalent SQL over the table answers (every acknowledged row counted). Then
 * with snapshots: the definitions still survive, the caches are no longer complete, and InfluxQL
 * reads the rows. SEED=… replays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceDatabase } from '../../src/database/database.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { runChildUntilKilled } from '../support/kill-harness.js';
import { queryRows } from '../support/db-helpers.js';

const CYCLES = Number(process.env.CACHE_KILL_CYCLES ?? 4);
const WRITERS = 3;
const childScript = fileURLToPath(new URL('../support/cache-kill-child.ts', import.meta.url));

test(`caches killed with SIGKILL: definitions survive, and replay rebuilds values equal to SQL over the rows (${CYCLES} cycles, then ${CYCLES} with snapshots)`, { timeout: 600_000 }, async () => {
  const seed = testSeed();
  console.log(`cache kill test SEED=${seed}`);
  const rng = new SeededRng(seed);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cache-kill-'));
  const attempted = new Set<number>();
  const acked = new Set<number>();
  let persistedRuns = 0;
  try {
    for (let run = 1; run <= 2 * CYCLES; run++) {
      const snapshots = run > CYCLES;
      const args = [dir, String(WRITERS), String(run), String(2 + rng.nextInt(20)), snapshots ? String(50 + rng.nextInt(200)) : '0'];
      await runChildUntilKilled(childScript, args, 300 + rng.nextInt(700), attempted, acked);
      const store = await LocalObjectStore.open({ root: dir });
      const db = await SluiceDatabase.open({ store, nodeId: 'kill', wal: { gen1Duration: '1m' } });
      try {
        const table = db.catalog.database('kill')?.tables.get('c');
        assert.ok(table !== undefined, `run ${run}: the table was acknowledged before READY (seed ${seed})`);
        assert.deepEqual([[...table.lastCaches.keys()], [...table.distinctCaches.keys()]], [['c_host_last_cache'], ['c_host_distinct_cache']], `run ${run} (seed ${seed})`);
        const ids = new Set((await db.query.query('kill', 'SELECT v FROM c')).rows.map((r) => Number(r[0])));
        assert.deepEqual([...acked].filter((id) => !ids.has(id)), [], `run ${run}: acknowledged rows lost (seed ${seed})`);
        const last = db.caches.lastCache(0, table.id, 'c_host_last_cache')!;
        const distinct = db.caches.distinctCache(0, table.id, 'c_host_distinct_cache')!;
        // Files persisted before this start: their rows are not replayed, the caches cannot be complete.
        const persistedAtStart = db.manifests.some((m) => m.files.length > 0);
        if (persistedAtStart) {
          persistedRuns++;
          assert.equal(last.isComplete || distinct.isComplete, false, `run ${run}: rows in Parquet were not replayed (seed ${seed})`);
        } else {
          // Every row replayed (a snapshot cut short by the kill may have persisted them again since: still complete).
          assert.equal(last.isComplete && distinct.isComplete, true, `run ${run}: every row was replayed (seed ${seed})`);
          assert.deepEqual(
            await queryRows(db, 'kill', "SELECT host, v, time FROM last_cache('c') ORDER BY host, time DESC"),
            await queryRows(db, 'kill', 'SELECT host, v, time FROM c QUALIFY row_number() OVER (PARTITION BY host ORDER BY time DESC) <= 2 ORDER BY host, time DESC'),
            `run ${run} (seed ${seed})`,
          );
          assert.deepEqual(await queryRows(db, 'kill', "SELECT * FROM distinct_cache('c')"), await queryRows(db, 'kill', 'SELECT DISTINCT host FROM c ORDER BY host'), `run ${run} (seed ${seed})`);
        }
      } finally {
        await db.close();
        await store.close();
      }
    }
    console.log(`# cache kill cycles: ${2 * CYCLES}, writes attempted: ${attempted.size}, acknowledged: ${acked.size}`);
    assert.ok(acked.size > CYCLES, 'the writers made progress');
    assert.ok(persistedRuns > 0, 'snapshots persisted rows before some start in the second half');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
