/**
 * InfluxDB 3's SQL dialect over DuckDB, by rewriting the statement's AST after its names are
 * resolved (`./names.ts`); the functions DuckDB lacks are macros in the engine's `sluice`
 * schema (`src/engine/dialect-macros.ts`). What it does (docs/sql-dialect.md lists every
 * function):
 *
 * - `now()` is a nanosecond timestamp (`CAST(now() AS TIMESTAMP_NS)`: the statement's start,
 *   the same value everywhere in it), so `time > now() - INTERVAL '1 hour'` compares times;
 * - an RFC3339 string compared to `time` (`=`, `<`, …, BETWEEN, IN), and the string arguments of
 *   `to_timestamp*` and `date_bin`'s origin, become exact nanosecond constants
 *   (`make_timestamp_ns(<ns>)`, which time pruning reads as it is);
 * - `date_bin`, `selector_*`, `to_timestamp*`, `tz` call the macros; InfluxDB's other names of
 *   DuckDB functions are renamed (`approx_distinct` → `approx_count_distinct`, …);
 * - `date_bin_gapfill` with `locf()` / `interpolate()` is planned by `./dialect-gapfill.ts`;
 * - `/` between two integers divides as integers (the engine's `/` is a float division);
 * - unaliased result columns get DataFusion's names (`./dialect-names.ts`).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DatabaseSchema } from '../catalog/catalog.js';
import { nameOfSql, sqlName } from '../engine/names.js';
import { walk, type AstNode } from './ast.js';
import { QueryError } from './errors.js';
import { hasGapfill, planGapfill } from './dialect-gapfill.js';
import { nameResultColumns } from './dialect-names.js';
import { castNode, functionNode, isTimeColumn, rfc3339ToNs, stringConstant, timestampNode } from './dialect-time.js';

/** Functions that are macros of the `sluice` schema (see `src/engine/dialect-macros.ts`). */
const MACROS = new Set(['date_bin', 'selector_first', 'selector_last', 'selector_min', 'selector_max', 'to_timestamp', 'to_timestamp_seconds', 'to_timestamp_millis', 'to_timestamp_micros', 'to_timestamp_nanos', 'tz', 'nvl2', 'nanvl', 'iszero', 'find_in_set', 'regexp_count', 'to_unixtime', 'from_unixtime', 'to_date']);

/** Macros whose first argument is a time: an RFC3339 string there is read as one. */
const TIME_FIRST = new Set(['tz', 'to_unixtime']);

/** InfluxDB 3 (DataFusion) function names whose DuckDB function has another name. */
const RENAMES: Readonly<Record<string, string>> = {
  approx_distinct: 'approx_count_distinct',
  approx_percentile_cont: 'quantile_cont',
  approx_median: 'median',
  signum: 'sign',
  regexp_like: 'regexp_matches',
  nvl: 'ifnull',
  btrim: 'trim',
  var_sample: 'var_samp',
  var_population: 'var_pop',
  stddev_sample: 'stddev_samp',
  stddev_population: 'stddev_pop',
  character_length: 'length',
  make_array: 'list_value',
  datepart: 'date_part',
  datetrunc: 'date_trunc',
  covar: 'covar_samp',
  var: 'var_samp',
  to_char: 'strftime',
  date_format: 'strftime',
  arrow_typeof: 'typeof',
  get_field: 'struct_extract',
  make_list: 'list_value',
  array_element: 'list_extract',
  list_element: 'list_extract',
  array_join: 'array_to_string',
  list_join: 'array_to_string',
  list_to_string: 'array_to_string',
  array_max: 'list_max',
  array_min: 'list_min',
  arrays_overlap: 'list_has_any',
  string_to_list: 'string_to_array',
  list_length: 'len',
  cardinality: 'len',
  current_time: 'get_current_time',
  list_push_back: 'list_append',
  list_push_front: 'list_prepend',
  // As aggregates (`first_value(x ORDER BY time)`); the window functions are another node.
  first_value: 'first',
  last_value: 'last',
  // `x ~ 're'` reaches the tree as regexp_full_match; in InfluxDB 3 it matches anywhere in x.
  regexp_full_match: 'regexp_matches',
};

/** Functions that only gap filling gives a meaning to. */
const GAPFILL_ONLY = new Set(['locf', 'interpolate', 'date_bin_gapfill']);

/** What the dialect rewrite did. */
export interface DialectResult {
  /** Whether the AST changed (then the statement runs as DuckDB's rendering of it). */
  changed: boolean;
  /** Result column SQL name → the name InfluxDB 3 gives it (`count(*)`, `avg(cpu.usage)`). */
  names: ReadonlyMap<string, string>;
}

/**
 * Rewrites `ast` (names resolved, for `database`) in place into DuckDB's terms of InfluxDB 3's
 * SQL; `con` parses the gap-filling template when the statement needs one.
 */
