/**
 * The rows a SELECT reads, by column and in time order: from a catalog table through the SQL
 * engine (streamed chunk by chunk, bounded), or from a subquery's answer (filtered here).
 * Casts (`v::integer`) and the engine's values as InfluxQL values live here too.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { Caches } from '../cache/caches.js';
import type { Catalog, TableSchema } from '../catalog/catalog.js';
import type { QueryEngine, QueryRunOptions } from '../query/engine.js';
import type { NativeStatement } from '../query/native.js';
import type { Expr } from './ast.js';
import { lastpointFromCache } from './cache-answers.js';
import { InfluxQLStatementError } from './executor.js';
import type { OnWork, Value } from './functions.js';
import type { InfluxValue, Series } from './result.js';
import { matches } from './select-eval.js';
import { compileRegex, type FieldType, type SourceSchema } from './select-plan.js';
import { conditionSql, nativeFilters, timeRangeSql } from './select-sql.js';
import { sqlIdent, sqlInteger, sqlTimestampNs } from './sql-values.js';
import type { TimeRange } from './time.js';

/** Most rows one statement reads into JavaScript from one measurement (InfluxDB's `max-select-point` wording when passed). */
export const MAX_ROWS = 10_000_000;

/** Rows read from a measurement, by column, in time order. */
export interface RowSet {
  times: bigint[];
  columns: Map<string, Array<Value | null>>;
  schema: SourceSchema;
}

/** What to read from a table. */
export interface TableRead {
  engine: QueryEngine;
  database: string;
  table: TableSchema;
  schema: SourceSchema;
  /** Columns to read (tags and fields). */
  names: readonly string[];
  /** Fields of which a row must hold one (a row without any is never answered). */
  fields: readonly string[];
  range: TimeRange;
  condition: Expr | undefined;
  /**
   * The first `rows` rows only, in this direction: of the whole table (raw values of one series),
   * or of each group of the `perGroup` tags (a missing tag is ''), as GROUP BY tags groups them.
   */
  limit?: { rows: number; descending: boolean; perGroup?: readonly string[] };
  options: QueryRunOptions;
  /** Called with each chunk's row count (deadline checks). */
  onRows(n: number): void;
  /** The caches that may answer a lastpoint read instead of the rows (see `./cache-answers.ts`), and what they need. */
  caches?: { caches: Caches | undefined; catalog: Catalog; nowNs: bigint };
}

/** The time (ns) one row of `sql` answers, under the read's options (not logged apart: it is part of the statement); undefined for null. */
async function edgeBoundNs(read: TableRead, sql: string): Promise<bigint | undefined> {
  const result = await read.engine.query(read.database, sql, undefined, { ...read.options, logAs: 'none' });
  const v = result.rows[0]?.[0];
  return typeof v === 'bigint' ? v : undefined;
}

/** `options` with its planned read's time range narrowed to `bound` (pruning sources outside it). */
function narrowedPlan(options: QueryRunOptions, bound: { minTimeNs?: bigint; maxTimeNs?: bigint }): QueryRunOptions {
  const planned = options.planned;
  if (planned === undefined) return options;
  const minTimeNs = bound.minTimeNs === undefined ? planned.minTimeNs : planned.minTimeNs === undefined || bound.minTimeNs > planned.minTimeNs ? bound.minTimeNs : planned.minTimeNs;
  const maxTimeNs = bound.maxTimeNs === undefined ? planned.maxTimeNs : planned.maxTimeNs === undefined || bound.maxTimeNs < planned.maxTimeNs ? bound.maxTimeNs : planned.maxTimeNs;
  return { ...options, planned: { ...planned, ...(minTimeNs === undefined ? {} : { minTimeNs }), ...(maxTimeNs === undefined ? {} : { maxTimeNs }) } };
}

