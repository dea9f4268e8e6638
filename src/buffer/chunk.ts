/**
 * One buffered chunk: the rows of one table in one gen1 window, held columnar in growable typed
 * arrays. Tag and string values are dictionary-encoded (a `Uint32Array` of indices into the
 * column's dictionary); nulls are a validity bitmap (LSB first, 1 = valid), allocated only once
 * a column has its first null. Appending a WAL `TableChunk` is a few `TypedArray.set` copies plus
 * one index remap per dictionary column.
 */
import { FieldKind, type ColumnData, type ColumnId, type TableChunk } from '../wal/model.js';

type Values = BigInt64Array | BigUint64Array | Float64Array | Uint8Array | Uint32Array;

/** A growable column. */
export class ColumnBuffer {
  values: Values;
  /** Validity bitmap, or undefined while every row so far is valid. */
  validity: Uint8Array | undefined;
  /** Dictionary of a tag or string column. */
  readonly dictionary: string[] | undefined;
  private readonly dictionaryIndex: Map<string, number> | undefined;
  dictionaryBytes = 0;

  constructor(
    readonly id: ColumnId,
    readonly kind: FieldKind,
    capacity: number,
  ) {
    this.values = allocate(kind, capacity);
    if (kind === FieldKind.Tag || kind === FieldKind.String) {
      this.dictionary = [];
      this.dictionaryIndex = new Map();
    }
  }

  /** Index of `value` in the dictionary, adding it if new. */
  intern(value: string): number {
    let index = this.dictionaryIndex!.get(value);
    if (index === undefined) {
      index = this.dictionary!.length;
      this.dictionary!.push(value);
      this.dictionaryIndex!.set(value, index);
      this.dictionaryBytes += 2 * value.length + 48;
    }
    return index;
  }

  grow(capacity: number, length: number): void {
    const next = allocate(this.kind, capacity);
    next.set(this.values.subarray(0, length) as never);
    this.values = next;
    if (this.validity !== undefined) {
      const v = new Uint8Array((capacity + 7) >> 3);
      v.set(this.validity.subarray(0, (length + 7) >> 3));
      this.validity = v;
    }
  }

  /** Marks rows [start, start + count) null, allocating the bitmap (rows before `start` valid). */
  setNull(start: number, count: number, capacity: number): void {
    if (count === 0) return;
    if (this.validity === undefined) {
      this.validity = new Uint8Array((capacity + 7) >> 3);
      setBits(this.validity, 0, start, true);
    }
    setBits(this.validity, start, count, false);
  }

  setValid(start: number, count: number): void {
    if (this.validity !== undefined && count > 0) setBits(this.validity, start, count, true);
  }

  isValid(row: number): boolean {
    return this.validity === undefined || (this.validity[row >> 3]! & (1 << (row & 7))) !== 0;
  }

  byteSize(capacity: number): number {
    return this.values.byteLength + (this.validity === undefined ? 0 : (capacity + 7) >> 3) + this.dictionaryBytes;
  }
}

function allocate(kind: FieldKind, capacity: number): Values {
  switch (kind) {
    case FieldKind.Tag:
    case FieldKind.String:
      return new Uint32Array(capacity);
    case FieldKind.Int64:
      return new BigInt64Array(capacity);
    case FieldKind.UInt64:
      return new BigUint64Array(capacity);
    case FieldKind.Float64:
      return new Float64Array(capacity);
    case FieldKind.Boolean:
      return new Uint8Array(capacity);
    default:
      throw new Error(`unknown field kind ${String(kind)}`);
  }
}

/** Sets bits [start, start + count) of a bitmap to `value`. */
export function setBits(bitmap: Uint8Array, start: number, count: number, value: boolean): void {
  let i = start;
  const end = start + count;
  while (i < end && (i & 7) !== 0) {
    setBit(bitmap, i, value);
    i++;
  }
  const fullEnd = end & ~7;
  if (i < fullEnd) {
    bitmap.fill(value ? 0xff : 0, i >> 3, fullEnd >> 3);
    i = fullEnd;
  }
  while (i < end) {
    setBit(bitmap, i, value);
    i++;
  }
}

function setBit(bitmap: Uint8Array, i: number, value: boolean): void {
  if (value) bitmap[i >> 3]! |= 1 << (i & 7);
  else bitmap[i >> 3]! &= ~(1 << (i & 7));
}

