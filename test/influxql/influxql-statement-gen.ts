/**
 * Seeded InfluxQL statement generation for the parser fuzz: statements valid by the grammar
 * (every clause the parser knows, in InfluxDB's order) and mutations of them — truncation,
 * random tokens inserted, tokens dropped or swapped, bytes replaced, deep nesting, unicode, NUL.
 */
import type { Rng } from '../../src/effects/rng.js';

const NAMES = ['cpu', 'mem', 'host', 'region', 'usage_idle', 'value', 'v', 'a_b', '_x', 'x1', 'time'];
const QUOTED = ['"my measurement"', '"with \\"quote\\""', '"select"', '"a.b"', '"ünï"', '"back\\\\slash"'];
const FUNCS = ['mean', 'count', 'sum', 'max', 'min', 'first', 'last', 'median', 'spread', 'stddev', 'mode', 'distinct', 'abs', 'derivative', 'percentile', 'top', 'bottom', 'moving_average', 'cumulative_sum', 'non_negative_derivative', 'difference', 'elapsed', 'integral', 'sample', 'log', 'pow', 'round'];
const DURATIONS = ['1ns', '10u', '5µ', '100ms', '10s', '5m', '1h', '2d', '1w', '1h30m', '90s'];
const STRINGS = ["'a'", "'it\\'s'", "'back\\\\slash'", "'line\\nbreak'", "''", "'2024-01-01T00:00:00Z'", "'ünïcode ✓'"];
const REGEXES = ['/cpu.*/', '/^a$/', '/a\\/b/', '/[a-z]+/', '/x|y/', '/(?i)host/', '/\\d+/'];
const KEYWORD_TOKENS = ['SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'LIMIT', 'OFFSET', 'SLIMIT', 'SOFFSET', 'AND', 'OR', 'AS', 'INTO', 'SHOW', 'TAG', 'KEYS', 'VALUES', 'WITH', 'KEY', 'IN', 'ON', 'DROP', 'CREATE', 'DATABASE', 'fill', 'tz', 'time', 'now', 'DESC', 'ASC', 'EXACT', 'CARDINALITY'];
const PUNCT_TOKENS = ['(', ')', ',', ';', '.', '::', ':', '=', '!=', '<>', '<', '<=', '>', '>=', '=~', '!~', '+', '-', '*', '/', '%', '&', '|', '^', '$p', '$"q q"', '--c\n', '/*c*/', '"', "'", '\\', '!', '@', '#', '..', '1.', '.5', '1e3', '18446744073709551616', '9223372036854775808'];
const UNICODE = ['é', 'µ', '✓', '😀', '\u0000', '\r\n', '\t', '\u00a0', '\ufffd', '\u2028'];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.nextInt(items.length)]!;
}

/** Grammar-based generation of statements InfluxDB 1.x parses. */
export class StatementGenerator {
  constructor(private readonly rng: Rng) {}

  private chance(p: number): boolean {
    return this.rng.nextFloat() < p;
  }

  private ident(): string {
    return this.chance(0.8) ? pick(this.rng, NAMES.filter((n) => n !== 'time')) : pick(this.rng, QUOTED);
  }

  private literal(): string {
    switch (this.rng.nextInt(6)) {
      case 0: return String(this.rng.nextInt(1000));
      case 1: return `${this.rng.nextInt(100)}.${this.rng.nextInt(100)}`;
      case 2: return pick(this.rng, STRINGS);
      case 3: return pick(this.rng, DURATIONS);
      case 4: return this.chance(0.5) ? 'true' : 'false';
      default: return `-${this.rng.nextInt(50)}`;
    }
  }

  /** An arithmetic expression (valid in a field list). */
  arith(depth = 0): string {
    const r = this.rng.nextInt(depth > 3 ? 3 : 7);
    switch (r) {
      case 0: return this.ident() + (this.chance(0.15) ? pick(this.rng, ['::field', '::tag', '::float', '::integer', '::string', '::boolean', '::unsigned']) : '');
      case 1: return String(this.rng.nextInt(100));
      case 2: return `${this.rng.nextInt(10)}.5`;
      case 3: return `${this.arith(depth + 1)} ${pick(this.rng, ['+', '-', '*', '/', '%', '&', '|', '^'])} ${this.arith(depth + 1)}`;
      case 4: return `(${this.arith(depth + 1)})`;
      case 5: return this.call(depth + 1);
      default: return `-${this.ident()}`;
    }
  }

