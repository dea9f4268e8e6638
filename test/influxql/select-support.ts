/**
 * Worked examples for InfluxQL SELECT: a Sluice database with a small data set written as line
 * protocol (the same lines the real InfluxDB 1.6 answered from), statements built as syntax trees
 * (`q`), and answers as plain rows with times as RFC3339 strings, as InfluxDB prints them.
 */
import type { BinaryOp, Dimension, Expr, Field, Fill, SelectStatement, Source } from '../../src/influxql/ast.js';
import { InfluxQLStatementError, type StatementContext } from '../../src/influxql/executor.js';
import type { InfluxValue, Series } from '../../src/influxql/result.js';
import { parseQuery } from '../../src/influxql/parser.js';
import { runSelect } from '../../src/influxql/select.js';
import { tempDatabase } from '../support/db-helpers.js';

/** The data the examples ask about (written to influxd 1.6.7 too). */
export const DATA = `cpu,host=a,region=us v=1,i=10i,s="x",b=true 1577836800000000000
cpu,host=a,region=us v=3,i=20i 1577836830000000000
cpu,host=b,region=eu v=2,i=5i,s="y" 1577836810000000000
cpu,host=b,region=eu v=8 1577836870000000000
cpu,host=c v=4,i=-3i 1577836865000000000
cpu,host=a,region=us v=5,i=7i 1577836930000000000
mem,host=a used=100i,free=1.5 1577836800000000000
mem,host=b used=200i 1577836860000000000`;

/** 2020-01-01T00:00:00Z */
export const T0 = 1577836800000000000n;

export async function exampleDatabase(data = DATA) {
  const env = await tempDatabase();
  await env.db.writer.writeLp('t', Buffer.from(data), { precision: 'ns' });
  return env;
}

// ---- syntax tree builders ----
export const ref = (name: string, cast?: Extract<Expr, { kind: 'ref' }>['cast']): Expr => (cast === undefined ? { kind: 'ref', name } : { kind: 'ref', name, cast });
export const int = (v: number | bigint): Expr => ({ kind: 'integer', value: BigInt(v) });
export const num = (v: number): Expr => ({ kind: 'number', value: v });
export const str = (value: string): Expr => ({ kind: 'string', value });
export const bool = (value: boolean): Expr => ({ kind: 'boolean', value });
export const re = (pattern: string): Expr => ({ kind: 'regex', pattern });
export const dur = (s: string): Expr => ({ kind: 'duration', ns: durationNs(s) });
export const call = (name: string, ...args: Expr[]): Expr => ({ kind: 'call', name, args });
export const now = (): Expr => call('now');
export const star = (cast?: 'field' | 'tag'): Expr => (cast === undefined ? { kind: 'wildcard' } : { kind: 'wildcard', cast });
export const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
export const and = (...xs: Expr[]): Expr => xs.reduce((a, b) => bin('AND', a, b));
export const or = (...xs: Expr[]): Expr => xs.reduce((a, b) => bin('OR', a, b));
export const paren = (expr: Expr): Expr => ({ kind: 'paren', expr });
export const neg = (expr: Expr): Expr => ({ kind: 'neg', expr });
export const timeGe = (s: string): Expr => bin('>=', ref('time'), str(s));
export const timeLt = (s: string): Expr => bin('<', ref('time'), str(s));
/** The four minutes of the data: time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z'. */
export const FOUR_MINUTES = and(timeGe('2020-01-01T00:00:00Z'), timeLt('2020-01-01T00:04:00Z'));

export function durationNs(s: string): bigint {
  const units: Record<string, bigint> = { ns: 1n, u: 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n, w: 604_800_000_000_000n };
  let total = 0n;
  for (const m of s.matchAll(/(\d+)(ns|u|ms|s|m|h|d|w)/g)) total += BigInt(m[1]!) * units[m[2]!]!;
  return total;
}

export const groupByTime = (interval: string, offset = '0s'): Dimension => ({ kind: 'time', intervalNs: durationNs(interval), offsetNs: offset.startsWith('-') ? -durationNs(offset.slice(1)) : durationNs(offset) });
export const groupByTag = (name: string): Dimension => ({ kind: 'tag', name });

export interface QueryParts {
  fields: Array<Expr | Field>;
  from?: Array<string | Source>;
  where?: Expr;
  groupBy?: Dimension[];
  fill?: Fill;
  desc?: boolean;
  limit?: number;
  offset?: number;
  slimit?: number;
  soffset?: number;
  tz?: string;
}

