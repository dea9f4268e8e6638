import type { CatalogBatch, CatalogOp, ColumnDefinition, ColumnType, DbId, DistinctCacheDefinition, LastCacheDefinition, TableId } from '../wal/model.js';
import { CatalogError } from './errors.js';
import { isBareJsonDocument, openSealedDocument, sealDocument, SealedDocumentError } from './sealed-json.js';

/** Limits on the catalog's size; InfluxDB 3 Core's messages are kept so clients understand them. */
export interface CatalogLimits {
  maxDatabases: number;
  /** Tables across all databases. */
  maxTables: number;
  /** Columns per table, including `time`. */
  maxColumnsPerTable: number;
}

/** Sluice's defaults (InfluxDB 3 Core: 5 databases, 2 000 tables, 500 columns per table). */
export function defaultCatalogLimits(): CatalogLimits {
  return { maxDatabases: 100, maxTables: 2000, maxColumnsPerTable: 500 };
}

/** A table's schema. */
export interface TableSchema {
  readonly id: TableId;
  readonly name: string;
  readonly columns: Map<string, ColumnDefinition>;
  readonly columnsById: Map<number, ColumnDefinition>;
  nextColumnId: number;
  /** The table's last-value caches, by name (docs/caches.md). */
  readonly lastCaches: Map<string, LastCacheDefinition>;
  /** The table's distinct-value caches, by name. */
  readonly distinctCaches: Map<string, DistinctCacheDefinition>;
}

/** A database's schema. */
export interface DatabaseSchema {
  readonly id: DbId;
  readonly name: string;
  readonly tables: Map<string, TableSchema>;
  readonly tablesById: Map<TableId, TableSchema>;
  nextTableId: number;
}

/**
 * A deleted database or table, kept by id (a tombstone). InfluxDB 3 renames a soft-deleted
 * database to `name-<YYYYMMDDTHHMMSS>` to free its name; Sluice instead moves it out of the name
 * index into this record, so the name is free for a new object (with a new id) without inventing
 * a name a user could have taken, and replay can tell "deleted" from "never seen": a create, a
 * schema change or a write for a deleted id — from a WAL file written before the delete, read
 * again after a crash — is ignored and never brings the object or its rows back.
 */
export interface DeletedObject {
  readonly id: number;
  readonly name: string;
  readonly deletionTimeNs: bigint;
}

const DB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const MAX_NAME_BYTES = 511;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Checks a database name with InfluxDB 3's rule: ASCII letter or digit, then letters, digits, `_`, `-`; ≤ 511. */
export function validateDatabaseName(name: string): void {
  if (name.length === 0) throw new CatalogError('INVALID_NAME', 'database name must not be empty');
  if (name.length > MAX_NAME_BYTES) throw new CatalogError('INVALID_NAME', `database name is longer than ${MAX_NAME_BYTES} characters`);
  if (!DB_NAME.test(name)) {
    throw new CatalogError('INVALID_NAME', `invalid database name ${JSON.stringify(name)}: it must start with an ASCII letter or digit and contain only ASCII letters, digits, '_' and '-'`);
  }
}

/** Checks a table or column name: 1–511 UTF-8 bytes, no control characters. */
export function validateObjectName(what: 'table' | 'column', name: string): void {
  if (name.length === 0) throw new CatalogError('INVALID_NAME', `${what} name must not be empty`);
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) throw new CatalogError('INVALID_NAME', `${what} name is longer than ${MAX_NAME_BYTES} bytes`);
  if (CONTROL.test(name)) throw new CatalogError('INVALID_NAME', `${what} name ${JSON.stringify(name)} contains a control character`);
}

/**
 * The version of the catalog's serialized form: 4 adds last and distinct value caches; 3 adds
 * retention periods and deleted databases and tables (tombstones); 2 is sealed (checksummed) and
 * 1, bare JSON, are still read.
 */
export const CATALOG_FORMAT_VERSION = 4;
/** The kind in a sealed catalog's header line. */
const CATALOG_KIND = 'CATALOG';

interface SerializedDeleted {
  id: number;
  name: string;
  /** Nanoseconds, as a decimal string (exact past 2^53). */
  deletionTimeNs: string;
}

