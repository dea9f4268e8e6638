import type { CatalogBatch, CatalogOp, ColumnDefinition, ColumnType, DbId, TableId } from '../wal/model.js';
import { CatalogError } from './errors.js';

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
}

/** A database's schema. */
export interface DatabaseSchema {
  readonly id: DbId;
  readonly name: string;
  readonly tables: Map<string, TableSchema>;
  readonly tablesById: Map<TableId, TableSchema>;
  nextTableId: number;
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

/** The version of the catalog's serialized form. */
export const CATALOG_FORMAT_VERSION = 1;

interface SerializedCatalog {
  version: number;
  nextDatabaseId: number;
  databases: Array<{ id: number; name: string; nextTableId: number; tables: Array<{ id: number; name: string; nextColumnId: number; columns: ColumnDefinition[] }> }>;
}

const COLUMN_TYPES = new Set<ColumnType>(['tag', 'time', 'int64', 'uint64', 'float64', 'string', 'bool']);

/**
 * Databases, tables and columns with numeric ids. Changes arrive as CatalogBatch ops — from
 * the validator on the write path and again from WAL replay — and applying one twice is a no-op.
 */
export class Catalog {
  private readonly databases = new Map<string, DatabaseSchema>();
  private readonly databasesById = new Map<DbId, DatabaseSchema>();
  private nextDatabaseId = 0;
  private tableCount = 0;

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

  /** The id the next new database gets. */
  peekNextDatabaseId(): DbId {
    return this.nextDatabaseId;
  }

  /** Tables across all databases. */
  totalTables(): number {
    return this.tableCount;
  }

  /** Applies a batch of changes; idempotent, so replay can apply what is already there. */
  applyCatalogBatch(batch: CatalogBatch): void {
    for (const op of batch.ops) this.applyOp(batch.databaseId, batch.databaseName, op);
  }

  private applyOp(dbId: DbId, dbName: string, op: CatalogOp): void {
    switch (op.kind) {
      case 'createDatabase': {
        const existing = this.databasesById.get(dbId);
        if (existing !== undefined) {
          if (existing.name !== dbName) throw new CatalogError('INCONSISTENT', `database ${dbId} is ${JSON.stringify(existing.name)}, not ${JSON.stringify(dbName)}`);
          return;
        }
        if (this.databases.has(dbName)) throw new CatalogError('INCONSISTENT', `database ${JSON.stringify(dbName)} exists with another id`);
        const db: DatabaseSchema = { id: dbId, name: dbName, tables: new Map(), tablesById: new Map(), nextTableId: 0 };
        this.databases.set(dbName, db);
        this.databasesById.set(dbId, db);
        this.nextDatabaseId = Math.max(this.nextDatabaseId, dbId + 1);
        return;
      }
      case 'createTable':
      case 'addColumns': {
        const db = this.requireDatabase(dbId, dbName);
        let table = db.tablesById.get(op.tableId);
        if (table === undefined) {
          if (op.kind === 'addColumns') throw new CatalogError('INCONSISTENT', `table ${op.tableId} of database ${dbName} does not exist`);
          if (db.tables.has(op.tableName)) throw new CatalogError('INCONSISTENT', `table ${JSON.stringify(op.tableName)} exists with another id`);
          table = { id: op.tableId, name: op.tableName, columns: new Map(), columnsById: new Map(), nextColumnId: 0 };
          db.tables.set(op.tableName, table);
          db.tablesById.set(op.tableId, table);
          db.nextTableId = Math.max(db.nextTableId, op.tableId + 1);
          this.tableCount++;
        } else if (table.name !== op.tableName) {
          throw new CatalogError('INCONSISTENT', `table ${op.tableId} is ${JSON.stringify(table.name)}, not ${JSON.stringify(op.tableName)}`);
        }
        for (const column of op.columns) addColumn(table, column);
        return;
      }
      case 'deleteDatabase': {
        const db = this.databasesById.get(dbId);
        if (db === undefined) return;
        this.databases.delete(db.name);
        this.databasesById.delete(dbId);
        this.tableCount -= db.tables.size;
        return;
      }
      case 'deleteTable': {
        const db = this.databasesById.get(dbId);
        const table = db?.tablesById.get(op.tableId);
        if (db === undefined || table === undefined) return;
        db.tables.delete(table.name);
        db.tablesById.delete(table.id);
        this.tableCount--;
        return;
      }
    }
  }

  private requireDatabase(dbId: DbId, dbName: string): DatabaseSchema {
    const db = this.databasesById.get(dbId);
    if (db === undefined || db.name !== dbName) throw new CatalogError('INCONSISTENT', `database ${dbId} (${dbName}) does not exist`);
    return db;
  }

