/**
 * InfluxQL's parser: text → {@link Query}, statement for statement as InfluxDB 1.x parses it —
 * the same grammar, the same token-by-token lookahead and so the same error messages
 * (`found WHERE, expected identifier, string, number, bool at line 1, char 15`), which clients
 * show to people and which the HTTP layer returns after `error parsing query: `.
 *
 * Statements Sluice does not run (DROP, GRANT, CREATE USER…) are parsed in full, so a malformed
 * one fails as it does in InfluxDB, and become `{ kind: 'unsupported', name }`.
 *
 * Hostile input: nesting (parentheses, calls, subqueries) deeper than {@link MAX_NESTING} and
 * expression trees deeper than {@link MAX_EXPR_DEPTH} are parse errors, so neither the parser nor
 * the code that walks its tree can overflow the stack; every step consumes input, so time is linear.
 * docs/influxql-syntax.md is the reference (tokens, statements, InfluxDB's quirks kept, differences).
 */
import type { BinaryOp, Cast, Expr, Field, Fill, Query, SelectStatement, Source, Statement } from './ast.js';
import { Scanner, Tok, TokenBuffer, isOperator, precedence, quoteIdent, tokenName, type Token } from './lexer.js';
import { InfluxQLParseError } from './parse-error.js';
import { StatementInvalid, compileDimensions } from './parser-dimensions.js';
import {
  INT64_MAX, UINT64_MAX, bindValue, goQuote, isKnownTimeZone, parseDuration, parseGoFloat, parseGoInteger, parseIntClamped,
  type BoundParameterValue,
} from './parser-values.js';
import { regexSyntaxError } from './regex-syntax.js';

export { InfluxQLParseError } from './parse-error.js';
export type { BoundParameterValue } from './parser-values.js';

/** Deepest nesting of parentheses, calls and subqueries accepted. */
export const MAX_NESTING = 200;
/** Deepest expression tree accepted (a chain of 1000 `OR`s is 1000 deep). */
export const MAX_EXPR_DEPTH = 1000;

/** What parseQuery needs beyond the text. */
export interface ParseOptions {
  /** The time `now()` means in `GROUP BY time(…, now())`, in ns since the epoch (default: the clock). */
  nowNs?: bigint;
  /**
   * Values of `$name` parameters. Given, they replace the tokens as InfluxDB does (a missing one is
   * `missing parameter: name`). Absent, `$name` in an expression stays a `param` node.
   */
  params?: Readonly<Record<string, BoundParameterValue>>;
}

/** Parses a query of `;`-separated statements (empty statements between are allowed). */
export function parseQuery(text: string, options: ParseOptions = {}): Query {
  return new Parser(text, options).parseQuery();
}

interface SortField {
  name: string;
  ascending: boolean;
}

type TargetRequirement = 'required' | 'notRequired' | 'subquery';

const BINARY_OPS = new Map<Tok, BinaryOp>([
  [Tok.ADD, '+'], [Tok.SUB, '-'], [Tok.MUL, '*'], [Tok.DIV, '/'], [Tok.MOD, '%'],
  [Tok.BITWISE_AND, '&'], [Tok.BITWISE_OR, '|'], [Tok.BITWISE_XOR, '^'],
  [Tok.AND, 'AND'], [Tok.OR, 'OR'],
  [Tok.EQ, '='], [Tok.NEQ, '!='], [Tok.EQREGEX, '=~'], [Tok.NEQREGEX, '!~'],
  [Tok.LT, '<'], [Tok.LTE, '<='], [Tok.GT, '>'], [Tok.GTE, '>='],
]);

const WHERE_ONLY_OPS = new Set<BinaryOp>(['=', '!=', '<>', '=~', '!~', '<', '<=', '>', '>=', 'AND', 'OR']);

class Parser {
  private readonly s: TokenBuffer;
  private readonly scanner: Scanner;
  private nesting = 0;
  /** Depth of each compound expression node built (leaves are 1). */
  private readonly depth = new WeakMap<Expr, number>();
  /** Set while parsing a SELECT: the first dimension error InfluxDB would report when it prepares it. */
  private dimensionError: string | undefined;

  constructor(private readonly text: string, private readonly options: ParseOptions) {
    this.scanner = new Scanner(text);
    this.s = new TokenBuffer(this.scanner);
  }

  // ---------------------------------------------------------------- tokens

  private scan(): Token {
    return this.substitute(this.s.scan());
  }

  private scanRegex(): Token {
    return this.substitute(this.s.scanRegex());
  }

  /** Replaces a `$name` token by its bound value's token, as InfluxDB does while it scans. */
  private substitute(t: Token): Token {
    if (t.tok !== Tok.BOUNDPARAM || this.options.params === undefined) return t;
    const name = t.lit.slice(1);
    if (name.length === 0 || !Object.prototype.hasOwnProperty.call(this.options.params, name)) return t;
    const [tok, lit] = bindValue(this.options.params[name]!);
    return { tok, lit, line: t.line, char: t.char, start: t.start };
  }

  private scanIgnoreWhitespace(): Token {
    for (;;) {
      const t = this.scan();
      if (t.tok !== Tok.WS && t.tok !== Tok.COMMENT) return t;
    }
  }

  private consumeWhitespace(): void {
    if (this.scan().tok !== Tok.WS) this.unscan();
  }

  private unscan(): void {
    this.s.unscan();
  }

  private peekRune(): number {
    return this.scanner.peekRune();
  }

  // ---------------------------------------------------------------- errors

  private expected(t: Token, expected: readonly string[]): InfluxQLParseError {
    return positioned(`found ${tokstr(t)}, expected ${expected.join(', ')}`, t.line, t.char);
  }