interface SerializedCatalog {
  version: number;
  nextDatabaseId: number;
  databases: Array<{
    id: number;
    name: string;
    nextTableId: number;
    /** Version 3: nanoseconds as a decimal string, "0" for none. */
    retentionPeriodNs?: string;
    /** Version 4 adds `lastCaches` and `distinctCaches`. */
    tables: Array<{ id: number; name: string; nextColumnId: number; columns: ColumnDefinition[]; lastCaches?: LastCacheDefinition[]; distinctCaches?: DistinctCacheDefinition[] }>;
    /** Version 3. */
    deletedTables?: SerializedDeleted[];
  }>;
  /** Version 3. */
  deletedDatabases?: SerializedDeleted[];
}

const COLUMN_TYPES = new Set<ColumnType>(['tag', 'time', 'int64', 'uint64', 'float64', 'string', 'bool']);

/**
 * Databases, tables and columns with numeric ids. Changes arrive as CatalogBatch ops — from
 * the validator on the write path and again from WAL replay — and applying one twice is a no-op.
 */
export class Catalog {
  private readonly databases = new Map<string, DatabaseSchema>();
  private readonly databasesById = new Map<DbId, DatabaseSchema>();
  private readonly deletedDatabases = new Map<DbId, DeletedObject>();
  /** Tables deleted from live databases, by database id and (never reused) table id. */
  private readonly deletedTables = new Map<DbId, Map<TableId, DeletedObject>>();
  /** Retention periods in nanoseconds of the databases that have one. */
  private readonly retentionPeriods = new Map<DbId, bigint>();
  private nextDatabaseId = 0;
  private tableCount = 0;
  private changes = 0;
  private lastRemoval = 0;

  constructor(readonly limits: CatalogLimits = defaultCatalogLimits()) {}

  /** The database named `name`, if any. */
  database(name: string): DatabaseSchema | undefined {
    return this.databases.get(name);
  }

  /** The database with id `id`, if any. */
  databaseById(id: DbId): DatabaseSchema | undefined {
    return this.databasesById.get(id);
  }

  /** Every database, in id order. */
  listDatabases(): DatabaseSchema[] {
    return [...this.databasesById.values()].sort((a, b) => a.id - b.id);
  }

  /** Deleted databases, in id order (their names may have been taken again by new databases). */
  listDeletedDatabases(): DeletedObject[] {
    return [...this.deletedDatabases.values()].sort((a, b) => a.id - b.id);
  }

  /** Whether database `dbId` was deleted. */
  isDatabaseDeleted(dbId: DbId): boolean {
    return this.deletedDatabases.has(dbId);
  }

  /** Whether table `tableId` of database `dbId` was deleted, or its whole database was. */
  isTableDeleted(dbId: DbId, tableId: TableId): boolean {
    return this.deletedDatabases.has(dbId) || this.deletedTables.get(dbId)?.has(tableId) === true;
  }

  /** The deleted tables of live database `dbId`, in id order. */
  listDeletedTables(dbId: DbId): DeletedObject[] {
    return [...(this.deletedTables.get(dbId)?.values() ?? [])].sort((a, b) => a.id - b.id);
  }

  /** Database `dbId`'s retention period in nanoseconds: rows older than now minus it are invisible; 0n keeps everything. */
  retentionPeriodNs(dbId: DbId): bigint {
    return this.retentionPeriods.get(dbId) ?? 0n;
  }

  /**
   * The oldest time still visible in database `dbId` at `nowNs` under its retention period, or
   * undefined when it keeps everything (or does not exist).
   */
  retentionCutoffNs(dbId: DbId, nowNs: bigint): bigint | undefined {
    const period = this.retentionPeriods.get(dbId) ?? 0n;
    return period > 0n ? nowNs - period : undefined;
  }

  /** The id the next new database gets. */
  peekNextDatabaseId(): DbId {
    return this.nextDatabaseId;
  }

  /** Tables across all databases. */
  totalTables(): number {
    return this.tableCount;
  }

  /**
   * Counts changes: rises with every batch that changed something (a batch applied again, as
   * the WAL does live, changes nothing) and every reverted one. Work validated against a copy of
   * the catalog at version v (a write worker's) holds as long as nothing was removed since v
   * ({@link removalVersion} ≤ v) and, if it adds schema itself, nothing changed at all.
   */
  get version(): number {
    return this.changes;
  }

  /** The version of the last change that removed something (a delete, a reverted batch). */
  get removalVersion(): number {
    return this.lastRemoval;
  }

