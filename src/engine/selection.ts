/**
 * Row selections of buffered chunks: the rows a query's tag equalities (`host = 'a'`,
 * `host IN ('a', 'b')`) and time bounds let through, found without scanning the chunk. Each
 * chunk gets a series index per tag column a query filters on — for each dictionary code, the
 * rows holding it, in row order — built on first use and extended as rows are appended (a chunk
 * only grows). A selection is then the union of a few posting lists, checked against the other
 * predicates row by row: a one-host query over a 60 000-row window touches its 60 rows, not all.
 *
 * Rows selected are exactly the rows the predicates keep, so a point's every version (same tags
 * and time) is selected or none is: deduplication over a selection gives the same answer as over
 * the whole chunk.
 */
import { isValidAt } from '../buffer/chunk.js';
import type { ColumnarColumn, ColumnarSource } from './duckdb.js';

/** What a scan may skip rows by: tag columns (by id) that must hold one of `values`, and time bounds (inclusive). */
export interface RowFilter {
  tags: ReadonlyArray<{ columnId: number; values: readonly string[] }>;
  minTimeNs?: bigint;
  maxTimeNs?: bigint;
}

/** Rows per dictionary code, in row order, for rows [0, upTo). */
interface Postings {
  upTo: number;
  lists: Array<GrowableRows | undefined>;
}

class GrowableRows {
  rows = new Uint32Array(4);
  length = 0;

  push(row: number): void {
    if (this.length === this.rows.length) {
      const next = new Uint32Array(this.rows.length * 2);
      next.set(this.rows);
      this.rows = next;
    }
    this.rows[this.length++] = row;
  }
}

const indexes = new WeakMap<ColumnarSource, Map<number, Postings>>();

/** The posting lists of `column` (tag column `columnId` of `source`), brought up to row `end`. */
function postingsOf(source: ColumnarSource, columnId: number, column: ColumnarColumn, end: number): Postings {
  let byColumn = indexes.get(source);
  if (byColumn === undefined) indexes.set(source, (byColumn = new Map()));
  let postings = byColumn.get(columnId);
  if (postings === undefined) byColumn.set(columnId, (postings = { upTo: 0, lists: [] }));
  const segmentRows = source.segmentRows;
  for (let row = postings.upTo; row < end; ) {
    const seg = Math.floor(row / segmentRows);
    const values = column.segments[seg]!;
    const validity = column.validity[seg];
    const segEnd = Math.min(end, (seg + 1) * segmentRows);
    const base = seg * segmentRows;
    for (; row < segEnd; row++) {
      const at = row - base;
      if (!isValidAt(validity, at)) continue;
      const code = values[at] as number;
      (postings.lists[code] ??= new GrowableRows()).push(row);
    }
  }
  postings.upTo = Math.max(postings.upTo, end);
  return postings;
}

/**
 * The rows in [0, end) of `source` that `filter` keeps, ascending; undefined when the filter has
 * no tag predicate on a column the chunk has a dictionary for (then a selection would not save
 * a scan). An empty array: no row of the chunk can match.
 */
export function selectRows(source: ColumnarSource, filter: RowFilter, end: number): Uint32Array | undefined {
  // Each predicate as the set of codes it accepts; a value the chunk never saw matches nothing.
  const predicates: Array<{ columnId: number; column: ColumnarColumn; codes: number[] }> = [];
  for (const tag of filter.tags) {
    const column = source.columns.get(tag.columnId);
    if (column === undefined) return new Uint32Array(0); // no row has the tag: `tag = 'x'` is false
    if (column.dictionary === undefined || column.codeOf === undefined) return undefined;
    const codes: number[] = [];
    for (const value of tag.values) {
      const code = column.codeOf(value);
      if (code !== undefined) codes.push(code);
    }
    if (codes.length === 0) return new Uint32Array(0);
    predicates.push({ columnId: tag.columnId, column, codes });
  }
  if (predicates.length === 0) return undefined;
  // Candidates from the most selective predicate's posting lists; the others checked per row.
  const sized = predicates.map((p) => {
    const postings = postingsOf(source, p.columnId, p.column, end);
    const lists = p.codes.map((c) => postings.lists[c]).filter((l): l is GrowableRows => l !== undefined);
    return { p, lists, size: lists.reduce((n, l) => n + l.length, 0) };
  });
  sized.sort((a, b) => a.size - b.size);
  const first = sized[0]!;
  const candidates = mergeAscending(first.lists, end);
  const others = sized.slice(1).map(({ p }) => ({ column: p.column, codes: new Set(p.codes) }));
  const { minTimeNs, maxTimeNs } = filter;
  const segmentRows = source.segmentRows;
  let kept = 0;
  for (let i = 0; i < candidates.length; i++) {
    const row = candidates[i]!;
    const seg = Math.floor(row / segmentRows);
    const at = row - seg * segmentRows;
    if (minTimeNs !== undefined || maxTimeNs !== undefined) {
      const t = source.timeSegments[seg]![at]!;
      if ((minTimeNs !== undefined && t < minTimeNs) || (maxTimeNs !== undefined && t > maxTimeNs)) continue;
    }
    let ok = true;
    for (const other of others) {
      if (!isValidAt(other.column.validity[seg], at) || !other.codes.has(other.column.segments[seg]![at] as number)) {
        ok = false;
        break;
      }
    }
    if (ok) candidates[kept++] = row;
  }
  return candidates.subarray(0, kept);
}

/** The rows of `lists` below `end`, merged ascending into a new array (lists are ascending and disjoint). */
function mergeAscending(lists: readonly GrowableRows[], end: number): Uint32Array {
  const below = (l: GrowableRows) => {
    // Lists may run past `end` (indexed further by a query that saw more rows): cut by binary search.
    let lo = 0;
    let hi = l.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (l.rows[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  if (lists.length === 1) return lists[0]!.rows.slice(0, below(lists[0]!));
  let total = 0;
  const lengths = lists.map((l) => {
    const n = below(l);
    total += n;
    return n;
  });
  const out = new Uint32Array(total);
  let k = 0;
  lists.forEach((l, i) => {
    out.set(l.rows.subarray(0, lengths[i]), k);
    k += lengths[i]!;
  });
  return out.sort();
}
