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
 */
import type { BinaryOp, Cast, Dimension, Expr, Field, Fill, Query, SelectStatement, Source, Statement } from './ast.js';
import { Scanner, Tok, TokenBuffer, isOperator, precedence, quoteIdent, tokenName, type Token } from './lexer.js';

/** Deepest nesting of parentheses, calls and subqueries accepted. */
export const MAX_NESTING = 200;
/** Deepest expression tree accepted (a chain of 1000 `OR`s is 1000 deep). */
export const MAX_EXPR_DEPTH = 1000;

/**
 * A query InfluxQL cannot parse; `message` is InfluxDB's wording (`found X, expected Y at line 1,
 * char 8`). `line` and `char` (1-based, as in the message) are absent when InfluxDB's message
 * names no position (`invalid duration`).
 */
export class InfluxQLParseError extends Error {
  readonly line: number | undefined;
  readonly char: number | undefined;
  constructor(message: string, line?: number, char?: number) {
    super(message);
    this.name = 'InfluxQLParseError';
    this.line = line;
    this.char = char;
  }
}

/**
 * A bound parameter's value (the v1 `params` JSON object): a float (`number`), an integer
 * (`bigint`), a string, a boolean, or an object naming the kind — `{ "identifier": "cpu" }`,
 * `{ "regex": "^a" }`, `{ "duration": "5m" }`, `{ "integer": 3 }`, `{ "string": "x" }`,
 * `{ "float": 1.5 }`. Anything else is an error where the parameter is used, as in InfluxDB.
 */
export type BoundParameterValue = number | bigint | string | boolean | null | Readonly<Record<string, unknown>>;

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

/** Nanoseconds from Go's zero time (January 1, year 1) to the Unix epoch: `now()` offsets are computed from it. */
const GO_ZERO_TO_UNIX_NS = 62135596800n * 1_000_000_000n;
const INT64_MAX = 9223372036854775807n;
const UINT64_MAX = 18446744073709551615n;

const NS = 1n;
const US = 1000n;
const MS = 1_000_000n;
const SEC = 1_000_000_000n;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;
const DAY = 24n * HOUR;
const WEEK = 7n * DAY;

/** A statement-level problem InfluxDB reports when it prepares the statement, not when it parses it. */
class StatementInvalid extends Error {}

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

/**
 * GROUP BY as InfluxDB prepares it: constant-folds each dimension, then accepts `time(interval[,
 * offset])` once, tags by name, `*` and regexes; anything else is the statement's error.
 */
function compileDimensions(exprs: readonly Expr[], nowNs: bigint | undefined): Dimension[] {
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

/** A duration literal (`1h30m`, `5µ`, `10ns`) in nanoseconds, with InfluxDB's 64-bit wrap-around and errors. */
export function parseDuration(s: string): bigint {
  const a = Array.from(s);
  if (a.length < 2) throw new InfluxQLParseError('invalid duration');
  let i = 0;
  let negative = false;
  if (a[0] === '-') {
    negative = true;
    i++;
  }
  let d = 0n;
  let measure = 0n;
  let unit = '';
  while (i < a.length) {
    const start = i;
    while (i < a.length && a[i]! >= '0' && a[i]! <= '9') i++;
    if (i >= a.length || i === start) throw new InfluxQLParseError('invalid duration');
    const n = BigInt(a.slice(start, i).join(''));
    if (n > INT64_MAX) throw new InfluxQLParseError('invalid duration');
    measure = n;
    unit = a[i]!;
    let scale: bigint;
    switch (a[i]) {
      case 'n':
        if (a[i + 1] !== 's') throw new InfluxQLParseError('invalid duration');
        unit = 'ns';
        scale = NS;
        i += 2;
        d = BigInt.asIntN(64, d + n * scale);
        continue;
      case 'u':
      case 'µ':
        scale = US;
        break;
      case 'm':
        if (a[i + 1] === 's') {
          unit = 'ms';
          i += 2;
          d = BigInt.asIntN(64, d + BigInt.asIntN(64, n * MS));
          continue;
        }
        scale = MIN;
        break;
      case 's': scale = SEC; break;
      case 'h': scale = HOUR; break;
      case 'd': scale = DAY; break;
      case 'w': scale = WEEK; break;
      default:
        throw new InfluxQLParseError('invalid duration');
    }
    d = BigInt.asIntN(64, d + BigInt.asIntN(64, n * scale));
    i++;
  }
  if (d < 0n && !negative) throw new InfluxQLParseError(`overflowed duration ${measure}${unit}: choose a smaller duration or INF`);
  return negative ? BigInt.asIntN(64, -d) : d;
}

/** An integer literal: int64, else uint64 (kept as a bigint above 2^63-1), else undefined. */
function parseGoInteger(lit: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(lit)) return undefined;
  const n = BigInt(lit);
  if (n < -INT64_MAX - 1n || n > UINT64_MAX) return undefined;
  if (n < 0n) return n;
  return n;
}