  private parseTokens(toks: readonly Tok[]): void {
    for (const expected of toks) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok !== expected) throw this.expected(t, [tokenName(expected)]);
    }
  }

  private enter(t: Token): void {
    if (++this.nesting > MAX_NESTING) {
      throw positioned(`nesting deeper than ${MAX_NESTING} levels (parentheses, calls or subqueries)`, t.line, t.char);
    }
  }

  private leave(): void {
    this.nesting--;
  }

  // ---------------------------------------------------------------- query and statements

  parseQuery(): Query {
    const statements: Statement[] = [];
    let semi = true;
    for (;;) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok === Tok.EOF) return { statements };
      if (t.tok === Tok.SEMICOLON) {
        semi = true;
        continue;
      }
      if (!semi) throw this.expected(t, [';']);
      this.unscan();
      statements.push(this.parseStatement());
      semi = false;
    }
  }

  private parseStatement(): Statement {
    const t = this.scanIgnoreWhitespace();
    switch (t.tok) {
      case Tok.SELECT:
        return this.parseTopSelect();
      case Tok.DELETE:
        this.parseDeleteOrDropSeries();
        return unsupported('DELETE');
      case Tok.SHOW:
        return this.parseShow();
      case Tok.CREATE:
        return this.parseCreate();
      case Tok.DROP:
        return this.parseDrop();
      case Tok.EXPLAIN:
        return this.parseExplain();
      case Tok.GRANT:
        this.parseGrant();
        return unsupported('GRANT');
      case Tok.REVOKE:
        this.parseRevoke();
        return unsupported('REVOKE');
      case Tok.ALTER:
        this.expectPath([Tok.RETENTION, Tok.POLICY], [['RETENTION'], ['POLICY']]);
        this.parseAlterRetentionPolicy();
        return unsupported('ALTER RETENTION POLICY');
      case Tok.SET:
        this.expectPath([Tok.PASSWORD, Tok.FOR], [['PASSWORD'], ['FOR']]);
        this.parseIdent();
        { const eq = this.scanIgnoreWhitespace(); if (eq.tok !== Tok.EQ) throw this.expected(eq, ['=']); }
        this.parseString();
        return unsupported('SET PASSWORD');
      case Tok.KILL:
        this.expectPath([Tok.QUERY], [['QUERY']]);
        this.parseUInt64();
        if (this.scanIgnoreWhitespace().tok === Tok.ON) this.parseIdent();
        else this.unscan();
        return unsupported('KILL QUERY');
      default:
        throw this.expected(t, ['SELECT', 'DELETE', 'SHOW', 'CREATE', 'DROP', 'EXPLAIN', 'GRANT', 'REVOKE', 'ALTER', 'SET', 'KILL']);
    }
  }

  /** Consumes a fixed keyword path (`RETENTION POLICY`), failing as InfluxDB's parse tree does at each step. */
  private expectPath(toks: readonly Tok[], keys: readonly (readonly string[])[]): void {
    for (let i = 0; i < toks.length; i++) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok !== toks[i]) throw this.expected(t, keys[i]!);
    }
  }

  private parseTopSelect(): Statement {
    this.dimensionError = undefined;
    const stmt = this.parseSelectStatement('notRequired');
    const error = this.dimensionError;
    this.dimensionError = undefined;
    return error === undefined ? stmt : { kind: 'invalid', error };
  }

  private parseShow(): Statement {
    const showKeys = ['CONTINUOUS', 'DATABASES', 'DIAGNOSTICS', 'FIELD', 'GRANTS', 'MEASUREMENT', 'MEASUREMENTS', 'QUERIES', 'RETENTION', 'SERIES', 'SHARD', 'SHARDS', 'STATS', 'SUBSCRIPTIONS', 'TAG', 'USERS'];
    const t = this.scanIgnoreWhitespace();
    switch (t.tok) {
      case Tok.CONTINUOUS:
        this.expectPath([Tok.QUERIES], [['QUERIES']]);
        return unsupported('SHOW CONTINUOUS QUERIES');
      case Tok.DATABASES:
        return { kind: 'showDatabases' };
      case Tok.DIAGNOSTICS:
        if (this.scanIgnoreWhitespace().tok === Tok.FOR) this.parseString();
        else this.unscan();
        return unsupported('SHOW DIAGNOSTICS');
      case Tok.FIELD: {
        const k = this.scanIgnoreWhitespace();
        if (k.tok === Tok.KEY) return this.parseShowCardinalityAfterKey('fieldKey');
        if (k.tok === Tok.KEYS) return this.parseShowFieldKeys();
        throw this.expected(k, ['KEY', 'KEYS']);
      }
      case Tok.GRANTS:
        this.expectPath([Tok.FOR], [['FOR']]);
        this.parseIdent();
        return unsupported('SHOW GRANTS');
      case Tok.MEASUREMENT: {
        const k = this.scanIgnoreWhitespace();
        if (k.tok === Tok.EXACT) {
          const c = this.scanIgnoreWhitespace();
          if (c.tok !== Tok.CARDINALITY) throw this.expected(c, ['CARDINALITY']);
          return this.parseShowCardinalityBody('measurement', true);
        }
        if (k.tok === Tok.CARDINALITY) return this.parseShowCardinalityBody('measurement', false);
        throw this.expected(k, ['EXACT', 'CARDINALITY']);
      }
      case Tok.MEASUREMENTS:
        return this.parseShowMeasurements();
      case Tok.QUERIES:
        return unsupported('SHOW QUERIES');
      case Tok.RETENTION: {
        this.expectPath([Tok.POLICIES], [['POLICIES']]);
        if (this.scanIgnoreWhitespace().tok === Tok.ON) return { kind: 'showRetentionPolicies', database: this.parseIdent() };
        this.unscan();
        return { kind: 'showRetentionPolicies' };
      }
      case Tok.SERIES:
        return this.parseShowSeries();
      case Tok.SHARD:
        this.expectPath([Tok.GROUPS], [['GROUPS']]);
        return unsupported('SHOW SHARD GROUPS');
      case Tok.SHARDS:
        return unsupported('SHOW SHARDS');
      case Tok.STATS:
        if (this.scanIgnoreWhitespace().tok === Tok.FOR) this.parseString();
        else this.unscan();
        return unsupported('SHOW STATS');
      case Tok.SUBSCRIPTIONS:
        return unsupported('SHOW SUBSCRIPTIONS');
      case Tok.TAG: {
        const k = this.scanIgnoreWhitespace();
        if (k.tok === Tok.KEY) return this.parseShowCardinalityAfterKey('tagKey');
        if (k.tok === Tok.KEYS) return this.parseShowTagKeys();
        if (k.tok === Tok.VALUES) return this.parseShowTagValues();
        throw this.expected(k, ['KEY', 'KEYS', 'VALUES']);
      }
      case Tok.USERS:
        return unsupported('SHOW USERS');
      default:
        throw this.expected(t, showKeys);
    }
  }

  private parseCreate(): Statement {
    const t = this.scanIgnoreWhitespace();
    switch (t.tok) {
      case Tok.CONTINUOUS:
        this.expectPath([Tok.QUERY], [['QUERY']]);
        this.parseCreateContinuousQuery();
        return unsupported('CREATE CONTINUOUS QUERY');
      case Tok.DATABASE:
        return this.parseCreateDatabase();
      case Tok.USER:
        this.parseIdent();
        this.parseTokens([Tok.WITH, Tok.PASSWORD]);
        this.parseString();
        if (this.scanIgnoreWhitespace().tok !== Tok.WITH) this.unscan();
        else this.parseTokens([Tok.ALL, Tok.PRIVILEGES]);
        return unsupported('CREATE USER');
      case Tok.RETENTION:
        this.expectPath([Tok.POLICY], [['POLICY']]);
        this.parseCreateRetentionPolicy();
        return unsupported('CREATE RETENTION POLICY');
      case Tok.SUBSCRIPTION:
        this.parseCreateSubscription();
        return unsupported('CREATE SUBSCRIPTION');
      default:
        throw this.expected(t, ['CONTINUOUS', 'DATABASE', 'USER', 'RETENTION', 'SUBSCRIPTION']);
    }
  }

  private parseDrop(): Statement {
    const t = this.scanIgnoreWhitespace();
    switch (t.tok) {
      case Tok.CONTINUOUS:
        this.expectPath([Tok.QUERY], [['QUERY']]);
        this.parseIdent();
        this.expectOn();
        this.parseIdent();
        return unsupported('DROP CONTINUOUS QUERY');
      case Tok.DATABASE:
        this.parseIdent();
        return unsupported('DROP DATABASE');
      case Tok.MEASUREMENT:
        this.parseIdent();
        return unsupported('DROP MEASUREMENT');
      case Tok.RETENTION:
        this.expectPath([Tok.POLICY], [['POLICY']]);
        this.parseIdent();
        this.expectOn();
        this.parseIdent();
        return unsupported('DROP RETENTION POLICY');
      case Tok.SERIES:
        this.parseDeleteOrDropSeries();
        return unsupported('DROP SERIES');
      case Tok.SHARD:
        this.parseUInt64();
        return unsupported('DROP SHARD');
      case Tok.SUBSCRIPTION:
        this.parseIdent();
        this.expectOn();
        this.parseIdent();
        { const dot = this.scan(); if (dot.tok !== Tok.DOT) throw this.expected(dot, ['.']); }
        this.parseIdent();
        return unsupported('DROP SUBSCRIPTION');
      case Tok.USER:
        this.parseIdent();
        return unsupported('DROP USER');
      default:
        throw this.expected(t, ['CONTINUOUS', 'DATABASE', 'MEASUREMENT', 'RETENTION', 'SERIES', 'SHARD', 'SUBSCRIPTION', 'USER']);
    }
  }

  private expectOn(): void {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.ON) throw this.expected(t, ['ON']);
  }

  private parseExplain(): Statement {
    let analyze = false;
    if (this.scanIgnoreWhitespace().tok === Tok.ANALYZE) analyze = true;
    else this.unscan();
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.SELECT) throw this.expected(t, ['SELECT']);
    this.parseSelectStatement('notRequired');
    this.dimensionError = undefined;
    return unsupported(analyze ? 'EXPLAIN ANALYZE' : 'EXPLAIN');
  }

  // ---------------------------------------------------------------- SELECT

  private parseSelectStatement(tr: TargetRequirement): SelectStatement {
    const fields = this.parseFields();
    const into = this.parseTarget(tr);
    const from = this.scanIgnoreWhitespace();
    if (from.tok !== Tok.FROM) throw this.expected(from, ['FROM']);
    const sources = this.parseSources(true);
    const condition = this.parseCondition();
    const dimensions = this.parseDimensions();
    const fill = this.parseFill();
    const sort = this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(Tok.LIMIT);
    const offset = this.parseOptionalTokenAndInt(Tok.OFFSET);
    const slimit = this.parseOptionalTokenAndInt(Tok.SLIMIT);
    const soffset = this.parseOptionalTokenAndInt(Tok.SOFFSET);
    const timezone = this.parseLocation();

    const stmt: SelectStatement = { kind: 'select', fields, sources, dimensions: [], descending: false };
    if (into !== undefined) stmt.into = into;
    if (condition !== undefined) stmt.condition = condition;
    if (dimensions !== undefined && this.dimensionError === undefined) {
      try {
        stmt.dimensions = compileDimensions(dimensions, this.options.nowNs);
      } catch (err) {
        if (!(err instanceof StatementInvalid)) throw err;
        this.dimensionError = err.message;
      }
    }
    if (fill !== undefined) stmt.fill = fill;
    if (sort !== undefined && sort.length > 0) stmt.descending = !sort[0]!.ascending;
    if (limit !== undefined) stmt.limit = limit;
    if (offset !== undefined) stmt.offset = offset;
    if (slimit !== undefined) stmt.slimit = slimit;
    if (soffset !== undefined) stmt.soffset = soffset;
    if (timezone !== undefined) stmt.timezone = timezone;
    return stmt;
  }

  private parseFields(): Field[] {
    const fields: Field[] = [];
    for (;;) {
      fields.push(this.parseField());
      if (this.scan().tok !== Tok.COMMA) {
        this.unscan();
        return fields;
      }
    }
  }

  private parseField(): Field {
    let expr: Expr;
    const re = this.parseRegex();
    if (re !== undefined) {
      expr = re;
    } else {
      const first = this.scanIgnoreWhitespace();
      this.unscan();
      expr = this.parseExpr();
      const bad = findWhereOnlyOperator(expr);
      if (bad !== undefined) {
        throw new InfluxQLParseError(
          `invalid operator ${bad === '<>' ? '!=' : bad} in SELECT clause at line ${first.line + 1}, char ${first.char + 1}; operator is intended for WHERE clause`,
          first.line + 1,
          first.char + 1,
        );
      }
    }
    const alias = this.parseAlias();
    this.consumeWhitespace();
    return alias === undefined ? { expr } : { expr, alias };
  }

  private parseAlias(): string | undefined {
    if (this.scanIgnoreWhitespace().tok !== Tok.AS) {
      this.unscan();
      return undefined;
    }
    return this.parseIdent();
  }

  private parseTarget(tr: TargetRequirement): Source | undefined {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.INTO) {
      if (tr === 'required') throw this.expected(t, ['INTO']);
      this.unscan();
      return undefined;
    }
    const idents = this.parseSegmentedIdents();
    if (idents.length < 3 && this.peekRune() === 58) {
      this.parseTokens([Tok.COLON, Tok.MEASUREMENT]);
      idents.push('');
    }
    switch (idents.length) {
      case 1:
        return { kind: 'measurement', name: idents[0]! };
      case 2:
        return { kind: 'measurement', retentionPolicy: idents[0]!, name: idents[1]! };
      default:
        return { kind: 'measurement', database: idents[0]!, retentionPolicy: idents[1]!, name: idents[2]! };
    }
  }

  private parseSources(subqueries: boolean): Source[] {
    const sources: Source[] = [];
    for (;;) {
      sources.push(this.parseSource(subqueries));
      if (this.scanIgnoreWhitespace().tok !== Tok.COMMA) {
        this.unscan();
        return sources;
      }
    }
  }

  private parseSource(subqueries: boolean): Source {
    let re = this.parseRegex();
    if (re !== undefined) return { kind: 'measurement', regex: re.pattern };
    if (subqueries) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok === Tok.LPAREN) {
        this.enter(t);
        this.parseTokens([Tok.SELECT]);
        const statement = this.parseSelectStatement('subquery');
        this.parseTokens([Tok.RPAREN]);
        this.leave();
        return { kind: 'subquery', statement };
      }
      this.unscan();
    }
    const idents = this.parseSegmentedIdents();
    if (idents.length === 3) return measurement(idents[0]!, idents[1]!, idents[2]!, undefined);
    re = this.parseRegex();
    if (idents.length === 1) {
      return re !== undefined ? measurement(undefined, idents[0]!, undefined, re.pattern) : measurement(undefined, undefined, idents[0]!, undefined);
    }
    return re !== undefined
      ? measurement(idents[0]!, idents[1]!, undefined, re.pattern)
      : measurement(undefined, idents[0]!, idents[1]!, undefined);
  }

  private parseCondition(): Expr | undefined {
    if (this.scanIgnoreWhitespace().tok !== Tok.WHERE) {
      this.unscan();
      return undefined;
    }
    return this.parseExpr();
  }

  /** GROUP BY: the expressions as written (InfluxDB checks them when it prepares the statement). */
  private parseDimensions(): Expr[] | undefined {
    if (this.scanIgnoreWhitespace().tok !== Tok.GROUP) {
      this.unscan();
      return undefined;
    }
    const by = this.scanIgnoreWhitespace();
    if (by.tok !== Tok.BY) throw this.expected(by, ['BY']);
    const dimensions: Expr[] = [];
    for (;;) {
      const re = this.parseRegex();
      if (re !== undefined) {
        dimensions.push(re);
      } else {
        dimensions.push(this.parseExpr());
        this.consumeWhitespace();
      }
      if (this.scan().tok !== Tok.COMMA) {
        this.unscan();
        return dimensions;
      }
    }
  }

  private parseFill(): Fill | undefined {
    const t = this.scanIgnoreWhitespace();
    this.unscan();
    if (t.tok !== Tok.IDENT || t.lit.toLowerCase() !== 'fill') return undefined;
    const expr = this.parseExpr();
    if (expr.kind !== 'call') throw new InfluxQLParseError('fill must be a function call');
    if (expr.args.length !== 1) throw new InfluxQLParseError('fill requires an argument, e.g.: 0, null, none, previous, linear');
    const arg = expr.args[0]!;
    if (arg.kind === 'ref' && arg.cast === undefined) {
      switch (arg.name) {
        case 'null': return { mode: 'null' };
        case 'none': return { mode: 'none' };
        case 'previous': return { mode: 'previous' };
        case 'linear': return { mode: 'linear' };
      }
    }
    if (arg.kind === 'integer' && arg.value <= INT64_MAX) return { mode: 'value', value: arg.value };
    if (arg.kind === 'number') return { mode: 'value', value: arg.value };
    throw new InfluxQLParseError('expected number argument in fill()');
  }

  private parseLocation(): string | undefined {
    const t = this.scanIgnoreWhitespace();
    this.unscan();
    if (t.tok !== Tok.IDENT || t.lit.toLowerCase() !== 'tz') return undefined;
    const expr = this.parseExpr();
    if (expr.kind !== 'call') throw new InfluxQLParseError('tz must be a function call');
    if (expr.args.length !== 1) throw new InfluxQLParseError('tz requires exactly one argument');
    const arg = expr.args[0]!;
    if (arg.kind !== 'string') throw new InfluxQLParseError('expected string argument in tz()');
    if (!isKnownTimeZone(arg.value)) throw new InfluxQLParseError(`unable to find time zone ${arg.value}`);
    return arg.value;
  }

  private parseOptionalTokenAndInt(tok: Tok): number | undefined {
    if (this.scanIgnoreWhitespace().tok !== tok) {
      this.unscan();
      return undefined;
    }
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.INTEGER) throw this.expected(t, ['integer']);
    const n = parseIntClamped(t.lit);
    if (n < 0n) throw positioned(`${tokenName(tok)} must be >= 0`, t.line, t.char);
    return Number(n);
  }

  private parseOrderBy(): SortField[] | undefined {
    if (this.scanIgnoreWhitespace().tok !== Tok.ORDER) {
      this.unscan();
      return undefined;
    }
    const by = this.scanIgnoreWhitespace();
    if (by.tok !== Tok.BY) throw this.expected(by, ['BY']);
    const fields: SortField[] = [];
    const t = this.scanIgnoreWhitespace();
    if (t.tok === Tok.ASC || t.tok === Tok.DESC) {
      fields.push({ name: '', ascending: t.tok === Tok.ASC });
    } else if (t.tok === Tok.IDENT) {
      this.unscan();
      const field = this.parseSortField();
      if (t.lit !== 'time') throw new InfluxQLParseError('only ORDER BY time supported at this time');
      fields.push(field);
    } else {
      throw this.expected(t, ['identifier', 'ASC', 'DESC']);
    }
    for (;;) {
      if (this.scanIgnoreWhitespace().tok !== Tok.COMMA) {
        this.unscan();
        break;
      }
      fields.push(this.parseSortField());
    }
    if (fields.length > 1) throw new InfluxQLParseError('only ORDER BY time supported at this time');
    return fields;
  }

  private parseSortField(): SortField {
    const name = this.parseIdent();
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.ASC && t.tok !== Tok.DESC) {
      this.unscan();
      return { name, ascending: true };
    }
    return { name, ascending: t.tok === Tok.ASC };
  }

  // ---------------------------------------------------------------- expressions

  /** An expression: binary operators by InfluxDB's precedence, left-associative. */
  private parseExpr(): Expr {
    return this.parseBinary(this.parseUnaryExpr(), 1);
  }

  /** Precedence climbing: the same tree InfluxDB's right-spine insertion builds. */
  private parseBinary(left: Expr, minPrecedence: number): Expr {
    for (;;) {
      const opTok = this.scanIgnoreWhitespace();
      const prec = isOperator(opTok.tok) ? precedence(opTok.tok) : 0;
      if (prec < minPrecedence || prec === 0) {
        this.unscan();
        return left;
      }
      let right = this.parseOperand(opTok);
      for (;;) {
        const next = this.scanIgnoreWhitespace();
        const nextPrec = isOperator(next.tok) ? precedence(next.tok) : 0;
        this.unscan();
        if (nextPrec <= prec) break;
        right = this.parseBinary(right, prec + 1);
      }
      left = this.binary(BINARY_OPS.get(opTok.tok)!, left, right, opTok);
    }
  }

  private parseOperand(op: Token): Expr {
    if (op.tok !== Tok.EQREGEX && op.tok !== Tok.NEQREGEX) return this.parseUnaryExpr();
    const re = this.parseRegex();
    if (re === undefined) throw this.expected(this.scanIgnoreWhitespace(), ['regex']);
    return re;
  }

  private binary(op: BinaryOp, left: Expr, right: Expr, at: Token): Expr {
    const node: Expr = { kind: 'binary', op, left, right };
    this.setDepth(node, 1 + Math.max(this.depthOf(left), this.depthOf(right)), at);
    return node;
  }

  private depthOf(e: Expr): number {
    return this.depth.get(e) ?? 1;
  }

  private setDepth(e: Expr, d: number, at: Token): void {
    if (d > MAX_EXPR_DEPTH) throw positioned(`expression deeper than ${MAX_EXPR_DEPTH} levels`, at.line, at.char);
    if (d > 1) this.depth.set(e, d);
  }

  private parseUnaryExpr(): Expr {
    const first = this.scanIgnoreWhitespace();
    if (first.tok === Tok.LPAREN) {
      this.enter(first);
      const inner = this.parseExpr();
      const close = this.scanIgnoreWhitespace();
      if (close.tok !== Tok.RPAREN) throw this.expected(close, [')']);
      this.leave();
      const node: Expr = { kind: 'paren', expr: inner };
      this.setDepth(node, 1 + this.depthOf(inner), first);
      return node;
    }
    this.unscan();

    const t = this.scanIgnoreWhitespace();
    switch (t.tok) {
      case Tok.IDENT: {
        if (this.scan().tok === Tok.LPAREN) return this.parseCall(t.lit, t);
        this.unscan();
        this.unscan();
        return this.parseVarRef();
      }
      case Tok.DISTINCT: {
        const t0 = this.scan();
        if (t0.tok === Tok.LPAREN) return this.parseCall('distinct', t);
        if (t0.tok === Tok.WS) {
          const t1 = this.scanIgnoreWhitespace();
          if (t1.tok !== Tok.IDENT) throw this.expected(t1, ['identifier']);
          return { kind: 'call', name: 'distinct', args: [{ kind: 'ref', name: t1.lit }] };
        }
        throw this.expected(t0, ['(', 'identifier']);
      }
      case Tok.STRING:
        return { kind: 'string', value: t.lit };
      case Tok.NUMBER: {
        const value = parseGoFloat(t.lit);
        if (value === undefined) throw positioned('unable to parse number', t.line, t.char);
        return { kind: 'number', value };
      }
      case Tok.INTEGER: {
        const value = parseGoInteger(t.lit);
        if (value === undefined) throw positioned('unable to parse integer', t.line, t.char);
        return { kind: 'integer', value };
      }
      case Tok.TRUE:
      case Tok.FALSE:
        return { kind: 'boolean', value: t.tok === Tok.TRUE };
      case Tok.DURATIONVAL:
        return { kind: 'duration', ns: parseDuration(t.lit) };
      case Tok.MUL: {
        if (this.scan().tok !== Tok.DOUBLECOLON) {
          this.unscan();
          return { kind: 'wildcard' };
        }
        const c = this.scan();
        if (c.tok === Tok.FIELD) return { kind: 'wildcard', cast: 'field' };
        if (c.tok === Tok.TAG) return { kind: 'wildcard', cast: 'tag' };
        throw this.expected(c, ['field', 'tag']);
      }
      case Tok.REGEX:
        return { kind: 'regex', pattern: this.checkRegex(t) };
      case Tok.BOUNDPARAM: {
        const name = t.lit.startsWith('$') ? t.lit.slice(1) : t.lit;
        if (name.length === 0) throw new InfluxQLParseError('empty bound parameter');
        const params = this.options.params;
        if (params === undefined) return { kind: 'param', name };
        if (!Object.prototype.hasOwnProperty.call(params, name)) throw new InfluxQLParseError(`missing parameter: ${name}`);
        // A bound value that is still a parameter token is an error value: its text is the error.
        throw new InfluxQLParseError(bindValue(params[name]!)[1]);
      }
      case Tok.ADD:
      case Tok.SUB:
        return this.parseSigned(t);
      default:
        throw this.expected(t, ['identifier', 'string', 'number', 'bool']);
    }
  }

  /** `-x` / `+x`: folded into a literal; on a name, call or parentheses a `neg` node (`+` drops). */
  private parseSigned(sign: Token): Expr {
    const negative = sign.tok === Tok.SUB;
    const t0 = this.scanIgnoreWhitespace();
    switch (t0.tok) {
      case Tok.NUMBER: case Tok.INTEGER: case Tok.DURATIONVAL: case Tok.LPAREN: case Tok.IDENT:
        break;
      default:
        throw this.expected(t0, ['identifier', 'number', 'duration', '(']);
    }
    this.unscan();
    const e = this.parseUnaryExpr();
    switch (e.kind) {
      case 'number':
        return negative ? { kind: 'number', value: -e.value } : e;
      case 'integer':
        if (!negative) return e;
        if (e.value > INT64_MAX) {
          if (e.value === INT64_MAX + 1n) return { kind: 'integer', value: -e.value };
          throw new InfluxQLParseError(`constant -${e.value} underflows int64`);
        }
        return { kind: 'integer', value: BigInt.asIntN(64, -e.value) };
      case 'duration':
        return negative ? { kind: 'duration', ns: BigInt.asIntN(64, -e.ns) } : e;
      default: {
        if (!negative) return e;
        const node: Expr = { kind: 'neg', expr: e };
        this.setDepth(node, 1 + this.depthOf(e), sign);
        return node;
      }
    }
  }

  private parseVarRef(): Expr {
    const segments = this.parseSegmentedIdents();
    const name = segments.join('.');
    if (this.scan().tok !== Tok.DOUBLECOLON) {
      this.unscan();
      return { kind: 'ref', name };
    }
    const t = this.scan();
    let cast: Cast;
    if (t.tok === Tok.IDENT) {
      switch (t.lit.toLowerCase()) {
        case 'float': cast = 'float'; break;
        case 'integer': cast = 'integer'; break;
        case 'unsigned': cast = 'unsigned'; break;
        case 'string': cast = 'string'; break;
        case 'boolean': cast = 'boolean'; break;
        default: throw this.expected(t, ['float', 'integer', 'unsigned', 'string', 'boolean', 'field', 'tag']);
      }
    } else if (t.tok === Tok.FIELD) {
      cast = 'field';
    } else if (t.tok === Tok.TAG) {
      cast = 'tag';
    } else {
      throw this.expected(t, ['float', 'integer', 'string', 'boolean', 'field', 'tag']);
    }
    return { kind: 'ref', name, cast };
  }

  private parseCall(rawName: string, at: Token): Expr {
    this.enter(at);
    const name = rawName.toLowerCase();
    const args: Expr[] = [];
    const re = this.parseRegex();
    if (re !== undefined) {
      args.push(re);
    } else {
      if (this.scan().tok === Tok.RPAREN) {
        this.leave();
        return { kind: 'call', name, args };
      }
      this.unscan();
      args.push(this.parseExpr());
    }
    for (;;) {
      if (this.scanIgnoreWhitespace().tok !== Tok.COMMA) {
        this.unscan();
        break;
      }
      const re2 = this.parseRegex();
      args.push(re2 !== undefined ? re2 : this.parseExpr());
    }
    const close = this.scan();
    if (close.tok !== Tok.RPAREN) throw this.expected(close, [')']);
    this.leave();
    const node: Expr = { kind: 'call', name, args };
    let d = 1;
    for (const a of args) d = Math.max(d, this.depthOf(a));
    this.setDepth(node, d + 1, at);
    return node;
  }

  /** A regex where one may appear; undefined when the next character does not start one. */
  private parseRegex(): { kind: 'regex'; pattern: string } | undefined {
    let next = this.peekRune();
    if (next === 32 || next === 9 || next === 10) this.consumeWhitespace();
    next = this.peekRune();
    if (next === 36) {
      const t = this.scan();
      this.unscan();
      if (t.tok !== Tok.REGEX) return undefined;
    } else if (next !== 47) {
      return undefined;
    }
    const t = this.scanRegex();
    if (t.tok === Tok.BADESCAPE) throw positioned(`bad escape: ${t.lit}`, t.line, t.char);
    if (t.tok === Tok.BADREGEX) throw positioned(`bad regex: ${t.lit}`, t.line, t.char);
    if (t.tok !== Tok.REGEX) throw this.expected(t, ['regex']);
    return { kind: 'regex', pattern: this.checkRegex(t) };
  }

  private checkRegex(t: Token): string {
    const problem = regexSyntaxError(t.lit);
    if (problem !== undefined) throw positioned(problem, t.line, t.char);
    return t.lit;
  }

  // ---------------------------------------------------------------- identifiers and literals

  private parseIdent(): string {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.IDENT) throw this.expected(t, ['identifier']);
    return t.lit;
  }

  private parseIdentList(): string[] {
    const idents = [this.parseIdent()];
    for (;;) {
      if (this.scanIgnoreWhitespace().tok !== Tok.COMMA) {
        this.unscan();
        return idents;
      }
      idents.push(this.parseIdent());
    }
  }

  /** `"db"."rp".m`, `db..m`: up to three dotted identifiers. */
  private parseSegmentedIdents(): string[] {
    const idents = [this.parseIdent()];
    for (;;) {
      if (this.scan().tok !== Tok.DOT) {
        this.unscan();
        break;
      }
      const ch = this.peekRune();
      if (ch === 47 || ch === 58) break;
      if (ch === 46) {
        idents.push('');
        continue;
      }
      idents.push(this.parseIdent());
    }
    if (idents.length > 3) throw positioned(`too many segments in ${quoteIdent(idents)}`, 0, 0);
    return idents;
  }

  private parseString(): string {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.STRING) throw this.expected(t, ['string']);
    return t.lit;
  }

  private parseStringList(): string[] {
    const strs = [this.parseString()];
    for (;;) {
      if (this.scanIgnoreWhitespace().tok !== Tok.COMMA) {
        this.unscan();
        return strs;
      }
      strs.push(this.parseString());
    }
  }

  private parseInt(min: number, max: number): number {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.INTEGER) throw this.expected(t, ['integer']);
    const n = /^[+-]?\d+$/.test(t.lit) ? BigInt(t.lit) : undefined;
    if (n === undefined || n > INT64_MAX || n < -INT64_MAX - 1n) {
      throw positioned(`strconv.Atoi: parsing ${goQuote(t.lit)}: ${n === undefined ? 'invalid syntax' : 'value out of range'}`, t.line, t.char);
    }
    if (n < BigInt(min) || n > BigInt(max)) throw positioned(`invalid value ${n}: must be ${min} <= n <= ${max}`, t.line, t.char);
    return Number(n);
  }

  private parseUInt64(): bigint {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.INTEGER) throw this.expected(t, ['integer']);
    const n = /^\d+$/.test(t.lit) ? BigInt(t.lit) : undefined;
    if (n === undefined || n > UINT64_MAX) {
      throw positioned(`strconv.ParseUint: parsing ${goQuote(t.lit)}: ${n === undefined ? 'invalid syntax' : 'value out of range'}`, t.line, t.char);
    }
    return n;
  }

  /** `DURATION <d>`'s value: a duration or INF. */
  private parseDurationValue(): void {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.DURATIONVAL && t.tok !== Tok.INF) throw this.expected(t, ['duration']);
    if (t.tok === Tok.DURATIONVAL) {
      try {
        parseDuration(t.lit);
      } catch (err) {
        if (err instanceof InfluxQLParseError) throw positioned(err.message, t.line, t.char);
        throw err;
      }
    }
  }

  // ---------------------------------------------------------------- SHOW …

  private parseOn(): string | undefined {
    if (this.scanIgnoreWhitespace().tok === Tok.ON) return this.parseIdent();
    this.unscan();
    return undefined;
  }

  private parseOptionalFrom(): Source[] | undefined {
    if (this.scanIgnoreWhitespace().tok === Tok.FROM) return this.parseSources(false);
    this.unscan();
    return undefined;
  }

  private parseShowMeasurements(): Statement {
    const database = this.parseOn();
    let measurementFilter: { op: '=' | '!=' | '=~' | '!~'; name?: string; regex?: string } | undefined;
    if (this.scanIgnoreWhitespace().tok === Tok.WITH) {
      this.parseTokens([Tok.MEASUREMENT]);
      const op = this.scanIgnoreWhitespace();
      if (op.tok !== Tok.EQ && op.tok !== Tok.EQREGEX) throw this.expected(op, ['=', '=~']);
      const source = this.parseSource(false);
      if (source.kind === 'measurement') {
        measurementFilter = source.regex !== undefined ? { op: '=~', regex: source.regex } : { op: '=', name: source.name ?? '' };
      }
    } else {
      this.unscan();
    }
    const condition = this.parseCondition();
    this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(Tok.LIMIT);
    const offset = this.parseOptionalTokenAndInt(Tok.OFFSET);
    return withBase({ kind: 'showMeasurements', ...(measurementFilter !== undefined ? { measurement: measurementFilter } : {}) }, database, undefined, condition, limit, offset);
  }

  private parseShowTagKeys(): Statement {
    const database = this.parseOn();
    const sources = this.parseOptionalFrom();
    const condition = this.parseCondition();
    this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(Tok.LIMIT);
    const offset = this.parseOptionalTokenAndInt(Tok.OFFSET);
    const slimit = this.parseOptionalTokenAndInt(Tok.SLIMIT);
    const soffset = this.parseOptionalTokenAndInt(Tok.SOFFSET);
    return withBase(
      { kind: 'showTagKeys', ...(slimit !== undefined ? { slimit } : {}), ...(soffset !== undefined ? { soffset } : {}) },
      database, sources, condition, limit, offset,
    );
  }

  private parseShowTagValues(): Statement {
    const t = this.scanIgnoreWhitespace();
    if (t.tok === Tok.EXACT) {
      const c = this.scanIgnoreWhitespace();
      if (c.tok !== Tok.CARDINALITY) throw this.expected(c, ['CARDINALITY']);
      return this.parseShowCardinalityBody('tagValues', true);
    }
    if (t.tok === Tok.CARDINALITY) return this.parseShowCardinalityBody('tagValues', false);
    this.unscan();
    const database = this.parseOn();
    const sources = this.parseOptionalFrom();
    const key = this.parseTagKeyExpr();
    const condition = this.parseCondition();
    this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(Tok.LIMIT);
    const offset = this.parseOptionalTokenAndInt(Tok.OFFSET);
    return withBase({ kind: 'showTagValues', key }, database, sources, condition, limit, offset);
  }

  private parseTagKeyExpr(): { op: '=' | '!=' | '=~' | '!~' | 'IN'; names?: string[]; regex?: string } {
    this.parseTokens([Tok.WITH, Tok.KEY]);
    const t = this.scanIgnoreWhitespace();
    if (t.tok === Tok.IN) {
      const open = this.scanIgnoreWhitespace();
      if (open.tok !== Tok.LPAREN) throw this.expected(open, ['(']);
      const names = this.parseIdentList();
      const close = this.scanIgnoreWhitespace();
      if (close.tok !== Tok.RPAREN) throw this.expected(close, [')']);
      return { op: 'IN', names };
    }
    if (t.tok === Tok.EQ || t.tok === Tok.NEQ) return { op: t.tok === Tok.EQ ? '=' : '!=', names: [this.parseIdent()] };
    if (t.tok === Tok.EQREGEX || t.tok === Tok.NEQREGEX) {
      const re = this.parseRegex();
      if (re === undefined) throw this.expected(this.scanIgnoreWhitespace(), ['regex']);
      return { op: t.tok === Tok.EQREGEX ? '=~' : '!~', regex: re.pattern };
    }
    throw this.expected(t, ['IN', '=', '=~']);
  }

  private parseShowFieldKeys(): Statement {
    const database = this.parseOn();
    const sources = this.parseOptionalFrom();
    this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(Tok.LIMIT);
    const offset = this.parseOptionalTokenAndInt(Tok.OFFSET);
    return withBase({ kind: 'showFieldKeys' }, database, sources, undefined, limit, offset);
  }

  private parseShowSeries(): Statement {
    let exact = false;
    if (this.scanIgnoreWhitespace().tok === Tok.EXACT) exact = true;
    else this.unscan();
    if (this.scanIgnoreWhitespace().tok === Tok.CARDINALITY) return this.parseShowCardinalityBody('series', exact);
    this.unscan();
    const database = this.parseOn();
    const sources = this.parseOptionalFrom();
    const condition = this.parseCondition();
    this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(Tok.LIMIT);
    const offset = this.parseOptionalTokenAndInt(Tok.OFFSET);
    return withBase({ kind: 'showSeries' }, database, sources, condition, limit, offset);
  }

  /** `SHOW TAG KEY` / `SHOW FIELD KEY` `[EXACT] CARDINALITY …`. */
  private parseShowCardinalityAfterKey(of: 'tagKey' | 'fieldKey'): Statement {
    let exact = false;
    let required = ['EXACT', 'CARDINALITY'];
    if (this.scanIgnoreWhitespace().tok === Tok.EXACT) {
      exact = true;
      required = ['CARDINALITY'];
    } else {
      this.unscan();
    }
    const c = this.scanIgnoreWhitespace();
    if (c.tok !== Tok.CARDINALITY) throw this.expected(c, required);
    return this.parseShowCardinalityBody(of, exact);
  }

  /** The clauses after `… CARDINALITY`: ON, FROM, [WITH KEY], WHERE, GROUP BY, LIMIT, OFFSET. */
  private parseShowCardinalityBody(of: 'measurement' | 'series' | 'tagKey' | 'tagValues' | 'fieldKey', exact: boolean): Statement {
    const database = this.parseOn();
    const sources = this.parseOptionalFrom();
    const key = of === 'tagValues' ? this.parseTagKeyExpr() : undefined;
    const condition = this.parseCondition();
    this.parseDimensions();
    const limit = this.parseOptionalTokenAndInt(Tok.LIMIT);
    const offset = this.parseOptionalTokenAndInt(Tok.OFFSET);
    return withBase({ kind: 'showCardinality', of, exact, ...(key !== undefined ? { key } : {}) }, database, sources, condition, limit, offset);
  }

  // ---------------------------------------------------------------- CREATE DATABASE and the unsupported statements

  private parseCreateDatabase(): Statement {
    const name = this.parseIdent();
    const w = this.scanIgnoreWhitespace();
    if (w.tok !== Tok.WITH) {
      this.unscan();
      return { kind: 'createDatabase', name };
    }
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.DURATION && t.tok !== Tok.NAME && t.tok !== Tok.REPLICATION && t.tok !== Tok.SHARD) {
      throw this.expected(t, ['DURATION', 'NAME', 'REPLICATION', 'SHARD']);
    }
    this.unscan();
    if (this.tryToken(Tok.DURATION)) this.parseDurationValue();
    if (this.tryToken(Tok.REPLICATION)) this.parseInt(1, 2147483647);
    if (this.tryToken(Tok.SHARD)) {
      const d = this.scanIgnoreWhitespace();
      if (d.tok !== Tok.DURATION) throw this.expected(d, ['DURATION']);
      this.parseDurationValue();
    }
    if (this.tryToken(Tok.NAME)) this.parseIdent();
    // The clause's text, from WITH to the next token after it.
    const after = this.scanIgnoreWhitespace();
    this.unscan();
    const end = after.tok === Tok.EOF ? this.text.length : after.start;
    return { kind: 'createDatabase', name, options: this.text.slice(w.start, end).trimEnd() };
  }

  /** Consumes `tok` when it comes next (InfluxDB's `parseTokens` + `Unscan` on failure). */
  private tryToken(tok: Tok): boolean {
    if (this.scanIgnoreWhitespace().tok === tok) return true;
    this.unscan();
    return false;
  }

  private parseCreateRetentionPolicy(): void {
    this.parseIdent();
    this.expectOn();
    this.parseIdent();
    const d = this.scanIgnoreWhitespace();
    if (d.tok !== Tok.DURATION) throw this.expected(d, ['DURATION']);
    this.parseDurationValue();
    const r = this.scanIgnoreWhitespace();
    if (r.tok !== Tok.REPLICATION) throw this.expected(r, ['REPLICATION']);
    this.parseInt(1, 2147483647);
    if (this.scanIgnoreWhitespace().tok === Tok.SHARD) {
      const d2 = this.scanIgnoreWhitespace();
      if (d2.tok !== Tok.DURATION) throw this.expected(d2, ['DURATION']);
      const inf = this.scanIgnoreWhitespace();
      if (inf.tok === Tok.INF) throw positioned('invalid duration INF for shard duration', inf.line, inf.char);
      this.unscan();
      this.parseDurationValue();
    } else {
      this.unscan();
    }
    if (this.scanIgnoreWhitespace().tok !== Tok.DEFAULT) this.unscan();
  }

  private parseAlterRetentionPolicy(): void {
    const n = this.scanIgnoreWhitespace();
    if (n.tok !== Tok.DEFAULT && n.tok !== Tok.IDENT) throw this.expected(n, ['identifier']);
    this.expectOn();
    this.parseIdent();
    const found = new Set<Tok>();
    for (;;) {
      const t = this.scanIgnoreWhitespace();
      if (found.has(t.tok)) throw positioned(`found duplicate ${tokenName(t.tok)} option`, t.line, t.char);
      switch (t.tok) {
        case Tok.DURATION:
          this.parseDurationValue();
          break;
        case Tok.REPLICATION:
          this.parseInt(1, 2147483647);
          break;
        case Tok.SHARD: {
          const d = this.scanIgnoreWhitespace();
          if (d.tok !== Tok.DURATION) throw this.expected(d, ['DURATION']);
          const inf = this.scanIgnoreWhitespace();
          if (inf.tok === Tok.INF) throw positioned('invalid duration INF for shard duration', inf.line, inf.char);
          this.unscan();
          this.parseDurationValue();
          break;
        }
        case Tok.DEFAULT:
          break;
        default:
          if (found.size === 0) throw this.expected(t, ['DURATION', 'REPLICATION', 'SHARD', 'DEFAULT']);
          this.unscan();
          return;
      }
      found.add(t.tok);
    }
  }

  private parseCreateSubscription(): void {
    this.parseIdent();
    this.expectOn();
    this.parseIdent();
    const dot = this.scan();
    if (dot.tok !== Tok.DOT) throw this.expected(dot, ['.']);
    this.parseIdent();
    const d = this.scanIgnoreWhitespace();
    if (d.tok !== Tok.DESTINATIONS) throw this.expected(d, ['DESTINATIONS']);
    const mode = this.scanIgnoreWhitespace();
    if (mode.tok !== Tok.ALL && mode.tok !== Tok.ANY) throw this.expected(mode, ['ALL', 'ANY']);
    this.parseStringList();
  }

  private parseCreateContinuousQuery(): void {
    this.parseIdent();
    this.expectOn();
    this.parseIdent();
    if (this.scanIgnoreWhitespace().tok === Tok.RESAMPLE) {
      let every = 0n;
      let forNs = 0n;
      if (this.scanIgnoreWhitespace().tok === Tok.EVERY) every = this.parseResampleDuration();
      else this.unscan();
      if (this.scanIgnoreWhitespace().tok === Tok.FOR) forNs = this.parseResampleDuration();
      else this.unscan();
      if (every === 0n && forNs === 0n) throw this.expected(this.scanIgnoreWhitespace(), ['EVERY', 'FOR']);
    } else {
      this.unscan();
    }
    this.parseTokens([Tok.BEGIN, Tok.SELECT]);
    this.dimensionError = undefined;
    const source = this.parseSelectStatement('required');
    this.dimensionError = undefined;
    if (hasCall(source) && !source.dimensions.some((d) => d.kind === 'time' && d.intervalNs !== 0n)) {
      // InfluxDB steps back two tokens to name one in its message (its three-token ring decides which).
      this.unscan();
      this.unscan();
      throw this.expected(this.scanIgnoreWhitespace(), ['GROUP BY time(...)']);
    }
    const end = this.scanIgnoreWhitespace();
    if (end.tok !== Tok.END) throw this.expected(end, ['END']);
  }

  private parseResampleDuration(): bigint {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== Tok.DURATIONVAL) throw this.expected(t, ['duration']);
    try {
      return parseDuration(t.lit);
    } catch (err) {
      if (err instanceof InfluxQLParseError) throw positioned(err.message, t.line, t.char);
      throw err;
    }
  }

  /** DELETE / DROP SERIES: `[FROM sources] [WHERE cond]`, at least one of them. */
  private parseDeleteOrDropSeries(): void {
    const t = this.scanIgnoreWhitespace();
    let sources: Source[] | undefined;
    if (t.tok === Tok.FROM) {
      sources = this.parseSources(false);
      let problem: string | undefined;
      for (const s of sources) {
        if (s.kind !== 'measurement') continue;
        if (s.database !== undefined && s.database !== '') problem = 'database not supported';
        if (s.retentionPolicy !== undefined && s.retentionPolicy !== '') problem = 'retention policy not supported';
      }
      if (problem !== undefined) throw positioned(problem, 0, 0);
    } else {
      this.unscan();
    }
    const condition = this.parseCondition();
    if (condition === undefined && sources === undefined) throw this.expected(t, ['FROM', 'WHERE']);
  }

  private parsePrivilege(): 'read' | 'write' | 'all' {
    const t = this.scanIgnoreWhitespace();
    if (t.tok === Tok.READ) return 'read';
    if (t.tok === Tok.WRITE) return 'write';
    if (t.tok === Tok.ALL) {
      if (this.scanIgnoreWhitespace().tok !== Tok.PRIVILEGES) this.unscan();
      return 'all';
    }
    throw this.expected(t, ['READ', 'WRITE', 'ALL [PRIVILEGES]']);
  }

  private parseGrant(): void {
    const priv = this.parsePrivilege();
    const t = this.scanIgnoreWhitespace();
    if (t.tok === Tok.ON) {
      this.parseIdent();
      const to = this.scanIgnoreWhitespace();
      if (to.tok !== Tok.TO) throw this.expected(to, ['TO']);
      this.parseIdent();
      return;
    }
    if (t.tok === Tok.TO) {
      if (priv !== 'all') throw this.expected(t, ['ON']);
      this.parseIdent();
      return;
    }
    throw this.expected(t, priv === 'all' ? ['ON', 'TO'] : ['ON']);
  }

  private parseRevoke(): void {
    const priv = this.parsePrivilege();
    const t = this.scanIgnoreWhitespace();
    if (t.tok === Tok.ON) {
      this.parseIdent();
      const from = this.scanIgnoreWhitespace();
      if (from.tok !== Tok.FROM) throw this.expected(from, ['FROM']);
      this.parseIdent();
      return;
    }
    if (t.tok === Tok.FROM) {
      if (priv !== 'all') throw this.expected(t, ['ON']);
      this.parseIdent();
      return;
    }
    throw this.expected(t, priv === 'all' ? ['ON', 'FROM'] : ['ON']);
  }
}

