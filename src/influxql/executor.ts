/**
 * Runs an InfluxQL query: parses it (a syntax error fails the whole query, as InfluxDB 1.x
 * does), then runs its statements in order, each to its own result: a statement's error
 * (`database not found: x`) does not stop the ones after it.
 */
import type { Caches } from '../cache/caches.js';
import type { Catalog } from '../catalog/catalog.js';
import type { QueryEngine } from '../query/engine.js';
import { QueryError } from '../query/errors.js';
import type { Statement } from './ast.js';
import { readOnlyWarning, runMetaStatement } from './meta.js';
import { parseQuery } from './parser.js';
import type { InfluxValue, Series, StatementResult } from './result.js';
import type { SluiceDatabase } from '../database/database.js';
import { SYSTEM_CLOCK, type Clock } from '../effects/clock.js';
import { runSelect } from './select.js';

/** What InfluxQL runs against: the catalog for names and types, the SQL engine for rows. */
export interface InfluxQLEnvironment {
  catalog: Catalog;
  query: QueryEngine;
  /** Creates database `name` durably (a catalog op through the WAL); nothing when it exists. */
  createDatabase(name: string): Promise<void>;
  /** The time `now()` means, in nanoseconds since the epoch (read once per query). */
  nowNs(): bigint;
  /** The caches that answer SHOW TAG VALUES and lastpoint reads where they provably can (docs/caches.md). */
  caches?: Caches;
  /**
   * Lets other work run after a statement's JavaScript held the event loop `busyMs` (the
   * server's policy: longer while writes are in flight); without it, one turn of the loop.
   */
  yieldAfter?(busyMs: number, signal: AbortSignal | undefined): Promise<void>;
}

/** The environment of a database: its catalog and engine, `now()` from the system clock. */
export function databaseEnvironment(db: Pick<SluiceDatabase, 'catalog' | 'query' | 'createDatabase'> & Partial<Pick<SluiceDatabase, 'caches'>>, clock: Clock = SYSTEM_CLOCK): InfluxQLEnvironment {
  return { catalog: db.catalog, query: db.query, createDatabase: (name) => db.createDatabase(name), nowNs: () => clock.nowNs(), ...(db.caches === undefined ? {} : { caches: db.caches }) };
}

export interface InfluxQLOptions {
  /** The `db` parameter: the database of statements that name none. */
  database?: string;
  /** The `rp` parameter: empty, `autogen`, or another retention policy (which does not exist). */
  retentionPolicy?: string;
  /** Values of `$name` parameters (the v1 `params` JSON object). */
  params?: Readonly<Record<string, InfluxValue>>;
  /** Aborts the query (the client went away). */
  signal?: AbortSignal;
  /** Longest one statement may take (default: the SQL engine's timeout). */
  timeoutMs?: number;
  /** The request was a GET: a statement that changes something is answered with InfluxDB 1.x's warning. */
  readOnly?: boolean;
}

/** What one statement needs while it runs. */
export interface StatementContext {
  env: InfluxQLEnvironment;
  options: InfluxQLOptions;
  /** `now()` for the whole query, so every statement agrees. */
  nowNs: bigint;
  /** The query as sent (how `system.queries` shows the SQL it became). */
  text?: string;
}

/**
 * Parses `text` (throwing InfluxQLParseError before anything runs) and yields each statement's
 * result in order.
 */
export async function* runInfluxQL(env: InfluxQLEnvironment, text: string, options: InfluxQLOptions = {}): AsyncGenerator<StatementResult> {
  const nowNs = env.nowNs();
  const query = parseQuery(text, { nowNs, params: options.params ?? {} });
  const ctx: StatementContext = { env, options, nowNs, text };
  for (let i = 0; i < query.statements.length; i++) {
    options.signal?.throwIfAborted();
    yield await runStatement(ctx, query.statements[i]!, i);
  }
}

async function runStatement(ctx: StatementContext, statement: Statement, statementId: number): Promise<StatementResult> {
  try {
    if (statement.kind === 'invalid') throw new InfluxQLStatementError(statement.error);
    const series: Series[] = statement.kind === 'select' ? await runSelect(ctx, statement) : await runMetaStatement(ctx, statement);
    const result: StatementResult = series.length === 0 ? { statement_id: statementId } : { statement_id: statementId, series };
    const warning = ctx.options.readOnly === true ? readOnlyWarning(statement) : undefined;
    if (warning !== undefined) result.messages = [{ level: 'warning', text: warning }];
    return result;
  } catch (err) {
    if (err instanceof InfluxQLStatementError) return { statement_id: statementId, error: err.message };
    // The engine refusing what a statement became is that statement's error; a timeout, a
    // client gone, an answer too large or the engine's own failure end the whole query.
    if (err instanceof QueryError && STATEMENT_ERRORS.has(err.code)) return { statement_id: statementId, error: err.message };
    throw err;
  }
}

const STATEMENT_ERRORS = new Set<QueryError['code']>(['DATABASE_NOT_FOUND', 'INVALID_QUERY', 'NOT_READ_ONLY', 'INVALID_FORMAT']);

/**
 * A statement that could not run, worded as InfluxDB words it (`database not found: x`,
 * `unsupported: DROP MEASUREMENT`): it becomes that statement's `error`, the query goes on.
 */
export class InfluxQLStatementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfluxQLStatementError';
  }
}
