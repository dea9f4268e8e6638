/**
 * The real server process (`sluice serve`) killed with SIGKILL at seeded random times while
 * HTTP writers write, a table and a database are written and deleted (with a write racing each
 * delete), and forced snapshots run (some cycles kill in the middle of one); after each restart
 * every row is read back with SQL and checked: no acknowledged line lost, none duplicated, none
 * never attempted, every unanswered request all or nothing; an acknowledged delete left nothing
 * of what it deleted (a racing write may have made a new object, holding its rows only), an
 * unanswered one left the object whole or gone, and nothing deleted ever comes back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { AckChecker } from '../support/ack-checker.js';
import { runSeeds } from '../support/regressions.js';
import { bundleCli, startServer, type ServerProcess } from '../support/kill-harness.js';

const CYCLES = Number(process.env.SERVER_KILL_CYCLES ?? 60);
/** Cycles on one data directory (one seed): a fresh directory keeps the data, and so each restart and read-back, small. */
const CYCLES_PER_SEED = 10;
const WRITERS = Number(process.env.SERVER_KILL_WRITERS ?? 4);
/** Buffered bytes that force a snapshot: small, so that snapshots run in most cycles. */
const FORCE_SNAPSHOT_BYTES = 20_000;
const TABLES = ['cpu', 'mem', 'disk'];

/** What is written to a table or database that is then deleted, within one cycle. */
interface Victim {
  /** `table`: table `victim` of database `crash`; `database`: database `vdb` (its table `m`). */
  kind: 'table' | 'database';
  /** Keys written before the delete, and those acknowledged. */
  keys: Set<string>;
  acked: Set<string>;
  /** Keys of the write sent together with the delete (before or after it: either is right). */
  raceKeys: Set<string>;
  /** `none`: no delete sent; `acked`: 200; `sent`: no answer (killed) or another status. */
  deleteState: 'none' | 'acked' | 'sent';
}

function newVictim(kind: Victim['kind']): Victim {
  return { kind, keys: new Set(), acked: new Set(), raceKeys: new Set(), deleteState: 'none' };
}

function victimTarget(v: Victim): { db: string; table: string; deletePath: string } {
  return v.kind === 'table' ? { db: 'crash', table: 'victim', deletePath: '/api/v3/configure/table?db=crash&table=victim' } : { db: 'vdb', table: 'm', deletePath: '/api/v3/configure/database?db=vdb' };
}

/** The keys of a victim after a restart, or undefined when its table (or database) is not there. */
async function victimKeys(server: ServerProcess, v: Victim, where: string): Promise<string[] | undefined> {
  const { db, table } = victimTarget(v);
  const res = await fetch(`${server.url}/api/v3/query_sql?db=${db}&format=jsonl&q=${encodeURIComponent(`SELECT key FROM ${table}`)}`);
  const text = await res.text();
  if (res.status === 404 && v.kind === 'database') return undefined;
  if (res.status === 400 && v.kind === 'table' && text.includes('victim')) return undefined;
  assert.equal(res.status, 200, `${where}: reading the ${v.kind} to delete failed: ${text}`);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { key: string }).key);
}

/**
 * Checks a victim after a restart: gone, or present with exactly one generation's rows — the
 * rows written before its delete (all acknowledged ones there; only if the delete was not
 * acknowledged) or a racing write's alone (a new object made after the delete). Returns whether
 * it is present.
 */
function checkVictim(v: Victim, present: string[] | undefined, where: string): boolean {
  const what = `${where}: the ${v.kind} to delete`;
  if (present === undefined) {
    if (v.deleteState === 'none') assert.equal(v.acked.size, 0, `${what} vanished without a delete, with ${v.acked.size} acknowledged rows`);
    return false;
  }
  assert.equal(new Set(present).size, present.length, `${what} holds a row twice`);
  const isNew = present.every((k) => v.raceKeys.has(k));
  if (isNew && v.deleteState !== 'none') return true; // only the racing write's rows: a new object
  for (const k of present) assert.ok(v.keys.has(k) || v.raceKeys.has(k), `${what} holds ${k}, never written to it in this generation: a deleted row came back`);
  assert.notEqual(v.deleteState, 'acked', `${what}: an acknowledged delete came back with ${present.length} rows`);
  for (const k of v.acked) assert.ok(present.includes(k), `${what} lost acknowledged row ${k}`);
  return true;
}

