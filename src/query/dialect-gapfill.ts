/**
 * Gap filling as InfluxDB 3 does it: a query grouped by `date_bin_gapfill(stride, time[, origin])`
 * answers a row for every bin of its WHERE clause's time range, for every group, even where no
 * point fell; aggregates of an empty bin are NULL, unless wrapped in `locf(...)` (the last
 * value carried forward) or `interpolate(...)` (linear between the neighbouring values).
 *
 *     SELECT date_bin_gapfill(INTERVAL '30 minutes', time) AS _time, room, locf(avg(temp))
 *     FROM home WHERE time >= '…' AND time <= '…' GROUP BY _time, room
 *
 * becomes, in DuckDB's terms (the user's statement kept as an AST, spliced into a template):
 *
 *     WITH agg AS MATERIALIZED (the same query over date_bin, locf/interpolate unwrapped),
 *          bins AS (every bin start from the lower bound's bin to the upper bound)
 *     SELECT grid.bin, grid.room, last_value(agg.avg IGNORE NULLS) OVER (PARTITION BY room ORDER BY bin)
 *     FROM (bins CROSS JOIN (SELECT DISTINCT room FROM agg)) AS grid LEFT JOIN agg ON (bin, room)
 *     ORDER BY room, bin
 *
 * The lower bound is required (as in InfluxDB 3); without an upper bound, bins run to now().
 */
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { parseJsonKeepingBigInts, walk, type AstNode } from './ast.js';
import { isTimeColumn } from './dialect-time.js';
import { QueryError } from './errors.js';

const FILLS = new Set(['locf', 'interpolate']);

/**
 * The name of the CTE that holds the user's aggregate: random per process, so no statement a user
 * writes can name it, and time pruning may take its bounds for the whole statement's.
 */
const AGGREGATE_CTE = `__sluice_agg_${randomBytes(8).toString('hex')}`;

/** The user's aggregate query inside a statement planned by {@link planGapfill}; undefined for any other statement. */
export function gapfillAggregate(node: AstNode | undefined): AstNode | undefined {
  if (node?.type !== 'SELECT_NODE') return undefined;
  const ctes = (node.cte_map as { map?: Array<{ key: string; value: { query?: { node?: AstNode } } }> } | undefined)?.map ?? [];
  return ctes.find((c) => c.key === AGGREGATE_CTE)?.value.query?.node;
}

/** Whether the outermost SELECT of `node` has a `date_bin_gapfill(...)` in its select list. */
export function hasGapfill(node: AstNode): boolean {
  return node.type === 'SELECT_NODE' && Array.isArray(node.select_list) && (node.select_list as AstNode[]).some((item) => isCall(item, 'date_bin_gapfill'));
}

function isCall(node: unknown, name: string): boolean {
  const n = node as AstNode | undefined;
  return n?.class === 'FUNCTION' && String(n.function_name).toLowerCase() === name && (n.schema ?? '') === '';
}

/** The name a select item's column has (its alias, or a column reference's name), if known. */
function itemName(item: AstNode): string | undefined {
  if (typeof item.alias === 'string' && item.alias !== '') return item.alias;
  if (item.class === 'COLUMN_REF') return (item.column_names as string[]).at(-1);
  return undefined;
}

function withoutLocations(node: unknown): string {
  return JSON.stringify(node, (key, value: unknown) => (key === 'query_location' || key === 'alias' ? undefined : value));
}

/**
 * The gap-filling form of `node` (the statement's outermost SELECT, names resolved, see the
 * module comment), parsed from a template on `con`; `timeLiteral` turns an RFC3339 bound into a time.
 */
