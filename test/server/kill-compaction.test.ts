/**
 * The real server process (`sluice serve`) SIGKILLed at seeded random times while HTTP writers
 * write points spread over the past hours — and write some of their points again with new
 * values — so that every snapshot (forced often by a small memory threshold) is followed by
 * compactions (cold margin 0); every other kill lands a few milliseconds after a compaction
 * started. After each restart every point is read back with SQL: none acknowledged lost, none
 * twice, none never attempted, and each with its last acknowledged value (or a later attempted
 * one whose answer the kill cut off). See docs/compaction.md.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { runSeeds } from '../support/regressions.js';
import { bundleCli, startServer, type ServerProcess } from '../support/kill-harness.js';

const CYCLES = Number(process.env.KILL_COMPACTION_CYCLES ?? 8);
const CYCLES_PER_SEED = 4;
const WRITERS = 3;
const HOUR_MS = 3_600_000;

let cli: string;
let removeBundle: () => Promise<void> = async () => undefined;
before(async () => {
  ({ path: cli, removeBundle } = await bundleCli());
});
after(() => removeBundle());

function serve(dir: string): Promise<ServerProcess> {
  return startServer(cli, ['--data-dir', dir, '--wal-flush-interval', '10ms', '--gen1-duration', '1m', '--snapshotted-wal-files-to-keep', '1', '--force-snapshot-mem-threshold', '8000', '--compaction-cold-margin', '0']);
}

/** Each value written to a point, in order, with what its request answered. */
type Attempt = { v: number; status: 'acked' | 'maybe' | 'refused' };

function count(log: string, msg: string): number {
  return log.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;
}

/** Checks the read-back rows against the attempts; returns how many points were checked. */
function check(points: Map<string, Attempt[]>, rows: Array<{ k: string; v: number }>, where: string): number {
  const seen = new Set<string>();
  for (const { k, v } of rows) {
    assert.ok(!seen.has(k), `${where}: point ${k} answered twice`);
    seen.add(k);
    const attempts = points.get(k);
    assert.ok(attempts !== undefined, `${where}: point ${k} was never written`);
    const lastAcked = attempts.map((a) => a.status).lastIndexOf('acked');
    const allowed = attempts.filter((a, i) => a.status !== 'refused' && i >= Math.max(lastAcked, 0)).map((a) => a.v);
    assert.ok(allowed.includes(v), `${where}: point ${k} answered ${v}, expected one of ${allowed.join(', ')} (attempts ${JSON.stringify(attempts)})`);
  }
  for (const [k, attempts] of points) if (attempts.some((a) => a.status === 'acked')) assert.ok(seen.has(k), `${where}: acknowledged point ${k} lost`);
  return rows.length;
}

async function readBack(server: ServerProcess, where: string): Promise<Array<{ k: string; v: number }>> {
  const res = await fetch(`${server.url}/api/v3/query_sql?db=crash&format=jsonl&q=${encodeURIComponent('SELECT k, v FROM cpu')}`);
  const text = await res.text();
  assert.equal(res.status, 200, `${where}: query failed: ${text}`);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { k: string; v: number });
}

interface Totals {
  cycles: number;
  killedInCompaction: number;
  compactions: number;
  requests: number;
  rowsChecked: number;
  rewrites: number;
}

