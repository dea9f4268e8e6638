/**
 * Result column names as DataFusion (InfluxDB 3's engine) gives them, so dashboards built on
 * InfluxDB 3 find their columns: `count(*)`, `avg(cpu.usage)`, `count(DISTINCT cpu.host)`,
 * `selector_max(cpu.usage,cpu.time)[value]`, `cpu.usage * Int64(2)`. Columns are qualified by
 * their table (or its alias), arguments are joined by a bare comma, literals carry their type,
 * casts are transparent. Computed on the statement as written (names resolved, before any
 * dialect rewrite); an expression of a form not listed here keeps the engine's name.
 */
import type { DatabaseSchema } from '../catalog/catalog.js';
import { nameOfSql } from '../engine/names.js';
import type { AstNode } from './ast.js';
import { stringConstant } from './dialect-time.js';

const COMPARE: Record<string, string> = {
  COMPARE_EQUAL: '=',
  COMPARE_NOTEQUAL: '!=',
  COMPARE_LESSTHAN: '<',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHAN: '>',
  COMPARE_GREATERTHANOREQUALTO: '>=',
  COMPARE_DISTINCT_FROM: 'IS DISTINCT FROM',
  COMPARE_NOT_DISTINCT_FROM: 'IS NOT DISTINCT FROM',
};
const OPERATORS: Record<string, string> = { '~~': 'LIKE', '!~~': 'NOT LIKE', '~~*': 'ILIKE', '!~~*': 'NOT ILIKE' };

interface Relation {
  qualifier: string;
  /** The relation's columns when known (a table of the database), else undefined. */
  columns: ReadonlySet<string> | undefined;
}

/**
 * Sets an alias with its DataFusion name on every unaliased expression of the statement's
 * outermost select list whose engine name would differ; returns SQL name → name for them.
 */
export function nameResultColumns(ast: unknown, database: DatabaseSchema): Map<string, string> {
  const names = new Map<string, string>();
  const node = (ast as { statements?: Array<{ node?: AstNode }> }).statements?.[0]?.node;
  let select = node;
  while (select?.type === 'SET_OPERATION_NODE') select = select.left as AstNode;
  if (select?.type !== 'SELECT_NODE' || !Array.isArray(select.select_list)) return names;
  const relations: Relation[] = [];
  collectRelations(select.from_table, database, relations);
  const used = new Set<string>();
  for (const item of select.select_list as AstNode[]) {
    if (typeof item.alias === 'string' && item.alias !== '') continue;
    if (item.class === 'COLUMN_REF' || item.class === 'STAR' || item.class === 'CONSTANT') continue;
    const name = dataFusionName(item, relations);
    if (name === undefined || used.has(name)) continue;
    used.add(name);
    // The alias reaches the engine as a SQL name (never two aliases that differ only in case).
    const encoded = encodeAlias(name);
    item.alias = encoded;
    names.set(encoded, name);
  }
  return names;
}

/** An alias DuckDB keeps apart from any other: upper-case letters and `^` escaped as SQL names are. */
function encodeAlias(name: string): string {
  return name.replace(/[A-Z^]/g, (ch) => (ch === '^' ? '^^' : `^${ch.toLowerCase()}`));
}

function collectRelations(from: unknown, database: DatabaseSchema, out: Relation[]): void {
  const ref = from as AstNode | undefined;
  if (ref === undefined || ref === null) return;
  if (ref.type === 'JOIN') {
    collectRelations(ref.left, database, out);
    collectRelations(ref.right, database, out);
    return;
  }
  const alias = typeof ref.alias === 'string' && ref.alias !== '' ? decode(ref.alias) : undefined;
  if (ref.type === 'BASE_TABLE') {
    const tableName = decode(String(ref.table_name));
    const table = database.tables.get(tableName);
    out.push({ qualifier: alias ?? tableName, columns: table === undefined ? undefined : new Set(table.columns.keys()) });
  } else if (alias !== undefined) {
    out.push({ qualifier: alias, columns: undefined });
  }
}

function decode(sqlName: string): string {
  return nameOfSql(sqlName) ?? sqlName;
}