  /** Applies a batch of changes; idempotent, so replay can apply what is already there. */
  applyCatalogBatch(batch: CatalogBatch): void {
    let isChanged = false;
    let isRemoved = false;
    try {
      for (const op of batch.ops) {
        if (!this.applyOp(batch.databaseId, batch.databaseName, op)) continue;
        isChanged = true;
        if (op.kind === 'deleteDatabase' || op.kind === 'deleteTable') isRemoved = true;
      }
    } finally {
      if (isChanged) this.changes++;
      if (isRemoved) this.lastRemoval = this.changes;
    }
  }

  /** Applies one op; returns whether it changed anything. */
  private applyOp(dbId: DbId, dbName: string, op: CatalogOp): boolean {
    switch (op.kind) {
      case 'createDatabase': {
        if (this.deletedDatabases.has(dbId)) return false; // replayed from before its delete
        const existing = this.databasesById.get(dbId);
        if (existing !== undefined) {
          if (existing.name !== dbName) throw new CatalogError('INCONSISTENT', `database ${dbId} is ${JSON.stringify(existing.name)}, not ${JSON.stringify(dbName)}`);
          return false;
        }
        if (this.databases.has(dbName)) throw new CatalogError('INCONSISTENT', `database ${JSON.stringify(dbName)} exists with another id`);
        const db: DatabaseSchema = { id: dbId, name: dbName, tables: new Map(), tablesById: new Map(), nextTableId: 0 };
        this.databases.set(dbName, db);
        this.databasesById.set(dbId, db);
        this.nextDatabaseId = Math.max(this.nextDatabaseId, dbId + 1);
        return true;
      }
      case 'createTable':
      case 'addColumns': {
        if (this.isTableDeleted(dbId, op.tableId)) return false; // replayed from before its delete
        const db = this.requireDatabase(dbId, dbName);
        let table = db.tablesById.get(op.tableId);
        let isChangedHere = false;
        if (table === undefined) {
          if (op.kind === 'addColumns') throw new CatalogError('INCONSISTENT', `table ${op.tableId} of database ${dbName} does not exist`);
          if (db.tables.has(op.tableName)) throw new CatalogError('INCONSISTENT', `table ${JSON.stringify(op.tableName)} exists with another id`);
          table = { id: op.tableId, name: op.tableName, columns: new Map(), columnsById: new Map(), nextColumnId: 0, lastCaches: new Map(), distinctCaches: new Map() };
          db.tables.set(op.tableName, table);
          db.tablesById.set(op.tableId, table);
          db.nextTableId = Math.max(db.nextTableId, op.tableId + 1);
          this.tableCount++;
          isChangedHere = true;
        } else if (table.name !== op.tableName) {
          throw new CatalogError('INCONSISTENT', `table ${op.tableId} is ${JSON.stringify(table.name)}, not ${JSON.stringify(op.tableName)}`);
        }
        for (const column of op.columns) if (addColumn(table, column)) isChangedHere = true;
        return isChangedHere;
      }
      case 'deleteDatabase': {
        if (this.deletedDatabases.has(dbId)) return false;
        const db = this.databasesById.get(dbId);
        if (db !== undefined) {
          this.databases.delete(db.name);
          this.databasesById.delete(dbId);
          this.tableCount -= db.tables.size;
        }
        this.deletedTables.delete(dbId);
        this.retentionPeriods.delete(dbId);
        // A tombstone even for an id never seen: its create may come later in a replay.
        this.deletedDatabases.set(dbId, { id: dbId, name: db?.name ?? dbName, deletionTimeNs: op.deletionTimeNs });
        this.nextDatabaseId = Math.max(this.nextDatabaseId, dbId + 1);
        return true;
      }
      case 'deleteTable': {
        if (this.isTableDeleted(dbId, op.tableId)) return false;
        const db = this.databasesById.get(dbId);
        if (db === undefined) return false;
        const table = db.tablesById.get(op.tableId);
        if (table !== undefined) {
          db.tables.delete(table.name);
          db.tablesById.delete(table.id);
          this.tableCount--;
        }
        let deleted = this.deletedTables.get(dbId);
        if (deleted === undefined) this.deletedTables.set(dbId, (deleted = new Map()));
        deleted.set(op.tableId, { id: op.tableId, name: table?.name ?? op.tableName, deletionTimeNs: op.deletionTimeNs });
        db.nextTableId = Math.max(db.nextTableId, op.tableId + 1);
        return true;
      }
      case 'setRetentionPeriod': {
        if (!this.databasesById.has(dbId) || this.retentionPeriodNs(dbId) === op.retentionPeriodNs) return false;
        if (op.retentionPeriodNs === 0n) this.retentionPeriods.delete(dbId);
        else this.retentionPeriods.set(dbId, op.retentionPeriodNs);
        return true;
      }
      case 'createLastCache':
      case 'createDistinctCache': {
        const cache = op.cache;
        if (this.isTableDeleted(dbId, cache.tableId)) return false; // replayed from before its delete
        const table = this.requireTable(dbId, dbName, cache.tableId, cache.tableName);
        const caches: Map<string, LastCacheDefinition | DistinctCacheDefinition> = op.kind === 'createLastCache' ? table.lastCaches : table.distinctCaches;
        const existing = caches.get(cache.name);
        if (existing !== undefined) {
          if (!sameCacheDefinition(existing, cache)) throw new CatalogError('INCONSISTENT', `cache ${JSON.stringify(cache.name)} of table ${table.name} exists with another definition`);
          return false;
        }
        for (const id of op.kind === 'createLastCache' ? [...op.cache.keyColumnIds, ...(op.cache.valueColumnIds ?? [])] : op.cache.columnIds) {
          if (!table.columnsById.has(id)) throw new CatalogError('INCONSISTENT', `cache ${JSON.stringify(cache.name)} names column ${id}, which table ${table.name} does not have`);
        }
        caches.set(cache.name, copyCacheDefinition(cache));
        return true;
      }
      case 'deleteLastCache':
      case 'deleteDistinctCache': {
        if (this.isTableDeleted(dbId, op.tableId)) return false;
        const table = this.databasesById.get(dbId)?.tablesById.get(op.tableId);
        if (table === undefined) return false;
        return (op.kind === 'deleteLastCache' ? table.lastCaches : table.distinctCaches).delete(op.cacheName);
      }
    }
  }