export async function applyDialect(con: DuckDBConnection, ast: unknown, database: DatabaseSchema): Promise<DialectResult> {
  const statement = (ast as { statements?: Array<{ node?: AstNode }> }).statements?.[0];
  if (statement?.node === undefined) return { changed: false, names: new Map() };
  const names = nameResultColumns(ast, database);
  let changed = names.size > 0;
  // count(*) of a subquery read with `SELECT *` keeps the engine's name: name it as DataFusion does.
  if (!names.has('count_star()')) names.set('count_star()', 'count(*)');
  if (hasGapfill(statement.node)) {
    statement.node = await planGapfill(con, statement.node, timeLiteral);
    changed = true;
  }
  const context: RewriteContext = { onChange: () => (changed = true), integerColumns: integerColumnsOf(ast, database) };
  const rewritten = rewrite(statement.node, context);
  statement.node = rewritten as AstNode;
  return { changed, names };
}

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT']);

/** What the rewrite of one statement knows. */
interface RewriteContext {
  /** Told of every change. */
  onChange: () => void;
  /** SQL names of the statement's integer columns (see {@link integerColumnsOf}). */
  integerColumns: ReadonlySet<string>;
}

/**
 * The SQL names that surely mean an integer column in `ast`: int64 or uint64 in every table the
 * statement reads that has the name, and no alias of the statement spelled the same (an alias
 * could be anything).
 */
function integerColumnsOf(ast: unknown, database: DatabaseSchema): Set<string> {
  const verdict = new Map<string, boolean>();
  const aliases = new Set<string>();
  walk(ast, (node) => {
    if (typeof node.alias === 'string' && node.alias !== '') aliases.add(node.alias);
    for (const list of [node.column_name_alias, node.aliases]) if (Array.isArray(list)) for (const a of list) if (typeof a === 'string') aliases.add(a);
    if (node.type !== 'BASE_TABLE') return;
    const table = database.tables.get(nameOfSql(String(node.table_name)) ?? '');
    for (const column of table?.columns.values() ?? []) {
      const isInteger = column.type === 'int64' || column.type === 'uint64';
      const name = sqlName(column.name);
      verdict.set(name, (verdict.get(name) ?? true) && isInteger);
    }
  });
  return new Set([...verdict].filter(([name, isInteger]) => isInteger && !aliases.has(name)).map(([name]) => name));
}

/** Whether `node` is surely an integer: an integer constant or column, a cast to one, or integer arithmetic. */
function isIntegerExpression(node: unknown, integerColumns: ReadonlySet<string>): boolean {
  const n = node as AstNode | undefined;
  if (n === undefined || n === null) return false;
  if (n.class === 'CONSTANT') {
    const value = n.value as { type?: { id?: string }; is_null?: boolean };
    return value.is_null === false && INTEGER_TYPES.has(String(value.type?.id));
  }
  if (n.class === 'COLUMN_REF') return integerColumns.has(String((n.column_names as string[]).at(-1)));
  if (n.class === 'CAST') return n.try_cast === false && INTEGER_TYPES.has(String((n.cast_type as { id?: string } | undefined)?.id));
  if (n.class === 'FUNCTION' && n.is_operator === true && ['+', '-', '*', '%', '//'].includes(String(n.function_name))) return (n.children as unknown[]).every((c) => isIntegerExpression(c, integerColumns));
  return false;
}

/** Rewrites every expression under `value`, children first. */
function rewrite(value: unknown, context: RewriteContext): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = rewrite(value[i], context);
    return value;
  }
  if (typeof value !== 'object' || value === null) return value;
  const node = value as AstNode;
  for (const key of Object.keys(node)) node[key] = rewrite(node[key], context);
  const replaced = rewriteExpression(node, context);
  // A replacement keeps the name the user gave the expression.
  if (replaced !== node && typeof node.alias === 'string') replaced.alias = node.alias;
  return replaced;
}

