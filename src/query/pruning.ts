/**
 * Time-range pruning: the constant bounds a statement puts on `time`, so the engine can leave
 * out every Parquet file and buffered chunk wholly outside them (see `QueryEngine`).
 */
import { walk, type AstNode } from './ast.js';
import { gapfillAggregate } from './dialect-gapfill.js';

const VOLATILE = new Set(['now', 'current_timestamp', 'get_current_timestamp', 'transaction_timestamp', 'current_date', 'today', 'current_time', 'random', 'uuid', 'gen_random_uuid', 'nextval', 'currval', 'setseed']);

/** An expression with no column, parameter, subquery or star in it: its value is known before the scan. */
function isConstant(n: unknown): boolean {
  let constant = typeof n === 'object' && n !== null;
  walk(n, (node) => {
    const t = String(node.type ?? node.class ?? '');
    if (t === 'COLUMN_REF' || t === 'SUBQUERY' || t === 'VALUE_PARAMETER' || t === 'PARAMETER' || t === 'STAR' || t === 'LAMBDA' || t === 'WINDOW_AGGREGATE' || t === 'AGGREGATE') constant = false;
  });
  return constant;
}

function isVolatile(n: unknown): boolean {
  let volatile = false;
  walk(n, (node) => {
    if (node.class === 'FUNCTION' && VOLATILE.has(String(node.function_name).toLowerCase())) volatile = true;
  });
  return volatile;
}

/**
 * What a statement that reads one table may be pruned by — a top-level SELECT with no WITH clause
 * (a CTE could shadow the table, or read it unbounded) whose FROM is that table — from the
 * conjuncts of its WHERE clause:
 * - constant bounds on `time`: `time <op> <constant>`, `time BETWEEN <constant> AND <constant>`
 *   (literals, casts, make_timestamp_ns(…), now() − INTERVAL … for lower bounds);
 * - `column = 'text'` and `column IN ('text', …)` (string constants only), by column name: the
 *   rows a scan may skip when the column is a tag; several on one column intersect.
 * `table` and the column names are as the statement spells them (SQL names once names are
 * resolved). Undefined when it reads no single table (no pruning; never wrong); empty when it has
 * none of these.
 */
export function predicatesOf(ast: unknown): { table: string; lower: AstNode[]; upper: AstNode[]; equalities: Map<string, string[]> } | undefined {
  const select = singleTableSelect(ast);
  if (select === undefined) return undefined;
  const { node, table, isColumn } = select;
  const isTime = (n: unknown): boolean => isColumn(n, 'time');
  const literal = (n: unknown): AstNode | undefined => (isConstant(n) ? (n as AstNode) : undefined);
  const columnName = (n: unknown): string | undefined => {
    const e = n as AstNode | undefined;
    if (e?.type !== 'COLUMN_REF') return undefined;
    const names = e.column_names as string[];
    const name = names[names.length - 1]!;
    return isColumn(n, name) ? name : undefined;
  };
  const text = (n: unknown): string | undefined => {
    const e = n as AstNode | undefined;
    const value = e?.value as { type?: { id?: string }; is_null?: boolean; value?: unknown } | undefined;
    return e?.class === 'CONSTANT' && value?.type?.id === 'VARCHAR' && value.is_null !== true && typeof value.value === 'string' ? value.value : undefined;
  };
  const lower: AstNode[] = [];
  const upper: AstNode[] = [];
  const equalities = new Map<string, string[]>();
  const equal = (column: string, values: string[]) => {
    const known = equalities.get(column);
    equalities.set(column, known === undefined ? values : known.filter((v) => values.includes(v)));
  };
  const FLIP: Record<string, string> = { COMPARE_GREATERTHAN: 'COMPARE_LESSTHAN', COMPARE_GREATERTHANOREQUALTO: 'COMPARE_LESSTHANOREQUALTO', COMPARE_LESSTHAN: 'COMPARE_GREATERTHAN', COMPARE_LESSTHANOREQUALTO: 'COMPARE_GREATERTHANOREQUALTO', COMPARE_EQUAL: 'COMPARE_EQUAL' };
  const visit = (n: unknown): void => {
    const e = n as AstNode | undefined;
    if (e === undefined || e === null) return;
    if (e.type === 'CONJUNCTION_AND') {
      for (const child of e.children as unknown[]) visit(child);
      return;
    }
    if (e.type === 'COMPARE_BETWEEN' && isTime(e.input)) {
      const a = literal(e.lower);
      const b = literal(e.upper);
      if (a !== undefined) lower.push(a);
      if (b !== undefined && !isVolatile(b)) upper.push(b);
      return;
    }
    if (e.type === 'COMPARE_IN') {
      const [first, ...rest] = e.children as unknown[];
      const column = columnName(first);
      const values = rest.map(text);
      if (column !== undefined && values.length > 0 && values.every((v) => v !== undefined)) equal(column, [...new Set(values as string[])]);
      return;
    }
    if (e.type === 'COMPARE_EQUAL') {
      const [column, value] = columnName(e.left) !== undefined ? [columnName(e.left), text(e.right)] : [columnName(e.right), text(e.left)];
      if (column !== undefined && value !== undefined) equal(column, [value]);
    }
    let op = String(e.type);
    let value: AstNode | undefined;
    if (isTime(e.left)) value = literal(e.right);
    else if (isTime(e.right)) {
      value = literal(e.left);
      op = FLIP[op] ?? '';
    }
    if (value === undefined) return;
    if (op === 'COMPARE_GREATERTHAN' || op === 'COMPARE_GREATERTHANOREQUALTO' || op === 'COMPARE_EQUAL') lower.push(value);
    // An upper bound that moves with the clock (now()) may be later when the statement runs: never prune by it.
    if ((op === 'COMPARE_LESSTHAN' || op === 'COMPARE_LESSTHANOREQUALTO' || op === 'COMPARE_EQUAL') && !isVolatile(value)) upper.push(value);
  };
  visit(node.where_clause);
  return { table, lower, upper, equalities };
}

/**
 * A top-level SELECT with no WITH clause (a CTE could shadow the table, or read it unbounded)
 * whose FROM is one table of the database: its node, the table's name, and a test for a
 * reference to one of its columns (bare, or qualified by the table's name or alias).
 */
function singleTableSelect(ast: unknown): { node: AstNode; table: string; isColumn: (n: unknown, name: string) => boolean } | undefined {
  const statements = (ast as { statements?: Array<{ node?: AstNode }> }).statements;
  // A gap-filling statement reads its table only in the user's aggregate query: its bounds are the statement's.
  const node = gapfillAggregate(statements?.[0]?.node) ?? statements?.[0]?.node;
  if (statements?.length !== 1 || node?.type !== 'SELECT_NODE') return undefined;
  if (((node.cte_map as { map?: unknown[] } | undefined)?.map?.length ?? 0) > 0) return undefined;
  const from = node.from_table as AstNode | undefined;
  if (from?.type !== 'BASE_TABLE' || (from.schema_name ?? '') !== '' || (from.catalog_name ?? '') !== '') return undefined;
  const table = String(from.table_name);
  const alias = String(from.alias ?? '');
  const isColumn = (n: unknown, name: string): boolean => {
    const e = n as AstNode | undefined;
    if (e?.type !== 'COLUMN_REF') return false;
    const names = e.column_names as string[];
    return (names.length === 1 && names[0] === name) || (names.length === 2 && names[1] === name && (names[0] === table || names[0] === alias));
  };
  return { node, table, isColumn };
}
