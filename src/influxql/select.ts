/**
 * InfluxQL SELECT: planned over the SQL engine, shaped into InfluxDB 1.x series.
 *
 * A statement is checked (./select-plan.ts), its time range taken out of WHERE (./time.ts),
 * then each measurement is answered one of two ways:
 * - aggregates the engine computes exactly (count, sum, mean, min, max, first, last, spread,
 *   stddev over fields, no time zone, no subquery): ONE SQL query grouped by window and tags,
 *   the windows filled and the expressions evaluated here (./select-sql.ts);
 * - everything else: the matching rows are read in time order (from SQL, or from a subquery's
 *   answer) and reduced here (./functions.ts), window by window.
 * Series come out ordered by measurement, then tag values; LIMIT/OFFSET per series,
 * SLIMIT/SOFFSET over the series.
 */
import type { TableSchema } from '../catalog/catalog.js';
import type { DuckDBValue } from '@duckdb/node-api';
import type { Dimension, Expr, Fill, SelectStatement, Source } from './ast.js';
import { QueryError } from '../query/errors.js';
import type { PlannedRead, QueryRunOptions } from '../query/engine.js';
import { NATIVE_FUNCTIONS, type NativeFunction, type NativeStatement } from '../query/native.js';
import { InfluxQLStatementError, type StatementContext } from './executor.js';
import { integralByWindow, MATH, MULTI_ROW, reduceWindow, topBottom, transformSeries, type OnWork, type Point, type Reduced, type TimedValue, type Value } from './functions.js';
import { fillValues, fillWindows, type WindowRow } from './select-fill.js';
import { castFits, castValue, groupRows, readSubqueryRows, readTableRows, toValue, typeOfValue, type RowSet } from './select-rows.js';
import type { InfluxValue, Series } from './result.js';
import { evaluate, type EvalContext } from './select-eval.js';
import { aggregateCalls, checkColumns, compileRegex, expandColumns, exprKey, transformCalls, unparen, type Column, type FieldType, type SelectShape, type SourceSchema } from './select-plan.js';
import { columnKind, conditionSql, nativeFilters, plannedRead, pushedAggregateSql, refOperand, timeRangeSql, windowSql } from './select-sql.js';
import { sqlIdent } from './sql-values.js';
import { checkTimezone, splitTimeCondition, windowStartNs, type TimeRange } from './time.js';

/**
 * Most windows (filled or not) one statement may shape, over all its series: a bound on its time
 * and memory (InfluxDB 1.x's `max-select-buckets` wording when passed).
 */
export const MAX_WINDOWS = 1_000_000;
/** How long a statement's JavaScript may hold the event loop before it lets other work run. */
const PAUSE_AFTER_MS = 10;

type Call = Extract<Expr, { kind: 'call' }>;

/** A measurement to answer from: a catalog table, or the series of a subquery with that name. */
interface Measurement {
  name: string;
  schema: SourceSchema;
  /** A catalog table and its database. */
  table?: TableSchema;
  database?: string;
  subquery?: Series[];
}

/** Runs a SELECT and returns its series. */
export async function runSelect(ctx: StatementContext, statement: SelectStatement): Promise<Series[]> {
  return new SelectRun(ctx, bindParams(statement, ctx.options.params), false).run();
}

class SelectRun {
  private readonly timezone: string | undefined;
  private range: TimeRange = { minNs: 0n, maxNs: 0n };
  private hasMin = false;
  private hasMax = false;
  private condition: Expr | undefined;
  private readonly interval: Extract<Dimension, { kind: 'time' }> | undefined;
  private columns: Column[] = [];
  private shape!: SelectShape;
  private calls: Call[] = [];
  private timeColumnName = 'time';
  private readonly deadlineMs: number;
  /** Windows filled and rows shaped so far (bounded by MAX_WINDOWS). */
  private spent = 0;
  /** Index of each call (by key) in `calls` and in a window's values. */
  private callIndex = new Map<string, number>();
  private rngState: number;

  constructor(
    private readonly ctx: StatementContext,
    private readonly stmt: SelectStatement,
    /** Run as a subquery: its answer is read by the outer statement, not sent to the client. */
    private readonly isSubquery: boolean,
  ) {
    this.timezone = stmt.timezone;
    // time(0s) groups nothing (InfluxDB 1.x answers as without GROUP BY time).
    this.interval = stmt.dimensions.find((d): d is Extract<Dimension, { kind: 'time' }> => d.kind === 'time' && d.intervalNs !== 0n);
    this.deadlineMs = Date.now() + (ctx.options.timeoutMs ?? ctx.env.query.timeoutMs);
    this.rngState = Number(ctx.nowNs % 2147483647n) | 1;
  }

  async run(): Promise<Series[]> {
    const { stmt, ctx } = this;
    if (stmt.into !== undefined) throw new InfluxQLStatementError('SELECT INTO is not supported');
    if (this.timezone !== undefined) checkTimezone(this.timezone);
    if (stmt.dimensions.filter((d) => d.kind === 'time' && d.intervalNs !== 0n).length > 1) throw new InfluxQLStatementError('multiple time dimensions not allowed');
    // A negative interval has no windows: InfluxDB 1.x answers no series.
    if (this.interval !== undefined && this.interval.intervalNs < 0n) return [];
    const split = splitTimeCondition(stmt.condition, ctx.nowNs, this.timezone);
    this.range = split.range;
    this.hasMin = split.hasMin;
    this.hasMax = split.hasMax;
    this.condition = split.condition;
    if (this.interval !== undefined && !split.hasMax) this.range = { ...this.range, maxNs: ctx.nowNs };
    const measurements = await this.resolveSources(stmt.sources);
    const union: SourceSchema = { fields: new Map(), tags: new Set() };
    for (const m of measurements) {
      for (const [f, t] of m.schema.fields) if (!union.fields.has(f)) union.fields.set(f, t);
      for (const t of m.schema.tags) union.tags.add(t);
    }
    const groupByTags = new Set<string>();
    for (const d of stmt.dimensions) {
      if (d.kind === 'tag') groupByTags.add(d.name);
      else if (d.kind === 'wildcard') for (const t of union.tags) groupByTags.add(t);
      else if (d.kind === 'regex') {
        const re = compileRegex(d.pattern);
        for (const t of union.tags) if (re.test(t)) groupByTags.add(t);
      }
    }
    // `time` in the field list is the time column (an alias renames it), never a value.
    const isTime = (e: Expr) => {
      const u = unparen(e);
      return u.kind === 'ref' && u.name === 'time';
    };
    const timeField = stmt.fields.find((f) => isTime(f.expr));
    if (timeField?.alias !== undefined) this.timeColumnName = timeField.alias;
    const fields = stmt.fields.filter((f) => !isTime(f.expr));
    if (fields.length === 0) throw new InfluxQLStatementError('at least 1 non-time field must be queried');
    this.columns = expandColumns(fields, union, groupByTags);
    this.shape = checkColumns(this.columns, stmt);
    const callMap = new Map<string, Call>();
    for (const c of this.columns) for (const call of aggregateCalls(c.expr)) callMap.set(exprKey(call), call);
    this.calls = [...callMap.values()];
    this.callIndex = new Map([...callMap.keys()].map((k, i) => [k, i]));
    if (this.range.minNs > this.range.maxNs) return [];
    this.extendForTransforms();
    // SLIMIT/SOFFSET choose series per measurement, as 1.x limits each measurement's tag sets:
    // those of its index that match the tag conditions (whatever points the time range and the
    // field conditions leave them), in the order of their keys; SLIMIT 0 means no limit.
    const soffset = stmt.soffset ?? 0;
    const slimit = stmt.slimit === undefined || stmt.slimit === 0 ? undefined : stmt.slimit;
    const isLimited = soffset > 0 || slimit !== undefined;
    let series: Series[] = [];
    for (const m of measurements) {
      this.checkDeadline();
      let answered = await this.answerMeasurement(m);
      if (isLimited) {
        const keys = m.table !== undefined ? await this.indexGroupKeys(m) : answered.map((s) => tagSetKey(s.tags));
        keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const chosen = new Set(keys.slice(soffset, slimit === undefined ? undefined : soffset + slimit));
        answered = answered.filter((s) => chosen.has(tagSetKey(s.tags)));
      }
      // One by one: spreading a few hundred thousand series into push() overflows the stack.
      for (const one of answered) series.push(one);
    }
    // ORDER BY time DESC reverses the series too.
    if (stmt.descending) series.reverse();
    return series;
  }

