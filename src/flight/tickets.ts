/**
 * What a Flight ticket or command asks for. Two families arrive:
 * - InfluxDB 3's own ticket, UTF-8 JSON `{database, sql_query, query_type: "sql" | "influxql",
 *   params}` (the database also as `namespace_name` or `bucket`), as its client libraries send;
 * - Flight SQL's commands, a `google.protobuf.Any` around a `arrow.flight.protocol.sql` message.
 * Anything else is a {@link FlightRequestError} (INVALID_ARGUMENT) saying what was wrong.
 */
import { pb, typeUrl } from './proto.js';
import type { QueryParams } from '../query/engine.js';

/** A request the client got wrong: answered INVALID_ARGUMENT with this message. */
export class FlightRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlightRequestError';
  }
}

export interface StatementTicket {
  kind: 'statement';
  database: string;
  language: 'sql' | 'influxql';
  query: string;
  params?: QueryParams;
}

export type MetadataCommand =
  | { kind: 'catalogs' }
  | { kind: 'schemas'; catalog?: string; schemaPattern?: string }
  | { kind: 'tables'; catalog?: string; schemaPattern?: string; tablePattern?: string; tableTypes: string[]; includeSchema: boolean }
  | { kind: 'tableTypes' }
  | { kind: 'sqlInfo'; info: number[] };

export type FlightCommand =
  | StatementTicket
  | { kind: 'sqlStatement'; query: string }
  | { kind: 'prepared'; handle: string }
  | MetadataCommand;

const MAX_TICKET_BYTES = 1024 * 1024;

/** Reads a ticket (DoGet) or a descriptor's command (GetFlightInfo); `database` is the `database` header's, for Flight SQL. */
export function parseCommand(bytes: Uint8Array, database: string | undefined): FlightCommand {
  if (bytes.length === 0) throw new FlightRequestError('empty ticket');
  if (bytes.length > MAX_TICKET_BYTES) throw new FlightRequestError(`ticket of ${bytes.length} bytes is larger than ${MAX_TICKET_BYTES}`);
  // JSON opens with `{` (after any whitespace); an Any opens with field 1's tag (0x0a).
  const first = bytes.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (first === 0x7b && bytes[0] !== 0x0a) return parseJsonTicket(bytes);
  let any: { type_url: string; value: Uint8Array };
  try {
    any = pb.Any.decode(bytes);
  } catch (err) {
    throw new FlightRequestError(`ticket is neither InfluxDB's JSON ticket nor a Flight SQL command: ${(err as Error).message}`);
  }
  return parseSqlCommand(any.type_url, any.value, database);
}

function parseJsonTicket(bytes: Uint8Array): StatementTicket {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new FlightRequestError(`ticket is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FlightRequestError('ticket must be a JSON object with database and sql_query');
  const t = value as Record<string, unknown>;
  const database = [t.database, t.namespace_name, t.bucket].find((d) => typeof d === 'string' && d !== '');
  if (typeof database !== 'string') throw new FlightRequestError('ticket names no database (database, namespace_name or bucket)');
  if (typeof t.sql_query !== 'string' || t.sql_query.trim() === '') throw new FlightRequestError('ticket has no sql_query');
  const queryType = t.query_type ?? 'sql';
  if (queryType !== 'sql' && queryType !== 'influxql') throw new FlightRequestError(`query_type ${JSON.stringify(queryType)} is not "sql" or "influxql"`);
  const ticket: StatementTicket = { kind: 'statement', database, language: queryType, query: t.sql_query };
  if (t.params !== undefined && t.params !== null) ticket.params = paramsOf(t.params);
  return ticket;
}

/** Ticket parameters: an object of names to strings, numbers (integers exact) or booleans. */
function paramsOf(value: unknown): QueryParams {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) throw new FlightRequestError('ticket params must be an object of names to values');
  const out: Record<string, string | number | boolean | bigint | null> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v === 'number' && Number.isInteger(v)) out[name] = BigInt(v);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) out[name] = v;
    else throw new FlightRequestError(`ticket param ${JSON.stringify(name)} must be a string, number, boolean or null`);
  }
  return out;
}

function parseSqlCommand(url: string, value: Uint8Array, database: string | undefined): FlightCommand {
  const decode = <T>(fn: (b: Uint8Array) => T): T => {
    try {
      return fn(value);
    } catch (err) {
      throw new FlightRequestError(`malformed ${url.slice(url.lastIndexOf('.') + 1)}: ${(err as Error).message}`);
    }
  };
  switch (url) {
    case typeUrl('CommandStatementQuery'):
      return { kind: 'sqlStatement', query: decode(pb.CommandStatementQuery.decode).query };
    case typeUrl('TicketStatementQuery'): {
      // Our own handle: the statement, as GetFlightInfo wrote it.
      const handle = decode(pb.TicketStatementQuery.decode).statement_handle;
      const ticket = parseJsonTicket(handle);
      return ticket;
    }
    case typeUrl('CommandPreparedStatementQuery'):
      return { kind: 'prepared', handle: Buffer.from(decode(pb.CommandPreparedStatementQuery.decode).prepared_statement_handle).toString('utf8') };
    case typeUrl('CommandGetCatalogs'):
      return { kind: 'catalogs' };
    case typeUrl('CommandGetDbSchemas'): {
      const c = decode(pb.CommandGetDbSchemas.decode);
      return { kind: 'schemas', ...optional('catalog', c.catalog), ...optional('schemaPattern', c.db_schema_filter_pattern) };
    }
    case typeUrl('CommandGetTables'): {
      const c = decode(pb.CommandGetTables.decode);
      return { kind: 'tables', ...optional('catalog', c.catalog), ...optional('schemaPattern', c.db_schema_filter_pattern), ...optional('tablePattern', c.table_name_filter_pattern), tableTypes: c.table_types ?? [], includeSchema: c.include_schema === true };
    }
    case typeUrl('CommandGetTableTypes'):
      return { kind: 'tableTypes' };
    case typeUrl('CommandGetSqlInfo'):
      return { kind: 'sqlInfo', info: decode(pb.CommandGetSqlInfo.decode).info ?? [] };
    default:
      void database;
      throw new FlightRequestError(`unsupported Flight SQL command ${JSON.stringify(url.slice(0, 200))}`);
  }
}

function optional<K extends string>(key: K, value: string | undefined | null): { [P in K]?: string } {
  return (value === undefined || value === null ? {} : { [key]: value }) as { [P in K]?: string };
}

/** The handle of a Flight SQL statement: our JSON ticket, so DoGet needs no server state. */
export function statementHandle(database: string, query: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ database, sql_query: query, query_type: 'sql' }));
}
