/**
 * SQL over the buffer and the Parquet files as one: each table of a database is a view in the
 * DuckDB schema of that database, with its tag, field and `time` columns and InfluxDB point
 * semantics (a point written twice — in the buffer, in files, or across both — appears once,
 * each field its last non-null value). A source whose time span overlaps no other's is read as
 * it is; only overlapping sources pay for deduplication.
 *
 * Only one read-only statement runs (a SELECT reading only its own database's tables, with no
 * file-reading or other table functions outside a short allow list: `./sql-check.ts`), names
 * rewritten so that case tells them apart (`./names.ts`), parameters bound, under a timeout;
 * DuckDB's memory limit and its ban on file access outside Sluice's directories are set when the
 * engine opens.
 */
import { mkdir, writeFile, access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import type { BufferedRows } from '../buffer/queryable-buffer.js';
import type { Catalog, DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import { SYSTEM_CLOCK, type Clock } from '../effects/clock.js';
import type { ColumnType } from '../wal/model.js';
import { quoteIdent, quoteString, sqlType, type ColumnarSource, type MirrorState, type RowSetPart } from '../engine/duckdb.js';
import { selectRows, type RowFilter } from '../engine/selection.js';
import type { Mirrors } from '../engine/mirrors.js';
import { nameOfSql, sqlName } from '../engine/names.js';
import { ParquetMemFiller } from './mem-fill.js';
import { columnSql, dedupSql, emptyRelationSql, mirrorDedupSql, mirrorRelationSql, parquetRelationSql, rowSetRelationSql, tableColumns } from '../engine/relations.js';
import type { ObjectStore } from '../objectstore/types.js';
import type { IndexedFiles } from '../persist/load.js';
import type { PersistedFile } from '../persist/manifest.js';
import { renameParquetFileColumns } from '../persist/parquet-names.js';
import { astInteger, stringifyJsonKeepingBigInts, walk, type AstNode } from './ast.js';
import { toQueryError } from './engine-errors.js';
import { QueryError } from './errors.js';
import { predicatesOf } from './pruning.js';
import { QueryLog, type QueryLogEntry } from './query-log.js';
import { CheckedStatementCache } from './checked-cache.js';
import { checkQuery, type CheckedQuery } from './sql-check.js';
import { materializeSystemTables, type SystemSources } from './system-tables.js';
import { compareUtf8, NATIVE_MAX_ROWS, nativeAnswer, type NativeAnswer, type NativePart, type NativeStatement } from './native.js';

export { parseJsonKeepingBigInts, stringifyJsonKeepingBigInts } from './ast.js';
export type { CheckedQuery } from './sql-check.js';

export interface QueryEngineOptions {
  catalog: Catalog;
  buffer: BufferedRows;
  persistedFiles: IndexedFiles;
  mirrors: Mirrors;
  store: ObjectStore;
  /** Where Parquet files of stores without local paths are cached (must be an allowed directory). */
  cacheDir: string;
  /** Default statement timeout (default 30 s). */
  timeoutMs?: number;
  /** Now, for retention periods (default the system clock). */
  clock?: Clock;
  /** What the system tables read beside the catalog, buffer and files (the WAL files). */
  system?: SystemSources;
  /** The node's gen1 window, the span a buffered chunk's rows may take (default the widest, 10 minutes). */
  gen1DurationNs?: bigint;
  /**
   * Why a table may not be read (a query node's ingest nodes disagree on a column's type), or
   * undefined: a statement reading it fails with SCHEMA_CONFLICT.
   */
  conflictOf?: (dbId: number, table: TableSchema) => string | undefined;
  /**
   * Whether files a one-series query read from Parquet are read back into the Parquet memory
   * cache in the background, for the next such query (default true, when there is a cache).
   */
  fillMemCache?: boolean;
}

export interface QueryColumn {
  name: string;
  /** DuckDB type name, e.g. VARCHAR, BIGINT, TIMESTAMP_NS. */
  type: string;
  /**
   * The table column's type when the statement reads one table and this result column carries
   * one of its names (as InfluxDB 3 marks a column `iox::column_type::tag`, `::field::float`…).
   */
  tableColumnType?: ColumnType;
}

export interface QueryResult {
  columns: QueryColumn[];
  rows: DuckDBValue[][];
}

export type QueryParams = readonly DuckDBValue[] | Readonly<Record<string, DuckDBValue>>;

export interface QueryRunOptions {
  /** Longest the query may take, producing and handing over its answer included (default: the engine's). */
  timeoutMs?: number;
  /** Aborts the query (e.g. the client went away). */
  signal?: AbortSignal;
  /**
   * How `system.queries` shows it (default: `sql` and the SQL text), e.g. the InfluxQL statement
   * it came from; `none` leaves it out (a statement only planned for its schema).
   */
  logAs?: { type: string; text: string } | 'none';
  /**
   * A statement Sluice's own planner wrote (InfluxQL), not a user's: it is not checked (names
   * are already SQL names, values quoted by the planner, one SELECT by construction), it reads
   * `read.table` only, and its pruning comes from the planner instead of from parsing it.
   */
  planned?: PlannedRead;
}

/** What a planned statement reads: its one table (by SQL name in its FROM), and the bounds its WHERE implies. */
export interface PlannedRead {
  table: TableSchema;
  /** Inclusive time bounds: sources and rows outside them are left out. */
  minTimeNs?: bigint;
  maxTimeNs?: bigint;
  /** Tag columns (by name) that must hold one of the values. */
  tags?: ReadonlyMap<string, readonly string[]>;
  /**
   * The statement described for the engine to compute itself, when its rows are few and need no
   * deduplication and the sink takes a whole answer (see `./native.ts`); its WHERE must be these
   * time bounds and tag values and the description's own filters, nothing else.
   */
  native?: NativeStatement;
}

/** Where {@link QueryEngine.stream} hands a result: its columns first, then its rows chunk by chunk. */
export interface ResultSink {
  /**
   * Hand the columns over as soon as the statement is planned, before its first rows are computed
   * (a statement without parameters; with them, once it runs). For a stream that must show its
   * schema at once and stay alive while a slow answer computes (Flight). Default: when it runs.
   */
  readonly startEarly?: boolean;
  start(columns: QueryColumn[]): void | Promise<void>;
  /** One chunk of rows; the next is fetched once this resolves. `signal` aborts on timeout or cancel. */
  rows(chunk: DuckDBDataChunk, signal: AbortSignal): Promise<void>;
  /**
   * A sink that can take a whole answer at once lets a planned statement with a native
   * description be answered without the SQL engine (then neither `start` nor `rows` is called).
   */
  native?(answer: NativeAnswer): void | Promise<void>;
}

interface ChunkSource {
  chunk: ColumnarSource & { chunkTimeNs: bigint; serial: number };
  state: MirrorState;
  /** The chunk's rows to read instead of all, ascending (a selection: see `../engine/selection.ts`). */
  rows?: Uint32Array;
  /** The chunk's time range when its mirror was synced. */
  minTimeNs: bigint;
  maxTimeNs: bigint;
}

/** Runs `fn` with the sources of `tables`, their views current, as a reader (see {@link QueryEngine.withDatabase}). */
type WithSources = <R>(tables: ReadonlySet<TableSchema>, fn: (sources: Map<string, TableSources>) => Promise<R>) => Promise<R>;

interface TableSources {
  table: TableSchema;
  chunks: ChunkSource[];
  files: PersistedFile[];
  /** Rows before this time are past the database's retention period: never shown. */
  cutoffNs: bigint | undefined;
}

export class QueryEngine {
  private readonly viewSql = new Map<string, string>();
  /** Statements already checked, by database and text: a dashboard sends the same few again and again. */
  private readonly checkedStatements = new CheckedStatementCache(() => this.options.catalog.version);
  private readonly schemas = new Set<number>();
  /** The temporary (pruned) view each pooled connection holds (see {@link setTempView}). */
  private readonly tempViews = new WeakMap<DuckDBConnection, { name: string; sql: string }>();
  /** The database id each pooled connection was last set to (`USE`). */
  private readonly connectionDatabase = new WeakMap<DuckDBConnection, number>();
  /** The database each connection is on (`USE`d) while a query holds it. */
  private readonly databaseOf = new WeakMap<DuckDBConnection, DatabaseSchema>();
  /** The default statement timeout. */
  readonly timeoutMs: number;
  /** The recent queries (`system.queries`). */
  readonly log = new QueryLog();

  /** Reads back into the Parquet memory cache the files one-series queries found not held. */
  readonly memFiller: ParquetMemFiller | undefined;

  constructor(private readonly options: QueryEngineOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const cache = options.persistedFiles.memCache;
    if (cache !== undefined && options.fillMemCache !== false) {
      const files = options.persistedFiles;
      this.memFiller = new ParquetMemFiller({
        cache,
        engine: options.mirrors.engine,
        pathOf: (file) => this.pathOf(file),
        exclusive: (fn) => options.mirrors.exclusive(fn),
        isIndexed: (file) => files.filesOf(file.dbId, file.tableId).some((f) => f.key === file.key),
      });
    }
  }

  /** Runs one read-only SQL statement against database `db` and returns every row (for small results). */
  async query(db: string, sql: string, params?: QueryParams, options: QueryRunOptions = {}): Promise<QueryResult> {
    let columns: QueryColumn[] = [];
    let rows: DuckDBValue[][] = [];
    await this.stream(db, sql, params, {
      start: (c) => {
        columns = c;
      },
      rows: async (chunk) => {
        for (const row of chunk.getRows()) rows.push(row);
      },
      native: (answer) => {
        columns = answer.columns;
        rows = answer.rows;
      },
    }, options);
    return { columns, rows };
  }

  /**
   * Runs one read-only SQL statement and hands its rows to `sink` one engine chunk (up to 2 048
   * rows) at a time, as they are produced: the next chunk is fetched only once the sink's promise
   * resolved, so a slow consumer slows the query instead of filling memory. The timeout covers
   * everything, the sink's waits included; on timeout or abort the engine is interrupted.
   */
  async stream(db: string, sql: string, params: QueryParams | undefined, sink: ResultSink, options: QueryRunOptions = {}): Promise<void> {
    await this.runStatement(
      db,
      sql,
      options,
      async (con, checked, signal, entry) => {
        const result = await this.startStream(con, checked, params, sink, signal);
        this.log.planned(entry);
        for (;;) {
          signal.throwIfAborted();
          const chunk = await result.fetchChunk();
          signal.throwIfAborted();
          if (chunk === null || chunk.rowCount === 0) break;
          if (entry !== undefined) entry.rows += BigInt(chunk.rowCount);
          await sink.rows(chunk, signal);
        }
      },
      sink.native?.bind(sink),
    );
  }

  /**
   * The one way a user's statement runs: logged (`system.queries`), on a connection of its
   * database, under the timeout — which covers everything on the connection: checking the SQL,
   * bringing the views of the tables it reads up to date, `body` and a sink's waits — checked,
   * its tables' views current and pruned. A planned statement the engine answers itself (see
   * `PlannedRead.native`) goes to `answered` instead of `body`.
   */
  private async runStatement(
    db: string,
    sql: string,
    options: QueryRunOptions,
    body: (con: DuckDBConnection, checked: CheckedQuery, signal: AbortSignal, entry: QueryLogEntry | undefined) => Promise<void>,
    answered?: (answer: NativeAnswer) => void | Promise<void>,
  ): Promise<void> {
    const database = this.database(db);
    const entry = this.logEntry(database, sql, options);
    await this.log.track(entry, () =>
      this.withDatabase(database, (con, withSources) =>
        this.withTimeout(con, options, async (signal) => {
          const checked = options.planned === undefined ? await this.checkReadOnly(con, sql, signal) : plannedStatement(sql, options.planned);
          signal.throwIfAborted();
          const native =
            answered === undefined
              ? undefined
              : async (answer: NativeAnswer) => {
                  this.log.planned(entry);
                  if (entry !== undefined) {
                    entry.parquetFiles = 0;
                    entry.rows += BigInt(answer.rows.length);
                  }
                  await answered(answer);
                };
          await withSources(checked.tables, (sources) =>
            this.withPrunedView(
              con,
              checked,
              sources,
              options.planned,
              async (parquetFiles, pruned) => {
                signal.throwIfAborted();
                if (entry !== undefined) entry.parquetFiles = parquetFiles;
                await body(con, pruned, signal, entry);
              },
              native,
            ),
          );
        }),
      ),
    );
  }

  /** Starts the statement streaming and hands its columns to the sink (before it runs, for an early sink). */
  private async startStream(con: DuckDBConnection, checked: CheckedQuery, params: QueryParams | undefined, sink: ResultSink, signal: AbortSignal): Promise<DuckDBResult> {
    // One statement (checked): preparing it is what the engine's own stream() does.
    const prepared = await con.prepare(checked.sql);
    try {
      if (params !== undefined) prepared.bind(params as never);
      // Placeholders left without values fail when it runs, with the engine's own error.
      const early = sink.startEarly === true && prepared.parameterCount === 0;
      if (early) {
        const count = prepared.columnCount;
        await sink.start(resultColumns(checked, Array.from({ length: count }, (_, i) => prepared.columnName(i)), Array.from({ length: count }, (_, i) => prepared.columnType(i).toString())));
        // A sink that wanted only the columns (a schema request) stops here: the statement never runs.
        signal.throwIfAborted();
      }
      const result = await prepared.stream();
      if (!early) await sink.start(resultColumns(checked, result.columnNames(), result.columnTypes().map((t) => t.toString())));
      return result;
    } finally {
      prepared.destroySync();
    }
  }

  /** The statement's entry in the query log, or none when it asks not to be logged. */
  private logEntry(database: DatabaseSchema, sql: string, options: QueryRunOptions): QueryLogEntry | undefined {
    if (options.logAs === 'none') return undefined;
    return this.log.start(database.name, options.logAs?.type ?? 'sql', options.logAs?.text ?? sql);
  }

  /** Runs the statement and writes its result as a Parquet file at `path` (an allowed directory). */
  async queryToParquet(db: string, sql: string, path: string, params?: QueryParams, options: QueryRunOptions = {}): Promise<void> {
    await this.runStatement(db, sql, options, async (con, checked, _signal, entry) => {
      this.log.planned(entry);
      const inner = checked.sql.trim().replace(/;+\s*$/, '');
      await con.run(`COPY (${inner}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`, params as never);
      await renameParquetFileColumns(path, checked.columnName);
    });
  }

  private database(db: string): DatabaseSchema {
    const database = this.options.catalog.database(db);
    if (database === undefined) throw new QueryError('DATABASE_NOT_FOUND', `database not found: ${JSON.stringify(db)}`);
    return database;
  }

  /**
   * Runs `run` on a connection set to `database`. `run` checks its statement first, then reads
   * through `withSources(tables, fn)`: the views of exactly the tables the statement reads are
   * brought up to date (their buffered chunks synced), and `fn` runs as a reader of them, their
   * sources keyed by SQL name. Tables the statement does not read are not touched: with many
   * tables taking writes, a query pays only for its own.
   */
  private async withDatabase<T>(database: DatabaseSchema, run: (con: DuckDBConnection, withSources: WithSources) => Promise<T>): Promise<T> {
    const { mirrors } = this.options;
    return mirrors.engine.withConnection(async (con) => {
      if (!this.schemas.has(database.id)) {
        // Under the lock view changes take: two first queries must not race on the schema.
        await mirrors.exclusive(() => con.run(`CREATE SCHEMA IF NOT EXISTS memory.db_${database.id}`));
        this.schemas.add(database.id);
      }
      // A pooled connection keeps the database it was last set to: USE only when it changes.
      if (this.connectionDatabase.get(con) !== database.id) {
        await con.run(`USE memory.db_${database.id}`);
        this.connectionDatabase.set(con, database.id);
      }
      this.databaseOf.set(con, database);
      const withSources: WithSources = (tables, fn) => {
        let sources = new Map<string, TableSources>();
        return mirrors.read(
          async () => {
            sources = await this.prepareViews(database, tables);
            this.lastPreparedTables = tables;
          },
          () => fn(sources),
        );
      };
      try {
        return await run(con, withSources);
      } finally {
        this.databaseOf.delete(con);
      }
    });
  }

  /**
   * Pruning: when the statement reads one table and its WHERE clause bounds `time` with constants
   * (a conjunction of comparisons or BETWEEN) or holds tags to string constants (`host = 'a'`,
   * `host IN (…)`), a temporary view of that table for this connection leaves out every file and
   * buffered chunk wholly outside the time range, and reads of the buffered chunks that remain
   * only the rows the tag and time predicates keep (a selection from the chunk's series index).
   */
  private async withPrunedView<T>(
    con: DuckDBConnection,
    checked: CheckedQuery,
    sources: Map<string, TableSources>,
    planned: PlannedRead | undefined,
    run: (parquetFiles: number, statement: CheckedQuery) => Promise<T>,
    native?: (answer: NativeAnswer) => Promise<T>,
  ): Promise<T> {
    // A user's statement is pruned by what its WHERE clause says; a planned one by what its planner says.
    const parsed = planned === undefined ? predicatesOf(checked.ast) : undefined;
    const tableName = planned === undefined ? parsed?.table : sqlName(planned.table.name);
    const table = tableName === undefined ? undefined : sources.get(tableName);
    this.lastPruning = undefined;
    let allFiles = 0;
    for (const s of sources.values()) allFiles += s.files.length;
    const unpruned = async () => {
      await this.setTempView(con, undefined);
      return run(allFiles, checked);
    };
    if (table === undefined) return unpruned();
    const tags = parsed !== undefined ? tagFilterOf(table.table, parsed.equalities) : plannedTags(table.table, planned!);
    // A table read from one source has nothing to prune but rows: the bounds need not even be evaluated.
    if (tags.length === 0 && table.files.length + table.chunks.length <= 1) return unpruned();
    const { lo, hi } = parsed !== undefined ? await this.boundsNs(con, parsed) : { lo: planned!.minTimeNs, hi: planned!.maxTimeNs };
    if (lo === undefined && hi === undefined && tags.length === 0 && !manySmallChunks(table.chunks)) return unpruned();
    const inRange = (min: bigint, max: bigint) => (lo === undefined || max >= lo) && (hi === undefined || min <= hi);
    const files = table.files.filter((f) => inRange(f.minTimeNs, f.maxTimeNs) && tagsMayMatch(f, tags));
    let chunks = table.chunks.filter((c) => inRange(c.minTimeNs, c.maxTimeNs));
    const rowSets: number[] = [];
    const engine = this.options.mirrors.engine;
    let rowsSelected = 0;
    const filter: RowFilter = { tags, ...(lo === undefined ? {} : { minTimeNs: lo }), ...(hi === undefined ? {} : { maxTimeNs: hi }) };
    try {
      if (tags.length > 0) {
        const selected: ChunkSource[] = [];
        for (const c of chunks) {
          const rows = selectRows(c.chunk, filter, c.state.rows);
          if (rows === undefined) selected.push(c);
          else if (rows.length > 0) {
            rowsSelected += rows.length;
            selected.push({ ...c, rows });
          }
        }
        chunks = selected;
      } else if (manySmallChunks(chunks)) {
        // Many small chunks (writes spread over many gen1 windows): one scan of all their rows
        // instead of a branch per chunk, whose planning would cost more than reading the rows.
        chunks = chunks.map((c) => {
          if (c.state.rows === 0 || c.state.mayHaveDuplicates) return c;
          rowsSelected += c.state.rows;
          return { ...c, rows: firstRows(c.state.rows) };
        });
      }
      this.lastPruning = { files: files.length, filesPruned: table.files.length - files.length, chunks: chunks.length, chunksPruned: table.chunks.length - chunks.length, ...(tags.length > 0 ? { rowsSelected } : {}) };
      if (native !== undefined && planned?.native !== undefined && tags.length > 0 && rowsSelected <= NATIVE_MAX_ROWS) {
        const { parts, unheld } = this.cleanParts(chunks, files, filter, NATIVE_MAX_ROWS - rowsSelected);
        if (unheld.length > 0) this.memFiller?.request(unheld, tableColumns(table.table.columnsById.values()));
        const answer = parts === undefined ? undefined : nativeAnswer(table.table, parts, planned.native, table.cutoffNs);
        if (answer !== undefined) {
          this.lastPruning.native = true;
          if (files.length > 0) this.options.persistedFiles.memCache?.hit();
          this.nativeAnswers++;
          return native(answer);
        }
      }
      // Nothing left out: the database's own view is the same relation, no temporary one needed.
      if (rowsSelected === 0 && files.length === table.files.length && chunks.length === table.chunks.length) return await unpruned();
      const register = (parts: readonly RowSetPart[]) => {
        const id = engine.registerRowSet(parts);
        rowSets.push(id);
        return id;
      };
      const name = quoteIdent(sqlName(table.table.name));
      const relation = await this.tableRelationSql(table.table, chunks, files, table.cutoffNs, register);
      const parquetFiles = allFiles - (table.files.length - files.length);
      if (planned !== undefined) {
        // A planned statement (one SELECT of Sluice's own) reads the pruned relation as a CTE of
        // its table's name: bound once, with the statement, instead of once more as a view.
        await this.setTempView(con, undefined);
        return await run(parquetFiles, { ...checked, sql: `WITH ${name} AS NOT MATERIALIZED (${relation}) ${checked.sql}` });
      }
      await this.setTempView(con, { name, sql: relation });
      return await run(parquetFiles, checked);
    } finally {
      for (const id of rowSets) engine.unregisterRowSet(id);
    }
  }

  /**
   * The rows `filter` selects from `chunks` (selected already) and `files`, when none needs
   * deduplication — each source alone in its span, a chunk without duplicate points, a file
   * whose rows are held in memory (see `../persist/mem-cache.ts`) — and the files' add up to at
   * most `maxFileRows`; else undefined. `unheld`: the files alone in their span but not held
   * (then there are no parts), for reading back into memory.
   */
  private cleanParts(chunks: readonly ChunkSource[], files: readonly PersistedFile[], filter: RowFilter, maxFileRows: number): { parts: NativePart[] | undefined; unheld: PersistedFile[] } {
    const parts: NativePart[] = [];
    const unheld: PersistedFile[] = [];
    const memCache = this.options.persistedFiles.memCache;
    const none = { parts: undefined, unheld };
    let fileRows = 0;
    for (const group of overlappingSources(files, chunks, this.options.gen1DurationNs ?? DEFAULT_GEN1_NS)) {
      const lone = group.chunks.length === 0 && group.files.length === 1 ? group.files[0]! : undefined;
      const held = lone === undefined ? undefined : memCache?.partsOf(lone);
      if (lone !== undefined && held === undefined) unheld.push(lone);
      // Once a file is not held there is no answer here: only the other unheld files are still sought.
      if (unheld.length > 0) continue;
      if (held === undefined) {
        const only = cleanChunkOf(group);
        if (only === undefined) return none;
        parts.push({ source: only.chunk, rows: only.rows });
        continue;
      }
      for (const source of held) {
        if (filter.maxTimeNs !== undefined && source.minTimeNs > filter.maxTimeNs) continue;
        if (filter.minTimeNs !== undefined && source.maxTimeNs < filter.minTimeNs) continue;
        const rows = selectRows(source, filter, source.rowCount);
        if (rows === undefined) return none;
        fileRows += rows.length;
        if (fileRows > maxFileRows) return none;
        if (rows.length > 0) parts.push({ source, rows });
      }
    }
    return { parts: unheld.length > 0 ? undefined : parts, unheld };
  }

  /** The tightest constant bounds of `range`, in nanoseconds (evaluated by the engine when not literal). */
  private async boundsNs(con: DuckDBConnection, range: { lower: AstNode[]; upper: AstNode[] }): Promise<{ lo: bigint | undefined; hi: bigint | undefined }> {
    const toNs = async (expr: AstNode): Promise<bigint | undefined> => {
      const constant = constantTimeNs(expr);
      if (constant !== undefined) return constant;
      // The engine evaluates the bound (it may read a table): no pruned view may shadow one then.
      await this.setTempView(con, undefined);
      try {
        const sqlText = await this.expressionSql(con, expr);
        const v = (await con.runAndReadAll(`SELECT epoch_ns(CAST((${sqlText}) AS TIMESTAMP_NS))`)).getRows()[0]![0];
        return typeof v === 'bigint' ? v : undefined;
      } catch {
        return undefined; // not a time: no pruning by it
      }
    };
    let lo: bigint | undefined;
    let hi: bigint | undefined;
    for (const l of range.lower) {
      const ns = await toNs(l);
      if (ns !== undefined && (lo === undefined || ns > lo)) lo = ns;
    }
    for (const h of range.upper) {
      const ns = await toNs(h);
      if (ns !== undefined && (hi === undefined || ns < hi)) hi = ns;
    }
    return { lo, hi };
  }

  /**
   * Makes `wanted` the connection's one temporary (pruned) view, or none. The view stays after its
   * query: the next query on the connection that prunes to the same sources (a dashboard asking
   * for the same range again) reuses it, and any other replaces or drops it before it runs —
   * every statement a user sends passes through here first, so none sees another's view.
   */
  private async setTempView(con: DuckDBConnection, wanted: { name: string; sql: string } | undefined): Promise<void> {
    const current = this.tempViews.get(con);
    if (current?.name === wanted?.name && current?.sql === wanted?.sql) return;
    if (current !== undefined && current.name !== wanted?.name) {
      await con.run(`DROP VIEW IF EXISTS temp.main.${current.name}`);
      this.tempViews.delete(con);
    }
    if (wanted === undefined) return;
    await con.run(`CREATE OR REPLACE TEMP VIEW ${wanted.name} AS ${wanted.sql}`);
    this.tempViews.set(con, wanted);
  }

  private selectTemplate: AstNode | undefined;

  /** SQL text of one expression node: DuckDB's own serializer, over `SELECT <expr>`. */
  private async expressionSql(con: DuckDBConnection, expr: AstNode): Promise<string> {
    // Bounds of a cached statement are the same nodes each time it runs: rendered once.
    const known = this.renderedExpressions.get(expr);
    if (known !== undefined) return known;
    const text = await this.renderExpression(con, expr);
    this.renderedExpressions.set(expr, text);
    return text;
  }

  private readonly renderedExpressions = new WeakMap<AstNode, string>();

  private async renderExpression(con: DuckDBConnection, expr: AstNode): Promise<string> {
    if (this.selectTemplate === undefined) this.selectTemplate = JSON.parse(String((await con.runAndReadAll("SELECT json_serialize_sql('SELECT 1')")).getRows()[0]![0])) as AstNode;
    const statement = structuredClone(this.selectTemplate) as { statements: Array<{ node: AstNode }> };
    statement.statements[0]!.node.select_list = [structuredClone(expr)];
    walk(statement, (node) => {
      if ('query_location' in node) node.query_location = 0;
    });
    const text = String((await con.runAndReadAll(`SELECT json_deserialize_sql(${quoteString(stringifyJsonKeepingBigInts(statement))})`)).getRows()[0]![0]);
    if (!text.startsWith('SELECT ')) throw new Error(`unexpected expression SQL ${text}`);
    return text.slice('SELECT '.length);
  }

  /** Statement checks answered from the cache, and made (for tests and metrics). */
  get checkedStatementStats(): { hits: number; lookups: number } {
    return { ...this.checkedStatements.stats };
  }

  /** The tables whose views the last query brought up to date (for tests). */
  get lastPrepared(): string[] {
    return [...this.lastPreparedTables].map((t) => t.name).sort();
  }

  private lastPreparedTables: ReadonlySet<TableSchema> = new Set();

  /** What the last pruned query read and skipped (for tests and metrics). */
  lastPruning: { files: number; filesPruned: number; chunks: number; chunksPruned: number; rowsSelected?: number; native?: true } | undefined;
  /** Planned statements answered without the SQL engine (see `./native.ts`). */
  nativeAnswers = 0;

  /**
   * Runs `fn` under the query's deadline and the caller's abort signal: either interrupts the
   * engine and aborts the signal `fn` gets (so a sink waiting on a slow client gives up too).
   */
  private async withTimeout<T>(con: DuckDBConnection, options: QueryRunOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ms = options.timeoutMs ?? this.timeoutMs;
    const controller = new AbortController();
    let reason: 'timeout' | 'aborted' | undefined;
    let interrupting: NodeJS.Timeout | undefined;
    const stop = (why: 'timeout' | 'aborted') => {
      if (reason !== undefined) return;
      reason = why;
      con.interrupt();
      // The engine forgets an interrupt that comes between two statements (while `fn` is in
      // JavaScript): the next statement would run to its end. Interrupt again until `fn` settles.
      interrupting = setInterval(() => con.interrupt(), INTERRUPT_REPEAT_MS);
      controller.abort(why);
    };
    const timer = setTimeout(() => stop('timeout'), ms);
    const onAbort = () => stop('aborted');
    if (options.signal?.aborted === true) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn(controller.signal);
    } catch (err) {
      if (reason === 'timeout') throw new QueryError('TIMEOUT', `query exceeded its timeout of ${ms} ms`);
      if (reason === 'aborted') throw new QueryError('CANCELLED', 'the query was cancelled (the client went away)');
      throw toQueryError(err);
    } finally {
      clearTimeout(timer);
      clearInterval(interrupting);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * One statement, a SELECT, reading only the tables of the connection's database (no other
   * schema, no files, table functions from a short allow list), its names resolved; run
   * `checked.sql` and name result columns with `checked.columnName`.
   */
  private async checkReadOnly(con: DuckDBConnection, sql: string, signal: AbortSignal): Promise<CheckedQuery> {
    const database = this.databaseOf.get(con);
    if (database === undefined) throw new Error('checkReadOnly needs a connection from withReadyDatabase');
    const checked = await this.checkedStatements.get(database, sql, () => checkQuery(con, sql, database));
    if (checked.systemTables.size > 0) {
      // Filling them is the statement's work too: the timeout and the client leaving stop it.
      const { catalog, buffer, persistedFiles, system } = this.options;
      await materializeSystemTables(con, checked.systemTables, { database, catalog, buffer, persistedFiles, log: this.log, signal, ...(system === undefined ? {} : { sources: system }) });
    }
    return checked;
  }

  /** Syncs the buffered chunks of `read` (tables of `database`) into the engine and (re)creates their views that changed. */
  private async prepareViews(database: DatabaseSchema, read: ReadonlySet<TableSchema>): Promise<Map<string, TableSources>> {
    const { buffer, mirrors, conflictOf } = this.options;
    if (conflictOf !== undefined) {
      for (const table of read) {
        const conflict = conflictOf(database.id, table);
        if (conflict !== undefined) throw new QueryError('SCHEMA_CONFLICT', conflict);
      }
    }
    const tables = [...read];
    // Chunks and files are taken together, before any await (releases also run under this lock).
    // Past the retention period (now − period), rows are invisible at once: sources wholly older
    // are left out, the rest filtered; the files go from the store in the background.
    const cutoffNs = this.options.catalog.retentionCutoffNs(database.id, (this.options.clock ?? SYSTEM_CLOCK).nowNs());
    const isLive = (s: { maxTimeNs: bigint }) => cutoffNs === undefined || s.maxTimeNs >= cutoffNs;
    const chunksByTable = tables.map((t) => buffer.chunksOf(database.id, t.id).filter(isLive));
    const filesByTable = tables.map((t) => this.options.persistedFiles.filesOf(database.id, t.id).filter(isLive));
    const states = await mirrors.syncHeld(chunksByTable.flat());
    const statements: string[] = [];
    const sources = new Map<string, TableSources>();
    let k = 0;
    for (let i = 0; i < tables.length; i++) {
      const table = tables[i]!;
      const chunkStates = chunksByTable[i]!.map((chunk) => ({ chunk, state: states[k++]!, minTimeNs: chunk.minTimeNs, maxTimeNs: chunk.maxTimeNs }));
      sources.set(sqlName(table.name), { table, chunks: chunkStates, files: filesByTable[i]!, cutoffNs });
      const sql = await this.tableRelationSql(table, chunkStates, filesByTable[i]!, cutoffNs);
      // Views carry SQL names: DuckDB would take `Cpu` for `cpu`.
      const name = `db_${database.id}.${quoteIdent(sqlName(table.name))}`;
      if (this.viewSql.get(name) === sql) continue;
      statements.push(`CREATE OR REPLACE VIEW ${name} AS ${sql}`);
      this.viewSql.set(name, sql);
    }
    if (statements.length === 0) return sources;
    await mirrors.engine.withConnection(async (con) => {
      await con.run('BEGIN');
      try {
        for (const s of statements) await con.run(s);
        await con.run('COMMIT');
      } catch (err) {
        await con.run('ROLLBACK').catch(() => undefined);
        for (const key of [...this.viewSql.keys()]) if (key.startsWith(`db_${database.id}.`)) this.viewSql.delete(key);
        throw err;
      }
    });
    return sources;
  }

  /** The relation of `table` over `chunks` and `files`; chunks with selected rows read through row sets `register` makes. */
  private async tableRelationSql(
    table: TableSchema,
    chunks: readonly ChunkSource[],
    files: readonly PersistedFile[],
    cutoffNs?: bigint,
    register?: (parts: readonly RowSetPart[]) => number,
  ): Promise<string> {
    const sql = await this.unfilteredRelationSql(table, chunks, files, register);
    if (cutoffNs === undefined) return sql;
    const time = [...table.columnsById.values()].find((c) => c.type === 'time');
    return time === undefined ? sql : `SELECT * FROM (${sql}) WHERE ${columnSql(time)} >= make_timestamp_ns(${cutoffNs})`;
  }

  private async unfilteredRelationSql(
    table: TableSchema,
    chunks: readonly ChunkSource[],
    files: readonly PersistedFile[],
    register?: (parts: readonly RowSetPart[]) => number,
  ): Promise<string> {
    const rowSetOf = (c: ChunkSource): number | undefined => (c.rows === undefined ? undefined : register!([{ serial: c.state.serial, rows: c.rows }]));
    // Selected rows of chunks alone in their span, without duplicate points: all read by one scan.
    const clean: RowSetPart[] = [];
    const cleanColumns = new Set<number>();
    const columns = tableColumns(table.columnsById.values());
    const cleanFiles = new Map<string, PersistedFile[]>(); // by column set
    const dedupSources: string[] = [];
    const parts: string[] = [];
    for (const group of overlappingSources(files, chunks, this.options.gen1DurationNs ?? DEFAULT_GEN1_NS)) {
      if (group.chunks.length === 0 && group.files.length === 1) {
        const f = group.files[0]!;
        const sig = [...f.columnIds].sort((a, b) => a - b).join(',');
        let list = cleanFiles.get(sig);
        if (list === undefined) cleanFiles.set(sig, (list = []));
        list.push(f);
        continue;
      }
      const cleanChunk = cleanChunkOf(group);
      if (cleanChunk !== undefined) {
        clean.push({ serial: cleanChunk.state.serial, rows: cleanChunk.rows });
        for (const id of cleanChunk.state.columns.keys()) cleanColumns.add(id);
        continue;
      }
      if (group.files.length === 0 && group.chunks.length === 1) {
        const only = group.chunks[0]!;
        // One buffered chunk alone in its window: deduplicate it on its integer keys.
        const rowSet = rowSetOf(only);
        parts.push(mirrorDedupSql(only.state, columns, rowSet === undefined ? {} : { rowSet }));
        continue;
      }
      for (const f of group.files) dedupSources.push(parquetRelationSql([await this.pathOf(f)], new Set(f.columnIds), columns, f.snapshotSequenceNumber));
      // Buffered rows are newer than every file; later chunks newer than earlier ones.
      for (const c of group.chunks) dedupSources.push(mirrorRelationSql(c.state, columns, 0x40000000 + c.chunk.serial, rowSetOf(c)));
    }
    if (clean.length > 0) parts.push(rowSetRelationSql(cleanColumns, columns, register!(clean)));
    for (const list of cleanFiles.values()) {
      const paths = await Promise.all(list.map((f) => this.pathOf(f)));
      parts.push(parquetRelationSql(paths, new Set(list[0]!.columnIds), columns, undefined));
    }
    if (dedupSources.length > 0) parts.push(dedupSql(dedupSources, columns));
    if (parts.length === 0) return emptyRelationSql(columns);
    const cols = columns.map(columnSql).join(', ');
    return parts.map((p) => `SELECT ${cols} FROM (${p})`).join(' UNION ALL ');
  }

  /** A local path for a persisted file: the store's own, or a cached download. */
  private async pathOf(file: PersistedFile): Promise<string> {
    const local = this.options.store.localPath?.(file.key);
    if (local !== undefined) return local;
    const path = join(this.options.cacheDir, file.key);
    try {
      await access(path);
    } catch {
      const bytes = await this.options.store.get(file.key);
      await mkdir(dirname(path), { recursive: true });
      // Unique per download: two queries (or a retry) may fetch the same file at once.
      const tmp = `${path}.${process.pid}.${++downloadSerial}.tmp`;
      await writeFile(tmp, bytes);
      const { rename } = await import('node:fs/promises');
      await rename(tmp, path);
    }
    return path;
  }
}

let downloadSerial = 0;

/** The widest gen1 window (10 minutes), when the engine is not told the node's. */
const DEFAULT_GEN1_NS = 600_000_000_000n;

/**
 * The sources of one table in groups that may share a point (the same tags and time): sources
 * whose time spans overlap, transitively. A file spans its rows' times exactly (a compacted file
 * many gen1 windows); a buffered chunk, which may still grow, its whole gen1 window. Sources in
 * different groups cannot hold the same point, so only groups of several sources need
 * deduplicating.
 */
export function overlappingSources<F extends { minTimeNs: bigint; maxTimeNs: bigint }, C extends { chunk: { chunkTimeNs: bigint } }>(
  files: readonly F[],
  chunks: readonly C[],
  gen1DurationNs: bigint,
): Array<{ files: F[]; chunks: C[] }> {
  const spans: Array<{ lo: bigint; hi: bigint; file?: F; chunk?: C }> = [];
  for (const file of files) spans.push({ lo: file.minTimeNs, hi: file.maxTimeNs, file });
  for (const chunk of chunks) spans.push({ lo: chunk.chunk.chunkTimeNs, hi: chunk.chunk.chunkTimeNs + gen1DurationNs - 1n, chunk });
  spans.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const groups: Array<{ files: F[]; chunks: C[] }> = [];
  let current: { files: F[]; chunks: C[] } | undefined;
  let currentHi = 0n;
  for (const span of spans) {
    if (current === undefined || span.lo > currentHi) {
      groups.push((current = { files: [], chunks: [] }));
      currentHi = span.hi;
    } else if (span.hi > currentHi) currentHi = span.hi;
    if (span.file !== undefined) current.files.push(span.file);
    else current.chunks.push(span.chunk!);
  }
  return groups;
}

/** How often a stopped statement's connection is interrupted again, until the statement's work settles. */
const INTERRUPT_REPEAT_MS = 50;

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT']);

/**
 * The time of `make_timestamp_ns(<integer constant>)` (optionally `CAST(… AS BIGINT)`, within
 * ±2^62 ns: the years 1823 to 2116), the
 * bound InfluxQL's planner writes, read without a round trip to the engine; undefined for any
 * other expression (which the engine then evaluates).
 */
export function constantTimeNs(expr: AstNode): bigint | undefined {
  if (expr.class !== 'FUNCTION' || expr.function_name !== 'make_timestamp_ns' || (expr.schema ?? '') !== '' || (expr.catalog ?? '') !== '') return undefined;
  const args = expr.children as AstNode[] | undefined;
  if (!Array.isArray(args) || args.length !== 1) return undefined;
  let arg = args[0]!;
  const castType = arg.cast_type as { id?: unknown } | undefined;
  if (arg.class === 'CAST' && castType?.id === 'BIGINT' && arg.try_cast === false) arg = arg.child as AstNode;
  const value = arg.value as { type?: { id?: unknown }; is_null?: unknown; value?: unknown } | undefined;
  if (arg.class !== 'CONSTANT' || value?.is_null !== false || !INTEGER_TYPES.has(String(value.type?.id))) return undefined;
  const v = astInteger(value.value);
  // Near the ends of int64 the engine has its own rules (infinities, errors): leave those to it.
  return v !== undefined && v > -(2n ** 62n) && v < 2n ** 62n ? v : undefined;
}

/** The result's columns, each with the type of the table column it names when one table is read. */
function resultColumns(checked: CheckedQuery, names: string[], types: string[]): QueryColumn[] {
  const table = checked.tables.size === 1 ? [...checked.tables][0]! : undefined;
  return names.map((sqlColumn, i) => {
    const name = checked.columnName(sqlColumn);
    const definition = table?.columns.get(name);
    // Only a column of the table's own type: `SELECT v * 2 AS host` is no tag.
    return definition === undefined || sqlType(definition.type) !== types[i] ? { name, type: types[i]! } : { name, type: types[i]!, tableColumnType: definition.type };
  });
}

/** The tag predicates of `equalities` (by SQL column name) on `table`'s tag columns, as a selection filter's. */
function tagFilterOf(table: TableSchema, equalities: ReadonlyMap<string, string[]>): RowFilter['tags'] {
  const tags: Array<{ columnId: number; values: readonly string[] }> = [];
  for (const col of table.columnsById.values()) {
    const values = col.type === 'tag' ? equalities.get(sqlName(col.name)) : undefined;
    if (values !== undefined) tags.push({ columnId: col.id, values });
  }
  return tags;
}

/**
 * Whether file `file` may hold a row whose tags pass `tags`: not when it lacks one of the tag
 * columns (null in every row), nor when a wanted value lies outside the column's range in it.
 */
export function tagsMayMatch(file: PersistedFile, tags: RowFilter['tags']): boolean {
  for (const { columnId, values } of tags) {
    if (!file.columnIds.includes(columnId)) return false;
    const range = file.tagRanges?.find((r) => r.columnId === columnId);
    if (range !== undefined && !values.some((v) => compareUtf8(range.min, v) <= 0 && compareUtf8(v, range.max) <= 0)) return false;
  }
  return true;
}

/** Chunks from which a table is read by one row-set scan, when they are this many or more and small. */
const MANY_CHUNKS = 16;
const SMALL_CHUNK_ROWS = 8_192;

/** Whether `chunks` are many, and small on average: their per-chunk branches would cost more than their rows. */
function manySmallChunks(chunks: readonly ChunkSource[]): boolean {
  if (chunks.length < MANY_CHUNKS) return false;
  let rows = 0;
  for (const c of chunks) rows += c.state.rows;
  return rows <= chunks.length * SMALL_CHUNK_ROWS;
}

/** 0, 1, …, n − 1 (a view of one shared array: row sets only read it). */
let identityRows = new Uint32Array(0);
function firstRows(n: number): Uint32Array {
  if (identityRows.length < n) {
    identityRows = new Uint32Array(Math.max(n, identityRows.length * 2, 1024));
    for (let i = 0; i < identityRows.length; i++) identityRows[i] = i;
  }
  return identityRows.subarray(0, n);
}

/** The one buffered chunk of a span, when it is alone there, read through a selection and without duplicate points: read as it is, no deduplication. */
function cleanChunkOf(group: { files: readonly unknown[]; chunks: readonly ChunkSource[] }): (ChunkSource & { rows: Uint32Array }) | undefined {
  const only = group.chunks[0];
  if (group.files.length !== 0 || group.chunks.length !== 1 || only!.rows === undefined || only!.state.mayHaveDuplicates) return undefined;
  return only as ChunkSource & { rows: Uint32Array };
}

/** A planned statement's tag predicates (by column name) on `table`'s tag columns, as a selection filter's. */
function plannedTags(table: TableSchema, planned: PlannedRead): RowFilter['tags'] {
  const tags: Array<{ columnId: number; values: readonly string[] }> = [];
  for (const [name, values] of planned.tags ?? []) {
    const col = table.columns.get(name);
    if (col?.type === 'tag') tags.push({ columnId: col.id, values });
  }
  return tags;
}

/** A planned statement as a checked one: its table, its SQL as written, result names decoded from SQL names. */
function plannedStatement(sql: string, planned: PlannedRead): CheckedQuery {
  return { ast: undefined, sql, tables: new Set([planned.table]), systemTables: new Set(), columnName: (name) => nameOfSql(name) ?? name };
}
