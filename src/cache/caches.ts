/**
 * The last-value and distinct-value caches of every table, kept in step with the WAL: their
 * definitions are catalog state (they travel in the WAL as catalog ops and are persisted with
 * the catalog), their values are filled from every applied WAL file — live before the writers
 * are acknowledged, and again on replay at startup. See docs/caches.md.
 *
 * A cache made while the table already has rows starts from the rows the queryable buffer holds
 * (the WAL files since the last snapshot); rows already persisted to Parquet are not read back,
 * so such a cache is not {@link LastCache.isComplete complete} and queries never use it in place
 * of the table's rows.
 */
import type { BufferChunk } from '../buffer/chunk.js';
import type { Catalog, TableSchema } from '../catalog/catalog.js';
import type { DbId, DistinctCacheDefinition, LastCacheDefinition, SnapshotDetails, TableChunk, TableId, WalContents } from '../wal/model.js';
import { silentLogger, type SnapshotStarted, type WalFileNotifier, type WalLogger } from '../wal/notifier.js';
import { bufferChunkSegments } from './buffer-rows.js';
import { DistinctCache } from './distinct-cache.js';
import { LastCache } from './last-cache.js';

/** What the caches read besides the WAL: the table's rows already buffered, and whether any is persisted. */
export interface CacheSources {
  /** The buffered chunks of a table (claimed and active). */
  bufferedChunks(dbId: DbId, tableId: TableId): readonly BufferChunk[];
  /** Whether any Parquet file of the table exists. */
  hasPersistedFiles(dbId: DbId, tableId: TableId): boolean;
}

interface TableCaches {
  readonly last: Map<string, LastCache>;
  readonly distinct: Map<string, DistinctCache>;
}

/** How often expired entries are swept, at most (InfluxDB 3 sweeps every 10 s). */
const SWEEP_INTERVAL_MS = 10_000;

/** The caches of every table, by database and table id. */
export class Caches {
  private readonly byTable = new Map<DbId, Map<TableId, TableCaches>>();
  private lastSweepMs = 0;

  constructor(
    private readonly catalog: Catalog,
    private readonly sources: CacheSources,
    private readonly logger: WalLogger = silentLogger,
  ) {}

  /** Builds the caches the catalog defines (at startup, before the WAL is replayed). */
  loadFromCatalog(): void {
    for (const db of this.catalog.listDatabases()) {
      for (const table of db.tablesById.values()) {
        for (const def of table.lastCaches.values()) this.createLast(db.id, table, def);
        for (const def of table.distinctCaches.values()) this.createDistinct(db.id, table, def);
      }
    }
  }

  /**
   * Applies one WAL file ({@link applyFile}); a failure is logged and the caches start again
   * empty and not complete, rather than failing writes that are already durable.
   */
  apply(contents: WalContents): void {
    try {
      this.applyFile(contents);
    } catch (err) {
      this.logger.error({ err, walFileNumber: contents.walFileNumber }, 'filling the caches failed; they start again empty');
      this.byTable.clear();
      this.loadFromCatalog();
      for (const tables of this.byTable.values()) {
        for (const caches of tables.values()) for (const cache of [...caches.last.values(), ...caches.distinct.values()]) cache.isComplete = false;
      }
    }
  }

  /** The last cache `name` of a table, if it exists. */
  lastCache(dbId: DbId, tableId: TableId, name: string): LastCache | undefined {
    return this.byTable.get(dbId)?.get(tableId)?.last.get(name);
  }

  /** The distinct cache `name` of a table, if it exists. */
  distinctCache(dbId: DbId, tableId: TableId, name: string): DistinctCache | undefined {
    return this.byTable.get(dbId)?.get(tableId)?.distinct.get(name);
  }

  /** Every last cache of a table. */
  lastCachesOf(dbId: DbId, tableId: TableId): LastCache[] {
    return [...(this.byTable.get(dbId)?.get(tableId)?.last.values() ?? [])];
  }

