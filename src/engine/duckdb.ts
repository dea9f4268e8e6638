/**
 * The embedded SQL engine: one DuckDB instance, locked down at open (no file or network access
 * outside Sluice's own directories), and two table functions that let DuckDB scan buffered
 * chunks where they are, in JS typed arrays: `sluice_chunk(serial, decoded, sorted)` copies 2 048 rows
 * of each projected column per call into DuckDB's vectors (one `memcpy` per column, no per-value
 * work, nothing stored twice). Dictionary columns come out as ENUMs over the chunk's dictionary
 * (`decoded`: their indices are the enum's codes, so a cast gives the strings and columns a query
 * does not read cost nothing) or as raw UINTEGER indices. `sorted` declares each enum over the
 * dictionary in sorted order (codes remapped as they are copied), so ordering by the enum is
 * ordering by the strings — what snapshots sort by — without ever making the strings.
 * `sluice_rows(id)` reads a registered row set: chosen rows of one or more chunks of a table
 * (a series index lookup), gathered row by row, dictionary columns as ENUMs over just the values
 * those rows hold — one cheap bind for a query's whole selection however many chunks it spans.
 */
import duckdb from '@duckdb/node-bindings';
import { DuckDBInstance, DuckDBTableFunction, type DuckDBTableFunctionBindInfo, type DuckDBTableFunctionInitInfo, DuckDBTypeId, ENUM, type DuckDBConnection, type DuckDBDataChunk, type DuckDBType, BIGINT, UBIGINT, DOUBLE, BOOLEAN, UINTEGER, TIMESTAMP_NS } from '@duckdb/node-api';
import { isValidAt, widenInt64, type SegmentValues, type IntSegment } from '../buffer/chunk.js';
import { FieldKind, type ColumnType } from '../wal/model.js';
import { DIALECT_MACROS } from './dialect-macros.js';

/** Columnar rows as the buffer holds them (see `src/buffer/chunk.ts`). */
export interface ColumnarSource {
  rowCount: number;
  /** Rows per full segment, a multiple of DuckDB's vector size: row r is in segment floor(r / segmentRows). */
  readonly segmentRows: number;
  readonly timeSegments: readonly BigInt64Array[];
  columns: Map<number, ColumnarColumn>;
}

export interface ColumnarColumn {
  kind: FieldKind;
  /** Int64 and dictionary segments may be narrower than their DuckDB type (see `src/buffer/chunk.ts`). */
  readonly segments: ReadonlyArray<SegmentValues>;
  /** Per segment: a validity bitmap, or undefined when every row in it is valid. */
  readonly validity: ReadonlyArray<Uint8Array | undefined>;
  dictionary: string[] | undefined;
  /** A dictionary column's code for `value`, if any row holds it. */
  codeOf?(value: string): number | undefined;
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

/** What the engine knows of one registered chunk: rows checked for duplicate points, and whether any were found. */
export interface MirrorState {
  serial: number;
  /** Rows [0, rows) have been checked for duplicate points. */
  rows: number;
  /** Whether two rows may share tags and time (then reads must deduplicate). Sticky. */
  mayHaveDuplicates: boolean;
  /** The chunk's columns when last checked (the views' SQL depends on them). */
  columns: Map<number, FieldKind>;
}

interface ChunkScan {
  source: ColumnarSource;
  end: number;
  ids: number[];
  /** Per column: the byte width of its values in DuckDB (enum codes may be 1 or 2 bytes). */
  widths: number[];
  /** Per column: dictionary code → code in the sorted enum, when the scan sorts dictionaries. */
  remaps: Array<Uint32Array | undefined>;
}

/** Rows of one registered chunk, ascending: a part of a row set. */
export interface RowSetPart {
  serial: number;
  rows: Uint32Array;
}

/** A bound `sluice_rows` scan: its parts, and per output column its id and width. */
interface RowSetScan {
  parts: Array<{
    source: ColumnarSource;
    rows: Uint32Array;
    /** Per column: the part's dictionary code → the enum's code (NO_CODE: not among the rows). */
    remaps: Array<Uint32Array | undefined>;
  }>;
  ids: number[];
  widths: number[];
}

/** A dictionary code no selected row holds. */
const NO_CODE = 0xffffffff;

export class Engine {
  private readonly idle: DuckDBConnection[] = [];
  /** Connections handed out and not yet released. */
  private readonly busy = new Set<DuckDBConnection>();
  private readonly sources = new Map<number, ColumnarSource>();
  private readonly rowSets = new Map<number, readonly RowSetPart[]>();
  private nextRowSet = 1;
  private closed = false;
  private instanceClosed = false;