  private call(depth: number): string {
    const name = pick(this.rng, FUNCS);
    const args: string[] = [];
    const argc = this.rng.nextInt(3);
    if (argc > 0) args.push(this.chance(0.2) ? pick(this.rng, REGEXES) : this.chance(0.1) ? '*' : this.arith(depth));
    for (let i = 1; i < argc; i++) args.push(this.chance(0.5) ? String(this.rng.nextInt(100)) : this.arith(depth));
    return `${this.chance(0.2) ? name.toUpperCase() : name}(${args.join(', ')})`;
  }

  /** A boolean condition (WHERE). */
  condition(depth = 0): string {
    const r = this.rng.nextInt(depth > 3 ? 3 : 6);
    switch (r) {
      case 0: return `${this.ident()} ${pick(this.rng, ['=', '!=', '<>', '<', '<=', '>', '>='])} ${this.literal()}`;
      case 1: return `${this.ident()} ${pick(this.rng, ['=~', '!~'])} ${pick(this.rng, REGEXES)}`;
      case 2: return `time ${pick(this.rng, ['>', '>=', '<', '<='])} ${pick(this.rng, ['now()', 'now() - 1h', "'2024-01-01T00:00:00Z'", '0', '1700000000000000000', '1700000000s'])}`;
      case 3: return `${this.condition(depth + 1)} ${pick(this.rng, ['AND', 'OR', 'and', 'or'])} ${this.condition(depth + 1)}`;
      case 4: return `(${this.condition(depth + 1)})`;
      default: return `${this.arith(depth + 1)} > ${this.arith(depth + 1)}`;
    }
  }

  private source(depth: number): string {
    switch (this.rng.nextInt(depth > 1 ? 4 : 5)) {
      case 0: return this.ident();
      case 1: return `${this.ident()}.${this.ident()}.${this.ident()}`;
      case 2: return `${this.ident()}..${this.ident()}`;
      case 3: return pick(this.rng, REGEXES);
      default: return `(${this.select(depth + 1)})`;
    }
  }

  private list(n: number, f: () => string): string {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(f());
    return out.join(', ');
  }

  /** A SELECT statement. */
  select(depth = 0): string {
    const rng = this.rng;
    let s = this.chance(0.1) ? 'select ' : 'SELECT ';
    s += this.list(1 + rng.nextInt(3), () => {
      const r = rng.nextInt(10);
      const f = r === 0 ? '*' : r === 1 ? '*::field' : r === 2 ? pick(rng, REGEXES) : r === 3 ? `DISTINCT ${this.ident()}` : this.arith();
      return f + (this.chance(0.2) ? ` AS ${this.ident()}` : '');
    });
    if (this.chance(0.05)) s += ` INTO ${this.ident()}`;
    s += ` FROM ${this.list(1 + rng.nextInt(2), () => this.source(depth))}`;
    if (this.chance(0.6)) s += ` WHERE ${this.condition()}`;
    if (this.chance(0.5)) {
      const dims: string[] = [];
      if (this.chance(0.6)) dims.push(`time(${pick(rng, DURATIONS)}${this.chance(0.3) ? `, ${pick(rng, ['-5m', '1m', 'now()', '30s'])}` : ''})`);
      if (this.chance(0.5)) dims.push(pick(rng, ['*', this.ident(), pick(rng, REGEXES)]));
      if (dims.length === 0) dims.push(this.ident());
      s += ` GROUP BY ${dims.join(', ')}`;
      if (this.chance(0.4)) s += ` fill(${pick(rng, ['null', 'none', 'previous', 'linear', '0', '-1', '1.5', '-2.25'])})`;
    }
    if (this.chance(0.2)) s += ` ORDER BY ${pick(rng, ['time', 'time ASC', 'time DESC', 'DESC', 'ASC'])}`;
    if (this.chance(0.3)) s += ` LIMIT ${rng.nextInt(100)}`;
    if (this.chance(0.2)) s += ` OFFSET ${rng.nextInt(100)}`;
    if (this.chance(0.1)) s += ` SLIMIT ${rng.nextInt(10)}`;
    if (this.chance(0.1)) s += ` SOFFSET ${rng.nextInt(10)}`;
    if (this.chance(0.1)) s += ` tz('${pick(rng, ['UTC', 'Europe/Paris', 'America/New_York'])}')`;
    return s;
  }

