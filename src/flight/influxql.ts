/**
 * An InfluxQL ticket (`query_type: "influxql"`) answered as InfluxDB 3 answers it over Flight:
 * one statement, its series laid out as the flat table of `/api/v3/query_influxql`
 * (`iox::measurement`, `time`, the GROUP BY tags, then the columns), in batches.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { SluiceDatabase } from '../database/database.js';
import { SystemClock } from '../effects/clock.js';
import { runInfluxQL } from '../influxql/executor.js';
import { flattenDatabases, flattenSeries } from '../influxql/format-v3.js';
import { parseQuery } from '../influxql/parser.js';
import type { InfluxValue, StatementResult } from '../influxql/result.js';
import type { QueryColumn } from '../query/engine.js';
import { QueryError } from '../query/errors.js';
import { FlightRequestError, type StatementTicket } from './tickets.js';

const clock = new SystemClock();
const BATCH_ROWS = 8_192;

export interface ColumnSink {
  start(columns: QueryColumn[]): Promise<void>;
  rows(columns: readonly (readonly DuckDBValue[])[], count: number): Promise<void>;
}

export async function runInfluxQLStatement(db: SluiceDatabase, ticket: StatementTicket, signal: AbortSignal, sink: ColumnSink): Promise<void> {
  const params = (ticket.params ?? {}) as Record<string, InfluxValue>;
  const statements = parseQuery(ticket.query, { params }).statements;
  if (statements.length !== 1) throw new FlightRequestError('must provide only one InfluxQL statement per query');
  const env = { catalog: db.catalog, query: db.query, createDatabase: (name: string) => db.createDatabase(name), nowNs: () => clock.nowNs() };
  let result: StatementResult | undefined;
  for await (const r of runInfluxQL(env, ticket.query, { database: ticket.database, params, signal })) result = r;
  if (result === undefined) throw new Error('an InfluxQL statement gave no result');
  if (result.error !== undefined) throw new QueryError(/^database not found/.test(result.error) ? 'DATABASE_NOT_FOUND' : 'INVALID_QUERY', result.error);
  const table = statements[0]!.kind === 'showDatabases' ? flattenDatabases(result.series ?? []) : flattenSeries(result.series ?? []);
  await sink.start(table.columns);
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
