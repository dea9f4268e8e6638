/**
 * The embedded SQL engine: one DuckDB instance, locked down at open (no file or network access
 * outside Sluice's own directories, configuration frozen), and a fast loader that copies
 * columnar typed arrays into DuckDB tables through data chunks (`memcpy`, no per-value calls
 * except for new dictionary entries).
 */
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, DuckDBInstance, type DuckDBConnection, DuckDBTypeId, type DuckDBType, BIGINT, UBIGINT, DOUBLE, BOOLEAN, UINTEGER, TIMESTAMP_NS } from '@duckdb/node-api';
import { FieldKind, type ColumnType } from '../wal/model.js';

/** Columnar rows as the buffer holds them (see `src/buffer/chunk.ts`). */
export interface ColumnarSource {
  rowCount: number;
  timeNs: BigInt64Array;
  columns: Map<number, ColumnarColumn>;
}

export interface ColumnarColumn {
  kind: FieldKind;
  values: BigInt64Array | BigUint64Array | Float64Array | Uint8Array | Uint32Array;
  validity: Uint8Array | undefined;
  dictionary: string[] | undefined;
}

export interface EngineOptions {
  /** Directories DuckDB may read and write (Parquet files, scratch space). */
  allowedDirectories: string[];
  /** DuckDB's memory limit, e.g. '2GB'. */
  memoryLimit?: string;
  threads?: number;
}

/** DuckDB SQL type of a catalog column type. */
export function sqlType(type: ColumnType): string {
  switch (type) {
    case 'tag':
    case 'string':
      return 'VARCHAR';
    case 'time':
      return 'TIMESTAMP_NS';
    case 'int64':
      return 'BIGINT';
    case 'uint64':
      return 'UBIGINT';
    case 'float64':
      return 'DOUBLE';
    case 'bool':
      return 'BOOLEAN';
  }
}

/** The mirror column type of a buffered column: dictionary columns hold UINTEGER indices. */
function mirrorType(kind: FieldKind): DuckDBType {
  switch (kind) {
    case FieldKind.Tag:
    case FieldKind.String:
      return UINTEGER;
    case FieldKind.Int64:
      return BIGINT;
    case FieldKind.UInt64:
      return UBIGINT;
    case FieldKind.Float64:
      return DOUBLE;
    case FieldKind.Boolean:
      return BOOLEAN;
    default:
      throw new Error(`unknown field kind ${String(kind)}`);
  }
}

function mirrorTypeSql(kind: FieldKind): string {
  const t = mirrorType(kind);
  return t.typeId === DuckDBTypeId.UINTEGER ? 'UINTEGER' : t.toString();
}

const BYTES_PER_VALUE: Record<number, number> = {
  [FieldKind.Tag]: 4,
  [FieldKind.String]: 4,
  [FieldKind.Int64]: 8,
  [FieldKind.UInt64]: 8,
  [FieldKind.Float64]: 8,
  [FieldKind.Boolean]: 1,
};

/** Double-quotes an identifier for SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Single-quotes a string literal for SQL. */
export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Where a mirror of one source stands: rows and dictionary entries already in DuckDB. */
export interface MirrorState {
  table: string;
  rows: number;
  /** Whether two rows may share tags and time (then reads must deduplicate). Sticky. */
  mayHaveDuplicates: boolean;
  columns: Map<number, FieldKind>;
  dictionaryRows: Map<number, number>;
}

export class Engine {
  private readonly idle: DuckDBConnection[] = [];
  private closed = false;

  private constructor(readonly instance: DuckDBInstance) {}

  static async open(options: EngineOptions): Promise<Engine> {
    const config: Record<string, string> = {
      threads: String(options.threads ?? 2),
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    };
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    const instance = await DuckDBInstance.create(':memory:', config);
    const engine = new Engine(instance);
    const con = await engine.acquire();
    try {
      await con.run('CREATE SCHEMA sluice');
      // Times are UTC, whatever the machine's zone (casts between TIMESTAMPTZ and TIMESTAMP_NS).
      await con.run("SET TimeZone = 'UTC'");
      const dirs = options.allowedDirectories.map((d) => quoteString(d.endsWith('/') ? d : `${d}/`)).join(', ');
      await con.run(`SET allowed_directories = [${dirs}]`);
      await con.run('SET enable_external_access = false');
      await con.run('SET lock_configuration = true');
    } finally {
      engine.release(con);
    }
    return engine;
  }

