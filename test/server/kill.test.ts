/**
 * The real server process (`sluice serve`) killed with SIGKILL while 4 HTTP writers write and
 * forced snapshots run; after each restart, every acknowledged write is answered exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRng, testSeed } from '../../src/effects/rng.js';

const CYCLES = Number(process.env.SERVER_KILL_CYCLES ?? 6);
const WRITERS = 4;
const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function startServer(dir: string, flushMs: number): Promise<{ child: ChildProcess; url: string; exited: Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, 'serve', '--data-dir', dir, '--http-bind', '127.0.0.1:0', '--wal-flush-interval', `${flushMs}ms`, '--gen1-duration', '1m', '--snapshotted-wal-files-to-keep', '1', '--force-snapshot-mem-threshold', '300000', '--log-format', 'json'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    const exited = new Promise((r) => child.once('exit', r));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      const m = /"msg":"listening","address":"([^"]+)"/.exec(log);
      if (m !== null) resolve({ child, url: `http://${m[1]}`, exited });
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`server exited (${code}) before listening: ${log}`));
    });
  });
}

test(`the server killed with SIGKILL under ${WRITERS} HTTP writers answers every acknowledged write exactly once after a restart (${CYCLES} cycles)`, { timeout: 600_000 }, async () => {
  const seed = testSeed();
  console.log(`# server kill test seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-server-kill-'));
  const attempted = new Set<number>();
  const acked = new Set<number>();
  try {
    for (let run = 1; run <= CYCLES; run++) {
      const { child, url, exited } = await startServer(dir, 2 + rng.nextInt(30));
      let stop = false;
      const writer = async (w: number) => {
        for (let k = 0; !stop; k++) {
          const id = run * 1_000_000 + w * 100_000 + k;
          attempted.add(id);
          try {
            const res = await fetch(`${url}/api/v3/write_lp?db=kill&precision=s`, { method: 'POST', body: `k,w=${w} id=${id}i,v=${id * 2}i ${id}\nk,w=${w},half=1 id=${id}i ${id}` });
            if (res.status === 204) acked.add(id);
            else if (res.status !== 503) throw new Error(`unexpected status ${res.status}: ${await res.text()}`);
          } catch (err) {
            if (!stop) throw err;
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      await new Promise((r) => setTimeout(r, 200 + rng.nextInt(800)));
      stop = true;
      child.kill('SIGKILL');
      await Promise.allSettled(writers);
      await exited;

      const { child: again, url: url2, exited: againExited } = await startServer(dir, 10);
      try {
        const res = await fetch(`${url2}/api/v3/query_sql?db=kill&format=jsonl&q=${encodeURIComponent('SELECT id, v, half FROM k')}`);
        const lines = res.status === 404 ? [] : (await res.text()).trim().split('\n').filter((l) => l !== '');
        const count = new Map<number, number>();
        for (const line of lines) {
          const row = JSON.parse(line) as { id: number; v?: number; half?: string };
          count.set(row.id, (count.get(row.id) ?? 0) + 1);
          if (row.half === undefined) assert.equal(row.v, row.id * 2, `run ${run}: id ${row.id} (seed ${seed})`);
        }
        assert.deepEqual([...acked].filter((id) => !count.has(id)), [], `run ${run}: acknowledged writes lost (seed ${seed})`);
        assert.deepEqual([...count.keys()].filter((id) => !attempted.has(id)), [], `run ${run}: never attempted (seed ${seed})`);
        assert.deepEqual([...count].filter(([, n]) => n !== 2), [], `run ${run}: duplicated or half present (seed ${seed})`);
      } finally {
        again.kill('SIGKILL');
        await againExited;
      }
    }
    console.log(`# server kill cycles: ${CYCLES}, writes attempted: ${attempted.size}, acknowledged: ${acked.size}, lost: 0, duplicated: 0`);
    assert.ok(acked.size > CYCLES * 10, 'the writers made progress');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('SIGTERM stops the server gracefully: it answers in-flight writes, flushes no_sync writes, exits 0, and a restart has everything', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-server-term-'));
  try {
    const { child, url, exited } = await startServer(dir, 2000);
    for (let i = 0; i < 5; i++) {
      // A long flush interval: this write waits for the size trigger or the final flush.
      const res = await fetch(`${url}/api/v3/write_lp?db=t&precision=s&no_sync=true`, { method: 'POST', body: `m,h=h${i} v=${i}i ${i + 1}` });
      assert.equal(res.status, 204);
    }
    const pending = fetch(`${url}/api/v3/write_lp?db=t&precision=s`, { method: 'POST', body: 'm,h=last v=99i 100' });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    child.kill('SIGTERM');
    assert.equal((await pending).status, 204, 'the in-flight write is answered by the final flush');
    const code = await exited;
    assert.equal(code, 0);
    console.log(`# graceful stop took ${(performance.now() - t0).toFixed(0)} ms`);
    const { child: again, url: url2, exited: againExited } = await startServer(dir, 10);
    try {
      const res = await fetch(`${url2}/api/v3/query_sql?db=t&format=csv&q=${encodeURIComponent('SELECT h, v FROM m ORDER BY v')}`);
      assert.equal(await res.text(), 'h,v\nh0,0\nh1,1\nh2,2\nh3,3\nh4,4\nlast,99\n');
    } finally {
      again.kill('SIGKILL');
      await againExited;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
