/**
 * One catalog over several ingest nodes. Each ingest node numbers its databases, tables and
 * columns itself; a query node merges them by name: the same table on two nodes is one table
 * of the merged catalog, with merged ids of its own, and everything a node sends (its WAL
 * files' ops, its Parquet files' metadata, its compactions) is translated to merged ids on the
 * way in. The rows themselves are not copied: a translated chunk shares its arrays.
 *
 * - A column whose name two nodes give different types is a *conflict*: the merged table keeps
 *   the type it learned first, the other node's values of that column are left out, and every
 *   query of the table fails with an error naming both nodes and types — never a wrong answer.
 * - A table (or database) deleted on one node loses that node's rows at once; it leaves the
 *   merged catalog when no node has it any more. Created again, it maps by name as before.
 * - Retention periods and cache definitions follow the last node that set them.
 */
import { Catalog, type CatalogLimits, type TableSchema } from '../catalog/catalog.js';
import type { CompactionManifest } from '../persist/compaction-manifest.js';
import type { PersistedFile, SnapshotManifest } from '../persist/manifest.js';
import type { CatalogBatch, CatalogOp, ColumnData, ColumnDefinition, TableChunk, TableChunks, WalContents, WalOp, WriteBatch } from '../wal/model.js';

interface Source {
  node: string;
  /** The node's own catalog (its ids), kept current with its catalog ops. */
  catalog: Catalog;
  /** Its database ids to merged ones. */
  dbs: Map<number, number>;
  /** `db/table` (its ids) to the merged table id. */
  tables: Map<string, number>;
  /** `db/table` (its ids) to its column ids' merged ones (a conflicting column has none). */
  columns: Map<string, Map<number, number>>;
}

/** What a node's deletion took from it: its rows of these merged tables must go. */
export interface DroppedTable {
  dbId: number;
  tableId: number;
}

export class CatalogMerger {
  readonly merged: Catalog;
  private readonly sources = new Map<string, Source>();
  /** `mergedDb/mergedTable/column` to the node the merged column's type came from. */
  private readonly columnOrigin = new Map<string, string>();
  /** `mergedDb/mergedTable` to its conflicts' descriptions. */
  private readonly conflicts = new Map<string, Set<string>>();

  constructor(limits?: CatalogLimits) {
    this.merged = new Catalog(limits);
  }

  /** Adopts node `node`'s catalog as its snapshot left it (every live database, table and column). */
  addSource(node: string, catalog: Catalog): void {
    const source: Source = { node, catalog, dbs: new Map(), tables: new Map(), columns: new Map() };
    this.sources.set(node, source);
    for (const db of catalog.listDatabases()) {
      const mDb = this.mapDatabase(source, db.id, db.name);
      const retention = catalog.retentionPeriodNs(db.id);
      if (retention > 0n) this.merged.applyCatalogBatch({ databaseId: mDb, databaseName: db.name, timeNs: 0n, ops: [{ kind: 'setRetentionPeriod', retentionPeriodNs: retention }] });
      for (const table of db.tables.values()) {
        this.mapTable(source, db.id, db.name, table.id, table.name, [...table.columns.values()]);
        for (const cache of table.lastCaches.values()) this.translateCatalogOp(source, db.id, db.name, { kind: 'createLastCache', cache });
        for (const cache of table.distinctCaches.values()) this.translateCatalogOp(source, db.id, db.name, { kind: 'createDistinctCache', cache });
      }
    }
  }

  /** Why queries of merged table `table` of database `dbId` fail, or undefined. */
  conflictOf(dbId: number, table: TableSchema): string | undefined {
    const found = this.conflicts.get(`${dbId}/${table.id}`);
    return found === undefined ? undefined : `table ${JSON.stringify(table.name)} has conflicting column types across ingest nodes: ${[...found].join('; ')}`;
  }

