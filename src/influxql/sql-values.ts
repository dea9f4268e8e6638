/**
 * The one place InfluxQL puts a value or a name into SQL text. Every user value (a tag value, a
 * string, a number, a regex, a time) reaches the engine through these functions, never pasted:
 * names are the engine's SQL names, double-quoted (a quoted name reaches exactly that column or table),
 * strings single-quoted with NUL spelled as `chr(0)`, numbers written in a form DuckDB reads
 * back to the same value and type.
 */
import { quoteIdent } from '../engine/duckdb.js';
import { sqlName } from '../engine/names.js';

/**
 * A table or column name as the engine knows it: its SQL name (`Host` → `^host`, see
 * ../engine/names.ts), quoted (`"^host"`, `"a""b"`). The statements InfluxQL writes run as
 * planned statements, unchecked, so they name tables and columns as the engine's views do.
 */
export function sqlIdent(name: string): string {
  return quoteIdent(sqlName(name));
}

/** A string as a SQL VARCHAR literal; a NUL (which would end a C string) is spelled `chr(0)`. */
export function sqlString(value: string): string {
  if (!value.includes('\0')) return `'${value.replaceAll("'", "''")}'`;
  return `(${value.split('\0').map((part) => `'${part.replaceAll("'", "''")}'`).join(' || chr(0) || ')})`;
}

/** A 64-bit integer as a BIGINT literal (UBIGINT above the signed range, as InfluxQL's unsigned literals). */
export function sqlInteger(value: bigint): string {
  if (value < -(2n ** 63n) || value >= 2n ** 64n) throw new RangeError(`integer ${value} is outside 64 bits`);
  return `CAST(${value.toString()} AS ${value >= 2n ** 63n ? 'UBIGINT' : 'BIGINT'})`;
}

/** A float as a DOUBLE constant (the shortest text that reads back to the same double; NaN and ±Infinity by name). */
export function sqlFloat(value: number): string {
  if (Number.isNaN(value)) return "CAST('nan' AS DOUBLE)";
  if (value === Infinity) return "CAST('inf' AS DOUBLE)";
  if (value === -Infinity) return "CAST('-inf' AS DOUBLE)";
  // From text: a numeric literal would be read as a DECIMAL first and lose the last bits.
  return `CAST('${Object.is(value, -0) ? '-0.0' : String(value)}' AS DOUBLE)`;
}

/** A boolean literal. */
export function sqlBoolean(value: boolean): string {
  return value ? 'TRUE' : 'FALSE';
}

/** A time in nanoseconds since the epoch as a TIMESTAMP_NS constant (the engine prunes files by it). */
export function sqlTimestampNs(ns: bigint): string {
  return `make_timestamp_ns(${sqlInteger(ns)})`;
}

/** Any scalar value as a SQL literal: bigint → BIGINT, number → DOUBLE, string, boolean, null. */
export function sqlValue(value: bigint | number | string | boolean | null): string {
  if (value === null) return 'NULL';
  switch (typeof value) {
    case 'bigint':
      return sqlInteger(value);
    case 'number':
      return sqlFloat(value);
    case 'string':
      return sqlString(value);
    case 'boolean':
      return sqlBoolean(value);
  }
}
