/**
 * Expressions of a SELECT evaluated in JavaScript, with InfluxDB 1.x's arithmetic: integers stay
 * exact (and wrap at 64 bits), `/` gives a float, division or remainder by zero gives 0, `^` is
 * exclusive or; a null operand gives null. Also the WHERE condition over a subquery's rows.
 */
import type { Expr } from './ast.js';
import { applyMath, type Value } from './functions.js';
import { InfluxQLStatementError } from './executor.js';
import { exprKey, unparen } from './select-plan.js';

/** What an expression reads: a name (field or tag), or the value of a call computed beforehand. */
export interface EvalContext {
  ref(name: string, cast: string | undefined): Value | null;
  call(key: string): Value | null;
}

function isNum(v: Value | null): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Arithmetic between two values as InfluxDB 1.x does it. */
export function arithmetic(op: string, a: Value | null, b: Value | null, integerDivision = false): Value | null {
  if (a === null || b === null) return null;
  if (typeof a === 'boolean' && typeof b === 'boolean') {
    if (op === '&') return a && b;
    if (op === '|') return a || b;
    if (op === '^') return a !== b;
    return null;
  }
  if (!isNum(a) || !isNum(b)) return null;
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    switch (op) {
      case '+':
        return BigInt.asIntN(64, a + b);
      case '-':
        return BigInt.asIntN(64, a - b);
      case '*':
        return BigInt.asIntN(64, a * b);
      case '/':
        // In a WHERE clause 1.x divides integers as integers; in the field list, as floats.
        if (integerDivision) return b === 0n ? 0n : a / b;
        return b === 0n ? 0 : Number(a) / Number(b);
      case '%':
        return b === 0n ? 0n : a % b;
      case '&':
        return a & b;
      case '|':
        return a | b;
      case '^':
        return a ^ b;
      default:
        return null;
    }
  }
  const x = Number(a);
  const y = Number(b);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return y === 0 ? 0 : x / y;
    case '%':
      return y === 0 ? 0 : x % y;
    default:
      return null;
  }
}

/** The value of a field expression (calls already computed, found by their key). */
export function evaluate(e: Expr, ctx: EvalContext, inCondition = false): Value | null {
  e = unparen(e);
  switch (e.kind) {
    case 'number':
      return e.value;
    case 'integer':
      return e.value;
    case 'string':
      return e.value;
    case 'boolean':
      return e.value;
    case 'duration':
      return e.ns;
    case 'ref':
      return ctx.ref(e.name, e.cast);
    case 'neg': {
      const v = evaluate(e.expr, ctx, inCondition);
      return typeof v === 'bigint' ? BigInt.asIntN(64, -v) : typeof v === 'number' ? -v : null;
    }
    case 'binary':
      return arithmetic(e.op, evaluate(e.left, ctx, inCondition), evaluate(e.right, ctx, inCondition), inCondition);
    case 'call':
      if (isMathCall(e)) return applyMath(e.name, evaluate(e.args[0]!, ctx), e.args.length > 1 ? evaluate(e.args[1]!, ctx) : undefined);
      return ctx.call(exprKey(e));
    default:
      return null;
  }
}

function isMathCall(e: Extract<Expr, { kind: 'call' }>): boolean {
  return ['abs', 'ceil', 'floor', 'round', 'sqrt', 'ln', 'log', 'log2', 'log10', 'pow', 'exp', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2'].includes(e.name);
}

function compare(op: string, a: Value | null, b: Value | null): boolean {
  if (a === null || b === null) return false;
  let c: number;
  if (isNum(a) && isNum(b)) {
    if (typeof a === 'bigint' && typeof b === 'bigint') c = a < b ? -1 : a > b ? 1 : 0;
    else c = Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  } else if (typeof a === 'string' && typeof b === 'string') c = a < b ? -1 : a > b ? 1 : 0;
  else if (typeof a === 'boolean' && typeof b === 'boolean') {
    if (op !== '=' && op !== '!=' && op !== '<>') return false;
    c = a === b ? 0 : 1;
  } else return false;
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    default:
      return false;
  }
}

/**
 * A WHERE condition over one row in JavaScript (for rows that come from a subquery): tags read
 * as '' when missing (`isTag` tells tags from fields), regexes matched anywhere in the value.
 */
export function matches(e: Expr, row: (name: string) => Value | null, isTag: (name: string) => boolean, regex: (pattern: string) => RegExp): boolean {
  e = unparen(e);
  if (e.kind === 'boolean') return e.value;
  if (e.kind !== 'binary') return false;
  if (e.op === 'AND') return matches(e.left, row, isTag, regex) && matches(e.right, row, isTag, regex);
  if (e.op === 'OR') return matches(e.left, row, isTag, regex) || matches(e.right, row, isTag, regex);
  const value = (x: Expr): Value | null => {
    x = unparen(x);
    if (x.kind === 'ref') {
      const v = row(x.name);
      if (v === null && (isTag(x.name) || x.cast === 'tag')) return '';
      return v;
    }
    return evaluate(x, { ref: (n) => row(n), call: () => null }, true);
  };
  if (e.op === '=~' || e.op === '!~') {
    const l = unparen(e.left);
    const r = unparen(e.right);
    const [subject, re] = r.kind === 'regex' ? [l, r] : l.kind === 'regex' ? [r, l] : [undefined, undefined];
    if (subject === undefined || re?.kind !== 'regex') throw new InfluxQLStatementError(`invalid operation: ${e.op} needs a regular expression`);
    const v = value(subject);
    if (typeof v !== 'string') return false;
    const m = regex(re.pattern).test(v);
    return e.op === '=~' ? m : !m;
  }
  if (['=', '!=', '<>', '<', '<=', '>', '>='].includes(e.op)) {
    // A tag compares only for equality (InfluxDB 1.x).
    const l = unparen(e.left);
    const r = unparen(e.right);
    const tagged = (x: Expr) => x.kind === 'ref' && (x.cast === 'tag' || isTag(x.name));
    if ((tagged(l) || tagged(r)) && !['=', '!=', '<>'].includes(e.op)) return false;
    return compare(e.op, value(e.left), value(e.right));
  }
  return false;
}
