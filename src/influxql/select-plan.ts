/**
 * What a SELECT asks for, checked as InfluxDB 1.x checks it: every call a known function with
 * the right arguments, aggregates not mixed with raw fields (but a lone selector may bring
 * tags and fields along), GROUP BY time only with an aggregate, transformations over raw values
 * or over aggregates as 1.x allows; and the output columns named as 1.x names them
 * (`mean`, `mean_1`, `v_i` for `v * i`, aliases first).
 */
import type { Expr, Field, SelectStatement } from './ast.js';
import { InfluxQLStatementError } from './executor.js';
import { acceptsType, AGGREGATES, MATH, SELECTORS, TRANSFORMS } from './functions.js';

/** The type of a field as InfluxQL names it. */
export type FieldType = 'float' | 'integer' | 'unsigned' | 'string' | 'boolean';

/** The names a measurement (or a subquery's answer) offers to wildcards and references. */
export interface SourceSchema {
  fields: Map<string, FieldType>;
  tags: Set<string>;
}

/** One output column: its name and the expression that gives it. */
export interface Column {
  name: string;
  expr: Expr;
}

/** Strips the parentheses the user wrote. */
export function unparen(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}

/** A stable text for an expression (the key of a call computed once for several columns). */
export function exprKey(e: Expr): string {
  let key = exprKeys.get(e);
  if (key === undefined) exprKeys.set(e, (key = JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))));
  return key;
}

const exprKeys = new WeakMap<Expr, string>();

/** Calls to aggregates and selectors in `e`, outermost first (not looking inside them). */
export function aggregateCalls(e: Expr, out: Array<Extract<Expr, { kind: 'call' }>> = []): Array<Extract<Expr, { kind: 'call' }>> {
  e = unparen(e);
  if (e.kind === 'call') {
    if (AGGREGATES.has(e.name) || SELECTORS.has(e.name)) out.push(e);
    else for (const a of e.args) aggregateCalls(a, out);
  } else if (e.kind === 'binary') {
    aggregateCalls(e.left, out);
    aggregateCalls(e.right, out);
  } else if (e.kind === 'neg') aggregateCalls(e.expr, out);
  return out;
}

/** Transformation calls in `e`. */
export function transformCalls(e: Expr, out: Array<Extract<Expr, { kind: 'call' }>> = []): Array<Extract<Expr, { kind: 'call' }>> {
  e = unparen(e);
  if (e.kind === 'call') {
    if (TRANSFORMS.has(e.name)) out.push(e);
    else for (const a of e.args) transformCalls(a, out);
  } else if (e.kind === 'binary') {
    transformCalls(e.left, out);
    transformCalls(e.right, out);
  } else if (e.kind === 'neg') transformCalls(e.expr, out);
  return out;
}

/** Names referenced outside any call (raw fields and tags). */
export function rawRefs(e: Expr, out: Array<Extract<Expr, { kind: 'ref' }>> = []): Array<Extract<Expr, { kind: 'ref' }>> {
  e = unparen(e);
  if (e.kind === 'ref') out.push(e);
  else if (e.kind === 'call') {
    if (MATH.has(e.name)) for (const a of e.args) rawRefs(a, out);
  } else if (e.kind === 'binary') {
    rawRefs(e.left, out);
    rawRefs(e.right, out);
  } else if (e.kind === 'neg') rawRefs(e.expr, out);
  return out;
}

