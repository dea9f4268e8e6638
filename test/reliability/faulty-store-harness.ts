/**
 * The pieces the faulty-store, writers and broken-build suites share: WAL "processes" on a
 * FaultyObjectStore over one MemoryObjectStore, a notifier whose snapshots persist the rows they
 * own as create-only objects, request bookkeeping with the AckChecker, and a reader that
 * combines the persisted snapshots with a replay of the WAL above the last one.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Clock, SimClock } from '../../src/effects/clock.js';
import { SeededRng, type Rng } from '../../src/effects/rng.js';
import { AlreadyExistsError } from '../../src/objectstore/errors.js';
import { isTransientStoreError } from '../../src/objectstore/retry.js';
import { FaultyObjectStore, type FaultyObjectStoreOptions, type OpFaults } from '../../src/objectstore/faulty.js';
import type { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { listAll, type ObjectStore } from '../../src/objectstore/types.js';
import type { WalConfig } from '../../src/wal/config.js';
import type { SnapshotDetails, WalContents } from '../../src/wal/model.js';
import type { SnapshotStarted, WalFileNotifier, WalLogger } from '../../src/wal/notifier.js';
import { epochKey } from '../../src/wal/paths.js';
import { openWal, type ObjectStoreWal, type PersistedSnapshotMarker } from '../../src/wal/object-store-wal.js';
import { AckChecker } from '../support/ack-checker.js';
import { rowValues, writeOp } from '../support/wal-helpers.js';

const SNAPSHOT_DIGITS = 10;

/** `<node>/snapshots/<seq>.snap`: the model of a persisted snapshot (its rows, as keys). */
export function snapshotKey(nodeId: string, snapshotSequenceNumber: number): string {
  return `${nodeId}/snapshots/${String(snapshotSequenceNumber).padStart(SNAPSHOT_DIGITS, '0')}.snap`;
}

interface SnapshotDoc {
  snapshotSequenceNumber: number;
  lastWalSequenceNumber: number;
  keys: string[];
}

/** Calls `fn` until it does not throw a transient store error, backing off on the clock. */
async function retrying<T>(clock: Clock, rng: Rng, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientStoreError(err)) throw err;
      await clock.sleep(Math.round(Math.min(1000, 20 * 2 ** Math.min(attempt, 10)) * (0.5 + 0.5 * rng.nextFloat())));
    }
  }
}

/**
 * A notifier modelling the queryable buffer and the persister: it holds the row keys of every WAL
 * file it is given; a snapshot persists the held rows of the files it covers as one create-only
 * object (after re-checking the writer's fence, as the persister does before a commit). A
 * conflict on that object is resolved by reading it back: the same rows are the same snapshot
 * (an earlier attempt, or another writer re-running it from the same WAL files); other rows are
 * recorded in {@link conflicts}, which a suite asserts empty.
 */
export class SnapshotObjectNotifier implements WalFileNotifier {
  /** Row keys of the files applied and not yet persisted, by WAL file number (in file order). */
  private readonly held = new Map<number, string[]>();
  /** Set once the WAL has claimed its epoch: throws FencedError for a zombie. */
  fenceCheck: (() => Promise<void>) | undefined;
  readonly conflicts: string[] = [];
  snapshotsPersisted = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly nodeId: string,
    private readonly clock: Clock,
    private readonly rng: Rng,
  ) {}

  async notify(contents: WalContents): Promise<void> {
    this.hold(contents);
  }

  async notifyAndSnapshot(contents: WalContents, details: SnapshotDetails): Promise<SnapshotStarted> {
    this.hold(contents);
    const taken = new Map<number, string[]>();
    for (const [file, keys] of this.held) {
      if (file <= details.lastWalSequenceNumber) taken.set(file, keys);
    }
    for (const file of taken.keys()) this.held.delete(file);
    const persisted = this.persist(details, [...taken.values()].flat());
    // A failed snapshot gives its rows back, so the next one persists them.
    persisted.catch(() => {
      for (const [file, keys] of taken) this.held.set(file, keys);
    });
    return { persisted };
  }

  private hold(contents: WalContents): void {
    assert.ok(!this.held.has(contents.walFileNumber), `WAL file ${contents.walFileNumber} applied twice`);
    this.held.set(contents.walFileNumber, rowValues(contents.ops).map(String));
  }

  private async persist(details: SnapshotDetails, keys: string[]): Promise<void> {
    await this.fenceCheck?.();
    const doc: SnapshotDoc = { snapshotSequenceNumber: details.snapshotSequenceNumber, lastWalSequenceNumber: details.lastWalSequenceNumber, keys: [...keys].sort() };
    const body = Buffer.from(JSON.stringify(doc));
    const key = snapshotKey(this.nodeId, details.snapshotSequenceNumber);
    try {
      await retrying(this.clock, this.rng, () => this.store.put(key, body, 'create'));
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      const existing = Buffer.from(await retrying(this.clock, this.rng, () => this.store.get(key)));
      if (!existing.equals(body)) {
        this.conflicts.push(`${key}: found ${existing.toString().slice(0, 200)}, would write ${body.toString().slice(0, 200)}`);
        throw new Error(`snapshot ${details.snapshotSequenceNumber} already persisted with other rows`);
      }
    }
    this.snapshotsPersisted++;
  }
}

