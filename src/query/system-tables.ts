/**
 * The read-only tables a query may read beside the database's own: `information_schema.tables`,
 * `.columns`, `.schemata` and `.views` (as InfluxDB 3's SQL engine answers them), and Sluice's
 * `system.*` tables (what the server holds for this database: queries, Parquet files, snapshots,
 * WAL files, tables and their buffers, the catalog, databases).
 *
 * A statement that names one (see `./names.ts`) reads it from a temporary table filled just
 * before it runs, on its own connection: the rows are what the server holds at that moment.
 * Each system table is scoped to the database the query was sent to, except `system.databases`
 * (every database's name, as the database list route answers too).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BufferedRows } from '../buffer/queryable-buffer.js';
import type { Catalog, DatabaseSchema } from '../catalog/catalog.js';
import type { IndexedFiles } from '../persist/load.js';
import type { SnapshotManifest } from '../persist/manifest.js';
import type { WalFileInfo } from '../wal/listing.js';
import type { ColumnDefinition, ColumnType } from '../wal/model.js';
import type { Caches } from '../cache/caches.js';
import { isCacheKey, materializeCacheTable } from './cache-tables.js';
import type { QueryLog } from './query-log.js';
import { fillTempTable, type TempColumnType, type TempValue } from './temp-tables.js';

/** What the database beside the engine tells the system tables. */
export interface SystemSources {
  /** The WAL files on the store now, oldest first; stops with the signal's reason once it aborts. */
  walFiles(signal: AbortSignal): Promise<WalFileInfo[]>;
  /** The last-value and distinct-value caches (`last_cache()`, `distinct_cache()`, `system.last_caches`). */
  caches?: Caches;
  /** Now, in milliseconds since the epoch (cache entries' age). */
  nowMs?: () => number;
}

export interface SystemContext {
  database: DatabaseSchema;
  catalog: Catalog;
  buffer: BufferedRows;
  persistedFiles: IndexedFiles;
  log: QueryLog;
  /** The statement's: aborted on its timeout or when its client leaves. */
  signal: AbortSignal;
  sources?: SystemSources;
}

type ColumnSqlType = Exclude<TempColumnType, 'DOUBLE'>;
type Value = TempValue;

interface SystemTable {
  readonly schema: 'system' | 'information_schema';
  readonly name: string;
  readonly columns: ReadonlyArray<readonly [string, ColumnSqlType]>;
  readonly description: string;
  rows(ctx: SystemContext): Value[][] | Promise<Value[][]>;
}

/** The Arrow type InfluxDB 3 reports for a column of this catalog type (`information_schema.columns.data_type`). */
export function arrowTypeName(type: ColumnType): string {
  switch (type) {
    case 'tag':
      return 'Dictionary(Int32, Utf8)';
    case 'time':
      return 'Timestamp(Nanosecond, None)';
    case 'int64':
      return 'Int64';
    case 'uint64':
      return 'UInt64';
    case 'float64':
      return 'Float64';
    case 'string':
      return 'Utf8';
    case 'bool':
      return 'Boolean';
  }
}

