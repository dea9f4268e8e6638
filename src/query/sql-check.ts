/**
 * What runs of a user's SQL: exactly one read-only SELECT, reading only its own database (see
 * `./names.ts`), with names rewritten to SQL names when any needs it. Result column names and
 * error messages are turned back into the user's names.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import { quoteString } from '../engine/duckdb.js';
import { decodeQuotedNames } from '../engine/names.js';
import { parseJsonKeepingBigInts, stringifyJsonKeepingBigInts } from './ast.js';
import { toQueryError } from './engine-errors.js';
import { QueryError } from './errors.js';
import { applyDialect } from './dialect.js';
import { resolveNames } from './names.js';
import { showStatementSql } from './show.js';
import type { SystemTableKey } from './system-tables.js';

/** A statement that passed the checks, ready to run. */
export interface CheckedQuery {
  /** Its AST (`json_serialize_sql`), names resolved to SQL names. */
  readonly ast: unknown;
  /** The SQL to run: the user's text when no name needed rewriting, else DuckDB's rendering of the rewritten AST. */
  readonly sql: string;
  /** A result column's name as the user knows it (`^host` → `Host`, `max("^usage")` → `max(Usage)`). */
  columnName(name: string): string;
  /** The tables it reads. */
  readonly tables: ReadonlySet<TableSchema>;
  /** The system tables it reads (filled on its connection before it runs). */
  readonly systemTables: ReadonlySet<SystemTableKey>;
}

/**
 * Checks `sql` for database `database` on `con`: one statement, a plain SELECT (PRAGMA and
 * CALL, which DuckDB turns into SELECTs over table functions, do not serialize and are refused),
 * reading only that database. Throws QueryError NOT_READ_ONLY or INVALID_QUERY.
 */
export async function checkQuery(con: DuckDBConnection, sql: string, database: DatabaseSchema): Promise<CheckedQuery> {
  sql = showStatementSql(sql, database) ?? sql;
  // Parsed only, never bound: binding would resolve names without regard to case.
  let count: number;
  try {
    count = (await con.extractStatements(sql)).count;
  } catch (err) {
    // Whatever the parser refuses is the query's fault: some inputs (a lone U+FFFD) come back
    // from the node API as a bare "Error in native callback".
    const e = toQueryError(err);
    throw e.code === 'INTERNAL' ? new QueryError('INVALID_QUERY', `the SQL could not be parsed: ${e.message}`) : e;
  }
  if (count === 0) throw new QueryError('INVALID_QUERY', 'the query is empty');
  if (count > 1) throw new QueryError('NOT_READ_ONLY', `exactly one statement is allowed, found ${count}`);
  // Only SELECT statements serialize; PRAGMA, CALL, SET, COPY, EXPLAIN and DDL/DML do not.
  const reader = await con.runAndReadAll(`SELECT json_serialize_sql(${quoteString(sql)})`);
  const ast = parseJsonKeepingBigInts(String(reader.getRows()[0]![0])) as { error?: boolean; error_message?: string; statements?: unknown[] };
  if (ast.error === true) throw new QueryError('NOT_READ_ONLY', `only SELECT statements are allowed (${ast.error_message ?? 'not a SELECT'})`);
  if (ast.statements?.length !== 1) throw new QueryError('NOT_READ_ONLY', `exactly one statement is allowed, found ${ast.statements?.length ?? 0}`);
  const { changed, names, tables, systemTables } = resolveNames(ast, database);
  const dialect = await applyDialect(con, ast, database);
  let runSql = sql;
  if (changed || dialect.changed) {
    const text = (await con.runAndReadAll(`SELECT json_deserialize_sql(${quoteString(stringifyJsonKeepingBigInts(ast))})`)).getRows()[0]![0];
    runSql = String(text);
  }
  const keywords = await keywordsOf(con);
  // A decoded name is written bare where DuckDB writes it bare: a plain identifier, no keyword.
  const bare = (name: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !keywords.has(name.toLowerCase());
  return {
    ast,
    sql: runSql,
    tables,
    systemTables,
    columnName: (name) => dialect.names.get(name) ?? names.get(name) ?? decodeQuotedNames(name, bare),
  };
}

let keywordSet: Promise<Set<string>> | undefined;

/** DuckDB's keywords (which its SQL writer always quotes), read once. */
function keywordsOf(con: DuckDBConnection): Promise<Set<string>> {
  keywordSet ??= con.runAndReadAll('SELECT keyword_name FROM duckdb_keywords()').then(
    (r) => new Set(r.getRows().map((row) => String(row[0]).toLowerCase())),
    (err: unknown) => {
      keywordSet = undefined;
      throw err;
    },
  );
  return keywordSet;
}