const asField = (f: Expr | Field): Field => ('kind' in f ? { expr: f } : f);

/** A SELECT statement from its parts (`from` defaults to cpu). */
export function q(parts: QueryParts): SelectStatement {
  const s: SelectStatement = {
    kind: 'select',
    fields: parts.fields.map(asField),
    sources: (parts.from ?? ['cpu']).map((x) => (typeof x === 'string' ? { kind: 'measurement', name: x } : x)),
    dimensions: parts.groupBy ?? [],
    descending: parts.desc ?? false,
  };
  if (parts.where !== undefined) s.condition = parts.where;
  if (parts.fill !== undefined) s.fill = parts.fill;
  if (parts.limit !== undefined) s.limit = parts.limit;
  if (parts.offset !== undefined) s.offset = parts.offset;
  if (parts.slimit !== undefined) s.slimit = parts.slimit;
  if (parts.soffset !== undefined) s.soffset = parts.soffset;
  if (parts.tz !== undefined) s.timezone = parts.tz;
  return s;
}

export const as = (expr: Expr, alias: string): Field => ({ expr, alias });

/** A series as InfluxDB's JSON shows it: times as RFC3339 (whole seconds print without a fraction). */
export interface PlainSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: InfluxValue[][];
}

export function rfc3339(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const frac = ns % 1_000_000_000n;
  const base = new Date(Number(ms - (ms % 1000n))).toISOString().slice(0, 19);
  return frac === 0n ? `${base}Z` : `${base}.${frac.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

/** Series with times printed as InfluxDB prints them and bigints as numbers where exact. */
export function plain(series: Series[]): PlainSeries[] {
  return series.map((s) => ({
    name: s.name,
    ...(s.tags === undefined ? {} : { tags: s.tags }),
    columns: s.columns,
    values: s.values.map((row) => row.map((v, i) => (i === 0 && s.timeColumn && typeof v === 'bigint' ? rfc3339(v) : v))),
  }));
}

/** Runs one statement against `db` as the InfluxQL executor would (now() fixed). */
export async function select(env: Awaited<ReturnType<typeof exampleDatabase>>, statement: SelectStatement, options: { database?: string; retentionPolicy?: string; nowNs?: bigint } = {}): Promise<PlainSeries[]> {
  const ctx: StatementContext = {
    env: { catalog: env.db.catalog, query: env.db.query, createDatabase: async () => undefined, nowNs: () => options.nowNs ?? T0 + 240_000_000_000n },
    options: { database: options.database ?? 't', ...(options.retentionPolicy === undefined ? {} : { retentionPolicy: options.retentionPolicy }) },
    nowNs: options.nowNs ?? T0 + 240_000_000_000n,
  };
  return plain(await runSelect(ctx, statement));
}

/** The statement's error message (InfluxQLStatementError), or fails. */
export async function selectError(env: Awaited<ReturnType<typeof exampleDatabase>>, statement: SelectStatement, options: { database?: string; retentionPolicy?: string } = {}): Promise<string> {
  try {
    await select(env, statement, options);
  } catch (err) {
    if (err instanceof InfluxQLStatementError) return err.message;
    throw err;
  }
  throw new Error('expected an InfluxQLStatementError');
}

/** Parses `text` (one SELECT; now() as the examples fix it) and runs it as {@link select} does. */
export async function selectText(env: Awaited<ReturnType<typeof exampleDatabase>>, text: string, options: { database?: string; retentionPolicy?: string; nowNs?: bigint } = {}): Promise<PlainSeries[]> {
  const statements = parseQuery(text, { nowNs: options.nowNs ?? T0 + 240_000_000_000n }).statements;
  if (statements.length !== 1) throw new Error(`expected one statement in ${text}`);
  const statement = statements[0]!;
  if (statement.kind === 'invalid') throw new InfluxQLStatementError(statement.error);
  if (statement.kind !== 'select') throw new Error(`expected a SELECT: ${text}`);
  return select(env, statement, options);
}

/** The error of `text` as a statement (InfluxQLStatementError), or fails. */
export async function selectTextError(env: Awaited<ReturnType<typeof exampleDatabase>>, text: string, options: { database?: string; retentionPolicy?: string } = {}): Promise<string> {
  try {
    await selectText(env, text, options);
  } catch (err) {
    if (err instanceof InfluxQLStatementError) return err.message;
    throw err;
  }
  throw new Error('expected an InfluxQLStatementError');
}
