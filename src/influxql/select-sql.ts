/**
 * SQL for InfluxQL SELECTs: a WHERE condition translated with InfluxDB 1.x's meaning (a missing
 * tag is the empty string, a tag compared with a number matches nothing, a field of another type
 * matches nothing, regexes match anywhere in the value as Go's MatchString does — DuckDB's
 * regexp_matches is RE2 too), the time range as TIMESTAMP_NS constants (so the engine prunes
 * files by it), and the two query shapes: rows of a measurement, or windows aggregated by the
 * engine. Every name and value goes through ./sql-values.ts.
 */
import type { TableSchema } from '../catalog/catalog.js';
import type { PlannedRead } from '../query/engine.js';
import type { NativeFilter, NativeOp } from '../query/native.js';
import type { ColumnType } from '../wal/model.js';
import type { BinaryOp, Expr } from './ast.js';
import { InfluxQLStatementError } from './executor.js';
import { unparen } from './select-plan.js';
import { sqlBoolean, sqlFloat, sqlIdent, sqlInteger, sqlString, sqlTimestampNs } from './sql-values.js';
import { MAX_TIME_NS, MIN_TIME_NS, type TimeRange } from './time.js';

type OperandType = 'tag' | 'string' | 'integer' | 'unsigned' | 'float' | 'boolean' | 'null';

interface Operand {
  sql: string;
  type: OperandType;
}

/** The InfluxQL type of a catalog column (undefined for time). */
export function columnKind(type: ColumnType): OperandType | undefined {
  switch (type) {
    case 'tag':
      return 'tag';
    case 'int64':
      return 'integer';
    case 'uint64':
      return 'unsigned';
    case 'float64':
      return 'float';
    case 'string':
      return 'string';
    case 'bool':
      return 'boolean';
    default:
      return undefined;
  }
}

const NUMERIC = new Set<OperandType>(['integer', 'unsigned', 'float']);
const TEXT = new Set<OperandType>(['tag', 'string']);

/** A reference as SQL: a field by its column, a tag with a missing value read as '', an unknown name as the empty tag. */
export function refOperand(table: TableSchema, name: string, cast: string | undefined): Operand {
  const col = table.columns.get(name);
  const kind = col === undefined ? undefined : columnKind(col.type);
  if (cast === 'tag') return kind === 'tag' ? { sql: `coalesce(${sqlIdent(name)}, '')`, type: 'tag' } : { sql: "''", type: 'tag' };
  if (cast === 'field') return kind !== undefined && kind !== 'tag' ? { sql: sqlIdent(name), type: kind } : { sql: 'NULL', type: 'null' };
  if (kind === undefined) return { sql: "''", type: 'tag' };
  if (kind === 'tag') return { sql: `coalesce(${sqlIdent(name)}, '')`, type: 'tag' };
  return { sql: sqlIdent(name), type: kind };
}

function operand(e: Expr, table: TableSchema): Operand {
  e = unparen(e);
  switch (e.kind) {
    case 'ref':
      if (e.name === 'time') throw new InfluxQLStatementError('invalid operation: time in this position is not supported');
      return refOperand(table, e.name, e.cast);
    case 'string':
      return { sql: sqlString(e.value), type: 'string' };
    case 'integer':
      if (e.value < -(2n ** 63n) || e.value >= 2n ** 64n) throw new InfluxQLStatementError(`integer ${e.value} is out of range`);
      return { sql: sqlInteger(e.value), type: e.value >= 2n ** 63n ? 'unsigned' : 'integer' };
    case 'number':
      return { sql: sqlFloat(e.value), type: 'float' };
    case 'boolean':
      return { sql: sqlBoolean(e.value), type: 'boolean' };
    case 'duration':
      return { sql: sqlInteger(e.ns), type: 'integer' };
    case 'neg': {
      const x = operand(e.expr, table);
      return NUMERIC.has(x.type) ? { sql: `(-${x.sql})`, type: x.type } : { sql: 'NULL', type: 'null' };
    }
    case 'binary': {
      if (!['+', '-', '*', '/', '%', '&', '|', '^'].includes(e.op)) return { sql: conditionSql(e, table), type: 'boolean' };
      const l = operand(e.left, table);
      const r = operand(e.right, table);
      if (!NUMERIC.has(l.type) || !NUMERIC.has(r.type)) return { sql: 'NULL', type: 'null' };
      const bothInt = l.type !== 'float' && r.type !== 'float';
      switch (e.op) {
        case '/':
          // In a WHERE clause 1.x divides integers as integers (truncating), by zero giving 0.
          if (bothInt) return { sql: `(CASE WHEN ${r.sql} = 0 THEN 0 ELSE ${l.sql} // ${r.sql} END)`, type: l.type };
          return { sql: `(CASE WHEN ${r.sql} = 0 THEN 0 ELSE CAST(${l.sql} AS DOUBLE) / ${r.sql} END)`, type: 'float' };
        case '%':
          return { sql: `(CASE WHEN ${r.sql} = 0 THEN 0 ELSE ${l.sql} % ${r.sql} END)`, type: bothInt ? l.type : 'float' };
        case '&':
        case '|':
        case '^':
          if (!bothInt) return { sql: 'NULL', type: 'null' };
          return { sql: e.op === '^' ? `xor(${l.sql}, ${r.sql})` : `(${l.sql} ${e.op} ${r.sql})`, type: l.type };
        default:
          return { sql: `(${l.sql} ${e.op} ${r.sql})`, type: bothInt ? l.type : 'float' };
      }
    }
    case 'call':
      throw new InfluxQLStatementError(`invalid function call in condition: ${e.name}()`);
    default:
      throw new InfluxQLStatementError(`invalid condition: ${e.kind}`);
  }
}