let cli: string;
let removeBundle: () => Promise<void> = async () => undefined;
before(async () => {
  ({ path: cli, removeBundle } = await bundleCli());
});
after(() => removeBundle());

function serve(dir: string, flushMs: number): Promise<ServerProcess> {
  return startServer(cli, ['--data-dir', dir, '--wal-flush-interval', `${flushMs}ms`, '--gen1-duration', '1m', '--snapshotted-wal-files-to-keep', '1', '--force-snapshot-mem-threshold', String(FORCE_SNAPSHOT_BYTES)]);
}

interface Totals {
  cycles: number;
  killedInSnapshot: number;
  snapshotsPersisted: number;
  requests: number;
  acked: number;
  refused: number;
  indeterminate: number;
  rowsChecked: number;
  deletesAcked: number;
  deletesUnanswered: number;
  statuses: Map<number, number>;
}

/** Expected content of a line: the writer (tag) and a checksum of its key (field v). */
interface LineSpec {
  w: number;
  v: number;
}

function checksum(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return h % 1_000_000_007;
}

async function readBack(server: ServerProcess, lines: Map<string, LineSpec>, where: string): Promise<string[]> {
  const sql = TABLES.map((t) => `SELECT key, w, v FROM ${t}`).join(' UNION ALL ');
  const res = await fetch(`${server.url}/api/v3/query_sql?db=crash&format=jsonl&q=${encodeURIComponent(sql)}`);
  const text = await res.text();
  assert.equal(res.status, 200, `${where}: query failed: ${text}`);
  const keys: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const row = JSON.parse(line) as { key: string; w: string; v: number };
    keys.push(row.key);
    const spec = lines.get(row.key);
    // A key never attempted is reported by the checker; a known key must come back intact.
    if (spec !== undefined) assert.deepEqual({ w: row.w, v: row.v }, { w: String(spec.w), v: spec.v }, `${where}: row ${row.key} came back altered`);
  }
  return keys;
}

