/**
 * The pieces the power-loss, I/O-error and broken-build suites share: a WAL or a database on a
 * LocalObjectStore over SimFs, requests whose lines carry unique keys, and recovery checked
 * with the AckChecker.
 */
import assert from 'node:assert/strict';
import { SimClock, type Clock } from '../../src/effects/clock.js';
import { SeededRng } from '../../src/effects/rng.js';
import { SimFs, type CrashState } from '../../src/effects/sim-fs.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import type { WalConfig } from '../../src/wal/config.js';
import { noopNotifier } from '../../src/wal/notifier.js';
import { SluiceDatabase, type OpenDatabaseOptions } from '../../src/database/database.js';
import { AckChecker, type AckReport } from '../support/ack-checker.js';
import { RecordingNotifier, rowValues, writeOp } from '../support/wal-helpers.js';
import { queryRows } from '../support/db-helpers.js';

export const ROOT = '/data';
/** The crashed process that held the writer lock is gone. */
export const isProcessAlive = (): boolean => false;

// ---- the WAL write path at seeded crash points ----------------------------------------------

/** What one seeded crash point checked. */
export interface WalCrashOutcome {
  acked: number;
  lines: number;
  fsCalls: number;
  syncRetries: number;
}

/**
 * One seeded crash point of the WAL write path: writers on a WAL over SimFs, death after a
 * seeded number of file-system calls, a power loss that keeps what `crashMode` says (default:
 * a seeded subset with tearing), then a fresh WAL on what is left. Throws (assertion) when an
 * acknowledged write is lost or duplicated, something never attempted appears, or the WAL does
 * not reopen.
 */