/** Reads rows from a table in time order (then by tags): one SQL query, streamed. */
export async function readTableRows(read: TableRead): Promise<RowSet> {
  const { table, schema, names, fields, limit } = read;
  const times: bigint[] = [];
  const columns = new Map<string, Array<Value | null>>();
  if (fields.length === 0) return { times, columns, schema };
  const timeWhere = timeRangeSql(read.range);
  if (read.caches !== undefined && limit?.rows === 1 && limit.descending && limit.perGroup !== undefined && read.condition === undefined && timeWhere.length === 0) {
    const database = read.caches.catalog.database(read.database);
    const cached = database === undefined ? undefined : lastpointFromCache({ ...read.caches, database, table, schema, names, fields, groupTags: limit.perGroup });
    if (cached !== undefined) {
      read.onRows(cached.times.length);
      return { ...cached, schema };
    }
  }
  const where = [...timeWhere];
  if (read.condition !== undefined) where.push(conditionSql(read.condition, table));
  // Rows with none of the fields are never answered: leave them in the engine.
  where.push(`(${fields.map((f) => `${sqlIdent(f)} IS NOT NULL`).join(' OR ')})`);
  const direction = limit?.descending === true ? ' DESC' : '';
  const tagOrder = [...schema.tags].sort().map((t) => `, ${sqlIdent(t)}${direction}`);
  const order = `"time"${direction}${tagOrder.join('')}`;
  const from = sqlIdent(table.name);
  let filter = where.join(' AND ');
  let options = read.options;
  const select = `SELECT epoch_ns("time") AS "__t"${names.map((n) => `, ${sqlIdent(n)}`).join('')}`;
  const groups = limit?.perGroup ?? [];
  const rows = limit === undefined ? '' : sqlInteger(BigInt(Math.min(limit.rows, Number.MAX_SAFE_INTEGER)));
  let sql: string;
  if (limit === undefined) {
    sql = `${select} FROM ${from} WHERE ${filter} ORDER BY ${order}`;
    // The same read described for the engine, which answers it itself over few clean buffered rows.
    const filters = nativeFilters(read.condition, table);
    if (filters !== undefined && options.planned !== undefined) {
      const native: NativeStatement = { kind: 'rows', columns: names, fields, filters, orderTags: [...schema.tags].sort(), names: ['__t', ...names] };
      options = { ...options, planned: { ...options.planned, native } };
    }
  }
  else if (groups.length === 0) sql = `${select} FROM ${from} WHERE ${filter} ORDER BY ${order} LIMIT ${rows}`;
  else {
    // Per group: the same order numbers the rows of each group, so each keeps what the statement
    // shows of it. One row per group (lastpoint) is found by its time first: a group's first row
    // is at its latest (earliest) time, so only the rows at that time are ordered, not all.
    const keys = groups.map((t) => `coalesce(${sqlIdent(t)}, '')`);
    const qualify = `QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${order}) <= ${rows}`;
    let source = from;
    if (limit.rows === 1) {
      const edgeOf = (f: string) => `SELECT ${keys.map((k, i) => `${k} AS "__g${i}"`).join(', ')}, ${limit.descending ? 'max' : 'min'}("time") AS "__e" FROM ${from} WHERE ${f} GROUP BY ALL`;
      // Every group's row is at or after the earliest of the groups' latest times (before the
      // latest of their earliest): found first, narrowly (the group tags and time), it bounds
      // the rows read whole — and prunes every older chunk and file. Dashboards' lastpoint reads
      // the newest window, not the table.
      const bound = await edgeBoundNs(read, `SELECT epoch_ns(${limit.descending ? 'min' : 'max'}("__e")) FROM (${edgeOf(filter)})`);
      if (bound === undefined) return { times, columns, schema }; // no row passes the WHERE clause
      filter = `${filter} AND "time" ${limit.descending ? '>=' : '<='} ${sqlTimestampNs(bound)}`;
      options = narrowedPlan(read.options, limit.descending ? { minTimeNs: bound } : { maxTimeNs: bound });
      const edge = edgeOf(filter);
      const on = [...keys.map((k, i) => `${k} = "__edge"."__g${i}"`), `"time" = "__edge"."__e"`].join(' AND ');
      source = `${from} JOIN (${edge}) AS "__edge" ON ${on}`;
    }
    sql = `${select} FROM ${source} WHERE ${filter} ${qualify} ORDER BY ${order}`;
  }
  for (const n of names) columns.set(n, []);
  const targets = names.map((n) => columns.get(n)!);
  let tooMany = false;
  try {
    await read.engine.stream(read.database, sql, undefined, {
      start: () => undefined,
      // A native answer holds at most the engine's few rows (far below MAX_ROWS).
      native: (answer) => {
        for (const row of answer.rows) {
          times.push(row[0] as bigint);
          for (let c = 0; c < targets.length; c++) targets[c]!.push(toValue(row[c + 1]!));
        }
        read.onRows(answer.rows.length);
      },
      rows: async (chunk) => {
        if (times.length + chunk.rowCount > MAX_ROWS) {
          tooMany = true;
          throw new Error('max-select-point');
        }
        const cols = chunk.getColumns();
        for (const t of cols[0]!) times.push(t as bigint);
        for (let c = 0; c < targets.length; c++) {
          const target = targets[c]!;
          for (const v of cols[c + 1]!) target.push(toValue(v));
        }
        read.onRows(chunk.rowCount);
      },
    }, options);
  } catch (err) {
    if (tooMany) throw new InfluxQLStatementError(`max-select-point limit exceeded: (${times.length + 1}/${MAX_ROWS})`);
    throw err;
  }
  if (direction !== '') {
    times.reverse();
    for (const col of targets) col.reverse();
  }
  return { times, columns, schema };
}

/**
 * The rows of a subquery's series that match `condition`, in time order. The outer time range
 * was given to the subquery itself (1.x does not filter its rows again: a window that starts
 * before the range but holds points inside it stays). Each row and each comparison of the sort
 * is reported to `onWork`.
 */