/** The newest persisted snapshot, read through `store` (transient errors propagate). */
export async function lastPersistedSnapshot(store: ObjectStore, nodeId: string): Promise<PersistedSnapshotMarker | undefined> {
  const objects = await listAll(store, `${nodeId}/snapshots/`);
  const newest = objects.at(-1);
  if (newest === undefined) return undefined;
  const doc = JSON.parse(Buffer.from(await store.get(newest.key)).toString()) as SnapshotDoc;
  return { snapshotSequenceNumber: doc.snapshotSequenceNumber, lastWalSequenceNumber: doc.lastWalSequenceNumber };
}

/** One writer process: its own connection to the store (with its own faults), WAL and notifier. */
export interface WalProcess {
  name: string;
  store: FaultyObjectStore;
  wal: ObjectStoreWal;
  notifier: SnapshotObjectNotifier;
  isCrashed: boolean;
  /** Requests sent to this process and not yet answered. */
  pending: number;
  /** When each acknowledgement of this process happened (simulated ms). */
  ackTimesMs: number[];
}

/** Everything one process needs to open. */
export interface ProcessSpec {
  name: string;
  mem: MemoryObjectStore;
  nodeId: string;
  clock: SimClock;
  seed: number;
  config: Partial<WalConfig>;
  storeOptions: Omit<FaultyObjectStoreOptions, 'rng' | 'clock'>;
  logger?: WalLogger;
  /**
   * Read the last persisted snapshot before openWal claims the epoch (as SluiceDatabase.open
   * does with its manifests) instead of after: the order that races another writer's cleanup.
   */
  isSnapshotReadBeforeClaim?: boolean;
}