const SQL_OP: Partial<Record<BinaryOp, string>> = { '=': '=', '!=': '<>', '<>': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** A WHERE condition (time already taken out) as a SQL boolean over `table`'s columns. */
export function conditionSql(e: Expr, table: TableSchema): string {
  e = unparen(e);
  if (e.kind === 'boolean') return sqlBoolean(e.value);
  if (e.kind !== 'binary') {
    const x = operand(e, table);
    return x.type === 'boolean' ? `coalesce(${x.sql}, FALSE)` : 'FALSE';
  }
  if (e.op === 'AND' || e.op === 'OR') return `(${conditionSql(e.left, table)} ${e.op} ${conditionSql(e.right, table)})`;
  if (e.op === '=~' || e.op === '!~') {
    const l = unparen(e.left);
    const r = unparen(e.right);
    const [subject, re] = r.kind === 'regex' ? [l, r] : l.kind === 'regex' ? [r, l] : [undefined, undefined];
    if (subject === undefined || re?.kind !== 'regex') throw new InfluxQLStatementError(`invalid operation: ${e.op} needs a regular expression`);
    const s = operand(subject, table);
    if (!TEXT.has(s.type)) return 'FALSE';
    const match = `regexp_matches(${s.sql}, ${sqlString(re.pattern)})`;
    return e.op === '=~' ? match : `(NOT ${match})`;
  }
  const op = SQL_OP[e.op];
  if (op === undefined) {
    const x = operand(e, table);
    return x.type === 'boolean' ? `coalesce(${x.sql}, FALSE)` : 'FALSE';
  }
  const equality = tagEquality(e, table);
  if (equality !== undefined) return `(${sqlIdent(equality.tag)} = ${sqlString(equality.value)})`;
  const l = operand(e.left, table);
  const r = operand(e.right, table);
  // A tag compares only for equality: `host > 'a'` matches nothing in InfluxDB 1.x.
  if ((l.type === 'tag' || r.type === 'tag') && op !== '=' && op !== '<>') return 'FALSE';
  if (TEXT.has(l.type) && TEXT.has(r.type)) return `(${l.sql} ${op} ${r.sql})`;
  if (NUMERIC.has(l.type) && NUMERIC.has(r.type)) return `(${l.sql} ${op} ${r.sql})`;
  if (l.type === 'boolean' && r.type === 'boolean' && (op === '=' || op === '<>')) return `(${l.sql} ${op} ${r.sql})`;
  return 'FALSE';
}

/**
 * What the engine may prune a read of `table` by: the time range (the same bounds
 * {@link timeRangeSql} writes) and the tags the condition's top-level conjuncts hold to a
 * non-empty string — exactly the `tag = 'value'` comparisons {@link conditionSql} writes on the
 * column itself (an empty value also matches a missing tag: never pruned by).
 */
export function plannedRead(table: TableSchema, range: TimeRange | undefined, condition: Expr | undefined): PlannedRead {
  const read: { table: TableSchema; minTimeNs?: bigint; maxTimeNs?: bigint; tags?: Map<string, string[]> } = { table };
  if (range !== undefined && range.minNs > MIN_TIME_NS) read.minTimeNs = range.minNs;
  if (range !== undefined && range.maxNs < MAX_TIME_NS) read.maxTimeNs = range.maxNs;
  const tags = new Map<string, string[]>();
  const visit = (expr: Expr): void => {
    const e = unparen(expr);
    if (e.kind !== 'binary') return;
    if (e.op === 'AND') {
      visit(e.left);
      visit(e.right);
      return;
    }
    const equality = tagEquality(e, table);
    if (equality === undefined) return;
    const known = tags.get(equality.tag);
    tags.set(equality.tag, known === undefined ? [equality.value] : known.filter((v) => v === equality.value));
  };
  if (condition !== undefined) visit(condition);
  if (tags.size > 0) read.tags = tags;
  return read;
}

/**
 * `tag = 'value'` with a non-empty value on a tag of `table`: it never holds for a missing tag, so
 * it compares the column itself (which the engine can push into its scan and prune by).
 */
function tagEquality(e: Extract<Expr, { kind: 'binary' }>, table: TableSchema): { tag: string; value: string } | undefined {
  const [l, r] = [unparen(e.left), unparen(e.right)];
  if (e.op !== '=' || l.kind !== 'ref' || r.kind !== 'string' || r.value === '' || !table.columns.has(l.name)) return undefined;
  return refOperand(table, l.name, l.cast).type === 'tag' ? { tag: l.name, value: r.value } : undefined;
}

const FLIPPED: Record<NativeOp, NativeOp> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/**
 * `condition` as the filters of a native row read: tag equalities (which the planned read's tags
 * say) and comparisons of a numeric field with a number, joined by AND — exactly what
 * {@link conditionSql} writes for them; undefined when it holds anything else.
 */
export function nativeFilters(condition: Expr | undefined, table: TableSchema): NativeFilter[] | undefined {
  const out: NativeFilter[] = [];
  const visit = (expr: Expr): boolean => {
    const e = unparen(expr);
    if (e.kind !== 'binary') return false;
    if (e.op === 'AND') return visit(e.left) && visit(e.right);
    if (tagEquality(e, table) !== undefined) return true;
    const op = SQL_OP[e.op] as NativeOp | undefined;
    const [l, r] = [unparen(e.left), unparen(e.right)];
    const [ref, constant, flipped] = l.kind === 'ref' ? [l, r, false] : [r, l, true];
    if (op === undefined || ref.kind !== 'ref' || (constant.kind !== 'integer' && constant.kind !== 'number')) return false;
    if (constant.kind === 'integer' && (constant.value < -(2n ** 63n) || constant.value >= 2n ** 64n)) return false;
    const field = refOperand(table, ref.name, ref.cast);
    if (!NUMERIC.has(field.type) || field.sql !== sqlIdent(ref.name)) return false;
    out.push({ field: ref.name, op: flipped ? FLIPPED[op] : op, value: constant.value });
    return true;
  };
  return condition === undefined || visit(condition) ? out : undefined;
}

/** The time range as SQL (nothing for an unbounded end). */
export function timeRangeSql(range: TimeRange): string[] {
  const out: string[] = [];
  if (range.minNs > MIN_TIME_NS) out.push(`"time" >= ${sqlTimestampNs(range.minNs)}`);
  if (range.maxNs < MAX_TIME_NS) out.push(`"time" <= ${sqlTimestampNs(range.maxNs)}`);
  return out;
}

/** The start of each row's GROUP BY time window, in nanoseconds (UTC windows). */
export function windowSql(intervalNs: bigint, offsetNs: bigint): string {
  const t = 'epoch_ns("time")';
  const iv = sqlInteger(intervalNs);
  const off = sqlInteger(((offsetNs % intervalNs) + intervalNs) % intervalNs);
  return `(${t} - (((${t} - ${off}) % ${iv}) + ${iv}) % ${iv})`;
}

/** An aggregate the engine computes exactly as InfluxDB does, over one field. */
export function pushedAggregateSql(fn: string, field: string, kind: OperandType): string | undefined {
  const f = sqlIdent(field);
  const numeric = NUMERIC.has(kind);
  switch (fn) {
    case 'count':
      return `count(${f})`;
    case 'sum':
      return numeric ? (kind === 'float' ? `sum(${f})` : `CAST(sum(${f}) AS HUGEINT)`) : undefined;
    case 'mean':
      return numeric ? `avg(${f})` : undefined;
    case 'min':
    case 'max':
      return numeric ? `${fn}(${f})` : undefined;
    case 'first':
      return `arg_min(${f}, "time")`;
    case 'last':
      return `arg_max(${f}, "time")`;
    case 'spread':
      return numeric ? (kind === 'float' ? `(max(${f}) - min(${f}))` : `(CAST(max(${f}) AS HUGEINT) - min(${f}))`) : undefined;
    case 'stddev':
      return numeric ? `stddev_samp(${f})` : undefined;
    default:
      return undefined;
  }
}