  private requireTable(dbId: DbId, dbName: string, tableId: TableId, tableName: string): TableSchema {
    const table = this.requireDatabase(dbId, dbName).tablesById.get(tableId);
    if (table === undefined || table.name !== tableName) throw new CatalogError('INCONSISTENT', `table ${tableId} (${tableName}) of database ${dbName} does not exist`);
    return table;
  }

  private requireDatabase(dbId: DbId, dbName: string): DatabaseSchema {
    const db = this.databasesById.get(dbId);
    if (db === undefined || db.name !== dbName) throw new CatalogError('INCONSISTENT', `database ${dbId} (${dbName}) does not exist`);
    return db;
  }

  /** Removes what {@link applyCatalogBatch} added for these ops (the validator's undo, same tick only). */
  revertCatalogBatch(batch: CatalogBatch): void {
    this.changes++;
    this.lastRemoval = this.changes;
    for (let i = batch.ops.length - 1; i >= 0; i--) {
      const op = batch.ops[i]!;
      const db = this.databasesById.get(batch.databaseId);
      if (db === undefined) continue;
      if (op.kind === 'setRetentionPeriod') {
        this.retentionPeriods.delete(db.id); // only ever reverted together with its createDatabase
      } else if (op.kind === 'createLastCache') {
        db.tablesById.get(op.cache.tableId)?.lastCaches.delete(op.cache.name);
      } else if (op.kind === 'createDistinctCache') {
        db.tablesById.get(op.cache.tableId)?.distinctCaches.delete(op.cache.name);
      } else if (op.kind === 'createDatabase') {
        this.retentionPeriods.delete(db.id);
        this.databases.delete(db.name);
        this.databasesById.delete(db.id);
        this.tableCount -= db.tables.size;
        if (this.nextDatabaseId === db.id + 1) this.nextDatabaseId = db.id;
      } else if (op.kind === 'createTable' || op.kind === 'addColumns') {
        const table = db.tablesById.get(op.tableId);
        if (table === undefined) continue;
        // Last column first, so the next column id steps back over each one.
        for (let c = op.columns.length - 1; c >= 0; c--) {
          const column = op.columns[c]!;
          table.columns.delete(column.name);
          table.columnsById.delete(column.id);
          if (table.nextColumnId === column.id + 1) table.nextColumnId = column.id;
        }
        if (op.kind === 'createTable') {
          db.tables.delete(table.name);
          db.tablesById.delete(table.id);
          this.tableCount--;
          if (db.nextTableId === table.id + 1) db.nextTableId = table.id;
        }
      }
    }
  }