export async function walCrashPoint(seed: number, crashMode: 'random' | 'keepAll' | 'dropAll' = 'random'): Promise<WalCrashOutcome> {
  const rng = new SeededRng(seed);
  const sim = new SimFs();
  const store = await LocalObjectStore.open({ root: ROOT, fs: sim, rng, isProcessAlive });
  const config = { snapshotSize: 1_000_000 };
  // Flushes are started by the test at seeded moments (not by a timer), so a point costs no
  // simulated-clock rounds; writes still arrive while a flush is under way.
  const wal = await openWal({ store, nodeId: 'node', notifier: noopNotifier, clock: new SimClock(), rng, config, skipStoreProbe: true, startBackgroundFlush: false });
  const checker = new AckChecker(`power loss seed ${seed}`);
  let nextId = 1;
  sim.freezeAfter(1 + rng.nextInt(90));
  for (let step = 0; step < 400 && !sim.hasFrozen(); step++) {
    const writes = rng.nextInt(4);
    for (let i = 0; i < writes; i++) {
      const id = nextId++;
      const rows = 1 + rng.nextInt(4);
      const request = String(id);
      checker.attempt(request, Array.from({ length: rows }, (_, r) => String(id * 10 + r)));
      wal.writeOps([writeOp(BigInt(id), rows, id * 10)]).then(
        () => checker.ack(request),
        () => checker.indeterminate(request), // an error after buffering: may or may not be durable
      );
    }
    if (rng.nextInt(3) === 0) void wal.flushBuffer().catch(() => undefined);
    // SimFs settles through microtasks only: one macrotask turn lets every started call go on
    // until it needs more input (or the process froze).
    if (rng.nextInt(2) === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const fsCalls = sim.callCount();
  const syncRetries = sim.syncRetriesAfterFailure.length;

  sim.crash(rng, crashMode);
  const store2 = await LocalObjectStore.open({ root: ROOT, fs: sim, rng: new SeededRng(seed ^ 0x5bd1e995), isProcessAlive });
  const notifier = new RecordingNotifier();
  const wal2 = await openWal({ store: store2, nodeId: 'node', notifier, clock: new SimClock(), config, startBackgroundFlush: false, skipStoreProbe: true });
  const report = checker.check(rowValues(notifier.ops()).map(String));
  // The recovered WAL numbers its next file after what survived, and accepts writes.
  assert.equal(wal2.lastWalSequenceNumber(), notifier.files.at(-1)?.walFileNumber ?? 0, `seed ${seed}: next WAL number`);
  const more = wal2.writeOps([writeOp(0n, 1, 1)]);
  await wal2.flushBuffer();
  await more;
  await wal2.shutdown();
  return { acked: report.acked, lines: report.linesChecked, fsCalls, syncRetries };
}

// ---- a WAL for fault and quarantine scenarios -------------------------------------------------

/** Opens a WAL on `sim` (no background flush unless asked) with a recording notifier. */
export async function openSimWal(sim: SimFs, seed: number, config: Partial<WalConfig> = {}, clock = new SimClock(), startBackgroundFlush = false) {
  const store = await LocalObjectStore.open({ root: ROOT, fs: sim, rng: new SeededRng(seed), isProcessAlive });
  const notifier = new RecordingNotifier();
  const wal = await openWal({ store, nodeId: 'node', notifier, clock, rng: new SeededRng(seed + 1), config, startBackgroundFlush, skipStoreProbe: true });
  return { store, notifier, wal, clock };
}

// ---- a database on SimFs ------------------------------------------------------------------------

/** A request: one line-protocol body whose lines carry unique `id` tags. */
export interface Request {
  id: string;
  keys: string[];
  body: string;
  /** Recorded calls made when its acknowledgement was seen (undefined: never acknowledged). */
  ackedAtCall?: number;
}

let nextRequest = 0;

/** A request of `lines` lines of table `cpu`, 100 s apart from `timeS` (gen1 = 1 m: several Parquet files). */
export function request(lines: number, timeS: number): Request {
  const id = `r${nextRequest++}`;
  const keys = Array.from({ length: lines }, (_, i) => `${id}-${i}`);
  const body = keys.map((k, i) => `cpu,id=${k} v=${i}i ${timeS + i * 100}`).join('\n');
  return { id, keys, body };
}

/** A checker for `requests` where those acknowledged by `cut` are acked, the rest indeterminate. */
export function checkerAt(label: string, requests: readonly Request[], cut: number): AckChecker {
  const checker = new AckChecker(label);
  for (const r of requests) {
    checker.attempt(r.id, r.keys);
    if (r.ackedAtCall !== undefined && r.ackedAtCall <= cut) checker.ack(r.id);
    else checker.indeterminate(r.id);
  }
  return checker;
}

export const DB_WAL = { gen1Duration: '1m', snapshottedWalFilesToKeep: 0, flushIntervalMs: 1000 } as const;

/** A real SluiceDatabase on a LocalObjectStore over `sim` (Parquet is made by DuckDB in a real scratch dir). */
export async function openDb(sim: SimFs, seed: number, wal: Partial<WalConfig> = {}, clock: Clock = new SimClock(), startBackgroundFlush = false, extra: Partial<OpenDatabaseOptions> = {}): Promise<{ db: SluiceDatabase; store: LocalObjectStore }> {
  const store = await LocalObjectStore.open({ root: ROOT, fs: sim, rng: new SeededRng(seed), isProcessAlive });
  try {
    const db = await SluiceDatabase.open({ store, nodeId: 'n', clock, rng: new SeededRng(seed + 1), wal: { ...DB_WAL, ...wal }, startBackgroundFlush, skipStoreProbe: true, queryThreads: 1, ...extra });
    return { db, store };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

/** The `id` of every row the database answers with, one entry per row. */
export async function presentKeys(db: SluiceDatabase): Promise<string[]> {
  if (db.catalog.database('db')?.tables.has('cpu') !== true) return [];
  return (await queryRows(db, 'db', 'SELECT id FROM cpu')).map((row) => JSON.parse(row.slice('id='.length)) as string);
}

/** Opens a database on a crash state and checks it (and with `alsoCheck`, what else the episode needs); returns the report. */
export async function recoverDb(label: string, state: CrashState, requests: readonly Request[], alsoCheck?: (db: SluiceDatabase, store: LocalObjectStore, where: string) => Promise<void>): Promise<AckReport> {
  const where = `${label}: death after ${state.cut}/${state.calls} calls, disk kept ${state.outcome}`;
  let opened;
  try {
    opened = await openDb(state.fs, state.cut);
  } catch (err) {
    assert.fail(`${where}: the database does not open: ${(err as Error).stack}`);
  }
  const { db, store } = opened;
  try {
    const report = checkerAt(where, requests, state.cut).check(await presentKeys(db));
    await alsoCheck?.(db, store, where);
    return report;
  } finally {
    await db.close();
    await store.close();
  }
}

// ---- a lying disk tears the newest WAL file: quarantine ------------------------------------------

/** What {@link tornTailScenario} checked. */
export interface TornTailOutcome {
  quarantined: number;
  acked: number;
}

/**
 * A disk that does not honour fsync tears the newest WAL file (seeded: truncated at a 512-byte
 * boundary or its tail zeroed), twice, with a power loss in between. With quarantine on, the WAL
 * must open unaided each time, move the torn file aside, number new files above it, and keep
 * every acknowledged write that is not in a torn file. `checkNumbering` false leaves out the
 * direct check of the numbering, to show what reusing a number leads to.
 */
export async function tornTailScenario(seed: number, checkNumbering = true): Promise<TornTailOutcome> {
  const rng = new SeededRng(seed);
  const sim = new SimFs();
  const config = { quarantineCorruptFiles: true };
  const label = `torn tail seed ${seed}`;
  const fileOf = new Map<number, number>(); // value → WAL file number
  const torn = new Set<number>();
  let w = await openSimWal(sim, seed, config);
  let nextValue = 10;
  const writeOne = async (): Promise<void> => {
    const v = nextValue;
    nextValue += 10;
    const done = w.wal.writeOps([writeOp(BigInt(v), 1, v)]);
    await w.wal.flushBuffer();
    await done;
    fileOf.set(v, w.wal.lastWalSequenceNumber());
  };
  const tearNewest = async (): Promise<void> => {
    const names = [...sim.listFiles().keys()].filter((p) => /\/wal\/\d+\.wal$/.test(p));
    const newest = names.sort().at(-1)!;
    const seq = Number(newest.match(/(\d+)\.wal$/)![1]);
    const bytes = Buffer.from(await sim.readFile(newest));
    const damaged = rng.nextInt(2) === 0 ? bytes.subarray(0, Math.floor(rng.nextInt(bytes.length) / 512) * 512) : Buffer.concat([bytes.subarray(0, rng.nextInt(bytes.length)), Buffer.alloc(8)]);
    await w.store.put(newest.slice(`${ROOT}/`.length), damaged, 'overwrite');
    torn.add(seq);
  };
  const check = (values: bigint[], when: string): number => {
    const present = new Set(values.map(Number));
    let acked = 0;
    for (const [v, seq] of fileOf) {
      if (torn.has(seq)) continue; // in a torn file: quarantined with it, by design
      acked++;
      assert.ok(present.has(v), `${label} ${when}: acknowledged write ${v} (WAL file ${seq}) lost`);
    }
    assert.equal(values.length, present.size, `${label} ${when}: a write present twice`);
    return acked;
  };
  const reopen = async (when: string) => {
    try {
      return await openSimWal(sim, seed + nextValue, config);
    } catch (err) {
      assert.fail(`${label}: the WAL does not reopen ${when}: ${(err as Error).message}`);
    }
  };

  for (let i = 0, n = 1 + rng.nextInt(4); i < n; i++) await writeOne();
  await w.wal.shutdown();
  await tearNewest();
  w = await reopen('after the first tear');
  const quarantined = w.wal.getStats().replay!.quarantined.length;
  assert.equal(quarantined, 1, `${label}: the torn file is quarantined`);
  check(rowValues(w.notifier.ops()), 'after the first tear');
  await writeOne();
  const newest = w.wal.lastWalSequenceNumber();
  if (checkNumbering) assert.ok(newest > Math.max(...torn), `${label}: the next WAL file (${newest}) is numbered above the quarantined one (${Math.max(...torn)})`);
  await w.wal.shutdown();
  sim.crash(rng); // what was acknowledged is synced; the rest is seeded
  w = await reopen('after a power loss');
  check(rowValues(w.notifier.ops()), 'after a power loss');
  await w.wal.shutdown();
  await tearNewest(); // the file written after the quarantine
  w = await reopen('after the second tear');
  const acked = check(rowValues(w.notifier.ops()), 'after the second tear');
  await w.wal.shutdown();
  return { quarantined: quarantined + w.wal.getStats().replay!.quarantined.length, acked };
}
