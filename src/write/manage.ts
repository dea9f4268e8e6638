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
import { validateDatabaseName, validateObjectName, type Catalog, type DatabaseSchema, type TableSchema } from '../catalog/catalog.js';
import { CatalogError, tooManyColumnsMessage, tooManyDatabasesMessage, tooManyTablesMessage } from '../catalog/errors.js';
import type { Clock } from '../effects/clock.js';
import type { CatalogBatch, CatalogOp, ColumnDefinition, ColumnType, DistinctCacheDefinition, LastCacheDefinition } from '../wal/model.js';
import type { Wal } from '../wal/wal.js';

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

/** A last cache to create, as `POST /api/v3/configure/last_cache` takes it; unset fields take InfluxDB 3's defaults. */
export interface LastCacheRequest {
  name?: string | undefined;
  /** Default: the table's tags (its series key), in column order. */
  keyColumns?: readonly string[] | undefined;
  /** Default: every non-key column, new ones as they come. */
  valueColumns?: readonly string[] | undefined;
  /** Default 1; 1–10. */
  count?: number | undefined;
  /** Default 4 hours. */
  ttlSeconds?: number | undefined;
}

/** A distinct cache to create, as `POST /api/v3/configure/distinct_cache` takes it. */
export interface DistinctCacheRequest {
  name?: string | undefined;
  /** Tags and string fields, in hierarchy order; at least one. */
  columns: readonly string[];
  /** Default 100 000. */
  maxCardinality?: number | undefined;
  /** Default 1 day. */
  maxAgeSeconds?: number | undefined;
}

/** InfluxDB 3's defaults and limits for caches. */
export const CACHE_DEFAULTS = { lastCacheCount: 1, lastCacheMaxCount: 10, lastCacheTtlSeconds: 4 * 60 * 60, distinctMaxCardinality: 100_000, distinctMaxAgeSeconds: 24 * 60 * 60 } as const;

