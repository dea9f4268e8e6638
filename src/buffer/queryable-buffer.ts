/**
 * The queryable buffer: the WAL's notifier. Every durable WAL file is applied here before its
 * writers are acknowledged, so an acknowledged write is queryable at once. Rows are held per
 * database, table and gen1 chunk time (see `chunk.ts`). A snapshot claims (seals) every chunk
 * older than its end-time marker — new rows for those windows open fresh chunks — persists the
 * claimed chunks, and releases exactly those chunks in the same step that makes their files
 * visible, so no query ever sees a gap or a row twice.
 *
 * A snapshot whose persistence failed keeps its chunks claimed, and the next snapshot persists
 * it first, in order: a later snapshot's manifest marks every WAL file before it as persisted
 * (replay starts after it and cleanup deletes those files), so it must never commit while an
 * earlier snapshot's rows are only in memory.
 */
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import type { Catalog } from '../catalog/catalog.js';
import { SYSTEM_CLOCK, type Clock } from '../effects/clock.js';
import type { Mirrors } from '../engine/mirrors.js';
import type { FileRemover } from '../persist/file-remover.js';
import type { PersistedFiles } from '../persist/load.js';
import type { PersistedFile } from '../persist/manifest.js';
import type { SnapshotPersister } from '../persist/persister.js';
import type { SnapshotDetails, WalContents } from '../wal/model.js';
import { silentLogger, type SnapshotStarted, type WalFileNotifier, type WalLogger } from '../wal/notifier.js';
import { BufferChunk } from './chunk.js';

export interface QueryableBufferOptions {
  catalog: Catalog;
  persister: SnapshotPersister;
  persistedFiles: PersistedFiles;
  mirrors: Mirrors;
  logger?: WalLogger;
  /** Above this many buffered bytes a snapshot is forced (default: 50 % of the machine's memory). */
  forceSnapshotBytes?: number;
  /** Removes the files of deleted tables and past retention from the store (default: they stay). */
  remover?: FileRemover;
  /** Now, for retention periods (default the system clock). */
  clock?: Clock;
}

/** What the WAL offers the buffer: a forced snapshot through its single flusher. */
export interface SnapshotForcer {
  forceSnapshot(): Promise<void>;
}

export class TableBuffer {
  /** Chunks still taking rows, by chunk time. */
  readonly active = new Map<bigint, BufferChunk>();
  /** Chunks a running snapshot has claimed: still queryable until their files are. */
  readonly sealed = new Set<BufferChunk>();

  constructor(
    readonly dbId: number,
    readonly tableId: number,
  ) {}

  chunks(): BufferChunk[] {
    return [...this.sealed, ...this.active.values()];
  }
}

export interface BufferStats {
  rows: number;
  bytes: number;
  chunks: number;
  forcedSnapshots: number;
}

/** What readers of buffered rows need (the query engine, system tables, the server). */
export interface BufferedRows {
  /** A table's chunks (claimed and active), or none. */
  chunksOf(dbId: number, tableId: number): BufferChunk[];
  allChunks(): BufferChunk[];
  getStats(): BufferStats;
  /** Takes the files of deleted tables and past retention out of the query index; returns how many. */
  sweepFiles(reason: string): Promise<number>;
  /** Waits until no forced snapshot is running. */
  idle(): Promise<void>;
}

/** A snapshot whose chunks are claimed and not yet persisted. */
interface ClaimedSnapshot {
  details: SnapshotDetails;
  claimed: BufferChunk[];
}

export class QueryableBuffer implements WalFileNotifier, BufferedRows {
  private readonly tables = new Map<number, Map<number, TableBuffer>>();
  /** Bumped when chunks appear or leave (not on appends), so query views know to rebuild. */
  version = 0;
  private bytes = 0;
  private rows = 0;
  private forcedSnapshots = 0;
  /** Claimed snapshots not yet persisted, oldest first (more than one only after a failure). */
  private readonly unpersisted: ClaimedSnapshot[] = [];
  /** Tail of the persistence chain: snapshots are persisted one at a time, in order. */
  private persisting: Promise<void> = Promise.resolve();
  private forcing: Promise<void> | undefined;
  private forcer: SnapshotForcer | undefined;
  private readonly logger: WalLogger;
  private readonly forceSnapshotBytes: number;

  constructor(private readonly options: QueryableBufferOptions) {
    this.logger = options.logger ?? silentLogger;
    this.forceSnapshotBytes = options.forceSnapshotBytes ?? Math.floor(totalmem() / 2);
  }

  /** Lets the buffer force snapshots under memory pressure. */
  attachWal(forcer: SnapshotForcer): void {
    this.forcer = forcer;
  }

  async notify(contents: WalContents): Promise<void> {
    this.applyAndSweep(contents);
    this.checkMemory();
  }