/** `strconv.ParseInt` clamped to int64's range, as LIMIT reads it. */
function parseIntClamped(lit: string): bigint {
  if (!/^[+-]?\d+$/.test(lit)) return 0n;
  const n = BigInt(lit);
  if (n > INT64_MAX) return INT64_MAX;
  if (n < -INT64_MAX - 1n) return -INT64_MAX - 1n;
  return n;
}

function parseGoFloat(lit: string): number | undefined {
  if (lit === 'NaN') return NaN;
  if (lit === '+Inf' || lit === 'Inf') return Infinity;
  if (lit === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(lit)) return undefined;
  const v = Number(lit);
  return Number.isFinite(v) ? v : undefined;
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

function quoteString(s: string): string {
  return `'${s.replace(/[\n\\']/g, (c) => (c === '\n' ? '\\n' : '\\' + c))}'`;
}

/** A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it: shortest, never an exponent. */
function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp >= 0) return m[1]! + digits.padEnd(exp + 1, '0').slice(0, Math.max(exp + 1, digits.length)) + (digits.length > exp + 1 ? '.' + digits.slice(exp + 1) : '');
  return `${m[1]!}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** A go-style duration string for a nanosecond count (InfluxDB's FormatDuration). */
function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const units: [bigint, string][] = [[WEEK, 'w'], [DAY, 'd'], [HOUR, 'h'], [MIN, 'm'], [SEC, 's'], [MS, 'ms'], [US, 'u']];
  for (const [size, name] of units) if (ns % size === 0n) return `${ns / size}${name}`;
  return `${ns}ns`;
}

/** A bound parameter's token, as InfluxDB's BindValue makes it (an error value stays a BOUNDPARAM whose text is the error). */
function bindValue(v: BoundParameterValue): [Tok, string] {
  if (typeof v === 'number') return [Tok.NUMBER, formatFloat(v)];
  if (typeof v === 'bigint') {
    if (v > INT64_MAX || v < -INT64_MAX - 1n) return [Tok.BOUNDPARAM, 'unable to bind parameter with type uint64'];
    return [Tok.INTEGER, String(v)];
  }
  if (typeof v === 'string') return [Tok.STRING, v];
  if (typeof v === 'boolean') return [v ? Tok.TRUE : Tok.FALSE, ''];
  if (v === null) return [Tok.BOUNDPARAM, 'unable to bind parameter with type <nil>'];
  if (Array.isArray(v)) return [Tok.BOUNDPARAM, 'unable to bind parameter with type []interface {}'];
  const keys = Object.keys(v);
  if (keys.length !== 1) return [Tok.BOUNDPARAM, 'bound object parameter value must have exactly one entry'];
  const k = keys[0]!;
  const inner = v[k];
  switch (k) {
    case 'ident':
    case 'identifier':
      return typeof inner === 'string' ? [Tok.IDENT, inner] : [Tok.BOUNDPARAM, 'identifier must be a string value'];
    case 'regex':
      return typeof inner === 'string' ? [Tok.REGEX, inner] : [Tok.BOUNDPARAM, 'regex literal must be a string value'];
    case 'string':
      return typeof inner === 'string' ? [Tok.STRING, inner] : [Tok.BOUNDPARAM, 'string literal must be a string value'];
    case 'float':
    case 'number':
      if (typeof inner === 'number') return [Tok.NUMBER, formatFloat(inner)];
      if (typeof inner === 'bigint') return [Tok.NUMBER, formatFloat(Number(inner))];
      return [Tok.BOUNDPARAM, 'number literal must be a float value'];
    case 'int':
    case 'integer':
      if (typeof inner === 'bigint' && inner <= INT64_MAX && inner >= -INT64_MAX - 1n) return [Tok.INTEGER, String(inner)];
      if (typeof inner === 'number' && Number.isSafeInteger(inner)) return [Tok.INTEGER, String(inner)];
      return [Tok.BOUNDPARAM, 'integer literal must be an integer value'];
    case 'duration':
      if (typeof inner === 'string') return [Tok.DURATIONVAL, inner];
      if (typeof inner === 'bigint') return [Tok.DURATIONVAL, formatDuration(BigInt.asIntN(64, inner))];
      if (typeof inner === 'number' && Number.isSafeInteger(inner)) return [Tok.DURATIONVAL, formatDuration(BigInt(inner))];
      return [Tok.BOUNDPARAM, 'duration literal must be a string or integer value'];
    default:
      return [Tok.BOUNDPARAM, `unknown bind object type: ${k}`];
  }
}

let timeZones: Set<string> | undefined;
let timeZonesLower: Set<string> | undefined;

/** Whether `tz('…')` names a zone InfluxDB (Go's time.LoadLocation) finds: case-sensitive, `''`, `UTC` and `Local` included. */
function isKnownTimeZone(name: string): boolean {
  if (name === '' || name === 'UTC' || name === 'Local') return true;
  if (name.includes('..') || name.startsWith('/')) return false;
  if (timeZones === undefined) {
    timeZones = new Set(Intl.supportedValuesOf('timeZone'));
    timeZonesLower = new Set([...timeZones].map((z) => z.toLowerCase()));
  }
  if (timeZones.has(name)) return true;
  // A zone Intl lists under another case is not the file Go would open (names are case-sensitive).
  if (timeZonesLower!.has(name.toLowerCase())) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return /^[A-Z]/.test(name);
  } catch {
    // Intl does not know the zone: InfluxDB would not find it either.
    return false;
  }
}

/**
 * The error Go's regexp package (RE2 syntax) gives for `pattern`, worded as Go words it, or
 * undefined when it compiles. Covers the common mistakes: unbalanced parentheses and brackets,
 * a repetition with nothing to repeat, a nested repetition, a trailing backslash, bad repeat
 * counts and Perl lookaround.
 */
export function regexSyntaxError(pattern: string): string | undefined {
  const fail = (code: string, arg: string) => `error parsing regexp: ${code}: \`${arg}\``;
  const cps = Array.from(pattern);
  const n = cps.length;
  const open: number[] = [];
  let canRepeat = false; // the previous item can take a repetition operator
  let lastWasRepeat = false;
  let lazyTaken = false; // the last repetition already has its `?`
  let repeatStart = -1;
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    switch (c) {
      case '\\': {
        if (i + 1 >= n) return fail('trailing backslash at end of expression', '');
        const e = cps[i + 1]!;
        if (/[0-9]/.test(e) && e !== '0') return fail('invalid escape sequence', `\\${e}`);
        if ((/[a-zA-Z]/.test(e) && !/[aftnrvdDsSwWbBAzpPQEx]/.test(e)) || e.codePointAt(0)! >= 0x80) return fail('invalid escape sequence', `\\${e}`);
        if (e === 'p' || e === 'P') {
          // \pL or \p{Name}
          if (cps[i + 2] === '{') {
            const close = cps.indexOf('}', i + 3);
            if (close < 0) return fail('invalid character class range', cps.slice(i).join(''));
            i = close;
          } else {
            i += 2;
          }
        } else if (e === 'x') {
          if (cps[i + 2] === '{') {
            const close = cps.indexOf('}', i + 3);
            if (close < 0) return fail('invalid escape sequence', cps.slice(i).join(''));
            i = close;
          } else {
            i += 3;
          }
        } else if (e === 'Q') {
          const endQ = pattern.indexOf('\\E', i + 2);
          i = endQ < 0 ? n : Array.from(pattern.slice(0, endQ)).length + 1;
        } else {
          i += 1;
        }
        canRepeat = true;
        lastWasRepeat = false;
        break;
      }
      case '(': {
        if (cps[i + 1] === '?') {
          const rest = cps.slice(i + 2, i + 4).join('');
          if (rest.startsWith('P<') || rest.startsWith('P=') || rest.startsWith('P>')) {
            if (rest[1] !== '<') return fail('invalid or unsupported Perl syntax', `(?P${rest[1]}`);
            const close = cps.indexOf('>', i + 4);
            const name = close < 0 ? '' : cps.slice(i + 4, close).join('');
            if (close < 0 || !/^[A-Za-z0-9_]+$/.test(name)) return fail('invalid named capture', cps.slice(i, close < 0 ? n : close + 1).join(''));
            i = close;
          } else {
            let j = i + 2;
            while (j < n && /[imsU-]/.test(cps[j]!)) j++;
            if (cps[j] === ')') {
              i = j;
              canRepeat = false;
              lastWasRepeat = false;
              break;
            }
            if (cps[j] !== ':') return fail('invalid or unsupported Perl syntax', cps.slice(i, Math.min(j + 1, n)).join(''));
            i = j;
          }
        }
        open.push(i);
        canRepeat = false;
        lastWasRepeat = false;
        break;
      }
      case ')':
        if (open.length === 0) return fail('unexpected )', pattern);
        open.pop();
        canRepeat = true;
        lastWasRepeat = false;
        break;
      case '[': {
        let j = i + 1;
        if (cps[j] === '^') j++;
        if (cps[j] === ']') j++;
        let closed = false;
        for (; j < n; j++) {
          if (cps[j] === '\\') {
            j++;
            continue;
          }
          if (cps[j] === '[' && cps[j + 1] === ':') {
            let k = j + 2;
            while (k + 1 < n && !(cps[k] === ':' && cps[k + 1] === ']')) k++;
            if (k + 1 < n) {
              j = k + 1;
              continue;
            }
          }
          if (cps[j] === ']') {
            closed = true;
            break;
          }
        }
        if (!closed) return fail('missing closing ]', cps.slice(i).join(''));
        i = j;
        canRepeat = true;
        lastWasRepeat = false;
        break;
      }
      case '*':
      case '+':
      case '?': {
        if (lastWasRepeat) {
          if (c === '?' && !lazyTaken) {
            lazyTaken = true; // a lazy repetition (`*?`)
            break;
          }
          return fail('invalid nested repetition operator', cps.slice(repeatStart, i + 1).join(''));
        }
        if (!canRepeat) return fail('missing argument to repetition operator', c);
        repeatStart = i;
        lazyTaken = false;
        lastWasRepeat = true;
        canRepeat = false;
        break;
      }
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(cps.slice(i).join(''));
        if (m === null) {
          canRepeat = true;
          lastWasRepeat = false;
          break;
        }
        const min = Number(m[1]);
        const max = m[3] === undefined || m[3] === '' ? min : Number(m[3]);
        if (min > 1000 || max > 1000 || (m[3] !== undefined && m[3] !== '' && max < min)) return fail('invalid repeat count', m[0]);
        if (!canRepeat && !lastWasRepeat) return fail('missing argument to repetition operator', m[0]);
        if (lastWasRepeat) return fail('invalid nested repetition operator', cps.slice(repeatStart, i).join('') + m[0]);
        repeatStart = i;
        lazyTaken = false;
        i += Array.from(m[0]).length - 1;
        lastWasRepeat = true;
        canRepeat = false;
        break;
      }
      case '|':
        canRepeat = false;
        lastWasRepeat = false;
        break;
      case '^':
      case '$':
        canRepeat = true;
        lastWasRepeat = false;
        break;
      default:
        canRepeat = true;
        lastWasRepeat = false;
    }
  }
  if (open.length > 0) return fail('missing closing )', pattern);
  return undefined;
}