  /**
   * Transformations over windows need windows beyond the range: 1.x runs each one's aggregate
   * one window further (earlier in time, or later in ORDER BY time DESC) for every one but
   * cumulative_sum, and answers within the range only. moving_average(…, N) too reads just one
   * more window, whatever N: 1.x moves its start by N − 1 more only after it has built the
   * aggregate's iterator, so the move never reaches the aggregate.
   */
  private extendForTransforms(): void {
    if (!this.shape.hasTransform || !this.shape.isAggregate || this.interval === undefined) return;
    const { descending } = this.stmt;
    if (!descending && !this.hasMin) return;
    const { intervalNs } = this.interval;
    // The range moves by whole intervals (not to a window's edge), as 1.x moves its start time.
    const shifted = (k: number) => (descending ? this.range.maxNs + BigInt(k) * intervalNs : this.range.minNs - BigInt(k) * intervalNs);
    let widest = 0;
    for (const c of this.columns) {
      for (const t of transformCalls(c.expr)) {
        const extra = t.name === 'cumulative_sum' ? 0 : 1;
        this.transformEdges.set(exprKey(t), this.windowOf(shifted(extra)));
        widest = Math.max(widest, extra);
      }
    }
    if (widest === 0) return;
    this.answerEdgeNs = this.windowOf(shifted(0));
    this.range = descending ? { ...this.range, maxNs: shifted(widest) } : { ...this.range, minNs: shifted(widest) };
  }

  /** The start of the window after the one starting at `windowNs`. */
  private nextWindow(windowNs: bigint): bigint {
    const { intervalNs, offsetNs } = this.interval!;
    const n = this.timezone === undefined ? windowNs + intervalNs : windowStartNs(windowNs + intervalNs, intervalNs, offsetNs, this.timezone);
    return n > windowNs ? n : windowNs + intervalNs;
  }

  /** Per transformation: the farthest window its aggregate reads (see extendForTransforms). */
  private readonly transformEdges = new Map<string, bigint>();
  /** The last window answered at the extended end (the first, or in DESC the last, of the range). */
  private answerEdgeNs: bigint | undefined;

  /** LIMIT as 1.x applies it: 0 is none; raw values with OFFSET and no LIMIT answer one row each (a 1.6 quirk). */
  private effectiveLimit(): number | undefined {
    const { stmt } = this;
    if (stmt.limit !== undefined && stmt.limit !== 0) return stmt.limit;
    return !this.shape.isAggregate && (stmt.offset ?? 0) > 0 ? 1 : undefined;
  }