const ONE_ARG = new Set(['count', 'distinct', 'mean', 'median', 'mode', 'spread', 'stddev', 'sum', 'first', 'last', 'max', 'min', 'difference', 'non_negative_difference', 'cumulative_sum', 'abs', 'ceil', 'floor', 'round', 'sqrt', 'ln', 'log2', 'log10', 'exp', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan']);
const TWO_ARGS = new Set(['percentile', 'sample', 'moving_average', 'log', 'pow', 'atan2']);
const ONE_OR_TWO = new Set(['integral', 'derivative', 'non_negative_derivative', 'elapsed']);

function checkArgCount(name: string, n: number): void {
  if (ONE_ARG.has(name) && n !== 1) throw new InfluxQLStatementError(`invalid number of arguments for ${name}, expected 1, got ${n}`);
  if (TWO_ARGS.has(name) && n !== 2) throw new InfluxQLStatementError(`invalid number of arguments for ${name}, expected 2, got ${n}`);
  if (ONE_OR_TWO.has(name) && (n < 1 || n > 2)) throw new InfluxQLStatementError(`invalid number of arguments for ${name}, expected at least 1 but no more than 2, got ${n}`);
  if ((name === 'top' || name === 'bottom') && n < 2) throw new InfluxQLStatementError(`invalid number of arguments for ${name}, expected at least 2, got ${n}`);
}

function isFieldArg(e: Expr): boolean {
  e = unparen(e);
  return e.kind === 'ref' || e.kind === 'wildcard' || e.kind === 'regex';
}

function numberArg(e: Expr): number | undefined {
  e = unparen(e);
  if (e.kind === 'number') return e.value;
  if (e.kind === 'integer') return Number(e.value);
  return undefined;
}

/** Checks one call (and the calls inside it); `inAggregate` when it stands inside a transformation. */
function checkCall(e: Extract<Expr, { kind: 'call' }>, hasGroupByTime: boolean): void {
  const { name, args } = e;
  if (name === 'now' || name === 'time') throw new InfluxQLStatementError(`invalid function call in field: ${name}()`);
  if (!AGGREGATES.has(name) && !SELECTORS.has(name) && !TRANSFORMS.has(name) && !MATH.has(name)) throw new InfluxQLStatementError(`undefined function ${name}()`);
  checkArgCount(name, args.length);
  if (AGGREGATES.has(name) || SELECTORS.has(name)) {
    const arg = unparen(args[0]!);
    if (name === 'count' && arg.kind === 'call' && arg.name === 'distinct') {
      checkCall(arg, hasGroupByTime);
    } else if (!isFieldArg(arg)) {
      throw new InfluxQLStatementError(`expected field argument in ${name}()`);
    }
    if (name === 'percentile') {
      if (numberArg(args[1]!) === undefined) throw new InfluxQLStatementError('expected float argument in percentile()');
    }
    if (name === 'sample') {
      const n = unparen(args[1]!);
      if (n.kind !== 'integer') throw new InfluxQLStatementError('expected integer argument in sample()');
      if (n.value <= 1n) throw new InfluxQLStatementError(`sample window must be greater than 1, got ${n.value}`);
    }
    if (name === 'top' || name === 'bottom') {
      const last = unparen(args[args.length - 1]!);
      if (last.kind !== 'integer') throw new InfluxQLStatementError(`expected integer as last argument in ${name}(), found ${describeArg(last)}`);
      if (last.value <= 0n) throw new InfluxQLStatementError(`limit (${last.value}) in ${name} function must be at least 1`);
      for (const mid of args.slice(1, -1)) {
        if (unparen(mid).kind !== 'ref') throw new InfluxQLStatementError(`only fields or tags are allowed in ${name}(), found ${describeArg(unparen(mid))}`);
      }
    }
    if (name === 'integral' && args.length === 2 && unparen(args[1]!).kind !== 'duration') throw new InfluxQLStatementError('second argument must be a duration');
    return;
  }
  if (TRANSFORMS.has(name)) {
    const arg = unparen(args[0]!);
    const isAggregate = arg.kind === 'call' && (AGGREGATES.has(arg.name) || SELECTORS.has(arg.name));
    if (isAggregate) {
      if (!hasGroupByTime) throw new InfluxQLStatementError(`${name} aggregate requires a GROUP BY interval`);
      checkCall(arg, hasGroupByTime);
    } else {
      if (hasGroupByTime) throw new InfluxQLStatementError(`aggregate function required inside the call to ${name}`);
      if (arg.kind !== 'ref') throw new InfluxQLStatementError(`expected field argument in ${name}()`);
    }
    if ((name === 'derivative' || name === 'non_negative_derivative' || name === 'elapsed') && args.length === 2) {
      const unit = unparen(args[1]!);
      if (unit.kind !== 'duration') throw new InfluxQLStatementError(`second argument to ${name} must be a duration, got ${describeArg(unit)}`);
      if (unit.ns <= 0n) throw new InfluxQLStatementError(`duration argument must be positive, got ${unit.ns}`);
    }
    if (name === 'moving_average') {
      const n = unparen(args[1]!);
      if (n.kind !== 'integer') throw new InfluxQLStatementError(`second argument for moving_average must be an integer, got ${describeArg(n)}`);
      if (n.value <= 1n) throw new InfluxQLStatementError(`moving_average window must be greater than 1, got ${n.value}`);
    }
    return;
  }
  // Math: the arguments may be raw values or aggregates.
  for (const a of args) walkCalls(a, hasGroupByTime);
}

function describeArg(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return `${e.value}`;
    case 'integer':
      return `${e.value}`;
    case 'string':
      return `'${e.value}'`;
    case 'ref':
      return e.name;
    case 'duration':
      return `${e.ns}ns`;
    default:
      return e.kind;
  }
}

function walkCalls(e: Expr, hasGroupByTime: boolean): void {
  e = unparen(e);
  if (e.kind === 'call') checkCall(e, hasGroupByTime);
  else if (e.kind === 'binary') {
    walkCalls(e.left, hasGroupByTime);
    walkCalls(e.right, hasGroupByTime);
  } else if (e.kind === 'neg') walkCalls(e.expr, hasGroupByTime);
}

/** The shape of a checked SELECT. */
export interface SelectShape {
  /** Whether the columns are aggregates (a row per window), else raw values. */
  isAggregate: boolean;
  /** Whether a transformation (derivative…) is among the columns. */
  hasTransform: boolean;
  /** The one selector whose point gives the time and the companions' values, if it stands alone. */
  loneSelector?: Extract<Expr, { kind: 'call' }>;
  /** Raw refs that ride along with the lone selector. */
  hasCompanions: boolean;
}

/**
 * Checks the field list (after wildcard expansion) against InfluxDB 1.x's rules; returns the
 * statement's shape.
 */
export function checkColumns(columns: readonly Column[], statement: SelectStatement): SelectShape {
  const hasGroupByTime = statement.dimensions.some((d) => d.kind === 'time');
  for (const c of columns) walkCalls(c.expr, hasGroupByTime);
  const calls = new Map<string, Extract<Expr, { kind: 'call' }>>();
  let rawColumns = 0;
  let transforms = 0;
  for (const c of columns) {
    for (const call of aggregateCalls(c.expr)) calls.set(exprKey(call), call);
    if (transformCalls(c.expr).length > 0) transforms++;
    if (rawRefs(c.expr).length > 0) rawColumns++;
  }
  const callList = [...calls.values()];
  for (const call of callList) {
    if (call.name === 'distinct' && (columns.length > 1 || callList.length > 1)) throw new InfluxQLStatementError('aggregate function distinct() cannot be combined with other functions or fields');
    if ((call.name === 'top' || call.name === 'bottom') && callList.length > 1) throw new InfluxQLStatementError(`selector function ${call.name}() cannot be combined with other functions`);
  }
  // Transformations mix with aggregates (derivative(mean(v)), mean(v)), never with raw values.
  const rawTransforms = columns.some((c) => transformCalls(c.expr).some((t) => unparen(t.args[0]!).kind !== 'call'));
  if ((transforms > 0 && rawColumns > 0) || (rawTransforms && (transforms < columns.length || calls.size > 0))) {
    throw new InfluxQLStatementError('mixing aggregate and non-aggregate queries is not supported');
  }
  const isAggregate = callList.length > 0;
  if (!isAggregate && hasGroupByTime) throw new InfluxQLStatementError('GROUP BY requires at least one aggregate function');
  let loneSelector: Extract<Expr, { kind: 'call' }> | undefined;
  if (callList.length === 1 && SELECTORS.has(callList[0]!.name)) loneSelector = callList[0];
  if (isAggregate && rawColumns > 0) {
    if (loneSelector === undefined) {
      const selectors = callList.filter((c) => SELECTORS.has(c.name)).length;
      if (selectors > 1 && selectors === callList.length) throw new InfluxQLStatementError('mixing multiple selector functions with tags or fields is not supported');
      throw new InfluxQLStatementError('mixing aggregate and non-aggregate queries is not supported');
    }
  }
  return { isAggregate, hasTransform: transforms > 0, ...(loneSelector === undefined ? {} : { loneSelector }), hasCompanions: isAggregate && rawColumns > 0 };
}

/** InfluxDB's name for a field without an alias: a call's function, a name, or the names in an expression joined by `_`. */
export function fieldName(e: Expr): string {
  e = unparen(e);
  switch (e.kind) {
    case 'call':
      return e.name;
    case 'ref':
      return e.name;
    case 'binary':
    case 'neg': {
      const names: string[] = [];
      const walk = (x: Expr) => {
        x = unparen(x);
        if (x.kind === 'call') names.push(x.name);
        else if (x.kind === 'ref') names.push(x.name);
        else if (x.kind === 'binary') {
          walk(x.left);
          walk(x.right);
        } else if (x.kind === 'neg') walk(x.expr);
      };
      walk(e);
      return names.join('_');
    }
    default:
      return '';
  }
}

/**
 * The columns of the field list: wildcards and regexes expanded over `schema` (tags and fields
 * sorted together, GROUP BY tags left out; inside a call, the fields the function accepts,
 * named `mean_usage`), then names given as InfluxDB gives them (aliases first, then `name_N`
 * for repeats). top()/bottom() with tag arguments add a column per tag.
 */
export function expandColumns(fields: readonly Field[], schema: SourceSchema, groupByTags: ReadonlySet<string>): Column[] {
  const expanded: Array<{ expr: Expr; alias?: string; name?: string }> = [];
  const sortedNames = (wantFields: boolean, wantTags: boolean, regex?: RegExp) => {
    const names: Array<{ name: string; isTag: boolean }> = [];
    if (wantFields) for (const f of schema.fields.keys()) if (regex === undefined || regex.test(f)) names.push({ name: f, isTag: false });
    if (wantTags) for (const t of schema.tags) if (!groupByTags.has(t) && !schema.fields.has(t) && (regex === undefined || regex.test(t))) names.push({ name: t, isTag: true });
    return names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };
  for (const f of fields) {
    const e = unparen(f.expr);
    if (e.kind === 'wildcard' || e.kind === 'regex') {
      const regex = e.kind === 'regex' ? compileRegex(e.pattern) : undefined;
      const cast = e.kind === 'wildcard' ? e.cast : undefined;
      for (const n of sortedNames(cast !== 'tag', cast !== 'field', regex)) expanded.push({ expr: { kind: 'ref', name: n.name, cast: n.isTag ? 'tag' : 'field' } });
      continue;
    }
    if (e.kind === 'call' && e.args.length > 0 && (unparen(e.args[0]!).kind === 'wildcard' || unparen(e.args[0]!).kind === 'regex')) {
      const arg = unparen(e.args[0]!) as Extract<Expr, { kind: 'wildcard' | 'regex' }>;
      const regex = arg.kind === 'regex' ? compileRegex(arg.pattern) : undefined;
      if (TRANSFORMS.has(e.name) || MATH.has(e.name) || e.name === 'top' || e.name === 'bottom') throw new InfluxQLStatementError(`unsupported expression with wildcard: ${e.name}()`);
      for (const n of sortedNames(true, false, regex)) {
        if (!acceptsType(e.name, schema.fields.get(n.name)!)) continue;
        expanded.push({ expr: { kind: 'call', name: e.name, args: [{ kind: 'ref', name: n.name }, ...e.args.slice(1)] }, name: `${f.alias ?? e.name}_${n.name}` });
      }
      continue;
    }
    expanded.push({ expr: f.expr, ...(f.alias === undefined ? {} : { alias: f.alias }) });
    if (e.kind === 'call' && (e.name === 'top' || e.name === 'bottom')) {
      for (const mid of e.args.slice(1, -1)) {
        const m = unparen(mid);
        if (m.kind === 'ref') expanded.push({ expr: { kind: 'ref', name: m.name, cast: 'tag' }, name: m.name });
      }
    }
  }
  const names: Array<string | undefined> = expanded.map((x) => x.alias);
  const used = new Map<string, number>();
  for (const n of names) if (n !== undefined) used.set(n, 1);
  for (let i = 0; i < expanded.length; i++) {
    if (names[i] !== undefined) continue;
    let name = expanded[i]!.name ?? fieldName(expanded[i]!.expr);
    const count = used.get(name);
    if (count !== undefined) {
      for (let k = count; ; k++) {
        const candidate = `${name}_${k}`;
        if (!used.has(candidate)) {
          used.set(name, k + 1);
          name = candidate;
          break;
        }
      }
    }
    used.set(name, (used.get(name) ?? 0) + 1);
    names[i] = name;
  }
  return expanded.map((x, i) => ({ name: names[i]!, expr: x.expr }));
}

/**
 * A regex of the language (Go's RE2 syntax) as a JavaScript RegExp, for names and subquery rows:
 * leading inline flags `(?i)`, `(?s)`, `(?m)` become RegExp flags; the rest of RE2 that JavaScript
 * reads the same is used as is.
 */
export function compileRegex(pattern: string): RegExp {
  let flags = '';
  let source = pattern;
  const inline = /^\(\?([imsU]+)\)/.exec(source);
  if (inline !== null) {
    for (const f of inline[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
    source = source.slice(inline[0].length);
  }
  try {
    return new RegExp(source, `${flags}u`);
  } catch {
    try {
      return new RegExp(source, flags);
    } catch (err) {
      throw new InfluxQLStatementError(`invalid regular expression /${pattern}/: ${(err as Error).message}`);
    }
  }
}