  async notifyAndSnapshot(contents: WalContents, details: SnapshotDetails): Promise<SnapshotStarted> {
    this.applyAndSweep(contents);
    this.unpersisted.push({ details, claimed: this.claim(details.endTimeMarkerNs) });
    const persisted = this.persisting.catch(() => undefined).then(() => this.persistUnpersisted());
    this.persisting = persisted;
    persisted.catch(() => undefined); // the WAL observes it; do not crash on an unobserved rejection
    return { persisted };
  }

  /**
   * Persists every claimed snapshot, oldest first (an earlier failed one before the new one);
   * the first failure leaves it and every later one queued for the next snapshot.
   */
  private async persistUnpersisted(): Promise<void> {
    while (this.unpersisted.length > 0) {
      const next = this.unpersisted[0]!;
      if (this.unpersisted.length > 1) this.logger.warn({ snapshotSequenceNumber: next.details.snapshotSequenceNumber }, 'persisting a snapshot that failed before');
      await this.persist(next.details, next.claimed);
      assert(this.unpersisted.shift() === next);
    }
  }

  /** The table's chunks (claimed and active), or none. */
  chunksOf(dbId: number, tableId: number): BufferChunk[] {
    return this.tables.get(dbId)?.get(tableId)?.chunks() ?? [];
  }

  allChunks(): BufferChunk[] {
    const out: BufferChunk[] = [];
    for (const tables of this.tables.values()) for (const t of tables.values()) out.push(...t.chunks());
    return out;
  }

  getStats(): BufferStats {
    let chunks = 0;
    for (const tables of this.tables.values()) for (const t of tables.values()) chunks += t.active.size + t.sealed.size;
    return { rows: this.rows, bytes: this.bytes, chunks, forcedSnapshots: this.forcedSnapshots };
  }

  /**
   * Applies the file; after a delete, its persisted files leave the query index in the
   * background (they are unreachable already: the name leads to another id now) — not awaited,
   * so a long query holding the engine's lock never holds up the WAL.
   */
  private applyAndSweep(contents: WalContents): void {
    if (!this.apply(contents)) return;
    this.sweepFiles('database or table deleted').catch((err: unknown) => this.logger.error({ err }, 'removing the files of a deleted table failed'));
  }

  /** Applies a WAL file's ops; returns whether it held a delete. */
  private apply(contents: WalContents): boolean {
    let hasDelete = false;
    for (const op of contents.ops) {
      if (op.kind === 'catalog') {
        for (const c of op.batch.ops) {
          if (c.kind === 'deleteDatabase') this.dropTables(op.batch.databaseId, undefined);
          else if (c.kind === 'deleteTable') this.dropTables(op.batch.databaseId, c.tableId);
          else continue;
          hasDelete = true;
        }
        continue;
      }
      if (op.kind !== 'write') continue;
      const batch = op.batch;
      const { catalog } = this.options;
      let tables = this.tables.get(batch.databaseId);
      for (const [tableId, tableChunks] of batch.tableChunks) {
        // Rows of a table deleted after they were validated (the delete was applied to the
        // catalog first, or this is a replay of a WAL file from before the delete): gone.
        if (catalog.isTableDeleted(batch.databaseId, tableId)) continue;
        if (tables === undefined) this.tables.set(batch.databaseId, (tables = new Map()));
        let table = tables.get(tableId);
        if (table === undefined) tables.set(tableId, (table = new TableBuffer(batch.databaseId, tableId)));
        for (const [chunkTime, chunk] of tableChunks.chunkTimeToChunk) {
          let buffered = table.active.get(chunkTime);
          if (buffered === undefined) {
            buffered = new BufferChunk(batch.databaseId, tableId, chunkTime);
            table.active.set(chunkTime, buffered);
            this.version++;
          }
          buffered.append(chunk);
          this.account(buffered);
          this.rows += chunk.rowCount;
        }
      }
    }
    return hasDelete;
  }

  /**
   * Takes the persisted files no query may read any more out of the query index — those of
   * deleted databases and tables, and those wholly older than their database's retention cutoff
   * — and hands them to the remover. Under the engine's lock, so no running query still reads one.
   * Returns how many files it took.
   */
  async sweepFiles(reason: string): Promise<number> {
    let removed: PersistedFile[] = [];
    await this.options.mirrors.exclusive(async () => {
      removed = this.takeGoneFiles();
    });
    this.removeObjects(removed, reason);
    return removed.length;
  }

  private takeGoneFiles(): PersistedFile[] {
    const { catalog, persistedFiles } = this.options;
    const nowNs = (this.options.clock ?? SYSTEM_CLOCK).nowNs();
    return persistedFiles.removeWhere((f) => {
      if (catalog.databaseById(f.dbId)?.tablesById.has(f.tableId) !== true) return true;
      const cutoff = catalog.retentionCutoffNs(f.dbId, nowNs);
      return cutoff !== undefined && f.maxTimeNs < cutoff;
    });
  }