export async function readSubqueryRows(series: readonly Series[], schema: SourceSchema, condition: Expr | undefined, onWork: OnWork, pause: () => Promise<void>): Promise<RowSet> {
  const names = [...schema.fields.keys(), ...schema.tags];
  // The rows kept, as (series, row) pairs in parallel arrays: a subquery may answer a million
  // windows, and an object or a closure per row is what the collector then spends its time on.
  const times: bigint[] = [];
  const seriesOf: number[] = [];
  const rowOf: number[] = [];
  let ordered = true;
  const indexes = series.map((s) => new Map(s.columns.map((c, i) => [c, i])));
  // One reader for the condition, pointed at each row in turn.
  let atSeries = 0;
  let atRow: InfluxValue[] = [];
  const get = (n: string): Value | null => subqueryCell(atRow, indexes[atSeries]!.get(n), series[atSeries]!.tags?.[n]);
  const isTag = (n: string) => schema.tags.has(n);
  for (let si = 0; si < series.length; si++) {
    const values = series[si]!.values;
    for (let ri = 0; ri < values.length; ri++) {
      if (onWork(1)) await pause();
      const row = values[ri]!;
      if (condition !== undefined) {
        atSeries = si;
        atRow = row;
        if (!matches(condition, get, isTag, compileRegex)) continue;
      }
      const t = row[0] as bigint;
      if (times.length > 0 && times[times.length - 1]! > t) ordered = false;
      times.push(t);
      seriesOf.push(si);
      rowOf.push(ri);
    }
  }
  // One series (or several one after another) is in time order already; otherwise a stable
  // sort of the row numbers by time.
  let order: number[] | undefined;
  if (!ordered) {
    await pause();
    order = Array.from({ length: times.length }, (_v, k) => k);
    order.sort((a, b) => (onWork(1), times[a]! < times[b]! ? -1 : times[a]! > times[b]! ? 1 : a - b));
  }
  const columns = new Map<string, Array<Value | null>>();
  for (const n of names) {
    onWork(times.length);
    await pause();
    // Per series: the column holding n, or its tag value.
    const at = indexes.map((index) => index.get(n));
    const tagValue = series.map((s) => s.tags?.[n]);
    const column: Array<Value | null> = new Array(times.length);
    for (let k = 0; k < times.length; k++) {
      const j = order === undefined ? k : order[k]!;
      const si = seriesOf[j]!;
      column[k] = subqueryCell(series[si]!.values[rowOf[j]!]!, at[si], tagValue[si]);
    }
    columns.set(n, column);
  }
  return { times: order === undefined ? times : order.map((j) => times[j]!), columns, schema };
}

/** A subquery row's value of a name: its column `i` (past the time), else the series' tag value, else null. */
function subqueryCell(row: InfluxValue[], i: number | undefined, tag: string | undefined): Value | null {
  if (i !== undefined && i > 0) return (row[i] ?? null) as Value | null;
  return tag ?? null;
}

/** Rows split by the values of the GROUP BY tags (a missing tag is ''), each in time order; each row reported to `onWork`. */
export async function groupRows(rows: RowSet, groupTags: readonly string[], onWork: OnWork, pause: () => Promise<void>): Promise<Map<string, { tags: string[]; rows: number[] }>> {
  const groups = new Map<string, { tags: string[]; rows: number[] }>();
  if (groupTags.length === 0) {
    // One group: every row, in order.
    onWork(rows.times.length);
    groups.set('[]', { tags: [], rows: Array.from({ length: rows.times.length }, (_v, i) => i) });
    return groups;
  }
  const cols = groupTags.map((t) => rows.columns.get(t));
  for (let i = 0; i < rows.times.length; i++) {
    if (onWork(1)) await pause();
    const tags = cols.map((c) => {
      const v = c?.[i];
      return v === null || v === undefined ? '' : String(v);
    });
    const key = JSON.stringify(tags);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { tags, rows: [] }));
    g.rows.push(i);
  }
  return groups;
}

/** Whether a field of `type` is read through `cast` (`v::string` on a float field reads nothing). */
export function castFits(type: FieldType, cast: string | undefined): boolean {
  switch (cast) {
    case undefined:
    case 'field':
      return true;
    case 'integer':
    case 'unsigned':
    case 'float':
      return type === 'integer' || type === 'unsigned' || type === 'float';
    case 'string':
      return type === 'string';
    case 'boolean':
      return type === 'boolean';
    default:
      return false;
  }
}

/** A value read through a cast (`v::integer`): floats truncate to integers, integers widen to floats, other kinds give null. */
export function castValue(v: Value | null, cast: string | undefined): Value | null {
  if (v === null || cast === undefined || cast === 'field' || cast === 'tag') return v;
  switch (cast) {
    case 'integer':
      return typeof v === 'bigint' ? BigInt.asIntN(64, v) : typeof v === 'number' && Number.isFinite(v) ? BigInt.asIntN(64, BigInt(Math.trunc(v))) : null;
    case 'unsigned':
      return typeof v === 'bigint' ? BigInt.asUintN(64, v) : typeof v === 'number' && Number.isFinite(v) ? BigInt.asUintN(64, BigInt(Math.trunc(v))) : null;
    case 'float':
      return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
    case 'string':
      return typeof v === 'string' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    default:
      return v;
  }
}

export function toValue(v: DuckDBValue): Value | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

export function typeOfValue(v: InfluxValue | undefined): FieldType {
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  return 'float';
}

