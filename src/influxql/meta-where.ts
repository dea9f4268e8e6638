/**
 * WHERE clauses of InfluxQL's SHOW statements, with the meaning InfluxDB 1.6 gives them over its
 * default (`inmem`) index:
 *
 * - SHOW MEASUREMENTS (and MEASUREMENT CARDINALITY) filter whole measurements: `host = 'a'`
 *   keeps a measurement some series of which has host `a`; `host != 'a'` keeps a measurement
 *   that has the key host and no series with host `a`; AND and OR intersect and unite.
 * - SHOW TAG KEYS, TAG VALUES, SERIES and their cardinalities filter series: a series without
 *   the tag reads it as the empty string; a comparison with a field, or with a value that is no
 *   string, filters nothing (1.6 answers every series); `_name` compares the measurement's name.
 * - Only `=`, `!=`, `=~`, `!~`, AND and OR may appear (else "invalid tag comparison operator").
 * - Time selects shard groups, not points: InfluxDB 1.6 keeps data in shard groups of 168 h
 *   (Mondays 00:00 UTC to Mondays), and a time range picks the groups it overlaps. SHOW SERIES
 *   answers the series with a point in those groups; TAG KEYS and TAG VALUES answer as if there
 *   were no time range when one of those groups holds data, and nothing otherwise (the inmem
 *   index is one per database). Sluice keeps no shard groups: it reads the same weeks from the
 *   rows' times.
 *
 * Every value reaches SQL through ./sql-values.ts.
 */
