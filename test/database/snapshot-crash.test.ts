/**
 * Crash points of the whole write → snapshot → cleanup cycle: the process dies at the k-th
 * mutation of the object store (each WAL put, each Parquet put, the catalog put, the manifest
 * put, each WAL delete), either before that operation takes effect or right after it. A restart
 * on what the store then holds must answer as an oracle does: every acknowledged write present,
 * an unacknowledged one all or nothing, no point counted twice — and stay so through one more
 * snapshot and restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceDatabase } from '../../src/database/database.js';
import { SimClock } from '../../src/effects/clock.js';
import { StoreIoError } from '../../src/objectstore/errors.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import type { ListOptions, ListPage, ObjectMeta, ObjectStore, PutMode } from '../../src/objectstore/types.js';
import { queryRows } from '../support/db-helpers.js';

type Mode = 'before' | 'after';

/** A store whose process "dies" at the k-th put or delete: that call and every later one fail. */
class CrashingStore implements ObjectStore {
  readonly description = 'crashing';
  mutations: string[] = [];
  crashed = false;
  private onCrash: () => void = () => undefined;
  readonly crash = new Promise<void>((resolve) => (this.onCrash = resolve));

  constructor(
    private readonly inner: ObjectStore,
    private readonly crashAt: number,
    private readonly mode: Mode,
  ) {}

  private async mutate(what: string, apply: () => Promise<void>): Promise<void> {
    if (this.crashed) throw new StoreIoError('the process is dead', false);
    this.mutations.push(what);
    if (this.mutations.length === this.crashAt) {
      if (this.mode === 'after') await apply();
      this.crashed = true;
      this.onCrash();
      throw new StoreIoError(`crash ${this.mode} ${what}`, false);
    }
    await apply();
  }

  private check(): void {
    if (this.crashed) throw new StoreIoError('the process is dead', false);
  }

  put(key: string, data: Uint8Array, mode: PutMode): Promise<void> {
    return this.mutate(`put ${kind(key)}`, () => this.inner.put(key, data, mode));
  }
  delete(key: string): Promise<void> {
    return this.mutate(`delete ${kind(key)}`, () => this.inner.delete(key));
  }
  async get(key: string): Promise<Uint8Array> {
    this.check();
    return this.inner.get(key);
  }
  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    this.check();
    return this.inner.getRange(key, start, end);
  }
  async head(key: string): Promise<ObjectMeta> {
    this.check();
    return this.inner.head(key);
  }
  async list(options: ListOptions): Promise<ListPage> {
    this.check();
    return this.inner.list(options);
  }
  async close(): Promise<void> {}
}

function kind(key: string): string {
  if (key.includes('/wal/')) return 'wal';
  if (key.endsWith('.parquet')) return 'parquet';
  if (key.includes('/catalog/')) return 'catalog';
  if (key.includes('/snapshots/')) return 'manifest';
  return key;
}

// The writes of the scenario: overlapping points across windows (gen1 = 1m), so files and buffer overlap.
const WRITES = [
  'cpu,host=a u=1i,v=1.5 0\ncpu,host=b u=2i 10\ncpu,host=a u=3i 70\nmem,host=a free=5u 0',
  'cpu,host=a v=2.5 0\ncpu,host=b u=20i,v=0.5 130\ncpu,host=c u=7i 70',
  'cpu,host=a u=100i 70\ncpu,host=b u=22i 10\nmem,host=a free=6u,ok=true 0',
  'cpu,host=a u=1000i 0\ncpu,host=d u=4i 200',
];
// After which write index a forced snapshot runs.
const SNAPSHOT_AFTER = new Set([1, 2]);

interface Step {
  write?: number;
  snapshot?: boolean;
}
const STEPS: Step[] = WRITES.flatMap((_, i): Step[] => (SNAPSHOT_AFTER.has(i) ? [{ write: i }, { snapshot: true }] : [{ write: i }]));

/** The oracle: points (table, tags, time) with fields merged in write order. */
function expectedRows(writes: readonly number[]): { cpu: string[]; mem: string[] } {
  const tables: Record<string, Map<string, Map<string, string>>> = { cpu: new Map(), mem: new Map() };
  for (const w of writes) {
    for (const line of WRITES[w]!.split('\n')) {
      const [series, fields, time] = line.split(' ') as [string, string, string];
      const [table, tag] = series.split(',') as [string, string];
      const key = `${tag}@${time}`;
      const point = tables[table]!.get(key) ?? new Map<string, string>();
      for (const f of fields.split(',')) {
        const [k, v] = f.split('=') as [string, string];
        point.set(k, v);
      }
      tables[table]!.set(key, point);
    }
  }
  const render = (table: string, columns: string[]) =>
    [...tables[table]!.entries()]
      .map(([key, fields]) => {
        const [tag, time] = key.split('@') as [string, string];
        const cells = columns.map((c) => {
          const v = fields.get(c);
          if (v === undefined) return `${c}=null`;
          if (v.endsWith('i') || v.endsWith('u')) return `${c}=${v.slice(0, -1)}n`;
          if (v === 'true' || v === 'false') return `${c}=${v}`;
          return `${c}=${Number(v)}`;
        });
        return { sort: `${tag.split('=')[1]!.padEnd(4)}${time.padStart(6, '0')}`, text: `host="${tag.split('=')[1]}" time=t${BigInt(time) * 1_000_000_000n} ${cells.join(' ')}` };
      })
      .sort((a, b) => (a.sort < b.sort ? -1 : 1))
      .map((r) => r.text);
  return { cpu: render('cpu', ['u', 'v']), mem: render('mem', ['free', 'ok']) };
}

