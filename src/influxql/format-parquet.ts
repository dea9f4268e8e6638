/**
 * An InfluxQL answer (the flat table of format-v3.ts) as a Parquet file, for
 * `/api/v3/query_influxql?format=parquet`.
 *
 * The rows are already in memory (InfluxQL computes its series in JavaScript), so they go into a
 * private, empty in-memory DuckDB through its appender — every value bound by type, none ever
 * part of SQL text — and DuckDB's own Parquet writer writes the file. The SQL this module runs is
 * fixed apart from type names and the output path: columns are `c0`, `c1`, … and their real names
 * (measurement, tag and field names, which differ perhaps only in case, a thing DuckDB's names
 * cannot) are put into the file's footer afterwards (src/persist/parquet-names.ts). The private
 * instance runs no user SQL and reads no files: the query engine's sandbox is not needed, and the
 * engine's connections are not taken.
 */
import { DuckDBInstance, type DuckDBAppender, type DuckDBTimestampNanosecondsValue, type DuckDBValue } from '@duckdb/node-api';
import { renameParquetFileColumns } from '../persist/parquet-names.js';
import type { FlatTable } from './format-v3.js';

/** Rows appended between two checks of `signal` (and two turns of the event loop). */
const ROWS_PER_TURN = 10_000;

function append(appender: DuckDBAppender, type: string, v: DuckDBValue): void {
  if (v === null) return appender.appendNull();
  switch (type) {
    case 'DOUBLE':
      return appender.appendDouble(v as number);
    case 'BIGINT':
      return appender.appendBigInt(v as bigint);
    case 'UBIGINT':
      return appender.appendUBigInt(v as bigint);
    case 'BOOLEAN':
      return appender.appendBoolean(v as boolean);
    case 'TIMESTAMP_NS':
      return appender.appendTimestampNanoseconds(v as DuckDBTimestampNanosecondsValue);
    default:
      return appender.appendVarchar(v as string);
  }
}

/** Writes `table` to `path` as zstd-compressed Parquet with the table's column names and types. */
export async function writeFlatTableParquet(table: FlatTable, path: string, signal?: AbortSignal): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  try {
    const con = await instance.connect();
    try {
      const types = table.columns.map((c) => c.type);
      await con.run(`CREATE TABLE answer (${types.map((t, i) => `c${i} ${t}`).join(', ')})`);
      const appender = await con.createAppender('answer');
      let sinceTurn = 0;
      for (const row of table.rows()) {
        for (let i = 0; i < row.length; i++) append(appender, types[i]!, row[i]!);
        appender.endRow();
        if (++sinceTurn >= ROWS_PER_TURN) {
          sinceTurn = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
          signal?.throwIfAborted();
        }
      }
      appender.closeSync();
      await con.run(`COPY answer TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`);
    } finally {
      con.closeSync();
    }
  } finally {
    instance.closeSync();
  }
  const names = table.columns.map((c) => c.name);
  await renameParquetFileColumns(path, (name) => (/^c\d+$/.test(name) ? names[Number(name.slice(1))]! : name));
}
