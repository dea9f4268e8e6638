/**
 * A query node's parts: for each ingest node it follows, that node's Parquet files (loaded from
 * its snapshots and compactions) and a queryable buffer of its WAL files above them, all in the
 * ids of one merged catalog (`./catalog-merge.ts`); the query engine reads them together through
 * {@link MergedBuffers} and {@link MergedFiles}, as one node's buffer and files.
 *
 * Each node's rows live in a buffer of their own, because each node's snapshots release only its
 * own chunks. Rows of one point written through two nodes are deduplicated like any other
 * overlapping sources: one of them is shown (there is no order between nodes).
 */
import type { BufferChunk } from '../buffer/chunk.js';
import { QueryableBuffer, type BufferedRows, type BufferStats } from '../buffer/queryable-buffer.js';
import { CacheFiller, type Caches } from '../cache/caches.js';
import type { Clock } from '../effects/clock.js';
import type { Mirrors } from '../engine/mirrors.js';
import type { ObjectStore } from '../objectstore/types.js';
import { loadPersistedState, PersistedFiles, type IndexedFiles, type PersistedState } from '../persist/load.js';
import type { PersistedFile, SnapshotManifest } from '../persist/manifest.js';
import type { ParquetMemCache } from '../persist/mem-cache.js';
import { emptySnapshotStats, type PersisterView, type SnapshotStats } from '../persist/persister.js';
import type { SnapshotDetails, WalContents } from '../wal/model.js';
import type { SnapshotStarted, WalFileNotifier, WalLogger } from '../wal/notifier.js';
import type { CatalogMerger, DroppedTable } from './catalog-merge.js';
import { Follower, ManifestFollower } from './follower.js';

/** One followed ingest node's parts. */
export interface ReplicaSource {
  nodeId: string;
  buffer: QueryableBuffer;
  files: PersistedFiles;
  manifests: ManifestFollower;
  follower: Follower;
}

export interface ReplicaSourceOptions {
  store: ObjectStore;
  nodeId: string;
  merger: CatalogMerger;
  mirrors: Mirrors;
  memCache: ParquetMemCache | undefined;
  clock: Clock;
  logger: WalLogger;
  intervalMs: number;
  /** Set once the caches exist (they read every source's buffer). */
  caches: () => Caches;
  /** The node's persisted state, when already loaded. */
  state?: PersistedState;
}

/**
 * Loads ingest node `nodeId`'s persisted state into the merged catalog and builds its buffer,
 * file index and follower (not started).
 */
export async function loadReplicaSource(options: ReplicaSourceOptions): Promise<ReplicaSource> {
  const { store, nodeId, merger, mirrors, clock, logger, intervalMs } = options;
  const state = options.state ?? (await loadPersistedState(store, nodeId));
  merger.addSource(nodeId, state.catalog);
  const files = PersistedFiles.load(
    state.manifests.map((m) => merger.translateManifest(nodeId, m)),
    state.compactions.map((c) => merger.translateCompaction(nodeId, c)),
  );
  files.memCache = options.memCache;
  const manifests = new ManifestFollower({ store, nodeId, clock, intervalMs, logger, translate: (m) => merger.translateManifest(nodeId, m) }, state.lastSnapshot?.snapshotSequenceNumber ?? 0);
  const buffer = new QueryableBuffer({ catalog: merger.merged, persister: manifests, persistedFiles: files, mirrors, logger, clock });
  const notifier = new Translator(nodeId, merger, files, mirrors, () => new CacheFiller(options.caches(), buffer));
  const follower = new Follower({
    store,
    nodeId,
    notifier,
    persistedFiles: files,
    mirrors,
    manifests,
    clock,
    logger,
    intervalMs,
    lastWalSequenceNumber: state.lastSnapshot?.lastWalSequenceNumber ?? 0,
    lastCompactionSequenceNumber: state.compactions.at(-1)?.compactionSequenceNumber ?? 0,
    translateCompaction: (c) => merger.translateCompaction(nodeId, c),
  });
  return { nodeId, buffer, files, manifests, follower };
}

