/**
 * The WAL's data model, after the seed's `influxdb3_wal` types. Plain data: no behaviour.
 * Times are exact nanoseconds as `bigint`; int64 and uint64 values are `bigint`.
 */

/** Numeric id of a database in the catalog. */
export type DbId = number;
/** Numeric id of a table within its database. */
export type TableId = number;
/** Numeric id of a column within its table. */
export type ColumnId = number;
/** Number of a WAL file: 1, 2, 3, …; 0 means "none". */
export type WalFileSequenceNumber = number;
/** Number of a snapshot: 1, 2, 3, …; 0 means "none". */
export type SnapshotSequenceNumber = number;

/** The kind of a field value; the numbers are the codec's tags (docs/wal-format.md). */
export const FieldKind = {
  Tag: 1,
  String: 2,
  Int64: 3,
  UInt64: 4,
  Float64: 5,
  Boolean: 6,
} as const;
/** One of {@link FieldKind}'s values. */
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** One value of a row: a tag or a field, by column id (the row view of a chunk, for tools and tests). */
export type Field =
  | { columnId: ColumnId; kind: typeof FieldKind.Tag | typeof FieldKind.String; value: string }
  | { columnId: ColumnId; kind: typeof FieldKind.Int64 | typeof FieldKind.UInt64; value: bigint }
  | { columnId: ColumnId; kind: typeof FieldKind.Float64; value: number }
  | { columnId: ColumnId; kind: typeof FieldKind.Boolean; value: boolean };

/** One point as a row: its time and its values (see {@link chunkRows} and {@link tableChunkFromRows}). */
export interface Row {
  timeNs: bigint;
  fields: Field[];
}

/**
 * The values of one column of a chunk, one slot per row. `validity` is a bitmap (bit `i` of byte
 * `i >> 3` set when row `i` has a value); without it every row has one. Strings and tags are
 * indices into `dictionary`.
 */
export type ColumnData =
  | { kind: typeof FieldKind.Tag | typeof FieldKind.String; indices: Uint32Array; dictionary: string[]; validity?: Uint8Array }
  | { kind: typeof FieldKind.Int64; values: BigInt64Array; validity?: Uint8Array }
  | { kind: typeof FieldKind.UInt64; values: BigUint64Array; validity?: Uint8Array }
  | { kind: typeof FieldKind.Float64; values: Float64Array; validity?: Uint8Array }
  | { kind: typeof FieldKind.Boolean; values: Uint8Array; validity?: Uint8Array };

/**
 * The rows of one table that fall into one gen1 window, held column by column: typed arrays,
 * not an object per value, so encoding is a copy and millions of buffered values cost the
 * garbage collector nothing.
 */
export interface TableChunk {
  rowCount: number;
  /** The time of each row. */
  timeNs: BigInt64Array;
  /** The chunk's tag and field columns, by column id. */
  columns: Map<ColumnId, ColumnData>;
}

/** The rows of one table in a batch, by gen1 chunk time. */
export interface TableChunks {
  minTimeNs: bigint;
  maxTimeNs: bigint;
  chunkTimeToChunk: Map<bigint, TableChunk>;
}

/** Rows for one database, grouped by table and chunk time. */
export interface WriteBatch {
  databaseId: DbId;
  databaseName: string;
  tableChunks: Map<TableId, TableChunks>;
  minTimeNs: bigint;
  maxTimeNs: bigint;
}

/** The type of a catalog column. */
export type ColumnType = 'tag' | 'time' | 'int64' | 'uint64' | 'float64' | 'string' | 'bool';

/** The typed array a column of `kind` is held in: dictionary indices (Uint32) for tags and strings. */
export type ColumnValues = BigInt64Array | BigUint64Array | Float64Array | Uint8Array | Uint32Array;

/** A zeroed array for `capacity` values of a column of `kind`. */
export function allocateColumnValues(kind: FieldKind, capacity: number): ColumnValues {
  switch (kind) {
    case FieldKind.Int64:
      return new BigInt64Array(capacity);
    case FieldKind.UInt64:
      return new BigUint64Array(capacity);
    case FieldKind.Float64:
      return new Float64Array(capacity);
    case FieldKind.Boolean:
      return new Uint8Array(capacity);
    case FieldKind.Tag:
    case FieldKind.String:
      return new Uint32Array(capacity);
    default:
      throw new Error(`unknown field kind ${String(kind)}`);
  }
}

/** A column as the catalog defines it. */
export interface ColumnDefinition {
  id: ColumnId;
  name: string;
  type: ColumnType;
}

/**
 * A last-value cache of a table (InfluxDB 3's `LastCacheDefinition`): the last `count` rows of
 * each combination of the key columns' values, entries living `ttlSeconds` after they arrived.
 */