  private constructor(readonly instance: DuckDBInstance) {}

  static async open(options: EngineOptions): Promise<Engine> {
    const config: Record<string, string> = {
      threads: String(options.threads ?? 2),
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      // Planning time grows with the cube of an expression's depth (400 levels: 1.3 s, 800: 20 s)
      // and cannot be interrupted: deeper expressions are refused before they are planned.
      max_expression_depth: '250',
    };
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    const instance = await DuckDBInstance.create(':memory:', config);
    const engine = new Engine(instance);
    const con = await engine.acquire();
    try {
      engine.registerFunctions(con);
      await con.run('CREATE SCHEMA sluice');
      for (const macro of DIALECT_MACROS) await con.run(macro);
      // Times are UTC, whatever the machine's zone (casts between TIMESTAMPTZ and TIMESTAMP_NS).
      await con.run("SET TimeZone = 'UTC'");
      const dirs = options.allowedDirectories.map((d) => quoteString(d.endsWith('/') ? d : `${d}/`)).join(', ');
      await con.run(`SET allowed_directories = [${dirs}]`);
      await con.run('SET enable_external_access = false');
      await con.run('SET parquet_metadata_cache = true');
    } finally {
      engine.release(con);
    }
    return engine;
  }

  async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw new Error('the SQL engine is closed');
    const con = this.idle.pop() ?? (await this.instance.connect());
    this.busy.add(con);
    if (this.closed) {
      // Closed while connecting.
      this.release(con);
      throw new Error('the SQL engine is closed');
    }
    return con;
  }

  release(con: DuckDBConnection): void {
    this.busy.delete(con);
    if (this.closed || this.idle.length >= 8) con.closeSync();
    else this.idle.push(con);
    if (this.closed && this.busy.size === 0) this.closeInstance();
  }

  async withConnection<T>(fn: (con: DuckDBConnection) => Promise<T>): Promise<T> {
    const con = await this.acquire();
    try {
      return await fn(con);
    } finally {
      this.release(con);
    }
  }

  /**
   * Closes the engine: no connection is handed out again, the idle ones close now, statements
   * running are interrupted, and the instance closes once the last connection is released —
   * closing it under a running statement crashes the process (SIGSEGV), as a snapshot or query
   * still running when the database is killed did.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const con of this.idle.splice(0)) con.closeSync();
    for (const con of this.busy) con.interrupt();
    if (this.busy.size === 0) this.closeInstance();
  }

  private closeInstance(): void {
    if (this.instanceClosed) return;
    this.instanceClosed = true;
    this.instance.closeSync();
  }

  /** Lets queries scan `source` as `sluice_chunk(serial)` until {@link unregister}. */
  register(serial: number, source: ColumnarSource): void {
    this.sources.set(serial, source);
  }

  unregister(serial: number): void {
    this.sources.delete(serial);
  }

  /**
   * Lets a query read the rows of `parts` (registered chunks of one table, each part's rows
   * ascending and not empty) as `sluice_rows(id)` until {@link unregisterRowSet}; `r` is a row's
   * place in its own chunk.
   */
  registerRowSet(parts: readonly RowSetPart[]): number {
    const id = this.nextRowSet++;
    this.rowSets.set(id, parts);
    return id;
  }

  unregisterRowSet(id: number): void {
    this.rowSets.delete(id);
  }

  registeredCount(): number {
    return this.sources.size;
  }

