import type { Wal } from './wal.js';
import assert from 'node:assert/strict';
import type { Clock, TimerHandle } from '../effects/clock.js';
import { SystemClock } from '../effects/clock.js';
import type { Rng } from '../effects/rng.js';
import { SystemRng } from '../effects/rng.js';
import type { ObjectStore } from '../objectstore/types.js';
import { AlreadyExistsError, NotFoundError } from '../objectstore/errors.js';
import { probeConditionalPut } from '../objectstore/probe.js';
import { backoffMs, isPermanentStoreError, isTransientStoreError } from '../objectstore/retry.js';
import { testSwitches } from '../effects/test-switches.js';
import { EpochFence } from './fencing.js';
import { decodeWalFileHeader, encodeOp, encodeWalFile, type FileBufferHolder } from './codec.js';
import { resolveWalConfig, gen1DurationNs, type WalConfig } from './config.js';
import { BufferFullError, InvalidWalConfigError, WalShutdownError, WalStoppedError } from './errors.js';
import type { SnapshotDetails, WalContents, WalFileSequenceNumber, WalOp } from './model.js';
import { I64_MAX, I64_MIN } from './model.js';
import type { SnapshotStarted, WalFileNotifier, WalLogger } from './notifier.js';
import { silentLogger } from './notifier.js';
import { walFileKey } from './paths.js';
import { replayWal, type ReplayStats, type ReplayProgress } from './replay.js';
import { Semaphore, type SnapshotPermit } from './semaphore.js';
import { SnapshotTracker } from './snapshot-tracker.js';

/** What a flush that started a snapshot hands back; the caller must call `cleanupSnapshot`. */
export interface FlushResult {
  /** Settles when the snapshot is persisted. */
  snapshotDone: Promise<void>;
  details: SnapshotDetails;
  permit: SnapshotPermit;
}

/** The last snapshot the persistence layer committed: replay starts above its WAL file. */
export interface PersistedSnapshotMarker {
  snapshotSequenceNumber: number;
  lastWalSequenceNumber: WalFileSequenceNumber;
}

/** How a WAL is opened. */
export interface OpenWalOptions {
  store: ObjectStore;
  /** The writer's node id: the first segment of every key it writes (`[A-Za-z0-9_-]`, ≤ 64). */
  nodeId: string;
  /** Receives every durable WAL file (and replayed ones at open). */
  notifier: WalFileNotifier;
  config?: Partial<WalConfig>;
  clock?: Clock;
  rng?: Rng;
  logger?: WalLogger;
  /**
   * Claim a writer epoch for the node id at open and re-check it after every WAL put, before
   * acknowledging (see {@link EpochFence}). Default true; off only for tools that read a WAL.
   */
  fencing?: boolean;
  /** Called once the epoch is claimed, before replay (which may re-run snapshots). */
  onEpochClaimed?: (wal: ObjectStoreWal) => void;
  /** The last persisted snapshot, if any (from the snapshot manifests). */
  lastSnapshot?: PersistedSnapshotMarker;
  /**
   * Reads the last persisted snapshot after the epoch is claimed and before replay lists the
   * WAL (instead of `lastSnapshot`). Use it when another writer of the node id may still run:
   * a snapshot that writer commits before the claim is then seen, and its cleanup after a later
   * commit re-checks the epoch and deletes nothing. Read before the claim, a snapshot committed
   * in between is missed while its cleanup deletes the files above the one read, and replay —
   * seeing no gap at the tail — numbers new files over them.
   */
  loadLastSnapshot?: () => Promise<PersistedSnapshotMarker | undefined>;
  /** Start the background flusher (interval and size triggered). Default true. */
  startBackgroundFlush?: boolean;
  /**
   * Skip the conditional-put probe at open. Unsafe: a store that ignores create-only puts lets a
   * second writer overwrite acknowledged WAL files. Default false.
   */
  skipStoreProbe?: boolean;
  /** Called as replay makes progress. */
  onReplayProgress?: (progress: ReplayProgress) => void;
}

/** A store that can hold an exclusive writer lock per node id (the local store can). */
export interface WriterLockable {
  acquireLock(name: string): Promise<{ release(): Promise<void> }>;
}

function isWriterLockable(store: ObjectStore): store is ObjectStore & WriterLockable {
  return typeof (store as Partial<WriterLockable>).acquireLock === 'function';
}

