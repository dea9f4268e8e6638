/**
 * Planned statements over a few buffered rows, answered here instead of by the SQL engine. A
 * dashboard's one-series rollup (`max(usage_user)` per minute of one host over an hour) or
 * threshold read (`usage_user > 90` of one host) selects a few hundred rows through the series
 * index; the SQL engine then spends milliseconds preparing and binding a statement for work that
 * takes microseconds. When every row a planned statement reads lies in buffered chunks that need
 * no deduplication (no Parquet file, no duplicate points), and they are few, the engine answers
 * it here: the same rows, in the same order and with the same value types as the statement's SQL
 * gives (see `pushedAggregateSql` and `conditionSql` in `../influxql/select-sql.ts`).
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { isValidAt, readInt64 } from '../buffer/chunk.js';
import type { TableSchema } from '../catalog/catalog.js';
import type { ColumnarColumn, ColumnarSource } from '../engine/duckdb.js';
import type { ColumnType } from '../wal/model.js';

const NUMERIC: ReadonlySet<ColumnType> = new Set(['float64', 'int64', 'uint64']);

/** Aggregates computed here (each over the non-null values of one field column). */
export type NativeFunction = 'count' | 'sum' | 'mean' | 'min' | 'max' | 'spread';
export const NATIVE_FUNCTIONS: ReadonlySet<string> = new Set<NativeFunction>(['count', 'sum', 'mean', 'min', 'max', 'spread']);

/**
 * An aggregate statement described for a native answer: its output is `[window?, ...groupTags,
 * ...calls]`, one row per group and window holding a row, ordered by the tags then the window —
 * exactly as the SQL statement it comes with.
 */
export interface NativeAggregate {
  /** `GROUP BY time(interval, offset)`: each row's window start (ns) is the first column. */
  window?: { intervalNs: bigint; offsetNs: bigint };
  /** Tag columns grouped by (catalog names); a row without the tag is in group ''. */
  groupTags: readonly string[];
  /** One column per call. */
  calls: ReadonlyArray<{ fn: NativeFunction; field: string }>;
  /** The output columns' names, as the SQL statement names them. */
  names: readonly string[];
}

/**
 * A row read: `[epoch ns, ...names]` of the rows passing `filters` that hold one of `fields`,
 * ordered by time then by `orderTags` (a missing tag last).
 */
export interface NativeRows {
  /** Tag and field columns answered after the time (catalog names). */
  columns: readonly string[];
  /** A row is answered only when one of these fields holds a value. */
  fields: readonly string[];
  /** Comparisons of a numeric field with a constant each row must pass (a null never does). */
  filters: readonly NativeFilter[];
  /** Tags ordering the rows of one time, in this order. */
  orderTags: readonly string[];
  /** The output columns' names, as the SQL statement names them. */
  names: readonly string[];
}

export type NativeOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

/** `field op value`, compared as the SQL engine compares them: exactly between integers, as doubles otherwise. */
export interface NativeFilter {
  field: string;
  op: NativeOp;
  value: number | bigint;
}

/** A planned statement the engine may answer itself. */
export type NativeStatement = ({ kind: 'aggregate' } & NativeAggregate) | ({ kind: 'rows' } & NativeRows);

/** Most rows answered natively: above it the SQL engine's vectorized scan is as quick. */
export const NATIVE_MAX_ROWS = 50_000;

/** Selected rows of one buffered chunk. */
export interface NativePart {
  source: ColumnarSource;
  rows: Uint32Array;
}

export interface NativeAnswer {
  columns: Array<{ name: string; type: string }>;
  rows: DuckDBValue[][];
}

interface Accumulator {
  count: number;
  /** The sum of floats, or of the integers read as numbers (exact: see `MAX_AGGREGATED_ROWS`). */
  sum: number;
  /** The sum of the integers read as bigints (64-bit segments). */
  wide: bigint;
  min: number | bigint | undefined;
  max: number | bigint | undefined;
}

interface Cell {
  /** The window's number, counted from the first window's (see {@link TimeFrame}). */
  window: number;
  acc: Accumulator[];
}

/** Orders strings as the engine orders VARCHAR: by their UTF-8 bytes (not by UTF-16 code units). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The start of the window holding `t`, as `windowSql` computes it. */
function windowStart(t: bigint, intervalNs: bigint, offsetNs: bigint): bigint {
  const off = ((offsetNs % intervalNs) + intervalNs) % intervalNs;
  return t - ((((t - off) % intervalNs) + intervalNs) % intervalNs);
}

/**
 * Integers narrower than 64 bits are summed as numbers: at most this many rows of 32-bit values
 * keep every partial sum below 2^53, so exact.
 */