/** One seed: CYCLES_PER_SEED kill-and-restart cycles on one fresh data directory. */
async function crashRun(seed: number, totals: Totals): Promise<void> {
  const rng = new SeededRng(seed);
  const checker = new AckChecker(`process crash seed ${seed}`);
  const lines = new Map<string, LineSpec>();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-server-kill-'));
  // Every line has its own millisecond, so no two lines share a series and time (which would dedupe).
  const baseMs = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  let lineNumber = 0;
  const lineOf = (key: string, w: number): string => {
    const v = checksum(key);
    lines.set(key, { w, v });
    return `${TABLES[rng.nextInt(TABLES.length)]},w=${w} key="${key}",v=${v}i ${baseMs + lineNumber++}`;
  };
  let server = await serve(dir, 2 + rng.nextInt(20));
  try {
    // Creates every table, so the read-back query never names a missing one.
    const setup = TABLES.map((t, i) => `${t},w=0 key="setup-${i}",v=${checksum(`setup-${i}`)}i ${baseMs + lineNumber++}`);
    TABLES.forEach((_, i) => lines.set(`setup-${i}`, { w: 0, v: checksum(`setup-${i}`) }));
    checker.attempt('setup', TABLES.map((_, i) => `setup-${i}`));
    const res = await fetch(`${server.url}/api/v3/write_lp?db=crash&precision=ms`, { method: 'POST', body: setup.join('\n') });
    assert.equal(res.status, 204, await res.text());
    checker.ack('setup');

    for (let cycle = 1; cycle <= CYCLES_PER_SEED; cycle++) {
      let stopped = false;
      const writer = async (w: number): Promise<void> => {
        for (let k = 0; !stopped; k++) {
          const id = `c${cycle}-w${w}-r${k}`;
          const count = 1 + rng.nextInt(rng.nextInt(5) === 0 ? 12 : 3);
          const keys = Array.from({ length: count }, (_, i) => `${id}-${i}`);
          const body = keys.map((key) => lineOf(key, w)).join('\n');
          checker.attempt(id, keys);
          totals.requests++;
          try {
            const res = await fetch(`${server.url}/api/v3/write_lp?db=crash&precision=ms`, { method: 'POST', body });
            await res.arrayBuffer();
            totals.statuses.set(res.status, (totals.statuses.get(res.status) ?? 0) + 1);
            if (res.status === 204) checker.ack(id);
            else if (res.status >= 400 && res.status < 500) checker.refuse(id);
            else checker.indeterminate(id);
          } catch (err) {
            checker.indeterminate(id);
            // Only the kill may cut a request off.
            if (!stopped) throw new Error(`cycle ${cycle}: request ${id} failed while the server was up`, { cause: err });
          }
          // A pause between requests keeps the data small, so that each restart and read-back is quick.
          await new Promise((r) => setTimeout(r, rng.nextInt(15)));
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w + 1));
      // Two cycles in three also write a table and a database and delete them, with a write racing each delete.
      const victims = rng.nextInt(3) === 0 ? [] : [newVictim('table'), newVictim('database')];
      const victimLine = (key: string, table: string) => `${table},w=9 key="${key}",v=${checksum(key)}i ${baseMs + lineNumber++}`;
      const deleter = async (v: Victim, order: number): Promise<void> => {
        const { db, table, deletePath } = victimTarget(v);
        const send = async (keys: string[]): Promise<number | undefined> => {
          try {
            const res = await fetch(`${server.url}/api/v3/write_lp?db=${db}&precision=ms`, { method: 'POST', body: keys.map((k) => victimLine(k, table)).join('\n') });
            await res.arrayBuffer();
            return res.status;
          } catch (err) {
            if (!stopped) throw new Error(`cycle ${cycle}: a write to the ${v.kind} to delete failed while the server was up`, { cause: err });
            return undefined;
          }
        };
        for (let r = 0; r < 2 + rng.nextInt(3) && !stopped; r++) {
          const keys = Array.from({ length: 1 + rng.nextInt(3) }, (_, i) => `v${order}-s${seed}-c${cycle}-r${r}-${i}`);
          for (const k of keys) v.keys.add(k);
          if ((await send(keys)) === 204) for (const k of keys) v.acked.add(k);
          await new Promise((res) => setTimeout(res, rng.nextInt(40)));
        }
        if (stopped) return;
        const raceKeys = [`v${order}-s${seed}-c${cycle}-race`];
        for (const k of raceKeys) v.raceKeys.add(k);
        v.deleteState = 'sent';
        const [deleted] = await Promise.all([
          fetch(`${server.url}${deletePath}`, { method: 'DELETE' }).then(
            async (res) => (await res.arrayBuffer(), res.status),
            (err: unknown) => {
              if (!stopped) throw new Error(`cycle ${cycle}: the delete failed while the server was up`, { cause: err });
              return undefined;
            },
          ),
          send(raceKeys),
        ]);
        if (deleted === 200) {
          v.deleteState = 'acked';
          totals.deletesAcked++;
        } else {
          assert.ok(deleted === undefined, `cycle ${cycle}: the delete of the ${v.kind} answered ${deleted}`);
          totals.deletesUnanswered++;
        }
      };
      const deleters = victims.map((v, i) => deleter(v, i));
      // A third of the cycles kill a few milliseconds after a snapshot starts; the rest at a
      // uniform time. Either way the time comes from the seed.
      if (rng.nextInt(3) === 0) {
        const delayMs = rng.nextInt(30);
        await Promise.race([server.nextSnapshotStart(), new Promise((r) => setTimeout(r, 700))]);
        await new Promise((r) => setTimeout(r, delayMs));
      } else {
        await new Promise((r) => setTimeout(r, 50 + rng.nextInt(450)));
      }
      stopped = true;
      if (server.isSnapshotInProgress) totals.killedInSnapshot++;
      server.child.kill('SIGKILL');
      await Promise.all([...writers, ...deleters]);
      const { signal } = await server.exited;
      assert.equal(signal, 'SIGKILL', `cycle ${cycle}: the server exited on its own: ${server.log().slice(-2000)}`);
      totals.snapshotsPersisted += server.snapshotsPersisted;

      server = await serve(dir, 2 + rng.nextInt(20));
      const present = await readBack(server, lines, `seed ${seed} cycle ${cycle}`);
      const report = checker.check(present, `cycle ${cycle} (replay with SEED=${seed})`);
      for (const v of victims) {
        const where = `seed ${seed} cycle ${cycle} (replay with SEED=${seed})`;
        if (checkVictim(v, await victimKeys(server, v, where), where)) {
          // Gone before the next cycle, so each cycle starts from nothing.
          const res = await fetch(`${server.url}${victimTarget(v).deletePath}`, { method: 'DELETE' });
          assert.equal(res.status, 200, `${where}: deleting the ${v.kind} after the check: ${await res.text()}`);
        }
      }
      totals.rowsChecked += present.length;
      if (cycle === CYCLES_PER_SEED) {
        totals.acked += report.acked;
        totals.refused += report.refused;
        totals.indeterminate += report.indeterminate;
      }
      totals.cycles++;
    }
    totals.snapshotsPersisted += server.snapshotsPersisted;
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
    await rm(dir, { recursive: true, force: true });
  }
}