  /**
   * Brings `state` up to date with its chunk: its column set, and whether any row appended since
   * the last check shares its tags and time with another row — a join of the new rows (the
   * small, build side) against all rows on the integer keys, far cheaper than deduplicating
   * every read when, as usual, points are written once.
   */
  async check(con: DuckDBConnection, state: MirrorState, source: ColumnarSource): Promise<void> {
    for (const [id, column] of source.columns) if (!state.columns.has(id)) state.columns.set(id, column.kind);
    const from = state.rows;
    const end = source.rowCount;
    if (end <= from) return;
    if (!state.mayHaveDuplicates) {
      // One 64-bit hash of (time, tag codes) per row, joined: a collision only costs a needless
      // deduplication later, never a wrong answer.
      const tags = [...state.columns].filter(([, kind]) => kind === FieldKind.Tag).map(([id]) => `c${id}`);
      const key = `hash(${['t', ...tags].join(', ')})`;
      const scan = `sluice_chunk(${state.serial}::UBIGINT, false, false)`;
      const sql = `SELECT count(*) FROM (SELECT ${key} AS h FROM ${scan} WHERE r >= ${from} AND r < ${end}) n JOIN (SELECT ${key} AS h FROM ${scan}) m ON m.h = n.h`;
      const pairs = Number((await con.runAndReadAll(sql)).getRows()[0]![0]);
      // Each new row matches itself once; any more is a duplicate point (or a hash collision).
      if (pairs > end - from) state.mayHaveDuplicates = true;
    }
    state.rows = end;
  }

