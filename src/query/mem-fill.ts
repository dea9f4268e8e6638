/**
 * Filling the Parquet memory cache (`../persist/mem-cache.ts`) from the files queries read.
 *
 * Snapshots put their newest files in the cache as they write them, but after a restart (or on a
 * query node following files it never wrote, or once a file was let go) a dashboard's one-series
 * queries read Parquet again and again. When such a query finds a file it could have answered
 * from memory not held, the engine asks for it here: one file at a time, in the background, the
 * file's rows are read through the engine (DuckDB, from the local file or its cached download)
 * into a chunk of typed arrays, and held under the file's key — if the file is still in the
 * query index then and holds exactly those rows. A Parquet file never changes, so its rows in
 * memory are its rows; a query running meanwhile reads the file itself, as before.
 *
 * Bounded: at most {@link MAX_QUEUED} files wait; a file the cache would let go at once (older
 * than everything held, with no room) is not read; a file whose read failed is not asked for
 * again until it leaves the index and comes back (it never does: keys are unique).
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import { engineItems, engineValidity } from '../engine/raw-vectors.js';
import { BufferChunk } from '../buffer/chunk.js';
import type { Engine } from '../engine/duckdb.js';
import { columnSql, parquetRelationSql } from '../engine/relations.js';
import type { ParquetMemCache } from '../persist/mem-cache.js';
import type { PersistedFile } from '../persist/manifest.js';
import { allocateColumnValues, FieldKind, type ColumnData, type ColumnValues, type ColumnDefinition, type ColumnId, type ColumnType, type TableChunk } from '../wal/model.js';

/** Files waiting to be read, at most. */
const MAX_QUEUED = 256;

export interface MemFillerOptions {
  cache: ParquetMemCache;
  engine: Engine;
  /** A local path of the file (the store's own, or a cached download). */
  pathOf: (file: PersistedFile) => Promise<string>;
  /** Runs `fn` under the engine's lock (the query index does not change meanwhile). */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Whether `file` is still in the query index (called under the lock). */
  isIndexed: (file: PersistedFile) => boolean;
}

export interface MemFillerStats {
  /** Files read and held. */
  filled: number;
  /** Files read but not held (left the index meanwhile, or too large). */
  dropped: number;
  /** Files whose read failed. */
  failed: number;
}

interface Request {
  file: PersistedFile;
  columns: readonly ColumnDefinition[];
}

const KIND_OF: Record<Exclude<ColumnType, 'time'>, FieldKind> = {
  tag: FieldKind.Tag,
  string: FieldKind.String,
  int64: FieldKind.Int64,
  uint64: FieldKind.UInt64,
  float64: FieldKind.Float64,
  bool: FieldKind.Boolean,
};

export class ParquetMemFiller {
  readonly stats: MemFillerStats = { filled: 0, dropped: 0, failed: 0 };
  private readonly queue: Request[] = [];
  /** Keys queued or being read. */
  private readonly pending = new Set<string>();
  /** Keys whose read failed: not asked for again. */
  private readonly failed = new Set<string>();
  private running: Promise<void> | undefined;

  constructor(private readonly options: MemFillerOptions) {}

  /** Asks for `files` of a table with `columns` to be held; returns at once. */
  request(files: readonly PersistedFile[], columns: readonly ColumnDefinition[]): void {
    const { cache } = this.options;
    for (const file of files) {
      if (this.queue.length >= MAX_QUEUED) break;
      if (file.rowCount === 0 || this.pending.has(file.key) || this.failed.has(file.key) || cache.partsOf(file) !== undefined) continue;
      if (!cache.wouldKeep(file)) continue;
      this.pending.add(file.key);
      this.queue.push({ file, columns });
    }
    if (this.running === undefined && this.queue.length > 0) {
      this.running = this.drain().finally(() => {
        this.running = undefined;
      });
    }
  }

