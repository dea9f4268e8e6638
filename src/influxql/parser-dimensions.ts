/**
 * GROUP BY as InfluxDB 1.x prepares a SELECT: the parser accepts any expression there, then each
 * is constant-folded and must be `time(interval[, offset])` (once), a tag, `*` or a regex. What
 * fails is the statement's own error, not a parse error (InfluxDB answers it per statement).
 */
import type { Dimension, Expr } from './ast.js';
import { GO_ZERO_TO_UNIX_NS, quoteString } from './parser-values.js';

/** A statement-level problem InfluxDB reports when it prepares the statement, not when it parses it. */
export class StatementInvalid extends Error {}

/**
 * GROUP BY as InfluxDB prepares it: constant-folds each dimension, then accepts `time(interval[,
 * offset])` once, tags by name, `*` and regexes; anything else is the statement's error.
 */
export function compileDimensions(exprs: readonly Expr[], nowNs: bigint | undefined): Dimension[] {
  const out: Dimension[] = [];
  let intervalNs = 0n;
  for (const raw of exprs) {
    const expr = reduce(raw);
    switch (expr.kind) {
      case 'ref':
        if (expr.name.toLowerCase() === 'time') throw new StatementInvalid('time() is a function and expects at least one argument');
        out.push({ kind: 'tag', name: expr.name });
        break;
      case 'call': {
        if (expr.name !== 'time') throw new StatementInvalid('only time() calls allowed in dimensions');
        if (expr.args.length < 1 || expr.args.length > 2) throw new StatementInvalid('time dimension expected 1 or 2 arguments');
        const interval = expr.args[0]!;
        if (interval.kind !== 'duration') throw new StatementInvalid('time dimension must have duration argument');
        if (intervalNs !== 0n) throw new StatementInvalid('multiple time dimensions not allowed');
        intervalNs = interval.ns;
        let offsetNs = 0n;
        if (expr.args.length === 2) offsetNs = timeOffset(expr.args[1]!, intervalNs, nowNs);
        out.push({ kind: 'time', intervalNs, offsetNs });
        break;
      }
      case 'wildcard':
        out.push({ kind: 'wildcard' });
        break;
      case 'regex':
        out.push({ kind: 'regex', pattern: expr.pattern });
        break;
      default:
        throw new StatementInvalid('only time and tag dimensions allowed');
    }
  }
  return out;
}

function timeOffset(arg: Expr, intervalNs: bigint, nowNs: bigint | undefined): bigint {
  switch (arg.kind) {
    case 'duration':
      return intervalNs === 0n ? arg.ns : arg.ns % intervalNs;
    case 'call': {
      if (arg.name !== 'now') throw new StatementInvalid('time dimension offset function must be now()');
      if (arg.args.length !== 0) throw new StatementInvalid('time dimension offset now() function requires no arguments');
      if (intervalNs <= 0n) return 0n;
      const now = nowNs ?? BigInt(Date.now()) * 1_000_000n;
      // Go truncates times from its zero time (year 1), not from the Unix epoch.
      const sinceZero = now + GO_ZERO_TO_UNIX_NS;
      return ((sinceZero % intervalNs) + intervalNs) % intervalNs;
    }
    case 'string':
      if (/^\d{4}-\d{2}-\d{2}/.test(arg.value)) throw new StatementInvalid(`invalid time dimension offset: ${quoteString(arg.value)}`);
      throw new StatementInvalid('time dimension offset must be duration or now()');
    default:
      throw new StatementInvalid('time dimension offset must be duration or now()');
  }
}

/** InfluxDB's constant folding, as far as GROUP BY needs it: parentheses, signs and duration arithmetic. */
function reduce(e: Expr): Expr {
  switch (e.kind) {
    case 'paren':
      return reduce(e.expr);
    case 'neg': {
      const inner = reduce(e.expr);
      if (inner.kind === 'duration') return { kind: 'duration', ns: BigInt.asIntN(64, -inner.ns) };
      if (inner.kind === 'integer') return { kind: 'integer', value: BigInt.asIntN(64, -inner.value) };
      if (inner.kind === 'number') return { kind: 'number', value: -inner.value };
      return { kind: 'neg', expr: inner };
    }
    case 'call':
      return { kind: 'call', name: e.name, args: e.args.map(reduce) };
    case 'binary': {
      const l = reduce(e.left);
      const r = reduce(e.right);
      if (l.kind === 'duration' && r.kind === 'duration') {
        if (e.op === '+') return { kind: 'duration', ns: BigInt.asIntN(64, l.ns + r.ns) };
        if (e.op === '-') return { kind: 'duration', ns: BigInt.asIntN(64, l.ns - r.ns) };
      }
      if (l.kind === 'duration' && r.kind === 'integer') {
        if (e.op === '*') return { kind: 'duration', ns: BigInt.asIntN(64, l.ns * r.value) };
        if (e.op === '/' && r.value !== 0n) return { kind: 'duration', ns: BigInt.asIntN(64, l.ns / r.value) };
      }
      if (l.kind === 'integer' && r.kind === 'duration' && e.op === '*') return { kind: 'duration', ns: BigInt.asIntN(64, l.value * r.ns) };
      return { kind: 'binary', op: e.op, left: l, right: r };
    }
    default:
      return e;
  }
}