  /** Removes what {@link applyCatalogBatch} added for these ops (the validator's undo, same tick only). */
  revertCatalogBatch(batch: CatalogBatch): void {
    for (let i = batch.ops.length - 1; i >= 0; i--) {
      const op = batch.ops[i]!;
      const db = this.databasesById.get(batch.databaseId);
      if (db === undefined) continue;
      if (op.kind === 'createDatabase') {
        this.databases.delete(db.name);
        this.databasesById.delete(db.id);
        this.tableCount -= db.tables.size;
        if (this.nextDatabaseId === db.id + 1) this.nextDatabaseId = db.id;
      } else if (op.kind === 'createTable' || op.kind === 'addColumns') {
        const table = db.tablesById.get(op.tableId);
        if (table === undefined) continue;
        for (const column of op.columns) {
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

  /** The catalog as a versioned JSON document (persisted with each snapshot). */
  serialize(): Uint8Array {
    const doc: SerializedCatalog = {
      version: CATALOG_FORMAT_VERSION,
      nextDatabaseId: this.nextDatabaseId,
      databases: this.listDatabases().map((db) => ({
        id: db.id,
        name: db.name,
        nextTableId: db.nextTableId,
        tables: [...db.tablesById.values()]
          .sort((a, b) => a.id - b.id)
          .map((t) => ({ id: t.id, name: t.name, nextColumnId: t.nextColumnId, columns: [...t.columnsById.values()].sort((a, b) => a.id - b.id) })),
      })),
    };
    return Buffer.from(JSON.stringify(doc));
  }

  /** Reads what {@link serialize} wrote; CatalogError naming the problem for anything else. */
  static deserialize(bytes: Uint8Array, limits: CatalogLimits = defaultCatalogLimits()): Catalog {
    let doc: SerializedCatalog;
    try {
      doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as SerializedCatalog;
    } catch (err) {
      throw new CatalogError('CORRUPT', `catalog file is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof doc !== 'object' || doc === null || doc.version !== CATALOG_FORMAT_VERSION) {
      throw new CatalogError('CORRUPT', `unsupported catalog version ${JSON.stringify((doc as { version?: unknown } | null)?.version)}`);
    }
    const catalog = new Catalog(limits);
    try {
      for (const db of doc.databases) {
        catalog.applyCatalogBatch({ databaseId: db.id, databaseName: db.name, timeNs: 0n, ops: [{ kind: 'createDatabase' }] });
        for (const t of db.tables) {
          for (const c of t.columns) if (!COLUMN_TYPES.has(c.type)) throw new CatalogError('CORRUPT', `unknown column type ${JSON.stringify(c.type)}`);
          catalog.applyCatalogBatch({ databaseId: db.id, databaseName: db.name, timeNs: 0n, ops: [{ kind: 'createTable', tableId: t.id, tableName: t.name, columns: t.columns }] });
          catalog.databasesById.get(db.id)!.tablesById.get(t.id)!.nextColumnId = Math.max(t.nextColumnId, catalog.databasesById.get(db.id)!.tablesById.get(t.id)!.nextColumnId);
        }
        catalog.databasesById.get(db.id)!.nextTableId = Math.max(db.nextTableId, catalog.databasesById.get(db.id)!.nextTableId);
      }
      catalog.nextDatabaseId = Math.max(doc.nextDatabaseId, catalog.nextDatabaseId);
    } catch (err) {
      if (err instanceof CatalogError) throw err;
      throw new CatalogError('CORRUPT', `catalog file is malformed: ${(err as Error).message}`);
    }
    return catalog;
  }
}

function addColumn(table: TableSchema, column: ColumnDefinition): void {
  const byId = table.columnsById.get(column.id);
  if (byId !== undefined) {
    if (byId.name !== column.name || byId.type !== column.type) {
      throw new CatalogError('INCONSISTENT', `column ${column.id} of table ${table.name} is ${byId.name} (${byId.type}), not ${column.name} (${column.type})`);
    }
    return;
  }
  if (table.columns.has(column.name)) throw new CatalogError('INCONSISTENT', `column ${JSON.stringify(column.name)} of table ${table.name} exists with another id`);
  const copy: ColumnDefinition = { id: column.id, name: column.name, type: column.type };
  table.columns.set(column.name, copy);
  table.columnsById.set(column.id, copy);
  table.nextColumnId = Math.max(table.nextColumnId, column.id + 1);
}
