/**
 * An InfluxQL ticket (`query_type: "influxql"`) answered as InfluxDB 3 answers it over Flight:
 * one statement, its series laid out as the flat table of `/api/v3/query_influxql`
 * (`iox::measurement`, `time`, the GROUP BY tags, then the columns), in batches.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { SluiceDatabase } from '../database/database.js';
import { databaseEnvironment, runInfluxQL } from '../influxql/executor.js';
import { flattenDatabases, flattenSeries, MEASUREMENT_COLUMN } from '../influxql/format-v3.js';
import { parseQuery } from '../influxql/parser.js';
import type { InfluxValue, Series, StatementResult } from '../influxql/result.js';
import type { DatabaseSchema } from '../catalog/catalog.js';
import type { ColumnType } from '../wal/model.js';
import type { QueryColumn } from '../query/engine.js';
import { QueryError } from '../query/errors.js';
import { FlightRequestError, type StatementTicket } from './tickets.js';

const BATCH_ROWS = 8_192;

export interface ColumnSink {
  start(columns: QueryColumn[]): Promise<void>;
  rows(columns: readonly (readonly DuckDBValue[])[], count: number): Promise<void>;
}

export async function runInfluxQLStatement(db: SluiceDatabase, ticket: StatementTicket, signal: AbortSignal, sink: ColumnSink): Promise<void> {
  const params = (ticket.params ?? {}) as Record<string, InfluxValue>;
  const statements = parseQuery(ticket.query, { params }).statements;
  if (statements.length !== 1) throw new FlightRequestError('must provide only one InfluxQL statement per query');
  let result: StatementResult | undefined;
  for await (const r of runInfluxQL(databaseEnvironment(db), ticket.query, { database: ticket.database, params, signal })) result = r;
  if (result === undefined) throw new Error('an InfluxQL statement gave no result');
  if (result.error !== undefined) throw new QueryError(/^database not found/.test(result.error) ? 'DATABASE_NOT_FOUND' : 'INVALID_QUERY', result.error);
  const isSelect = statements[0]!.kind === 'select';
  const table = statements[0]!.kind === 'showDatabases' ? flattenDatabases(result.series ?? []) : flattenSeries(result.series ?? []);
  await sink.start(isSelect ? withInfluxTypes(table.columns, result.series ?? [], db.catalog.database(ticket.database)) : table.columns);
  const width = table.columns.length;
  let columns = Array.from({ length: width }, () => [] as DuckDBValue[]);
  let count = 0;
  for (const row of table.rows()) {
    for (let c = 0; c < width; c++) columns[c]!.push(row[c]!);
    if (++count === BATCH_ROWS) {
      signal.throwIfAborted();
      await sink.rows(columns, count);
      columns = Array.from({ length: width }, () => []);
      count = 0;
    }
  }
  if (count > 0) await sink.rows(columns, count);
}

/** The field type of each engine type flattenSeries gives a column. */
const FIELD_OF_ENGINE_TYPE: Record<string, ColumnType> = { VARCHAR: 'string', BIGINT: 'int64', UBIGINT: 'uint64', DOUBLE: 'float64', BOOLEAN: 'bool' };

/**
 * A SELECT's columns marked as InfluxDB 3 marks them, so `queryPoints()` tells tags from fields:
 * `time`; GROUP BY tags and selected tags as tags; every other column a field of its type (in
 * InfluxQL a selected value is a field, an aggregate's too). A column whose type differs from
 * what its name says in the measurements (a tag cast to a field) goes by its type.
 */
function withInfluxTypes(columns: QueryColumn[], series: readonly Series[], database: DatabaseSchema | undefined): QueryColumn[] {
  const groupTags = new Set(series.flatMap((s) => Object.keys(s.tags ?? {})));
  const tables = [...new Set(series.map((s) => s.name))].map((name) => database?.tables.get(name));
  return columns.map((c) => {
    if (c.name === MEASUREMENT_COLUMN) return c;
    if (c.name === 'time' && c.type === 'TIMESTAMP_NS') return { ...c, tableColumnType: 'time' };
    if (c.type === 'VARCHAR' && (groupTags.has(c.name) || tables.some((t) => t?.columns.get(c.name)?.type === 'tag'))) return { ...c, tableColumnType: 'tag' };
    const field = FIELD_OF_ENGINE_TYPE[c.type];
    return field === undefined ? c : { ...c, tableColumnType: field };
  });
}