test(`the server SIGKILLed at random times under ${WRITERS} HTTP writers and forced snapshots answers every acknowledged line exactly once after a restart (${CYCLES} cycles)`, { timeout: 900_000 }, async () => {
  const seed = testSeed();
  console.log(`# process crash seed=${seed} (replay with SEED=${seed})`);
  const totals: Totals = { cycles: 0, killedInSnapshot: 0, snapshotsPersisted: 0, requests: 0, acked: 0, refused: 0, indeterminate: 0, rowsChecked: 0, deletesAcked: 0, deletesUnanswered: 0, statuses: new Map() };
  const started = performance.now();
  const { regressions } = await runSeeds('process-crash', seed, Math.ceil(CYCLES / CYCLES_PER_SEED), (s) => crashRun(s, totals));
  const statuses = [...totals.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
  console.log(
    `# process crash: ${totals.cycles} cycles on ${totals.cycles / CYCLES_PER_SEED} seeds (${regressions} kept regression seeds replayed first), ${totals.killedInSnapshot} killed during a snapshot, ${totals.snapshotsPersisted} snapshots persisted, ` +
      `${totals.requests} requests (${totals.acked} acked, ${totals.indeterminate} indeterminate, ${totals.refused} refused; statuses ${statuses}), ` +
      `${totals.rowsChecked} rows read back and checked; lost 0, duplicated 0, unexpected 0, partial 0; ` +
      `${totals.deletesAcked} deletes acknowledged and ${totals.deletesUnanswered} cut off by the kill, none undone, nothing deleted back; ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  assert.ok(totals.acked > totals.cycles * 10, 'the writers made progress');
  assert.ok(totals.snapshotsPersisted >= totals.cycles / 5, `snapshots ran during the run (${totals.snapshotsPersisted} persisted)`);
  assert.ok(totals.killedInSnapshot >= Math.ceil(totals.cycles / 20), `some kills landed during a snapshot (${totals.killedInSnapshot})`);
  assert.ok(totals.deletesAcked >= totals.cycles / 4, `deletes were acknowledged before kills (${totals.deletesAcked})`);
});

test('SIGTERM stops the server gracefully: it answers in-flight writes, flushes no_sync writes, exits 0, and a restart has everything', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-server-term-'));
  try {
    const { child, url, exited } = await serve(dir, 2000);
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
    const { code } = await exited;
    assert.equal(code, 0);
    console.log(`# graceful stop took ${(performance.now() - t0).toFixed(0)} ms`);
    const { child: again, url: url2, exited: againExited } = await serve(dir, 10);
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