  /** The catalog as a sealed, versioned JSON document (persisted with each snapshot; see sealed-json.ts). */
  serialize(): Uint8Array {
    const doc: SerializedCatalog = {
      version: CATALOG_FORMAT_VERSION,
      nextDatabaseId: this.nextDatabaseId,
      databases: this.listDatabases().map((db) => ({
        id: db.id,
        name: db.name,
        nextTableId: db.nextTableId,
        retentionPeriodNs: String(this.retentionPeriodNs(db.id)),
        tables: [...db.tablesById.values()]
          .sort((a, b) => a.id - b.id)
          .map((t) => ({
            id: t.id,
            name: t.name,
            nextColumnId: t.nextColumnId,
            columns: [...t.columnsById.values()].sort((a, b) => a.id - b.id),
            // valueColumnIds undefined (every non-key column) is left out of the JSON
            lastCaches: [...t.lastCaches.values()],
            distinctCaches: [...t.distinctCaches.values()],
          })),
        deletedTables: this.listDeletedTables(db.id).map(serializeDeleted),
      })),
      deletedDatabases: this.listDeletedDatabases().map(serializeDeleted),
    };
    return sealDocument(CATALOG_KIND, CATALOG_FORMAT_VERSION, Buffer.from(`${JSON.stringify(doc)}\n`));
  }