const MAX_AGGREGATED_ROWS = 2 ** 21;

/** A time's words as {@link TimeFrame} reads them: low word first. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Times within ±2^52 ns (52 days) of the base are exact as doubles: farther ones are not answered here. */
const MAX_HIGH_WORD_DELTA = 2 ** 20;

/**
 * Row times as doubles: nanoseconds after `base` (the start of the window of the first row
 * read), computed from the time's two 32-bit words — no bigint per row — and exact within ±2^52.
 */
class TimeFrame {
  private readonly baseHigh: number;
  private readonly baseLow: number;
  /** Rows before it (past retention) are left out: `cutoffNs − base`, clamped (beyond ±2^53 it orders the same). */
  readonly cutoff: number;
  /** Whether a row read was too far from the base to be exact (the answer is then left to SQL). */
  outOfRange = false;

  constructor(
    readonly base: bigint,
    cutoffNs: bigint | undefined,
  ) {
    const word = BigInt.asUintN(64, base);
    this.baseHigh = Number(BigInt.asIntN(32, word >> 32n));
    this.baseLow = Number(word & 0xffffffffn);
    const limit = 2n ** 53n;
    const c = cutoffNs === undefined ? -limit : cutoffNs - base;
    this.cutoff = Number(c < -limit ? -limit : c > limit ? limit : c);
  }

  /** The time of row `at` of a segment given as its low words (unsigned) and high words (signed). */
  offset(low: Uint32Array, high: Int32Array, at: number): number {
    const dh = high[2 * at + 1]! - this.baseHigh;
    if (dh >= MAX_HIGH_WORD_DELTA || dh <= -MAX_HIGH_WORD_DELTA) this.outOfRange = true;
    return dh * 4294967296 + (low[2 * at]! - this.baseLow);
  }
}

/**
 * The statement's answer over `parts` (rows with time below `cutoffNs`, past the retention
 * period, left out); undefined when a column is not of a kind computed here, or the rows are
 * too many or too far apart in time to be computed here exactly.
 */
export function nativeAggregate(table: TableSchema, parts: readonly NativePart[], spec: NativeAggregate, cutoffNs: bigint | undefined): NativeAnswer | undefined {
  const fields = spec.calls.map((c) => table.columns.get(c.field));
  const tags = spec.groupTags.map((t) => table.columns.get(t));
  const kinds: ColumnType[] = [];
  for (let k = 0; k < spec.calls.length; k++) {
    const kind = fields[k]?.type;
    if (kind === undefined || kind === 'tag' || kind === 'time') return undefined;
    if (spec.calls[k]!.fn !== 'count' && !NUMERIC.has(kind)) return undefined;
    kinds.push(kind);
  }
  let total = 0;
  for (const p of parts) total += p.rows.length;
  if (total > MAX_AGGREGATED_ROWS) return undefined;
  const interval = spec.window === undefined ? undefined : Number(spec.window.intervalNs);
  if ((interval !== undefined && !Number.isSafeInteger(interval)) || !LITTLE_ENDIAN) return undefined;
  const first = parts.find((p) => p.rows.length > 0);
  const t0 = first === undefined ? 0n : first.source.timeSegments[Math.floor(first.rows[0]! / first.source.segmentRows)]![first.rows[0]! % first.source.segmentRows]!;
  const frame = new TimeFrame(spec.window === undefined ? t0 : windowStart(t0, spec.window.intervalNs, spec.window.offsetNs), cutoffNs);
  const groups = new Map<string, { tags: string[]; cells: Map<number, Cell> }>();
  const newCell = (window: number): Cell => ({ window, acc: spec.calls.map(() => ({ count: 0, sum: 0, wide: 0n, min: undefined, max: undefined })) });
  for (const { source, rows } of parts) {
    const fieldCols = fields.map((f) => source.columns.get(f!.id));
    const tagCols = tags.map((t) => (t === undefined ? undefined : source.columns.get(t.id)));
    const segmentRows = source.segmentRows;
    let seg = -1;
    let low: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
    let high: Int32Array<ArrayBufferLike> = new Int32Array(0);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const at = row % segmentRows;
      if (Math.floor(row / segmentRows) !== seg) {
        seg = Math.floor(row / segmentRows);
        const times = source.timeSegments[seg]!;
        low = new Uint32Array(times.buffer, times.byteOffset, times.length * 2);
        high = new Int32Array(times.buffer, times.byteOffset, times.length * 2);
      }
      const offset = frame.offset(low, high, at);
      if (offset < frame.cutoff) continue;
      let key = '';
      let values: string[] | undefined;
      if (tagCols.length === 1) key = tagValue(tagCols[0], seg, at);
      else if (tagCols.length > 1) key = (values = tagCols.map((c) => tagValue(c, seg, at))).join('\u0000');
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { tags: values ?? (tagCols.length === 1 ? [key] : []), cells: new Map() }));
      const window = interval === undefined ? 0 : Math.floor(offset / interval);
      let cell = group.cells.get(window);
      if (cell === undefined) group.cells.set(window, (cell = newCell(window)));
      for (let k = 0; k < fieldCols.length; k++) {
        const col = fieldCols[k];
        if (col === undefined || !isValidAt(col.validity[seg], at)) continue;
        accumulate(cell.acc[k]!, col.segments[seg]![at]!);
      }
    }
  }
  if (frame.outOfRange) return undefined;
  const out: DuckDBValue[][] = [];
  const ordered = [...groups.values()].sort((a, b) => compareTags(a.tags, b.tags));
  for (const group of ordered) {
    const cells = [...group.cells.values()].sort((a, b) => a.window - b.window);
    for (const cell of cells) {
      const row: DuckDBValue[] = spec.window === undefined ? [] : [frame.base + BigInt(cell.window) * spec.window.intervalNs];
      row.push(...group.tags);
      for (let k = 0; k < spec.calls.length; k++) row.push(result(spec.calls[k]!.fn, kinds[k]!, cell.acc[k]!));
      out.push(row);
    }
  }
  // An aggregate without GROUP BY answers one row, even over no rows (count 0, the others null).
  if (out.length === 0 && spec.window === undefined && spec.groupTags.length === 0) out.push(spec.calls.map((c) => (c.fn === 'count' ? 0n : null)));
  const types = [...(spec.window === undefined ? [] : ['BIGINT']), ...spec.groupTags.map(() => 'VARCHAR'), ...spec.calls.map((c, k) => resultType(c.fn, kinds[k]!))];
  return { columns: spec.names.map((name, i) => ({ name, type: types[i]! })), rows: out };
}