export interface LastCacheDefinition {
  tableId: TableId;
  tableName: string;
  /** Unique among the table's last caches. */
  name: string;
  /** The key columns, in hierarchy order (tags, or string, int64, uint64 and bool fields). */
  keyColumnIds: ColumnId[];
  /** The value columns in order (`time` included), or undefined: every non-key column, new ones as they come. */
  valueColumnIds: ColumnId[] | undefined;
  /** Rows kept per key combination: 1–10. */
  count: number;
  ttlSeconds: number;
}

/**
 * A distinct-value cache of a table (InfluxDB 3's `DistinctCacheDefinition`): the distinct
 * combinations of its columns' values, at most `maxCardinality`, each kept `maxAgeSeconds` after
 * the newest row that held it.
 */
export interface DistinctCacheDefinition {
  tableId: TableId;
  tableName: string;
  /** Unique among the table's distinct caches. */
  name: string;
  /** Tags and string fields, in hierarchy order. */
  columnIds: ColumnId[];
  maxCardinality: number;
  maxAgeSeconds: number;
}

/** One schema change. Database-level ops name their database through the enclosing batch. */
export type CatalogOp =
  | { kind: 'createDatabase' }
  | { kind: 'createTable'; tableId: TableId; tableName: string; columns: ColumnDefinition[] }
  | { kind: 'addColumns'; tableId: TableId; tableName: string; columns: ColumnDefinition[] }
  | { kind: 'deleteDatabase'; deletionTimeNs: bigint }
  | { kind: 'deleteTable'; tableId: TableId; tableName: string; deletionTimeNs: bigint }
  /** The database's retention period in nanoseconds; 0 means none (keep forever). WAL format ≥ 2. */
  | { kind: 'setRetentionPeriod'; retentionPeriodNs: bigint }
  /** WAL format ≥ 3, as the three below. */
  | { kind: 'createLastCache'; cache: LastCacheDefinition }
  | { kind: 'deleteLastCache'; tableId: TableId; tableName: string; cacheName: string }
  | { kind: 'createDistinctCache'; cache: DistinctCacheDefinition }
  | { kind: 'deleteDistinctCache'; tableId: TableId; tableName: string; cacheName: string };

/** Schema changes for one database, made at one time; travels in the WAL ahead of the rows that need it. */
export interface CatalogBatch {
  databaseId: DbId;
  databaseName: string;
  timeNs: bigint;
  ops: CatalogOp[];
}

/** One operation in the WAL. `noop` only carries a forced snapshot when nothing else was buffered. */
export type WalOp =
  | { kind: 'write'; batch: WriteBatch }
  | { kind: 'catalog'; batch: CatalogBatch }
  | { kind: 'noop'; timestampNs: bigint };

/** Which WAL files a snapshot covers and which buffered chunks it persists. */
export interface SnapshotDetails {
  snapshotSequenceNumber: SnapshotSequenceNumber;
  /** Persist every gen1 chunk whose chunk time is below this marker. */
  endTimeMarkerNs: bigint;
  /** First WAL file covered (inclusive). */
  firstWalSequenceNumber: WalFileSequenceNumber;
  /** Last WAL file covered (inclusive); replay after a restart starts above it. */
  lastWalSequenceNumber: WalFileSequenceNumber;
  /** Set for an explicitly forced snapshot and for the 3× rule. */
  forced: boolean;
}

/** The contents of one WAL file. */
export interface WalContents {
  /** Wall-clock time of the flush that wrote the file. */
  persistTimestampMs: number;
  /** Smallest data time over the file's rows (or the noop's time). */
  minTimestampNs: bigint;
  /** Largest data time over the file's rows (or the noop's time + 1). */
  maxTimestampNs: bigint;
  walFileNumber: WalFileSequenceNumber;
  ops: WalOp[];
  snapshot?: SnapshotDetails;
}

/** The smallest and largest int64 values, as the model's bounds for min/max folds. */
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;

/** The gen1 window a time falls in: floor(time / duration) × duration — floor also below 0. */
export function chunkTimeNs(timeNs: bigint, gen1DurationNs: bigint): bigint {
  const remainder = timeNs % gen1DurationNs;
  return remainder < 0n ? timeNs - remainder - gen1DurationNs : timeNs - remainder;
}

/** Whether row `row` has a value in a column with this validity bitmap. */
export function isValid(validity: Uint8Array | undefined, row: number): boolean {
  return validity === undefined || (validity[row >> 3]! & (1 << (row & 7))) !== 0;
}

/** The value of row `row` in a column (undefined where the row has none). */
export function columnValue(column: ColumnData, row: number): string | bigint | number | boolean | undefined {
  if (!isValid(column.validity, row)) return undefined;
  switch (column.kind) {
    case FieldKind.Tag:
    case FieldKind.String:
      return column.dictionary[column.indices[row]!];
    case FieldKind.Boolean:
      return column.values[row] === 1;
    default:
      return column.values[row];
  }
}