/** One expression in DuckDB's terms; the same node when nothing is to change. */
function rewriteExpression(e: AstNode, { onChange, integerColumns }: RewriteContext): AstNode {
  if (e.class === 'FUNCTION' && e.is_operator !== true && (e.schema ?? '') === '' && (e.catalog ?? '') === '') return rewriteFunction(e, onChange);
  const time = (node: unknown): AstNode => {
    const replaced = timeLiteral(node, true);
    if (replaced !== node) onChange();
    return replaced;
  };
  if (e.class === 'FUNCTION' && e.is_operator === true) {
    const args = e.children as unknown[];
    const op = String(e.function_name);
    // Case-insensitive regular expression matches: `x ~* 're'`, `x !~* 're'`.
    if ((op === '~*' || op === '!~*') && args.length === 2) {
      onChange();
      const flags = { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', query_location: e.query_location, value: { type: { id: 'VARCHAR', type_info: null }, is_null: false, value: 'i' } };
      const match = functionNode('regexp_matches', [args[0], args[1], flags], e.query_location);
      return op === '~*' ? match : { class: 'OPERATOR', type: 'OPERATOR_NOT', alias: '', query_location: e.query_location, children: [match] };
    }
    // Integer by integer divides as integers, as in InfluxDB 3 (the engine's `/` is a float division).
    if (op === '/' && args.length === 2 && isIntegerExpression(args[0], integerColumns) && isIntegerExpression(args[1], integerColumns)) {
      onChange();
      e.function_name = '//';
      return e;
    }
    // An RFC3339 string plus or minus an interval: `'2024-01-01T00:00:00Z' - INTERVAL '1 hour'`.
    if ((op === '+' || op === '-') && args.length === 2) {
      const isInterval = (n: unknown) => (n as AstNode | undefined)?.class === 'CAST' && ((n as AstNode).cast_type as { id?: string } | undefined)?.id === 'INTERVAL';
      if (isInterval(args[1])) args[0] = time(args[0]);
      else if (isInterval(args[0]) && op === '+') args[1] = time(args[1]);
    }
    return e;
  }
  // RFC3339 strings compared to `time`.
  if (e.class === 'COMPARISON') {
    if (isTimeColumn(e.left)) e.right = time(e.right);
    else if (isTimeColumn(e.right)) e.left = time(e.left);
  } else if (e.class === 'BETWEEN' && isTimeColumn(e.input)) {
    e.lower = time(e.lower);
    e.upper = time(e.upper);
  } else if (e.class === 'OPERATOR' && (e.type === 'COMPARE_IN' || e.type === 'COMPARE_NOT_IN') && isTimeColumn((e.children as unknown[])[0])) {
    e.children = (e.children as unknown[]).map((c, i) => (i === 0 ? c : time(c)));
  }
  return e;
}

function rewriteFunction(e: AstNode, onChange: () => void): AstNode {
  const name = String(e.function_name).toLowerCase();
  const args = e.children as unknown[];
  if (name === 'now' || name === 'current_timestamp' || MACROS.has(name) || RENAMES[name] !== undefined) onChange();
  if ((name === 'now' || name === 'current_timestamp') && args.length === 0) {
    const now = functionNode('now', [], e.query_location);
    return castNode(now, 'TIMESTAMP_NS', e.query_location);
  }
  if (GAPFILL_ONLY.has(name)) {
    throw new QueryError('INVALID_QUERY', name === 'date_bin_gapfill' ? 'Error during planning: date_bin_gapfill must be a GROUP BY expression of the outermost query, with lower and upper time bounds in its WHERE clause' : `Error during planning: ${name}() is only allowed in the select list of a query grouped by date_bin_gapfill`);
  }
  if (MACROS.has(name)) {
    if (name.startsWith('to_timestamp') && args.length === 1) {
      const ns = timeConstantNs(args[0]);
      if (ns !== undefined) return timestampNode(truncateNs(ns, name), e.query_location);
    }
    if (name === 'date_bin' && args.length === 3) args[2] = timeLiteral(args[2]);
    if (TIME_FIRST.has(name) && args.length >= 1) args[0] = timeLiteral(args[0]);
    e.function_name = name;
    e.schema = 'sluice';
    return e;
  }
  const renamed = RENAMES[name];
  if (renamed !== undefined) e.function_name = renamed;
  return e;
}

function truncateNs(ns: bigint, name: string): bigint {
  const unit = { to_timestamp_seconds: 1_000_000_000n, to_timestamp_millis: 1_000_000n, to_timestamp_micros: 1000n }[name];
  if (unit === undefined) return ns;
  const r = ((ns % unit) + unit) % unit;
  return ns - r;
}

function timeConstantNs(node: unknown): bigint | undefined {
  const text = stringConstant(node);
  return text === undefined ? undefined : rfc3339ToNs(text);
}

/**
 * A string constant that is an RFC3339 time as an exact nanosecond time; any other node as it
 * is. With `strict`, a string that is no time is an error (as InfluxDB 3 refuses it).
 */
export function timeLiteral(node: unknown, strict = false): AstNode {
  const text = stringConstant(node);
  if (text === undefined) return node as AstNode;
  const ns = rfc3339ToNs(text);
  if (ns === undefined && strict) throw new QueryError('INVALID_QUERY', `Cast error: cannot read ${quoteLiteral(text)} as a timestamp: write an RFC3339 time such as '2024-01-01T00:00:00Z'`);
  return ns === undefined ? (node as AstNode) : timestampNode(ns, (node as AstNode).query_location);
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
