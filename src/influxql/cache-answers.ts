/**
 * InfluxQL statements answered from the last-value and distinct-value caches instead of the
 * table's rows — only where the answer is provably the one the rows give, else `undefined` and
 * the caller reads the rows (docs/caches.md):
 *
 * - `SHOW TAG VALUES … WITH KEY …` without a WHERE clause, from a distinct cache holding the key
 *   that has seen every row of the table and dropped none (no combination evicted or expired);
 * - lastpoint (`SELECT … GROUP BY * ORDER BY time DESC LIMIT 1` with no WHERE clause), from a
 *   last cache keyed on exactly the table's tags that has seen every row and expired none, when it
 *   holds every column read. Per series, the newest kept row with one of the selected fields is
 *   the answer; a series whose kept rows have none is left out only if its store is not full
 *   (nothing was pushed out), else the rows are read.
 *
 * Never with a retention period on the database (rows past it are invisible, at a `now` the
 * engine and the caches would each read).
 */
import type { Caches } from '../cache/caches.js';
import type { CacheValue } from '../cache/last-cache.js';
import type { Catalog, DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import type { Value } from './functions.js';
import type { SourceSchema } from './select-plan.js';

/**
 * The sorted (key, value) pairs of tag keys `keys` of `table`, from complete distinct caches
 * covering every key; undefined when any key has none.
 */
export function tagValuesFromCaches(caches: Caches | undefined, catalog: Catalog, db: DatabaseSchema, table: TableSchema, keys: readonly string[], nowNs: bigint): Array<[string, string]> | undefined {
  if (caches === undefined || keys.length === 0 || catalog.retentionPeriodNs(db.id) > 0n) return undefined;
  const candidates = caches.distinctCachesOf(db.id, table.id);
  if (candidates.length === 0) return undefined;
  const pairs: Array<[string, string]> = [];
  for (const key of keys) {
    const id = table.columns.get(key)?.id;
    const cache = candidates.find((c) => id !== undefined && c.definition.columnIds.includes(id) && (c.prune(nowNs), c.isComplete));
    if (cache === undefined) return undefined;
    const at = cache.definition.columnIds.indexOf(id!);
    const values = new Set<string>();
    for (const combination of cache.rows(nowNs)) values.add(combination[at]!);
    for (const v of values) pairs.push([key, v]);
  }
  return pairs;
}

/** What a lastpoint read asks for (a subset of `TableRead`). */
export interface LastpointRead {
  caches: Caches | undefined;
  catalog: Catalog;
  database: DatabaseSchema;
  table: TableSchema;
  schema: SourceSchema;
  /** Columns to read (tags and fields). */
  names: readonly string[];
  /** Fields of which a row must hold one. */
  fields: readonly string[];
  /** The GROUP BY tags. */
  groupTags: readonly string[];
  nowNs: bigint;
}

/**
 * The newest row of each series, as `readTableRows` answers a lastpoint read (times ascending,
 * ties by tag values), from a last cache; undefined when no cache can prove it.
 */
export function lastpointFromCache(read: LastpointRead): { times: bigint[]; columns: Map<string, Array<Value | null>> } | undefined {
  const { caches, table, database } = read;
  if (caches === undefined || read.fields.length === 0 || read.catalog.retentionPeriodNs(database.id) > 0n) return undefined;
  const tagIds = new Set<number>();
  for (const c of table.columnsById.values()) if (c.type === 'tag') tagIds.add(c.id);
  // Grouped by every tag: one group per series.
  if (read.groupTags.length !== tagIds.size || read.groupTags.some((t) => !tagIds.has(table.columns.get(t)?.id ?? -1))) return undefined;
  const nowMs = Number(read.nowNs / 1_000_000n);
  const cache = caches.lastCachesOf(database.id, table.id).find((c) => {
    const keys = c.definition.keyColumnIds;
    if (keys.length !== tagIds.size || keys.some((id) => !tagIds.has(id))) return false;
    for (const name of read.names) {
      const column = table.columns.get(name);
      if (column === undefined || (!tagIds.has(column.id) && c.positionOf(column.id) === undefined)) return false;
    }
    c.removeExpired(nowMs);
    return c.isComplete;
  });
  if (cache === undefined) return undefined;
  const keyIndex = new Map(cache.definition.keyColumnIds.map((id, i) => [id, i]));
  const readers = read.names.map((name) => {
    const id = table.columns.get(name)!.id;
    const k = keyIndex.get(id);
    return k !== undefined ? { key: k, position: -1 } : { key: -1, position: cache.positionOf(id)! };
  });
  const fieldPositions = read.fields.map((f) => cache.positionOf(table.columns.get(f)!.id)!);
  const found: Array<{ timeNs: bigint; keys: CacheValue[]; values: Array<CacheValue | undefined> }> = [];
  for (const { keys, store } of cache.stores()) {
    const entry = store.entries.find((e) => fieldPositions.some((p) => e.values[p] !== undefined));
    if (entry !== undefined) found.push({ timeNs: entry.timeNs, keys, values: entry.values });
    else if (store.entries.length >= cache.definition.count) return undefined; // its row may have been pushed out
  }
  // The engine's order: time, then the tags by name, each ascending.
  const tagOrder = [...read.schema.tags].sort().map((t) => keyIndex.get(table.columns.get(t)?.id ?? -1)).filter((k): k is number => k !== undefined);
  found.sort((a, b) => {
    if (a.timeNs !== b.timeNs) return a.timeNs < b.timeNs ? -1 : 1;
    for (const k of tagOrder) {
      const c = Buffer.compare(Buffer.from(String(a.keys[k])), Buffer.from(String(b.keys[k])));
      if (c !== 0) return c;
    }
    return 0;
  });
  const columns = new Map<string, Array<Value | null>>();
  read.names.forEach((name, i) => {
    const r = readers[i]!;
    columns.set(
      name,
      found.map((row) => (r.key >= 0 ? row.keys[r.key]! : (row.values[r.position] ?? null)) as Value | null),
    );
  });
  return { times: found.map((r) => r.timeNs), columns };
}