/** The WAL's condition, for `/health` and metrics. */
export interface WalHealth {
  state: 'ok' | 'degraded' | 'stopped' | 'shutdown';
  /** Consecutive failed attempts of the current WAL put (0 when healthy). */
  consecutivePutFailures: number;
  /** While degraded, the last failed put's error; while stopped, why (a store's refusal names its code, status and key). */
  lastError?: string;
}

/** Counters before anything happened. */
export function emptyWalStats(): WalStats {
  return { flushCount: 0, flushBytes: 0, lastFlushLatencyMs: 0, putRetryCount: 0, bufferedOps: 0, bufferedBytes: 0, snapshotsStarted: 0, walFilesDeleted: 0, replay: undefined };
}

/** Counters a server exports as metrics. */
export interface WalStats {
  flushCount: number;
  flushBytes: number;
  lastFlushLatencyMs: number;
  putRetryCount: number;
  bufferedOps: number;
  bufferedBytes: number;
  snapshotsStarted: number;
  walFilesDeleted: number;
  replay: ReplayStats | undefined;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface WalBuffer {
  ops: WalOp[];
  encodedOps: Uint8Array[];
  bytes: number;
  waiters: Waiter[];
  minTimeNs: bigint;
  maxTimeNs: bigint;
  /** Time of a catalog op, used as the data time of a file with no rows. */
  catalogTimeNs: bigint | undefined;
}

function emptyBuffer(): WalBuffer {
  return { ops: [], encodedOps: [], bytes: 0, waiters: [], minTimeNs: I64_MAX, maxTimeNs: I64_MIN, catalogTimeNs: undefined };
}

/** Attempts to delete one snapshotted WAL file before cleanup leaves it for the next snapshot. */
const CLEANUP_DELETE_ATTEMPTS = 5;

const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks a node id: it becomes the first segment of every object key. */
export function validateNodeId(nodeId: string): void {
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new InvalidWalConfigError('nodeId', `must match ${String(NODE_ID_PATTERN)}, got ${JSON.stringify(nodeId)}`);
  }
}

/**
 * The write-ahead log on an object store (the seed's `WalObjectStore`): buffers ops, writes
 * each flush as one numbered, checksummed, create-only WAL file, notifies the buffer, then
 * acknowledges; decides snapshots and cleans up snapshotted files.
 *
 * All flushes — interval, size-triggered, explicit and forced — run one at a time through a
 * single queue, so files are written and notified strictly in sequence order.
 */
export class ObjectStoreWal implements Wal {
  private readonly store: ObjectStore;
  private readonly nodeId: string;
  private readonly config: WalConfig;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly logger: WalLogger;
  private fence: EpochFence | undefined;
  private readonly primaryNotifier: WalFileNotifier;
  private readonly addedNotifiers: WalFileNotifier[] = [];
  private tracker: SnapshotTracker;
  private readonly snapshotSemaphore = new Semaphore(1);

  private buffer: WalBuffer = emptyBuffer();
  /** Reused for every file this WAL assembles (flushes never overlap). */
  private readonly fileBuffer: FileBufferHolder = { buffer: undefined };
  private nextWalSeq: WalFileSequenceNumber;
  private oldestWalFile: WalFileSequenceNumber;
  private state: 'accepting' | 'shuttingDown' | 'shutdown' | 'stopped' = 'accepting';
  private stopError: WalStoppedError | undefined;

  /** Tail of the single flush queue. */
  private flushQueue: Promise<unknown> = Promise.resolve();
  private isSizeFlushQueued = false;
  private flushTimer: TimerHandle | undefined;
  private isBackgroundFlushRunning = false;
  private readonly backgroundSnapshots = new Set<Promise<void>>();

  private writerLock: { release(): Promise<void> } | undefined;
  private consecutivePutFailures = 0;
  private lastPutError: string | undefined;
  private readonly stats: WalStats = emptyWalStats();

  /** Use {@link openWal}, which replays before the WAL accepts writes. */
  constructor(options: OpenWalOptions & { nextWalSequenceNumber: number; oldestWalFile: number }) {
    validateNodeId(options.nodeId);
    this.store = options.store;
    this.nodeId = options.nodeId;
    this.config = resolveWalConfig(options.config);
    this.clock = options.clock ?? new SystemClock();
    this.rng = options.rng ?? new SystemRng();
    this.logger = options.logger ?? silentLogger;
    this.primaryNotifier = options.notifier;
    this.nextWalSeq = options.nextWalSequenceNumber;
    this.oldestWalFile = options.oldestWalFile;
    this.tracker = new SnapshotTracker(
      this.config.snapshotSize,
      gen1DurationNs(this.config.gen1Duration),
      options.lastSnapshot?.snapshotSequenceNumber ?? 0,
      this.nextWalSeq - 1,
    );
  }

