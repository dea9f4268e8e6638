import type { Catalog, DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import { validateDatabaseName, validateObjectName } from '../catalog/catalog.js';
import { CatalogError, tooManyTablesMessage } from '../catalog/errors.js';
import type { LineProtocolError } from '../lineprotocol/errors.js';
import { EXCERPT_BYTES } from '../lineprotocol/errors.js';
import type { FieldKeyTemplate, LineProtocolParser, LineSink, ParsedLine, SeriesKey } from '../lineprotocol/parser.js';
import type { CatalogBatch, CatalogOp, ColumnDefinition, ColumnType, FieldKind, TableChunk, TableChunks, WriteBatch } from '../wal/model.js';
import { FieldKind as Kind, I64_MAX, I64_MIN, chunkTimeNs } from '../wal/model.js';
import { ChunkBuilder, type ColumnBuilder } from './chunk-builder.js';
import { WriteError, type WriteLineError } from './errors.js';
import { defaultTimeNs, storableTimeRangeNs, timestampToNs, type Precision } from './precision.js';

/** How a body is validated. */
export interface ValidateOptions {
  precision: Precision;
  /** Keep valid lines and report bad ones (true), or reject the whole body on the first bad line. */
  acceptPartial: boolean;
  /** Server time when the body was read: the time of lines without a timestamp. */
  ingestTimeNs: bigint;
  gen1DurationNs: bigint;
}

/** What a body became: the ops to write, counts, the rejected lines, and how to undo its schema changes. */
export interface ValidatedWrite {
  /** Schema changes the rows need, to be written ahead of them; already applied to the catalog. */
  catalogBatch: CatalogBatch | undefined;
  writeBatch: WriteBatch | undefined;
  lineCount: number;
  fieldCount: number;
  tagCount: number;
  errors: WriteLineError[];
  /** Reverts the catalog changes; only valid before anything else touched the catalog (same tick). */
  undo(): void;
}

const FIELD_TYPE: Record<number, ColumnType> = {
  [Kind.String]: 'string',
  [Kind.Int64]: 'int64',
  [Kind.UInt64]: 'uint64',
  [Kind.Float64]: 'float64',
  [Kind.Boolean]: 'bool',
};

class LineRejected {
  constructor(
    readonly message: string,
    readonly isLimit = false,
  ) {}
}

interface LineShape {
  tagKeys: string[];
  fieldKeys: string[];
  fieldKinds: number[];
  tagColumns: ColumnDefinition[];
  fieldColumns: ColumnDefinition[];
}

/**
 * What validating a line of a series resolved: its table and the column of each tag and field.
 * Kept on the parser's SeriesKey across bodies, and used for a line of the same series, field keys
 * and field kinds while it still holds: same catalog and database, and nothing removed from the
 * catalog since (a delete or a reverted batch), so every column it names is still there, the same.
 */
interface ValidatedSeries {
  /** The catalog ({@link catalogSerial}) and database by number: a series kept in the parser's cache must not keep an old catalog alive. */
  catalogSerial: number;
  dbId: number;
  removalVersion: number;
  /** The table and columns its lines fill (shared with the other series that fill the same). */
  columns: SeriesColumns;
  /** The series' tag values with their last dictionary index, one per tag column (shared with other series of the body that have the value there). */
  tagValueIndices: TagValueIndex[];
  /**
   * The field keys (the series' template object) and kinds the field columns are for: the
   * template's kinds array itself, so a line whose kinds are that same array has these kinds (see
   * FieldKeyTemplate.kinds); else a copy no line has.
   */
  fieldKeys: FieldKeyTemplate;
  fieldKinds: readonly number[];
  /** The chunk builder (its serial) that `tagIndices` are of, 0 for none. */
  chunkSerial: number;
  /** The tags' dictionary indices in that chunk's tag columns. */
  tagIndices: number[];
}

/**
 * A table's columns as a line of a series fills them — tag columns, then field columns of their
 * kinds — and their builders in the chunk being filled. Series that fill the same columns share
 * one, so a series' line finds the builders already looked up by another series' line.
 */
interface SeriesColumns {
  tableId: number;
  tagColumnIds: number[];
  fieldColumnIds: number[];
  fieldKinds: number[];
  /** The chunk builder (its serial) that `builders` are of, 0 for none: valid only while the body that set them is validated. */
  chunkSerial: number;
  /** That chunk's column builders, tags then fields (let go when the body ends: a kept series must not keep a body's columns alive). */
  builders: Array<ColumnBuilder | undefined>;
  /** The builders of other chunks of the body, by chunk serial (when its lines go to several gen1 windows). */
  otherChunks: Map<number, Array<ColumnBuilder | undefined>> | undefined;
}

/**
 * A tag value's dictionary index in one column builder (by the builder's serial): every series of
 * a table with this value in this column shares one, so a series meeting a new chunk finds most
 * of its tags' indices here instead of in the dictionary's map.
 */
interface TagValueIndex {
  readonly value: string;
  builderSerial: number;
  index: number;
}

/** Numbers catalogs (weakly): what a series resolved names its catalog by number, not by reference. */
const catalogSerials = new WeakMap<Catalog, number>();
let nextCatalogSerial = 1;

function catalogSerialOf(catalog: Catalog): number {
  let serial = catalogSerials.get(catalog);
  if (serial === undefined) {
    serial = nextCatalogSerial++;
    catalogSerials.set(catalog, serial);
  }
  return serial;
}

/**
 * Per table, the rows of its largest chunk in the last body validated: the next body's chunks
 * start that large instead of doubling up from 64 (bodies of a client are mostly alike).
 */
const rowsHint = new WeakMap<TableSchema, number>();

interface TableBuild {
  table: TableSchema;
  minTimeNs: bigint;
  maxTimeNs: bigint;
  chunks: Map<bigint, ChunkBuilder>;
}

/**
 * Validates parsed lines against the catalog and builds the columnar WriteBatch. New databases,
 * tables and columns are applied to the catalog at once (so the next line and the next request
 * see them) and collected into one CatalogBatch that travels in the WAL ahead of the rows.
 */
class Validator implements LineSink {
  readonly errors: WriteLineError[] = [];
  lineCount = 0;
  fieldCount = 0;
  tagCount = 0;
  readonly catalogOps: CatalogOp[] = [];
  readonly tables = new Map<number, TableBuild>();
  private isAborted = false;
  private lastChunkStart = 1n;
  private lastChunkEnd = 0n;
  /** The table build and chunk of the previous line: consecutive lines usually share them. */
  private lastTableId = -1;
  private lastBuild: TableBuild | undefined;
  private lastChunk: ChunkBuilder | undefined;
  // per-line scratch: the column of each tag and field
  private readonly tagColumns: ColumnDefinition[] = [];
  private readonly fieldColumns: ColumnDefinition[] = [];
  private readonly newColumns: ColumnDefinition[] = [];
  private readonly newColumnsByName = new Map<string, ColumnDefinition>();
  /** The id the next new column of the line being validated gets. */
  private nextColumnId = 0;
  /** Per table, the keys of its last valid line and their columns: most lines repeat them. */
  private readonly shapes = new Map<TableSchema, LineShape>();
  /** The last timestamp converted and checked, and its time: lines of a body mostly share a few. */
  private lastTimestamp: bigint | undefined = undefined;
  private lastTimestampNs = 0n;
  /** The time of lines without a timestamp, once worked out. */
  private defaultTimeNs: bigint | undefined = undefined;
  /** Per table and tag column (`tableId:columnId`), the {@link TagValueIndex} of each value, for the series this body remembers. */
  private tagValueIndices: Map<string, Map<string, TagValueIndex>> | undefined = undefined;
  /** The series columns whose builders this body set, to let them go when it ends. */
  private readonly columnsWithBuilders: SeriesColumns[] = [];
  /** The series columns this body made, by table and column ids and kinds: series remembered in one body share them. */
  private seriesColumns: Map<string, SeriesColumns> | undefined = undefined;
  /** The time of the previous line appended, its table and chunk: when a line repeats all three, its table's min and max stand. */
  private lastAppendNs: bigint | undefined = undefined;
  private readonly minTimeNs: bigint;
  private readonly maxTimeNs: bigint;
  private readonly catalogSerial: number;

  constructor(
    private readonly catalog: Catalog,
    readonly db: DatabaseSchema,
    private readonly body: Buffer,
    private readonly options: ValidateOptions,
  ) {
    ({ minNs: this.minTimeNs, maxNs: this.maxTimeNs } = storableTimeRangeNs(options.gen1DurationNs));
    this.catalogSerial = catalogSerialOf(catalog);
  }

  error(err: LineProtocolError): void {
    this.reject(err.lineNumber, err.excerpt, err.detail, false);
  }

  private reject(lineNumber: number, originalLine: string, message: string, isLimit: boolean): void {
    if (this.isAborted) return;
    this.errors.push({ lineNumber, originalLine, errorMessage: message, ...(isLimit ? { isLimit } : {}) });
    if (!this.options.acceptPartial) this.isAborted = true;
  }

  line(line: ParsedLine): void {
    if (this.isAborted) return;
    try {
      this.validateLine(line);
    } catch (err) {
      if (!(err instanceof LineRejected)) throw err;
      this.reject(line.lineNumber, this.body.toString('utf8', line.start, Math.min(line.end, line.start + EXCERPT_BYTES)), err.message, err.isLimit);
    }
  }

  /** Whether the line has the same keys and kinds as the last valid line of its table (then its columns are known). */
  private matchesShape(line: ParsedLine, shape: LineShape | undefined): shape is LineShape {
    if (shape === undefined || shape.tagKeys.length !== line.tagCount || shape.fieldKeys.length !== line.fieldCount) return false;
    for (let t = 0; t < line.tagCount; t++) if (shape.tagKeys[t] !== line.tagKeys[t]) return false;
    for (let f = 0; f < line.fieldCount; f++) if (shape.fieldKeys[f] !== line.fieldKeys[f] || shape.fieldKinds[f] !== line.fieldKinds[f]) return false;
    return true;
  }

  private validateLine(line: ParsedLine): void {
    const series = line.series;
    if (series !== undefined && line.hasTemplateFields) {
      const validated = series.consumerState as ValidatedSeries | undefined;
      if (validated !== undefined && this.holds(validated, series, line)) {
        this.appendSeriesLine(line, validated, this.lineTimeNs(line));
        return;
      }
    }
    const known = this.db.tables.get(line.measurement);
    const shape = known === undefined ? undefined : this.shapes.get(known);
    if (this.matchesShape(line, shape)) {
      for (let t = 0; t < line.tagCount; t++) this.tagColumns[t] = shape.tagColumns[t]!;
      for (let f = 0; f < line.fieldCount; f++) this.fieldColumns[f] = shape.fieldColumns[f]!;
      const timeNs = this.lineTimeNs(line);
      this.rememberSeries(line, known!);
      this.appendLine(line, known!, timeNs);
      return;
    }
    const table = this.resolveTable(line.measurement);
    const newColumns = this.newColumns;
    newColumns.length = 0;
    this.newColumnsByName.clear();
    this.nextColumnId = table?.nextColumnId ?? 1; // 0 is `time` in a new table
    for (let t = 0; t < line.tagCount; t++) this.tagColumns[t] = this.columnFor(table, line.tagKeys[t]!, 'tag');
    for (let f = 0; f < line.fieldCount; f++) this.fieldColumns[f] = this.columnFor(table, line.fieldKeys[f]!, FIELD_TYPE[line.fieldKinds[f]!]!);
    const timeNs = this.lineTimeNs(line);

    // The line is valid: make its schema changes, then append its values.
    const schema = table ?? this.createTable(line.measurement);
    if (newColumns.length > 0) this.addColumns(schema, newColumns);
    this.shapes.set(schema, {
      tagKeys: line.tagKeys.slice(0, line.tagCount),
      fieldKeys: line.fieldKeys.slice(0, line.fieldCount),
      fieldKinds: line.fieldKinds.slice(0, line.fieldCount),
      tagColumns: this.tagColumns.slice(0, line.tagCount),
      fieldColumns: this.fieldColumns.slice(0, line.fieldCount),
    });
    this.rememberSeries(line, schema);
    this.appendLine(line, schema, timeNs);
  }

  /** Whether what was resolved for the line's series holds for this line (see {@link ValidatedSeries}). */
  private holds(validated: ValidatedSeries, series: SeriesKey, line: ParsedLine): boolean {
    return (
      validated.fieldKinds === line.fieldKinds &&
      validated.fieldKeys === series.fieldKeys &&
      validated.dbId === this.db.id &&
      validated.catalogSerial === this.catalogSerial &&
      validated.removalVersion === this.catalog.removalVersion
    );
  }

  /** Keeps the columns just resolved for a valid line on its series, for the next lines of the series. */
  private rememberSeries(line: ParsedLine, table: TableSchema): void {
    const series = line.series;
    if (series === undefined || !line.hasTemplateFields) return;
    const template = series.fieldKeys!;
    const tagColumnIds: number[] = [];
    const tagValueIndices: TagValueIndex[] = [];
    for (let t = 0; t < line.tagCount; t++) {
      const columnId = this.tagColumns[t]!.id;
      tagColumnIds.push(columnId);
      tagValueIndices.push(this.tagValueIndexOf(table.id, columnId, line.tagValues[t]!));
    }
    const fieldColumnIds: number[] = [];
    const fieldKinds: number[] = [];
    for (let f = 0; f < line.fieldCount; f++) {
      fieldColumnIds.push(this.fieldColumns[f]!.id);
      fieldKinds.push(line.fieldKinds[f]!);
    }
    const validated: ValidatedSeries = {
      catalogSerial: this.catalogSerial,
      dbId: this.db.id,
      removalVersion: this.catalog.removalVersion,
      columns: this.seriesColumnsOf(table.id, tagColumnIds, fieldColumnIds, fieldKinds),
      tagValueIndices,
      fieldKeys: template,
      fieldKinds: line.fieldKinds === template.kinds ? template.kinds : fieldKinds,
      chunkSerial: 0,
      tagIndices: new Array<number>(line.tagCount).fill(0),
    };
    series.consumerState = validated;
  }

  /** The shared {@link SeriesColumns} of these columns of table `tableId`. */
  private seriesColumnsOf(tableId: number, tagColumnIds: number[], fieldColumnIds: number[], fieldKinds: number[]): SeriesColumns {
    this.seriesColumns ??= new Map();
    const key = `${tableId} ${tagColumnIds.join(',')} ${fieldColumnIds.join(',')} ${fieldKinds.join(',')}`;
    let columns = this.seriesColumns.get(key);
    if (columns === undefined) {
      columns = { tableId, tagColumnIds, fieldColumnIds, fieldKinds, chunkSerial: 0, builders: [], otherChunks: undefined };
      this.seriesColumns.set(key, columns);
    }
    return columns;
  }

  /** The shared {@link TagValueIndex} of `value` in tag column `columnId` of table `tableId`. */
  private tagValueIndexOf(tableId: number, columnId: number, value: string): TagValueIndex {
    this.tagValueIndices ??= new Map();
    const column = `${tableId}:${columnId}`;
    let byValue = this.tagValueIndices.get(column);
    if (byValue === undefined) {
      byValue = new Map();
      this.tagValueIndices.set(column, byValue);
    }
    let entry = byValue.get(value);
    if (entry === undefined) {
      entry = { value, builderSerial: 0, index: 0 };
      byValue.set(value, entry);
    }
    return entry;
  }

  /** The column `name` of type `type` for the line being validated: the table's, one the line already added, or a new one. */
  private columnFor(table: TableSchema | undefined, name: string, type: ColumnType): ColumnDefinition {
    // InfluxDB refuses it too: the column `time` is the timestamp, a second one could not be told apart.
    if (name === 'time') throw new LineRejected(`invalid ${type === 'tag' ? 'tag' : 'field'} key 'time': the name time is reserved for the timestamp`);
    let existing = table?.columns.get(name);
    existing ??= this.newColumnsByName.get(name);
    if (existing !== undefined) {
      if (existing.type !== type) throw new LineRejected(`invalid column type for column '${name}', expected ${existing.type}, got ${type}`);
      return existing;
    }
    try {
      validateObjectName('column', name);
    } catch (err) {
      throw new LineRejected((err as Error).message);
    }
    // Checked at each new column, not once at the end: a line of 100 000 new keys is refused at
    // the first one past the limit.
    const columnCount = (table?.columns.size ?? 1) + this.newColumns.length + 1;
    if (columnCount > this.catalog.limits.maxColumnsPerTable) {
      throw new LineRejected(`Update to schema would exceed number of columns per table limit of ${this.catalog.limits.maxColumnsPerTable} columns`, true);
    }
    const column: ColumnDefinition = { id: this.nextColumnId++, name, type };
    this.newColumns.push(column);
    this.newColumnsByName.set(name, column);
    return column;
  }

  /** The line's time (a pure function of its timestamp and the options: the last one is reused). */
  private lineTimeNs(line: ParsedLine): bigint {
    const timestamp = line.timestamp;
    if (timestamp === undefined) {
      this.defaultTimeNs ??= this.checkedTimeNs(line);
      return this.defaultTimeNs;
    }
    if (timestamp === this.lastTimestamp) return this.lastTimestampNs;
    const timeNs = this.checkedTimeNs(line);
    this.lastTimestamp = timestamp;
    this.lastTimestampNs = timeNs;
    return timeNs;
  }

  private checkedTimeNs(line: ParsedLine): bigint {
    let timeNs: bigint;
    if (line.timestamp === undefined) timeNs = defaultTimeNs(this.options.ingestTimeNs, this.options.precision);
    else if (this.options.precision === 'ns') timeNs = line.timestamp;
    else {
      const converted = timestampToNs(line.timestamp, this.options.precision);
      if (converted === undefined) throw new LineRejected(`timestamp, ${line.timestamp}, out of range for precision: ${this.options.precision}`);
      timeNs = converted;
    }
    if (timeNs < this.minTimeNs || timeNs > this.maxTimeNs) {
      const written = line.timestamp === undefined ? `the ingest time ${timeNs} ns` : `timestamp ${line.timestamp} (precision ${this.options.precision})`;
      throw new LineRejected(`${written} is outside the storable time range: ${this.minTimeNs} to ${this.maxTimeNs} ns (${isoOfNs(this.minTimeNs)} to ${isoOfNs(this.maxTimeNs)})`);
    }
    return timeNs;
  }

  /** The chunk a row of `schema` at `timeNs` goes to, the table's min and max time kept up. */
  private chunkOfRow(tableId: number, timeNs: bigint): ChunkBuilder {
    let build = this.lastBuild;
    let chunk = this.lastChunk;
    if (build !== undefined && chunk !== undefined && tableId === this.lastTableId && timeNs === this.lastAppendNs) return chunk;
    if (build === undefined || chunk === undefined || tableId !== this.lastTableId || timeNs < this.lastChunkStart || timeNs >= this.lastChunkEnd) {
      // not the table and window of the previous line: look them up
      build = this.tableBuild(tableId);
      chunk = this.chunkFor(build, timeNs);
      this.lastBuild = build;
      this.lastChunk = chunk;
      this.lastTableId = tableId;
    }
    if (timeNs < build.minTimeNs) build.minTimeNs = timeNs;
    if (timeNs > build.maxTimeNs) build.maxTimeNs = timeNs;
    this.lastAppendNs = timeNs;
    return chunk;
  }

  private appendLine(line: ParsedLine, schema: TableSchema, timeNs: bigint): void {
    const chunk = this.chunkOfRow(schema.id, timeNs);
    const row = chunk.beginRow(timeNs);
    for (let t = 0; t < line.tagCount; t++) {
      const column = chunk.column(this.tagColumns[t]!.id, Kind.Tag);
      column.appendIndex(row, column.indexOf(line.tagValues[t]!));
    }
    for (let f = 0; f < line.fieldCount; f++) appendField(chunk.column(this.fieldColumns[f]!.id, line.fieldKinds[f]! as FieldKind), row, line, f);
    chunk.endRow(line.tagCount + line.fieldCount);
    this.lineCount++;
    this.fieldCount += line.fieldCount;
    this.tagCount += line.tagCount;
  }

  /** Appends a line whose columns its series already resolved; the columns' builders and its tags' dictionary indices are kept per chunk too. */
  private appendSeriesLine(line: ParsedLine, validated: ValidatedSeries, timeNs: bigint): void {
    const columns = validated.columns;
    const chunk = this.chunkOfRow(columns.tableId, timeNs);
    const row = chunk.beginRow(timeNs);
    if (columns.chunkSerial !== chunk.serial) this.resolveBuilders(columns, chunk);
    const builders = columns.builders;
    if (validated.chunkSerial !== chunk.serial) resolveTagIndices(validated, builders, chunk.serial);
    const tagIndices = validated.tagIndices;
    const tagCount = tagIndices.length;
    const fieldCount = columns.fieldColumnIds.length;
    for (let t = 0; t < tagCount; t++) builders[t]!.appendIndex(row, tagIndices[t]!);
    for (let f = 0; f < fieldCount; f++) appendField(builders[tagCount + f]!, row, line, f);
    chunk.endRow(tagCount + fieldCount);
    this.lineCount++;
    this.fieldCount += fieldCount;
    this.tagCount += tagCount;
  }

  /** Makes `columns.builders` the builders of its columns in `chunk`: kept from before in this body, or looked up (created in row order: tags, then fields). */
  private resolveBuilders(columns: SeriesColumns, chunk: ChunkBuilder): void {
    if (columns.chunkSerial === 0) this.columnsWithBuilders.push(columns);
    else {
      columns.otherChunks ??= new Map();
      columns.otherChunks.set(columns.chunkSerial, columns.builders);
    }
    columns.chunkSerial = chunk.serial;
    const kept = columns.otherChunks?.get(chunk.serial);
    if (kept !== undefined) {
      columns.builders = kept;
      return;
    }
    const tagColumnIds = columns.tagColumnIds;
    const fieldColumnIds = columns.fieldColumnIds;
    const builders: ColumnBuilder[] = [];
    for (let t = 0; t < tagColumnIds.length; t++) builders.push(chunk.column(tagColumnIds[t]!, Kind.Tag));
    for (let f = 0; f < fieldColumnIds.length; f++) builders.push(chunk.column(fieldColumnIds[f]!, columns.fieldKinds[f]! as FieldKind));
    columns.builders = builders;
  }

  /** Lets go of the column builders the body's series columns hold (called once the body is parsed). */
  releaseBuilders(): void {
    for (const columns of this.columnsWithBuilders) {
      columns.builders = [];
      columns.otherChunks = undefined;
      columns.chunkSerial = 0;
    }
    this.columnsWithBuilders.length = 0;
  }

  private resolveTable(name: string): TableSchema | undefined {
    const table = this.db.tables.get(name);
    if (table !== undefined) return table;
    try {
      validateObjectName('table', name);
    } catch (err) {
      throw new LineRejected((err as Error).message);
    }
    if (this.catalog.totalTables() >= this.catalog.limits.maxTables) {
      throw new LineRejected(tooManyTablesMessage(this.catalog.totalTables(), this.catalog.limits.maxTables), true);
    }
    return undefined;
  }

  private apply(op: CatalogOp): void {
    this.catalog.applyCatalogBatch({ databaseId: this.db.id, databaseName: this.db.name, timeNs: this.options.ingestTimeNs, ops: [op] });
    this.catalogOps.push(op);
  }

  private createTable(name: string): TableSchema {
    const tableId = this.db.nextTableId;
    this.apply({ kind: 'createTable', tableId, tableName: name, columns: [{ id: 0, name: 'time', type: 'time' }] });
    return this.db.tablesById.get(tableId)!;
  }

  private addColumns(table: TableSchema, columns: readonly ColumnDefinition[]): void {
    this.apply({ kind: 'addColumns', tableId: table.id, tableName: table.name, columns: columns.map((c) => ({ ...c })) });
  }

  private tableBuild(tableId: number): TableBuild {
    let build = this.tables.get(tableId);
    if (build === undefined) {
      // the table is in the database: the line was just validated against it
      const table = this.db.tablesById.get(tableId)!;
      build = { table, minTimeNs: I64_MAX, maxTimeNs: I64_MIN, chunks: new Map() };
      this.tables.set(tableId, build);
    }
    return build;
  }

  private chunkFor(build: TableBuild, timeNs: bigint): ChunkBuilder {
    let start: bigint;
    if (timeNs >= this.lastChunkStart && timeNs < this.lastChunkEnd) start = this.lastChunkStart;
    else {
      start = chunkTimeNs(timeNs, this.options.gen1DurationNs);
      this.lastChunkStart = start;
      this.lastChunkEnd = start + this.options.gen1DurationNs;
    }
    let chunk = build.chunks.get(start);
    if (chunk === undefined) {
      // as many rows as the table's largest chunk in the last body had, if this body can hold them (a line takes 5 bytes or more)
      chunk = new ChunkBuilder(Math.min(rowsHint.get(build.table) ?? 0, Math.ceil(this.body.length / 5)));
      build.chunks.set(start, chunk);
    }
    return chunk;
  }

  writeBatch(): WriteBatch | undefined {
    if (this.lineCount === 0) return undefined;
    const tableChunks = new Map<number, TableChunks>();
    let minTimeNs = I64_MAX;
    let maxTimeNs = I64_MIN;
    for (const [tableId, build] of this.tables) {
      const chunkTimeToChunk = new Map<bigint, TableChunk>();
      let rows = 0;
      for (const [time, chunk] of build.chunks) {
        chunkTimeToChunk.set(time, chunk.finish());
        if (chunk.rowCount > rows) rows = chunk.rowCount;
      }
      rowsHint.set(build.table, rows);
      tableChunks.set(tableId, { minTimeNs: build.minTimeNs, maxTimeNs: build.maxTimeNs, chunkTimeToChunk });
      if (build.minTimeNs < minTimeNs) minTimeNs = build.minTimeNs;
      if (build.maxTimeNs > maxTimeNs) maxTimeNs = build.maxTimeNs;
    }
    return { databaseId: this.db.id, databaseName: this.db.name, tableChunks, minTimeNs, maxTimeNs };
  }
}

/** Sets the series' tags' dictionary indices in the chunk (serial `chunkSerial`) whose tag columns lead `builders`. */
function resolveTagIndices(validated: ValidatedSeries, builders: ReadonlyArray<ColumnBuilder | undefined>, chunkSerial: number): void {
  const tagValueIndices = validated.tagValueIndices;
  const tagIndices = validated.tagIndices;
  for (let t = 0; t < tagIndices.length; t++) {
    const column = builders[t]!;
    // the line's tag values are the series' (tagValueIndices holds them)
    const known = tagValueIndices[t]!;
    if (known.builderSerial !== column.serial) {
      known.index = column.indexOf(known.value);
      known.builderSerial = column.serial;
    }
    tagIndices[t] = known.index;
  }
  validated.chunkSerial = chunkSerial;
}

/** Appends field f of the line to row `row` of its column. */
function appendField(column: ColumnBuilder, row: number, line: ParsedLine, f: number): void {
  switch (line.fieldKinds[f]) {
    case Kind.Float64:
    case Kind.Boolean:
      column.appendNumber(row, line.fieldNumbers[f]!);
      return;
    case Kind.Int64:
    case Kind.UInt64: {
      const big = line.fieldObjects[f];
      if (big === undefined) column.appendInteger(row, line.fieldNumbers[f]!);
      else column.appendBigInt(row, big as bigint);
      return;
    }
    default:
      column.appendIndex(row, column.indexOf(line.fieldObjects[f] as string));
  }
}

/** A nanosecond time as an ISO date (to the millisecond, rounded down). */
function isoOfNs(timeNs: bigint): string {
  const ms = timeNs / 1_000_000n - (timeNs % 1_000_000n < 0n ? 1n : 0n);
  return new Date(Number(ms)).toISOString();
}

/**
 * Parses and validates a line-protocol body for database `dbName` (created if new). Throws
 * WriteError for a bad database name or a database limit; bad lines are reported in `errors`
 * (with `acceptPartial` false, the first one ends the body and nothing is kept).
 */
export function validateLineProtocol(catalog: Catalog, parser: LineProtocolParser, dbName: string, body: Buffer, options: ValidateOptions): ValidatedWrite {
  try {
    validateDatabaseName(dbName);
  } catch (err) {
    throw new WriteError('INVALID_DATABASE', (err as Error).message);
  }
  let db = catalog.database(dbName);
  const createdDb: CatalogOp[] = [];
  if (db === undefined) {
    if (catalog.listDatabases().length >= catalog.limits.maxDatabases) {
      throw new WriteError('LIMIT', `Adding a new database would exceed limit of ${catalog.limits.maxDatabases} databases`);
    }
    const op: CatalogOp = { kind: 'createDatabase' };
    catalog.applyCatalogBatch({ databaseId: catalog.peekNextDatabaseId(), databaseName: dbName, timeNs: options.ingestTimeNs, ops: [op] });
    db = catalog.database(dbName)!;
    createdDb.push(op);
  }
  const validator = new Validator(catalog, db, body, options);
  try {
    parser.parse(body, validator);
  } catch (err) {
    revert();
    if (err instanceof CatalogError) throw new WriteError('PARSE', err.message);
    throw err;
  } finally {
    validator.releaseBuilders();
  }
  const ops = [...createdDb, ...validator.catalogOps];
  const catalogBatch: CatalogBatch | undefined = ops.length === 0 ? undefined : { databaseId: db.id, databaseName: db.name, timeNs: options.ingestTimeNs, ops };
  function revert(): void {
    const all = [...createdDb, ...validator.catalogOps];
    if (all.length > 0) catalog.revertCatalogBatch({ databaseId: db!.id, databaseName: db!.name, timeNs: options.ingestTimeNs, ops: all });
  }
  if (!options.acceptPartial && validator.errors.length > 0) {
    revert();
    return { catalogBatch: undefined, writeBatch: undefined, lineCount: 0, fieldCount: 0, tagCount: 0, errors: validator.errors, undo: () => {} };
  }
  return {
    catalogBatch,
    writeBatch: validator.writeBatch(),
    lineCount: validator.lineCount,
    fieldCount: validator.fieldCount,
    tagCount: validator.tagCount,
    errors: validator.errors,
    undo: revert,
  };
}
