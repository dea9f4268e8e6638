/**
 * DuckDB's errors as QueryErrors: a code the server maps to a status (a mistake in the query or
 * its parameters is INVALID_QUERY, 400; only the engine's own failures are INTERNAL, 500), and a
 * message with the user's names instead of SQL names.
 */
import { influxMessage } from './dialect-errors.js';
import { QueryError } from './errors.js';

// What DuckDB's node API throws for bad parameters: too many or too few, an unknown name, a
// value of no SQL type, a conversion that fails.
const BIND_ERRORS = [
  /^Failed to bind value/i,
  /^Failed to retrieve bind parameter index/i,
  /^Expected \d+ parameters?/i,
  /^Can ?not bind/i,
  /^Cannot create (values|lists|structs|maps|unions|arrays) (of|with)/i,
  /^input is not a/i,
  /^Values were not provided for the following prepared statement parameters/i,
];

/** A DuckDB (or node API) error as a QueryError. */
export function toQueryError(err: unknown): QueryError {
  if (err instanceof QueryError) return err;
  const raw = (err instanceof Error ? err.message : String(err)).replace(/^Failed to extract statements: /, '');
  const message = decodeMessage(raw);
  if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Syntax|Not implemented|Out of Range) Error/i.test(message)) return new QueryError('INVALID_QUERY', influxMessage(message));
  if (BIND_ERRORS.some((re) => re.test(message))) return new QueryError('INVALID_QUERY', `bad query parameters: ${message}`);
  if (/^Permission Error/i.test(message)) return new QueryError('NOT_READ_ONLY', message);
  if (/^Out of Memory Error/i.test(message)) return new QueryError('RESOURCES_EXHAUSTED', message);
  if (/^INTERRUPT Error/i.test(message)) return new QueryError('TIMEOUT', message);
  return new QueryError('INTERNAL', message);
}

/**
 * An engine message with SQL names decoded (`"^host"` → `"Host"`, `ANY_VALUE(^host)` →
 * `ANY_VALUE(Host)`). A SQL name's `^` is always followed by a lower-case letter or another `^`;
 * single-quoted literals (the user's data) are left alone.
 */
export function decodeMessage(message: string): string {
  if (!message.includes('^')) return message;
  return message.replace(/('(?:[^']|'')*')|\^([a-z^])/g, (match: string, literal: string | undefined, ch: string | undefined) => {
    if (literal !== undefined) return literal;
    return ch === '^' ? '^' : ch!.toUpperCase();
  });
}
