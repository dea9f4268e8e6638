import type { ColumnData, ColumnId, ColumnValues, FieldKind, TableChunk } from '../wal/model.js';
import { FieldKind as Kind, allocateColumnValues } from '../wal/model.js';

type Values = ColumnValues;
const allocValues = allocateColumnValues;

/** One column of a chunk being built: a typed array grown by doubling, a validity bitmap once a row lacks a value. */
class ColumnBuilder {
  values: Values;
  /** A view of 64-bit integer values, to write them from numbers. */
  view: DataView | undefined;
  length = 0;
  validity: Uint8Array | undefined;
  readonly dictionary: string[] | undefined;
  private readonly indexOf: Map<string, number> | undefined;

  constructor(
    readonly kind: FieldKind,
    capacity: number,
  ) {
    this.values = allocValues(kind, capacity);
    if (kind === Kind.Int64 || kind === Kind.UInt64) this.view = new DataView(this.values.buffer);
    if (kind === Kind.Tag || kind === Kind.String) {
      this.dictionary = [];
      this.indexOf = new Map();
    }
  }

  private grow(min: number): void {
    const next = allocValues(this.kind, Math.max(min, this.values.length * 2));
    (next as Uint8Array).set(this.values as Uint8Array);
    this.values = next;
    if (this.view !== undefined) this.view = new DataView(next.buffer);
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

  append(value: string | bigint | number | boolean): void {
    const row = this.length;
    if (row >= this.values.length) this.grow(row + 1);
    switch (this.kind) {
      case Kind.Tag:
      case Kind.String: {
        let index = this.indexOf!.get(value as string);
        if (index === undefined) {
          index = this.dictionary!.length;
          this.dictionary!.push(value as string);
          this.indexOf!.set(value as string, index);
        }
        this.values[row] = index;
        break;
      }
      case Kind.Boolean:
        this.values[row] = value ? 1 : 0;
        break;
      case Kind.Int64:
      case Kind.UInt64:
        if (typeof value === 'number') {
          // an exact integer below 2^53: write its two 32-bit halves, no BigInt allocated
          const view = this.view!;
          view.setUint32(row * 8, value >>> 0, true);
          view.setInt32(row * 8 + 4, Math.floor(value / 4294967296), true);
        } else {
          (this.values as BigInt64Array)[row] = value as bigint;
        }
        break;
      default:
        (this.values as Float64Array)[row] = value as number;
    }
    if (this.validity !== undefined) this.validity[row >> 3]! |= 1 << (row & 7);
    this.length = row + 1;
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

/** Appends rows to one table's chunk, column by column. */
export class ChunkBuilder {
  rowCount = 0;
  private times = new BigInt64Array(64);
  /** Columns by id (ids are small and dense within a table), and in creation order. */
  private readonly columnsById: Array<ColumnBuilder | undefined> = [];
  private readonly columns = new Map<ColumnId, ColumnBuilder>();

  /** Starts a row; then call {@link set} for each of its values and {@link endRow}. */
  beginRow(timeNs: bigint): void {
    if (this.rowCount >= this.times.length) {
      const next = new BigInt64Array(this.times.length * 2);
      next.set(this.times);
      this.times = next;
    }
    this.times[this.rowCount] = timeNs;
  }

  set(columnId: ColumnId, kind: FieldKind, value: string | bigint | number | boolean): void {
    let column = this.columnsById[columnId];
    if (column === undefined) {
      column = new ColumnBuilder(kind, Math.max(64, this.times.length));
      this.columns.set(columnId, column);
      this.columnsById[columnId] = column;
    }
    column.padTo(this.rowCount);
    column.append(value);
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