  private tagKeyClause(): string {
    switch (this.rng.nextInt(5)) {
      case 0: return `WITH KEY = ${this.ident()}`;
      case 1: return `WITH KEY != ${this.ident()}`;
      case 2: return `WITH KEY =~ ${pick(this.rng, REGEXES)}`;
      case 3: return `WITH KEY !~ ${pick(this.rng, REGEXES)}`;
      default: return `WITH KEY IN (${this.list(1 + this.rng.nextInt(3), () => this.ident())})`;
    }
  }

  private opt(p: number, s: () => string): string {
    return this.chance(p) ? ' ' + s() : '';
  }

  /** A statement of any kind InfluxDB parses. */
  statement(): string {
    const rng = this.rng;
    const on = () => this.opt(0.3, () => `ON ${this.ident()}`);
    const from = () => this.opt(0.4, () => `FROM ${this.list(1 + rng.nextInt(2), () => this.source(2))}`);
    const where = () => this.opt(0.3, () => `WHERE ${this.condition(2)}`);
    const limits = () => this.opt(0.2, () => `LIMIT ${rng.nextInt(9)}`) + this.opt(0.2, () => `OFFSET ${rng.nextInt(9)}`);
    const exact = () => (this.chance(0.5) ? ' EXACT' : '');
    switch (rng.nextInt(20)) {
      case 0: return 'SHOW DATABASES';
      case 1: return `SHOW RETENTION POLICIES${on()}`;
      case 2: return `SHOW MEASUREMENTS${on()}${this.opt(0.3, () => `WITH MEASUREMENT ${pick(rng, ['= cpu', '=~ /c.*/', '= "m m"'])}`)}${where()}${limits()}`;
      case 3: return `SHOW TAG KEYS${on()}${from()}${where()}${limits()}${this.opt(0.1, () => `SLIMIT ${rng.nextInt(9)}`)}`;
      case 4: return `SHOW TAG VALUES${on()}${from()} ${this.tagKeyClause()}${where()}${limits()}`;
      case 5: return `SHOW FIELD KEYS${on()}${from()}${limits()}`;
      case 6: return `SHOW SERIES${on()}${from()}${where()}${limits()}`;
      case 7: return `SHOW${exact()} ${pick(rng, ['SERIES', 'MEASUREMENT'])} CARDINALITY${on()}${from()}${where()}`.replace('SHOW EXACT SERIES', 'SHOW SERIES EXACT').replace('SHOW EXACT MEASUREMENT CARDINALITY', 'SHOW MEASUREMENT EXACT CARDINALITY');
      case 8: return `SHOW TAG KEY${exact()} CARDINALITY${on()}${from()}${where()}`;
      case 9: return `SHOW TAG VALUES${exact()} CARDINALITY${on()}${from()} ${this.tagKeyClause()}${where()}`;
      case 10: return `SHOW FIELD KEY${exact()} CARDINALITY${on()}${from()}`;
      case 11: return `CREATE DATABASE ${this.ident()}${this.opt(0.3, () => `WITH DURATION ${pick(rng, ['1d', 'INF', '4w'])} REPLICATION 1${this.opt(0.5, () => 'SHARD DURATION 1h')}${this.opt(0.5, () => `NAME ${this.ident()}`)}`)}`;
      case 12: return pick(rng, [
        `DROP DATABASE ${this.ident()}`, `DROP MEASUREMENT ${this.ident()}`, `DROP SERIES FROM ${this.ident()} WHERE ${this.condition(2)}`,
        `DROP SHARD ${rng.nextInt(99)}`, `DROP RETENTION POLICY ${this.ident()} ON ${this.ident()}`, `DROP USER ${this.ident()}`,
        `DROP CONTINUOUS QUERY ${this.ident()} ON ${this.ident()}`, `DROP SUBSCRIPTION ${this.ident()} ON ${this.ident()}.${this.ident()}`,
      ]);
      case 13: return pick(rng, [
        `DELETE FROM ${this.ident()}`, `DELETE WHERE ${this.condition(2)}`, `GRANT ALL TO ${this.ident()}`, `GRANT READ ON ${this.ident()} TO ${this.ident()}`,
        `REVOKE WRITE ON ${this.ident()} FROM ${this.ident()}`, `REVOKE ALL PRIVILEGES FROM ${this.ident()}`, `SET PASSWORD FOR ${this.ident()} = 'pw'`,
        `KILL QUERY ${rng.nextInt(99)}`, `KILL QUERY 1 ON ${this.ident()}`,
      ]);
      case 14: return pick(rng, [
        `CREATE USER ${this.ident()} WITH PASSWORD 'pw'`, `CREATE USER ${this.ident()} WITH PASSWORD 'pw' WITH ALL PRIVILEGES`,
        `CREATE RETENTION POLICY ${this.ident()} ON ${this.ident()} DURATION 1d REPLICATION 1${this.opt(0.5, () => 'SHARD DURATION 1h')}${this.opt(0.5, () => 'DEFAULT')}`,
        `ALTER RETENTION POLICY ${this.ident()} ON ${this.ident()} DURATION 2d DEFAULT`,
        `CREATE SUBSCRIPTION ${this.ident()} ON ${this.ident()}.${this.ident()} DESTINATIONS ALL 'udp://h:1', 'udp://h:2'`,
        `CREATE CONTINUOUS QUERY ${this.ident()} ON ${this.ident()} BEGIN SELECT mean(v) INTO m2 FROM m GROUP BY time(1h) END`,
      ]);
      case 15: return pick(rng, ['SHOW USERS', `SHOW GRANTS FOR ${this.ident()}`, 'SHOW QUERIES', 'SHOW SHARDS', 'SHOW SHARD GROUPS', 'SHOW STATS', "SHOW STATS FOR 'httpd'", 'SHOW DIAGNOSTICS', 'SHOW SUBSCRIPTIONS', 'SHOW CONTINUOUS QUERIES']);
      case 16: return `EXPLAIN${this.chance(0.5) ? ' ANALYZE' : ''} ${this.select(1)}`;
      default: return this.select();
    }
  }