export async function planGapfill(con: DuckDBConnection, node: AstNode, timeLiteral: (n: unknown) => AstNode): Promise<AstNode> {
  const inner = node;
  const items = inner.select_list as AstNode[];
  const groups = (inner.group_expressions ?? []) as AstNode[];
  if (groups.length === 0) throw new QueryError('INVALID_QUERY', 'Error during planning: date_bin_gapfill needs a GROUP BY clause with the date_bin_gapfill expression in it');
  const names: string[] = [];
  let binIndex = -1;
  const fills: Array<'locf' | 'interpolate' | undefined> = [];
  items.forEach((item, i) => {
    let current = item;
    let fill: 'locf' | 'interpolate' | undefined;
    if (FILLS.has(String(current.function_name).toLowerCase()) && current.class === 'FUNCTION' && (current.schema ?? '') === '') {
      const args = current.children as AstNode[];
      if (args.length !== 1) throw new QueryError('INVALID_QUERY', `Error during planning: ${String(current.function_name)}() takes one aggregate`);
      fill = String(current.function_name).toLowerCase() as 'locf' | 'interpolate';
      current = { ...args[0]!, alias: current.alias };
    }
    if (isCall(current, 'date_bin_gapfill')) {
      if (binIndex >= 0) throw new QueryError('INVALID_QUERY', 'Error during planning: date_bin_gapfill may appear only once in the select list');
      binIndex = i;
      current.function_name = 'date_bin';
    }
    if (itemName(current) === undefined) current.alias = `__sluice_c${i}`;
    names.push(itemName(current)!);
    fills.push(fill);
    items[i] = current;
  });
  const binArgs = items[binIndex]!.children as AstNode[];
  if (binArgs.length < 2 || binArgs.length > 3 || !isTimeColumn(binArgs[1])) throw new QueryError('INVALID_QUERY', 'Error during planning: date_bin_gapfill takes (stride, time[, origin])');
  // Which items are group keys: named in GROUP BY by alias, column, position or the same expression.
  const isKey = items.map((item, i) =>
    groups.some((g) => {
      const position = (g.value as { value?: unknown } | undefined)?.value;
      if (g.class === 'CONSTANT' && typeof position === 'number') return position === i + 1;
      if (g.class === 'COLUMN_REF' && (g.column_names as string[]).length === 1 && (g.column_names as string[])[0] === names[i]) return true;
      return withoutLocations(g) === withoutLocations(item);
    }),
  );
  if (!isKey[binIndex]) throw new QueryError('INVALID_QUERY', 'Error during planning: date_bin_gapfill must be one of the GROUP BY expressions');
  const { lower, upper, upperInclusive } = timeBounds(inner.where_clause, timeLiteral);
  if (lower === undefined) throw new QueryError('INVALID_QUERY', 'Error during planning: date_bin_gapfill needs a lower time bound in the WHERE clause (time >= … or time > …)');
  // ORDER BY and LIMIT apply to the filled rows, not to the aggregates.
  const modifiers = inner.modifiers as AstNode[];
  inner.modifiers = [];

  const q = (name: string) => quoteIdent(name);
  const bin = q(names[binIndex]!);
  const keys = names.filter((_, i) => isKey[i] && i !== binIndex).map(q);
  const partition = keys.length === 0 ? '' : `PARTITION BY ${keys.map((k) => `__sluice_grid.${k}`).join(', ')} `;
  const before = `OVER (${partition}ORDER BY __sluice_grid.${bin} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
  const after = `OVER (${partition}ORDER BY __sluice_grid.${bin} ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)`;
  const outer = names.map((name, i) => {
    const n = q(name);
    if (i === binIndex || isKey[i]) return `__sluice_grid.${n} AS ${n}`;
    const v = `${AGGREGATE_CTE}.${n}`;
    if (fills[i] === 'locf') return `last_value(${v} IGNORE NULLS) ${before} AS ${n}`;
    if (fills[i] === 'interpolate') {
      const t = `epoch_ns(__sluice_grid.${bin})`;
      const known = `CASE WHEN ${v} IS NOT NULL THEN ${t} END`;
      const [pv, pt, nv, nt] = [`last_value(${v} IGNORE NULLS) ${before}`, `last_value(${known} IGNORE NULLS) ${before}`, `first_value(${v} IGNORE NULLS) ${after}`, `first_value(${known} IGNORE NULLS) ${after}`];
      return `CASE WHEN ${v} IS NOT NULL THEN ${v} WHEN ${pt} IS NULL OR ${nt} IS NULL THEN NULL ELSE ${pv} + (${nv} - ${pv}) * CAST(${t} - ${pt} AS DOUBLE) / CAST(${nt} - ${pt} AS DOUBLE) END AS ${n}`;
    }
    return `${v} AS ${n}`;
  });
  const groupsOf = keys.length === 0 ? `(SELECT 1 AS __sluice_one FROM ${AGGREGATE_CTE} LIMIT 1)` : `(SELECT DISTINCT ${keys.join(', ')} FROM ${AGGREGATE_CTE})`;
  const on = [`__sluice_grid.${bin} = ${AGGREGATE_CTE}.${bin}`, ...keys.map((k) => `__sluice_grid.${k} IS NOT DISTINCT FROM ${AGGREGATE_CTE}.${k}`)].join(' AND ');
  const end = upper === undefined ? 'epoch_ns(CAST(now() AS TIMESTAMP_NS)) + 1' : upperInclusive ? 'epoch_ns(sluice_gapfill_upper()) + 1' : 'epoch_ns(sluice_gapfill_upper())';
  const origin = binArgs.length === 3 ? 'epoch_ns(sluice_gapfill_origin())' : '0';
  const order = modifiers.some((m) => m.type === 'ORDER_MODIFIER') ? '' : ` ORDER BY ${[...keys.map((k) => `${k} NULLS FIRST`), bin].join(', ')}`;
  const template =
    `WITH ${AGGREGATE_CTE} AS MATERIALIZED (SELECT 1), ` +
    // The bins come from the range() table function, which streams and stops when the statement
    // is interrupted (its timeout): a list of them (unnest(range(…))) is built whole first, and a
    // range of billions of bins held the engine past any timeout.
    `__sluice_bins AS (SELECT make_timestamp_ns(range) AS ${bin} FROM range(sluice.bin_ns(sluice.stride_ns(sluice_gapfill_stride()), epoch_ns(sluice_gapfill_lower()), ${origin}), ${end}, sluice.stride_ns(sluice_gapfill_stride()))) ` +
    `SELECT ${outer.join(', ')} FROM (SELECT * FROM __sluice_bins CROSS JOIN ${groupsOf}) AS __sluice_grid LEFT JOIN ${AGGREGATE_CTE} ON ${on}${order}`;
  const parsed = parseJsonKeepingBigInts(String((await con.runAndReadAll(`SELECT json_serialize_sql(${quoteString(template)})`)).getRows()[0]![0])) as { error?: boolean; error_message?: string; statements: Array<{ node: AstNode }> };
  if (parsed.error === true) throw new Error(`gap-filling template did not parse: ${parsed.error_message}`);
  const planned = parsed.statements[0]!.node;
  const cte = (planned.cte_map as { map: Array<{ key: string; value: { query: { node: AstNode } } }> }).map.find((c) => c.key === AGGREGATE_CTE)!;
  cte.value.query.node = inner;
  const stride = binArgs[0]!;
  const pieces: Record<string, AstNode | undefined> = { sluice_gapfill_stride: stride, sluice_gapfill_lower: lower, sluice_gapfill_upper: upper, sluice_gapfill_origin: binArgs[2] === undefined ? undefined : timeLiteral(binArgs[2]) };
  replacePlaceholders(planned, pieces);
  if (order === '') planned.modifiers = [...modifiers, ...((planned.modifiers as AstNode[]) ?? []).filter((m) => m.type !== 'ORDER_MODIFIER')];
  return planned;
}

function replacePlaceholders(tree: AstNode, pieces: Record<string, AstNode | undefined>): void {
  walk(tree, (node) => {
    for (const [key, child] of Object.entries(node)) {
      const fill = (c: unknown): unknown => {
        const f = c as AstNode | undefined;
        if (f?.class !== 'FUNCTION' || !(String(f.function_name) in pieces)) return c;
        return structuredClone(pieces[String(f.function_name)]!);
      };
      if (Array.isArray(child)) node[key] = child.map(fill);
      else node[key] = fill(child);
    }
  });
}

/** The constant lower and upper bounds the WHERE clause's top-level conjunction puts on `time`. */
function timeBounds(where: unknown, timeLiteral: (n: unknown) => AstNode): { lower?: AstNode; upper?: AstNode; upperInclusive: boolean } {
  let lower: AstNode | undefined;
  let upper: AstNode | undefined;
  let upperInclusive = false;
  const constant = (n: unknown) => {
    let ok = typeof n === 'object' && n !== null;
    walk(n, (x) => {
      if (x.class === 'COLUMN_REF' || x.class === 'SUBQUERY' || x.class === 'PARAMETER' || x.class === 'STAR') ok = false;
    });
    return ok;
  };
  const visit = (n: unknown) => {
    const e = n as AstNode | undefined;
    if (e === undefined || e === null) return;
    if (e.type === 'CONJUNCTION_AND') return (e.children as unknown[]).forEach(visit);
    if (e.class === 'BETWEEN' && isTimeColumn(e.input) && constant(e.lower) && constant(e.upper)) {
      lower = timeLiteral(e.lower);
      upper = timeLiteral(e.upper);
      upperInclusive = true;
      return;
    }
    if (e.class !== 'COMPARISON') return;
    let op = String(e.type);
    let value = e.right;
    if (!isTimeColumn(e.left)) {
      if (!isTimeColumn(e.right)) return;
      value = e.left;
      op = ({ COMPARE_GREATERTHAN: 'COMPARE_LESSTHAN', COMPARE_GREATERTHANOREQUALTO: 'COMPARE_LESSTHANOREQUALTO', COMPARE_LESSTHAN: 'COMPARE_GREATERTHAN', COMPARE_LESSTHANOREQUALTO: 'COMPARE_GREATERTHANOREQUALTO' } as Record<string, string>)[op] ?? op;
    }
    if (!constant(value)) return;
    if (op === 'COMPARE_GREATERTHAN' || op === 'COMPARE_GREATERTHANOREQUALTO') lower = timeLiteral(value);
    if (op === 'COMPARE_LESSTHAN' || op === 'COMPARE_LESSTHANOREQUALTO') {
      upper = timeLiteral(value);
      upperInclusive = op === 'COMPARE_LESSTHANOREQUALTO';
    }
  };
  visit(where);
  return { lower, upper, upperInclusive };
}

