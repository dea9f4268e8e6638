/**
 * Temporary tables a statement reads what Sluice holds in JavaScript through (system tables,
 * cache table functions): made on the statement's connection and filled by DuckDB's appender.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { DuckDBTimestampNanosecondsValue, LIST, USMALLINT, VARCHAR } from '@duckdb/node-api';
import { quoteIdent } from '../engine/duckdb.js';

/** The column types a temporary table may have. */
export type TempColumnType = 'VARCHAR' | 'BIGINT' | 'UBIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP_NS' | 'USMALLINT[]' | 'VARCHAR[]';

/** A value of a temporary table's cell: null and undefined are NULL. */
export type TempValue = string | number | bigint | boolean | null | undefined | readonly number[] | readonly string[];

/** Replaces temporary table `name` on `con` with `rows` of `columns` (name and type first in each). */
export async function fillTempTable(con: DuckDBConnection, name: string, columns: ReadonlyArray<readonly [string, TempColumnType, ...unknown[]]>, rows: Iterable<ReadonlyArray<TempValue>>): Promise<void> {
  await con.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} (${columns.map(([c, t]) => `${quoteIdent(c)} ${t}`).join(', ')})`);
  const appender = await con.createAppender(name, 'main', 'temp');
  try {
    for (const row of rows) {
      columns.forEach(([, type], i) => append(appender, type, row[i]));
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

function append(appender: DuckDBAppender, type: TempColumnType, v: TempValue): void {
  if (v === null || v === undefined) return appender.appendNull();
  switch (type) {
    case 'VARCHAR':
      return appender.appendVarchar(String(v));
    case 'BIGINT':
      return appender.appendBigInt(BigInt(v as number | bigint));
    case 'UBIGINT':
      return appender.appendUBigInt(BigInt(v as number | bigint));
    case 'DOUBLE':
      return appender.appendDouble(Number(v));
    case 'BOOLEAN':
      return appender.appendBoolean(Boolean(v));
    case 'TIMESTAMP_NS':
      return appender.appendTimestampNanoseconds(new DuckDBTimestampNanosecondsValue(BigInt(v as number | bigint)));
    case 'USMALLINT[]':
      return appender.appendList(v as readonly number[], LIST(USMALLINT));
    case 'VARCHAR[]':
      return appender.appendList(v as readonly string[], LIST(VARCHAR));
  }
}