function tagValue(column: ColumnarColumn | undefined, seg: number, at: number): string {
  if (column === undefined || !isValidAt(column.validity[seg], at)) return '';
  return column.dictionary![column.segments[seg]![at] as number]!;
}

function compareTags(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    return compareUtf8(a[i]!, b[i]!);
  }
  return 0;
}

/** Adds one value: a float, an integer of a narrow segment (a number), or of a 64-bit one (a bigint). */
function accumulate(acc: Accumulator, v: number | bigint): void {
  acc.count++;
  if (typeof v === 'number') acc.sum += v;
  else acc.wide += v;
  // Numbers and bigints compare exactly with each other.
  if (acc.min === undefined || v < acc.min) acc.min = v;
  if (acc.max === undefined || v > acc.max) acc.max = v;
}

/** A call's value, typed as the SQL engine gives it (see `pushedAggregateSql`). */
function result(fn: NativeFunction, kind: ColumnType, acc: Accumulator): DuckDBValue {
  if (fn === 'count') return BigInt(acc.count);
  if (acc.count === 0) return null;
  const float = kind === 'float64';
  const integer = (v: number | bigint) => (typeof v === 'bigint' ? v : BigInt(v));
  switch (fn) {
    case 'sum':
      return float ? acc.sum : BigInt(acc.sum) + acc.wide;
    case 'mean':
      return float ? acc.sum / acc.count : integerMean(BigInt(acc.sum) + acc.wide, acc.count);
    case 'min':
      return float ? acc.min! : integer(acc.min!);
    case 'max':
      return float ? acc.max! : integer(acc.max!);
    case 'spread':
      return float ? (acc.max as number) - (acc.min as number) : integer(acc.max!) - integer(acc.min!);
  }
}

/** An integer sum's mean as the engine divides it (exactly, then rounded once), not the rounded sum's. */
function integerMean(sum: bigint, count: number): number {
  const n = BigInt(count);
  return Number(sum / n) + Number(sum % n) / count;
}

function resultType(fn: NativeFunction, kind: ColumnType): string {
  if (fn === 'count') return 'BIGINT';
  if (fn === 'mean' || kind === 'float64') return 'DOUBLE';
  if (fn === 'sum' || fn === 'spread') return 'HUGEINT';
  return kind === 'uint64' ? 'UBIGINT' : 'BIGINT';
}

