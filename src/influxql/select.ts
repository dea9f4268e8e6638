/** InfluxQL SELECT: planned over the SQL engine, shaped into InfluxDB 1.x series. */
import type { SelectStatement } from './ast.js';
import { InfluxQLStatementError, type StatementContext } from './executor.js';
import type { Series } from './result.js';

export async function runSelect(ctx: StatementContext, statement: SelectStatement): Promise<Series[]> {
  void ctx;
  void statement;
  throw new InfluxQLStatementError('not implemented yet: SELECT');
}
