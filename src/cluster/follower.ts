/**
 * Replication: a query node follows an ingest node through the object store alone, as InfluxDB 3
 * Enterprise's replicas do. At start it loads the ingest node's snapshots (Parquet files and
 * catalog) as the node itself would, then applies its WAL files above the last snapshot to its
 * own queryable buffer — the same buffer, catalog and cache code the ingest node runs — and
 * polls for the next WAL file every replication interval.
 *
 * - A WAL file carrying a snapshot marker makes the replica's buffer claim the same chunks the
 *   ingest node's did; instead of writing Parquet, the replica waits for that snapshot's
 *   manifest to appear ({@link ManifestFollower}) and then swaps the chunks for its files in one
 *   step, as the ingest node does: no query sees a gap or a row twice.
 * - Compaction manifests are applied in sequence, once every snapshot manifest on the store
 *   (listed after the compactions) has been added, so a compaction's inputs are always indexed.
 * - A WAL file gone before it was read (the ingest node cleaned it up after a snapshot) leaves a
 *   gap no snapshot marker was seen for: the replica says it is behind (health, metrics) and
 *   stops applying; a restart loads the snapshot that covers the gap.
 *
 * The replica never writes or deletes anything under the ingest node's prefix.
 */
import type { Clock } from '../effects/clock.js';
import type { Mirrors } from '../engine/mirrors.js';
import { NotFoundError } from '../objectstore/errors.js';
import type { ObjectStore } from '../objectstore/types.js';
import { compactionPrefix, decodeCompactionManifest, type CompactionManifest } from '../persist/compaction-manifest.js';
import type { PersistedFiles } from '../persist/load.js';
import { decodeManifest, manifestKey, snapshotPrefix, type SnapshotManifest } from '../persist/manifest.js';
import { emptySnapshotStats, type SnapshotPersister, type SnapshotStats } from '../persist/persister.js';
import type { SnapshotDetails } from '../wal/model.js';
import type { WalFileNotifier, WalLogger } from '../wal/notifier.js';
import { parseWalFileKey, walFileKey, walFilePrefix } from '../wal/paths.js';
import { decodeWalFileOf } from '../wal/replay.js';

/** Why a follower stopped, or what it last failed at. */
export class ReplicationError extends Error {
  constructor(
    readonly code: 'BEHIND' | 'CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'ReplicationError';
  }
}

/** WAL files read ahead of the one being applied. */
const READ_AHEAD = 10;

/** Compactions are looked for every this many polls (they only change how rows are stored). */
const COMPACTION_EVERY = 4;

/** Manifest keys hold `MAX_SAFE_INTEGER − sequence`, 16 digits, so a listing is newest first. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

function sequenceOfManifestKey(key: string, prefix: string): number | undefined {
  const m = /^(\d{16})\.info\.json$/.exec(key.slice(prefix.length));
  return m === null ? undefined : MAX_SEQ - Number(m[1]);
}

/**
 * The replica's "persister": a snapshot the ingest node decided is persisted by the ingest
 * node; this waits for its manifest (polling) and returns it.
 */
export class ManifestFollower implements SnapshotPersister {
  readonly stats: SnapshotStats = emptySnapshotStats();
  /** The highest snapshot whose manifest was added (at start: the newest loaded). */
  lastAdded: number;
  private closed = false;

  constructor(
    private readonly options: { store: ObjectStore; nodeId: string; clock: Clock; intervalMs: number; logger: WalLogger; translate?: (m: SnapshotManifest) => SnapshotManifest },
    lastLoaded: number,
  ) {
    this.lastAdded = lastLoaded;
  }

  close(): void {
    this.closed = true;
  }

  async persistSnapshot(details: SnapshotDetails): Promise<SnapshotManifest> {
    const { store, nodeId, clock } = this.options;
    const key = manifestKey(nodeId, details.snapshotSequenceNumber);
    const started = clock.monotonicMs();
    for (;;) {
      if (this.closed) throw new ReplicationError('CLOSED', `the replica closed while waiting for snapshot ${details.snapshotSequenceNumber} of node ${nodeId}`);
      try {
        const read = decodeManifest(await store.get(key), key);
        const manifest = this.options.translate?.(read) ?? read;
        this.stats.snapshots++;
        this.stats.files += manifest.files.length;
        for (const f of manifest.files) {
          this.stats.rows += f.rowCount;
          this.stats.bytes += f.sizeBytes;
        }
        this.stats.lastDurationMs = clock.monotonicMs() - started;
        this.lastAdded = Math.max(this.lastAdded, manifest.snapshotSequenceNumber);
        return manifest;
      } catch (err) {
        if (!(err instanceof NotFoundError)) {
          this.stats.consecutivePutFailures++;
          this.stats.lastPutError = (err as Error).message;
          this.options.logger.warn({ err, key }, 'reading a snapshot manifest failed; retrying');
        }
      }
      await clock.sleep(this.options.intervalMs);
    }
  }
}