/** Calls `visit` with the segment, offset and time of each of `rows` of `source` at or after `cutoffNs`. */
function eachRow(source: ColumnarSource, rows: Uint32Array, cutoffNs: bigint | undefined, visit: (seg: number, at: number, t: bigint) => void): void {
  const segmentRows = source.segmentRows;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const seg = Math.floor(row / segmentRows);
    const at = row - seg * segmentRows;
    const t = source.timeSegments[seg]![at]!;
    if (cutoffNs === undefined || t >= cutoffNs) visit(seg, at, t);
  }
}

/** The statement's answer over `parts`; undefined when it holds something not computed here. */
export function nativeAnswer(table: TableSchema, parts: readonly NativePart[], statement: NativeStatement, cutoffNs: bigint | undefined): NativeAnswer | undefined {
  return statement.kind === 'aggregate' ? nativeAggregate(table, parts, statement, cutoffNs) : nativeRows(table, parts, statement, cutoffNs);
}

/** A column's value as the SQL engine hands it: a number for floats, a bigint for integers, a string or boolean. */
function valueAt(kind: ColumnType, column: ColumnarColumn, seg: number, at: number): DuckDBValue {
  if (!isValidAt(column.validity[seg], at)) return null;
  const segment = column.segments[seg]!;
  switch (kind) {
    case 'float64':
      return (segment as Float64Array)[at]!;
    case 'int64':
      return readInt64(segment, at);
    case 'uint64':
      return (segment as BigUint64Array)[at]!;
    case 'bool':
      return segment[at] !== 0;
    default:
      return column.dictionary![segment[at] as number]!;
  }
}

function compare(op: NativeOp, a: number | bigint, b: number | bigint): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '<>':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** Whether `v` passes the filter; integers compare exactly, anything with a float as doubles. */
function passes(filter: NativeFilter, v: DuckDBValue): boolean {
  if (v === null || (typeof v !== 'number' && typeof v !== 'bigint')) return false;
  const bothInt = typeof v === 'bigint' && typeof filter.value === 'bigint';
  return bothInt ? compare(filter.op, v, filter.value) : compare(filter.op, Number(v), Number(filter.value));
}

/** Compares two tag values as the engine orders them ascending: by UTF-8 bytes, a missing one last. */
function compareTagValues(a: DuckDBValue, b: DuckDBValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareUtf8(a as string, b as string);
}

export function nativeRows(table: TableSchema, parts: readonly NativePart[], spec: NativeRows, cutoffNs: bigint | undefined): NativeAnswer | undefined {
  const columnOf = (name: string) => table.columns.get(name);
  const outs = spec.columns.map(columnOf);
  const filterCols = spec.filters.map((f) => columnOf(f.field));
  const fieldCols = spec.fields.map(columnOf);
  const orderCols = spec.orderTags.map(columnOf);
  if (outs.some((c) => c === undefined || c.type === 'time') || filterCols.some((c) => c === undefined || !NUMERIC.has(c.type)) || orderCols.some((c) => c?.type !== 'tag')) return undefined;
  const rows: Array<{ t: bigint; values: DuckDBValue[]; order: DuckDBValue[] }> = [];
  for (const { source, rows: selected } of parts) {
    const read = (col: { id: number; type: ColumnType } | undefined, seg: number, at: number): DuckDBValue => {
      const c = col === undefined ? undefined : source.columns.get(col.id);
      return c === undefined ? null : valueAt(col!.type, c, seg, at);
    };
    eachRow(source, selected, cutoffNs, (seg, at, t) => {
      let ok = true;
      for (let k = 0; k < spec.filters.length && ok; k++) ok = passes(spec.filters[k]!, read(filterCols[k], seg, at));
      if (!ok || !fieldCols.some((c) => read(c, seg, at) !== null)) return;
      rows.push({ t, values: outs.map((c) => read(c, seg, at)), order: orderCols.map((c) => read(c, seg, at)) });
    });
  }
  rows.sort((a, b) => {
    if (a.t !== b.t) return a.t < b.t ? -1 : 1;
    for (let k = 0; k < a.order.length; k++) {
      const c = compareTagValues(a.order[k]!, b.order[k]!);
      if (c !== 0) return c;
    }
    return 0;
  });
  const types = ['BIGINT', ...outs.map((c) => SQL_TYPE[c!.type])];
  return { columns: spec.names.map((name, i) => ({ name, type: types[i]! })), rows: rows.map((r) => [r.t, ...r.values]) };
}

const SQL_TYPE: Record<ColumnType, string> = { tag: 'VARCHAR', time: 'TIMESTAMP_NS', int64: 'BIGINT', uint64: 'UBIGINT', float64: 'DOUBLE', string: 'VARCHAR', bool: 'BOOLEAN' };