async function actualRows(db: SluiceDatabase): Promise<{ cpu: string[]; mem: string[] }> {
  if (db.catalog.database('db') === undefined) return { cpu: [], mem: [] };
  const table = async (name: string, cols: string[]) => {
    const schema = db.catalog.database('db')!.tables.get(name);
    if (schema === undefined) return [];
    const select = cols.map((c) => (schema.columns.has(c) ? c : `NULL AS ${c}`)).join(', ');
    return queryRows(db, 'db', `SELECT host, time, ${select} FROM ${name} ORDER BY host, time`);
  };
  return { cpu: await table('cpu', ['u', 'v']), mem: await table('mem', ['free', 'ok']) };
}

const WAL = { gen1Duration: '1m', snapshottedWalFilesToKeep: 0, flushIntervalMs: 1000 } as const;

async function open(store: ObjectStore, clock: SimClock): Promise<SluiceDatabase> {
  return SluiceDatabase.open({ store, nodeId: 'n', clock, wal: WAL, startBackgroundFlush: false, skipStoreProbe: true });
}

/** Runs the scenario on `store` until it ends or the store crashes; returns the acknowledged writes. */
async function runScenario(store: CrashingStore, clock: SimClock): Promise<{ acked: number[]; inFlight: number | undefined }> {
  const acked: number[] = [];
  let db: SluiceDatabase;
  try {
    db = await open(store, clock);
  } catch {
    return { acked, inFlight: undefined };
  }
  const crashed = store.crash.then(() => 'crashed' as const);
  let inFlight: number | undefined;
  try {
    for (const step of STEPS) {
      if (step.write !== undefined) {
        inFlight = step.write;
        const write = db.writer.writeLp('db', Buffer.from(WRITES[step.write]!), { precision: 's' });
        write.catch(() => undefined);
        void db.wal.flushBuffer().catch(() => undefined);
        const outcome = await Promise.race([write.then(() => 'ok' as const, () => 'failed' as const), crashed]);
        if (outcome !== 'ok') return { acked, inFlight };
        acked.push(step.write);
        inFlight = undefined;
      } else {
        const snap = db.snapshotNow();
        snap.catch(() => undefined);
        const outcome = await Promise.race([snap.then(() => 'ok' as const, () => 'failed' as const), crashed]);
        if (outcome !== 'ok') return { acked, inFlight };
      }
    }
    return { acked, inFlight };
  } finally {
    await db.kill();
  }
}

test('snapshot crash points: a restart after a crash at every store mutation answers as the oracle, before and after one more snapshot', async () => {
  // A run without a crash counts the mutations and checks the scenario itself.
  const full = new CrashingStore(new MemoryObjectStore(), Number.MAX_SAFE_INTEGER, 'before');
  const fullRun = await runScenario(full, new SimClock());
  assert.deepEqual(fullRun.acked, [0, 1, 2, 3]);
  const kinds = new Set(full.mutations);
  for (const k of ['put wal', 'put parquet', 'put catalog', 'put manifest', 'delete wal']) assert.ok(kinds.has(k), `the scenario exercises ${k}`);
  const total = full.mutations.length;

  let points = 0;
  let indeterminatePresent = 0;
  for (const mode of ['before', 'after'] as const) {
    for (let k = 1; k <= total; k++) {
      const inner = new MemoryObjectStore();
      const store = new CrashingStore(inner, k, mode);
      const { acked, inFlight } = await runScenario(store, new SimClock());
      const label = `crash ${mode} mutation ${k}/${total} (${full.mutations[k - 1]}), acked ${JSON.stringify(acked)}`;
      const withAcked = expectedRows(acked);
      const withInFlight = inFlight === undefined ? undefined : expectedRows([...acked, inFlight]);
      const check = (actual: { cpu: string[]; mem: string[] }, when: string) => {
        const matches = (e: { cpu: string[]; mem: string[] } | undefined) => e !== undefined && JSON.stringify(e) === JSON.stringify(actual);
        if (matches(withAcked)) return false;
        if (matches(withInFlight)) return true;
        assert.deepEqual(actual, withAcked, `${label}, ${when}`);
        return false;
      };
      let db = await open(inner, new SimClock());
      try {
        if (check(await actualRows(db), 'after restart')) indeterminatePresent++;
        const again = await actualRows(db);
        await db.snapshotNow();
        assert.deepEqual(await actualRows(db), again, `${label}: one more snapshot changes nothing`);
        await db.close();
        db = await open(inner, new SimClock());
        assert.deepEqual(await actualRows(db), again, `${label}: nor a second restart`);
      } finally {
        await db.close();
      }
      points++;
    }
  }
  console.log(`# snapshot crash points: ${points} (${total} mutations × before/after); unacknowledged writes found whole: ${indeterminatePresent}`);
  assert.equal(points, 2 * total);
});
