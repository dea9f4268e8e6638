/**
 * Managing databases and tables: create (with a retention period, or with tags and fields),
 * delete. Every change is a catalog batch through the WAL, like the schema changes a write
 * makes: checked, applied to the catalog and buffered in one tick — so a write validated before
 * it sees the old catalog and lands before it in the WAL, a write validated after it sees the new
 * one — and acknowledged once the WAL file holding it is durable and applied. Deletes are soft
 * (docs/deletes-and-retention.md): the object leaves the name index at once, its id is kept as a
 * tombstone, its buffered rows are dropped when the WAL file is applied and its Parquet files are
 * removed in the background.
 */
import { validateDatabaseName, validateObjectName, type Catalog, type DatabaseSchema } from '../catalog/catalog.js';
import { CatalogError, tooManyColumnsMessage, tooManyDatabasesMessage, tooManyTablesMessage } from '../catalog/errors.js';
import type { Clock } from '../effects/clock.js';
import type { CatalogBatch, CatalogOp, ColumnDefinition, ColumnType } from '../wal/model.js';
import type { ObjectStoreWal } from '../wal/object-store-wal.js';

/** What kind of refusal; a server maps NOT_FOUND to 404, ALREADY_EXISTS to 409, LIMIT to 422, INVALID to 400. */
export type ManageErrorCode = 'NOT_FOUND' | 'ALREADY_EXISTS' | 'LIMIT' | 'INVALID';

/** A create or delete that cannot be made; the message is InfluxDB 3's where it has one. */
export class ManageError extends Error {
  constructor(
    readonly code: ManageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ManageError';
  }
}

/** The field types a created table may have, by InfluxDB 3's names. */
export const FIELD_TYPES: Readonly<Record<string, ColumnType>> = { utf8: 'string', int64: 'int64', uint64: 'uint64', float64: 'float64', bool: 'bool' };

/** One field of a table to create. */
export interface FieldSpec {
  name: string;
  /** One of {@link FIELD_TYPES}' keys. */
  type: string;
}

/** InfluxDB 3's words for a create of something that exists. */
const ALREADY_EXISTS = 'attempted to create a resource that already exists';