/** An open failed after a newer writer had claimed the node id. */
export class SupersededOpenError extends Error {
  constructor(
    readonly epoch: bigint,
    cause: unknown,
  ) {
    super(`the open that claimed epoch ${epoch} was superseded by a newer writer and failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Why opens failed and were retried, by kind. */
export type OpenFailures = Map<string, number>;

/**
 * Opens a process: openWal (epoch claim, then the last persisted snapshot, replay, re-run
 * snapshots) through a faulty store. Like a supervisor restarting a server that failed
 * to start, an open failed by a transient store error is retried by a fresh process after a
 * pause. An open that failed after a newer writer claimed the node id throws
 * {@link SupersededOpenError}: it lost, as it should (its replay may be fenced, or meet files
 * the newer writer's cleanup removed). Anything else is thrown as it is.
 */
export async function openProcess(spec: ProcessSpec, failures: OpenFailures, maxAttempts = 50): Promise<WalProcess> {
  for (let attempt = 0; ; attempt++) {
    const store = new FaultyObjectStore(spec.mem, { ...spec.storeOptions, rng: new SeededRng(derivedSeed(spec.seed, attempt, 'store')), clock: spec.clock });
    // Put ids and epoch claim ids come from this Rng: two processes must never share a stream,
    // or each would take the other's WAL files and epoch claims for its own.
    const rng = new SeededRng(derivedSeed(spec.seed, attempt, 'wal'));
    const notifier = new SnapshotObjectNotifier(store, spec.nodeId, spec.clock, rng);
    let claimedEpoch: bigint | undefined;
    try {
      const lastSnapshotBeforeClaim = spec.isSnapshotReadBeforeClaim === true ? await retrying(spec.clock, rng, () => lastPersistedSnapshot(store, spec.nodeId)) : undefined;
      const wal = await openWal({
        store,
        nodeId: spec.nodeId,
        notifier,
        clock: spec.clock,
        rng,
        config: spec.config,
        ...(spec.logger === undefined ? {} : { logger: spec.logger }),
        // The probe names its object with crypto randomness, which would make traces differ
        // between runs of a seed; the probe has its own tests (test/objectstore/faulty.test.ts).
        skipStoreProbe: true,
        onEpochClaimed: (w) => {
          claimedEpoch = w.epoch();
          notifier.fenceCheck = () => w.checkFence();
        },
        ...(lastSnapshotBeforeClaim === undefined ? {} : { lastSnapshot: lastSnapshotBeforeClaim }),
        // Read after the epoch claim: see OpenWalOptions.loadLastSnapshot.
        ...(spec.isSnapshotReadBeforeClaim === true ? {} : { loadLastSnapshot: () => retrying(spec.clock, rng, () => lastPersistedSnapshot(store, spec.nodeId)) }),
      });
      return { name: spec.name, store, wal, notifier, isCrashed: false, pending: 0, ackTimesMs: [] };
    } catch (err) {
      store.crash(); // whatever the failed open left running never answers
      if (claimedEpoch !== undefined && (await spec.mem.head(epochKey(spec.nodeId, claimedEpoch + 1n)).then(() => true, () => false))) {
        throw new SupersededOpenError(claimedEpoch, err);
      }
      const kind = isTransientStoreError(err) ? 'transient store error' : undefined;
      if (kind === undefined || attempt + 1 >= maxAttempts) throw err;
      failures.set(kind, (failures.get(kind) ?? 0) + 1);
      await spec.clock.sleep(100);
    }
  }
}

/** A seed for one stream of one process, unrelated to every other (seed, attempt, purpose). */
function derivedSeed(seed: number, attempt: number, purpose: string): number {
  return createHash('sha256').update(`${seed}/${attempt}/${purpose}`).digest().readUInt32LE(0);
}

/** Runs the simulated clock until `promise` settles (at most `maxMs`); returns its value. */
export async function drive<T>(clock: SimClock, promise: Promise<T>, maxMs = 600_000): Promise<T> {
  let isSettled = false;
  const watched = promise.finally(() => {
    isSettled = true;
  });
  watched.catch(() => undefined);
  await clock.runUntilTrue(() => isSettled, maxMs);
  assert.ok(isSettled, `still waiting after ${maxMs} simulated ms`);
  return watched;
}

/** Requests with unique row keys, tracked by the AckChecker, and where each was sent. */
export class Requests {
  readonly checker: AckChecker;
  private nextRequest = 1;
  private nextValue = 1;
  refused = 0;
  failed = 0;

  constructor(label: string, private readonly clock: Clock) {
    this.checker = new AckChecker(label);
  }

  /** Sends a request of `rows` rows with data time `timeNs` to a process. */
  send(process: WalProcess, rows: number, timeNs: bigint): void {
    const id = String(this.nextRequest++);
    const base = this.nextValue;
    this.nextValue += rows;
    this.checker.attempt(id, Array.from({ length: rows }, (_, r) => String(base + r)));
    let done: Promise<void>;
    try {
      done = process.wal.enqueueOps([writeOp(timeNs, rows, base, 60_000_000_000n)]);
    } catch {
      this.checker.refuse(id); // thrown before buffering: nothing was written
      this.refused++;
      return;
    }
    process.pending++;
    done.then(
      () => {
        process.pending--;
        process.ackTimesMs.push(this.clock.nowMs());
        this.checker.ack(id);
      },
      () => {
        process.pending--;
        this.failed++;
        this.checker.indeterminate(id); // failed after buffering: may be durable
      },
    );
  }
}

/** Every row key a reader finds: the persisted snapshots' rows, then the WAL above the newest. */
export async function presentKeys(mem: MemoryObjectStore, nodeId: string, clock: SimClock): Promise<string[]> {
  const present: string[] = [];
  for (const o of await listAll(mem, `${nodeId}/snapshots/`)) {
    present.push(...(JSON.parse(Buffer.from(await mem.get(o.key)).toString()) as SnapshotDoc).keys);
  }
  const lastSnapshot = await lastPersistedSnapshot(mem, nodeId);
  const replayed: string[] = [];
  const reader: WalFileNotifier = {
    notify: async (c) => void replayed.push(...rowValues(c.ops).map(String)),
    notifyAndSnapshot: async (c) => {
      replayed.push(...rowValues(c.ops).map(String));
      return { persisted: Promise.resolve() };
    },
  };
  const wal = await drive(
    clock,
    openWal({
      store: mem,
      nodeId,
      notifier: reader,
      clock,
      fencing: false,
      skipStoreProbe: true,
      startBackgroundFlush: false,
      config: { snapshottedWalFilesToKeep: 1_000_000_000 }, // a reader deletes nothing
      ...(lastSnapshot === undefined ? {} : { lastSnapshot }),
    }),
  );
  await drive(clock, wal.shutdown());
  return [...present, ...replayed];
}

/** A digest of every object in the store (key and bytes), to compare two runs of a seed. */
export async function storeDigest(mem: MemoryObjectStore): Promise<string> {
  const hash = createHash('sha256');
  for (const o of await listAll(mem, '')) {
    hash.update(o.key);
    hash.update(await mem.get(o.key));
  }
  return hash.digest('hex');
}

/**
 * Seeded store faults: each seed gets its own mix, some calm, some harsh. List pages fail less
 * often than other calls (a replay lists every WAL file, and a failed page fails the open).
 */
export function randomStoreOptions(rng: Rng, maxLatencyMs: number): Omit<FaultyObjectStoreOptions, 'rng' | 'clock'> {
  const pick = (max: number): number => (rng.nextInt(4) === 0 ? 0 : rng.nextFloat() * max);
  const allOps: Partial<OpFaults> = {
    errorBeforeRate: pick(0.08),
    errorAfterRate: pick(0.08),
    conflictRate: pick(0.04),
    latencyRate: pick(0.4),
    minLatencyMs: 1,
    maxLatencyMs: 1 + rng.nextInt(maxLatencyMs),
  };
  return {
    allOps,
    faults: { list: { errorBeforeRate: pick(0.02), errorAfterRate: pick(0.02) } },
    listPageSize: 2 + rng.nextInt(9),
    listPageLatencyMs: rng.nextInt(40),
  };
}
