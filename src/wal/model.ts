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

/** One value of a row: a tag or a field, by column id. */
export type Field =
  | { columnId: ColumnId; kind: typeof FieldKind.Tag | typeof FieldKind.String; value: string }
  | { columnId: ColumnId; kind: typeof FieldKind.Int64 | typeof FieldKind.UInt64; value: bigint }
  | { columnId: ColumnId; kind: typeof FieldKind.Float64; value: number }
  | { columnId: ColumnId; kind: typeof FieldKind.Boolean; value: boolean };

/** One point: its time and its tag and field values. */
export interface Row {
  timeNs: bigint;
  fields: Field[];
}

/** The rows of one table that fall into one gen1 window. */
export interface TableChunk {
  rows: Row[];
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

/** A column as the catalog defines it. */
export interface ColumnDefinition {
  id: ColumnId;
  name: string;
  type: ColumnType;
}

/** One schema change. Database-level ops name their database through the enclosing batch. */
export type CatalogOp =
  | { kind: 'createDatabase' }
  | { kind: 'createTable'; tableId: TableId; tableName: string; columns: ColumnDefinition[] }
  | { kind: 'addColumns'; tableId: TableId; tableName: string; columns: ColumnDefinition[] }
  | { kind: 'deleteDatabase'; deletionTimeNs: bigint }
  | { kind: 'deleteTable'; tableId: TableId; tableName: string; deletionTimeNs: bigint };

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

/** Builds a WriteBatch from rows of one table, grouping them by gen1 chunk time. */
export function writeBatchForTable(
  databaseId: DbId,
  databaseName: string,
  tableId: TableId,
  rows: readonly Row[],
  gen1DurationNs: bigint,
): WriteBatch {
  const chunks: TableChunks = { minTimeNs: I64_MAX, maxTimeNs: I64_MIN, chunkTimeToChunk: new Map() };
  for (const row of rows) {
    const chunkTime = chunkTimeNs(row.timeNs, gen1DurationNs);
    let chunk = chunks.chunkTimeToChunk.get(chunkTime);
    if (chunk === undefined) {
      chunk = { rows: [] };
      chunks.chunkTimeToChunk.set(chunkTime, chunk);
    }
    chunk.rows.push(row);
    if (row.timeNs < chunks.minTimeNs) chunks.minTimeNs = row.timeNs;
    if (row.timeNs > chunks.maxTimeNs) chunks.maxTimeNs = row.timeNs;
  }
  return {
    databaseId,
    databaseName,
    tableChunks: new Map([[tableId, chunks]]),
    minTimeNs: chunks.minTimeNs,
    maxTimeNs: chunks.maxTimeNs,
  };
}

/** Number of rows in a write batch. */
export function rowCount(batch: WriteBatch): number {
  let n = 0;
  for (const table of batch.tableChunks.values()) for (const chunk of table.chunkTimeToChunk.values()) n += chunk.rows.length;
  return n;
}
