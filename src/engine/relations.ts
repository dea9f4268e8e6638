/**
 * SQL that turns stored rows into a table relation with InfluxDB point semantics: a point is
 * (tags, time); when it was written more than once, each field takes its last non-null value.
 * "Last" is the `__ord` column: a source rank times 2^32 plus the row's position in the source.
 * Every relation's columns carry SQL names (`./names.ts`), so `host` and `Host` are two columns.
 */
import type { ColumnDefinition } from '../wal/model.js';
import { quoteIdent, quoteString, sqlType, type MirrorState } from './duckdb.js';
import { foldCase, sqlName } from './names.js';

/** A column's SQL name, quoted. */
export function columnSql(col: ColumnDefinition): string {
  return quoteIdent(sqlName(col.name));
}

export const ORD = '__sluice_ord';
const RANK_SHIFT = 4294967296n;

/** The user-facing columns of a table in output order: alphabetical, as InfluxDB 3 lists them. */
export function tableColumns(columns: Iterable<ColumnDefinition>): ColumnDefinition[] {
  return [...columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The scan of one buffered chunk, in place (see `Engine`'s table functions); only the rows of
 * registered row set `rowSet` (of this chunk alone) when given.
 */
function scanOf(state: MirrorState, sorted = false, rowSet?: number): string {
  return rowSet !== undefined ? rowSetScan(rowSet) : `sluice_chunk(${state.serial}::UBIGINT, true, ${sorted})`;
}

function rowSetScan(rowSet: number): string {
  return `sluice_rows(${rowSet}::UBIGINT)`;
}

/** SELECT over a buffer mirror (or a row set of its rows) with dictionary columns decoded, every table column present, plus `__ord`. */
export function mirrorRelationSql(state: MirrorState, columns: readonly ColumnDefinition[], rank: number, rowSet?: number): string {
  return decodeMirrorSql(state.columns, columns, scanOf(state, false, rowSet), `(${BigInt(rank) * RANK_SHIFT}::BIGINT + m.r) AS ${ORD}`);
}

/**
 * SELECT over registered row set `rowSet` — rows of several chunks that need no deduplication
 * (none shares a point with another) — dictionary columns decoded, every table column present.
 */
export function rowSetRelationSql(present: ReadonlySet<number>, columns: readonly ColumnDefinition[], rowSet: number): string {
  return decodeMirrorSql(present, columns, rowSetScan(rowSet), undefined);
}

/**
 * The deduplicated rows of one mirror: grouped on the raw dictionary indices and time (integers,
 * far cheaper than strings), each field its last non-null value by row order; decoded afterwards.
 */
export function mirrorDedupSql(state: MirrorState, columns: readonly ColumnDefinition[], options: { enums?: boolean; rowSet?: number } = {}): string {
  // `enums`: dictionary columns stay ENUMs over their sorted dictionary (ordered like the strings,
  // written to Parquet as strings) instead of being cast to VARCHAR — for snapshots.
  const enums = options.enums === true;
  // No two rows share tags and time (checked as rows arrive): nothing to merge, just decode.
  const scan = scanOf(state, enums, options.rowSet);
  if (!state.mayHaveDuplicates) return decodeMirrorSql(state.columns, columns, scan, undefined, enums);
  const keys = ['t'];
  const select = ['t'];
  for (const col of columns) {
    if (col.type === 'time' || !state.columns.has(col.id)) continue;
    if (col.type === 'tag') {
      keys.push(`c${col.id}`);
      select.push(`c${col.id}`);
    } else {
      select.push(`arg_max(c${col.id}, r) FILTER (WHERE c${col.id} IS NOT NULL) AS c${col.id}`);
    }
  }
  const inner = `(SELECT ${select.join(', ')} FROM ${scan} GROUP BY ${keys.join(', ')})`;
  return decodeMirrorSql(state.columns, columns, inner, undefined, enums);
}

/** SELECT of every table column from scan `from` (columns `c<id>` of the ids in `present`, the others null). */
function decodeMirrorSql(present: { has(id: number): boolean }, columns: readonly ColumnDefinition[], from: string, extra: string | undefined, enums = false): string {
  const select: string[] = [];
  for (const col of columns) {
    const name = columnSql(col);
    if (col.type === 'time') {
      select.push(`m.t AS ${name}`);
    } else if (!present.has(col.id)) {
      select.push(`NULL::${sqlType(col.type)} AS ${name}`);
    } else if (col.type === 'tag' || col.type === 'string') {
      select.push(enums ? `m.c${col.id} AS ${name}` : `CAST(m.c${col.id} AS VARCHAR) AS ${name}`);
    } else {
      select.push(`m.c${col.id} AS ${name}`);
    }
  }
  if (extra !== undefined) select.push(extra);
  return `SELECT ${select.join(', ')} FROM ${from} m`;
}

/**
 * SELECT over Parquet files that hold `present` of the table's columns (others are NULL).
 *
 * Files carry each column under its exact name. DuckDB matches those names without regard to
 * case and renames the second of two that differ only in case (`host`, `host_1`), so when the
 * present columns include such a pair the files are read by Parquet field id instead: snapshots
 * write each column's catalog id as its field id (`src/persist/persister.ts`). Otherwise they
 * are read by name, which also reads files written before field ids.
 */
export function parquetRelationSql(paths: readonly string[], present: ReadonlySet<number>, columns: readonly ColumnDefinition[], rank: number | undefined): string {
  const stored = columns.filter((col) => present.has(col.id));
  const byFieldId = new Set(stored.map((col) => foldCase(col.name))).size < stored.length;
  const select = columns.map((col) => {
    if (!present.has(col.id)) return `NULL::${sqlType(col.type)} AS ${columnSql(col)}`;
    return byFieldId ? columnSql(col) : `${quoteIdent(col.name)} AS ${columnSql(col)}`;
  });
  if (rank !== undefined) select.push(`${BigInt(rank) * RANK_SHIFT}::BIGINT AS ${ORD}`);
  const list = paths.map(quoteString).join(', ');
  if (!byFieldId) return `SELECT ${select.join(', ')} FROM read_parquet([${list}], union_by_name = true)`;
  const schema = stored.map((col) => `${col.id}: {name: ${quoteString(sqlName(col.name))}, type: ${quoteString(sqlType(col.type))}, default_value: NULL}`);
  return `SELECT ${select.join(', ')} FROM read_parquet([${list}], schema = MAP {${schema.join(', ')}})`;
}

/**
 * Deduplicates the union of `sources` (each with `__ord`) by tags and time, each field taking
 * its last non-null value; output columns in `columns` order.
 */
export function dedupSql(sources: readonly string[], columns: readonly ColumnDefinition[]): string {
  const keys = columns.filter((c) => c.type === 'tag' || c.type === 'time').map(columnSql);
  const select = columns.map((col) => {
    const q = columnSql(col);
    if (col.type === 'tag' || col.type === 'time') return q;
    return `arg_max(${q}, ${ORD}) FILTER (WHERE ${q} IS NOT NULL) AS ${q}`;
  });
  return `SELECT ${select.join(', ')} FROM (${sources.join(' UNION ALL ')}) GROUP BY ${keys.join(', ')}`;
}

/** An empty relation with the table's columns. */
export function emptyRelationSql(columns: readonly ColumnDefinition[]): string {
  return `SELECT ${columns.map((c) => `NULL::${sqlType(c.type)} AS ${columnSql(c)}`).join(', ')} WHERE false`;
}