  /** Resolves once nothing is queued or being read (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const { file, columns } = next;
      try {
        const chunk = await this.read(file, columns);
        const held = await this.options.exclusive(async () => this.options.isIndexed(file) && this.options.cache.fill(file, chunk));
        if (held) this.stats.filled++;
        else this.stats.dropped++;
      } catch {
        // Counted (sluice_parquet_mem_cache_fill_failures_total); the file is read from Parquet as before.
        this.stats.failed++;
        this.failed.add(file.key);
      } finally {
        this.pending.delete(file.key);
      }
      // Queries first: the next file waits for the event loop to have run what is ready.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * The rows of `file` as one immutable chunk. DuckDB reads the file on its own threads into
   * native chunks (the connection is given back at once); their values become typed arrays here
   * a DuckDB chunk (2 048 rows) at a time, letting the event loop run queries in between, so a
   * large file does not hold up answers.
   */
  private async read(file: PersistedFile, columns: readonly ColumnDefinition[]): Promise<BufferChunk> {
    const path = await this.options.pathOf(file);
    const present = new Set(file.columnIds);
    const stored = columns.filter((c) => c.type === 'time' || present.has(c.id));
    const select = stored.map((c) => (c.type === 'time' ? `epoch_ns(${columnSql(c)})` : columnSql(c)));
    const sql = `SELECT ${select.join(', ')} FROM (${parquetRelationSql([path], present, columns, undefined)})`;
    const chunks = await this.options.engine.withConnection(async (con: DuckDBConnection) => {
      const result = await con.run(sql);
      const out: DuckDBDataChunk[] = [];
      for (let c = await result.fetchChunk(); c !== null && c.rowCount > 0; c = await result.fetchChunk()) out.push(c);
      return out;
    });
    let n = 0;
    for (const c of chunks) n += c.rowCount;
    const timeNs = new BigInt64Array(n);
    const builders = stored.map((c) => (c.type === 'time' ? undefined : new ColumnBuilder(KIND_OF[c.type], n)));
    let at = 0;
    for (const c of chunks) {
      const rows = c.rowCount;
      stored.forEach((col, i) => {
        const vector = c.getColumnVector(i);
        if (col.type === 'time') {
          const items = engineValidity(vector, rows) === null ? engineItems(vector, BigInt64Array, rows) : undefined;
          if (items !== undefined) timeNs.set(items as BigInt64Array, at);
          else {
            const column = vector.toArray();
            for (let r = 0; r < rows; r++) timeNs[at + r] = column[r] as bigint;
          }
        } else builders[i]!.add(vector, at, rows);
      });
      at += rows;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const data = new Map<ColumnId, ColumnData>();
    stored.forEach((col, i) => {
      if (col.type !== 'time') data.set(col.id, builders[i]!.finish());
    });
    const tableChunk: TableChunk = { rowCount: n, timeNs, columns: data };
    const chunk = new BufferChunk(file.dbId, file.tableId, file.chunkTimeNs, n);
    chunk.append(tableChunk);
    chunk.sealed = true;
    return chunk;
  }
}

/** One column's values, DuckDB chunk by DuckDB chunk, as WAL column data. */
class ColumnBuilder {
  private readonly validity: Uint8Array;
  private readonly values: ColumnValues;
  private readonly dictionary: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private missing = 0;

  constructor(
    private readonly kind: FieldKind,
    n: number,
  ) {
    this.validity = new Uint8Array((n + 7) >> 3);
    this.values = allocateColumnValues(kind, n);
  }

  /** Rows `at …` from one DuckDB chunk's column (null where a row has no value). */
  add(vector: DuckDBVector, at: number, rows: number): void {
    const { kind, values, validity } = this;
    // Numbers straight from the engine's arrays where they are laid out as expected.
    const Typed = kind === FieldKind.Int64 ? BigInt64Array : kind === FieldKind.UInt64 ? BigUint64Array : kind === FieldKind.Float64 ? Float64Array : undefined;
    const items = Typed === undefined ? undefined : engineItems(vector, Typed, rows);
    const valid = items === undefined ? undefined : engineValidity(vector, rows);
    if (items !== undefined && valid !== undefined) {
      (values as BigInt64Array).set(items as BigInt64Array, at);
      for (let r = 0; r < rows; r++) {
        if (valid !== null && ((valid[r >> 3]! >> (r & 7)) & 1) === 0) {
          this.missing++;
          continue;
        }
        const row = at + r;
        validity[row >> 3]! |= 1 << (row & 7);
      }
      return;
    }
    const column = vector.toArray();
    for (let r = 0; r < rows; r++) {
      const v = column[r];
      if (v === null || v === undefined) {
        this.missing++;
        continue;
      }
      const row = at + r;
      validity[row >> 3]! |= 1 << (row & 7);
      if (kind === FieldKind.Tag || kind === FieldKind.String) {
        const s = String(v);
        let i = this.indexOf.get(s);
        if (i === undefined) {
          i = this.dictionary.length;
          this.dictionary.push(s);
          this.indexOf.set(s, i);
        }
        values[row] = i;
      } else if (kind === FieldKind.Boolean) {
        values[row] = v === true ? 1 : 0;
      } else {
        (values as Float64Array | BigInt64Array)[row] = v as never;
      }
    }
  }

  finish(): ColumnData {
    // Without a missing value the column needs no bitmap (the chunk then allocates none).
    const validity = this.missing === 0 ? undefined : this.validity;
    const v = validity === undefined ? {} : { validity };
    switch (this.kind) {
      case FieldKind.Tag:
      case FieldKind.String:
        return { kind: this.kind, indices: this.values as Uint32Array, dictionary: this.dictionary, ...v };
      case FieldKind.Int64:
        return { kind: FieldKind.Int64, values: this.values as BigInt64Array, ...v };
      case FieldKind.UInt64:
        return { kind: FieldKind.UInt64, values: this.values as BigUint64Array, ...v };
      case FieldKind.Float64:
        return { kind: FieldKind.Float64, values: this.values as Float64Array, ...v };
      default:
        return { kind: FieldKind.Boolean, values: this.values as Uint8Array, ...v };
    }
  }
}