  private removeObjects(files: readonly PersistedFile[], reason: string): void {
    if (files.length === 0) return;
    this.logger.info({ files: files.length, reason }, 'Parquet files no longer queryable');
    // Queries already running may have these files in their views: removed once they are done.
    this.options.remover?.remove(
      files.map((f) => f.key),
      reason,
      this.options.mirrors.afterRunningReaders(),
    );
  }

  private dropTables(dbId: number, tableId: number | undefined): void {
    const tables = this.tables.get(dbId);
    if (tables === undefined) return;
    for (const [id, table] of tables) {
      if (tableId !== undefined && id !== tableId) continue;
      for (const chunk of table.chunks()) this.forget(chunk);
      tables.delete(id);
    }
    if (tables.size === 0) this.tables.delete(dbId);
    this.version++;
  }

  /** Adds what the chunk grew by since it was last accounted (a new chunk's arrays included). */
  private account(chunk: BufferChunk): void {
    const size = chunk.byteSize();
    this.bytes += size - chunk.accountedBytes;
    chunk.accountedBytes = size;
  }

  private forget(chunk: BufferChunk): void {
    this.bytes -= chunk.accountedBytes;
    chunk.accountedBytes = 0;
    this.rows -= chunk.rowCount;
    assert(this.bytes >= 0 && this.rows >= 0, `buffer accounting went negative: ${this.bytes} bytes, ${this.rows} rows`);
    this.options.mirrors.drop(chunk);
  }

  /** Seals every active chunk older than the marker; they stay queryable until persisted. */
  private claim(endTimeMarkerNs: bigint): BufferChunk[] {
    const claimed: BufferChunk[] = [];
    for (const tables of this.tables.values()) {
      for (const table of tables.values()) {
        for (const [chunkTime, chunk] of table.active) {
          if (chunkTime >= endTimeMarkerNs) continue;
          table.active.delete(chunkTime);
          chunk.sealed = true;
          table.sealed.add(chunk);
          claimed.push(chunk);
        }
      }
    }
    return claimed;
  }

  private async persist(details: SnapshotDetails, claimed: BufferChunk[]): Promise<void> {
    const manifest = await this.options.persister.persistSnapshot(details, claimed, this.options.catalog);
    // One step, under the engine's lock so no query prepares its views halfway through:
    // the files become visible and the chunks leave together.
    let gone: PersistedFile[] = [];
    await this.options.mirrors.exclusive(async () => {
      const { persistedFiles } = this.options;
      persistedFiles.add(manifest);
      const fileOf = new Map(manifest.files.map((f) => [`${f.dbId}/${f.tableId}/${f.chunkTimeNs}`, f]));
      for (const chunk of claimed) {
        // A claimed chunk no longer changes: its arrays may stand for its file's rows.
        const file = fileOf.get(`${chunk.dbId}/${chunk.tableId}/${chunk.chunkTimeNs}`);
        if (file !== undefined) persistedFiles.memCache?.keep(file, chunk);
      }
      // Files of a table deleted while the snapshot ran, or already past retention.
      gone = this.takeGoneFiles();
      for (const chunk of claimed) {
        const table = this.tables.get(chunk.dbId)?.get(chunk.tableId);
        if (table?.sealed.delete(chunk) !== true) continue;
        this.forget(chunk);
        if (table.active.size === 0 && table.sealed.size === 0) this.tables.get(chunk.dbId)!.delete(chunk.tableId);
      }
      this.version++;
    });
    this.removeObjects(gone, 'deleted or past retention at snapshot');
  }

  private checkMemory(): void {
    if (this.bytes < this.forceSnapshotBytes || this.forcing !== undefined || this.forcer === undefined) return;
    this.forcedSnapshots++;
    this.logger.warn({ bufferBytes: this.bytes, thresholdBytes: this.forceSnapshotBytes }, 'buffer above its memory threshold: forcing a snapshot');
    this.forcing = this.forcer.forceSnapshot().then(
      () => {
        this.forcing = undefined;
        // Writes that arrived while it ran may have crossed the threshold again.
        this.checkMemory();
      },
      (err: unknown) => {
        this.forcing = undefined;
        // No retry at once: a snapshot that fails fast (a store refusing puts) would loop, each
        // round writing a WAL file. The next applied WAL file checks again.
        this.logger.error({ err }, 'forced snapshot failed');
      },
    );
  }

  /** Waits until no forced snapshot is running (including ones it chains). */
  async idle(): Promise<void> {
    while (this.forcing !== undefined) await this.forcing;
  }
}