/** Copies `count` bits of `src` from `srcStart` into `dst` at `dstStart`. */
export function copyBits(src: Uint8Array, srcStart: number, dst: Uint8Array, dstStart: number, count: number): void {
  if ((srcStart & 7) === 0 && (dstStart & 7) === 0) {
    const whole = count >> 3;
    dst.set(src.subarray(srcStart >> 3, (srcStart >> 3) + whole), dstStart >> 3);
    for (let k = whole << 3; k < count; k++) setBit(dst, dstStart + k, (src[(srcStart + k) >> 3]! & (1 << ((srcStart + k) & 7))) !== 0);
    return;
  }
  for (let k = 0; k < count; k++) setBit(dst, dstStart + k, (src[(srcStart + k) >> 3]! & (1 << ((srcStart + k) & 7))) !== 0);
}

let nextChunkSerial = 1;

/** The rows of one table in one gen1 window. */
export class BufferChunk {
  /** Unique in the process; orders chunks of one table (later chunks win on duplicate points). */
  readonly serial = nextChunkSerial++;
  rowCount = 0;
  capacity: number;
  timeNs: BigInt64Array;
  minTimeNs = 0n;
  maxTimeNs = 0n;
  readonly columns = new Map<ColumnId, ColumnBuffer>();
  /** Whether a snapshot has claimed this chunk (it stays queryable until its file is). */
  sealed = false;
  /** State owned by the query engine's mirror of this chunk. */
  mirror: unknown;

  constructor(
    readonly dbId: number,
    readonly tableId: number,
    readonly chunkTimeNs: bigint,
    initialCapacity = 64,
  ) {
    this.capacity = initialCapacity;
    this.timeNs = new BigInt64Array(initialCapacity);
  }

  /** Appends the rows of one WAL table chunk. */
  append(chunk: TableChunk): void {
    const n = chunk.rowCount;
    if (n === 0) return;
    const start = this.rowCount;
    this.ensureCapacity(start + n);
    this.timeNs.set(chunk.timeNs.subarray(0, n), start);
    for (let i = 0; i < n; i++) {
      const t = chunk.timeNs[i]!;
      if (start + i === 0 || t < this.minTimeNs) this.minTimeNs = t;
      if (start + i === 0 || t > this.maxTimeNs) this.maxTimeNs = t;
    }
    for (const [id, data] of chunk.columns) {
      let column = this.columns.get(id);
      if (column === undefined) {
        column = new ColumnBuffer(id, data.kind, this.capacity);
        column.setNull(0, start, this.capacity);
        this.columns.set(id, column);
      } else if (column.kind !== data.kind) {
        throw new Error(`column ${id} changed kind from ${column.kind} to ${data.kind}`);
      }
      appendColumn(column, data, start, n, this.capacity);
    }
    for (const column of this.columns.values()) {
      if (!chunk.columns.has(column.id)) column.setNull(start, n, this.capacity);
    }
    this.rowCount = start + n;
  }

  private ensureCapacity(needed: number): void {
    if (needed <= this.capacity) return;
    let capacity = this.capacity;
    while (capacity < needed) capacity = capacity < 65536 ? capacity * 4 : Math.ceil(capacity * 1.5);
    const time = new BigInt64Array(capacity);
    time.set(this.timeNs.subarray(0, this.rowCount));
    this.timeNs = time;
    for (const column of this.columns.values()) column.grow(capacity, this.rowCount);
    this.capacity = capacity;
  }

  /** Bytes held by this chunk's arrays and dictionaries. */
  byteSize(): number {
    let size = this.timeNs.byteLength + 200;
    for (const column of this.columns.values()) size += column.byteSize(this.capacity) + 100;
    return size;
  }
}

function appendColumn(column: ColumnBuffer, data: ColumnData, start: number, n: number, capacity: number): void {
  if (data.kind === FieldKind.Tag || data.kind === FieldKind.String) {
    const dict = data.dictionary;
    const remap = new Uint32Array(dict.length);
    for (let d = 0; d < dict.length; d++) remap[d] = column.intern(dict[d]!);
    const dst = column.values as Uint32Array;
    const src = data.indices;
    for (let i = 0; i < n; i++) dst[start + i] = remap[src[i]!] ?? 0;
  } else {
    (column.values as Values).set((data as { values: Values }).values.subarray(0, n) as never, start);
  }
  if (data.validity === undefined) {
    column.setValid(start, n);
  } else {
    if (column.validity === undefined) column.validity = allocBitmap(capacity, start);
    copyBits(data.validity, 0, column.validity!, start, n);
  }
}

function allocBitmap(capacity: number, validRows: number): Uint8Array {
  const bitmap = new Uint8Array((capacity + 7) >> 3);
  setBits(bitmap, 0, validRows, true);
  return bitmap;
}
