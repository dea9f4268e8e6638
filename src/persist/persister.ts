/**
 * Writes snapshots: each claimed chunk becomes one Parquet file (deduplicated, sorted by tags and
 * time, zstd), then the catalog, then the manifest that commits them. Puts are retried with
 * capped backoff until they succeed or the persister closes, so a snapshot never half-finishes
 * silently — except a permanent refusal of the store (bad credentials, access denied, a missing
 * bucket), which fails the snapshot at once and stays in the stats until a put succeeds (the
 * buffer keeps the snapshot's rows and persists it again before the next snapshot). A crash at
 * any point leaves either no manifest (the snapshot re-runs from the WAL at restart, overwriting
 * its unreferenced files) or a complete one.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { Clock } from '../effects/clock.js';
import type { MirroredChunk, Mirrors } from '../engine/mirrors.js';
import { mirrorDedupSql } from '../engine/relations.js';
import { AlreadyExistsError } from '../objectstore/errors.js';
import { isPermanentStoreError } from '../objectstore/retry.js';
import type { ObjectStore } from '../objectstore/types.js';
import type { ColumnDefinition, SnapshotDetails } from '../wal/model.js';
import { silentLogger, type WalLogger } from '../wal/notifier.js';
import { PersistError } from './errors.js';
import { fileColumns, writeParquetFile, type ParquetSettings } from './parquet-writer.js';
import { MANIFEST_FORMAT_VERSION, catalogKey, decodeManifest, encodeManifest, manifestKey, parquetKey, type PersistedFile, type SnapshotManifest, type TagRange } from './manifest.js';

/** A buffered chunk a snapshot has claimed. */
export interface SnapshotChunk extends MirroredChunk {
  readonly dbId: number;
  readonly tableId: number;
  readonly chunkTimeNs: bigint;
  readonly minTimeNs: bigint;
  readonly maxTimeNs: bigint;
}

export interface PersisterOptions extends ParquetSettings {
  store: ObjectStore;
  nodeId: string;
  mirrors: Mirrors;
  /** A directory DuckDB may write (scratch Parquet files before they go to the store). */
  scratchDir: string;
  clock: Clock;
  logger?: WalLogger;
  /** Chunks written at once (default 2). */
  concurrency?: number;
}

export interface SnapshotStats {
  snapshots: number;
  files: number;
  rows: number;
  bytes: number;
  lastDurationMs: number;
  putRetries: number;
  /** Failed snapshot puts since the last one that succeeded (0 when healthy), and the last error. */
  consecutivePutFailures: number;
  lastPutError: string | undefined;
  /** Snapshots that failed (a permanent store error, a Parquet write, a conflict, a close). */
  failedSnapshots: number;
  /**
   * The store's permanent refusal that failed the last snapshot put (`S3 says AccessDenied (403)
   * for PUT …`), until a put succeeds: such a put is not retried.
   */
  permanentPutError: string | undefined;
}

/** A persister's counters, and its stop (what the database and the server hold of it). */
export interface PersisterView {
  readonly stats: SnapshotStats;
  /** Stops: a snapshot under way fails. */
  close(): void;
}

/** What the queryable buffer asks of whoever makes its snapshots durable. */
export interface SnapshotPersister extends PersisterView {
  /** Resolves with the snapshot's committed manifest, once its files are readable. */
  persistSnapshot(details: SnapshotDetails, chunks: readonly SnapshotChunk[], catalog: Catalog): Promise<SnapshotManifest>;
}

/** Counters before anything happened. */
export function emptySnapshotStats(): SnapshotStats {
  return { snapshots: 0, files: 0, rows: 0, bytes: 0, lastDurationMs: 0, putRetries: 0, consecutivePutFailures: 0, lastPutError: undefined, failedSnapshots: 0, permanentPutError: undefined };
}

export class Persister implements SnapshotPersister {
  readonly stats: SnapshotStats = emptySnapshotStats();
  private closed = false;
  private readonly logger: WalLogger;
  private fenceCheck: () => Promise<void> = async () => undefined;