  /**
   * Node `node`'s WAL file in merged ids: its catalog ops applied to its own catalog and, as far
   * as they change the merged one, to that; `dropped` gets the merged tables whose rows of this
   * node a deletion took (its buffered rows go with the deletion op kept in the contents).
   */
  translate(node: string, contents: WalContents, dropped: DroppedTable[]): WalContents {
    const source = this.sources.get(node)!;
    const ops: WalOp[] = [];
    for (const op of contents.ops) {
      if (op.kind === 'catalog') {
        const batch = this.translateCatalogBatch(source, op.batch, dropped);
        if (batch !== undefined) ops.push({ kind: 'catalog', batch });
      } else if (op.kind === 'write') {
        const batch = this.translateWrite(source, op.batch);
        if (batch !== undefined) ops.push({ kind: 'write', batch });
      } else ops.push(op);
    }
    return { ...contents, ops };
  }

  /** Node `node`'s file in merged ids; undefined when its table is no longer the node's (deleted). */
  translateFile(node: string, file: PersistedFile): PersistedFile | undefined {
    const source = this.sources.get(node)!;
    const mDb = source.dbs.get(file.dbId);
    const mTable = source.tables.get(`${file.dbId}/${file.tableId}`);
    const columns = source.columns.get(`${file.dbId}/${file.tableId}`);
    if (mDb === undefined || mTable === undefined || columns === undefined) return undefined;
    const columnIds = file.columnIds.flatMap((id) => (columns.has(id) ? [columns.get(id)!] : []));
    const tagRanges = file.tagRanges?.flatMap((r) => (columns.has(r.columnId) ? [{ ...r, columnId: columns.get(r.columnId)! }] : []));
    return { ...file, dbId: mDb, tableId: mTable, columnIds, ...(tagRanges === undefined ? {} : { tagRanges }) };
  }

  translateManifest(node: string, manifest: SnapshotManifest): SnapshotManifest {
    return { ...manifest, files: manifest.files.flatMap((f) => this.translateFile(node, f) ?? []) };
  }

  /** A compaction in merged ids: the keys it removes are the node's own; what it adds is translated. */
  translateCompaction(node: string, compaction: CompactionManifest): CompactionManifest {
    const source = this.sources.get(node)!;
    const added = compaction.added.flatMap((f) => this.translateFile(node, f) ?? []);
    return { ...compaction, dbId: source.dbs.get(compaction.dbId) ?? -1, tableId: source.tables.get(`${compaction.dbId}/${compaction.tableId}`) ?? -1, added };
  }

  // ---- mapping --------------------------------------------------------------------------------

  private mapDatabase(source: Source, dbId: number, name: string): number {
    let mDb = source.dbs.get(dbId);
    if (mDb !== undefined) return mDb;
    const existing = this.merged.database(name);
    mDb = existing?.id ?? this.merged.peekNextDatabaseId();
    if (existing === undefined) this.merged.applyCatalogBatch({ databaseId: mDb, databaseName: name, timeNs: 0n, ops: [{ kind: 'createDatabase' }] });
    source.dbs.set(dbId, mDb);
    return mDb;
  }

  /** Maps the node's table (creating the merged one, adding columns); returns the merged table id. */
  private mapTable(source: Source, dbId: number, dbName: string, tableId: number, tableName: string, columns: readonly ColumnDefinition[]): number {
    const mDb = this.mapDatabase(source, dbId, dbName);
    const key = `${dbId}/${tableId}`;
    const mergedDb = this.merged.databaseById(mDb)!;
    let mTable = source.tables.get(key);
    if (mTable === undefined) {
      mTable = mergedDb.tables.get(tableName)?.id ?? mergedDb.nextTableId;
      source.tables.set(key, mTable);
      source.columns.set(key, new Map());
    }
    const table = mergedDb.tablesById.get(mTable);
    const columnMap = source.columns.get(key)!;
    const added: ColumnDefinition[] = [];
    let next = table?.nextColumnId ?? 0;
    for (const column of columns) {
      if (columnMap.has(column.id)) continue;
      const known = table?.columns.get(column.name) ?? added.find((c) => c.name === column.name);
      if (known === undefined) {
        const def = { id: next++, name: column.name, type: column.type };
        added.push(def);
        columnMap.set(column.id, def.id);
        this.columnOrigin.set(`${mDb}/${mTable}/${column.name}`, source.node);
      } else if (known.type === column.type) {
        columnMap.set(column.id, known.id);
      } else {
        const origin = this.columnOrigin.get(`${mDb}/${mTable}/${column.name}`) ?? 'another node';
        const k = `${mDb}/${mTable}`;
        if (!this.conflicts.has(k)) this.conflicts.set(k, new Set());
        this.conflicts.get(k)!.add(`${JSON.stringify(column.name)} is ${known.type} on node ${JSON.stringify(origin)} and ${column.type} on node ${JSON.stringify(source.node)}`);
      }
    }
    if (table === undefined) this.merged.applyCatalogBatch({ databaseId: mDb, databaseName: dbName, timeNs: 0n, ops: [{ kind: 'createTable', tableId: mTable, tableName, columns: added }] });
    else if (added.length > 0) this.merged.applyCatalogBatch({ databaseId: mDb, databaseName: dbName, timeNs: 0n, ops: [{ kind: 'addColumns', tableId: mTable, tableName, columns: added }] });
    return mTable;
  }