  /** Every distinct cache of a table. */
  distinctCachesOf(dbId: DbId, tableId: TableId): DistinctCache[] {
    return [...(this.byTable.get(dbId)?.get(tableId)?.distinct.values() ?? [])];
  }

  /**
   * Applies one WAL file, after the queryable buffer applied it: cache definitions made or
   * dropped by its catalog ops, then its rows. A cache made in this file starts from the buffer,
   * which holds this file's rows already, so they are not pushed to it again.
   */
  private applyFile(contents: WalContents): void {
    if (this.byTable.size === 0 && !hasCacheOps(contents)) return;
    const made = new Set<LastCache | DistinctCache>();
    for (const op of contents.ops) {
      if (op.kind !== 'catalog') continue;
      const dbId = op.batch.databaseId;
      for (const c of op.batch.ops) {
        switch (c.kind) {
          case 'createLastCache':
          case 'createDistinctCache': {
            const table = this.catalog.databaseById(dbId)?.tablesById.get(c.cache.tableId);
            // Created and deleted again before this file was applied: the catalog no longer has it.
            if (table === undefined) break;
            const cache = c.kind === 'createLastCache' ? this.createLast(dbId, table, c.cache) : this.createDistinct(dbId, table, c.cache);
            if (cache !== undefined) {
              made.add(cache);
              this.backfill(dbId, table, cache, contents.persistTimestampMs);
            }
            break;
          }
          case 'deleteLastCache':
            this.byTable.get(dbId)?.get(c.tableId)?.last.delete(c.cacheName);
            this.dropIfEmpty(dbId, c.tableId);
            break;
          case 'deleteDistinctCache':
            this.byTable.get(dbId)?.get(c.tableId)?.distinct.delete(c.cacheName);
            this.dropIfEmpty(dbId, c.tableId);
            break;
          case 'deleteTable':
            this.byTable.get(dbId)?.delete(c.tableId);
            break;
          case 'deleteDatabase':
            this.byTable.delete(dbId);
            break;
          default:
            break;
        }
      }
    }
    for (const op of contents.ops) {
      if (op.kind !== 'write') continue;
      const tables = this.byTable.get(op.batch.databaseId);
      if (tables === undefined) continue;
      for (const [tableId, tableChunks] of op.batch.tableChunks) {
        const caches = tables.get(tableId);
        if (caches === undefined) continue;
        const table = this.catalog.databaseById(op.batch.databaseId)?.tablesById.get(tableId);
        if (table === undefined) continue;
        for (const chunk of tableChunks.chunkTimeToChunk.values()) this.pushChunk(table, caches, chunk, contents.persistTimestampMs, made);
      }
    }
    this.sweep(contents.persistTimestampMs);
  }

  /** Drops expired entries (and distinct combinations past their limits); at most every 10 s unless forced. */
  sweep(nowMs: number, isForced = false): void {
    const isDue = isForced || nowMs - this.lastSweepMs >= SWEEP_INTERVAL_MS;
    const nowNs = BigInt(Math.trunc(nowMs)) * 1_000_000n;
    for (const tables of this.byTable.values()) {
      for (const caches of tables.values()) {
        for (const cache of caches.distinct.values()) if (isDue || cache.cardinality > cache.definition.maxCardinality) cache.prune(nowNs);
        if (isDue) for (const cache of caches.last.values()) cache.removeExpired(nowMs);
      }
    }
    if (isDue) this.lastSweepMs = nowMs;
  }

  private pushChunk(table: TableSchema, caches: TableCaches, chunk: TableChunk, arrivedMs: number, skip: ReadonlySet<LastCache | DistinctCache>): void {
    for (const cache of caches.last.values()) if (!skip.has(cache)) cache.push(chunk, arrivedMs, coversSeries(table, cache.definition));
    for (const cache of caches.distinct.values()) if (!skip.has(cache)) cache.push(chunk);
  }

