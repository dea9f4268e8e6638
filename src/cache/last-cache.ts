/**
 * A last-value cache (InfluxDB 3's `last_cache`): for each combination of its key columns'
 * values, the last `count` rows of the table, newest first. A hierarchy of maps, one level per
 * key column, as InfluxDB 3 keeps it; the leaves hold the rows.
 *
 * Where Sluice differs from InfluxDB 3 Core, on purpose: a row older than the newest one kept is
 * not dropped but takes its place in time order (InfluxDB 3 ignores any row not newer than the
 * last one it took), and when the key columns cover the series key (every tag of the table) a row
 * at a time already kept is the same point and merges into it field by field, as queries
 * deduplicate. So the cache holds what `SELECT … ORDER BY time DESC LIMIT count` per key would
 * answer over the rows it has seen — which is what lets InfluxQL answer lastpoint from it.
 *
 * Time to live is counted from when an entry arrived (the WAL file's flush time, so a replayed
 * entry keeps its age), as in InfluxDB 3.
 */
import type { TableSchema } from '../catalog/catalog.js';
import type { ColumnData, ColumnId, LastCacheDefinition, TableChunk } from '../wal/model.js';
import { columnValue, FieldKind } from '../wal/model.js';

/** A value held in a cache. */
export type CacheValue = string | bigint | number | boolean;

/** One cached row: its time, when it arrived, and a value (or none) per value column. */
export interface LastEntry {
  timeNs: bigint;
  arrivedMs: number;
  /** By position in {@link LastCache.valueColumnIds}; shorter when columns came later. */
  values: Array<CacheValue | undefined>;
}

/** The rows of one key combination, newest first, at most `count`. */
export interface LastStore {
  entries: LastEntry[];
}

type Level = Map<CacheValue, Level | LastStore>;

/** A row of a last cache's answer: the key values and one entry. */
export interface LastCacheRow {
  keys: CacheValue[];
  entry: LastEntry;
}

export class LastCache {
  /** The value columns in answer order (without the key columns; `time` among them). */
  readonly valueColumnIds: ColumnId[];
  private readonly valuePosition = new Map<ColumnId, number>();
  private readonly keySet: ReadonlySet<ColumnId>;
  private readonly isAcceptingNew: boolean;
  private root: Level | LastStore;
  private readonly ttlMs: number;
  /**
   * Whether the cache holds the newest rows of every key combination over all the table's rows:
   * true only when it was built from every row the table has (nothing persisted yet), and false
   * for good once an entry expired or a row lacked a key column.
   */
  isComplete: boolean;

  constructor(
    readonly definition: LastCacheDefinition,
    table: TableSchema,
    isComplete: boolean,
  ) {
    this.keySet = new Set(definition.keyColumnIds);
    this.isAcceptingNew = definition.valueColumnIds === undefined;
    const timeId = table.columns.get('time')?.id;
    let values: ColumnId[];
    if (definition.valueColumnIds === undefined) {
      values = [...table.columnsById.keys()].filter((id) => !this.keySet.has(id)).sort((a, b) => a - b);
    } else {
      // As InfluxDB 3: the named columns, then `time` last.
      values = definition.valueColumnIds.filter((id) => id !== timeId);
      if (timeId !== undefined) values.push(timeId);
    }
    this.valueColumnIds = values;
    values.forEach((id, i) => this.valuePosition.set(id, i));
    this.root = definition.keyColumnIds.length === 0 ? { entries: [] } : new Map();
    this.ttlMs = definition.ttlSeconds * 1000;
    this.isComplete = isComplete;
  }