  constructor(private readonly options: PersisterOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Sets the writer-fence check run before the catalog and the manifest are written: a fenced
   * (zombie) writer must not commit a snapshot over the newer writer's.
   */
  setFenceCheck(check: () => Promise<void>): void {
    this.fenceCheck = check;
  }

  /** Runs the writer-fence check (throws when this writer was fenced): for the compactor's commit too. */
  checkFence(): Promise<void> {
    return this.fenceCheck();
  }

  close(): void {
    this.closed = true;
  }

  /** Persists the chunks of one snapshot and commits its manifest; resolves with the manifest. */
  async persistSnapshot(details: SnapshotDetails, chunks: readonly SnapshotChunk[], catalog: Catalog): Promise<SnapshotManifest> {
    try {
      return await this.writeSnapshot(details, chunks, catalog);
    } catch (err) {
      this.stats.failedSnapshots++;
      throw err;
    }
  }

  private async writeSnapshot(details: SnapshotDetails, chunks: readonly SnapshotChunk[], catalog: Catalog): Promise<SnapshotManifest> {
    const { nodeId, store } = this.options;
    const started = this.options.clock.monotonicMs();
    // Chunks in parallel (claimed chunks no longer change), files listed in claim order.
    const results = new Array<PersistedFile | undefined>(chunks.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length) {
        const i = next++;
        const chunk = chunks[i]!;
        const database = catalog.databaseById(chunk.dbId);
        const table = database?.tablesById.get(chunk.tableId);
        if (table === undefined || chunk.rowCount === 0) continue; // deleted meanwhile, or empty
        results[i] = await this.persistChunk(chunk, [...table.columnsById.values()], details, `table ${JSON.stringify(table.name)} of database ${JSON.stringify(database!.name)}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 2, chunks.length) }, worker));
    const files = results.filter((f): f is PersistedFile => f !== undefined);
    await this.fenceCheck();
    const catKey = catalogKey(nodeId, details.snapshotSequenceNumber);
    const catalogBytes = catalog.serialize();
    await this.retry(catKey, () => store.put(catKey, catalogBytes, 'overwrite'));
    const manifest: SnapshotManifest = {
      version: MANIFEST_FORMAT_VERSION,
      nodeId,
      snapshotSequenceNumber: details.snapshotSequenceNumber,
      walFileSequenceNumber: details.lastWalSequenceNumber,
      catalogKey: catKey,
      createdAtMs: Math.max(0, Math.floor(this.options.clock.nowMs())),
      forced: details.forced,
      files,
    };
    const key = manifestKey(nodeId, details.snapshotSequenceNumber);
    await this.retry(key, async () => {
      try {
        await store.put(key, encodeManifest(manifest), 'create');
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
        // Our own earlier attempt whose success was lost in transit is fine; anything else is not.
        const existing = decodeManifest(await store.get(key), key);
        if (existing.nodeId !== nodeId || existing.snapshotSequenceNumber !== details.snapshotSequenceNumber || existing.files.length !== files.length || existing.files.some((f, i) => f.key !== files[i]!.key)) {
          throw new PersistError('MANIFEST_CONFLICT', `snapshot manifest ${key} already exists with other contents: another writer on node ${nodeId}?`, key);
        }
      }
    });
    this.stats.snapshots++;
    this.stats.lastDurationMs = this.options.clock.monotonicMs() - started;
    this.logger.info(
      { snapshotSequenceNumber: details.snapshotSequenceNumber, files: files.length, rows: files.reduce((n, f) => n + f.rowCount, 0), durationMs: this.stats.lastDurationMs },
      'snapshot persisted',
    );
    return manifest;
  }

  private async persistChunk(chunk: SnapshotChunk, tableColumns: ColumnDefinition[], details: SnapshotDetails, described: string): Promise<PersistedFile> {
    const [state] = await this.options.mirrors.sync([chunk]);
    const columns = fileColumns(tableColumns, (c) => state!.columns.has(c.id));
    let rowCount: number;
    let bytes: Uint8Array;
    let tagRanges: TagRange[];
    try {
      // No lock needed: a claimed chunk's mirror no longer changes and is dropped only after this snapshot.
      ({ rowCount, bytes, tagRanges } = await writeParquetFile(this.options.mirrors.engine, this.options.scratchDir, mirrorDedupSql(state!, columns, { enums: true }), columns, chunk.chunkTimeNs, this.options));
    } catch (err) {
      throw new PersistError('PARQUET_WRITE', `writing the Parquet file of ${described} (ids ${chunk.dbId}/${chunk.tableId}), window ${chunk.chunkTimeNs}, failed: ${(err as Error).message}`, undefined, { cause: err });
    }
    const key = parquetKey(this.options.nodeId, chunk.dbId, chunk.tableId, chunk.chunkTimeNs, details.lastWalSequenceNumber);
    // Overwrite: a file under this key can only be the unreferenced leftover of this same snapshot.
    await this.retry(key, () => this.options.store.put(key, bytes, 'overwrite'));
    this.stats.files++;
    this.stats.rows += rowCount;
    this.stats.bytes += bytes.length;
    return {
      key,
      dbId: chunk.dbId,
      tableId: chunk.tableId,
      chunkTimeNs: chunk.chunkTimeNs,
      minTimeNs: chunk.minTimeNs,
      maxTimeNs: chunk.maxTimeNs,
      rowCount,
      sizeBytes: bytes.length,
      columnIds: tableColumns.filter((c) => c.type === 'time' || state!.columns.has(c.id)).map((c) => c.id),
      snapshotSequenceNumber: details.snapshotSequenceNumber,
      tagRanges,
    };
  }

  private async retry(key: string, fn: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await fn();
        this.stats.consecutivePutFailures = 0;
        this.stats.lastPutError = undefined;
        this.stats.permanentPutError = undefined;
        return;
      } catch (err) {
        if (err instanceof PersistError || this.closed) throw err;
        this.stats.consecutivePutFailures++;
        this.stats.lastPutError = err instanceof Error ? err.message : String(err);
        if (isPermanentStoreError(err)) {
          this.stats.permanentPutError = err.message;
          this.logger.error({ err, key }, 'snapshot put refused for good; the snapshot fails');
          throw err;
        }
        this.stats.putRetries++;
        const delayMs = Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 6));
        this.logger.warn({ err, key, attempt, delayMs }, 'snapshot put failed; retrying');
        await this.options.clock.sleep(delayMs);
      }
    }
  }
}