  /** A query of one to three statements, with stray `;`, comments and whitespace between. */
  query(): string {
    const n = 1 + (this.chance(0.2) ? this.rng.nextInt(3) : 0);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(this.statement());
    let q = parts.join(pick(this.rng, ['; ', ';\n', ' ;; ', '; -- note\n', '; /* c */']));
    if (this.chance(0.1)) q += ';';
    if (this.chance(0.05)) q = '  \n' + q;
    return q;
  }
}

/** Cuts `text` into rough tokens (words, numbers, quoted runs, single characters) for token mutations. */
function roughTokens(text: string): string[] {
  return text.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\/(?:[^/\\\n]|\\.)*\/|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?[A-Za-zµ]*|\s+|[\s\S]/gu) ?? [];
}

const REGEX_PIECES = ['a', '(', ')', '[', ']', '{', '}', '{2}', '{1,}', '{2,1}', '*', '+', '?', '|', '^', '$', '\\', '.', ':', '(?', '(?P<', '>', '[:', ':]', '[[:alpha:]]', '\\p{', '\\pL', '\\x{', '\\Q', '\\E', '-', '0', '7', 'é', '\\/'];

/** A random pattern over RE2's metacharacters, for the regex checker. */
export function randomRegex(rng: Rng): string {
  let out = '';
  const n = 1 + rng.nextInt(12);
  for (let i = 0; i < n; i++) out += pick(rng, REGEX_PIECES);
  return out;
}