  // ---- writing ------------------------------------------------------------------------------

  /**
   * Adds an op to the buffer and returns at once: the op is not yet durable (the `no_sync`
   * path). Throws BufferFullError, WalShutdownError, WalStoppedError or InvalidWalOpError.
   */
  bufferOpUnconfirmed(op: WalOp): void {
    this.bufferOps([op], undefined);
  }

  /** Adds ops to the buffer (all or none) without waiting for durability (`no_sync`). Throws like {@link bufferOpUnconfirmed}. */
  bufferOpsUnconfirmed(ops: readonly WalOp[], encoded?: readonly Uint8Array[]): void {
    this.bufferOps(ops, undefined, encoded);
  }

  /**
   * Adds ops to the buffer (all or none) and resolves once the WAL file holding them is durable
   * and every notifier applied it.
   */
  writeOps(ops: readonly WalOp[]): Promise<void> {
    try {
      return this.enqueueOps(ops);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Like {@link writeOps}, but a refusal (BufferFullError, shutdown, stop, a bad op) is thrown
   * synchronously, so a caller can undo what it did in the same tick; the promise then settles
   * once the ops are durable and applied.
   */
  enqueueOps(ops: readonly WalOp[], encoded?: readonly Uint8Array[]): Promise<void> {
    if (ops.length === 0) {
      this.checkAccepting();
      return Promise.resolve(); // nothing to make durable
    }
    let waiter!: Waiter;
    const done = new Promise<void>((resolve, reject) => {
      waiter = { resolve, reject };
    });
    this.bufferOps(ops, waiter, encoded);
    return done;
  }

  /** `preEncoded`: `encodeOp` of each op, when a write worker already did it. */
  private bufferOps(ops: readonly WalOp[], waiter: Waiter | undefined, preEncoded?: readonly Uint8Array[]): void {
    this.checkAccepting();
    assert(preEncoded === undefined || preEncoded.length === ops.length);
    const encoded: Uint8Array[] = new Array(ops.length);
    let bytes = 0;
    for (let i = 0; i < ops.length; i++) {
      const e = preEncoded?.[i] ?? encodeOp(ops[i]!);
      encoded[i] = e;
      bytes += e.length;
    }
    const buffer = this.buffer;
    if (buffer.ops.length + ops.length > this.config.maxWriteBufferSize) {
      throw new BufferFullError(buffer.ops.length, buffer.bytes, `limit of ${this.config.maxWriteBufferSize} ops`);
    }
    if (buffer.bytes + bytes > this.config.maxWriteBufferBytes) {
      throw new BufferFullError(buffer.ops.length, buffer.bytes, `limit of ${this.config.maxWriteBufferBytes} bytes`);
    }
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      buffer.ops.push(op);
      buffer.encodedOps.push(encoded[i]!);
      if (op.kind === 'write') {
        if (op.batch.minTimeNs < buffer.minTimeNs) buffer.minTimeNs = op.batch.minTimeNs;
        if (op.batch.maxTimeNs > buffer.maxTimeNs) buffer.maxTimeNs = op.batch.maxTimeNs;
      } else if (op.kind === 'noop') {
        if (op.timestampNs < buffer.minTimeNs) buffer.minTimeNs = op.timestampNs;
        if (op.timestampNs + 1n > buffer.maxTimeNs) buffer.maxTimeNs = op.timestampNs + 1n;
      } else if (buffer.catalogTimeNs === undefined) {
        buffer.catalogTimeNs = op.batch.timeNs;
      }
    }
    buffer.bytes += bytes;
    if (waiter !== undefined) buffer.waiters.push(waiter);
    this.stats.bufferedOps = buffer.ops.length;
    this.stats.bufferedBytes = buffer.bytes;
    if (buffer.bytes >= this.config.flushSizeBytes && this.isBackgroundFlushRunning) this.queueSizeFlush();
  }

  /** A method, not a field read, so TypeScript does not keep a narrowing across an await. */
  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private checkAccepting(): void {
    if (this.state === 'stopped') throw this.stopError!;
    if (this.state !== 'accepting') throw new WalShutdownError();
  }

  // ---- flushing -----------------------------------------------------------------------------

  /**
   * Writes the buffer as one WAL file (if it holds anything) and notifies. When the tracker
   * decides a snapshot, returns its completion, details and permit: the caller must then call
   * {@link cleanupSnapshot}.
   */
  flushBuffer(): Promise<FlushResult | undefined> {
    return this.enqueueFlush(false);
  }

  /** Like {@link flushBuffer}, but always writes a file and forces a snapshot of everything buffered. */
  forceFlushBuffer(): Promise<FlushResult | undefined> {
    return this.enqueueFlush(true);
  }

  /**
   * Forces a snapshot of everything buffered (memory pressure, an operator's request) through
   * the single flusher and waits until it is persisted and its WAL files are cleaned up.
   */
  async forceSnapshot(): Promise<void> {
    const result = await this.forceFlushBuffer();
    if (result === undefined) return;
    try {
      await result.snapshotDone;
    } catch (err) {
      result.permit.release();
      throw err;
    }
    await this.cleanupSnapshot(result.details, result.permit);
  }

  private enqueueFlush(force: boolean): Promise<FlushResult | undefined> {
    const run = this.flushQueue.then(() => this.flushOnce(force));
    this.flushQueue = run.catch(() => undefined);
    return run;
  }

  private queueSizeFlush(): void {
    if (this.isSizeFlushQueued) return;
    this.isSizeFlushQueued = true;
    const run = this.flushQueue.then(async () => {
      this.isSizeFlushQueued = false;
      this.adoptSnapshot(await this.flushOnce(false));
    });
    this.flushQueue = run.catch((err: unknown) => this.logger.error({ err }, 'size-triggered WAL flush failed'));
  }

  private async flushOnce(force: boolean): Promise<FlushResult | undefined> {
    if (this.state === 'stopped') {
      this.failBuffer(this.stopError!);
      return undefined;
    }
    let buffer = this.buffer;
    if (buffer.ops.length === 0 && !force) return undefined;
    const startMs = this.clock.monotonicMs();

    // A forced snapshot waits for a running one (one snapshot at a time); a regular flush
    // only snapshots when no snapshot is running, so ingest never waits on persistence.
    let permit: SnapshotPermit | undefined;
    if (force) {
      permit = await this.snapshotSemaphore.acquire();
      if (this.isStopped()) {
        // stopped while this flush waited for the running snapshot
        permit.release();
        this.failBuffer(this.stopError!);
        return undefined;
      }
    } else {
      permit = this.snapshotSemaphore.tryAcquire();
    }

    buffer = this.buffer;
    this.buffer = emptyBuffer();
    this.stats.bufferedOps = 0;
    this.stats.bufferedBytes = 0;
    if (buffer.ops.length === 0) {
      assert(force);
      const nowNs = this.clock.nowNs();
      const noop: WalOp = { kind: 'noop', timestampNs: nowNs };
      buffer.ops.push(noop);
      buffer.encodedOps.push(encodeOp(noop));
      buffer.minTimeNs = nowNs;
      buffer.maxTimeNs = nowNs + 1n;
    }
    if (buffer.minTimeNs > buffer.maxTimeNs) {
      // Only catalog ops: use their time as the file's data time.
      const t = buffer.catalogTimeNs ?? this.clock.nowNs();
      buffer.minTimeNs = t;
      buffer.maxTimeNs = t;
    }

    const seq = this.nextWalSeq;
    // The period is added before the put: the file is retried until it exists or the WAL stops,
    // so its number is never skipped or reused.
    this.tracker.addWalPeriod({ walFileNumber: seq, minTimeNs: buffer.minTimeNs, maxTimeNs: buffer.maxTimeNs });
    let details: SnapshotDetails | undefined;
    if (permit !== undefined) {
      details = this.tracker.snapshot(force);
      if (details === undefined) {
        permit.release();
        permit = undefined;
      }
    }

    const contents: WalContents = {
      persistTimestampMs: this.clock.nowMs(),
      minTimestampNs: buffer.minTimeNs,
      maxTimestampNs: buffer.maxTimeNs,
      walFileNumber: seq,
      ops: buffer.ops,
      ...(details === undefined ? {} : { snapshot: details }),
    };
    const putId = this.rng.bytes(16);
    const bytes = encodeWalFile(
      {
        nodeId: this.nodeId,
        writerEpoch: this.epoch(),
        walFileSequenceNumber: seq,
        putId,
        persistTimestampMs: contents.persistTimestampMs,
        minTimestampNs: contents.minTimestampNs,
        maxTimestampNs: contents.maxTimestampNs,
        ...(details === undefined ? {} : { snapshot: details }),
      },
      buffer.encodedOps,
      this.fileBuffer,
    );

    try {
      await this.putWalFile(seq, bytes, putId);
      // A newer writer may have claimed the node id while this one wrote: then nothing in this
      // file may be acknowledged or applied (the newer writer may never read it). A check that
      // keeps failing holds the writers like a failing put, so it counts toward health too.
      await this.fence?.check((err) => this.notePutFailure(err));
      this.markPutHealthy();
    } catch (err) {
      permit?.release();
      this.stop(err);
      for (const w of buffer.waiters) w.reject(this.stopError!);
      this.failBuffer(this.stopError!);
      return undefined;
    }
    this.nextWalSeq = seq + 1;
    this.stats.flushCount++;
    this.stats.flushBytes += bytes.length;

    let snapshotStarted: SnapshotStarted | undefined;
    try {
      if (details === undefined) await this.primaryNotifier.notify(contents);
      else snapshotStarted = await this.primaryNotifier.notifyAndSnapshot(contents, details);
      for (const n of this.addedNotifiers) await n.notify(contents);
    } catch (err) {
      // The file is durable but the in-memory state did not take it: stop, so a restart replays it.
      permit?.release();
      this.stop(err);
      for (const w of buffer.waiters) w.reject(this.stopError!);
      return undefined;
    }
    for (const w of buffer.waiters) w.resolve();
    this.stats.lastFlushLatencyMs = this.clock.monotonicMs() - startMs;
    this.logger.debug({ walFileNumber: seq, bytes: bytes.length, ops: buffer.ops.length, latencyMs: this.stats.lastFlushLatencyMs }, 'flushed WAL file');

    if (details === undefined || permit === undefined) return undefined;
    this.stats.snapshotsStarted++;
    this.logger.info({ ...details, endTimeMarkerNs: String(details.endTimeMarkerNs) }, 'snapshot started');
    return { snapshotDone: snapshotStarted!.persisted, details, permit };
  }

  /**
   * Puts one WAL file create-only, retrying failures with capped backoff for as long as it
   * takes (writers wait; the buffer fills and then refuses new writes) — except a permanent
   * refusal (bad credentials, access denied, a missing bucket), which no wait can change: it is
   * thrown, and the WAL stops with it. A conflict is resolved by reading the object back: our
   * own earlier attempt (same put id) is success; anything else means another writer — the WAL
   * stops.
   */
  private async putWalFile(seq: number, bytes: Uint8Array, putId: Uint8Array): Promise<void> {
    const key = walFileKey(this.nodeId, seq);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.put(key, bytes, 'create');
        this.markPutHealthy();
        return;
      } catch (err) {
        if (err instanceof AlreadyExistsError) {
          const owner = await this.ownerOf(key, putId);
          if (owner === 'self') {
            this.markPutHealthy();
            return;
          }
          if (owner === 'gone') {
            // Deleted between our put and the read-back (another writer replacing a fenced
            // writer's file): the number is free again, so put again.
            this.logger.warn({ key }, 'a conflicting WAL file vanished before it could be read back; putting again');
            continue;
          }
          if (owner === 'zombie') {
            // Written by a fenced writer after this one claimed its epoch and listed the WAL:
            // that writer re-checked its epoch after the put and never acknowledged it. But this
            // writer may be fenced too: a newer one that listed before that file landed meets it
            // as well, removes it and puts its own file, acknowledged — which this writer's
            // delete would then remove. So first make sure no newer writer exists: one that
            // claims after this check lists the WAL after it, sees the old file (or nothing, once
            // it is deleted) and numbers its files past it, never under this key.
            await this.fence?.check((checkErr) => this.notePutFailure(checkErr));
            this.logger.warn({ key }, 'removing a WAL file a fenced writer wrote after this writer took over');
            try {
              await this.store.delete(key);
            } catch (deleteErr) {
              // A transient failure must not stop this (the newest) writer: retry like the put.
              if (!isTransientStoreError(deleteErr)) throw deleteErr;
              this.notePutFailure(deleteErr);
              await this.clock.sleep(this.backoffMs(attempt));
            }
            continue;
          }
          throw new WalStoppedError(`another process has written WAL file ${seq} (${key}) ahead of this one`, { cause: err });
        }
        if (isPermanentStoreError(err)) throw err;
        this.notePutFailure(err);
        const delayMs = this.backoffMs(attempt);
        this.logger.warn({ err, key, attempt, delayMs }, 'WAL put failed; retrying');
        if (this.state === 'stopped') throw this.stopError!;
        await this.clock.sleep(delayMs);
      }
    }
  }

  /**
   * Who wrote the WAL file a create-only put found under `key`: this writer (an earlier attempt
   * whose answer was lost: same put id), a fenced writer of an older epoch, someone else — or
   * nobody any more (`gone`: deleted since the put met it).
   */
  private async ownerOf(key: string, putId: Uint8Array): Promise<'self' | 'zombie' | 'other' | 'gone'> {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = await this.store.get(key);
        if (testSwitches.skipPutIdCheck) return 'self'; // deliberately broken (tests only)
        const header = decodeWalFileHeader(existing, key);
        if (Buffer.compare(Buffer.from(header.putId), Buffer.from(putId)) === 0) return 'self';
        if (this.fence !== undefined && header.writerEpoch < this.fence.epoch) return 'zombie';
        return 'other';
      } catch (err) {
        if (err instanceof NotFoundError) return 'gone';
        if (err instanceof Error && (err as { code?: string }).code === 'CORRUPT_WAL_FILE') return 'other';
        if (isPermanentStoreError(err)) throw err;
        this.logger.warn({ err, key, attempt }, 'reading back a conflicting WAL file failed; retrying');
        await this.clock.sleep(this.backoffMs(attempt));
      }
    }
  }

  private backoffMs(attempt: number): number {
    return backoffMs(this.rng, attempt, this.config.putRetryBaseDelayMs, this.config.putRetryMaxDelayMs);
  }

  private notePutFailure(err: unknown): void {
    this.consecutivePutFailures++;
    this.stats.putRetryCount++;
    this.lastPutError = err instanceof Error ? err.message : String(err);
  }

  private markPutHealthy(): void {
    this.consecutivePutFailures = 0;
    this.lastPutError = undefined;
  }

  private stop(err: unknown): void {
    if (this.state === 'stopped') return;
    this.stopError = err instanceof WalStoppedError ? err : new WalStoppedError(err instanceof Error ? err.message : String(err), { cause: err });
    this.state = 'stopped';
    this.flushTimer?.cancel();
    this.logger.error({ err }, 'WAL stopped');
  }

  private failBuffer(err: Error): void {
    const buffer = this.buffer;
    this.buffer = emptyBuffer();
    for (const w of buffer.waiters) w.reject(err);
  }

  // ---- snapshots and cleanup ----------------------------------------------------------------

  /**
   * Deletes WAL files the snapshot made redundant, keeping the newest
   * `snapshottedWalFilesToKeep` snapshotted files, then releases the permit.
   */
  async cleanupSnapshot(details: SnapshotDetails, permit: SnapshotPermit): Promise<void> {
    try {
      try {
        await this.fence?.check(); // a zombie must not delete what the newer writer replays
      } catch (err) {
        this.stop(err);
        // stop() cancels the flush timer, so no flush would ever answer what is buffered now.
        this.failBuffer(this.stopError!);
        return;
      }
      const lastSnapshotted = details.lastWalSequenceNumber;
      const deleteThrough = lastSnapshotted - this.config.snapshottedWalFilesToKeep;
      while (this.oldestWalFile <= deleteThrough) {
        const key = walFileKey(this.nodeId, this.oldestWalFile);
        // Left for the next cleanup, which starts again from the oldest file.
        if (!(await this.deleteSnapshottedFile(key))) return;
        this.stats.walFilesDeleted++;
        this.oldestWalFile++;
      }
    } finally {
      permit.release();
    }
  }

  /**
   * Deletes one snapshotted WAL file, retrying a transient error a few times: giving up at the
   * first one leaves every newer file for the next snapshot, so under a steady rate of failed
   * deletes the WAL would grow without bound. Returns whether the file is gone.
   */
  private async deleteSnapshottedFile(key: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.delete(key);
        return true;
      } catch (err) {
        this.logger.warn({ err, key, attempt }, 'deleting a snapshotted WAL file failed');
        if (!isTransientStoreError(err) || attempt >= CLEANUP_DELETE_ATTEMPTS) return false;
        await this.clock.sleep(this.backoffMs(attempt));
      }
    }
  }

  private adoptSnapshot(result: FlushResult | undefined): void {
    if (result === undefined) return;
    const task = (async () => {
      try {
        await result.snapshotDone;
      } catch (err) {
        result.permit.release();
        this.logger.error({ err, snapshotSequenceNumber: result.details.snapshotSequenceNumber }, 'snapshot failed; its WAL files are kept');
        return;
      }
      await this.cleanupSnapshot(result.details, result.permit);
    })();
    this.backgroundSnapshots.add(task);
    // Observed here, so a cleanup that throws is logged, never an unhandled rejection.
    task.then(
      () => this.backgroundSnapshots.delete(task),
      (err: unknown) => {
        this.backgroundSnapshots.delete(task);
        this.logger.error({ err, snapshotSequenceNumber: result.details.snapshotSequenceNumber }, 'cleaning up after a snapshot failed');
      },
    );
  }

  // ---- background flush ---------------------------------------------------------------------

  /** Starts the background flusher: every `flushIntervalMs`, and early when `flushSizeBytes` are buffered. */
  startBackgroundFlush(): void {
    if (this.isBackgroundFlushRunning || this.state !== 'accepting') return;
    this.isBackgroundFlushRunning = true;
    const intervalMs = this.config.flushIntervalMs;
    let nextTickMs = this.clock.monotonicMs() + intervalMs;
    const tick = (): void => {
      this.flushTimer = undefined;
      const run = this.flushQueue.then(async () => this.adoptSnapshot(await this.flushOnce(false)));
      this.flushQueue = run.catch((err: unknown) => this.logger.error({ err }, 'background WAL flush failed'));
      void this.flushQueue.then(() => {
        if (!this.isBackgroundFlushRunning) return;
        // A slow flush skips missed ticks rather than bursting to catch up.
        const nowMs = this.clock.monotonicMs();
        while (nextTickMs <= nowMs) nextTickMs += intervalMs;
        this.flushTimer = this.clock.setTimer(nextTickMs - nowMs, tick);
      });
    };
    this.flushTimer = this.clock.setTimer(intervalMs, tick);
    if (this.buffer.bytes >= this.config.flushSizeBytes) this.queueSizeFlush();
  }

  private stopBackgroundFlush(): void {
    this.isBackgroundFlushRunning = false;
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
  }

  /**
   * Stops the background flusher without flushing anything, as a crash would (buffered writes
   * are never acknowledged): a simulated crash's part, so a killed WAL leaves no timer running.
   */
  abandon(): void {
    this.stopBackgroundFlush();
  }

  /**
   * Stops accepting writes, flushes what is buffered (its writers are answered normally), waits
   * for running snapshots and their cleanup, and stops the flusher.
   */
  async shutdown(): Promise<void> {
    if (this.state === 'accepting') this.state = 'shuttingDown';
    this.stopBackgroundFlush();
    if (this.state === 'shuttingDown') {
      const result = await this.enqueueFlush(false);
      this.adoptSnapshot(result);
    } else {
      await this.flushQueue;
    }
    while (this.backgroundSnapshots.size > 0) await Promise.allSettled([...this.backgroundSnapshots]);
    if (this.state === 'shuttingDown') this.state = 'shutdown';
    await this.releaseWriterLock();
  }

  /**
   * Throws {@link FencedError} if a newer writer has claimed this node id (the persister calls it
   * before committing a snapshot, and cleanup before deleting WAL files).
   */
  async checkFence(): Promise<void> {
    await this.fence?.check();
  }

  /** The epoch this writer claimed (0 without fencing). */
  epoch(): bigint {
    return this.fence?.epoch ?? 0n;
  }

  /** Takes the store's writer lock for this node id, where the store has one. */
  async acquireWriterLock(): Promise<void> {
    if (isWriterLockable(this.store)) this.writerLock = await this.store.acquireLock(this.nodeId);
  }

  /** Claims the next writer epoch of the node id (before replay; {@link openWal} does it). */
  async claimEpoch(): Promise<void> {
    assert(this.fence === undefined && this.nextWalSeq === 1 && this.stats.flushCount === 0, 'claim the epoch before replay and writes');
    this.fence = await EpochFence.claim({
      store: this.store,
      nodeId: this.nodeId,
      clock: this.clock,
      rng: this.rng,
      logger: this.logger,
      retryBaseDelayMs: this.config.putRetryBaseDelayMs,
      retryMaxDelayMs: this.config.putRetryMaxDelayMs,
    });
  }

  private async releaseWriterLock(): Promise<void> {
    const lock = this.writerLock;
    this.writerLock = undefined;
    await lock?.release();
  }

  // ---- observers ----------------------------------------------------------------------------

  /** Registers another notifier; it receives `notify` for every file written from now on. */
  addFileNotifier(notifier: WalFileNotifier): void {
    this.addedNotifiers.push(notifier);
  }

  /** The number of the last WAL file made durable (0 if none yet). */
  lastWalSequenceNumber(): WalFileSequenceNumber {
    return this.nextWalSeq - 1;
  }

  /** The number of the last snapshot decided (recorded in a WAL file), or the persisted one at open. */
  lastSnapshotSequenceNumber(): number {
    return this.tracker.lastSnapshotSequenceNumber();
  }

  /** The WAL's condition. */
  health(): WalHealth {
    if (this.state === 'stopped') return { state: 'stopped', consecutivePutFailures: this.consecutivePutFailures, lastError: this.stopError!.reason };
    if (this.state === 'shutdown') return { state: 'shutdown', consecutivePutFailures: 0 };
    if (this.consecutivePutFailures > 0) {
      return { state: 'degraded', consecutivePutFailures: this.consecutivePutFailures, ...(this.lastPutError === undefined ? {} : { lastError: this.lastPutError }) };
    }
    return { state: 'ok', consecutivePutFailures: 0 };
  }

  /** Counters for metrics. */
  getStats(): Readonly<WalStats> {
    return this.stats;
  }

  /** The resolved configuration. */
  getConfig(): Readonly<WalConfig> {
    return this.config;
  }

  // ---- opening ------------------------------------------------------------------------------

  /** Starts the snapshot numbering after a persisted snapshot read at open (before replay). */
  startAfterSnapshot(lastSnapshot: PersistedSnapshotMarker | undefined): void {
    assert(this.nextWalSeq === 1 && this.stats.flushCount === 0 && this.tracker.walPeriods().length === 0, 'set the last snapshot before replay and writes');
    this.tracker = new SnapshotTracker(this.config.snapshotSize, gen1DurationNs(this.config.gen1Duration), lastSnapshot?.snapshotSequenceNumber ?? 0, 0);
  }

  /** Replays the WAL into the primary notifier (see {@link openWal}). */
  async replay(options: OpenWalOptions): Promise<void> {
    const stats = await replayWal({
      store: this.store,
      nodeId: this.nodeId,
      config: this.config,
      notifier: this.primaryNotifier,
      tracker: this.tracker,
      snapshotSemaphore: this.snapshotSemaphore,
      lastSnapshot: options.lastSnapshot,
      logger: this.logger,
      clock: this.clock,
      onProgress: options.onReplayProgress,
      cleanup: (details, permit) => this.cleanupSnapshot(details, permit),
    });
    this.stats.replay = stats;
    this.nextWalSeq = stats.nextWalSequenceNumber;
    this.oldestWalFile = stats.oldestWalFile;
  }
}