  /**
   * Takes the rows of one chunk of the table. `coversSeries`: the key columns hold every tag
   * of the table, so rows at the same time and key are one point.
   */
  push(chunk: TableChunk, arrivedMs: number, coversSeries: boolean): void {
    const n = chunk.rowCount;
    if (n === 0) return;
    const keyIds = this.definition.keyColumnIds;
    const keyColumns: ColumnData[] = [];
    for (const id of keyIds) {
      const column = chunk.columns.get(id);
      if (column === undefined) {
        this.isComplete = false; // no row of this chunk has every key column
        return;
      }
      keyColumns.push(column);
    }
    if (this.isAcceptingNew) {
      for (const id of chunk.columns.keys()) {
        if (!this.keySet.has(id) && !this.valuePosition.has(id)) {
          this.valuePosition.set(id, this.valueColumnIds.length);
          this.valueColumnIds.push(id);
        }
      }
    }
    const valueColumns: Array<ColumnData | undefined> = this.valueColumnIds.map((id) => chunk.columns.get(id));
    const depth = keyColumns.length;
    const count = this.definition.count;
    rows: for (let r = 0; r < n; r++) {
      let node: Level | LastStore = this.root;
      for (let k = 0; k < depth; k++) {
        const value = columnValue(keyColumns[k]!, r);
        if (value === undefined) {
          this.isComplete = false;
          continue rows;
        }
        const level = node as Level;
        let next = level.get(value);
        if (next === undefined) {
          next = k === depth - 1 ? { entries: [] } : new Map();
          level.set(value, next);
        }
        node = next;
      }
      const store = node as LastStore;
      const timeNs = chunk.timeNs[r]!;
      const entries = store.entries;
      // Older than every kept row of a full store: it would be dropped at once.
      if (entries.length >= count && timeNs < entries[entries.length - 1]!.timeNs) continue;
      let at = 0;
      while (at < entries.length && entries[at]!.timeNs > timeNs) at++;
      const same = at < entries.length && entries[at]!.timeNs === timeNs ? entries[at]! : undefined;
      if (same !== undefined && coversSeries) {
        // The same point written again: each value it carries replaces the kept one.
        for (let c = 0; c < valueColumns.length; c++) {
          const column = valueColumns[c];
          if (column === undefined) continue;
          const value = columnValue(column, r);
          if (value !== undefined) same.values[c] = value;
        }
        same.arrivedMs = arrivedMs;
        continue;
      }
      // A full store gives its oldest entry to the new row (no allocation per row once warm).
      let entry: LastEntry;
      if (entries.length >= count) {
        entry = entries.pop()!;
        entry.timeNs = timeNs;
        entry.arrivedMs = arrivedMs;
        if (at > entries.length) at = entries.length;
      } else {
        entry = { timeNs, arrivedMs, values: new Array(valueColumns.length) };
      }
      const values = entry.values;
      values.length = valueColumns.length;
      for (let c = 0; c < valueColumns.length; c++) {
        const column = valueColumns[c];
        values[c] = column === undefined ? undefined : columnValue(column, r);
      }
      if (at === 0) entries.unshift(entry);
      else entries.splice(at, 0, entry);
    }
  }

  /** Drops the entries that arrived `ttl` or longer before `nowMs`; returns how many. */
  removeExpired(nowMs: number): number {
    const removed = removeExpiredFrom(this.root, nowMs - this.ttlMs);
    if (removed > 0) this.isComplete = false;
    return removed;
  }

  /** Whether an entry is still alive at `nowMs`. */
  isAlive(entry: LastEntry, nowMs: number): boolean {
    return nowMs - entry.arrivedMs < this.ttlMs;
  }

  /** The stores by key values, in key order (values compared as {@link compareCacheValues}). */
  stores(): Array<{ keys: CacheValue[]; store: LastStore }> {
    const out: Array<{ keys: CacheValue[]; store: LastStore }> = [];
    const walk = (node: Level | LastStore, keys: CacheValue[]): void => {
      if (!(node instanceof Map)) {
        out.push({ keys, store: node });
        return;
      }
      for (const value of [...node.keys()].sort(compareCacheValues)) walk(node.get(value)!, [...keys, value]);
    };
    walk(this.root, []);
    return out;
  }

  /** The position of a value column in each entry's values, if the cache holds it. */
  positionOf(columnId: ColumnId): number | undefined {
    return this.valuePosition.get(columnId);
  }

  /** The live rows: by key values, each key's newest first. */
  rows(nowMs: number): LastCacheRow[] {
    const out: LastCacheRow[] = [];
    for (const { keys, store } of this.stores()) {
      for (const entry of store.entries) if (this.isAlive(entry, nowMs)) out.push({ keys, entry });
    }
    return out;
  }

  /** Entries held (live or not yet swept). */
  size(): number {
    let n = 0;
    for (const { store } of this.stores()) n += store.entries.length;
    return n;
  }
}

function removeExpiredFrom(node: Level | LastStore, arrivedBeforeMs: number): number {
  if (!(node instanceof Map)) {
    const before = node.entries.length;
    node.entries = node.entries.filter((e) => e.arrivedMs > arrivedBeforeMs);
    return before - node.entries.length;
  }
  let removed = 0;
  for (const [value, child] of node) {
    removed += removeExpiredFrom(child, arrivedBeforeMs);
    if (child instanceof Map ? child.size === 0 : child.entries.length === 0) node.delete(value);
  }
  return removed;
}

/** Orders cache values: by kind, then strings by code point, numbers and bigints numerically, false before true. */
export function compareCacheValues(a: CacheValue, b: CacheValue): number {
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
