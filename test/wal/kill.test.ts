import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import { RecordingNotifier, rowValues } from '../support/wal-helpers.js';
import { runChildUntilKilled } from '../support/kill-harness.js';

const CYCLES = Number(process.env.KILL_CYCLES ?? 20);
const WRITERS = 4;
const childScript = fileURLToPath(new URL('../support/wal-kill-child.ts', import.meta.url));

interface CycleLog {
  attempted: Set<number>;
  acked: Set<number>;
}

test(`a WAL killed with SIGKILL under ${WRITERS} concurrent writers loses and duplicates nothing acknowledged (${CYCLES} cycles)`, { timeout: 300_000 }, async () => {
  const seed = testSeed();
  console.log(`kill test seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-kill-'));
  const log: CycleLog = { attempted: new Set(), acked: new Set() };
  try {
    for (let run = 1; run <= CYCLES; run++) {
      const intervalMs = 2 + rng.nextInt(40);
      const killAfterMs = 50 + rng.nextInt(400);
      await runChildUntilKilled(childScript, [dir, String(WRITERS), String(run), String(intervalMs)], killAfterMs, log.attempted, log.acked);

      const store = await LocalObjectStore.open({ root: dir });
      const notifier = new RecordingNotifier();
      const wal = await openWal({ store, nodeId: 'kill-test', notifier, startBackgroundFlush: false, config: { snapshotSize: 1_000_000 } });
      await wal.shutdown();
      await store.close();

      // Every op wrote rows with values id*10 .. id*10 + (rows − 1); rows = 1 + (k % 5).
      const rowsById = new Map<number, number>();
      for (const v of rowValues(notifier.ops())) {
        const id = Number(v / 10n);
        rowsById.set(id, (rowsById.get(id) ?? 0) + 1);
      }
      const lost = [...log.acked].filter((id) => !rowsById.has(id));
      const unexpected = [...rowsById.keys()].filter((id) => !log.attempted.has(id));
      const wrongCount = [...rowsById].filter(([id, n]) => n !== 1 + ((id % 1_000_000) % 5));
      assert.deepEqual(lost, [], `run ${run}: acknowledged ops lost (seed ${seed})`);
      assert.deepEqual(unexpected, [], `run ${run}: ops present that were never attempted (seed ${seed})`);
      assert.deepEqual(wrongCount, [], `run ${run}: ops duplicated or partially present (seed ${seed})`);
    }
    console.log(`kill cycles: ${CYCLES}, ops attempted: ${log.attempted.size}, acknowledged: ${log.acked.size}, lost: 0, duplicated: 0`);
    assert.ok(log.acked.size > CYCLES, 'the writers made progress');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
