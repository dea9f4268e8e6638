/**
 * A distinct-value cache (InfluxDB 3's `distinct_cache`): the distinct combinations of its
 * columns' values (tags and string fields), a hierarchy one level per column, each value with the
 * time of the newest row that held it. A combination whose newest row is `max_age` or more older
 * than now is dropped; past `max_cardinality` combinations, the oldest are dropped (as InfluxDB 3
 * prunes: every combination at or before the n-th oldest time).
 */
import type { ColumnData, DistinctCacheDefinition, TableChunk } from '../wal/model.js';
import { columnValue } from '../wal/model.js';

interface DistinctNode {
  /** Time of the newest row holding this value (under its parents). */
  lastSeenNs: bigint;
  children: Map<string, DistinctNode> | undefined;
}

export class DistinctCache {
  private readonly root = new Map<string, DistinctNode>();
  private leaves = 0;
  private readonly maxAgeNs: bigint;
  /**
   * Whether every combination of the table's rows is here: true only when built from every row
   * the table has, false for good once one was evicted or a row held some of the columns but
   * not all.
   */
  isComplete: boolean;

  constructor(
    readonly definition: DistinctCacheDefinition,
    isComplete: boolean,
  ) {
    this.maxAgeNs = BigInt(definition.maxAgeSeconds) * 1_000_000_000n;
    this.isComplete = isComplete;
  }

  /** Distinct combinations held. */
  get cardinality(): number {
    return this.leaves;
  }

  /** Takes the rows of one chunk of the table. */
  push(chunk: TableChunk): void {
    const n = chunk.rowCount;
    if (n === 0) return;
    const columns: Array<ColumnData | undefined> = this.definition.columnIds.map((id) => chunk.columns.get(id));
    const depth = columns.length;
    rows: for (let r = 0; r < n; r++) {
      const timeNs = chunk.timeNs[r]!;
      let level = this.root;
      let isNew = false;
      for (let k = 0; k < depth; k++) {
        const column = columns[k];
        const value = column === undefined ? undefined : columnValue(column, r);
        if (typeof value !== 'string') {
          // A row with none of the columns has no combination; one with some has one we cannot hold.
          if (k > 0 || this.hasAny(columns, r)) this.isComplete = false;
          continue rows;
        }
        let node = level.get(value);
        if (node === undefined) {
          node = { lastSeenNs: timeNs, children: k === depth - 1 ? undefined : new Map() };
          level.set(value, node);
          if (k === depth - 1) isNew = true;
        } else if (timeNs > node.lastSeenNs) {
          node.lastSeenNs = timeNs;
        }
        if (node.children === undefined) break;
        level = node.children;
      }
      if (isNew) this.leaves++;
    }
  }

  private hasAny(columns: ReadonlyArray<ColumnData | undefined>, row: number): boolean {
    for (const c of columns) if (c !== undefined && columnValue(c, row) !== undefined) return true;
    return false;
  }

  /**
   * Drops the combinations last seen `max_age` or more before `nowNs`, then the oldest ones past
   * `max_cardinality`; returns how many it dropped.
   */
  prune(nowNs: bigint): number {
    const before = this.leaves;
    this.removeAtOrBefore(nowNs - this.maxAgeNs);
    const excess = this.leaves - this.definition.maxCardinality;
    if (excess > 0) {
      const times: bigint[] = [];
      collectLeafTimes(this.root, times);
      times.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.removeAtOrBefore(times[excess - 1]!);
    }
    const removed = before - this.leaves;
    if (removed > 0) this.isComplete = false;
    return removed;
  }

  private removeAtOrBefore(timeNs: bigint): void {
    this.leaves -= removeFrom(this.root, timeNs);
  }

  /**
   * The live combinations at `nowNs`, in hierarchy order, each level sorted by code point;
   * with `cutoffNs` (a retention period's), only those seen at or after it.
   */
  rows(nowNs: bigint, cutoffNs?: bigint): string[][] {
    let expiredAtOrBefore = nowNs - this.maxAgeNs;
    if (cutoffNs !== undefined && cutoffNs - 1n > expiredAtOrBefore) expiredAtOrBefore = cutoffNs - 1n;
    const out: string[][] = [];
    const walk = (level: Map<string, DistinctNode>, prefix: string[]): void => {
      for (const value of [...level.keys()].sort(byCodePoint)) {
        const node = level.get(value)!;
        if (node.lastSeenNs <= expiredAtOrBefore) continue;
        if (node.children === undefined) out.push([...prefix, value]);
        else walk(node.children, [...prefix, value]);
      }
    };
    walk(this.root, []);
    return out;
  }
}

/** Removes leaves last seen at or before `timeNs` (and parents left empty); returns the leaves removed. */
function removeFrom(level: Map<string, DistinctNode>, timeNs: bigint): number {
  let removed = 0;
  for (const [value, node] of level) {
    if (node.children === undefined) {
      if (node.lastSeenNs <= timeNs) {
        level.delete(value);
        removed++;
      }
      continue;
    }
    if (node.lastSeenNs <= timeNs) {
      removed += countLeaves(node.children);
      level.delete(value);
      continue;
    }
    removed += removeFrom(node.children, timeNs);
    if (node.children.size === 0) level.delete(value);
  }
  return removed;
}

function countLeaves(level: Map<string, DistinctNode>): number {
  let n = 0;
  for (const node of level.values()) n += node.children === undefined ? 1 : countLeaves(node.children);
  return n;
}

function collectLeafTimes(level: Map<string, DistinctNode>, out: bigint[]): void {
  for (const node of level.values()) {
    if (node.children === undefined) out.push(node.lastSeenNs);
    else collectLeafTimes(node.children, out);
  }
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