/**
 * Hands a node's WAL files on in merged ids; a table that node deleted loses its files of it
 * from the index (its buffered rows go with the deletion op the buffer receives).
 */
class Translator implements WalFileNotifier {
  private next: WalFileNotifier | undefined;

  constructor(
    private readonly nodeId: string,
    private readonly merger: CatalogMerger,
    private readonly files: PersistedFiles,
    private readonly mirrors: Mirrors,
    private readonly makeNext: () => WalFileNotifier,
  ) {}

  private async translate(contents: WalContents): Promise<WalContents> {
    const dropped: DroppedTable[] = [];
    const translated = this.merger.translate(this.nodeId, contents, dropped);
    if (dropped.length > 0) {
      await this.mirrors.exclusive(async () => {
        this.files.removeWhere((f) => dropped.some((d) => d.dbId === f.dbId && d.tableId === f.tableId));
      });
    }
    return translated;
  }

  async notify(contents: WalContents): Promise<void> {
    const translated = await this.translate(contents);
    await (this.next ??= this.makeNext()).notify(translated);
  }

  async notifyAndSnapshot(contents: WalContents, details: SnapshotDetails): Promise<SnapshotStarted> {
    const translated = await this.translate(contents);
    return (this.next ??= this.makeNext()).notifyAndSnapshot(translated, details);
  }
}

/** Every followed node's buffer, read as one. */
export class MergedBuffers implements BufferedRows {
  constructor(private readonly buffers: readonly QueryableBuffer[]) {}

  chunksOf(dbId: number, tableId: number): BufferChunk[] {
    return this.buffers.flatMap((b) => b.chunksOf(dbId, tableId));
  }

  allChunks(): BufferChunk[] {
    return this.buffers.flatMap((b) => b.allChunks());
  }

  getStats(): BufferStats {
    const total: BufferStats = { rows: 0, bytes: 0, chunks: 0, forcedSnapshots: 0 };
    for (const b of this.buffers) {
      const s = b.getStats();
      total.rows += s.rows;
      total.bytes += s.bytes;
      total.chunks += s.chunks;
    }
    return total;
  }

  async sweepFiles(reason: string): Promise<number> {
    let n = 0;
    for (const b of this.buffers) n += await b.sweepFiles(reason);
    return n;
  }

  async idle(): Promise<void> {
    for (const b of this.buffers) await b.idle();
  }
}

/** Every followed node's file index, read as one (keys differ: each node writes under its own prefix). */
export class MergedFiles implements IndexedFiles {
  constructor(
    private readonly indexes: readonly PersistedFiles[],
    readonly memCache: ParquetMemCache | undefined,
  ) {}

  filesOf(dbId: number, tableId: number): readonly PersistedFile[] {
    return this.indexes.length === 1 ? this.indexes[0]!.filesOf(dbId, tableId) : this.indexes.flatMap((f) => f.filesOf(dbId, tableId));
  }

  all(): PersistedFile[] {
    return this.indexes.flatMap((f) => f.all());
  }

  get fileCount(): number {
    let n = 0;
    for (const f of this.indexes) n += f.fileCount;
    return n;
  }

  get snapshots(): readonly SnapshotManifest[] {
    return this.indexes.flatMap((f) => f.snapshots);
  }
}

/** The followed snapshots' counters, summed. */
export class MergedPersisters implements PersisterView {
  constructor(private readonly followers: readonly ManifestFollower[]) {}

  get stats(): SnapshotStats {
    const total = emptySnapshotStats();
    for (const { stats } of this.followers) {
      total.snapshots += stats.snapshots;
      total.files += stats.files;
      total.rows += stats.rows;
      total.bytes += stats.bytes;
      total.lastDurationMs = Math.max(total.lastDurationMs, stats.lastDurationMs);
      total.consecutivePutFailures += stats.consecutivePutFailures;
      total.lastPutError ??= stats.lastPutError;
    }
    return total;
  }

  close(): void {
    for (const f of this.followers) f.close();
  }
}