  private registerFunctions(con: DuckDBConnection): void {
    const vectorSize = duckdb.vector_size();
    if (65_536 % vectorSize !== 0) throw new Error(`DuckDB's vector size ${vectorSize} does not divide the buffer's segment size`);
    const scratchBits = new Uint8Array(vectorSize / 8);
    const rowIds = new BigInt64Array(vectorSize);
    const codes8 = new Uint8Array(vectorSize);
    const codes16 = new Uint16Array(vectorSize);
    const codes32 = new Uint32Array(vectorSize);
    const wide64 = new Int32Array(vectorSize * 2);
    const floats = new Float64Array(vectorSize);
    const unsigned = new BigUint64Array(vectorSize);
    const segs = new Uint32Array(vectorSize);
    const ats = new Uint32Array(vectorSize);
    const lookup = (serial: unknown): ColumnarSource => {
      const source = this.sources.get(Number(serial));
      if (source === undefined) throw new Error(`no buffered chunk ${String(serial)}`);
      return source;
    };
    /** Binds a scan of chunk `serial`: its columns (dictionaries as ENUMs when `decoded`), and what the scan reads. */
    const bind = (info: DuckDBTableFunctionBindInfo, serial: unknown, decoded: boolean, sorted: boolean) => {
      const source = lookup(serial);
      const ids = [...source.columns.keys()].sort((a, b) => a - b);
      info.addResultColumn('r', BIGINT);
      info.addResultColumn('t', TIMESTAMP_NS);
      const widths: number[] = [];
      const remaps: Array<Uint32Array | undefined> = [];
      for (const id of ids) {
        const column = source.columns.get(id)!;
        let type = mirrorType(column.kind);
        let width = BYTES_PER_VALUE[column.kind]!;
        let remap: Uint32Array | undefined;
        if (decoded && column.dictionary !== undefined) {
          // The dictionary as of now: every row this scan reads has its code in it.
          const e = dictionaryEnum(column.dictionary, sorted);
          type = e.type;
          width = e.width;
          remap = e.remap;
        }
        widths.push(width);
        remaps.push(remap);
        info.addResultColumn(`c${id}`, type);
      }
      const scan: ChunkScan = { source, end: source.rowCount, ids, widths, remaps };
      info.setBindData(scan);
      info.setCardinality(scan.end, true);
    };
    const init = (info: DuckDBTableFunctionInitInfo) => {
      info.setInitData({ offset: 0, projection: info.getColumnIndexes() });
      info.setMaxThreads(1);
    };
    const chunkFn = DuckDBTableFunction.create({
      name: 'sluice_chunk',
      parameterTypes: [UBIGINT, BOOLEAN, BOOLEAN],
      supportsProjectionPushdown: true,
      bindFunction: (info) => reportingErrors(info, () => bind(info, info.getParameter(0), info.getParameter(1) === true, info.getParameter(2) === true)),
      initFunction: init,
      mainFunction: (info, out: DuckDBDataChunk) => {
        const scan = info.bindData as ChunkScan;
        const state = info.initData as { offset: number; projection: number[] };
        const off = state.offset;
        const n = Math.max(0, Math.min(vectorSize, scan.end - off));
        out.rowCount = n;
        if (n === 0) return;
        const raw = out.chunk;
        // Scans advance by whole vectors and segments hold whole vectors: one segment per call.
        const seg = Math.floor(off / scan.source.segmentRows);
        const at = off - seg * scan.source.segmentRows;
        state.projection.forEach((index, outIndex) => {
          const vector = duckdb.data_chunk_get_vector(raw, outIndex);
          if (index === 0) {
            for (let i = 0; i < n; i++) rowIds[i] = BigInt(off + i);
            duckdb.copy_data_to_vector(vector, 0, rowIds.buffer as ArrayBuffer, 0, n * 8);
            return;
          }
          if (index === 1) {
            const t = scan.source.timeSegments[seg]!;
            duckdb.copy_data_to_vector(vector, 0, t.buffer as ArrayBuffer, t.byteOffset + at * 8, n * 8);
            return;
          }
          const column = scan.source.columns.get(scan.ids[index - 2]!)!;
          const width = scan.widths[index - 2]!;
          const values = column.segments[seg]!;
          const remap = scan.remaps[index - 2];
          if (remap !== undefined) {
            const codes = width === 1 ? codes8 : width === 2 ? codes16 : codes32;
            const src = values as Uint32Array;
            for (let i = 0; i < n; i++) codes[i] = remap[src[at + i]!]!;
            duckdb.copy_data_to_vector(vector, 0, codes.buffer, 0, n * width);
          } else if (values.BYTES_PER_ELEMENT === width) {
            duckdb.copy_data_to_vector(vector, 0, values.buffer as ArrayBuffer, values.byteOffset + at * width, n * width);
          } else if (column.kind === FieldKind.Int64) {
            // A narrow int64 segment: widen to DuckDB's 8-byte BIGINT.
            duckdb.copy_data_to_vector(vector, 0, widenInt64(values as IntSegment, at, n, wide64).buffer as ArrayBuffer, 0, n * 8);
          } else {
            // Enum codes and stored indices of different widths (codes fit by construction).
            const codes = width === 1 ? codes8 : width === 2 ? codes16 : codes32;
            codes.set(values.subarray(at, at + n) as Uint32Array);
            duckdb.copy_data_to_vector(vector, 0, codes.buffer, 0, n * width);
          }
          const validity = column.validity[seg];
          if (validity !== undefined) {
            duckdb.vector_ensure_validity_writable(vector);
            extractBits(validity, at, n, scratchBits);
            duckdb.copy_data_to_vector_validity(vector, 0, scratchBits.buffer, 0, (n + 7) >> 3);
          }
        });
        state.offset = off + n;
      },
    });
    con.registerTableFunction(chunkFn);
    /**
     * Binds a scan of a row set: the union of its chunks' columns; each dictionary column an ENUM
     * over the values its selected rows hold (a one-host selection: one value, not the chunk's
     * thousand), each part's codes remapped to it.
     */
    const bindRowSet = (info: DuckDBTableFunctionBindInfo, id: unknown) => {
      const registered = this.rowSets.get(Number(id));
      if (registered === undefined) throw new Error(`no row set ${String(id)}`);
      const parts = registered.map((p) => ({ source: lookup(p.serial), rows: p.rows, remaps: [] as Array<Uint32Array | undefined> }));
      const kinds = new Map<number, ColumnarColumn>();
      for (const p of parts) for (const [cid, column] of p.source.columns) if (!kinds.has(cid)) kinds.set(cid, column);
      const ids = [...kinds.keys()].sort((a, b) => a - b);
      info.addResultColumn('r', BIGINT);
      info.addResultColumn('t', TIMESTAMP_NS);
      const widths: number[] = [];
      let cardinality = 0;
      for (const p of parts) cardinality += p.rows.length;
      for (const cid of ids) {
        const { kind, dictionary: isDictionary } = kinds.get(cid)!;
        if (isDictionary === undefined) {
          widths.push(BYTES_PER_VALUE[kind]!);
          for (const p of parts) p.remaps.push(undefined);
          info.addResultColumn(`c${cid}`, mirrorType(kind));
          continue;
        }
        const values: string[] = [];
        const codes = new Map<string, number>();
        for (const p of parts) {
          const column = p.source.columns.get(cid);
          const dictionary = column?.dictionary;
          if (column === undefined || dictionary === undefined) {
            p.remaps.push(undefined);
            continue;
          }
          const remap = new Uint32Array(dictionary.length).fill(NO_CODE);
          const segmentRows = p.source.segmentRows;
          for (let i = 0; i < p.rows.length; i++) {
            const row = p.rows[i]!;
            const seg = Math.floor(row / segmentRows);
            const code = (column.segments[seg] as Uint32Array)[row - seg * segmentRows]!;
            // A null row's code is whatever was there: only valid codes join the enum.
            if (code >= remap.length || remap[code] !== NO_CODE || !isValidAt(column.validity[seg], row - seg * segmentRows)) continue;
            const value = dictionary[code]!;
            let mapped = codes.get(value);
            if (mapped === undefined) {
              codes.set(value, (mapped = values.length));
              values.push(value);
            }
            remap[code] = mapped;
          }
          p.remaps.push(remap);
        }
        const e = ENUM(values.length === 0 ? [''] : values);
        widths.push(enumWidth(e));
        info.addResultColumn(`c${cid}`, e);
      }
      const scan: RowSetScan = { parts, ids, widths };
      info.setBindData(scan);
      info.setCardinality(cardinality, true);
    };
    const rowsFn = DuckDBTableFunction.create({
      name: 'sluice_rows',
      parameterTypes: [UBIGINT],
      supportsProjectionPushdown: true,
      bindFunction: (info) => reportingErrors(info, () => bindRowSet(info, info.getParameter(0))),
      initFunction: (info) => {
        info.setInitData({ part: 0, offset: 0, projection: info.getColumnIndexes() });
        info.setMaxThreads(1);
      },
      mainFunction: (info, out: DuckDBDataChunk) => {
        const scan = info.bindData as RowSetScan;
        const state = info.initData as { part: number; offset: number; projection: number[] };
        // One part per call (a vector may end short of full at a part's end).
        while (state.part < scan.parts.length && state.offset >= scan.parts[state.part]!.rows.length) {
          state.part++;
          state.offset = 0;
        }
        const part = scan.parts[state.part];
        if (part === undefined) {
          out.rowCount = 0;
          return;
        }
        const rows = part.rows;
        const off = state.offset;
        const n = Math.min(vectorSize, rows.length - off);
        out.rowCount = n;
        const raw = out.chunk;
        // Each selected row's segment and place in it, found once for every column.
        const segmentRows = part.source.segmentRows;
        for (let i = 0; i < n; i++) {
          const row = rows[off + i]!;
          const seg = Math.floor(row / segmentRows);
          segs[i] = seg;
          ats[i] = row - seg * segmentRows;
        }
        state.projection.forEach((index, outIndex) => {
          const vector = duckdb.data_chunk_get_vector(raw, outIndex);
          if (index === 0) {
            for (let i = 0; i < n; i++) rowIds[i] = BigInt(rows[off + i]!);
            duckdb.copy_data_to_vector(vector, 0, rowIds.buffer as ArrayBuffer, 0, n * 8);
            return;
          }
          if (index === 1) {
            const times = part.source.timeSegments;
            for (let i = 0; i < n; i++) rowIds[i] = times[segs[i]!]![ats[i]!]!;
            duckdb.copy_data_to_vector(vector, 0, rowIds.buffer as ArrayBuffer, 0, n * 8);
            return;
          }
          const width = scan.widths[index - 2]!;
          const column = part.source.columns.get(scan.ids[index - 2]!);
          if (column === undefined) {
            // Not in this part's chunk: null.
            duckdb.vector_ensure_validity_writable(vector);
            scratchBits.fill(0, 0, (n + 7) >> 3);
            duckdb.copy_data_to_vector_validity(vector, 0, scratchBits.buffer, 0, (n + 7) >> 3);
            return;
          }
          const values = gathered(column, width, n, part.remaps[index - 2]);
          duckdb.copy_data_to_vector(vector, 0, values.buffer as ArrayBuffer, values.byteOffset, n * width);
          let allValid = true;
          for (let i = 0; i < n; i++) {
            const valid = isValidAt(column.validity[segs[i]!], ats[i]!);
            if (i % 8 === 0) scratchBits[i >> 3] = 0;
            if (valid) scratchBits[i >> 3]! |= 1 << (i & 7);
            else allValid = false;
          }
          if (!allValid) {
            duckdb.vector_ensure_validity_writable(vector);
            duckdb.copy_data_to_vector_validity(vector, 0, scratchBits.buffer, 0, (n + 7) >> 3);
          }
        });
        state.offset = off + n;
      },
    });
    con.registerTableFunction(rowsFn);
    /**
     * `column`'s values at the selected rows (`segs`, `ats`), `width` bytes each as DuckDB wants
     * them (int64 widened, dictionary codes through `remap` at the enum's width).
     */
    const gathered = (column: ColumnarColumn, width: number, n: number, remap: Uint32Array | undefined): ArrayBufferView => {
      if (column.kind === FieldKind.Int64) {
        for (let i = 0; i < n; i++) {
          const values = column.segments[segs[i]!]!;
          // Narrow segments hold small integers (see ../buffer/chunk.ts): widened here.
          rowIds[i] = values.BYTES_PER_ELEMENT === 8 ? (values as BigInt64Array)[ats[i]!]! : BigInt((values as Int32Array)[ats[i]!]!);
        }
        return rowIds;
      }
      if (remap !== undefined) {
        const codes = width === 1 ? codes8 : width === 2 ? codes16 : codes32;
        for (let i = 0; i < n; i++) {
          const mapped = remap[(column.segments[segs[i]!] as Uint32Array)[ats[i]!]!];
          codes[i] = mapped === undefined || mapped === NO_CODE ? 0 : mapped; // a null row's code
        }
        return codes;
      }
      const target = column.kind === FieldKind.Float64 ? floats : column.kind === FieldKind.UInt64 ? unsigned : codes8;
      // Element types match by construction (booleans are bytes).
      for (let i = 0; i < n; i++) (target as Float64Array)[i] = (column.segments[segs[i]!] as Float64Array)[ats[i]!]!;
      return target;
    };
  }
}

