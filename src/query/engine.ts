/**
 * SQL over the buffer and the Parquet files as one: each table of a database is a view in the
 * DuckDB schema of that database, with its tag, field and `time` columns and InfluxDB point
 * semantics (a point written twice — in the buffer, in files, or across both — appears once,
 * each field its last non-null value). Windows held by one source that cannot overlap another
 * are read as they are; only windows with several sources pay for deduplication.
 *
 * Only one read-only statement runs (a SELECT, with no file-reading or other table functions
 * outside a short allow list), parameters bound, under a timeout; DuckDB's memory limit and its
 * ban on file access outside Sluice's directories are set when the engine opens.
 */
import { mkdir, writeFile, access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { QueryableBuffer } from '../buffer/queryable-buffer.js';
import type { Catalog, DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import { quoteIdent, quoteString, type MirrorState } from '../engine/duckdb.js';
import type { Mirrors } from '../engine/mirrors.js';
import { dedupSql, emptyRelationSql, mirrorDedupSql, mirrorRelationSql, parquetRelationSql, tableColumns } from '../engine/relations.js';
import type { ObjectStore } from '../objectstore/types.js';
import type { PersistedFiles } from '../persist/load.js';
import type { PersistedFile } from '../persist/manifest.js';
import type { ColumnDefinition } from '../wal/model.js';
import { QueryError } from './errors.js';

export interface QueryEngineOptions {
  catalog: Catalog;
  buffer: QueryableBuffer;
  persistedFiles: PersistedFiles;
  mirrors: Mirrors;
  store: ObjectStore;
  /** Where Parquet files of stores without local paths are cached (must be an allowed directory). */
  cacheDir: string;
  /** Default statement timeout (default 30 s). */
  timeoutMs?: number;
}

export interface QueryColumn {
  name: string;
  /** DuckDB type name, e.g. VARCHAR, BIGINT, TIMESTAMP_NS. */
  type: string;
}

export interface QueryResult {
  columns: QueryColumn[];
  rows: DuckDBValue[][];
}

export type QueryParams = readonly DuckDBValue[] | Readonly<Record<string, DuckDBValue>>;

const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

export class QueryEngine {
  private readonly viewSql = new Map<string, string>();
  private readonly schemas = new Set<number>();
  private readonly timeoutMs: number;

  constructor(private readonly options: QueryEngineOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Runs one read-only SQL statement against database `db`. */
  async query(db: string, sql: string, params?: QueryParams, options: { timeoutMs?: number } = {}): Promise<QueryResult> {
    const database = this.database(db);
    return this.withReadyDatabase(database, async (con) => {
      await this.checkReadOnly(con, sql);
      return this.withTimeout(con, options.timeoutMs, async () => {
        const reader = await con.runAndReadAll(sql, params as never);
        const names = reader.columnNames();
        const types = reader.columnTypes();
        return { columns: names.map((name, i) => ({ name, type: types[i]!.toString() })), rows: reader.getRows() as DuckDBValue[][] };
      });
    });
  }

  /** Runs the statement and writes its result as a Parquet file at `path` (an allowed directory). */
  async queryToParquet(db: string, sql: string, path: string, params?: QueryParams, options: { timeoutMs?: number } = {}): Promise<void> {
    const database = this.database(db);
    await this.withReadyDatabase(database, async (con) => {
      await this.checkReadOnly(con, sql);
      const inner = sql.trim().replace(/;+\s*$/, '');
      await this.withTimeout(con, options.timeoutMs, () => con.run(`COPY (${inner}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`, params as never));
    });
  }

  private database(db: string): DatabaseSchema {
    const database = this.options.catalog.database(db);
    if (database === undefined) throw new QueryError('DATABASE_NOT_FOUND', `database not found: ${JSON.stringify(db)}`);
    return database;
  }

  private withReadyDatabase<T>(database: DatabaseSchema, run: (con: DuckDBConnection) => Promise<T>): Promise<T> {
    const { mirrors } = this.options;
    return mirrors.read(
      () => this.prepareViews(database),
      () =>
        mirrors.engine.withConnection(async (con) => {
          await con.run(`USE memory.db_${database.id}`);
          return run(con);
        }),
    );
  }

  private async withTimeout<T>(con: DuckDBConnection, timeoutMs: number | undefined, fn: () => Promise<T>): Promise<T> {
    const ms = timeoutMs ?? this.timeoutMs;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      con.interrupt();
    }, ms);
    try {
      return await fn();
    } catch (err) {
      if (timedOut) throw new QueryError('TIMEOUT', `query exceeded its timeout of ${ms} ms`);
      throw toQueryError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One statement, a SELECT, no table functions but a few pure ones, no internal tables. */
  private async checkReadOnly(con: DuckDBConnection, sql: string): Promise<void> {
    let count: number;
    try {
      const extracted = await con.extractStatements(sql);
      count = extracted.count;
      if (count === 1) {
        const prepared = await extracted.prepare(0);
        const type = prepared.statementType;
        prepared.destroySync();
        if (type !== 1 /* SELECT */) throw new QueryError('NOT_READ_ONLY', 'only SELECT statements are allowed');
      }
    } catch (err) {
      throw toQueryError(err);
    }
    if (count === 0) throw new QueryError('INVALID_QUERY', 'the query is empty');
    if (count > 1) throw new QueryError('NOT_READ_ONLY', `exactly one statement is allowed, found ${count}`);
    const reader = await con.runAndReadAll(`SELECT json_serialize_sql(${quoteString(sql)})`);
    const ast = JSON.parse(String(reader.getRows()[0]![0])) as { error?: boolean; error_message?: string };
    // PRAGMA and CALL are rewritten into SELECTs over table functions; they do not serialize.
    if (ast.error === true) throw new QueryError('NOT_READ_ONLY', `only plain SELECT statements are allowed (${ast.error_message ?? 'not a SELECT'})`);
    walk(ast, (node) => {
      if (node.type === 'TABLE_FUNCTION') {
        const fn = (node.function as { function_name?: string } | undefined)?.function_name ?? '';
        if (!ALLOWED_TABLE_FUNCTIONS.has(fn.toLowerCase())) throw new QueryError('NOT_READ_ONLY', `table function ${fn}() is not allowed`);
      } else if (node.type === 'BASE_TABLE') {
        const schema = String(node.schema_name ?? '').toLowerCase();
        const catalog = String(node.catalog_name ?? '').toLowerCase();
        if (schema === 'sluice' || catalog === 'sluice' || catalog === 'system' || catalog === 'temp') {
          throw new QueryError('NOT_READ_ONLY', `table ${[node.catalog_name, node.schema_name, node.table_name].filter(Boolean).join('.')} is internal`);
        }
      }
    });
  }

  /** Syncs the database's buffered chunks into the engine and (re)creates the views that changed. */
  private async prepareViews(database: DatabaseSchema): Promise<void> {
    const { buffer, mirrors } = this.options;
    const tables = [...database.tablesById.values()];
    // Chunks and files are taken together, before any await (releases also run under this lock).
    const chunksByTable = tables.map((t) => buffer.chunksOf(database.id, t.id));
    const filesByTable = tables.map((t) => this.options.persistedFiles.filesOf(database.id, t.id).slice());
    const states = await mirrors.syncHeld(chunksByTable.flat());
    const statements: string[] = [];
    if (!this.schemas.has(database.id)) statements.push(`CREATE SCHEMA IF NOT EXISTS db_${database.id}`);
    let k = 0;
    for (let i = 0; i < tables.length; i++) {
      const table = tables[i]!;
      const chunkStates = chunksByTable[i]!.map((chunk) => ({ chunk, state: states[k++]! }));
      const sql = await this.tableRelationSql(table, chunkStates, filesByTable[i]!);
      const name = `db_${database.id}.${quoteIdent(table.name)}`;
      if (this.viewSql.get(name) === sql) continue;
      statements.push(`CREATE OR REPLACE VIEW ${name} AS ${sql}`);
      this.viewSql.set(name, sql);
    }
    if (statements.length === 0) return;
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
    this.schemas.add(database.id);
  }

  private async tableRelationSql(
    table: TableSchema,
    chunks: Array<{ chunk: { chunkTimeNs: bigint; serial: number }; state: MirrorState }>,
    files: readonly PersistedFile[],
  ): Promise<string> {
    const columns = tableColumns(table.columnsById.values());
    // Group every source by its gen1 window: only windows with more than one source can hold duplicates.
    const windows = new Map<bigint, { files: PersistedFile[]; chunks: typeof chunks }>();
    const windowOf = (t: bigint) => {
      let w = windows.get(t);
      if (w === undefined) windows.set(t, (w = { files: [], chunks: [] }));
      return w;
    };
    for (const f of files) windowOf(f.chunkTimeNs).files.push(f);
    for (const c of chunks) windowOf(c.chunk.chunkTimeNs).chunks.push(c);
    const cleanFiles = new Map<string, PersistedFile[]>(); // by column set
    const dedupSources: string[] = [];
    const parts: string[] = [];
    for (const w of windows.values()) {
      if (w.chunks.length === 0 && w.files.length === 1) {
        const f = w.files[0]!;
        const sig = [...f.columnIds].sort((a, b) => a - b).join(',');
        let list = cleanFiles.get(sig);
        if (list === undefined) cleanFiles.set(sig, (list = []));
        list.push(f);
        continue;
      }
      if (w.files.length === 0 && w.chunks.length === 1) {
        // One buffered chunk alone in its window: deduplicate it on its integer keys.
        parts.push(mirrorDedupSql(w.chunks[0]!.state, columns));
        continue;
      }
      for (const f of w.files) dedupSources.push(parquetRelationSql([await this.pathOf(f)], new Set(f.columnIds), columns, f.snapshotSequenceNumber));
      // Buffered rows are newer than every file; later chunks newer than earlier ones.
      for (const c of w.chunks) dedupSources.push(mirrorRelationSql(c.state, columns, 0x40000000 + c.chunk.serial));
    }
    for (const list of cleanFiles.values()) {
      const paths = await Promise.all(list.map((f) => this.pathOf(f)));
      parts.push(parquetRelationSql(paths, new Set(list[0]!.columnIds), columns, undefined));
    }
    if (dedupSources.length > 0) parts.push(dedupSql(dedupSources, columns));
    if (parts.length === 0) return emptyRelationSql(columns);
    const cols = columns.map((c: ColumnDefinition) => quoteIdent(c.name)).join(', ');
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
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, bytes);
      const { rename } = await import('node:fs/promises');
      await rename(tmp, path);
    }
    return path;
  }
}

function walk(node: unknown, visit: (n: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
  } else if (typeof node === 'object' && node !== null) {
    visit(node as Record<string, unknown>);
    for (const child of Object.values(node)) walk(child, visit);
  }
}

function toQueryError(err: unknown): QueryError {
  if (err instanceof QueryError) return err;
  const message = (err instanceof Error ? err.message : String(err)).replace(/^Failed to extract statements: /, '');
  if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Syntax|Not implemented) Error/i.test(message)) return new QueryError('INVALID_QUERY', message);
  if (/^Permission Error/i.test(message)) return new QueryError('NOT_READ_ONLY', message);
  if (/^Out of Memory Error/i.test(message)) return new QueryError('RESOURCES_EXHAUSTED', message);
  if (/^INTERRUPT Error/i.test(message)) return new QueryError('TIMEOUT', message);
  return new QueryError('INTERNAL', message);
}
