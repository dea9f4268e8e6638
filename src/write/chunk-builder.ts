import type { ColumnData, ColumnId, ColumnValues, FieldKind, TableChunk } from '../wal/model.js';
import { FieldKind as Kind, allocateColumnValues } from '../wal/model.js';

type Values = ColumnValues;
const allocValues = allocateColumnValues;

/** Where the low and high 32 bits of a 64-bit integer sit among its two 32-bit words, in the platform's byte order (which BigInt64Array reads). */
const LOW_WORD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH_WORD = 1 - LOW_WORD;

/** Numbers every column builder: a cache kept across bodies can tell whether it was made for this one. */
let columnSerial = 0;

/** One column of a chunk being built: a typed array grown by doubling, a validity bitmap once a row lacks a value. */
export class ColumnBuilder {
  /** This builder's number, different from every other builder's in the process. */
  readonly serial = ++columnSerial;
  values: Values;
  /** The 64-bit integer values as 32-bit halves, to write them from numbers. */
  words: Int32Array | undefined;
  length = 0;
  validity: Uint8Array | undefined;
  readonly dictionary: string[] | undefined;
  private readonly indexByValue: Map<string, number> | undefined;

  constructor(
    readonly kind: FieldKind,
    capacity: number,
  ) {
    this.values = allocValues(kind, capacity);
    if (kind === Kind.Int64 || kind === Kind.UInt64) this.words = new Int32Array(this.values.buffer);
    if (kind === Kind.Tag || kind === Kind.String) {
      this.dictionary = [];
      this.indexByValue = new Map();
    }
  }

  private grow(min: number): void {
    const next = allocValues(this.kind, Math.max(min, this.values.length * 2));
    (next as Uint8Array).set(this.values as Uint8Array);
    this.values = next;
    if (this.words !== undefined) this.words = new Int32Array(next.buffer);
    if (this.validity !== undefined) {
      const v = new Uint8Array((next.length + 7) >> 3);
      v.set(this.validity);
      this.validity = v;
    }
  }

  /** Marks rows [length, row) as having no value. */
  padTo(row: number): void {
    if (this.length >= row) return;
    if (row > this.values.length) this.grow(row);
    if (this.validity === undefined) {
      this.validity = new Uint8Array((this.values.length + 7) >> 3);
      // every row so far had a value
      for (let r = 0; r < this.length; r++) this.validity[r >> 3]! |= 1 << (r & 7);
    }
    this.length = row; // bits stay 0: no value
  }

  /** The dictionary index of a tag or string value, added if new. */
  indexOf(value: string): number {
    let index = this.indexByValue!.get(value);
    if (index === undefined) {
      index = this.dictionary!.length;
      this.dictionary!.push(value);
      this.indexByValue!.set(value, index);
    }
    return index;
  }

  /** Makes room for a value at row `row`; rows before it that have none become nulls. */
  private beginValue(row: number): void {
    if (this.length !== row) this.padTo(row);
    if (row >= this.values.length) this.grow(row + 1);
  }

  /** Marks row `row`, the last one, as having its value. */
  private endValue(row: number): void {
    if (this.validity !== undefined) this.validity[row >> 3]! |= 1 << (row & 7);
    this.length = row + 1;
  }

  /** Sets row `row`'s value (rows before it that have none become nulls) — a dictionary index of a tag or string column. */
  appendIndex(row: number, index: number): void {
    this.beginValue(row);
    (this.values as Uint32Array)[row] = index;
    this.endValue(row);
  }

  /** Sets row `row`'s value: a float, or a boolean as 1 or 0. */
  appendNumber(row: number, value: number): void {
    this.beginValue(row);
    (this.values as Float64Array)[row] = value;
    this.endValue(row);
  }

  /** Sets row `row`'s value: an int64 or uint64 given as an exact integer number (below 2^53), no BigInt made. */
  appendInteger(row: number, value: number): void {
    this.beginValue(row);
    const words = this.words!;
    words[row * 2 + LOW_WORD] = value | 0; // the low 32 bits (value is an integer of 53 bits or fewer)
    words[row * 2 + HIGH_WORD] = Math.floor(value / 4294967296);
    this.endValue(row);
  }

  /** Sets row `row`'s value: an int64 or uint64 as a bigint. */
  appendBigInt(row: number, value: bigint): void {
    this.beginValue(row);
    (this.values as BigInt64Array)[row] = value;
    this.endValue(row);
  }

  finish(rowCount: number): ColumnData {
    this.padTo(rowCount);
    const validity = this.validity === undefined ? undefined : this.validity.subarray(0, (rowCount + 7) >> 3);
    const base =
      this.kind === Kind.Tag || this.kind === Kind.String
        ? { kind: this.kind, indices: (this.values as Uint32Array).subarray(0, rowCount), dictionary: this.dictionary! }
        : { kind: this.kind, values: this.values.subarray(0, rowCount) };
    const column = base as ColumnData;
    if (validity !== undefined) column.validity = validity;
    return column;
  }
}

/** Numbers every chunk builder: a cache kept across bodies can tell whether it was made for this one. */
let chunkSerial = 0;

/** Appends rows to one table's chunk, column by column. */
export class ChunkBuilder {
  rowCount = 0;
  /** This builder's number, different from every other builder's in the process. */
  readonly serial = ++chunkSerial;
  private times: BigInt64Array;
  /** Columns by id (ids are small and dense within a table), and in creation order. */
  private readonly columnsById: Array<ColumnBuilder | undefined> = [];
  private readonly columns = new Map<ColumnId, ColumnBuilder>();

  /** `expectedRows`: room to make at once (the chunk still grows past it). */
  constructor(expectedRows = 64) {
    this.times = new BigInt64Array(Math.max(64, expectedRows));
  }

  /** Starts a row and returns its index; then append each of its values and {@link endRow}. */
  beginRow(timeNs: bigint): number {
    if (this.rowCount >= this.times.length) {
      const next = new BigInt64Array(this.times.length * 2);
      next.set(this.times);
      this.times = next;
    }
    this.times[this.rowCount] = timeNs;
    return this.rowCount;
  }

  /** The column `columnId`, of `kind`, created if the chunk has none yet. */
  column(columnId: ColumnId, kind: FieldKind): ColumnBuilder {
    let column = this.columnsById[columnId];
    if (column === undefined) {
      column = new ColumnBuilder(kind, Math.max(64, this.times.length));
      this.columns.set(columnId, column);
      this.columnsById[columnId] = column;
    }
    return column;
  }

  /** Ends the row; columns the row had no value for get a null. */
  endRow(valuesSet: number): void {
    this.rowCount++;
    if (valuesSet === this.columns.size) return;
    for (const column of this.columns.values()) column.padTo(this.rowCount);
  }

  finish(): TableChunk {
    const columns = new Map<ColumnId, ColumnData>();
    for (const [id, column] of this.columns) columns.set(id, column.finish(this.rowCount));
    return { rowCount: this.rowCount, timeNs: this.times.subarray(0, this.rowCount), columns };
  }
}