/** An ENUM over a chunk column's dictionary as of some length, made once and bound again and again. */
interface DictionaryEnum {
  length: number;
  type: DuckDBType;
  /** Bytes per code (1, 2 or 4, by the number of values). */
  width: number;
  /** Dictionary code → code in the enum when the enum is over the sorted dictionary. */
  remap: Uint32Array | undefined;
}

/** Per dictionary: its enum as is [0] and over its sorted values [1], while its length is unchanged (dictionaries only grow). */
const dictionaryEnums = new WeakMap<readonly string[], [DictionaryEnum | undefined, DictionaryEnum | undefined]>();

/**
 * The ENUM a scan binds a dictionary column as: made (values copied, a native type built, sorted
 * when asked) once per dictionary length, not on every bind — a query over 17 chunks of 10 tag
 * columns binds 170 of them, twice.
 */
function dictionaryEnum(dictionary: readonly string[], sorted: boolean): DictionaryEnum {
  let cached = dictionaryEnums.get(dictionary);
  if (cached === undefined) dictionaryEnums.set(dictionary, (cached = [undefined, undefined]));
  const known = cached[sorted ? 1 : 0];
  if (known !== undefined && known.length === dictionary.length) return known;
  let values = dictionary.length === 0 ? [''] : dictionary.slice();
  let remap: Uint32Array | undefined;
  if (sorted) {
    const order = values.map((_, i) => i).sort((a, b) => (values[a]! < values[b]! ? -1 : values[a]! > values[b]! ? 1 : 0));
    remap = new Uint32Array(values.length);
    order.forEach((code, rank) => (remap![code] = rank));
    values = order.map((code) => values[code]!);
  }
  const e = ENUM(values);
  const logicalType = e.toLogicalType();
  // The native type is made once; each bind copies it.
  const type = { toLogicalType: () => logicalType } as unknown as DuckDBType;
  const made: DictionaryEnum = { length: dictionary.length, type, width: enumWidth(e), remap };
  cached[sorted ? 1 : 0] = made;
  return made;
}

/** Bytes per code of an ENUM (1, 2 or 4, by its number of values). */
function enumWidth(e: ReturnType<typeof ENUM>): number {
  return e.internalTypeId === DuckDBTypeId.UTINYINT ? 1 : e.internalTypeId === DuckDBTypeId.USMALLINT ? 2 : 4;
}

/** Runs a table function's bind, handing what it throws to the engine as the statement's error. */
function reportingErrors(info: DuckDBTableFunctionBindInfo, bind: () => void): void {
  try {
    bind();
  } catch (err) {
    info.setError((err as Error).message);
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