export interface FollowerOptions {
  store: ObjectStore;
  /** The ingest node followed. */
  readonly nodeId: string;
  /** Applies WAL files: the catalog, the caches and the buffer, as on the ingest node. */
  notifier: WalFileNotifier;
  persistedFiles: PersistedFiles;
  mirrors: Mirrors;
  manifests: ManifestFollower;
  clock: Clock;
  logger: WalLogger;
  /** How often the store is polled for new WAL files and compactions (ms). */
  intervalMs: number;
  /** The last WAL file the loaded snapshot covers: replay starts after it. */
  lastWalSequenceNumber: number;
  /** The last compaction the loaded state applied. */
  lastCompactionSequenceNumber: number;
  /** A compaction as the file index holds it (merged ids on a query node). */
  translateCompaction?: (c: CompactionManifest) => CompactionManifest;
}

export interface FollowerStatus {
  state: 'starting' | 'following' | 'behind' | 'closed';
  /** The last WAL file applied, and the newest one seen on the store. */
  appliedWalFile: number;
  newestWalFile: number;
  /** Seconds since the newest unapplied WAL file was written (0 when caught up). */
  lagSeconds: number;
  /** The last compaction applied. */
  appliedCompaction: number;
  /** Why the follower is behind, or the last poll's failure. */
  lastError: string | undefined;
  /** WAL files applied, and polls that failed. */
  filesApplied: number;
  pollFailures: number;
}

/** Upper bounds (seconds) of the time-to-readable histogram's buckets. */
export const READABLE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** Ack → readable on this replica: the time from the ingest node's flush to the file's apply. */
export class ReadableHistogram {
  /** Per bucket of {@link READABLE_BUCKETS}, then +Inf: observations at or below it (cumulative when rendered). */
  readonly counts = new Array<number>(READABLE_BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    const s = Math.max(0, seconds);
    let i = READABLE_BUCKETS.findIndex((b) => s <= b);
    if (i < 0) i = READABLE_BUCKETS.length;
    this.counts[i]!++;
    this.sum += s;
    this.count++;
  }
}

/** Follows one ingest node's WAL files and compactions (see the file comment). */
export class Follower {
  private applied: number;
  private newest: number;
  private newestWrittenMs = 0;
  private appliedCompaction: number;
  private state: FollowerStatus['state'] = 'starting';
  private lastError: string | undefined;
  private filesApplied = 0;
  private pollFailures = 0;
  private rounds = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  /** Flush on the ingest node → applied here, for each WAL file applied while following. */
  readonly readable = new ReadableHistogram();

  readonly nodeId: string;

  constructor(private readonly options: FollowerOptions) {
    this.nodeId = options.nodeId;
    this.applied = options.lastWalSequenceNumber;
    this.newest = options.lastWalSequenceNumber;
    this.appliedCompaction = options.lastCompactionSequenceNumber;
  }

  status(): FollowerStatus {
    const caughtUp = this.applied >= this.newest;
    return {
      state: this.state,
      appliedWalFile: this.applied,
      newestWalFile: this.newest,
      lagSeconds: caughtUp ? 0 : Math.max(0, (this.options.clock.nowMs() - this.newestWrittenMs) / 1000),
      appliedCompaction: this.appliedCompaction,
      lastError: this.lastError,
      filesApplied: this.filesApplied,
      pollFailures: this.pollFailures,
    };
  }

  /** Applies every WAL file there is now (the start's catch-up), then polls in the background. */
  async start(): Promise<void> {
    await this.poll();
    if (this.state === 'starting') this.state = 'following';
    this.schedule();
  }

  /** One round now (tests; the background rounds keep running). */
  pollNow(): Promise<void> {
    return this.poll();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.options.manifests.close();
    await this.polling?.catch(() => undefined);
  }

  /** Polls every interval from the start of the last round (a round's own time is not added to the wait). */
  private schedule(lastStartMs = this.options.clock.monotonicMs()): void {
    if (this.closed) return;
    const waitMs = Math.max(0, this.options.intervalMs - (this.options.clock.monotonicMs() - lastStartMs));
    this.timer = setTimeout(() => {
      const started = this.options.clock.monotonicMs();
      this.poll()
        .catch(() => undefined)
        .finally(() => this.schedule(started));
    }, waitMs);
    this.timer.unref();
  }