/** Builds a columnar chunk from rows (for tools, tests and small writers; the write path builds columns directly). */
export function tableChunkFromRows(rows: readonly Row[]): TableChunk {
  const n = rows.length;
  const timeNs = new BigInt64Array(n);
  const kinds = new Map<ColumnId, FieldKind>();
  for (let r = 0; r < n; r++) {
    timeNs[r] = rows[r]!.timeNs;
    for (const f of rows[r]!.fields) {
      const known = kinds.get(f.columnId);
      if (known === undefined) kinds.set(f.columnId, f.kind);
      else if (known !== f.kind) throw new TypeError(`column ${f.columnId} has values of kinds ${known} and ${f.kind}`);
    }
  }
  const columns = new Map<ColumnId, ColumnData>();
  for (const [columnId, kind] of kinds) {
    const validity = new Uint8Array((n + 7) >> 3);
    let isDense = true;
    const isString = kind === FieldKind.Tag || kind === FieldKind.String;
    const indices = isString ? new Uint32Array(n) : undefined;
    const dictionary: string[] = [];
    const indexOf = new Map<string, number>();
    const values = isString ? undefined : kind === FieldKind.Int64 ? new BigInt64Array(n) : kind === FieldKind.UInt64 ? new BigUint64Array(n) : kind === FieldKind.Float64 ? new Float64Array(n) : new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      const f = rows[r]!.fields.find((x) => x.columnId === columnId);
      if (f === undefined) {
        isDense = false;
        continue;
      }
      validity[r >> 3]! |= 1 << (r & 7);
      const v = f.value;
      if (indices !== undefined) {
        if (typeof v !== 'string') throw new TypeError(`column ${columnId}: ${String(v)} is not a string`);
        let i = indexOf.get(v);
        if (i === undefined) {
          i = dictionary.length;
          dictionary.push(v);
          indexOf.set(v, i);
        }
        indices[r] = i;
        continue;
      }
      // typed arrays wrap out-of-range bigints silently: refuse them instead
      if (kind === FieldKind.Int64 && (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX)) throw new RangeError(`column ${columnId}: ${String(v)} is not an int64`);
      if (kind === FieldKind.UInt64 && (typeof v !== 'bigint' || v < 0n || v > U64_MAX)) throw new RangeError(`column ${columnId}: ${String(v)} is not a uint64`);
      if (kind === FieldKind.Float64 && typeof v !== 'number') throw new TypeError(`column ${columnId}: ${String(v)} is not a number`);
      if (kind === FieldKind.Boolean && typeof v !== 'boolean') throw new TypeError(`column ${columnId}: ${String(v)} is not a boolean`);
      (values as unknown as Array<unknown>)[r] = kind === FieldKind.Boolean ? (v ? 1 : 0) : v;
    }
    const column = (indices !== undefined ? { kind, indices, dictionary } : { kind, values }) as ColumnData;
    if (!isDense) column.validity = validity;
    columns.set(columnId, column);
  }
  return { rowCount: n, timeNs, columns };
}

/** The rows of a chunk, as objects (for tools and tests; the write path never does this). */
export function chunkRows(chunk: TableChunk): Row[] {
  const rows: Row[] = [];
  for (let r = 0; r < chunk.rowCount; r++) {
    const fields: Field[] = [];
    for (const [columnId, column] of chunk.columns) {
      const value = columnValue(column, r);
      if (value !== undefined) fields.push({ columnId, kind: column.kind, value } as Field);
    }
    rows.push({ timeNs: chunk.timeNs[r]!, fields });
  }
  return rows;
}

/** Builds a WriteBatch from rows of one table, grouping them by gen1 chunk time. */
export function writeBatchForTable(
  databaseId: DbId,
  databaseName: string,
  tableId: TableId,
  rows: readonly Row[],
  gen1DurationNs: bigint,
): WriteBatch {
  const byChunk = new Map<bigint, Row[]>();
  let minTimeNs = I64_MAX;
  let maxTimeNs = I64_MIN;
  for (const row of rows) {
    const chunkTime = chunkTimeNs(row.timeNs, gen1DurationNs);
    let list = byChunk.get(chunkTime);
    if (list === undefined) {
      list = [];
      byChunk.set(chunkTime, list);
    }
    list.push(row);
    if (row.timeNs < minTimeNs) minTimeNs = row.timeNs;
    if (row.timeNs > maxTimeNs) maxTimeNs = row.timeNs;
  }
  const chunkTimeToChunk = new Map<bigint, TableChunk>();
  for (const [chunkTime, list] of byChunk) chunkTimeToChunk.set(chunkTime, tableChunkFromRows(list));
  return { databaseId, databaseName, tableChunks: new Map([[tableId, { minTimeNs, maxTimeNs, chunkTimeToChunk }]]), minTimeNs, maxTimeNs };
}

/** Number of rows in a write batch. */
export function rowCount(batch: WriteBatch): number {
  let n = 0;
  for (const table of batch.tableChunks.values()) for (const chunk of table.chunkTimeToChunk.values()) n += chunk.rowCount;
  return n;
}