  /** The measurements of FROM, each once, in name order. */
  private async resolveSources(sources: readonly Source[]): Promise<Measurement[]> {
    const { ctx } = this;
    // Keyed by source kind, database and name: a subquery's `cpu` and the table `cpu` stay apart.
    const byName = new Map<string, Measurement>();
    for (const source of sources) {
      if (source.kind === 'subquery') {
        const inner = await new SelectRun(ctx, { ...source.statement, ...inheritTimezone(source.statement, this.timezone), ...this.boundsFor(source.statement) }, true).run();
        for (const s of inner) {
          let m = byName.get(`q\u0000${s.name}`);
          if (m === undefined) byName.set(`q\u0000${s.name}`, (m = { name: s.name, schema: { fields: new Map(), tags: new Set() }, subquery: [] }));
          m.subquery!.push(s);
          for (const t of Object.keys(s.tags ?? {})) m.schema.tags.add(t);
          s.columns.forEach((c, i) => {
            if (i === 0 || m.schema.fields.has(c)) return;
            const sample = s.values.find((row) => row[i] !== null && row[i] !== undefined)?.[i];
            m.schema.fields.set(c, typeOfValue(sample));
          });
        }
        continue;
      }
      const dbName = source.database ?? ctx.options.database;
      if (dbName === undefined || dbName === '') throw new InfluxQLStatementError('database name required');
      const rp = source.retentionPolicy ?? ctx.options.retentionPolicy ?? '';
      const db = ctx.env.catalog.database(dbName);
      if (db === undefined) throw new InfluxQLStatementError(`database not found: ${dbName}`);
      if (rp !== '' && rp !== 'autogen') throw new InfluxQLStatementError(`retention policy not found: ${rp}`);
      const tables: TableSchema[] = [];
      if (source.regex !== undefined) {
        const re = compileRegex(source.regex);
        for (const t of db.tables.values()) if (re.test(t.name)) tables.push(t);
      } else if (source.name !== undefined) {
        const t = db.tables.get(source.name);
        if (t !== undefined) tables.push(t);
      }
      for (const t of tables) {
        const key = `t\u0000${dbName}\u0000${t.name}`;
        if (byName.has(key)) continue;
        const schema: SourceSchema = { fields: new Map(), tags: new Set() };
        for (const col of t.columns.values()) {
          const kind = columnKind(col.type);
          if (kind === 'tag') schema.tags.add(col.name);
          else if (kind !== undefined && kind !== 'null') schema.fields.set(col.name, kind as FieldType);
        }
        byName.set(key, { name: t.name, schema, table: t, database: dbName });
      }
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }


  /** The outer statement's time bounds added to a subquery's condition (they intersect with its own), as 1.x passes them down. */
  private boundsFor(inner: SelectStatement): Partial<SelectStatement> {
    const terms: Expr[] = [];
    const time: Expr = { kind: 'ref', name: 'time' };
    if (this.hasMin) terms.push({ kind: 'binary', op: '>=', left: time, right: { kind: 'integer', value: this.range.minNs } });
    if (this.hasMax) terms.push({ kind: 'binary', op: '<=', left: time, right: { kind: 'integer', value: this.range.maxNs } });
    if (terms.length === 0) return {};
    const bounds = terms.reduce((a, b) => ({ kind: 'binary', op: 'AND', left: a, right: b }));
    return { condition: inner.condition === undefined ? bounds : { kind: 'binary', op: 'AND', left: { kind: 'paren', expr: inner.condition }, right: bounds } };
  }

  /** The keys of a table's tag sets for SLIMIT: its series matching the tag conditions, grouped by the GROUP BY tags. */
  private async indexGroupKeys(m: Measurement): Promise<string[]> {
    const table = m.table!;
    const tags = this.groupTags(m).filter((t) => table.columns.has(t));
    const where = tagOnlyCondition(this.condition, m.schema);
    const select = tags.length === 0 ? 'NULL AS "__none"' : tags.map((t) => sqlIdent(t)).join(', ');
    const rows = await this.query(m, `SELECT DISTINCT ${select} FROM ${sqlIdent(table.name)}${where === undefined ? '' : ` WHERE ${conditionSql(where, table)}`}`, plannedRead(table, undefined, where));
    return rows.map((row) => {
      const values: Record<string, string> = {};
      tags.forEach((t, i) => (values[t] = row[i] === null || row[i] === undefined ? '' : String(row[i])));
      return tagSetKey(values);
    });
  }

  /** The GROUP BY tags of one measurement, sorted. */
  private groupTags(m: Measurement): string[] {
    const tags = new Set<string>();
    for (const d of this.stmt.dimensions) {
      if (d.kind === 'tag') tags.add(d.name);
      else if (d.kind === 'wildcard') for (const t of m.schema.tags) tags.add(t);
      else if (d.kind === 'regex') {
        const re = compileRegex(d.pattern);
        for (const t of m.schema.tags) if (re.test(t)) tags.add(t);
      }
    }
    return [...tags].sort();
  }

  private async answerMeasurement(m: Measurement): Promise<Series[]> {
    const groupTags = this.groupTags(m);
    if (this.shape.isAggregate && m.table !== undefined && this.canPushDown(m)) return this.finish(m, groupTags, await this.pushedWindows(m, groupTags));
    const rows = m.table !== undefined ? await this.readTable(m, m.table) : await this.readSubquery(m);
    const groups = await groupRows(rows, groupTags, this.onWork, () => this.pause());
    if (!this.shape.isAggregate) {
      const out = new Map<string, SeriesRows>();
      for (const [key, g] of groups) {
        await this.pause();
        out.set(key, { tags: g.tags, values: this.shape.hasTransform ? await this.transformRaw(rows, g.rows) : await this.rawRows(rows, g.rows) });
      }
      return this.toSeries(m, groupTags, out);
    }
    const windows = new Map<string, { tags: string[]; windows: WindowRow[] }>();
    for (const [key, g] of groups) {
      await this.pause();
      windows.set(key, { tags: g.tags, windows: await this.reduceGroup(rows, g.rows) });
    }
    return this.finish(m, groupTags, windows, rows);
  }

  // ---- reading rows ----

  /** Names the statement reads (in columns, calls and GROUP BY). */
  private referencedNames(): Set<string> {
    const names = new Set<string>();
    const walk = (e: Expr) => {
      e = unparen(e);
      if (e.kind === 'ref') names.add(e.name);
      else if (e.kind === 'call') e.args.forEach(walk);
      else if (e.kind === 'binary') {
        walk(e.left);
        walk(e.right);
      } else if (e.kind === 'neg') walk(e.expr);
    };
    for (const c of this.columns) walk(c.expr);
    return names;
  }

  private async readTable(m: Measurement, table: TableSchema): Promise<RowSet> {
    const names = this.referencedNames();
    for (const t of this.groupTags(m)) names.add(t);
    const { stmt } = this;
    const limit = this.effectiveLimit();
    // Raw values (no GROUP BY, or GROUP BY tags only): LIMIT and OFFSET are the engine's — on the
    // whole table, or per group of the GROUP BY tags (lastpoint: `GROUP BY host … LIMIT 1`).
    const pushLimit = !this.shape.isAggregate && !this.shape.hasTransform && stmt.dimensions.every((d) => d.kind === 'tag' || d.kind === 'wildcard' || d.kind === 'regex') && limit !== undefined;
    const perGroup = stmt.dimensions.length === 0 ? undefined : this.groupTags(m).filter((t) => table.columns.get(t)?.type === 'tag');
    return readTableRows({
      engine: this.ctx.env.query,
      database: m.database!,
      table,
      schema: m.schema,
      names: [...names].filter((n) => n !== 'time' && table.columns.has(n)).sort(),
      fields: [...this.referencedFields(m.schema)].filter((n) => table.columns.has(n)).sort(),
      range: this.range,
      condition: this.condition,
      ...(pushLimit ? { limit: { rows: (stmt.offset ?? 0) + limit, descending: stmt.descending, ...(perGroup === undefined ? {} : { perGroup }) } } : {}),
      options: { ...this.runOptions(), planned: plannedRead(table, this.range, this.condition) },
      onRows: (n) => this.tick(n),
      caches: { caches: this.ctx.env.caches, catalog: this.ctx.env.catalog, nowNs: this.ctx.nowNs },
    });
  }

  /** The engine's options for one query: what is left of the statement's time (none left: TIMEOUT here, before the query starts). */
  private runOptions(): QueryRunOptions {
    this.checkDeadline();
    const { signal } = this.ctx.options;
    return { ...(signal === undefined ? {} : { signal }), timeoutMs: Math.max(1, this.deadlineMs - Date.now()), ...(this.ctx.text === undefined ? {} : { logAs: { type: 'influxql', text: this.ctx.text } }) };
  }

  private async query(m: Measurement, sql: string, read: PlannedRead): Promise<DuckDBValue[][]> {
    const { ctx } = this;
    const result = await ctx.env.query.query(m.database!, sql, undefined, { ...this.runOptions(), planned: read });
    this.lastPauseMs = performance.now();
    return result.rows;
  }

  /** Throws once the statement's time is up or the client went away (checked in long JavaScript loops). */
  private checkDeadline(): void {
    this.ctx.options.signal?.throwIfAborted();
    if (Date.now() > this.deadlineMs) throw new QueryError('TIMEOUT', `query exceeded its timeout of ${this.ctx.options.timeoutMs ?? this.ctx.env.query.timeoutMs} ms`);
  }

  /** Counts windows made here against the statement's budget; true as {@link tick} says. */
  private spend(n: number): boolean {
    this.spent += n;
    if (this.spent > MAX_WINDOWS) throw new InfluxQLStatementError(`max-select-buckets limit exceeded: (${this.spent}/${MAX_WINDOWS})`);
    return this.tick(n);
  }

  /**
   * Counts work done in JavaScript; every few thousand units, checks the deadline. Every loop of
   * the statement whose length grows with its rows, windows or series reports here (directly,
   * or through `onWork` from the modules it calls), so a statement past its time ends promptly.
   * At those same checks, true once the statement has held the event loop for
   * {@link PAUSE_AFTER_MS}: a loop that can wait then calls {@link pause}.
   */
  private tick(n: number): boolean {
    this.work += n;
    if (this.work < 4096) return false;
    this.work = 0;
    this.checkDeadline();
    return performance.now() - this.lastPauseMs >= PAUSE_AFTER_MS;
  }

  private work = 0;

  /** When this statement last let other work run (its start, its last engine query, its last pause). */
  private lastPauseMs = performance.now();

  /**
   * Lets the event loop run (other requests, writes' acknowledgements) once the statement has
   * held it for {@link PAUSE_AFTER_MS}: a statement may answer a million windows or rows in
   * JavaScript. How long it waits is the environment's policy (`yieldAfter`). Called where
   * {@link tick} says, and between groups.
   */
  private async pause(): Promise<void> {
    const busyMs = performance.now() - this.lastPauseMs;
    if (busyMs < PAUSE_AFTER_MS) return;
    const { env, options } = this.ctx;
    if (env.yieldAfter !== undefined) await env.yieldAfter(busyMs, options.signal);
    else await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastPauseMs = performance.now();
    this.checkDeadline();
  }

  /** `tick` for the functions of other modules (fill, reducers, transformations, row reading). */
  private readonly onWork: OnWork = (units) => this.tick(units);

  private readSubquery(m: Measurement): Promise<RowSet> {
    return readSubqueryRows(m.subquery!, m.schema, this.condition, this.onWork, () => this.pause());
  }

  // ---- raw ----

  private refReader(rows: RowSet, i: () => number): EvalContext {
    return {
      ref: (name, cast) => {
        if (cast === 'tag' && !rows.schema.tags.has(name)) return null;
        if (cast !== undefined && cast !== 'tag' && !rows.schema.fields.has(name)) return null;
        const col = rows.columns.get(name);
        return col === undefined ? null : castValue(col[i()] ?? null, cast);
      },
      call: () => null,
    };
  }

  /** A point is answered when one of the fields the columns name has a value in it (then an expression over a missing one is null). */
  private async rawRows(rows: RowSet, indexes: readonly number[]): Promise<InfluxValue[][]> {
    let i = 0;
    const ctx = this.refReader(rows, () => i);
    const fieldColumns: Array<Array<Value | null>> = [];
    for (const name of this.referencedFields(rows.schema)) {
      const col = rows.columns.get(name);
      if (col !== undefined) fieldColumns.push(col);
    }
    const out: InfluxValue[][] = [];
    for (const idx of indexes) {
      if (this.tick(1)) await this.pause();
      if (!fieldColumns.some((col) => col[idx] !== null && col[idx] !== undefined)) continue;
      i = idx;
      const row: InfluxValue[] = [rows.times[idx]!];
      for (let c = 0; c < this.columns.length; c++) row.push(evaluate(this.columns[c]!.expr, ctx));
      out.push(row);
    }
    return out;
  }

  /** The fields (not tags) the columns name. */
  private referencedFields(schema: SourceSchema): Set<string> {
    const names = new Set<string>();
    const walk = (e: Expr) => {
      e = unparen(e);
      if (e.kind === 'ref') {
        const type = schema.fields.get(e.name);
        if (type !== undefined && castFits(type, e.cast)) names.add(e.name);
      } else if (e.kind === 'call') e.args.forEach(walk);
      else if (e.kind === 'binary') {
        walk(e.left);
        walk(e.right);
      } else if (e.kind === 'neg') walk(e.expr);
    };
    for (const c of this.columns) walk(c.expr);
    return names;
  }

  /** Transformations over raw values (derivative(v)…), one series. */
  private transformRaw(rows: RowSet, indexes: readonly number[]): Promise<InfluxValue[][]> {
    let i = 0;
    const ctx = this.refReader(rows, () => i);
    this.tick(indexes.length);
    const base = indexes.map((idx) => ({ timeNs: rows.times[idx]!, read: (e: Expr) => ((i = idx), evaluate(e, ctx)) }));
    return this.applyTransforms(base, 1_000_000_000n);
  }

  /** Evaluates the transformation columns over `base` (rows or windows in time order), rows joined on time. */
  /**
   * Evaluates the columns of a statement with transformations over `ascending` (rows or windows
   * in time order): each transformation over its series, rows joined on time. `windowContext`
   * gives the windows' other calls (derivative(mean(v)), mean(v)): then every window answers.
   * A NaN (a transformation of a one-point stddev, as 1.x computes it) answers null.
   */
  private async applyTransforms(ascending: ReadonlyArray<{ timeNs: bigint; read: (e: Expr) => Value | null }>, defaultUnitNs: bigint, windowContext?: (timeNs: bigint) => EvalContext | undefined): Promise<InfluxValue[][]> {
    // In ORDER BY time DESC, 1.x runs transformations over the series backwards.
    const base = this.stmt.descending ? [...ascending].reverse() : ascending;
    const results = new Map<string, Map<bigint, Value>>();
    const times = new Set<bigint>();
    for (const c of this.columns) {
      for (const t of transformCalls(c.expr)) {
        const key = exprKey(t);
        if (results.has(key)) continue;
        const input: TimedValue[] = [];
        const edge = this.transformEdges.get(key);
        for (const b of base) {
          if (this.tick(1)) await this.pause();
          if (edge !== undefined && (this.stmt.descending ? b.timeNs > edge : b.timeNs < edge)) continue;
          const v = b.read(t.args[0]!);
          if (v !== null) input.push({ timeNs: b.timeNs, value: v });
        }
        const arg = t.args[1] === undefined ? undefined : unparen(t.args[1]);
        const unitNs = arg?.kind === 'duration' ? arg.ns : t.name === 'elapsed' ? 1n : defaultUnitNs;
        const n = arg?.kind === 'integer' ? Number(arg.value) : 0;
        const map = new Map<bigint, Value>();
        await this.pause();
        for (const o of transformSeries(t.name, input, unitNs, n, this.onWork)) {
          if (this.tick(1)) await this.pause();
          map.set(o.timeNs, o.value);
          times.add(o.timeNs);
        }
        results.set(key, map);
      }
    }
    const plainColumns = this.columns.some((c) => transformCalls(c.expr).length === 0);
    const everyTime = windowContext !== undefined && plainColumns;
    // The answer's times in the order it answers: those of `base` (already in that order) that a
    // transformation answered, or every one. Walked, not sorted, so the deadline is checked.
    const order = this.stmt.descending ? -1 : 1;
    let answerTimes: bigint[] = [];
    let isOrdered = true;
    for (const b of base) {
      if (this.tick(1)) await this.pause();
      if (!everyTime && !times.has(b.timeNs)) continue;
      const last = answerTimes[answerTimes.length - 1];
      if (last === b.timeNs) continue;
      if (last !== undefined && (order > 0 ? b.timeNs < last : b.timeNs > last)) isOrdered = false;
      answerTimes.push(b.timeNs);
    }
    if (!isOrdered) {
      // Not expected (rows and windows come in time order); kept right, if slower.
      this.tick(answerTimes.length);
      answerTimes = [...new Set(answerTimes)].sort((a, b) => (this.tick(1), a < b ? -order : a > b ? order : 0));
    }
    const out: InfluxValue[][] = [];
    for (const time of answerTimes) {
      if (this.tick(1)) await this.pause();
      const window = windowContext?.(time);
      const ctx: EvalContext = {
        ref: () => null,
        call: (key) => {
          const transformed = results.get(key);
          if (transformed !== undefined) return transformed.get(time) ?? null;
          return window?.call(key) ?? null;
        },
      };
      const row: InfluxValue[] = [time];
      let any = false;
      for (const c of this.columns) {
        const v = evaluate(c.expr, ctx);
        if (v !== null) any = true;
        row.push(typeof v === 'number' && Number.isNaN(v) ? null : v);
      }
      if (any || (window !== undefined && plainColumns)) out.push(row);
    }
    return out;
  }

  // ---- aggregates ----

  private windowOf(timeNs: bigint): bigint {
    if (this.interval === undefined) return this.hasMin ? this.range.minNs : 0n;
    return windowStartNs(timeNs, this.interval.intervalNs, this.interval.offsetNs, this.timezone);
  }

  private rng = (): number => {
    // xorshift32 seeded by the query's now(): sample() differs between queries, not within one.
    let x = this.rngState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rngState = x;
    return (x >>> 0) / 4294967296;
  };

  /** Reduces one group's rows window by window. */
  private async reduceGroup(rows: RowSet, indexes: readonly number[]): Promise<WindowRow[]> {
    const windows = new Map<bigint, number[]>();
    for (const idx of indexes) {
      if (this.tick(1)) await this.pause();
      const w = this.windowOf(rows.times[idx]!);
      let list = windows.get(w);
      if (list === undefined) windows.set(w, (list = []));
      list.push(idx);
    }
    const out: WindowRow[] = [];
    const multi = this.calls.length === 1 && MULTI_ROW.has(this.calls[0]!.name) ? this.calls[0]! : undefined;
    // integral() over windows runs over the whole series (a window's area depends on its neighbours).
    const integrals = this.calls.map((call) => (call.name === 'integral' && this.interval !== undefined ? this.integralWindows(call, rows, indexes) : undefined));
    for (const [windowNs, list] of [...windows].sort((a, b) => (this.tick(1), a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      if (this.spend(1)) await this.pause();
      const reduced = this.calls.map((call, k) => {
        const areas = integrals[k];
        if (areas === undefined) return this.reduceCall(call, rows, list);
        const area = areas.get(windowNs);
        return area === undefined ? [] : [{ value: area }];
      });
      if (multi !== undefined) {
        for (const r of reduced[0]!) {
          const keepsTime = multi.name !== 'distinct';
          out.push({ timeNs: keepsTime && r.timeNs !== undefined ? r.timeNs : windowNs, windowNs, values: [r.value], ...(r.row === undefined ? {} : { row: r.row }) });
        }
        continue;
      }
      const values: Array<Value | null | undefined> = [];
      let timeNs = windowNs;
      let row: number | undefined;
      for (const r of reduced) {
        values.push(r.length === 0 ? undefined : r[0]!.value);
        if (this.shape.loneSelector !== undefined && r.length > 0) {
          row = r[0]!.row;
          if (this.interval === undefined && r[0]!.timeNs !== undefined) timeNs = r[0]!.timeNs;
        }
      }
      // integral() alone over a float field answers at time 0 (1.6's float reducer; integers answer at the range's start).
      if (this.interval === undefined && this.calls.every((c) => c.name === 'integral' && rows.schema.fields.get((unparen(c.args[0]!) as { name: string }).name) === 'float')) timeNs = 0n;
      out.push({ timeNs, windowNs, values, ...(row === undefined ? {} : { row }) });
    }
    return out;
  }

  private integralWindows(call: Call, rows: RowSet, indexes: readonly number[]): Map<bigint, number> {
    const arg = unparen(call.args[0]!);
    if (arg.kind !== 'ref' || arg.cast === 'tag' || !rows.schema.fields.has(arg.name)) return new Map();
    const col = rows.columns.get(arg.name);
    if (col === undefined) return new Map();
    const points: Point[] = [];
    this.tick(indexes.length);
    for (const idx of indexes) {
      const v = col[idx];
      if (v !== null && v !== undefined) points.push({ timeNs: rows.times[idx]!, value: v, row: idx });
    }
    const unit = call.args[1] === undefined ? undefined : unparen(call.args[1]);
    const unitNs = unit?.kind === 'duration' ? Number(unit.ns) : 1e9;
    const interval = this.interval!;
    return integralByWindow(points, (t) => {
      const start = this.windowOf(t);
      const next = this.timezone === undefined ? start + interval.intervalNs : windowStartNs(start + interval.intervalNs, interval.intervalNs, interval.offsetNs, this.timezone);
      return [start, next > start ? next : start + interval.intervalNs];
    }, unitNs, this.onWork);
  }

  private reduceCall(call: Call, rows: RowSet, list: readonly number[]): Reduced[] {
    let arg = unparen(call.args[0]!);
    let fn = call.name;
    let countDistinct = false;
    if (fn === 'count' && arg.kind === 'call' && arg.name === 'distinct') {
      countDistinct = true;
      arg = unparen(arg.args[0]!);
    }
    if (arg.kind !== 'ref') return [];
    const name = arg.name;
    const cast = arg.cast;
    const isField = rows.schema.fields.has(name) && cast !== 'tag';
    const col = isField ? rows.columns.get(name) : undefined;
    if (col === undefined) return [];
    const points: Point[] = [];
    this.tick(list.length);
    for (const idx of list) {
      const v = col[idx];
      if (v !== null && v !== undefined) points.push({ timeNs: rows.times[idx]!, value: v, row: idx });
    }
    if (points.length === 0) return [];
    if (countDistinct) return [{ value: BigInt(reduceWindow('distinct', points, [], this.rng, this.onWork).length) }];
    const literal = call.args.slice(1).map((a) => {
      const u = unparen(a);
      return u.kind === 'integer' ? u.value : u.kind === 'number' ? u.value : u.kind === 'duration' ? u.ns : 0;
    });
    if (fn === 'top' || fn === 'bottom') {
      const tagArgs = call.args.slice(1, -1).map((a) => (unparen(a) as { name: string }).name);
      let groupKeys: string[] | undefined;
      if (tagArgs.length > 0) {
        groupKeys = [];
        this.tick(list.length);
        for (const idx of list) groupKeys[idx] = JSON.stringify(tagArgs.map((t) => rows.columns.get(t)?.[idx] ?? ''));
      }
      return topBottom(fn, points, Number(literal[literal.length - 1]), this.onWork, groupKeys);
    }
    return reduceWindow(fn, points, literal, this.rng, this.onWork);
  }

  /** Whether the engine can compute every call of this measurement exactly. */
  private canPushDown(m: Measurement): boolean {
    if (this.timezone !== undefined || this.shape.hasCompanions) return false;
    if (this.shape.loneSelector !== undefined && this.interval === undefined) return false;
    for (const call of this.calls) {
      const arg = unparen(call.args[0]!);
      if (arg.kind !== 'ref' || arg.cast !== undefined || call.args.length !== 1 || pushedAggregateSql(call.name, arg.name, 'float') === undefined) return false;
      const type = m.schema.fields.get(arg.name);
      if (type === undefined || arg.cast === 'tag') continue; // no points: answered as missing
      if (pushedAggregateSql(call.name, arg.name, type) === undefined) return false;
    }
    return true;
  }

  /** One SQL query: every call per window and group, computed by the engine. */
  private async pushedWindows(m: Measurement, groupTags: readonly string[]): Promise<Map<string, { tags: string[]; windows: WindowRow[] }>> {
    const table = m.table!;
    const select: string[] = [];
    const groupBy: string[] = [];
    /** The output columns' names (for a native answer). */
    const names: string[] = [];
    if (this.interval !== undefined) {
      select.push(`${windowSql(this.interval.intervalNs, this.interval.offsetNs)} AS "__w"`);
      groupBy.push('"__w"');
      names.push('__w');
    }
    groupTags.forEach((t, i) => {
      select.push(`${refOperand(table, t, 'tag').sql} AS "__g${i}"`);
      groupBy.push(`"__g${i}"`);
      names.push(`__g${i}`);
    });
    const keys: string[] = [];
    const pushed: Array<{ key: string; fn: string; isInteger: boolean } | undefined> = [];
    const nativeCalls: Array<{ fn: NativeFunction; field: string }> = [];
    // Only tag equalities: what the planned read's tags say, nothing left to filter by.
    let native = nativeFilters(this.condition, table)?.length === 0;
    for (const call of this.calls) {
      const arg = unparen(call.args[0]!) as Extract<Expr, { kind: 'ref' }>;
      const type = arg.cast === 'tag' ? undefined : m.schema.fields.get(arg.name);
      const key = exprKey(call);
      keys.push(key);
      if (type === undefined) {
        pushed.push(undefined);
        continue;
      }
      names.push(`__a${pushed.length}`);
      select.push(`${pushedAggregateSql(call.name, arg.name, type)!} AS "__a${pushed.length}"`);
      if (NATIVE_FUNCTIONS.has(call.name)) nativeCalls.push({ fn: call.name as NativeFunction, field: arg.name });
      else native = false;
      // A null stddev may come from one point (null) or none (missing): the count tells.
      if (call.name === 'stddev') select.push(`count(${sqlIdent(arg.name)})`);
      pushed.push({ key, fn: call.name, isInteger: type === 'integer' || type === 'unsigned' });
    }
    const out = new Map<string, { tags: string[]; windows: WindowRow[] }>();
    if (pushed.every((p) => p === undefined)) return out; // no call reads a field of this measurement
    const where = [...timeRangeSql(this.range)];
    if (this.condition !== undefined) where.push(conditionSql(this.condition, table));
    const sql = `SELECT ${select.join(', ')} FROM ${sqlIdent(table.name)}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}${groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')} ORDER BY ${[...groupBy.slice(this.interval === undefined ? 0 : 1), ...groupBy.slice(0, this.interval === undefined ? 0 : 1)].join(', ')}` : ''}`;
    // The same statement described for the engine, which computes it itself over few clean buffered rows.
    const aggregate: NativeStatement | undefined = native ? { kind: 'aggregate', ...(this.interval === undefined ? {} : { window: { intervalNs: this.interval.intervalNs, offsetNs: this.interval.offsetNs } }), groupTags, calls: nativeCalls, names } : undefined;
    const result = await this.query(m, sql, { ...plannedRead(table, this.range, this.condition), ...(aggregate === undefined ? {} : { native: aggregate }) });
    const base = this.interval === undefined ? 0 : 1;
    for (const row of result) {
      this.tick(1);
      const tags = groupTags.map((_t, i) => String(row[base + i]));
      const gk = tags.join('\u0000');
      let g = out.get(gk);
      if (g === undefined) out.set(gk, (g = { tags, windows: [] }));
      const windowNs = this.interval === undefined ? this.windowOf(0n) : (row[0] as bigint);
      const values: Array<Value | null | undefined> = [];
      let col = base + groupTags.length;
      for (let k = 0; k < keys.length; k++) {
        const p = pushed[k];
        if (p === undefined) {
          values.push(undefined);
          continue;
        }
        let v = toValue(row[col++]!);
        if (typeof v === 'bigint' && (p.fn === 'sum' || p.fn === 'spread')) v = BigInt.asIntN(64, v);
        if (p.fn === 'stddev') {
          const points = row[col++] as bigint;
          values.push(points === 0n ? undefined : v);
        } else if (p.fn === 'count') values.push(v === 0n ? undefined : v);
        else values.push(v === null ? undefined : v);
      }
      g.windows.push({ timeNs: windowNs, windowNs, values });
    }
    return out;
  }

  // ---- finishing: fill, expressions, transformations, order, limits ----

  private async finish(m: Measurement, groupTags: readonly string[], groups: Map<string, { tags: string[]; windows: WindowRow[] }>, rows?: RowSet): Promise<Series[]> {
    const out = new Map<string, SeriesRows>();
    const multi = this.calls.length === 1 && MULTI_ROW.has(this.calls[0]!.name);
    for (const [key, g] of groups) {
      await this.pause();
      let windows = g.windows;
      const hasPoints = windows.some((w) => w.values.some((v) => v !== undefined));
      if (!hasPoints) continue;
      const fill = this.stmt.fill ?? { mode: 'null' };
      // integral() has no fill in 1.x (its iterator is built apart from the other aggregates'):
      // a window without points has no row.
      const isIntegralOnly = this.calls.every((c) => c.name === 'integral');
      const filling = this.interval !== undefined && !multi && fill.mode !== 'none' && !isIntegralOnly;
      // Transformations fill their aggregates; other columns are filled as a whole (abs(sum(v))
      // fill(-1) is -1), as 1.x fills each field's expression.
      if (filling) windows = await this.fillWindows(windows, this.shape.hasTransform ? fill : { mode: 'null' });
      else windows = windows.filter((w) => w.values.some((v) => v !== undefined));
      // fill(null) gives count() 0 in an empty window of GROUP BY time (InfluxDB 1.x), when the
      // series has points for that count at all; without windows a missing count is null. In a
      // subquery it stays null (1.6 makes the 0 only in what it answers), so the outer statement
      // sees no point there.
      const countFill = this.calls.map((c, k) => !this.isSubquery && this.interval !== undefined && fill.mode === 'null' && c.name === 'count' && g.windows.some((w) => w.values[k] !== undefined));
      let values: InfluxValue[][];
      let present: boolean[][] | undefined;
      if (this.shape.hasTransform) {
        // A window's null (stddev of one point) is NaN to a transformation, as in 1.x: it
        // poisons cumulative_sum and gives derivative no number.
        const contexts = new Map<bigint, EvalContext>();
        const base: Array<{ timeNs: bigint; read: (e: Expr) => Value | null }> = new Array(windows.length);
        for (let r = 0; r < windows.length; r++) {
          if (this.tick(1)) await this.pause();
          const w = windows[r]!;
          const context = this.windowContext(w, rows, countFill, true);
          contexts.set(w.timeNs, context);
          base[r] = { timeNs: w.timeNs, read: (e: Expr) => evaluate(e, context) };
        }
        values = await this.applyTransforms(base, this.interval?.intervalNs ?? 1_000_000_000n, (t) => contexts.get(t));
      } else {
        // A column that is one call reads its value; others are evaluated.
        const direct = this.columns.map((c) => {
          const e = unparen(c.expr);
          return e.kind === 'call' ? this.callIndex.get(exprKey(e)) : undefined;
        });
        // 1.x fills the calls of a column (stddev(v) + 1 fill(0) is 1; count(v) + 3 and
        // round(count(v)) in an empty window are 3 and 0; round(mean(v)) fill(linear) rounds the
        // line), except that fill(<number>) under a math function over integer calls is the
        // number as an integer, the function not applied (abs(sum(i)) fill(-1.5) is -1, while
        // abs(mean(i)) fill(-1.5) is 1.5). A column is missing in a window when every call in it is.
        // fill(null) leaves the windows as they are; the other fills change a copy (math columns read the unfilled values).
        let filled = windows;
        if (filling && fill.mode !== 'null') {
          filled = new Array(windows.length);
          for (let r = 0; r < windows.length; r++) {
            if (this.tick(1)) await this.pause();
            filled[r] = { ...windows[r]!, values: [...windows[r]!.values] };
          }
          await fillValues(filled, fill, this.stmt.descending, this.calls.length, this.interval?.intervalNs ?? 1n, this.onWork, () => this.pause());
        }
        const mathColumn = this.columns.map((c) => {
          const e = unparen(c.expr);
          return fill.mode === 'value' && e.kind === 'call' && MATH.has(e.name) && aggregateCalls(e).every((call) => isIntegerCall(call, m.schema));
        });
        const columnCalls = this.columns.map((c) => aggregateCalls(c.expr).map((call) => this.callIndex.get(exprKey(call))!));
        const noCounts = this.calls.map(() => false);
        // Each answer row is made once, its time first: a statement may answer a million windows.
        // A math column over integer calls that had no points in a window is the fill number
        // under fill(<number>), else null.
        const mathFill = filling && fill.mode === 'value' ? (typeof fill.value === 'bigint' ? fill.value : BigInt(Math.trunc(Number(fill.value)))) : null;
        const width = this.columns.length;
        values = new Array(windows.length);
        for (let r = 0; r < windows.length; r++) {
          if (this.tick(1)) await this.pause();
          const w = windows[r]!;
          const f = filled[r]!;
          const row: InfluxValue[] = new Array(width + 1);
          row[0] = w.timeNs;
          let ctx: EvalContext | undefined;
          let rawCtx: EvalContext | undefined;
          for (let c = 0; c < width; c++) {
            const k = direct[c];
            let cell: Value | null;
            if (k !== undefined) {
              const v = f.values[k];
              cell = v !== undefined ? v : countFill[k] ? 0n : null;
            } else if (mathColumn[c]) {
              cell = columnCalls[c]!.length > 0 && columnCalls[c]!.every((i) => w.values[i] === undefined) ? mathFill : evaluate(this.columns[c]!.expr, (rawCtx ??= this.windowContext(w, rows, noCounts)));
            } else cell = evaluate(this.columns[c]!.expr, (ctx ??= this.windowContext(f, rows, countFill)));
            row[c + 1] = cell === undefined ? null : cell;
          }
          values[r] = row;
        }
        // Which cells had a point: stddev of one point is a point whose value is null.
        // A column that is a math function over calls (abs(stddev(v))) has a point where its calls have one (a null one too).
        const presentIn = (w: WindowRow, c: number): boolean => {
          const k = direct[c];
          if (k !== undefined) return w.values[k] !== undefined;
          const calls = columnCalls[c]!;
          return calls.length > 0 && calls.every((i) => w.values[i] !== undefined);
        };
        if (this.limitsPerCall()) present = windows.map((w) => this.columns.map((_col, c) => presentIn(w, c)));
      }
      out.set(key, { tags: g.tags, values, present });
    }
    return this.toSeries(m, groupTags, out);
  }

  private windowContext(w: WindowRow, rows: RowSet | undefined, countFill: readonly boolean[], nullAsNaN = false): EvalContext {
    return {
      ref: (name, cast) => {
        if (w.row === undefined || rows === undefined) return null;
        if (cast === 'tag' && !rows.schema.tags.has(name)) return null;
        return rows.columns.get(name)?.[w.row] ?? null;
      },
      call: (key) => {
        const k = this.callIndex.get(key);
        if (k === undefined) return null;
        const v = w.values[k];
        if (v === null && nullAsNaN) return NaN;
        if (v !== undefined) return v;
        return countFill[k] === true ? 0n : null;
      },
    };
  }

  /** Every window from the range's start (or the group's first) to its end, empty ones filled. */
  private fillWindows(windows: WindowRow[], fill: Fill): Promise<WindowRow[]> {
    const interval = this.interval!;
    const start = this.hasMin ? this.windowOf(this.range.minNs) : windows[0]!.windowNs;
    const end = this.windowOf(this.range.maxNs);
    // Windows are uniform but in a zone (whose days may be 23 or 25 hours): a close upper bound.
    const count = end < start ? 0n : (end - start) / interval.intervalNs + 2n;
    if (BigInt(this.spent) + count > BigInt(MAX_WINDOWS)) throw new InfluxQLStatementError(`max-select-buckets limit exceeded: (${BigInt(this.spent) + count}/${MAX_WINDOWS})`);
    this.spend(Number(count));
    // Counted above, but made here, one by one (a zone's windows cost a zone lookup each): the
    // deadline is checked as they are made and filled.
    return fillWindows(windows, { startNs: start, endNs: end, next: (w) => this.nextWindow(w), fill, descending: this.stmt.descending, calls: this.calls.length, intervalNs: this.interval?.intervalNs ?? 1n, onWork: this.onWork, pause: () => this.pause() });
  }

  /** Whether LIMIT or OFFSET apply and count each call's points apart (see {@link limitRows}). */
  private limitsPerCall(): boolean {
    const limited = (this.stmt.offset ?? 0) > 0 || this.effectiveLimit() !== undefined;
    return limited && this.interval !== undefined && this.stmt.fill?.mode === 'none' && !this.shape.hasTransform && this.columns.length > 1 && this.columns.every((c) => unparen(c.expr).kind === 'call');
  }

  /**
   * Rows `offset` to `offset + limit` of a series. 1.x limits each aggregate call's own points:
   * with GROUP BY time and fill(none) a call has points only in the windows where it has input,
   * so two calls may keep different windows — the rows are then their union, each cell null where
   * its call's window was left out (mean and median LIMIT 4 can answer 5 rows, as 1.6 does).
   * `present` (made when {@link limitsPerCall}) tells a call's point whose value is null (stddev
   * of one point) from no point; without it, rows are limited as a whole.
   */
  private limitRows(values: InfluxValue[][], present: boolean[][] | undefined, offset: number, limit: number | undefined): InfluxValue[][] {
    const end = limit === undefined ? undefined : offset + limit;
    if (present === undefined) return values.slice(offset, end);
    const kept = this.columns.map(() => new Set<number>());
    const rows = new Set<number>();
    kept.forEach((cells, c) => {
      let seen = 0;
      for (let r = 0; r < values.length; r++) {
        if (!present[r]![c]) continue;
        if (seen >= offset && (end === undefined || seen < end)) {
          cells.add(r);
          rows.add(r);
        }
        seen++;
      }
    });
    const out: InfluxValue[][] = [];
    for (let r = 0; r < values.length; r++) {
      if (!rows.has(r)) continue;
      const row = values[r]!;
      out.push([row[0]!, ...kept.map((cells, c) => (cells.has(r) ? row[c + 1]! : null))]);
    }
    return out;
  }

  /** Series of one measurement, ordered by tag values, each ordered and limited. */
  private toSeries(m: Measurement, groupTags: readonly string[], groups: Map<string, SeriesRows>): Series[] {
    const { stmt } = this;
    const sorted = [...groups.values()].sort((a, b) => (this.tick(1), compareTagValues(a.tags, b.tags)));
    const series: Series[] = [];
    for (const g of sorted) {
      // The copies and filters below are one pass each over the series' rows.
      this.tick(g.values.length + 1);
      let values = g.values;
      let present = g.present;
      if (stmt.descending && !this.shape.hasTransform) {
        values = [...values].reverse();
        present = present === undefined ? undefined : [...present].reverse();
      }
      if (this.answerEdgeNs !== undefined) {
        const edge = this.answerEdgeNs;
        const keep = values.map((row) => (stmt.descending ? (row[0] as bigint) <= edge : (row[0] as bigint) >= edge));
        values = values.filter((_, r) => keep[r]);
        present = present?.filter((_, r) => keep[r]);
      }
      const offset = stmt.offset ?? 0;
      const limit = this.effectiveLimit();
      if (offset > 0 || limit !== undefined) values = this.limitRows(values, present, offset, limit);
      if (values.length === 0) continue;
      const s: Series = { name: m.name, columns: [this.timeColumnName, ...this.columns.map((c) => c.name)], values, timeColumn: true };
      if (groupTags.length > 0) s.tags = Object.fromEntries(groupTags.map((t, i) => [t, g.tags[i]!]));
      if (this.timezone !== undefined) s.timezone = this.timezone;
      series.push(s);
    }
    return series;
  }
}

/** A series' answer rows; `present`, when given, says which call cells had a point (row by row, column by column). */
interface SeriesRows {
  tags: string[];
  values: InfluxValue[][];
  present?: boolean[][];
}

function compareTagValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}

/** Aggregates whose value is an integer over an integer field (count always). */
const INTEGER_PRESERVING = new Set(['sum', 'max', 'min', 'first', 'last', 'spread', 'mode', 'percentile', 'sample', 'top', 'bottom', 'distinct']);

/** Whether an aggregate call answers integers over this source. */
function isIntegerCall(call: Call, schema: SourceSchema): boolean {
  if (call.name === 'count') return true;
  if (!INTEGER_PRESERVING.has(call.name)) return false;
  const arg = unparen(call.args[0]!);
  return arg.kind === 'ref' && schema.fields.get(arg.name) === 'integer';
}

/** A subquery runs in the outer statement's time zone unless it names its own. */
function inheritTimezone(inner: SelectStatement, timezone: string | undefined): Partial<SelectStatement> {
  return inner.timezone === undefined && timezone !== undefined ? { timezone } : {};
}

/**
 * A tag set's key for SLIMIT, as 1.x's `MakeTagsKey` makes it: the names of the tags with a
 * value, in name order, then their values, all joined by `|` (empty values left out).
 */
function tagSetKey(tags: Record<string, string> | undefined): string {
  if (tags === undefined) return '';
  const names = Object.keys(tags)
    .filter((k) => tags[k] !== '')
    .sort();
  return [...names, ...names.map((k) => tags[k]!)].join('|');
}

/** The conjuncts of a condition that name tags only (no field, no time): what 1.x's index filters series by. */
function tagOnlyCondition(e: Expr | undefined, schema: SourceSchema): Expr | undefined {
  if (e === undefined) return undefined;
  const u = unparen(e);
  if (u.kind === 'binary' && u.op === 'AND') {
    const l = tagOnlyCondition(u.left, schema);
    const r = tagOnlyCondition(u.right, schema);
    return l === undefined ? r : r === undefined ? l : { kind: 'binary', op: 'AND', left: l, right: r };
  }
  return namesTagsOnly(u, schema) ? e : undefined;
}

function namesTagsOnly(e: Expr, schema: SourceSchema): boolean {
  e = unparen(e);
  if (e.kind === 'ref') return e.name !== 'time' && !schema.fields.has(e.name) && e.cast !== 'field';
  if (e.kind === 'binary') return namesTagsOnly(e.left, schema) && namesTagsOnly(e.right, schema);
  if (e.kind === 'call') return false;
  if (e.kind === 'neg') return namesTagsOnly(e.expr, schema);
  return true;
}

/** `$name` parameters replaced by their values (the v1 `params` object). */
export function bindParams(statement: SelectStatement, params: Readonly<Record<string, InfluxValue>> | undefined): SelectStatement {
  const bind = (e: Expr): Expr => {
    switch (e.kind) {
      case 'param': {
        const v = params?.[e.name];
        if (v === undefined) throw new InfluxQLStatementError(`missing parameter: ${e.name}`);
        if (v === null) throw new InfluxQLStatementError(`unable to bind parameter ${e.name}: null`);
        if (typeof v === 'string') return { kind: 'string', value: v };
        if (typeof v === 'boolean') return { kind: 'boolean', value: v };
        if (typeof v === 'bigint') return { kind: 'integer', value: v };
        return Number.isInteger(v) ? { kind: 'integer', value: BigInt(v) } : { kind: 'number', value: v };
      }
      case 'call':
        return { ...e, args: e.args.map(bind) };
      case 'binary':
        return { ...e, left: bind(e.left), right: bind(e.right) };
      case 'paren':
        return { ...e, expr: bind(e.expr) };
      case 'neg':
        return { ...e, expr: bind(e.expr) };
      default:
        return e;
    }
  };
  return {
    ...statement,
    fields: statement.fields.map((f) => ({ ...f, expr: bind(f.expr) })),
    ...(statement.condition === undefined ? {} : { condition: bind(statement.condition) }),
    sources: statement.sources.map((s) => (s.kind === 'subquery' ? { kind: 'subquery', statement: bindParams(s.statement, params) } : s)),
  };
}