/** Random bound parameter values, of every kind InfluxDB binds (and some it refuses). */
export function randomParams(rng: Rng): Record<string, unknown> {
  const values: unknown[] = [
    'a', 1n, -3n, 1.5, true, null, [1], { identifier: 'cpu' }, { regex: '^a' }, { regex: '(' }, { duration: '5m' }, { duration: 60_000_000_000n },
    { integer: 2n }, { float: 2 }, { string: 's' }, { a: 1, b: 2 }, { unknown: 1 }, { identifier: 5 },
  ];
  return { p: pick(rng, values), 'q q': pick(rng, values), n: pick(rng, values) };
}

/** One mutation of a valid query: the kind of damage a client or an attacker sends. */
export function mutate(rng: Rng, text: string): string {
  const tokens = roughTokens(text);
  switch (rng.nextInt(11)) {
    case 10: // a random regex where one may appear
      return `SELECT v FROM m WHERE a ${pick(rng, ['=~', '!~'])} /${randomRegex(rng)}/`;
    case 0: // truncation
      return text.slice(0, rng.nextInt(text.length + 1));
    case 1: { // insert random tokens
      const n = 1 + rng.nextInt(3);
      for (let i = 0; i < n; i++) {
        const tok = rng.nextInt(2) === 0 ? pick(rng, KEYWORD_TOKENS) : pick(rng, PUNCT_TOKENS);
        tokens.splice(rng.nextInt(tokens.length + 1), 0, rng.nextInt(2) === 0 ? ` ${tok} ` : tok);
      }
      return tokens.join('');
    }
    case 2: { // drop tokens
      const n = 1 + rng.nextInt(3);
      for (let i = 0; i < n && tokens.length > 0; i++) tokens.splice(rng.nextInt(tokens.length), 1);
      return tokens.join('');
    }
    case 3: { // swap two tokens
      if (tokens.length < 2) return text;
      const a = rng.nextInt(tokens.length);
      const b = rng.nextInt(tokens.length);
      [tokens[a], tokens[b]] = [tokens[b]!, tokens[a]!];
      return tokens.join('');
    }
    case 4: { // replace characters
      const chars = Array.from(text);
      const n = 1 + rng.nextInt(4);
      for (let i = 0; i < n && chars.length > 0; i++) chars[rng.nextInt(chars.length)] = String.fromCharCode(rng.nextInt(128));
      return chars.join('');
    }
    case 5: { // unicode, NUL, CR
      const chars = Array.from(text);
      chars.splice(rng.nextInt(chars.length + 1), 0, pick(rng, UNICODE));
      return chars.join('');
    }
    case 6: { // deep nesting of parentheses around an expression or a subquery
      const depth = 1 + rng.nextInt(400);
      if (rng.nextInt(2) === 0) return `SELECT ${'('.repeat(depth)}v${')'.repeat(rng.nextInt(2) === 0 ? depth : rng.nextInt(depth + 1))} FROM m`;
      return `SELECT * FROM ${'(SELECT * FROM '.repeat(depth)}m${')'.repeat(rng.nextInt(2) === 0 ? depth : rng.nextInt(depth + 1))}`;
    }
    case 7: { // long operator chains and nested calls
      const n = 1 + rng.nextInt(1500);
      if (rng.nextInt(2) === 0) return `SELECT v FROM m WHERE ${Array.from({ length: n }, (_, i) => `a = ${i}`).join(rng.nextInt(2) === 0 ? ' OR ' : ' AND ')}`;
      return `SELECT ${'abs('.repeat(n % 300)}v${')'.repeat(n % 300)} FROM m`;
    }
    case 8: { // duplicate a slice
      const a = rng.nextInt(text.length + 1);
      const b = a + rng.nextInt(text.length - a + 1);
      return text.slice(0, b) + text.slice(a, b) + text.slice(b);
    }
    default: { // unterminated quotes, comments and regexes
      const opener = pick(rng, ["'", '"', '/*', '/', '$"', '\\']);
      const at = rng.nextInt(text.length + 1);
      return text.slice(0, at) + opener + text.slice(at);
    }
  }
}
