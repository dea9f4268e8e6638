/**
 * The one way Sluice writes a Parquet file of a table's rows: a snapshot's chunk
 * (`persister.ts`) and a compaction's merged files (`compactor.ts`) alike. DuckDB writes the
 * rows of a SELECT sorted by the series key (tags in catalog order) then time — zstd, row groups
 * of 16 384 rows (sorted by tags, a one-series query reads one or two of them, skipping the
 * others by their statistics), each column under its SQL name with its catalog id as Parquet
 * field id, key-value metadata `sluice_tags` and `sluice_chunk_time_ns` — and the footer then
 * gets the exact column names back (`renameParquetColumns`). Each tag column's least and
 * greatest value go to the manifest (`TagRange`), for leaving files out without opening them.
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteString, type Engine } from '../engine/duckdb.js';
import { nameOfSql, sqlName } from '../engine/names.js';
import { columnSql } from '../engine/relations.js';
import type { ColumnDefinition } from '../wal/model.js';
import type { TagRange } from './manifest.js';
import { renameParquetColumns } from './parquet-names.js';

/** How files are written (the same for snapshots and compactions). */
export interface ParquetSettings {
  /** Parquet compression: 'zstd' (default) or 'snappy'. */
  compression?: 'zstd' | 'snappy';
  /** Rows per row group (default 16 384). */
  rowGroupSize?: number;
}

let scratchSerial = 0;

/** Rows per row group unless set. */
const DEFAULT_ROW_GROUP_ROWS = 16_384;

/** The exact name of a column written under its SQL name. */
function exactName(encoded: string): string {
  const name = nameOfSql(encoded);
  if (name === undefined) throw new Error(`the Parquet writer wrote a column ${JSON.stringify(encoded)} that is no SQL name`);
  return name;
}

/**
 * The order every file's columns are written in: tags (catalog order), `time`, then the fields
 * — of `present` (the columns the rows hold; `time` always).
 */
export function fileColumns(tableColumns: readonly ColumnDefinition[], present: (col: ColumnDefinition) => boolean): ColumnDefinition[] {
  const kept = tableColumns.filter((c) => c.type === 'time' || present(c));
  return [...kept.filter((c) => c.type === 'tag'), ...kept.filter((c) => c.type === 'time'), ...kept.filter((c) => c.type !== 'tag' && c.type !== 'time')];
}

/**
 * Writes the rows of `selectSql` (a SELECT producing exactly `columns`, by SQL name, each point
 * once) as a Parquet file sorted by tags then time, in `scratchDir`; returns its bytes (exact
 * column names in the footer) and its row count.
 */
export async function writeParquetFile(
  engine: Engine,
  scratchDir: string,
  selectSql: string,
  columns: readonly ColumnDefinition[],
  chunkTimeNs: bigint,
  settings: ParquetSettings = {},
): Promise<{ bytes: Uint8Array; rowCount: number; tagRanges: TagRange[] }> {
  const order = columns.filter((c) => c.type === 'tag' || c.type === 'time').map(columnSql);
  const path = join(scratchDir, `parquet-${process.pid}-${++scratchSerial}.parquet`);
  const tags = columns.filter((c) => c.type === 'tag').map((c) => c.name);
  // DuckDB writes the columns under their SQL names (it cannot write two names that differ only
  // in case), each with its catalog id as Parquet field id; the footer then gets the exact names.
  const fieldIds = columns.map((c) => `${quoteString(sqlName(c.name))}: ${c.id}`).join(', ');
  const sql =
    `COPY (${selectSql} ORDER BY ${order.join(', ')}) ` +
    `TO ${quoteString(path)} (FORMAT parquet, COMPRESSION ${settings.compression ?? 'zstd'}, ROW_GROUP_SIZE ${settings.rowGroupSize ?? DEFAULT_ROW_GROUP_ROWS}, ` +
    `FIELD_IDS {${fieldIds}}, ` +
    `KV_METADATA {sluice_tags: ${quoteString(JSON.stringify(tags))}, sluice_chunk_time_ns: ${quoteString(String(chunkTimeNs))}})`;
  try {
    const tagColumns = columns.filter((c) => c.type === 'tag');
    const { rowCount, tagRanges } = await engine.withConnection(async (con) => {
      const rowCount = Number((await con.runAndReadAll(sql)).getRows()[0]![0]);
      if (tagColumns.length === 0 || rowCount === 0) return { rowCount, tagRanges: [] };
      // Read back from the file: the strings as stored, ordered as the engine orders VARCHAR (bytes).
      const ranges = (await con.runAndReadAll(`SELECT ${tagColumns.map((c) => `min(${columnSql(c)}), max(${columnSql(c)})`).join(', ')} FROM read_parquet(${quoteString(path)})`)).getRows()[0]!;
      const tagRanges: TagRange[] = [];
      tagColumns.forEach((c, i) => {
        const [min, max] = [ranges[2 * i], ranges[2 * i + 1]];
        if (typeof min === 'string' && typeof max === 'string') tagRanges.push({ columnId: c.id, min, max });
      });
      return { rowCount, tagRanges };
    });
    const bytes = renameParquetColumns(await readFile(path), exactName);
    return { bytes, rowCount, tagRanges };
  } finally {
    await unlink(path).catch(() => undefined); // absent when the COPY failed before writing
  }
}