import type { DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import type { BinaryOp, Expr } from './ast.js';
import { InfluxQLStatementError } from './executor.js';
import { compileRegex } from './select-plan.js';
import { sqlIdent, sqlString, sqlTimestampNs } from './sql-values.js';
import { floorMod, MAX_TIME_NS, MIN_TIME_NS, type TimeRange } from './time.js';

/** A condition as SQL over one table's columns, or a constant once folded. */
export type SqlCondition = boolean | string;

const TAG_OPS = new Set<BinaryOp>(['=', '!=', '<>', '=~', '!~']);
/** Names InfluxDB 1.x reserves for its system sources: a condition on them matches nothing. */
const SYSTEM_NAMES = new Set(['_fieldKeys', '_measurements', '_name', '_series', '_tagKey', '_tagKeys', '_tags']);

/** InfluxDB's spelling of an operator in its messages (`<>` is `!=` to its lexer). */
function opText(op: BinaryOp): string {
  return op === '<>' ? '!=' : op;
}

function unparen(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}

/** Whether a condition compares `time` anywhere (InfluxDB's HasTimeExpr). */
export function hasTimeExpr(e: Expr | undefined): boolean {
  if (e === undefined) return false;
  const u = unparen(e);
  if (u.kind !== 'binary') return false;
  if (u.op === 'AND' || u.op === 'OR') return hasTimeExpr(u.left) || hasTimeExpr(u.right);
  const isTime = (x: Expr) => {
    const v = unparen(x);
    return v.kind === 'ref' && v.name.toLowerCase() === 'time';
  };
  return isTime(u.left) || isTime(u.right);
}

/** Refuses any operator but the tag comparisons, AND and OR, anywhere in the condition. */
export function checkTagOperators(e: Expr | undefined): void {
  if (e === undefined) return;
  switch (e.kind) {
    case 'paren':
    case 'neg':
      return checkTagOperators(e.expr);
    case 'call':
      return e.args.forEach(checkTagOperators);
    case 'binary':
      if (!TAG_OPS.has(e.op) && e.op !== 'AND' && e.op !== 'OR') throw new InfluxQLStatementError('invalid tag comparison operator');
      checkTagOperators(e.left);
      checkTagOperators(e.right);
      return;
    default:
      return;
  }
}

// ---------------------------------------------------------------- series-level conditions

/**
 * What a comparison with a field does: nothing ('ignored': SHOW TAG KEYS, TAG VALUES, SERIES),
 * or keeps nothing ('unmatched': SHOW MEASUREMENT and FIELD KEY cardinalities).
 */
export type FieldComparisons = 'ignored' | 'unmatched';

/**
 * The condition (time already taken out) as SQL over the series of `table`, folded to a
 * constant where the catalog decides it.
 */
export function seriesConditionSql(e: Expr, table: TableSchema, fields: FieldComparisons = 'ignored'): SqlCondition {
  const u = unparen(e);
  if (u.kind === 'boolean') return u.value;
  if (u.kind !== 'binary') throw new InfluxQLStatementError(`invalid condition: ${u.kind === 'ref' ? u.name : u.kind}`);
  if (u.op === 'AND' || u.op === 'OR') return combine(u.op, seriesConditionSql(u.left, table, fields), seriesConditionSql(u.right, table, fields));
  if (!TAG_OPS.has(u.op)) throw new InfluxQLStatementError('invalid tag comparison operator');
  let name = unparen(u.left);
  let value = unparen(u.right);
  if (name.kind !== 'ref') [name, value] = [value, name];
  if (name.kind !== 'ref') throw new InfluxQLStatementError(`invalid expression: comparison of two values (${opText(u.op)})`);
  if (name.name.toLowerCase() === 'time') return true;
  const isRegexOp = u.op === '=~' || u.op === '!~';
  if (name.name === '_name') return nameMatches(table.name, u.op, value) ?? false;
  const column = table.columns.get(name.name);
  const isField = (name.cast !== undefined && name.cast !== 'tag') || (name.cast === undefined && column !== undefined && column.type !== 'tag');
  // 1.6 hands field comparisons to a filter that SHOW statements never apply; the counts it
  // computes as SELECTs over its system series apply it, to rows that have no fields.
  if (isField) return fields === 'ignored';
  const tagSql = column?.type === 'tag' ? `coalesce(${sqlIdent(name.name)}, '')` : "''";
  if (value.kind === 'string') {
    if (isRegexOp) return false;
    return `(${tagSql} ${u.op === '=' ? '=' : '<>'} ${sqlString(value.value)})`;
  }
  if (value.kind === 'regex') {
    if (!isRegexOp) return false;
    const match = `regexp_matches(${tagSql}, ${sqlString(value.pattern)})`;
    return u.op === '=~' ? match : `(NOT ${match})`;
  }
  if (value.kind === 'ref' && !isRegexOp) {
    const other = table.columns.get(value.name);
    const otherSql = other?.type === 'tag' ? `coalesce(${sqlIdent(value.name)}, '')` : "''";
    return `(${tagSql} ${u.op === '=' ? '=' : '<>'} ${otherSql})`;
  }
  return fields === 'ignored'; // a number, a boolean: SHOW statements filter nothing, the counts everything
}

function combine(op: 'AND' | 'OR', l: SqlCondition, r: SqlCondition): SqlCondition {
  if (op === 'AND') {
    if (l === false || r === false) return false;
    if (l === true) return r;
    if (r === true) return l;
    return `(${l} AND ${r})`;
  }
  if (l === true || r === true) return true;
  if (l === false) return r;
  if (r === false) return l;
  return `(${l} OR ${r})`;
}

/** `_name <op> value` for one measurement; undefined when the value is of the wrong kind. */
function nameMatches(measurement: string, op: BinaryOp, value: Expr): boolean | undefined {
  if (value.kind === 'string' && (op === '=' || op === '!=' || op === '<>')) return op === '=' ? measurement === value.value : measurement !== value.value;
  if (value.kind === 'regex' && (op === '=~' || op === '!~')) return compileRegex(value.pattern).test(measurement) === (op === '=~');
  return undefined;
}

// ---------------------------------------------------------------- measurement-level conditions

/** Whether a row of `table` satisfies `whereSql` (one SQL query). */
export type TableProbe = (table: TableSchema, whereSql: string) => Promise<boolean>;

/**
 * The measurements of `db` a SHOW MEASUREMENTS condition keeps, sorted by name (InfluxDB 1.6's
 * inmem index: measurementNamesByExpr). `probe` asks the engine whether a tag value exists.
 */
export async function measurementsByCondition(e: Expr, db: DatabaseSchema, probe: TableProbe): Promise<Set<string>> {
  const u = unparen(e);
  if (u.kind === 'binary') {
    if (u.op === 'AND' || u.op === 'OR') {
      const l = await measurementsByCondition(u.left, db, probe);
      const r = await measurementsByCondition(u.right, db, probe);
      if (u.op === 'OR') return new Set([...l, ...r]);
      return new Set([...l].filter((n) => r.has(n)));
    }
    if (!TAG_OPS.has(u.op)) throw new InfluxQLStatementError('invalid tag comparison operator');
    const key = unparen(u.left);
    const value = unparen(u.right);
    const op = opText(u.op);
    if (key.kind !== 'ref') throw new InfluxQLStatementError(`left side of '${op}' must be a tag key`);
    const isRegexOp = u.op === '=~' || u.op === '!~';
    if (isRegexOp && value.kind !== 'regex') throw new InfluxQLStatementError(`right side of '${op}' must be a regular expression`);
    if (!isRegexOp && value.kind !== 'string') throw new InfluxQLStatementError(`right side of '${op}' must be a tag value string`);
    const names = new Set<string>();
    if (key.name === '_name') {
      for (const table of db.tables.values()) if (nameMatches(table.name, u.op, value) === true) names.add(table.name);
      return names;
    }
    if (SYSTEM_NAMES.has(key.name)) return names;
    const isPositive = u.op === '=' || u.op === '=~';
    for (const table of db.tables.values()) {
      if (table.columns.get(key.name)?.type !== 'tag') continue;
      const column = sqlIdent(key.name);
      const where = value.kind === 'regex' ? `${column} IS NOT NULL AND regexp_matches(${column}, ${sqlString(value.pattern)})` : `${column} = ${sqlString((value as { value: string }).value)}`;
      if ((await probe(table, where)) === isPositive) names.add(table.name);
    }
    return names;
  }
  throw new InfluxQLStatementError(goSyntax(u));
}

/** An expression as Go's `%#v` prints it, which is InfluxDB's message for a condition it cannot read. */
function goSyntax(e: Expr): string {
  const TYPES: Record<string, number> = { float: 1, integer: 2, string: 3, boolean: 4, tag: 7, field: 8, unsigned: 9 };
  switch (e.kind) {
    case 'ref':
      return `&influxql.VarRef{Val:${JSON.stringify(e.name)}, Type:${e.cast === undefined ? 0 : TYPES[e.cast]}}`;
    case 'string':
      return `&influxql.StringLiteral{Val:${JSON.stringify(e.value)}}`;
    case 'integer':
      return `&influxql.IntegerLiteral{Val:${e.value}}`;
    case 'number':
      return `&influxql.NumberLiteral{Val:${e.value}}`;
    case 'boolean':
      return `&influxql.BooleanLiteral{Val:${e.value}}`;
    default:
      return `invalid condition: ${e.kind}`;
  }
}

// ---------------------------------------------------------------- time as shard groups

/** InfluxDB 1.6's shard group duration for a retention policy kept forever (autogen): 168 h. */
export const SHARD_GROUP_NS = 7n * 86_400_000_000_000n;
/**
 * Where shard groups start: Go's Time.Truncate counts from 0001-01-01, a Monday, so groups run
 * from Monday 00:00 UTC; the first Monday after the Unix epoch is 1970-01-05.
 */
const SHARD_GROUP_ORIGIN_NS = 4n * 86_400_000_000_000n;

/** The start of the shard group holding `timeNs`. */
export function shardGroupStartNs(timeNs: bigint): bigint {
  return timeNs - floorMod(timeNs - SHARD_GROUP_ORIGIN_NS, SHARD_GROUP_NS);
}

/** Whether the range bounds time at all. */
export function isBounded(range: TimeRange): boolean {
  return range.minNs > MIN_TIME_NS || range.maxNs < MAX_TIME_NS;
}

/** SQL for the rows of the shard groups a time range overlaps (nothing for an unbounded end). */
export function shardGroupTimeSql(range: TimeRange): string[] {
  const out: string[] = [];
  if (range.minNs > MIN_TIME_NS) {
    const startNs = shardGroupStartNs(range.minNs);
    if (startNs > MIN_TIME_NS) out.push(`"time" >= ${sqlTimestampNs(startNs)}`);
  }
  if (range.maxNs < MAX_TIME_NS) {
    const endNs = shardGroupStartNs(range.maxNs) + SHARD_GROUP_NS;
    // Past the largest timestamp the engine holds, the end bounds nothing.
    if (endNs <= MAX_TIME_NS) out.push(`"time" < ${sqlTimestampNs(endNs)}`);
  }
  return out;
}
