/**
 * InfluxQL's syntax tree: what the parser (parser.ts) produces and the executor (executor.ts)
 * runs. Shaped after InfluxDB 1.x's language (the `influxql` Go package): a query is a list of
 * statements; a SELECT has fields, sources, a condition, dimensions, fill and limits.
 */

/** A duration literal's units, as InfluxQL spells them (`u` and `µ` are both microseconds). */
export type DurationUnit = 'ns' | 'u' | 'µ' | 'ms' | 's' | 'm' | 'h' | 'd' | 'w';

/** A cast on a name: `usage::field`, `host::tag`, `v::integer`. */
export type Cast = 'field' | 'tag' | 'integer' | 'unsigned' | 'float' | 'string' | 'boolean';

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^'
  | '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='
  | '=~' | '!~'
  | 'AND' | 'OR';

export type Expr =
  /** A float literal (`1.5`, `1e3`). */
  | { kind: 'number'; value: number }
  /** An integer literal (`42`), exact to 64 bits. */
  | { kind: 'integer'; value: bigint }
  /** A single-quoted string literal, unescaped. */
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  /** A duration literal (`5m`, `1h30m`), in nanoseconds. */
  | { kind: 'duration'; ns: bigint }
  /** A regex literal `/…/`, its source as written (with `\/` unescaped to `/`). */
  | { kind: 'regex'; pattern: string }
  /** A bound parameter `$name` (the v1 `params` query parameter gives its value). */
  | { kind: 'param'; name: string }
  /** A name: a field, a tag or `time`; `cast` from `::`. Quoted names are unquoted here. */
  | { kind: 'ref'; name: string; cast?: Cast }
  /** `*` (or `*::field`, `*::tag`) in a field list or a call (`count(*)`). */
  | { kind: 'wildcard'; cast?: 'field' | 'tag' }
  /** A function call: `mean(usage)`, `now()`, `percentile(v, 95)`, `time(1m)` in GROUP BY. Name lower-cased. */
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  /** Parentheses the user wrote (kept so printing round-trips; no other meaning). */
  | { kind: 'paren'; expr: Expr }
  /** Unary minus on a name or call (`-usage`); on a literal the parser folds it into the literal. */
  | { kind: 'neg'; expr: Expr };

/** One entry of a SELECT's field list. */
export interface Field {
  expr: Expr;
  alias?: string;
}

/** A FROM source: a measurement (by name or regex, optionally `db.rp.` qualified) or a subquery. */
export type Source =
  | { kind: 'measurement'; database?: string; retentionPolicy?: string; name?: string; regex?: string }
  | { kind: 'subquery'; statement: SelectStatement };

/** A GROUP BY dimension. */
export type Dimension =
  /**
   * `time(interval[, offset])`, as InfluxDB prepares it: the interval constant-folded (`(30m+30m)*2`),
   * `offsetNs` the offset modulo the interval (sign kept, as Go's `%`), `now()` resolved from parseQuery's `nowNs`.
   */
  | { kind: 'time'; intervalNs: bigint; offsetNs: bigint }
  /** A tag by name. */
  | { kind: 'tag'; name: string }
  /** Tags by regex. */
  | { kind: 'regex'; pattern: string }
  /** `*`: every tag. */
  | { kind: 'wildcard' };

export type Fill =
  | { mode: 'null' }
  | { mode: 'none' }
  | { mode: 'previous' }
  | { mode: 'linear' }
  | { mode: 'value'; value: number | bigint };

export interface SelectStatement {
  kind: 'select';
  fields: Field[];
  /** `INTO` is parsed so that its error is clear, never run. */
  into?: Source;
  sources: Source[];
  condition?: Expr;
  dimensions: Dimension[];
  /** Absent: `fill(null)`, InfluxDB's default. */
  fill?: Fill;
  /** `ORDER BY time DESC`. */
  descending: boolean;
  limit?: number;
  offset?: number;
  slimit?: number;
  soffset?: number;
  /** `tz('Europe/Paris')`. */
  timezone?: string;
}

/** `ON db` and the common clauses of SHOW statements. */
interface ShowBase {
  database?: string;
  /** FROM: measurements by name or regex. */
  sources?: Source[];
  condition?: Expr;
  limit?: number;
  offset?: number;
}

export type Statement =
  | SelectStatement
  | { kind: 'showDatabases' }
  | { kind: 'showRetentionPolicies'; database?: string }
  | (ShowBase & { kind: 'showMeasurements'; measurement?: { op: '=' | '!=' | '=~' | '!~'; name?: string; regex?: string } })
  | (ShowBase & { kind: 'showTagKeys'; slimit?: number; soffset?: number })
  | (ShowBase & { kind: 'showTagValues'; key: { op: '=' | '!=' | '=~' | '!~' | 'IN'; names?: string[]; regex?: string } })
  | (ShowBase & { kind: 'showFieldKeys' })
  | (ShowBase & { kind: 'showSeries' })
  /** `SHOW [EXACT] MEASUREMENT|SERIES CARDINALITY`, `SHOW TAG KEY CARDINALITY`, `SHOW TAG VALUES CARDINALITY WITH KEY …`, `SHOW FIELD KEY CARDINALITY`. */
  | (ShowBase & { kind: 'showCardinality'; of: 'measurement' | 'series' | 'tagKey' | 'tagValues' | 'fieldKey'; exact: boolean; key?: { op: '=' | '!=' | '=~' | '!~' | 'IN'; names?: string[]; regex?: string } })
  | { kind: 'createDatabase'; name: string; /** `WITH DURATION …` and the like: parsed, refused when not the defaults. */ options?: string }
  /**
   * Any other statement InfluxQL has (DROP, DELETE, GRANT, CREATE USER, ALTER RETENTION POLICY,
   * KILL QUERY, SHOW USERS…): parsed far enough to name it, answered with a clear
   * "not supported" error.
   */
  | { kind: 'unsupported'; name: string }
  /**
   * A statement that parses but that InfluxDB refuses when it prepares it (a GROUP BY on a field
   * expression, two time dimensions…): `error` is that statement's error, the query goes on.
   */
  | { kind: 'invalid'; error: string };

/** A parsed query: its statements in order. */
export interface Query {
  statements: Statement[];
}