/** A table's columns as InfluxDB 3 lists them: by name. */
function sortedColumns(columns: Iterable<ColumnDefinition>): ColumnDefinition[] {
  return [...columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function byName<T extends { name: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const TABLES: readonly SystemTable[] = [
  {
    schema: 'information_schema',
    name: 'tables',
    description: 'every table a query of this database can read',
    columns: [
      ['table_catalog', 'VARCHAR'],
      ['table_schema', 'VARCHAR'],
      ['table_name', 'VARCHAR'],
      ['table_type', 'VARCHAR'],
    ],
    rows: ({ database }) => [
      ...byName(database.tables.values()).map((t) => ['public', 'iox', t.name, 'BASE TABLE']),
      ...SYSTEM_TABLES.map((t) => ['public', t.schema, t.name, t.schema === 'system' ? 'BASE TABLE' : 'VIEW']),
    ],
  },
  {
    schema: 'information_schema',
    name: 'columns',
    description: 'every column of those tables',
    columns: [
      ['table_catalog', 'VARCHAR'],
      ['table_schema', 'VARCHAR'],
      ['table_name', 'VARCHAR'],
      ['column_name', 'VARCHAR'],
      ['ordinal_position', 'UBIGINT'],
      ['column_default', 'VARCHAR'],
      ['is_nullable', 'VARCHAR'],
      ['data_type', 'VARCHAR'],
    ],
    rows: ({ database }) => {
      const out: Value[][] = [];
      for (const t of byName(database.tables.values())) {
        sortedColumns(t.columns.values()).forEach((c, i) => out.push(['public', 'iox', t.name, c.name, BigInt(i), null, c.type === 'time' ? 'NO' : 'YES', arrowTypeName(c.type)]));
      }
      for (const t of SYSTEM_TABLES) t.columns.forEach(([name, type], i) => out.push(['public', t.schema, t.name, name, BigInt(i), null, 'YES', SQL_TO_ARROW[type]]));
      return out;
    },
  },
  {
    schema: 'information_schema',
    name: 'schemata',
    description: 'the schemas: iox (the tables), system, information_schema',
    columns: [
      ['catalog_name', 'VARCHAR'],
      ['schema_name', 'VARCHAR'],
      ['schema_owner', 'VARCHAR'],
      ['default_character_set_catalog', 'VARCHAR'],
      ['default_character_set_schema', 'VARCHAR'],
      ['default_character_set_name', 'VARCHAR'],
      ['sql_path', 'VARCHAR'],
    ],
    rows: () => ['information_schema', 'iox', 'system'].map((s) => ['public', s, null, null, null, null, null]),
  },
  {
    schema: 'information_schema',
    name: 'views',
    description: 'views defined by users (there are none)',
    columns: [
      ['table_catalog', 'VARCHAR'],
      ['table_schema', 'VARCHAR'],
      ['table_name', 'VARCHAR'],
      ['definition', 'VARCHAR'],
    ],
    rows: () => [],
  },
  {
    schema: 'system',
    name: 'databases',
    description: 'every database of the server, deleted ones too (their names may be taken again)',
    columns: [
      ['database_name', 'VARCHAR'],
      ['database_id', 'UBIGINT'],
      ['table_count', 'UBIGINT'],
      ['retention_period_ns', 'UBIGINT'],
      ['deleted', 'BOOLEAN'],
      ['deletion_time', 'TIMESTAMP_NS'],
    ],
    rows: ({ catalog }) => [
      ...byName(catalog.listDatabases()).map((d) => {
        const period = catalog.retentionPeriodNs(d.id);
        return [d.name, BigInt(d.id), BigInt(d.tables.size), period === 0n ? null : period, false, null];
      }),
      ...catalog.listDeletedDatabases().map((d) => [d.name, BigInt(d.id), null, null, true, d.deletionTimeNs]),
    ],
  },
  {
    schema: 'system',
    name: 'tables',
    description: 'the tables of this database: schema, rows buffered in memory and rows persisted in Parquet files; deleted tables too',
    columns: [
      ['database_name', 'VARCHAR'],
      ['table_name', 'VARCHAR'],
      ['table_id', 'UBIGINT'],
      ['column_count', 'UBIGINT'],
      ['series_key_columns', 'VARCHAR'],
      ['buffered_chunks', 'UBIGINT'],
      ['buffered_rows', 'UBIGINT'],
      ['buffered_bytes', 'UBIGINT'],
      ['parquet_files', 'UBIGINT'],
      ['persisted_rows', 'UBIGINT'],
      ['persisted_bytes', 'UBIGINT'],
      ['min_time', 'TIMESTAMP_NS'],
      ['max_time', 'TIMESTAMP_NS'],
      ['deleted', 'BOOLEAN'],
      ['deletion_time', 'TIMESTAMP_NS'],
    ],
    rows: ({ database, catalog, buffer, persistedFiles }) => [
      ...byName(database.tables.values()).map((t) => {
        const chunks = buffer.chunksOf(database.id, t.id);
        const files = persistedFiles.filesOf(database.id, t.id);
        let min: bigint | undefined;
        let max: bigint | undefined;
        for (const s of [...chunks, ...files]) {
          if (s.rowCount === 0) continue;
          if (min === undefined || s.minTimeNs < min) min = s.minTimeNs;
          if (max === undefined || s.maxTimeNs > max) max = s.maxTimeNs;
        }
        const tags = [...t.columns.values()].filter((c) => c.type === 'tag').map((c) => c.name);
        return [
          database.name,
          t.name,
          BigInt(t.id),
          BigInt(t.columns.size),
          tags.join(', '),
          BigInt(chunks.length),
          BigInt(chunks.reduce((n, c) => n + c.rowCount, 0)),
          BigInt(chunks.reduce((n, c) => n + c.byteSize(), 0)),
          BigInt(files.length),
          BigInt(files.reduce((n, f) => n + f.rowCount, 0)),
          BigInt(files.reduce((n, f) => n + f.sizeBytes, 0)),
          min,
          max,
          false,
          null,
        ];
      }),
      // Deleted tables: their rows are gone from every query; the name may be taken again.
      ...catalog.listDeletedTables(database.id).map((t) => [database.name, t.name, BigInt(t.id), null, null, null, null, null, null, null, null, null, null, true, t.deletionTimeNs]),
    ],
  },
  {
    schema: 'system',
    name: 'catalog',
    description: 'the catalog of this database: every table and column with its id and type',
    columns: [
      ['database_name', 'VARCHAR'],
      ['database_id', 'UBIGINT'],
      ['table_name', 'VARCHAR'],
      ['table_id', 'UBIGINT'],
      ['column_name', 'VARCHAR'],
      ['column_id', 'UBIGINT'],
      ['column_type', 'VARCHAR'],
      ['data_type', 'VARCHAR'],
    ],
    rows: ({ database }) => {
      const out: Value[][] = [];
      for (const t of [...database.tablesById.values()].sort((a, b) => a.id - b.id)) {
        for (const c of [...t.columnsById.values()].sort((a, b) => a.id - b.id)) {
          out.push([database.name, BigInt(database.id), t.name, BigInt(t.id), c.name, BigInt(c.id), c.type === 'tag' || c.type === 'time' ? c.type : 'field', arrowTypeName(c.type)]);
        }
      }
      return out;
    },
  },
  {
    schema: 'system',
    name: 'parquet_files',
    description: 'the Parquet files of this database on the object store',
    columns: [
      ['table_name', 'VARCHAR'],
      ['path', 'VARCHAR'],
      ['size_bytes', 'UBIGINT'],
      ['row_count', 'UBIGINT'],
      ['min_time', 'BIGINT'],
      ['max_time', 'BIGINT'],
      ['chunk_time', 'BIGINT'],
      ['snapshot_sequence_number', 'UBIGINT'],
      ['level', 'UBIGINT'],
      ['rows_in_memory', 'BOOLEAN'],
    ],
    rows: ({ database, persistedFiles }) => {
      const out: Value[][] = [];
      for (const t of byName(database.tables.values())) {
        for (const f of persistedFiles.filesOf(database.id, t.id)) {
          const held = persistedFiles.memCache?.partsOf(f) !== undefined;
          out.push([t.name, f.key, BigInt(f.sizeBytes), BigInt(f.rowCount), f.minTimeNs, f.maxTimeNs, f.chunkTimeNs, BigInt(f.snapshotSequenceNumber), BigInt(f.level ?? 1), held]);
        }
      }
      return out;
    },
  },
  {
    schema: 'system',
    name: 'snapshots',
    description: 'the snapshots committed since the oldest one still referenced, with what each persisted of this database',
    columns: [
      ['snapshot_sequence_number', 'UBIGINT'],
      ['wal_file_sequence_number', 'UBIGINT'],
      ['created_at', 'TIMESTAMP_NS'],
      ['forced', 'BOOLEAN'],
      ['parquet_files', 'UBIGINT'],
      ['row_count', 'UBIGINT'],
      ['size_bytes', 'UBIGINT'],
      ['all_parquet_files', 'UBIGINT'],
    ],
    rows: ({ database, persistedFiles }) =>
      [...persistedFiles.snapshots]
        .sort((a, b) => a.snapshotSequenceNumber - b.snapshotSequenceNumber)
        .map((m: SnapshotManifest) => {
          const mine = m.files.filter((f) => f.dbId === database.id);
          return [
            BigInt(m.snapshotSequenceNumber),
            BigInt(m.walFileSequenceNumber),
            BigInt(m.createdAtMs) * 1_000_000n,
            m.forced,
            BigInt(mine.length),
            BigInt(mine.reduce((n, f) => n + f.rowCount, 0)),
            BigInt(mine.reduce((n, f) => n + f.sizeBytes, 0)),
            BigInt(m.files.length),
          ];
        }),
  },
  {
    schema: 'system',
    name: 'wal_files',
    description: 'the WAL files on the object store: their ops, the rows of this database, their time range, whether a snapshot covers them',
    columns: [
      ['wal_file_sequence_number', 'UBIGINT'],
      ['path', 'VARCHAR'],
      ['size_bytes', 'UBIGINT'],
      ['ops', 'UBIGINT'],
      ['rows', 'UBIGINT'],
      ['min_time', 'TIMESTAMP_NS'],
      ['max_time', 'TIMESTAMP_NS'],
      ['snapshotted', 'BOOLEAN'],
      ['snapshot_sequence_number', 'UBIGINT'],
    ],
    rows: async ({ database, persistedFiles, sources, signal }) => {
      const snapshottedThrough = persistedFiles.snapshots.reduce((n, m) => Math.max(n, m.walFileSequenceNumber), 0);
      const files = (await sources?.walFiles(signal)) ?? [];
      return files.map((f) => [
        BigInt(f.sequenceNumber),
        f.key,
        BigInt(f.sizeBytes),
        BigInt(f.ops),
        BigInt(f.rowsByDatabase.get(database.id) ?? 0),
        f.minTimeNs,
        f.maxTimeNs,
        f.sequenceNumber <= snapshottedThrough,
        f.snapshotSequenceNumber === undefined ? null : BigInt(f.snapshotSequenceNumber),
      ]);
    },
  },
  {
    schema: 'system',
    name: 'last_caches',
    description: 'the last-value caches of this database\'s tables (docs/caches.md), as InfluxDB 3 lists them',
    columns: [
      ['table', 'VARCHAR'],
      ['name', 'VARCHAR'],
      ['key_column_ids', 'USMALLINT[]'],
      ['key_column_names', 'VARCHAR[]'],
      ['value_column_ids', 'USMALLINT[]'],
      ['value_column_names', 'VARCHAR[]'],
      ['count', 'UBIGINT'],
      ['ttl', 'UBIGINT'],
    ],
    rows: ({ database }) => {
      const out: Value[][] = [];
      for (const t of byName(database.tables.values())) {
        const nameOf = (id: number) => t.columnsById.get(id)?.name ?? String(id);
        for (const c of byName(t.lastCaches.values())) {
          // InfluxDB 3 lists every non-key column's id for a cache taking them all: null here as there (the set grows).
          const values = c.valueColumnIds;
          out.push([t.name, c.name, c.keyColumnIds, c.keyColumnIds.map(nameOf), values ?? null, values?.map(nameOf) ?? null, BigInt(c.count), BigInt(c.ttlSeconds)]);
        }
      }
      return out;
    },
  },
  {
    schema: 'system',
    name: 'distinct_caches',
    description: 'the distinct-value caches of this database\'s tables (docs/caches.md), as InfluxDB 3 lists them',
    columns: [
      ['table', 'VARCHAR'],
      ['name', 'VARCHAR'],
      ['column_ids', 'USMALLINT[]'],
      ['column_names', 'VARCHAR[]'],
      ['max_cardinality', 'UBIGINT'],
      ['max_age_seconds', 'UBIGINT'],
    ],
    rows: ({ database }) => {
      const out: Value[][] = [];
      for (const t of byName(database.tables.values())) {
        const nameOf = (id: number) => t.columnsById.get(id)?.name ?? String(id);
        for (const c of byName(t.distinctCaches.values())) {
          out.push([t.name, c.name, c.columnIds, c.columnIds.map(nameOf), BigInt(c.maxCardinality), BigInt(c.maxAgeSeconds)]);
        }
      }
      return out;
    },
  },
  {
    schema: 'system',
    name: 'queries',
    description: 'the recent queries of this database (the last 1 000 of the server), running ones included',
    columns: [
      ['id', 'VARCHAR'],
      ['phase', 'VARCHAR'],
      ['issue_time', 'TIMESTAMP_NS'],
      ['query_type', 'VARCHAR'],
      ['query_text', 'VARCHAR'],
      ['parquet_files', 'BIGINT'],
      ['plan_duration_ns', 'BIGINT'],
      ['execute_duration_ns', 'BIGINT'],
      ['end2end_duration_ns', 'BIGINT'],
      ['rows', 'UBIGINT'],
      ['success', 'BOOLEAN'],
      ['running', 'BOOLEAN'],
      ['cancelled', 'BOOLEAN'],
      ['error', 'VARCHAR'],
    ],
    rows: ({ database, log }) =>
      log.of(database.name).map((e) => [
        e.id,
        e.phase,
        e.issueTimeNs,
        e.queryType,
        e.queryText,
        e.parquetFiles === undefined ? null : BigInt(e.parquetFiles),
        e.planDurationNs,
        e.executeDurationNs,
        e.end2endDurationNs,
        e.rows,
        e.phase === 'success',
        e.phase === 'running',
        e.phase === 'cancel',
        e.error,
      ]),
  },
];

const SQL_TO_ARROW: Record<ColumnSqlType, string> = {
  VARCHAR: 'Utf8',
  BIGINT: 'Int64',
  UBIGINT: 'UInt64',
  BOOLEAN: 'Boolean',
  TIMESTAMP_NS: 'Timestamp(Nanosecond, None)',
  'USMALLINT[]': 'List(UInt16)',
  'VARCHAR[]': 'List(Utf8)',
};

/** Every table of the `system` and `information_schema` schemas, in the order SHOW TABLES lists them. */
export const SYSTEM_TABLES: readonly SystemTable[] = [...TABLES.filter((t) => t.schema === 'system'), ...TABLES.filter((t) => t.schema === 'information_schema')];

const BY_KEY = new Map(SYSTEM_TABLES.map((t) => [`${t.schema}.${t.name}`, t]));

/** A system table a query names: `schema.name`. */
export type SystemTableKey = string;

/** The system table `schema.name` names, if any (exact, lower-case names as InfluxDB 3 has them). */
export function systemTable(schema: string, name: string): { key: SystemTableKey; columns: readonly string[] } | undefined {
  const t = BY_KEY.get(`${schema}.${name}`);
  return t === undefined ? undefined : { key: `${t.schema}.${t.name}`, columns: t.columns.map(([c]) => c) };
}

/**
 * The temporary table a query reads for system table `key`. The name cannot be the SQL name of
 * any user table (SQL names never hold `^` followed by `_`), so no pruned view can collide with it.
 */
export function systemTableTempName(key: SystemTableKey): string {
  return `^_${key.replace('.', '_')}`;
}

/** Fills, on `con`, the temporary tables of the system tables `keys` with what they hold now. */
export async function materializeSystemTables(con: DuckDBConnection, keys: ReadonlySet<SystemTableKey>, ctx: SystemContext): Promise<void> {
  for (const key of keys) {
    if (isCacheKey(key)) {
      ctx.signal.throwIfAborted();
      await materializeCacheTable(con, key, { database: ctx.database, catalog: ctx.catalog, caches: ctx.sources?.caches, nowMs: ctx.sources?.nowMs?.() ?? Date.now() });
      continue;
    }
    const table = BY_KEY.get(key);
    if (table === undefined) throw new Error(`unknown system table ${key}`);
    const name = systemTableTempName(key);
    ctx.signal.throwIfAborted();
    const rows = await table.rows(ctx);
    ctx.signal.throwIfAborted();
    await fillTempTable(con, name, table.columns, rows);
  }
}

