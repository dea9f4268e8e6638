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

const CYCLES = Number(process.env.DB_KILL_CYCLES ?? 12);
const WRITERS = 4;
const childScript = fileURLToPath(new URL('../support/db-kill-child.ts', import.meta.url));

test(`a database killed with SIGKILL while writing and snapshotting answers every acknowledged write exactly once after a restart (${CYCLES} cycles)`, { timeout: 600_000 }, async () => {
  const seed = testSeed();
  console.log(`database kill test seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-db-kill-'));
  const attempted = new Set<number>();
  const acked = new Set<number>();
  let snapshotsSeen = 0;
  try {
    for (let run = 1; run <= CYCLES; run++) {
      const args = [dir, String(WRITERS), String(run), String(2 + rng.nextInt(30)), String(20 + rng.nextInt(200))];
      await runChildUntilKilled(childScript, args, 100 + rng.nextInt(700), attempted, acked);
      const store = await LocalObjectStore.open({ root: dir });
      const db = await SluiceDatabase.open({ store, nodeId: 'kill', wal: { gen1Duration: '1m' } });
      try {
        snapshotsSeen = db.manifests.length;
        if (db.catalog.database('kill') === undefined) {
          assert.equal(acked.size, 0, `run ${run}: acknowledged writes but no database (seed ${seed})`);
          continue;
        }
        const rows = (await db.query.query('kill', 'SELECT id, v, half FROM k')).rows;
        const lines = new Map<number, number>();
        for (const [id, v, half] of rows as Array<[bigint, bigint | null, string | null]>) {
          const n = Number(id);
          lines.set(n, (lines.get(n) ?? 0) + 1);
          if (half === null) assert.equal(v, id * 2n, `run ${run}: id ${n} has the wrong value (seed ${seed})`);
        }
        const lost = [...acked].filter((id) => !lines.has(id));
        const unexpected = [...lines.keys()].filter((id) => !attempted.has(id));
        const wrongCount = [...lines].filter(([, n]) => n !== 2);
        assert.deepEqual(lost, [], `run ${run}: acknowledged writes lost (seed ${seed})`);
        assert.deepEqual(unexpected, [], `run ${run}: writes present that were never attempted (seed ${seed})`);
        assert.deepEqual(wrongCount, [], `run ${run}: writes duplicated or half present (seed ${seed})`);
      } finally {
        await db.close();
        await store.close();
      }
    }
    console.log(`# database kill cycles: ${CYCLES}, writes attempted: ${attempted.size}, acknowledged: ${acked.size}, snapshots persisted: ${snapshotsSeen}, lost: 0, duplicated: 0`);
    assert.ok(acked.size > CYCLES, 'the writers made progress');
    assert.ok(snapshotsSeen > 0, 'snapshots ran');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
