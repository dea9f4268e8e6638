/**
 * InfluxQL's meta statements, answered as InfluxDB 1.6 answers them (series names, columns,
 * order, empty answers): SHOW DATABASES, RETENTION POLICIES, MEASUREMENTS, TAG KEYS, TAG VALUES,
 * FIELD KEYS, SERIES, the cardinalities, CREATE DATABASE. Names and types come from the catalog;
 * what a WHERE clause selects comes from the rows, through the SQL engine (./meta-where.ts says
 * what a condition means). Every other statement is an error naming it as not supported.
 *
 * Where Sluice differs, on purpose:
 * - No `_internal` database: Sluice keeps its metrics at /metrics, not in a database.
 * - One retention policy per database, `autogen`, kept forever; CREATE DATABASE … WITH options
 *   other than autogen's is refused.
 * - The estimated cardinalities (`SHOW SERIES CARDINALITY`, `SHOW MEASUREMENT CARDINALITY`) are
 *   exact counts (still under InfluxDB's column name `cardinality estimation`).
 * - Database names follow the catalog's rule (stricter than 1.x's): a name 1.x takes but the
 *   catalog does not is refused with the catalog's reason.
 */
import type { DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import type { ColumnType } from '../wal/model.js';
import { WriteError } from '../write/errors.js';
import type { Expr, Source, Statement } from './ast.js';
import { tagValuesFromCaches } from './cache-answers.js';
import { InfluxQLStatementError, type StatementContext } from './executor.js';
import { quoteIdent } from './lexer.js';
import {
  checkTagOperators,
  hasTimeExpr,
  isBounded,
  measurementsByCondition,
  seriesConditionSql,
  shardGroupTimeSql,
  type FieldComparisons,
  type SqlCondition,
} from './meta-where.js';
import type { InfluxValue, Series } from './result.js';
import { compileRegex } from './select-plan.js';
import { sqlIdent, sqlString } from './sql-values.js';
import { splitTimeCondition, type TimeRange } from './time.js';

type MetaStatement = Exclude<Statement, { kind: 'select' }>;
type KeyFilter = { op: '=' | '!=' | '=~' | '!~' | 'IN'; names?: string[]; regex?: string };

/** Runs one statement other than SELECT; InfluxQLStatementError for its error. */
export async function runMetaStatement(ctx: StatementContext, statement: MetaStatement): Promise<Series[]> {
  switch (statement.kind) {
    case 'showDatabases':
      return [{ name: 'databases', columns: ['name'], values: ctx.env.catalog.listDatabases().map((db) => [db.name]), timeColumn: false }];
    case 'showRetentionPolicies':
      requireDatabase(ctx, statement.database);
      // 1.6's answer for a database created without options: autogen, kept forever, 7-day shard groups.
      return [{ name: '', columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'], values: [['autogen', '0s', '168h0m0s', 1n, true]], timeColumn: false }];
    case 'showMeasurements':
      return showMeasurements(ctx, statement);
    case 'showTagKeys':
      return showTagKeys(ctx, statement);
    case 'showTagValues':
      return showTagValues(ctx, statement);
    case 'showFieldKeys':
      return showFieldKeys(ctx, statement);
    case 'showSeries':
      return showSeries(ctx, statement);
    case 'showCardinality':
      return showCardinality(ctx, statement);
    case 'createDatabase':
      await createDatabase(ctx, statement.name, statement.options);
      return [];
    case 'unsupported':
      throw new InfluxQLStatementError(`${statement.name} is not supported by Sluice`);
    case 'invalid':
      throw new InfluxQLStatementError(statement.error);
  }
}

/**
 * The warning InfluxDB 1.x answers with a statement that changes something when the request
 * was a GET ("read only"): the statement still runs. Undefined for the others.
 */
export function readOnlyWarning(statement: Statement): string | undefined {
  if (statement.kind !== 'createDatabase') return undefined;
  const text = `CREATE DATABASE ${quoteIdent([statement.name])}${statement.options === undefined ? '' : ` ${statement.options}`}`;
  return `deprecated use of '${text}' in a read only context, please use a POST request instead`;
}

// ---------------------------------------------------------------- databases

/** The database a statement runs on: `ON db`, else the `db` parameter. */
function databaseName(ctx: StatementContext, on: string | undefined): string {
  const name = on ?? ctx.options.database ?? '';
  if (name === '') throw new InfluxQLStatementError('database name required');
  return name;
}

function requireDatabase(ctx: StatementContext, on: string | undefined): DatabaseSchema {
  const name = databaseName(ctx, on);
  const db = ctx.env.catalog.database(name);
  if (db === undefined) throw new InfluxQLStatementError(`database not found: ${name}`);
  return db;
}

async function createDatabase(ctx: StatementContext, name: string, options: string | undefined): Promise<void> {
  if (!isValidInfluxName(name)) throw new InfluxQLStatementError('invalid name');
  if (options !== undefined && !isAutogenOptions(options)) {
    throw new InfluxQLStatementError(`CREATE DATABASE ${options} is not supported by Sluice: it keeps one retention policy per database, autogen, which keeps data forever`);
  }
  try {
    await ctx.env.createDatabase(name);
  } catch (err) {
    if (err instanceof WriteError && (err.code === 'INVALID_DATABASE' || err.code === 'LIMIT')) throw new InfluxQLStatementError(err.message);
    throw err;
  }
}

/** InfluxDB 1.x's rule for names (meta.ValidName): printable, not empty, `.` or `..`, no `/` or `\`. */
function isValidInfluxName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\]/.test(name) && /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u.test(name);
}

const DURATION_UNITS_NS: Record<string, bigint> = { ns: 1n, u: 1000n, µ: 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n, w: 604_800_000_000_000n };

function durationNs(text: string): bigint | undefined {
  if (text.toUpperCase() === 'INF') return 0n;
  let total = 0n;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+)(ns|u|µ|ms|s|m|h|d|w)/.exec(rest);
    if (m === null) return undefined;
    total += BigInt(m[1]!) * DURATION_UNITS_NS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/**
 * Whether `WITH …` (as the parser kept it) only restates autogen: DURATION INF (or 0),
 * REPLICATION 1, SHARD DURATION 168h (or 0: the default), NAME autogen.
 */
function isAutogenOptions(options: string): boolean {
  const words = options.trim().split(/\s+/).slice(1); // after WITH
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!.toUpperCase();
    if (word === 'DURATION') {
      if (durationNs(words[++i] ?? '') !== 0n) return false;
    } else if (word === 'REPLICATION') {
      if (words[++i] !== '1') return false;
    } else if (word === 'SHARD' && words[i + 1]?.toUpperCase() === 'DURATION') {
      const ns = durationNs(words[(i += 2)] ?? '');
      if (ns !== 0n && ns !== 7n * DURATION_UNITS_NS.d!) return false;
    } else if (word === 'NAME') {
      if (words[++i]?.replace(/^"(.*)"$/, '$1') !== 'autogen') return false;
    } else {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------- reading the data

/** Byte order of UTF-8 names, as Go sorts strings. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function sortBytes(names: Iterable<string>): string[] {
  return [...names].sort(compareBytes);
}

/** The tables of `db` a FROM clause names (all without one), by name in byte order. */
function tablesFrom(db: DatabaseSchema, sources: Source[] | undefined): TableSchema[] {
  const tables = [...db.tables.values()].sort((a, b) => compareBytes(a.name, b.name));
  if (sources === undefined || sources.length === 0) return tables;
  const matchers = sources.map((s): ((name: string) => boolean) => {
    if (s.kind !== 'measurement') throw new InfluxQLStatementError('subqueries are not allowed in SHOW statements');
    if (s.regex !== undefined) {
      const re = compileRegex(s.regex);
      return (name) => re.test(name);
    }
    return (name) => name === s.name;
  });
  return tables.filter((t) => matchers.some((m) => m(t.name)));
}

function tagKeysOf(table: TableSchema): string[] {
  return sortBytes([...table.columns.values()].filter((c) => c.type === 'tag').map((c) => c.name));
}

const FIELD_TYPE_NAMES: Partial<Record<ColumnType, string>> = { float64: 'float', int64: 'integer', uint64: 'unsigned', string: 'string', bool: 'boolean' };

/** One planned statement over `table` (see `PlannedRead`): the rows. */
async function querySql(ctx: StatementContext, db: string, table: TableSchema, sql: string): Promise<InfluxValue[][]> {
  const result = await ctx.env.query.query(db, sql, undefined, {
    planned: { table },
    ...(ctx.options.signal === undefined ? {} : { signal: ctx.options.signal }),
    ...(ctx.options.timeoutMs === undefined ? {} : { timeoutMs: ctx.options.timeoutMs }),
  });
  return result.rows as InfluxValue[][];
}

/** Whether some row of `table` satisfies `whereSql`. */
async function hasRow(ctx: StatementContext, db: string, table: TableSchema, whereSql: string): Promise<boolean> {
  return (await querySql(ctx, db, table, `SELECT 1 FROM ${sqlIdent(table.name)} WHERE ${whereSql} LIMIT 1`)).length > 0;
}

/** What a SHOW statement's WHERE clause says: the tag condition per table, and the time range. */
interface SeriesFilter {
  condition: Expr | undefined;
  range: TimeRange;
}

function seriesFilter(ctx: StatementContext, condition: Expr | undefined): SeriesFilter {
  const split = splitTimeCondition(condition, ctx.nowNs, undefined);
  checkTagOperators(split.condition);
  return { condition: split.condition, range: split.range };
}

function conditionFor(filter: SeriesFilter, table: TableSchema, fields: FieldComparisons = 'ignored'): SqlCondition {
  return filter.condition === undefined ? true : seriesConditionSql(filter.condition, table, fields);
}

/** The tables (by FROM) with a series the filter keeps, for the counts InfluxDB 1.6 computes over its series. */
async function tablesWithSeries(ctx: StatementContext, db: DatabaseSchema, sources: Source[] | undefined, filter: SeriesFilter): Promise<TableSchema[]> {
  const out: TableSchema[] = [];
  for (const table of tablesFrom(db, sources)) {
    if (filter.condition === undefined || (await seriesOf(ctx, db.name, table, conditionFor(filter, table, 'unmatched'), [])).length > 0) out.push(table);
  }
  return out;
}

/**
 * The distinct series of `table` the condition keeps (rows of its tag values in `tagKeysOf`
 * order, null for a tag a series lacks), restricted to `timeSql`.
 */
async function seriesOf(ctx: StatementContext, db: string, table: TableSchema, condition: SqlCondition, timeSql: string[]): Promise<Array<Array<string | null>>> {
  if (condition === false) return [];
  const where = [...timeSql];
  if (condition !== true) where.push(condition);
  const whereSql = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  const keys = tagKeysOf(table);
  if (keys.length === 0) return (await querySql(ctx, db, table, `SELECT 1 FROM ${sqlIdent(table.name)}${whereSql} LIMIT 1`)).length > 0 ? [[]] : [];
  const rows = await querySql(ctx, db, table, `SELECT DISTINCT ${keys.map(sqlIdent).join(', ')} FROM ${sqlIdent(table.name)}${whereSql}`);
  return rows as Array<Array<string | null>>;
}

/**
 * Whether a time range lets SHOW TAG KEYS / TAG VALUES answer at all: in InfluxDB 1.6 they
 * answer from the whole database's index once one shard group the range overlaps exists.
 */
async function hasShardGroupIn(ctx: StatementContext, db: DatabaseSchema, range: TimeRange): Promise<boolean> {
  if (!isBounded(range)) return true;
  const timeSql = shardGroupTimeSql(range);
  if (timeSql.length === 0) return true;
  for (const table of db.tables.values()) if (await hasRow(ctx, db.name, table, timeSql.join(' AND '))) return true;
  return false;
}

/** LIMIT and OFFSET over a list (0 means none, as in InfluxDB). */
function page<T>(values: T[], limit: number | undefined, offset: number | undefined): T[] {
  const start = offset ?? 0;
  const rest = start > 0 ? values.slice(start) : values;
  return limit !== undefined && limit > 0 ? rest.slice(0, limit) : rest;
}

// ---------------------------------------------------------------- SHOW MEASUREMENTS

async function showMeasurements(ctx: StatementContext, statement: Extract<MetaStatement, { kind: 'showMeasurements' }>): Promise<Series[]> {
  const name = databaseName(ctx, statement.database);
  if (hasTimeExpr(statement.condition)) throw new InfluxQLStatementError("SHOW MEASUREMENTS doesn't support time in WHERE clause");
  const db = ctx.env.catalog.database(name);
  // InfluxDB 1.6 answers nothing (not an error) for a database it does not have.
  if (db === undefined) return [];
  const names = await measurementNames(ctx, db, measurementCondition(statement.measurement === undefined ? [] : [statement.measurement], statement.condition));
  const values = page(names, statement.limit, statement.offset).map((n) => [n]);
  return values.length === 0 ? [] : [{ name: 'measurements', columns: ['name'], values, timeColumn: false }];
}

/** FROM / WITH MEASUREMENT as `_name` conditions joined to the WHERE clause, as InfluxDB 1.6 rewrites them. */
function measurementCondition(sources: Array<{ op: string; name?: string; regex?: string }>, condition: Expr | undefined): Expr | undefined {
  let byName: Expr | undefined;
  for (const s of sources) {
    const e: Expr =
      s.regex !== undefined
        ? { kind: 'binary', op: s.op === '!~' ? '!~' : '=~', left: { kind: 'ref', name: '_name' }, right: { kind: 'regex', pattern: s.regex } }
        : { kind: 'binary', op: s.op === '!=' ? '!=' : '=', left: { kind: 'ref', name: '_name' }, right: { kind: 'string', value: s.name ?? '' } };
    byName = byName === undefined ? e : { kind: 'binary', op: 'OR', left: byName, right: e };
  }
  if (byName === undefined) return condition;
  if (condition === undefined) return byName;
  return { kind: 'binary', op: 'AND', left: { kind: 'paren', expr: byName }, right: { kind: 'paren', expr: condition } };
}

async function measurementNames(ctx: StatementContext, db: DatabaseSchema, condition: Expr | undefined): Promise<string[]> {
  if (condition === undefined) return sortBytes(db.tables.keys());
  return sortBytes(await measurementsByCondition(condition, db, (table, where) => hasRow(ctx, db.name, table, where)));
}

// ---------------------------------------------------------------- SHOW TAG KEYS / TAG VALUES / FIELD KEYS

async function tagKeysByTable(ctx: StatementContext, db: DatabaseSchema, sources: Source[] | undefined, filter: SeriesFilter): Promise<Array<{ table: TableSchema; keys: string[] }>> {
  if (!(await hasShardGroupIn(ctx, db, filter.range))) return [];
  const out: Array<{ table: TableSchema; keys: string[] }> = [];
  for (const table of tablesFrom(db, sources)) {
    const all = tagKeysOf(table);
    if (all.length === 0) continue;
    if (filter.condition === undefined) {
      out.push({ table, keys: all });
      continue;
    }
    const series = await seriesOf(ctx, db.name, table, conditionFor(filter, table), []);
    const keys = all.filter((_, i) => series.some((s) => s[i] !== null));
    if (keys.length > 0) out.push({ table, keys });
  }
  return out;
}

async function showTagKeys(ctx: StatementContext, statement: Extract<MetaStatement, { kind: 'showTagKeys' }>): Promise<Series[]> {
  const db = requireDatabase(ctx, statement.database);
  const filter = seriesFilter(ctx, statement.condition);
  // SLIMIT and SOFFSET are parsed and, as in InfluxDB 1.6, change nothing.
  const out: Series[] = [];
  for (const { table, keys } of await tagKeysByTable(ctx, db, statement.sources, filter)) {
    const values = page(keys, statement.limit, statement.offset).map((k) => [k]);
    if (values.length > 0) out.push({ name: table.name, columns: ['tagKey'], values, timeColumn: false });
  }
  return out;
}

function keyMatcher(key: KeyFilter): (name: string) => boolean {
  switch (key.op) {
    case '=':
      return (name) => name === key.names![0];
    case '!=':
      return (name) => name !== key.names![0];
    case 'IN':
      return (name) => key.names!.includes(name);
    case '=~':
    case '!~': {
      const re = compileRegex(key.regex!);
      return (name) => re.test(name) === (key.op === '=~');
    }
  }
}

/** Per table, the sorted (key, value) pairs of the chosen tag keys over the series the filter keeps. */
async function tagValuesByTable(ctx: StatementContext, db: DatabaseSchema, sources: Source[] | undefined, key: KeyFilter, filter: SeriesFilter): Promise<Array<{ table: TableSchema; pairs: Array<[string, string]> }>> {
  if (!(await hasShardGroupIn(ctx, db, filter.range))) return [];
  const matches = keyMatcher(key);
  const out: Array<{ table: TableSchema; pairs: Array<[string, string]> }> = [];
  for (const table of tablesFrom(db, sources)) {
    const keys = tagKeysOf(table).filter(matches);
    if (keys.length === 0) continue;
    const condition = conditionFor(filter, table);
    if (condition === false) continue;
    // No WHERE clause at all: a complete distinct cache holding every key answers as the rows would.
    const cached = filter.condition === undefined && !isBounded(filter.range) ? tagValuesFromCaches(ctx.env.caches, ctx.env.catalog, db, table, keys, ctx.nowNs) : undefined;
    if (cached !== undefined) {
      cached.sort((a, b) => compareBytes(a[0], b[0]) || compareBytes(a[1], b[1]));
      if (cached.length > 0) out.push({ table, pairs: cached });
      continue;
    }
    const from = sqlIdent(table.name);
    const sql = keys
      .map((k) => `SELECT DISTINCT ${sqlString(k)} AS "key", ${sqlIdent(k)} AS "value" FROM ${from} WHERE ${sqlIdent(k)} IS NOT NULL${condition === true ? '' : ` AND ${condition}`}`)
      .join(' UNION ALL ');
    const rows = (await querySql(ctx, db.name, table, sql)) as Array<[string, string]>;
    rows.sort((a, b) => compareBytes(a[0], b[0]) || compareBytes(a[1], b[1]));
    if (rows.length > 0) out.push({ table, pairs: rows });
  }
  return out;
}

async function showTagValues(ctx: StatementContext, statement: Extract<MetaStatement, { kind: 'showTagValues' }>): Promise<Series[]> {
  const db = requireDatabase(ctx, statement.database);
  const filter = seriesFilter(ctx, statement.condition);
  const out: Series[] = [];
  for (const { table, pairs } of await tagValuesByTable(ctx, db, statement.sources, statement.key, filter)) {
    const values = page(pairs, statement.limit, statement.offset);
    if (values.length > 0) out.push({ name: table.name, columns: ['key', 'value'], values, timeColumn: false });
  }
  return out;
}

function fieldKeysOf(table: TableSchema): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const c of table.columns.values()) {
    const type = FIELD_TYPE_NAMES[c.type];
    if (type !== undefined) fields.push([c.name, type]);
  }
  return fields.sort((a, b) => compareBytes(a[0], b[0]));
}

function showFieldKeys(ctx: StatementContext, statement: Extract<MetaStatement, { kind: 'showFieldKeys' }>): Series[] {
  const db = requireDatabase(ctx, statement.database);
  const out: Series[] = [];
  for (const table of tablesFrom(db, statement.sources)) {
    const values = page(fieldKeysOf(table), statement.limit, statement.offset);
    if (values.length > 0) out.push({ name: table.name, columns: ['fieldKey', 'fieldType'], values, timeColumn: false });
  }
  return out;
}

// ---------------------------------------------------------------- SHOW SERIES

/** Line protocol's escapes in a series key: `,` and space in a measurement, also `=` in tags. */
function escapeMeasurement(name: string): string {
  return name.replace(/[, ]/g, '\\$&');
}

function escapeTag(text: string): string {
  return text.replace(/[, =]/g, '\\$&');
}

/** Per table, the sorted keys (`cpu,host=a,region=us`) of the series the filter keeps. */
async function seriesKeysByTable(ctx: StatementContext, db: DatabaseSchema, sources: Source[] | undefined, filter: SeriesFilter, timeSql: string[]): Promise<Array<{ table: TableSchema; keys: string[] }>> {
  const out: Array<{ table: TableSchema; keys: string[] }> = [];
  for (const table of tablesFrom(db, sources)) {
    const tagKeys = tagKeysOf(table);
    const series = await seriesOf(ctx, db.name, table, conditionFor(filter, table), timeSql);
    if (series.length === 0) continue;
    const prefix = escapeMeasurement(table.name);
    const keys = series.map((s) => {
      let key = prefix;
      for (let i = 0; i < tagKeys.length; i++) if (s[i] !== null) key += `,${escapeTag(tagKeys[i]!)}=${escapeTag(s[i]!)}`;
      return key;
    });
    out.push({ table, keys: keys.sort(compareBytes) });
  }
  return out;
}

async function showSeries(ctx: StatementContext, statement: Extract<MetaStatement, { kind: 'showSeries' }>): Promise<Series[]> {
  const db = requireDatabase(ctx, statement.database);
  const filter = seriesFilter(ctx, statement.condition);
  const all = (await seriesKeysByTable(ctx, db, statement.sources, filter, shardGroupTimeSql(filter.range))).flatMap((t) => t.keys);
  const values = page(all, statement.limit, statement.offset).map((k) => [k]);
  return values.length === 0 ? [] : [{ name: '', columns: ['key'], values, timeColumn: false }];
}

// ---------------------------------------------------------------- cardinalities

const TIME_ERRORS = {
  measurement: 'SHOW MEASUREMENT EXACT CARDINALITY',
  series: 'SHOW SERIES EXACT CARDINALITY',
  tagKey: 'SHOW TAG KEY EXACT CARDINALITY',
  fieldKey: 'SHOW FIELD KEY CARDINALITY',
} as const;

async function showCardinality(ctx: StatementContext, statement: Extract<MetaStatement, { kind: 'showCardinality' }>): Promise<Series[]> {
  const { of } = statement;
  const name = databaseName(ctx, statement.database);
  if (of !== 'tagValues' && hasTimeExpr(statement.condition)) throw new InfluxQLStatementError(`${TIME_ERRORS[of]} doesn't support time in WHERE clause`);
  const isEstimate = !statement.exact && (statement.sources === undefined || statement.sources.length === 0) && statement.condition === undefined;
  if (isEstimate && (of === 'measurement' || of === 'series')) {
    // InfluxDB 1.6 estimates these two (HyperLogLog); Sluice counts, under the same column name.
    // A database it does not have is 0 to InfluxDB 1.6 here, not an error.
    const db = ctx.env.catalog.database(name);
    let n = 0;
    if (db !== undefined && of === 'measurement') n = db.tables.size;
    if (db !== undefined && of === 'series') {
      for (const t of await seriesKeysByTable(ctx, db, undefined, { condition: undefined, range: splitTimeCondition(undefined, ctx.nowNs, undefined).range }, [])) n += t.keys.length;
    }
    return [{ name: '', columns: ['cardinality estimation'], values: [[BigInt(n)]], timeColumn: false }];
  }
  const db = requireDatabase(ctx, statement.database);
  // Each answer is one row: an OFFSET skips it, as in InfluxDB 1.6.
  if ((statement.offset ?? 0) > 0) return [];
  const count = (table: TableSchema | undefined, n: number): Series => ({ name: table?.name ?? '', columns: ['count'], values: [[BigInt(n)]], timeColumn: false });
  switch (of) {
    case 'measurement': {
      // Unlike SHOW MEASUREMENTS, 1.6 counts the measurements with a series the WHERE clause keeps.
      const n = (await tablesWithSeries(ctx, db, statement.sources, seriesFilter(ctx, statement.condition))).length;
      return n === 0 ? [] : [count(undefined, n)];
    }
    case 'series': {
      const filter = seriesFilter(ctx, statement.condition);
      return (await seriesKeysByTable(ctx, db, statement.sources, filter, [])).map((t) => count(t.table, t.keys.length));
    }
    case 'tagKey': {
      const filter = seriesFilter(ctx, statement.condition);
      return (await tagKeysByTable(ctx, db, statement.sources, filter)).map((t) => count(t.table, t.keys.length));
    }
    case 'tagValues': {
      const filter = seriesFilter(ctx, statement.condition);
      // Distinct values across the chosen keys, as 1.6's count(distinct(value)) answers.
      return (await tagValuesByTable(ctx, db, statement.sources, statement.key!, filter)).map((t) => count(t.table, new Set(t.pairs.map((p) => p[1])).size));
    }
    case 'fieldKey':
      return (await tablesWithSeries(ctx, db, statement.sources, seriesFilter(ctx, statement.condition))).map((t) => count(t, fieldKeysOf(t).length));
  }
}