/** Creates and deletes databases and tables through the WAL. */
export class CatalogManager {
  constructor(
    private readonly catalog: Catalog,
    private readonly wal: Wal,
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

  /**
   * Creates a last-value cache on `db`.`table` (InfluxDB 3's rules and words): NOT_FOUND for an
   * unknown database or table, INVALID for a bad column or count, ALREADY_EXISTS when the table
   * has a last cache of that name. Returns the definition made.
   */
  async createLastCache(db: string, table: string, request: LastCacheRequest): Promise<LastCacheDefinition> {
    const { schema, t } = this.requireTable(db, table);
    const count = request.count ?? CACHE_DEFAULTS.lastCacheCount;
    if (!Number.isInteger(count) || count < 1 || count > CACHE_DEFAULTS.lastCacheMaxCount) throw new ManageError('INVALID', `last cache size must be from 1 to ${CACHE_DEFAULTS.lastCacheMaxCount}`);
    const ttlSeconds = request.ttlSeconds ?? CACHE_DEFAULTS.lastCacheTtlSeconds;
    checkSeconds(ttlSeconds, 'ttl');
    let keyColumns: ColumnDefinition[];
    if (request.keyColumns === undefined) {
      keyColumns = [...t.columnsById.values()].filter((c) => c.type === 'tag').sort((a, b) => a.id - b.id);
    } else {
      keyColumns = request.keyColumns.map((name) => {
        const column = t.columns.get(name);
        if (column === undefined) throw new ManageError('INVALID', `invalid configuration provided: invalid key column provided: ${name}`);
        if (!LAST_CACHE_KEY_TYPES.has(column.type)) throw new ManageError('INVALID', 'only uint64, int64, bool, tag, and string columns are supported in the last cache');
        return column;
      });
    }
    const valueColumnIds = request.valueColumns?.map((name) => {
      const column = t.columns.get(name);
      if (column === undefined) throw new ManageError('INVALID', `invalid configuration provided: invalid value column provided: ${name}`);
      return column.id;
    });
    const name = request.name ?? `${t.name}_${keyColumns.map((c) => c.name).join('_')}_last_cache`;
    checkCacheName(name);
    if (t.lastCaches.has(name)) throw new ManageError('ALREADY_EXISTS', ALREADY_EXISTS);
    const cache: LastCacheDefinition = { tableId: t.id, tableName: t.name, name, keyColumnIds: keyColumns.map((c) => c.id), valueColumnIds, count, ttlSeconds };
    await this.commit({ databaseId: schema.id, databaseName: schema.name, timeNs: this.clock.nowNs(), ops: [{ kind: 'createLastCache', cache }] }, true);
    return cache;
  }

  /** Deletes last cache `name` of `db`.`table`; NOT_FOUND when the database, table or cache does not exist. */
  async deleteLastCache(db: string, table: string, name: string): Promise<void> {
    const { schema, t } = this.requireTable(db, table);
    if (!t.lastCaches.has(name)) throw new ManageError('NOT_FOUND', `the requested resource was not found: ${name}`);
    await this.commit({ databaseId: schema.id, databaseName: schema.name, timeNs: this.clock.nowNs(), ops: [{ kind: 'deleteLastCache', tableId: t.id, tableName: t.name, cacheName: name }] }, false);
  }

  /**
   * Creates a distinct-value cache on `db`.`table`: NOT_FOUND for an unknown database or table,
   * INVALID for no columns, an unknown one or one that is not a tag or string field, or a bad
   * limit, ALREADY_EXISTS when the table has a distinct cache of that name.
   */
  async createDistinctCache(db: string, table: string, request: DistinctCacheRequest): Promise<DistinctCacheDefinition> {
    const { schema, t } = this.requireTable(db, table);
    if (request.columns.length === 0) throw new ManageError('INVALID', 'invalid configuration provided: no columns provided when creating distinct cache');
    const columns = request.columns.map((name) => {
      const column = t.columns.get(name);
      if (column === undefined) throw new ManageError('INVALID', `invalid configuration provided: invalid column provided: ${name}`);
      if (column.type !== 'tag' && column.type !== 'string') throw new ManageError('INVALID', 'only tag and string columns are supported in the distinct cache');
      return column;
    });
    const maxCardinality = request.maxCardinality ?? CACHE_DEFAULTS.distinctMaxCardinality;
    if (!Number.isSafeInteger(maxCardinality) || maxCardinality < 1) throw new ManageError('INVALID', `invalid max_cardinality ${maxCardinality}: it must be a whole number above 0`);
    const maxAgeSeconds = request.maxAgeSeconds ?? CACHE_DEFAULTS.distinctMaxAgeSeconds;
    checkSeconds(maxAgeSeconds, 'max_age');
    const name = request.name ?? `${t.name}_${columns.map((c) => c.name).join('_')}_distinct_cache`;
    checkCacheName(name);
    if (t.distinctCaches.has(name)) throw new ManageError('ALREADY_EXISTS', ALREADY_EXISTS);
    const cache: DistinctCacheDefinition = { tableId: t.id, tableName: t.name, name, columnIds: columns.map((c) => c.id), maxCardinality, maxAgeSeconds };
    await this.commit({ databaseId: schema.id, databaseName: schema.name, timeNs: this.clock.nowNs(), ops: [{ kind: 'createDistinctCache', cache }] }, true);
    return cache;
  }

  /** Deletes distinct cache `name` of `db`.`table`; NOT_FOUND when the database, table or cache does not exist. */
  async deleteDistinctCache(db: string, table: string, name: string): Promise<void> {
    const { schema, t } = this.requireTable(db, table);
    if (!t.distinctCaches.has(name)) throw new ManageError('NOT_FOUND', `the requested resource was not found: ${name}`);
    await this.commit({ databaseId: schema.id, databaseName: schema.name, timeNs: this.clock.nowNs(), ops: [{ kind: 'deleteDistinctCache', tableId: t.id, tableName: t.name, cacheName: name }] }, false);
  }

  /** InfluxDB 3's 404 for a cache request on an unknown database or table. */
  private requireTable(db: string, table: string): { schema: DatabaseSchema; t: TableSchema } {
    const schema = this.catalog.database(db);
    if (schema === undefined) throw new ManageError('NOT_FOUND', `the requested resource was not found: ${db}`);
    const t = schema.tables.get(table);
    if (t === undefined) throw new ManageError('NOT_FOUND', `the requested resource was not found: ${table}`);
    return { schema, t };
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

/** The column types a last cache may key on (InfluxDB 3's). */
const LAST_CACHE_KEY_TYPES: ReadonlySet<ColumnType> = new Set(['tag', 'string', 'int64', 'uint64', 'bool']);

function checkSeconds(seconds: number, what: string): void {
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new ManageError('INVALID', `invalid ${what} ${seconds}: it must be a whole number of seconds`);
}

function checkCacheName(name: string): void {
  if (name.length === 0) throw new ManageError('INVALID', 'invalid configuration provided: the cache name must not be empty');
  if (Buffer.byteLength(name, 'utf8') > 511) throw new ManageError('INVALID', 'invalid configuration provided: the cache name is longer than 511 bytes');
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
