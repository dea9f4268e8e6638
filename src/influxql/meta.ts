/**
 * InfluxQL's meta statements over the catalog and the data: SHOW DATABASES, MEASUREMENTS, TAG
 * KEYS, TAG VALUES, FIELD KEYS, SERIES, RETENTION POLICIES, the cardinalities, CREATE DATABASE;
 * every other statement a clear "not supported" error.
 */
import type { Statement } from './ast.js';
import { InfluxQLStatementError, type StatementContext } from './executor.js';
import type { Series } from './result.js';

export async function runMetaStatement(ctx: StatementContext, statement: Exclude<Statement, { kind: 'select' }>): Promise<Series[]> {
  void ctx;
  throw new InfluxQLStatementError(`not implemented yet: ${statement.kind}`);
}
