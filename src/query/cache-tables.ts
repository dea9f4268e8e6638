/**
 * `last_cache('table' [, 'name'])` and `distinct_cache('table' [, 'name'])` in SQL, as InfluxDB
 * 3 has them: the name resolver (`./names.ts`) turns the call into a read of a temporary table,
 * which is filled from the cache just before the statement runs, on its connection — the same
 * way as the system tables (`./system-tables.ts`). Columns: a last cache's key columns, then its
 * value columns (`time` among them); a distinct cache's columns in their hierarchy order. Rows:
 * by key values, each key's newest first; distinct combinations sorted. Rows past the database's
 * retention period are left out, as from the table.
 */
import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Caches } from '../cache/caches.js';
import type { CacheValue } from '../cache/last-cache.js';
import type { Catalog, DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import type { ColumnType, DistinctCacheDefinition, LastCacheDefinition } from '../wal/model.js';
import { QueryError } from './errors.js';
import { fillTempTable, type TempColumnType } from './temp-tables.js';

/** The two cache table functions. */
export type CacheKind = 'last' | 'distinct';

const KEY_PREFIX = 'cache:';

/** The function name of each kind, as SQL calls it. */
export const CACHE_FUNCTIONS: Readonly<Record<string, CacheKind>> = { last_cache: 'last', distinct_cache: 'distinct' };

/** What a cache table function call reads: its key (in `CheckedQuery.systemTables`), temporary table and columns. */
export interface CacheRead {
  key: string;
  tempName: string;
  columns: string[];
}

/**
 * Resolves a call's arguments against the database: the table (by exact name) and the cache
 * (by name, or the table's only cache of that kind). QueryError INVALID_QUERY with InfluxDB 3's
 * words otherwise.
 */
export function resolveCacheCall(database: DatabaseSchema, kind: CacheKind, args: ReadonlyArray<string | undefined>): CacheRead {
  if (args.length < 1 || args.length > 2 || args[0] === undefined) throw new QueryError('INVALID_QUERY', 'first argument must be the table name as a string');
  if (args.length === 2 && args[1] === undefined) throw new QueryError('INVALID_QUERY', 'second argument, if passed, must be the cache name as a string');
  const table = database.tables.get(args[0]);
  if (table === undefined) throw new QueryError('INVALID_QUERY', 'provided table name is invalid');
  const caches: ReadonlyMap<string, LastCacheDefinition | DistinctCacheDefinition> = kind === 'last' ? table.lastCaches : table.distinctCaches;
  const name = args[1] ?? (caches.size === 1 ? [...caches.keys()][0] : undefined);
  const def = name === undefined ? undefined : caches.get(name);
  if (def === undefined) throw new QueryError('INVALID_QUERY', 'could not find cache for the given arguments');
  const key = `${KEY_PREFIX}${JSON.stringify([kind, table.name, def.name])}`;
  return { key, tempName: `^_${kind}_cache_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`, columns: cacheColumns(table, kind, def).map(([c]) => c) };
}

/** Whether a system-table key is a cache read's. */
export function isCacheKey(key: string): boolean {
  return key.startsWith(KEY_PREFIX);
}

type SqlType = Extract<TempColumnType, 'VARCHAR' | 'BIGINT' | 'UBIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP_NS'>;

const SQL_TYPE: Record<ColumnType, SqlType> = { tag: 'VARCHAR', string: 'VARCHAR', int64: 'BIGINT', uint64: 'UBIGINT', float64: 'DOUBLE', bool: 'BOOLEAN', time: 'TIMESTAMP_NS' };

/** A cache's answer columns: name, SQL type and column id. */
function cacheColumns(table: TableSchema, kind: CacheKind, def: LastCacheDefinition | DistinctCacheDefinition): Array<[string, SqlType, number]> {
  const column = (id: number): [string, SqlType, number] => {
    const c = table.columnsById.get(id);
    if (c === undefined) throw new QueryError('INTERNAL', `cache ${def.name} names column ${id}, which table ${table.name} does not have`);
    return [c.name, SQL_TYPE[c.type], id];
  };
  if (kind === 'distinct') return (def as DistinctCacheDefinition).columnIds.map(column);
  const last = def as LastCacheDefinition;
  let values: number[];
  if (last.valueColumnIds === undefined) {
    // Every non-key column the table has now, in column order (new ones join as they come).
    const keys = new Set(last.keyColumnIds);
    values = [...table.columnsById.keys()].filter((id) => !keys.has(id)).sort((a, b) => a - b);
  } else {
    const timeId = table.columns.get('time')?.id;
    values = [...last.valueColumnIds.filter((id) => id !== timeId), ...(timeId === undefined ? [] : [timeId])];
  }
  return [...last.keyColumnIds.map(column), ...values.map(column)];
}

/** What filling a cache table needs. */
export interface CacheTableContext {
  database: DatabaseSchema;
  catalog: Catalog;
  caches: Caches | undefined;
  nowMs: number;
}

/** Fills, on `con`, the temporary table of cache read `key` with what the cache holds now. */
export async function materializeCacheTable(con: DuckDBConnection, key: string, ctx: CacheTableContext): Promise<void> {
  const [kind, tableName, cacheName] = JSON.parse(key.slice(KEY_PREFIX.length)) as [CacheKind, string, string];
  const read = resolveCacheCall(ctx.database, kind, [tableName, cacheName]);
  const table = ctx.database.tables.get(tableName)!;
  const def = (kind === 'last' ? table.lastCaches.get(cacheName) : table.distinctCaches.get(cacheName))!;
  const cutoffNs = ctx.catalog.retentionCutoffNs(ctx.database.id, BigInt(Math.trunc(ctx.nowMs)) * 1_000_000n);
  let columns: Array<[string, SqlType, number]>;
  const rows: Array<Array<CacheValue | undefined>> = [];
  if (kind === 'last') {
    // Made in the catalog but its WAL op not applied yet: empty until then.
    const cache = ctx.caches?.lastCache(ctx.database.id, table.id, cacheName);
    columns = cacheColumns(table, 'last', def);
    if (cache !== undefined) {
      const timeId = table.columns.get('time')?.id;
      const positions = columns.slice(cache.definition.keyColumnIds.length).map(([, , id]) => (id === timeId ? -1 : (cache.positionOf(id) ?? -2)));
      for (const { keys, entry } of cache.rows(ctx.nowMs)) {
        if (cutoffNs !== undefined && entry.timeNs < cutoffNs) continue;
        rows.push([...keys, ...positions.map((p) => (p === -1 ? entry.timeNs : p === -2 ? undefined : entry.values[p]))]);
      }
    }
  } else {
    columns = cacheColumns(table, 'distinct', def);
    const cache = ctx.caches?.distinctCache(ctx.database.id, table.id, cacheName);
    const nowNs = BigInt(Math.trunc(ctx.nowMs)) * 1_000_000n;
    if (cache !== undefined) for (const combination of cache.rows(nowNs, cutoffNs)) rows.push(combination);
  }
  await fillTempTable(con, read.tempName, columns, rows);
}