  /** Whether a node other than `except` still has table `tableName` of database `dbName`. */
  private heldElsewhere(except: Source, dbName: string, tableName?: string): boolean {
    for (const s of this.sources.values()) {
      if (s === except) continue;
      const db = s.catalog.database(dbName);
      if (db !== undefined && (tableName === undefined || db.tables.has(tableName))) return true;
    }
    return false;
  }

  private translateCatalogBatch(source: Source, batch: CatalogBatch, dropped: DroppedTable[]): CatalogBatch | undefined {
    // The node's own catalog first: names and liveness are read from it.
    const before = source.catalog.databaseById(batch.databaseId);
    const tablesBefore = new Map(before?.tables ?? []);
    source.catalog.applyCatalogBatch(batch);
    const ops: CatalogOp[] = [];
    for (const op of batch.ops) {
      if (op.kind === 'deleteDatabase') {
        const mDb = source.dbs.get(batch.databaseId);
        if (mDb === undefined) continue;
        for (const t of tablesBefore.values()) this.dropTable(source, batch.databaseId, t.id, mDb, dropped);
        source.dbs.delete(batch.databaseId);
        if (!this.heldElsewhere(source, batch.databaseName)) this.merged.applyCatalogBatch({ ...batch, databaseId: mDb, ops: [op] });
        ops.push(op); // the node's buffered rows of the database go with it
        continue;
      }
      if (op.kind === 'deleteTable') {
        const mDb = source.dbs.get(batch.databaseId);
        const mTable = source.tables.get(`${batch.databaseId}/${op.tableId}`);
        if (mDb === undefined || mTable === undefined) continue;
        this.dropTable(source, batch.databaseId, op.tableId, mDb, dropped);
        if (!this.heldElsewhere(source, batch.databaseName, op.tableName)) this.merged.applyCatalogBatch({ ...batch, databaseId: mDb, ops: [{ ...op, tableId: mTable }] });
        ops.push({ ...op, tableId: mTable });
        continue;
      }
      const translated = this.translateCatalogOp(source, batch.databaseId, batch.databaseName, op);
      if (translated !== undefined) ops.push(translated);
    }
    const mDb = source.dbs.get(batch.databaseId);
    return mDb === undefined || ops.length === 0 ? undefined : { ...batch, databaseId: mDb, ops };
  }

  private dropTable(source: Source, dbId: number, tableId: number, mDb: number, dropped: DroppedTable[]): void {
    const key = `${dbId}/${tableId}`;
    const mTable = source.tables.get(key);
    if (mTable === undefined) return;
    source.tables.delete(key);
    source.columns.delete(key);
    dropped.push({ dbId: mDb, tableId: mTable });
  }