// ---------------------------------------------------------------- helpers

function unsupported(name: string): Statement {
  return { kind: 'unsupported', name };
}

function positioned(message: string, line: number, char: number): InfluxQLParseError {
  return new InfluxQLParseError(`${message} at line ${line + 1}, char ${char + 1}`, line + 1, char + 1);
}

/** How InfluxDB prints a token it found: its text, else its kind's name. */
function tokstr(t: Token): string {
  return t.lit !== '' ? t.lit : tokenName(t.tok);
}

function measurement(database: string | undefined, retentionPolicy: string | undefined, name: string | undefined, regex: string | undefined): Source {
  const m: Source = { kind: 'measurement' };
  if (database !== undefined) m.database = database;
  if (retentionPolicy !== undefined) m.retentionPolicy = retentionPolicy;
  if (name !== undefined) m.name = name;
  if (regex !== undefined) m.regex = regex;
  return m;
}

function withBase<S extends object>(
  stmt: S,
  database: string | undefined,
  sources: Source[] | undefined,
  condition: Expr | undefined,
  limit: number | undefined,
  offset: number | undefined,
): Statement {
  const out = { ...stmt } as Record<string, unknown>;
  if (database !== undefined) out.database = database;
  if (sources !== undefined) out.sources = sources;
  if (condition !== undefined) out.condition = condition;
  if (limit !== undefined) out.limit = limit;
  if (offset !== undefined) out.offset = offset;
  return out as unknown as Statement;
}

/**
 * A comparison or logical operator in a field expression (those belong in WHERE): as InfluxDB
 * reports it, the last one met walking the tree in order without entering one already found.
 */
function findWhereOnlyOperator(root: Expr): BinaryOp | undefined {
  const stack: Expr[] = [root];
  let found: BinaryOp | undefined;
  while (stack.length > 0) {
    const e = stack.pop()!;
    switch (e.kind) {
      case 'binary':
        if (WHERE_ONLY_OPS.has(e.op)) found = e.op;
        else stack.push(e.right, e.left);
        break;
      case 'paren':
      case 'neg':
        stack.push(e.expr);
        break;
      case 'call':
        for (let i = e.args.length - 1; i >= 0; i--) stack.push(e.args[i]!);
        break;
      default:
        break;
    }
  }
  return found;
}

function hasCall(stmt: SelectStatement): boolean {
  const stack: Expr[] = stmt.fields.map((f) => f.expr);
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (e.kind === 'call') return true;
    if (e.kind === 'binary') stack.push(e.left, e.right);
    else if (e.kind === 'paren' || e.kind === 'neg') stack.push(e.expr);
  }
  return false;
}