/** The DataFusion name of an expression, or undefined for a form not handled here. */
export function dataFusionName(e: AstNode, relations: readonly Relation[]): string | undefined {
  const sub = (n: unknown) => dataFusionName(n as AstNode, relations);
  const all = (list: unknown): string[] | undefined => {
    if (!Array.isArray(list)) return undefined;
    const parts = list.map(sub);
    return parts.every((p) => p !== undefined) ? (parts as string[]) : undefined;
  };
  switch (e.class) {
    case 'COLUMN_REF': {
      const parts = (e.column_names as string[]).map(decode);
      if (parts.length !== 1) return parts.join('.');
      const column = parts[0]!;
      const owner = relations.length === 1 ? relations[0] : relations.find((r) => r.columns?.has(column));
      return owner === undefined ? column : `${owner.qualifier}.${column}`;
    }
    case 'CONSTANT':
      return literalName(e);
    case 'CAST': {
      // `true` / `false` reach the tree as CAST('t' AS BOOLEAN).
      const text = stringConstant(e.child);
      const type = (e.cast_type as { id?: string } | undefined)?.id;
      if (type === 'BOOLEAN' && (text === 't' || text === 'f')) return `Boolean(${text === 't'})`;
      if (type === 'INTERVAL') return text === undefined ? undefined : intervalName(text);
      return sub(e.child);
    }
    case 'FUNCTION': {
      const name = String(e.function_name);
      const args = all(e.children);
      if (args === undefined || (e.schema ?? '') !== '') return undefined;
      if (e.is_operator === true) {
        if (args.length === 1) return `(${name} ${args[0]})`;
        if (args.length === 2) return `${args[0]} ${OPERATORS[name] ?? name} ${args[1]}`;
        return undefined;
      }
      if (name === 'count_star') return 'count(*)';
      if (e.filter !== null && e.filter !== undefined) return undefined;
      return `${name}(${e.distinct === true ? 'DISTINCT ' : ''}${args.join(',')})`;
    }
    case 'COMPARISON': {
      const [l, r] = [sub(e.left), sub(e.right)];
      const op = COMPARE[String(e.type)];
      return l === undefined || r === undefined || op === undefined ? undefined : `${l} ${op} ${r}`;
    }
    case 'CONJUNCTION': {
      const args = all(e.children);
      return args?.join(e.type === 'CONJUNCTION_AND' ? ' AND ' : ' OR ');
    }
    case 'BETWEEN': {
      const [x, lo, hi] = [sub(e.input), sub(e.lower), sub(e.upper)];
      return x === undefined || lo === undefined || hi === undefined ? undefined : `${x} BETWEEN ${lo} AND ${hi}`;
    }
    case 'OPERATOR': {
      const args = all(e.children);
      if (args === undefined) return undefined;
      if (e.type === 'OPERATOR_NOT') return `NOT ${args[0]}`;
      if (e.type === 'OPERATOR_IS_NULL') return `${args[0]} IS NULL`;
      if (e.type === 'OPERATOR_IS_NOT_NULL') return `${args[0]} IS NOT NULL`;
      if (e.type === 'ARRAY_EXTRACT' || e.type === 'STRUCT_EXTRACT') {
        const key = stringConstant((e.children as unknown[])[1]);
        return key === undefined ? undefined : `${args[0]}[${key}]`;
      }
      if (e.type === 'COMPARE_IN') return `${args[0]} IN ([${args.slice(1).join(', ')}])`;
      return undefined;
    }
    case 'CASE': {
      let out = 'CASE';
      for (const check of e.case_checks as Array<{ when_expr: unknown; then_expr: unknown }>) {
        const [w, t] = [sub(check.when_expr), sub(check.then_expr)];
        if (w === undefined || t === undefined) return undefined;
        out += ` WHEN ${w} THEN ${t}`;
      }
      const otherwise = e.else_expr as AstNode | undefined;
      // DuckDB writes a CASE without ELSE as ELSE NULL.
      const elseName = otherwise === undefined ? 'NULL' : sub(otherwise);
      if (elseName === undefined) return undefined;
      return elseName === 'NULL' ? `${out} END` : `${out} ELSE ${elseName} END`;
    }
    default:
      return undefined;
  }
}

function literalName(e: AstNode): string | undefined {
  const value = e.value as { type?: { id?: string; type_info?: { scale?: number } }; is_null?: boolean; value?: unknown };
  if (value.is_null === true) return 'NULL';
  switch (value.type?.id) {
    case 'TINYINT':
    case 'SMALLINT':
    case 'INTEGER':
    case 'BIGINT':
      return typeof value.value === 'number' ? `Int64(${value.value})` : undefined;
    case 'DECIMAL': {
      const scale = value.type.type_info?.scale ?? 0;
      return typeof value.value === 'number' ? `Float64(${value.value / 10 ** scale})` : undefined;
    }
    case 'DOUBLE':
    case 'FLOAT':
      return typeof value.value === 'number' ? `Float64(${value.value})` : undefined;
    case 'VARCHAR':
      return `Utf8(${JSON.stringify(value.value)})`;
    default:
      return undefined;
  }
}

const UNIT_NS: ReadonlyArray<[RegExp, 'months' | 'days' | bigint]> = [
  [/^(ns|nanos?|nanoseconds?)$/, 1n],
  [/^(us|µs|micros?|microseconds?)$/, 1000n],
  [/^(ms|millis?|milliseconds?)$/, 1_000_000n],
  [/^(s|secs?|seconds?)$/, 1_000_000_000n],
  [/^(m|mins?|minutes?)$/, 60_000_000_000n],
  [/^(h|hrs?|hours?)$/, 3_600_000_000_000n],
  [/^(d|days?)$/, 'days'],
  [/^(w|weeks?)$/, 'days'],
  [/^(mons?|months?)$/, 'months'],
  [/^(y|years?)$/, 'months'],
];

/** DataFusion's name of an interval literal (`IntervalMonthDayNano("IntervalMonthDayNano { months: 0, days: 0, nanoseconds: 3600000000000 }")`). */
function intervalName(text: string): string | undefined {
  let months = 0n;
  let days = 0n;
  let nanoseconds = 0n;
  const parts = text.trim().toLowerCase().match(/-?\d+\s*[a-zµ]+/g);
  if (parts === null || parts.join('').replace(/\s/g, '') !== text.toLowerCase().replace(/\s/g, '')) return undefined;
  for (const part of parts) {
    const m = /^(-?\d+)\s*([a-zµ]+)$/.exec(part)!;
    const n = BigInt(m[1]!);
    const unit = UNIT_NS.find(([re]) => re.test(m[2]!));
    if (unit === undefined) return undefined;
    const [re, scale] = unit;
    if (scale === 'months') months += re.source.includes('y') ? n * 12n : n;
    else if (scale === 'days') days += re.source.includes('w') ? n * 7n : n;
    else nanoseconds += n * scale;
  }
  return `IntervalMonthDayNano("IntervalMonthDayNano { months: ${months}, days: ${days}, nanoseconds: ${nanoseconds} }")`;
}
