/**
 * InfluxDB 3's SHOW statements, answered from the system tables: `SHOW TABLES` is
 * `information_schema.tables`, `SHOW COLUMNS FROM|IN t` the columns of `t` in
 * `information_schema.columns`, `SHOW DATABASES` the names in `system.databases`. DuckDB's own
 * SHOW forms list the engine's catalog (every database's schema), so they never reach it.
 *
 * The statement is recognized whole (one SHOW statement, an optional `;`), and becomes a SELECT
 * whose only user part, the table name, is written as a quoted string literal.
 */
import type { DatabaseSchema } from '../catalog/catalog.js';
import { foldCase } from '../engine/names.js';
import { quoteString } from '../engine/duckdb.js';
import { QueryError } from './errors.js';

const SHOW = /^\s*show\s+(tables|databases|columns\s+(?:from|in)\s+((?:"(?:[^"]|"")+"|[^\s;"]+)))\s*;?\s*$/is;
const SHOW_ANY = /^\s*show\b/i;

/** The SELECT a SHOW statement stands for, or undefined for any other statement. Throws QueryError for a SHOW it does not know. */
export function showStatementSql(sql: string, database: DatabaseSchema): string | undefined {
  if (!SHOW_ANY.test(sql)) return undefined;
  const m = SHOW.exec(sql);
  if (m === null) throw new QueryError('INVALID_QUERY', 'unsupported SHOW statement: SHOW TABLES, SHOW COLUMNS FROM <table> and SHOW DATABASES are supported');
  const what = m[1]!.toLowerCase();
  if (what === 'tables') return 'SELECT table_catalog, table_schema, table_name, table_type FROM information_schema.tables';
  if (what === 'databases') return 'SELECT database_name AS "iox::database" FROM system.databases ORDER BY database_name';
  const table = tableOf(m[2]!, database);
  return `SELECT table_catalog, table_schema, table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'iox' AND table_name = ${quoteString(table)}`;
}

/** The table a SHOW COLUMNS names: quoted exactly, bare as written or, failing that, the one table that matches regardless of case. */
function tableOf(written: string, database: DatabaseSchema): string {
  const quoted = written.startsWith('"');
  const name = quoted ? written.slice(1, -1).replaceAll('""', '"') : written;
  if (database.tables.has(name)) return name;
  const matches = quoted ? [] : [...database.tables.keys()].filter((t) => foldCase(t) === foldCase(name));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new QueryError('INVALID_QUERY', `table ${JSON.stringify(name)} is ambiguous: names are case-sensitive and it matches ${matches.map((t) => JSON.stringify(t)).join(', ')}; write one of them exactly`);
  throw new QueryError('INVALID_QUERY', `table ${JSON.stringify(name)} not found in database ${JSON.stringify(database.name)}`);
}