  /**
   * Reads what {@link serialize} wrote (or the bare JSON of version 1); CatalogError CORRUPT
   * saying what is wrong for anything else: a damaged file is refused, never misread.
   */
  static deserialize(bytes: Uint8Array, limits: CatalogLimits = defaultCatalogLimits()): Catalog {
    const corrupt = (what: string): never => {
      throw new CatalogError('CORRUPT', `catalog file ${what}`);
    };
    let json = bytes;
    let version = 1;
    if (!isBareJsonDocument(bytes)) {
      try {
        ({ version, payload: json } = openSealedDocument(bytes, CATALOG_KIND));
      } catch (err) {
        if (!(err instanceof SealedDocumentError)) throw err;
        return corrupt(`is damaged: ${err.message}`);
      }
      if (version !== 2 && version !== 3 && version !== CATALOG_FORMAT_VERSION) return corrupt(`has unsupported version ${version} (this build reads 1, 2, 3 and ${CATALOG_FORMAT_VERSION})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
    } catch (err) {
      return corrupt(`is not valid JSON: ${(err as Error).message}`);
    }
    const doc = readSerializedCatalog(raw, version, corrupt);
    const catalog = new Catalog(limits);
    try {
      for (const db of doc.databases) {
        catalog.applyCatalogBatch({ databaseId: db.id, databaseName: db.name, timeNs: 0n, ops: [{ kind: 'createDatabase' }] });
        const dbSchema = catalog.databasesById.get(db.id)!;
        for (const t of db.tables) {
          catalog.applyCatalogBatch({ databaseId: db.id, databaseName: db.name, timeNs: 0n, ops: [{ kind: 'createTable', tableId: t.id, tableName: t.name, columns: t.columns }] });
          const table = dbSchema.tablesById.get(t.id)!;
          table.nextColumnId = Math.max(t.nextColumnId, table.nextColumnId);
          const cacheOps: CatalogOp[] = [...(t.lastCaches ?? []).map((cache): CatalogOp => ({ kind: 'createLastCache', cache })), ...(t.distinctCaches ?? []).map((cache): CatalogOp => ({ kind: 'createDistinctCache', cache }))];
          if (cacheOps.length > 0) catalog.applyCatalogBatch({ databaseId: db.id, databaseName: db.name, timeNs: 0n, ops: cacheOps });
        }
        dbSchema.nextTableId = Math.max(db.nextTableId, dbSchema.nextTableId);
        const retentionPeriodNs = BigInt(db.retentionPeriodNs ?? '0');
        if (retentionPeriodNs > 0n) catalog.retentionPeriods.set(db.id, retentionPeriodNs);
        for (const t of db.deletedTables ?? []) {
          if (dbSchema.tablesById.has(t.id)) throw new CatalogError('INCONSISTENT', `table ${t.id} of database ${db.name} is both live and deleted`);
          catalog.applyCatalogBatch({ databaseId: db.id, databaseName: db.name, timeNs: 0n, ops: [{ kind: 'deleteTable', tableId: t.id, tableName: t.name, deletionTimeNs: BigInt(t.deletionTimeNs) }] });
        }
      }
      for (const d of doc.deletedDatabases ?? []) {
        if (catalog.databasesById.has(d.id)) throw new CatalogError('INCONSISTENT', `database ${d.id} is both live and deleted`);
        catalog.deletedDatabases.set(d.id, { id: d.id, name: d.name, deletionTimeNs: BigInt(d.deletionTimeNs) });
      }
      catalog.nextDatabaseId = Math.max(doc.nextDatabaseId, catalog.nextDatabaseId);
    } catch (err) {
      if (err instanceof CatalogError) return corrupt(`is inconsistent: ${err.message}`);
      throw err;
    }
    return catalog;
  }
}

/** Checks the shape of a parsed catalog document: every id an integer, every name a string. */
function readSerializedCatalog(raw: unknown, version: number, corrupt: (what: string) => never): SerializedCatalog {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const id = (v: unknown, what: string): number => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : corrupt(`is malformed: ${what} is not a non-negative integer`));
  const name = (v: unknown, what: string): string => (typeof v === 'string' ? v : corrupt(`is malformed: ${what} is not a string`));
  const list = (v: unknown, what: string): unknown[] => (Array.isArray(v) ? v : corrupt(`is malformed: ${what} is not an array`));
  if (!isObject(raw)) return corrupt('is not a JSON object');
  if (raw.version !== version) return corrupt(`has version ${JSON.stringify(raw.version)} in a version ${version} document`);
  const hasV3 = version >= 3;
  const hasV4 = version >= 4;
  const ids = (v: unknown, what: string): number[] => list(v, what).map((x, i) => id(x, `${what}[${i}]`));
  const nanos = (v: unknown, what: string): string => (typeof v === 'string' && /^(0|[1-9][0-9]{0,18})$/.test(v) ? v : corrupt(`is malformed: ${what} is not a non-negative decimal string`));
  const deleted = (v: unknown, what: string): SerializedDeleted[] =>
    list(v, what).map((x, i) => {
      if (!isObject(x)) return corrupt(`is malformed: ${what}[${i}] is not an object`);
      return { id: id(x.id, `${what}[${i}].id`), name: name(x.name, `${what}[${i}].name`), deletionTimeNs: nanos(x.deletionTimeNs, `${what}[${i}].deletionTimeNs`) };
    });
  return {
    version,
    nextDatabaseId: id(raw.nextDatabaseId, 'nextDatabaseId'),
    ...(hasV3 ? { deletedDatabases: deleted(raw.deletedDatabases, 'deletedDatabases') } : {}),
    databases: list(raw.databases, 'databases').map((db, d) => {
      if (!isObject(db)) return corrupt(`is malformed: databases[${d}] is not an object`);
      return {
        id: id(db.id, `databases[${d}].id`),
        name: name(db.name, `databases[${d}].name`),
        nextTableId: id(db.nextTableId, `databases[${d}].nextTableId`),
        ...(hasV3 ? { retentionPeriodNs: nanos(db.retentionPeriodNs, `databases[${d}].retentionPeriodNs`), deletedTables: deleted(db.deletedTables, `databases[${d}].deletedTables`) } : {}),
        tables: list(db.tables, `databases[${d}].tables`).map((t, i) => {
          const at = `databases[${d}].tables[${i}]`;
          if (!isObject(t)) return corrupt(`is malformed: ${at} is not an object`);
          return {
            id: id(t.id, `${at}.id`),
            name: name(t.name, `${at}.name`),
            nextColumnId: id(t.nextColumnId, `${at}.nextColumnId`),
            columns: list(t.columns, `${at}.columns`).map((c, j): ColumnDefinition => {
              if (!isObject(c)) return corrupt(`is malformed: ${at}.columns[${j}] is not an object`);
              if (!COLUMN_TYPES.has(c.type as ColumnType)) return corrupt(`is malformed: unknown column type ${JSON.stringify(c.type)} at ${at}.columns[${j}]`);
              return { id: id(c.id, `${at}.columns[${j}].id`), name: name(c.name, `${at}.columns[${j}].name`), type: c.type as ColumnType };
            }),
            ...(hasV4
              ? {
                  lastCaches: (t.lastCaches === undefined ? [] : list(t.lastCaches, `${at}.lastCaches`)).map((c, j): LastCacheDefinition => {
                    const w = `${at}.lastCaches[${j}]`;
                    if (!isObject(c)) return corrupt(`is malformed: ${w} is not an object`);
                    return {
                      tableId: id(c.tableId, `${w}.tableId`),
                      tableName: name(c.tableName, `${w}.tableName`),
                      name: name(c.name, `${w}.name`),
                      keyColumnIds: ids(c.keyColumnIds, `${w}.keyColumnIds`),
                      valueColumnIds: c.valueColumnIds === undefined ? undefined : ids(c.valueColumnIds, `${w}.valueColumnIds`),
                      count: id(c.count, `${w}.count`),
                      ttlSeconds: id(c.ttlSeconds, `${w}.ttlSeconds`),
                    };
                  }),
                  distinctCaches: (t.distinctCaches === undefined ? [] : list(t.distinctCaches, `${at}.distinctCaches`)).map((c, j): DistinctCacheDefinition => {
                    const w = `${at}.distinctCaches[${j}]`;
                    if (!isObject(c)) return corrupt(`is malformed: ${w} is not an object`);
                    return {
                      tableId: id(c.tableId, `${w}.tableId`),
                      tableName: name(c.tableName, `${w}.tableName`),
                      name: name(c.name, `${w}.name`),
                      columnIds: ids(c.columnIds, `${w}.columnIds`),
                      maxCardinality: id(c.maxCardinality, `${w}.maxCardinality`),
                      maxAgeSeconds: id(c.maxAgeSeconds, `${w}.maxAgeSeconds`),
                    };
                  }),
                }
              : {}),
          };
        }),
      };
    }),
  };
}

/** Whether two cache definitions (both last or both distinct) are the same. */
export function sameCacheDefinition(a: LastCacheDefinition | DistinctCacheDefinition, b: LastCacheDefinition | DistinctCacheDefinition): boolean {
  return JSON.stringify(canonicalCache(a)) === JSON.stringify(canonicalCache(b));
}

function canonicalCache(c: LastCacheDefinition | DistinctCacheDefinition): unknown[] {
  if ('keyColumnIds' in c) return ['last', c.tableId, c.tableName, c.name, c.keyColumnIds, c.valueColumnIds ?? null, c.count, c.ttlSeconds];
  return ['distinct', c.tableId, c.tableName, c.name, c.columnIds, c.maxCardinality, c.maxAgeSeconds];
}

function copyCacheDefinition<T extends LastCacheDefinition | DistinctCacheDefinition>(c: T): T {
  if ('keyColumnIds' in c) return { ...c, keyColumnIds: [...c.keyColumnIds], valueColumnIds: c.valueColumnIds === undefined ? undefined : [...c.valueColumnIds] };
  return { ...c, columnIds: [...(c as DistinctCacheDefinition).columnIds] };
}

function serializeDeleted(d: DeletedObject): SerializedDeleted {
  return { id: d.id, name: d.name, deletionTimeNs: String(d.deletionTimeNs) };
}

/** Adds a column; returns false if it is already there (and throws if it differs). */
function addColumn(table: TableSchema, column: ColumnDefinition): boolean {
  const byId = table.columnsById.get(column.id);
  if (byId !== undefined) {
    if (byId.name !== column.name || byId.type !== column.type) {
      throw new CatalogError('INCONSISTENT', `column ${column.id} of table ${table.name} is ${byId.name} (${byId.type}), not ${column.name} (${column.type})`);
    }
    return false;
  }
  if (table.columns.has(column.name)) throw new CatalogError('INCONSISTENT', `column ${JSON.stringify(column.name)} of table ${table.name} exists with another id`);
  const copy: ColumnDefinition = { id: column.id, name: column.name, type: column.type };
  table.columns.set(column.name, copy);
  table.columnsById.set(column.id, copy);
  table.nextColumnId = Math.max(table.nextColumnId, column.id + 1);
  return true;
}