  async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw new Error('the SQL engine is closed');
    return this.idle.pop() ?? (await this.instance.connect());
  }

  release(con: DuckDBConnection): void {
    if (this.closed || this.idle.length >= 8) con.closeSync();
    else this.idle.push(con);
  }

  async withConnection<T>(fn: (con: DuckDBConnection) => Promise<T>): Promise<T> {
    const con = await this.acquire();
    try {
      return await fn(con);
    } finally {
      this.release(con);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const con of this.idle.splice(0)) con.closeSync();
    this.instance.closeSync();
  }

  /** Creates the mirror tables of a source: `<table>` (time `t`, columns `c<id>`) and `<table>_d` (dictionaries). */
  async createMirror(con: DuckDBConnection, table: string): Promise<MirrorState> {
    await con.run(`CREATE TABLE sluice.${table} (t TIMESTAMP_NS)`);
    await con.run(`CREATE TABLE sluice.${table}_d (c UINTEGER, i UINTEGER, v VARCHAR)`);
    return { table, rows: 0, mayHaveDuplicates: false, columns: new Map(), dictionaryRows: new Map() };
  }

  async dropMirror(con: DuckDBConnection, state: MirrorState): Promise<void> {
    await con.run(`DROP TABLE IF EXISTS sluice.${state.table}`);
    await con.run(`DROP TABLE IF EXISTS sluice.${state.table}_d`);
  }

  /**
   * Copies the rows and dictionary entries of `source` not yet in the mirror. Dictionaries go
   * first, so a concurrent reader never sees an index without its value.
   */
  async syncMirror(con: DuckDBConnection, state: MirrorState, source: ColumnarSource): Promise<void> {
    for (const [id, column] of source.columns) {
      if (!state.columns.has(id)) {
        await con.run(`ALTER TABLE sluice.${state.table} ADD COLUMN c${id} ${mirrorTypeSql(column.kind)}`);
        state.columns.set(id, column.kind);
      }
    }
    const dictAppender = await con.createAppender(`${state.table}_d`, 'sluice');
    let dictAdded = 0;
    for (const [id, column] of source.columns) {
      const dict = column.dictionary;
      if (dict === undefined) continue;
      const from = state.dictionaryRows.get(id) ?? 0;
      for (let i = from; i < dict.length; i++) {
        dictAppender.appendUInteger(id);
        dictAppender.appendUInteger(i);
        dictAppender.appendVarchar(dict[i]!);
        dictAppender.endRow();
        dictAdded++;
      }
      state.dictionaryRows.set(id, dict.length);
    }
    if (dictAdded > 0) dictAppender.flushSync();
    dictAppender.closeSync();

    const end = source.rowCount;
    if (end <= state.rows) return;
    const ids = [...state.columns.keys()];
    const types = [TIMESTAMP_NS, ...ids.map((id) => mirrorType(state.columns.get(id)!))];
    const appender = await con.createAppender(state.table, 'sluice');
    const vectorSize = duckdb.vector_size();
    const scratch = new Uint8Array(vectorSize / 8);
    const chunk = DuckDBDataChunk.create(types);
    try {
      for (let off = state.rows; off < end; off += vectorSize) {
        const n = Math.min(vectorSize, end - off);
        chunk.reset();
        chunk.rowCount = n;
        const raw = chunk.chunk;
        const t = source.timeNs;
        duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, 0), 0, t.buffer as ArrayBuffer, t.byteOffset + off * 8, n * 8);
        for (let c = 0; c < ids.length; c++) {
          const vector = duckdb.data_chunk_get_vector(raw, c + 1);
          const column = source.columns.get(ids[c]!);
          if (column === undefined) {
            // Not in this source (cannot happen for a mirror of one chunk; kept for safety): all null.
            duckdb.vector_ensure_validity_writable(vector);
            scratch.fill(0);
            duckdb.copy_data_to_vector_validity(vector, 0, scratch.buffer, 0, (n + 7) >> 3);
            continue;
          }
          const width = BYTES_PER_VALUE[column.kind]!;
          const values = column.values;
          duckdb.copy_data_to_vector(vector, 0, values.buffer as ArrayBuffer, values.byteOffset + off * width, n * width);
          if (column.validity !== undefined) {
            duckdb.vector_ensure_validity_writable(vector);
            extractBits(column.validity, off, n, scratch);
            duckdb.copy_data_to_vector_validity(vector, 0, scratch.buffer, 0, (n + 7) >> 3);
          }
        }
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    const from = state.rows;
    state.rows = end;
    if (!state.mayHaveDuplicates) state.mayHaveDuplicates = await this.newRowsCollide(con, state, from, end);
  }

  /**
   * Whether any row in [from, end) shares its tags and time with another row of the mirror: a
   * join of the new rows (the small, build side) against all rows on the integer keys. Far
   * cheaper than deduplicating every read when, as usual, points are written once.
   */
  private async newRowsCollide(con: DuckDBConnection, state: MirrorState, from: number, end: number): Promise<boolean> {
    const tags = [...state.columns].filter(([, kind]) => kind === FieldKind.Tag).map(([id]) => `c${id}`);
    const on = ['m.t = n.t', ...tags.map((c) => `m.${c} IS NOT DISTINCT FROM n.${c}`)].join(' AND ');
    const sql = `SELECT count(*) FROM (SELECT ${['t', ...tags].join(', ')} FROM sluice.${state.table} WHERE rowid >= ${from}) n JOIN sluice.${state.table} m ON ${on}`;
    const pairs = Number((await con.runAndReadAll(sql)).getRows()[0]![0]);
    return pairs > end - from;
  }
}

/** Copies bits [start, start + n) of `src` to the start of `dst`. */
function extractBits(src: Uint8Array, start: number, n: number, dst: Uint8Array): void {
  if ((start & 7) === 0) {
    const from = start >> 3;
    dst.set(src.subarray(from, from + ((n + 7) >> 3)));
    return;
  }
  dst.fill(0, 0, (n + 7) >> 3);
  for (let k = 0; k < n; k++) {
    const i = start + k;
    if ((src[i >> 3]! & (1 << (i & 7))) !== 0) dst[k >> 3]! |= 1 << (k & 7);
  }
}