  /** A create, column, retention or cache op in merged ids, applied to the merged catalog. */
  private translateCatalogOp(source: Source, dbId: number, dbName: string, op: CatalogOp): CatalogOp | undefined {
    switch (op.kind) {
      case 'createDatabase': {
        this.mapDatabase(source, dbId, dbName);
        return undefined; // the merged catalog has it
      }
      case 'createTable':
      case 'addColumns': {
        const table = source.catalog.databaseById(dbId)?.tablesById.get(op.tableId);
        if (table === undefined) return undefined; // deleted since
        this.mapTable(source, dbId, dbName, op.tableId, op.tableName, [...table.columns.values()]);
        return undefined;
      }
      case 'setRetentionPeriod': {
        const mDb = this.mapDatabase(source, dbId, dbName);
        this.merged.applyCatalogBatch({ databaseId: mDb, databaseName: dbName, timeNs: 0n, ops: [op] });
        return undefined;
      }
      case 'createLastCache':
      case 'createDistinctCache': {
        const mDb = source.dbs.get(dbId);
        const key = `${dbId}/${op.cache.tableId}`;
        const mTable = source.tables.get(key);
        const columns = source.columns.get(key);
        if (mDb === undefined || mTable === undefined || columns === undefined) return undefined;
        const ids = (list: readonly number[]) => (list.every((id) => columns.has(id)) ? list.map((id) => columns.get(id)!) : undefined);
        let translated: CatalogOp;
        if (op.kind === 'createLastCache') {
          const keys = ids(op.cache.keyColumnIds);
          const values = op.cache.valueColumnIds === undefined ? undefined : ids(op.cache.valueColumnIds);
          if (keys === undefined || (op.cache.valueColumnIds !== undefined && values === undefined)) return undefined;
          translated = { kind: 'createLastCache', cache: { ...op.cache, tableId: mTable, keyColumnIds: keys, valueColumnIds: values } };
        } else {
          const cols = ids(op.cache.columnIds);
          if (cols === undefined) return undefined;
          translated = { kind: 'createDistinctCache', cache: { ...op.cache, tableId: mTable, columnIds: cols } };
        }
        const existing = this.merged.databaseById(mDb)?.tablesById.get(mTable);
        const caches: Map<string, unknown> | undefined = translated.kind === 'createLastCache' ? existing?.lastCaches : existing?.distinctCaches;
        if (caches?.has(op.cache.name) === true) return undefined; // defined by another node first
        this.merged.applyCatalogBatch({ databaseId: mDb, databaseName: dbName, timeNs: 0n, ops: [translated] });
        return translated;
      }
      case 'deleteLastCache':
      case 'deleteDistinctCache': {
        const mDb = source.dbs.get(dbId);
        const mTable = source.tables.get(`${dbId}/${op.tableId}`);
        if (mDb === undefined || mTable === undefined) return undefined;
        const translated = { ...op, tableId: mTable };
        this.merged.applyCatalogBatch({ databaseId: mDb, databaseName: dbName, timeNs: 0n, ops: [translated] });
        return translated;
      }
      default:
        return undefined;
    }
  }

  private translateWrite(source: Source, batch: WriteBatch): WriteBatch | undefined {
    const mDb = source.dbs.get(batch.databaseId);
    if (mDb === undefined) return undefined;
    const tableChunks = new Map<number, TableChunks>();
    for (const [tableId, chunks] of batch.tableChunks) {
      const key = `${batch.databaseId}/${tableId}`;
      const mTable = source.tables.get(key);
      const columns = source.columns.get(key);
      if (mTable === undefined || columns === undefined) continue; // its table was deleted since
      const chunkTimeToChunk = new Map<bigint, TableChunk>();
      for (const [time, chunk] of chunks.chunkTimeToChunk) {
        const mapped = new Map<number, ColumnData>();
        for (const [columnId, data] of chunk.columns) {
          const mColumn = columns.get(columnId);
          if (mColumn !== undefined) mapped.set(mColumn, data);
        }
        chunkTimeToChunk.set(time, { ...chunk, columns: mapped });
      }
      tableChunks.set(mTable, { ...chunks, chunkTimeToChunk });
    }
    return tableChunks.size === 0 ? undefined : { ...batch, databaseId: mDb, tableChunks };
  }
}