  /** One round at a time: a slow one delays the next instead of overlapping it. */
  private poll(): Promise<void> {
    this.polling ??= this.round().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async round(): Promise<void> {
    if (this.closed || this.state === 'behind') return;
    try {
      await this.applyWalFiles();
      if (this.rounds++ % COMPACTION_EVERY === 0) await this.applyCompactions();
      this.lastError = undefined;
    } catch (err) {
      if (this.closed) return;
      this.pollFailures++;
      this.lastError = (err as Error).message;
      if (err instanceof ReplicationError && err.code === 'BEHIND') {
        this.state = 'behind';
        this.options.logger.error({ err, nodeId: this.options.nodeId }, 'replica is behind: restart it to load the snapshot that covers the gap');
      } else {
        this.options.logger.warn({ err, nodeId: this.options.nodeId }, 'replication poll failed; trying again');
      }
      throw err;
    }
  }

  private async applyWalFiles(): Promise<void> {
    const { store, nodeId } = this.options;
    const prefix = walFilePrefix(nodeId);
    let startAfter = this.applied > 0 ? walFileKey(nodeId, this.applied) : undefined;
    for (;;) {
      const page = await store.list(startAfter === undefined ? { prefix } : { prefix, startAfter });
      const files: Array<{ seq: number; key: string }> = [];
      for (const meta of page.objects) {
        const seq = parseWalFileKey(meta.key, nodeId);
        if (seq === undefined || seq <= this.applied) continue;
        if (seq > this.newest) {
          this.newest = seq;
          this.newestWrittenMs = meta.lastModifiedMs;
        }
        files.push({ seq, key: meta.key });
      }
      // Read ahead in parallel (a replica catching up has many files to read); apply in order.
      const reads: Array<Promise<Uint8Array> | undefined> = files.map(() => undefined);
      const readAt = (i: number) => {
        const read = store.get(files[i]!.key);
        read.catch(() => undefined); // observed when its turn comes
        reads[i] = read;
      };
      for (let i = 0; i < Math.min(READ_AHEAD, files.length); i++) readAt(i);
      for (const [i, { seq }] of files.entries()) {
        if (i + READ_AHEAD < files.length) readAt(i + READ_AHEAD);
        if (seq !== this.applied + 1) {
          throw new ReplicationError('BEHIND', `WAL file ${this.applied + 1} of node ${nodeId} is gone (the next on the store is ${seq}): it was cleaned up before this replica read it`);
        }
        if (this.closed) return;
        const contents = decodeWalFileOf(nodeId, seq, await reads[i]!);
        reads[i] = undefined;
        if (contents.snapshot === undefined) await this.options.notifier.notify(contents);
        else {
          const started = await this.options.notifier.notifyAndSnapshot(contents, contents.snapshot);
          started.persisted.catch(() => undefined); // the buffer keeps it queued; closing rejects it
        }
        this.applied = seq;
        this.filesApplied++;
        // The start's catch-up says how stale the store was, not how fast replication is.
        if (this.state === 'following') this.readable.observe((this.options.clock.nowMs() - contents.persistTimestampMs) / 1000);
        this.reportProgress();
      }
      if (page.nextStartAfter === undefined) return;
      startAfter = page.nextStartAfter;
    }
  }

  /**
   * Applies new compactions in sequence, but only once every snapshot manifest listed after
   * them has been added: a compaction only ever replaces files of snapshots committed before it.
   */
  private lastProgressMs = 0;

  /** While far behind (catching up), logs progress once a second. */
  private reportProgress(): void {
    if (this.newest - this.applied < 100) return;
    const now = this.options.clock.monotonicMs();
    if (now - this.lastProgressMs < 1000) return;
    this.lastProgressMs = now;
    this.options.logger.info({ nodeId: this.options.nodeId, appliedWalFile: this.applied, newestWalFile: this.newest }, 'replica catching up');
  }

  private async applyCompactions(): Promise<void> {
    const { store, nodeId, persistedFiles, mirrors } = this.options;
    const pending = await this.newDocuments(compactionPrefix(nodeId), this.appliedCompaction, decodeCompactionManifest);
    if (pending.length === 0) return;
    const snapshots = await store.list({ prefix: snapshotPrefix(nodeId) });
    let newestSnapshot = 0;
    for (const meta of snapshots.objects) newestSnapshot = Math.max(newestSnapshot, sequenceOfManifestKey(meta.key, snapshotPrefix(nodeId)) ?? 0);
    if (newestSnapshot > this.options.manifests.lastAdded) return; // the buffer adds it first
    for (const compaction of pending.sort((a, b) => a.compactionSequenceNumber - b.compactionSequenceNumber)) {
      if (compaction.compactionSequenceNumber !== this.appliedCompaction + 1) return; // a gap: its manifest is still being written
      const translated = this.options.translateCompaction?.(compaction) ?? compaction;
      await mirrors.exclusive(async () => {
        persistedFiles.applyCompaction(translated);
      });
      this.appliedCompaction = compaction.compactionSequenceNumber;
    }
  }

  /** The documents under a newest-first `prefix` with a sequence above `after`, decoded. */
  private async newDocuments<T>(prefix: string, after: number, decode: (bytes: Uint8Array, key: string) => T): Promise<T[]> {
    const { store } = this.options;
    const out: T[] = [];
    let startAfter: string | undefined;
    for (;;) {
      const page = await store.list(startAfter === undefined ? { prefix } : { prefix, startAfter });
      for (const meta of page.objects) {
        const seq = sequenceOfManifestKey(meta.key, prefix);
        if (seq === undefined) continue;
        if (seq <= after) return out; // newest first: the rest is older
        out.push(decode(await store.get(meta.key), meta.key));
      }
      if (page.nextStartAfter === undefined) return out;
      startAfter = page.nextStartAfter;
    }
  }
}

export type { CompactionManifest };