/** Creates and deletes databases and tables through the WAL. */
export class CatalogManager {
  constructor(
    private readonly catalog: Catalog,
    private readonly wal: ObjectStoreWal,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates database `name` with an optional retention period (nanoseconds, > 0). ManageError
   * ALREADY_EXISTS if a live database has the name, LIMIT past the database limit, INVALID for a
   * bad name or period.
   */
  async createDatabase(name: string, options: { retentionPeriodNs?: bigint } = {}): Promise<void> {
    checkDatabaseName(name);
    const period = options.retentionPeriodNs ?? 0n;
    if (period < 0n || period >= 1n << 63n) throw new ManageError('INVALID', `invalid retention period ${period} ns`);
    if (this.catalog.database(name) !== undefined) throw new ManageError('ALREADY_EXISTS', ALREADY_EXISTS);
    this.checkDatabaseLimit();
    const ops: CatalogOp[] = [{ kind: 'createDatabase' }];
    if (period > 0n) ops.push({ kind: 'setRetentionPeriod', retentionPeriodNs: period });
    await this.commit({ databaseId: this.catalog.peekNextDatabaseId(), databaseName: name, timeNs: this.clock.nowNs(), ops }, true);
  }

  /**
   * Sets database `name`'s retention period (nanoseconds; 0n clears it: keep forever), as
   * InfluxDB 3's `PUT /api/v3/configure/database`. Takes effect in queries at once. ManageError
   * NOT_FOUND for an unknown database, INVALID for a negative period.
   */
  async setRetentionPeriod(name: string, retentionPeriodNs: bigint): Promise<void> {
    if (retentionPeriodNs < 0n || retentionPeriodNs >= 1n << 63n) throw new ManageError('INVALID', `invalid retention period ${retentionPeriodNs} ns`);
    const db = this.requireDatabase(name);
    await this.commit({ databaseId: db.id, databaseName: db.name, timeNs: this.clock.nowNs(), ops: [{ kind: 'setRetentionPeriod', retentionPeriodNs }] }, false);
  }

  /** Deletes database `name` (soft: see the file's comment). ManageError NOT_FOUND if no live database has the name. */
  async deleteDatabase(name: string): Promise<void> {
    const db = this.requireDatabase(name);
    const timeNs = this.clock.nowNs();
    await this.commit({ databaseId: db.id, databaseName: db.name, timeNs, ops: [{ kind: 'deleteDatabase', deletionTimeNs: timeNs }] }, false);
  }

  /**
   * Creates table `table` in database `db` (created too if it does not exist, as InfluxDB 3 does)
   * with tag columns `tags`, the fields `fields` and `time`. ManageError ALREADY_EXISTS if the
   * table exists, INVALID for a bad name, a duplicate column or an unknown type, LIMIT past the
   * table, column or database limit.
   */
  async createTable(db: string, table: string, tags: readonly string[], fields: readonly FieldSpec[]): Promise<void> {
    checkDatabaseName(db);
    try {
      validateObjectName('table', table);
    } catch (err) {
      throw new ManageError('INVALID', (err as Error).message);
    }
    const columns: ColumnDefinition[] = [{ id: 0, name: 'time', type: 'time' }];
    const seen = new Set<string>(['time']);
    const add = (name: string, type: ColumnType) => {
      try {
        validateObjectName('column', name);
      } catch (err) {
        throw new ManageError('INVALID', (err as Error).message);
      }
      if (seen.has(name)) throw new ManageError('INVALID', name === 'time' ? "'time' is a reserved column name" : `duplicate column name ${JSON.stringify(name)}`);
      seen.add(name);
      columns.push({ id: columns.length, name, type });
    };
    for (const tag of tags) add(tag, 'tag');
    for (const field of fields) {
      const type = FIELD_TYPES[field.type];
      if (type === undefined) throw new ManageError('INVALID', `unknown field type ${JSON.stringify(field.type)} of field ${JSON.stringify(field.name)}: expected utf8, int64, uint64, float64 or bool`);
      add(field.name, type);
    }
    const limits = this.catalog.limits;
    if (columns.length > limits.maxColumnsPerTable) throw new ManageError('LIMIT', tooManyColumnsMessage(limits.maxColumnsPerTable));
    const schema = this.catalog.database(db);
    if (schema?.tables.has(table) === true) throw new ManageError('ALREADY_EXISTS', ALREADY_EXISTS);
    if (this.catalog.totalTables() >= limits.maxTables) {
      throw new ManageError('LIMIT', tooManyTablesMessage(this.catalog.totalTables(), limits.maxTables));
    }
    const ops: CatalogOp[] = [];
    if (schema === undefined) {
      this.checkDatabaseLimit();
      ops.push({ kind: 'createDatabase' });
    }
    const databaseId = schema?.id ?? this.catalog.peekNextDatabaseId();
    ops.push({ kind: 'createTable', tableId: schema?.nextTableId ?? 0, tableName: table, columns });
    await this.commit({ databaseId, databaseName: db, timeNs: this.clock.nowNs(), ops }, true);
  }

  /** Deletes table `table` of database `db` (soft). ManageError NOT_FOUND for an unknown database or table. */
  async deleteTable(db: string, table: string): Promise<void> {
    const schema = this.requireDatabase(db);
    const t = schema.tables.get(table);
    if (t === undefined) throw new ManageError('NOT_FOUND', `Table ${table} not in DB schema for ${db}`);
    const timeNs = this.clock.nowNs();
    await this.commit({ databaseId: schema.id, databaseName: schema.name, timeNs, ops: [{ kind: 'deleteTable', tableId: t.id, tableName: t.name, deletionTimeNs: timeNs }] }, false);
  }

  private requireDatabase(name: string): DatabaseSchema {
    const db = this.catalog.database(name);
    if (db === undefined) throw new ManageError('NOT_FOUND', `Database not found ${name}`);
    return db;
  }

  private checkDatabaseLimit(): void {
    const max = this.catalog.limits.maxDatabases;
    if (this.catalog.listDatabases().length >= max) throw new ManageError('LIMIT', tooManyDatabasesMessage(max));
  }

  /**
   * Applies the batch to the catalog and buffers it in the WAL in one tick, then waits until it is
   * durable and applied. A create is undone if the WAL refuses it; a delete is buffered first and
   * applied only once the WAL took it (a delete cannot be undone).
   */
  private async commit(batch: CatalogBatch, isCreate: boolean): Promise<void> {
    let durable: Promise<void>;
    if (isCreate) {
      this.catalog.applyCatalogBatch(batch);
      try {
        durable = this.wal.enqueueOps([{ kind: 'catalog', batch }]);
      } catch (err) {
        this.catalog.revertCatalogBatch(batch);
        throw err;
      }
    } else {
      durable = this.wal.enqueueOps([{ kind: 'catalog', batch }]);
      this.catalog.applyCatalogBatch(batch);
    }
    await durable;
  }
}

function checkDatabaseName(name: string): void {
  try {
    validateDatabaseName(name);
  } catch (err) {
    if (err instanceof CatalogError) throw new ManageError('INVALID', err.message);
    throw err;
  }
}

const UNIT_NS: Readonly<Record<string, bigint>> = (() => {
  const s = 1_000_000_000n;
  const units: Array<[string[], bigint]> = [
    [['nsec', 'ns'], 1n],
    [['usec', 'us', 'µs'], 1_000n],
    [['msec', 'ms'], 1_000_000n],
    [['seconds', 'second', 'sec', 's'], s],
    [['minutes', 'minute', 'min', 'm'], 60n * s],
    [['hours', 'hour', 'hr', 'h'], 3_600n * s],
    [['days', 'day', 'd'], 86_400n * s],
    [['weeks', 'week', 'w'], 604_800n * s],
    [['months', 'month', 'M'], 2_630_016n * s],
    [['years', 'year', 'y'], 31_557_600n * s],
  ];
  const out: Record<string, bigint> = {};
  for (const [names, ns] of units) for (const n of names) out[n] = ns;
  return out;
})();

/**
 * A duration as InfluxDB 3 reads `--retention-period` and `retention_period` (the humantime
 * syntax): numbers with units, summed — `30d`, `12h`, `1h 30m`, `2weeks`, `1y` (365.25 days),
 * `1M` (30.44 days). Returns nanoseconds; ManageError INVALID for anything else or zero.
 */
export function parseDuration(text: string): bigint {
  const invalid = (why: string) => new ManageError('INVALID', `invalid retention period ${JSON.stringify(text)}: ${why} (write it like 30d, 12h or 1h30m)`);
  const re = /\s*(\d+)\s*([A-Za-zµ]+)\s*/y;
  let total = 0n;
  let pos = 0;
  if (text.trim() === '') throw invalid('it is empty');
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) throw invalid(`expected a number and a unit at character ${pos + 1}`);
    const unit = UNIT_NS[m[2]!];
    if (unit === undefined) throw invalid(`unknown unit ${JSON.stringify(m[2])}`);
    total += BigInt(m[1]!) * unit;
    pos = re.lastIndex;
  }
  if (total === 0n) throw invalid('it must be longer than zero');
  if (total >= 1n << 63n) throw invalid('it is too long');
  return total;
}

/** A duration in nanoseconds in the largest whole unit of `d`, `h`, `m`, `s` or `ns` (for listings). */
export function formatDurationNs(ns: bigint): string {
  for (const [unit, size] of [['d', 86_400_000_000_000n], ['h', 3_600_000_000_000n], ['m', 60_000_000_000n], ['s', 1_000_000_000n]] as const) {
    if (ns % size === 0n) return `${ns / size}${unit}`;
  }
  return `${ns}ns`;
}