  /** Forgets a table without caches, and a database without such tables, so files of other tables cost nothing. */
  private dropIfEmpty(dbId: DbId, tableId: TableId): void {
    const tables = this.byTable.get(dbId);
    const caches = tables?.get(tableId);
    if (tables === undefined || caches === undefined || caches.last.size > 0 || caches.distinct.size > 0) return;
    tables.delete(tableId);
    if (tables.size === 0) this.byTable.delete(dbId);
  }

  private tableCaches(dbId: DbId, tableId: TableId): TableCaches {
    let tables = this.byTable.get(dbId);
    if (tables === undefined) this.byTable.set(dbId, (tables = new Map()));
    let caches = tables.get(tableId);
    if (caches === undefined) tables.set(tableId, (caches = { last: new Map(), distinct: new Map() }));
    return caches;
  }

  /** Makes a last cache unless one with this name exists; returns the new cache. */
  private createLast(dbId: DbId, table: TableSchema, def: LastCacheDefinition): LastCache | undefined {
    const caches = this.tableCaches(dbId, table.id);
    if (caches.last.has(def.name)) return undefined;
    const cache = new LastCache(def, table, !this.sources.hasPersistedFiles(dbId, table.id));
    caches.last.set(def.name, cache);
    return cache;
  }

  private createDistinct(dbId: DbId, table: TableSchema, def: DistinctCacheDefinition): DistinctCache | undefined {
    const caches = this.tableCaches(dbId, table.id);
    if (caches.distinct.has(def.name)) return undefined;
    const cache = new DistinctCache(def, !this.sources.hasPersistedFiles(dbId, table.id));
    caches.distinct.set(def.name, cache);
    return cache;
  }

  /**
   * Fills a new cache from the table's buffered rows, oldest chunk first. The buffer does not
   * keep when a row arrived: they age from the file that made the cache.
   */
  private backfill(dbId: DbId, table: TableSchema, cache: LastCache | DistinctCache, arrivedMs: number): void {
    const chunks = [...this.sources.bufferedChunks(dbId, table.id)].sort((a, b) => a.serial - b.serial);
    if (chunks.length === 0) return;
    const isCovering = cache instanceof LastCache && coversSeries(table, cache.definition);
    for (const chunk of chunks) {
      for (const segment of bufferChunkSegments(chunk)) {
        if (cache instanceof LastCache) cache.push(segment, arrivedMs, isCovering);
        else cache.push(segment);
      }
    }
  }
}

/** Whether a last cache's key columns hold every tag of the table (its rows at one time are one point). */
export function coversSeries(table: TableSchema, def: LastCacheDefinition): boolean {
  for (const column of table.columnsById.values()) {
    if (column.type === 'tag' && !def.keyColumnIds.includes(column.id)) return false;
  }
  return true;
}

function hasCacheOps(contents: WalContents): boolean {
  for (const op of contents.ops) {
    if (op.kind !== 'catalog') continue;
    for (const c of op.batch.ops) if (c.kind === 'createLastCache' || c.kind === 'createDistinctCache') return true;
  }
  return false;
}

/**
 * The WAL's notifier in front of the queryable buffer's: hands each file on, then fills the
 * caches from it — before the WAL acknowledges its writers, so an acknowledged write is in the
 * caches too.
 */
export class CacheFiller implements WalFileNotifier {
  constructor(
    private readonly caches: Caches,
    private readonly next: WalFileNotifier,
  ) {}

  async notify(contents: WalContents): Promise<void> {
    await this.next.notify(contents);
    this.caches.apply(contents);
  }

  async notifyAndSnapshot(contents: WalContents, details: SnapshotDetails): Promise<SnapshotStarted> {
    const started = await this.next.notifyAndSnapshot(contents, details);
    this.caches.apply(contents);
    return started;
  }
}