async function crashRun(seed: number, totals: Totals): Promise<void> {
  const rng = new SeededRng(seed);
  const points = new Map<string, Attempt[]>();
  const timeOf = new Map<string, number>();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-kill-compaction-'));
  // Points over the six hours before the start: every snapshot adds files to hours already compacted.
  const baseMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 6 * HOUR_MS;
  let server = await serve(dir);
  let n = 0;
  try {
    for (let cycle = 1; cycle <= CYCLES_PER_SEED; cycle++) {
      let stopped = false;
      const writer = async (w: number): Promise<void> => {
        const mine: string[] = [];
        for (let r = 0; !stopped; r++) {
          const lines: string[] = [];
          const batch: Array<{ k: string; attempt: Attempt }> = [];
          for (let i = 1 + rng.nextInt(8); i > 0; i--) {
            const rewrite = mine.length > 0 && rng.nextInt(3) === 0;
            const k = rewrite ? mine[rng.nextInt(mine.length)]! : `s${seed}-c${cycle}-w${w}-${n++}`;
            if (batch.some((b) => b.k === k)) continue; // one value per point per request
            if (!rewrite) {
              mine.push(k);
              timeOf.set(k, baseMs + rng.nextInt(6 * HOUR_MS));
            } else totals.rewrites++;
            const attempt: Attempt = { v: rng.nextInt(1_000_000), status: 'maybe' };
            let list = points.get(k);
            if (list === undefined) points.set(k, (list = []));
            list.push(attempt);
            batch.push({ k, attempt });
            lines.push(`cpu,k=${k} v=${attempt.v}i ${timeOf.get(k)}`);
          }
          totals.requests++;
          try {
            const res = await fetch(`${server.url}/api/v3/write_lp?db=crash&precision=ms`, { method: 'POST', body: lines.join('\n') });
            await res.arrayBuffer();
            const status = res.status === 204 ? 'acked' : res.status >= 400 && res.status < 500 ? 'refused' : 'maybe';
            for (const b of batch) b.attempt.status = status;
          } catch (err) {
            if (!stopped) throw new Error(`cycle ${cycle}: a write failed while the server was up`, { cause: err });
          }
          await new Promise((res) => setTimeout(res, rng.nextInt(10)));
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      if (cycle % 2 === 0) {
        // Every other cycle: a few milliseconds after the next compaction starts (or a second at most).
        const startedBefore = count(server.log(), 'compaction started');
        const deadline = performance.now() + 1500;
        while (count(server.log(), 'compaction started') === startedBefore && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        await new Promise((r) => setTimeout(r, rng.nextInt(40)));
      } else {
        await new Promise((r) => setTimeout(r, 100 + rng.nextInt(600)));
      }
      stopped = true;
      const log = server.log();
      if (count(log, 'compaction started') > count(log, 'compaction committed') + count(log, 'compaction failed; tried again at the next round')) totals.killedInCompaction++;
      totals.compactions += count(log, 'compaction committed');
      server.child.kill('SIGKILL');
      await Promise.all(writers);
      const { signal } = await server.exited;
      assert.equal(signal, 'SIGKILL', `cycle ${cycle}: the server exited on its own: ${server.log().slice(-2000)}`);
      assert.equal(count(log, 'compaction failed; tried again at the next round'), 0, `cycle ${cycle}: a compaction failed: ${log.split('\n').filter((l) => l.includes('compaction failed')).join('\n')}`);

      server = await serve(dir);
      const where = `seed ${seed} cycle ${cycle} (replay with SEED=${seed})`;
      totals.rowsChecked += check(points, await readBack(server, where), where);
      totals.cycles++;
    }
    totals.compactions += count(server.log(), 'compaction committed');
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
    await rm(dir, { recursive: true, force: true });
  }
}

test(`the server SIGKILLed during snapshots and compactions answers every acknowledged point exactly once with its last value after a restart (${CYCLES} cycles)`, { timeout: 900_000 }, async () => {
  const seed = testSeed();
  console.log(`# process crash with compaction seed=${seed} (replay with SEED=${seed})`);
  const totals: Totals = { cycles: 0, killedInCompaction: 0, compactions: 0, requests: 0, rowsChecked: 0, rewrites: 0 };
  const started = performance.now();
  await runSeeds('process-crash-compaction', seed, Math.ceil(CYCLES / CYCLES_PER_SEED), (s) => crashRun(s, totals));
  console.log(
    `# process crash with compaction: ${totals.cycles} cycles, ${totals.compactions} compactions committed, ${totals.killedInCompaction} kills during a compaction, ${totals.requests} requests (${totals.rewrites} point rewrites), ` +
      `${totals.rowsChecked} rows read back and checked; lost 0, duplicated 0, unexpected 0, stale 0; ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  assert.ok(totals.compactions >= totals.cycles / 2, `compactions ran (${totals.compactions})`);
  assert.ok(totals.killedInCompaction >= 1, `some kills landed during a compaction (${totals.killedInCompaction})`);
});