/**
 * Opens a WAL: lists and replays its files into the notifier (strictly in order, fetching in
 * parallel), then starts the background flusher. Resolves when the WAL accepts writes.
 */
export async function openWal(options: OpenWalOptions): Promise<ObjectStoreWal> {
  validateNodeId(options.nodeId);
  if (!(options.skipStoreProbe ?? false)) await probeConditionalPut(options.store, `${options.nodeId}/probe`);
  const wal = new ObjectStoreWal({ ...options, nextWalSequenceNumber: 1, oldestWalFile: 1 });
  await wal.acquireWriterLock();
  try {
    // The claim comes before replay lists the WAL: see EpochFence for why that order matters.
    if (options.fencing ?? true) await wal.claimEpoch();
    options.onEpochClaimed?.(wal);
    let replayOptions = options;
    if (options.loadLastSnapshot !== undefined) {
      assert(options.lastSnapshot === undefined, 'give lastSnapshot or loadLastSnapshot, not both');
      const lastSnapshot = await options.loadLastSnapshot();
      wal.startAfterSnapshot(lastSnapshot);
      if (lastSnapshot !== undefined) replayOptions = { ...options, lastSnapshot };
    }
    await wal.replay(replayOptions);
  } catch (err) {
    await wal.shutdown().catch(() => undefined); // releases the lock; the replay error is what matters
    throw err;
  }
  if (options.startBackgroundFlush ?? true) wal.startBackgroundFlush();
  return wal;
}

/** Starts the seed's background flush loop on a WAL (what {@link openWal} does by default). */
export function backgroundWalFlush(wal: ObjectStoreWal): void {
  wal.startBackgroundFlush();
}
