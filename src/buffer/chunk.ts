/**
 * One buffered chunk: the rows of one table in one gen1 window, held columnar in typed arrays
 * split into segments of {@link SEGMENT_ROWS} rows. The first segment grows geometrically (small
 * chunks stay small); after it, full segments are added and never copied, so appending to a
 * chunk of tens of millions of rows costs the same per row as to a small one. Tag and string
 * values are dictionary-encoded (indices into the column's dictionary); nulls are a validity
 * bitmap per segment (LSB first, 1 = valid), allocated only once a segment holds a null.
 *
 * Segments are as narrow as their values allow, since the buffer is most of a server's memory:
 * dictionary indices are 1, 2 or 4 bytes (as the dictionary grows), and int64 values 1, 2, 4 or
 * 8 bytes (as the values seen in the segment need). A segment is widened in place of the old one
 * when a value does not fit, at most three times. Readers take any width (see {@link readInt64}).
 * Appending a WAL `TableChunk` is a few copies (a narrowing loop for int64), plus one index remap
 * per dictionary column.
 */
import { FieldKind, allocateColumnValues, type ColumnData, type ColumnId, type TableChunk } from '../wal/model.js';

/** Int64 segments: the narrowest signed width that holds every value written to it. */
export type IntSegment = Int8Array | Int16Array | Int32Array | BigInt64Array;
/** Dictionary index segments: the narrowest width that holds the dictionary's largest index. */
export type IndexSegment = Uint8Array | Uint16Array | Uint32Array;
/** A segment of any column. */
export type SegmentValues = IntSegment | IndexSegment | BigUint64Array | Float64Array;

/**
 * Narrow int64 storage reads the low and high 32-bit words of each incoming value through an
 * Int32Array view, which assumes little-endian memory; elsewhere int64 segments stay 8 bytes wide.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function allocateSegment(kind: FieldKind, length: number, bytes: number): SegmentValues {
  if (kind === FieldKind.Int64) {
    return bytes === 1 ? new Int8Array(length) : bytes === 2 ? new Int16Array(length) : bytes === 4 ? new Int32Array(length) : new BigInt64Array(length);
  }
  if (kind === FieldKind.Tag || kind === FieldKind.String) {
    return bytes === 1 ? new Uint8Array(length) : bytes === 2 ? new Uint16Array(length) : new Uint32Array(length);
  }
  return allocateColumnValues(kind, length) as SegmentValues;
}

/** The narrowest width a new segment of `kind` starts at. */
function initialBytes(kind: FieldKind): number {
  return kind === FieldKind.Tag || kind === FieldKind.String || (kind === FieldKind.Int64 && LITTLE_ENDIAN) ? 1 : 8;
}

/** Bytes an index up to `maxIndex` needs. */
function indexBytes(maxIndex: number): number {
  return maxIndex <= 0xff ? 1 : maxIndex <= 0xffff ? 2 : 4;
}

/**
 * Bytes the int64 values `words[2·from …]` (low, high word pairs) need, at least `bytes`.
 */
function int64Bytes(words: Int32Array, from: number, count: number, bytes: number): number {
  if (bytes === 8) return 8;
  for (let i = from * 2, end = (from + count) * 2; i < end; i += 2) {
    const lo = words[i]!;
    if (words[i + 1]! !== lo >> 31) return 8;
    if (bytes < 4 && (lo < -32768 || lo > 32767)) bytes = 4;
    else if (bytes < 2 && (lo < -128 || lo > 127)) bytes = 2;
  }
  return bytes;
}

/** Row `at` of an int64 segment of any width, as a bigint. */
export function readInt64(segment: SegmentValues, at: number): bigint {
  const v = segment[at]!;
  return typeof v === 'bigint' ? v : BigInt(v);
}

/**
 * Copies `n` values of an int64 segment of any width from row `at` into `out` as 8-byte
 * little-endian values (`out` is an Int32Array view: low word, high word); returns `out`.
 */
export function widenInt64(segment: IntSegment, at: number, n: number, out: Int32Array): Int32Array {
  if (segment instanceof BigInt64Array) {
    out.set(new Int32Array(segment.buffer, segment.byteOffset + at * 8, n * 2));
    return out;
  }
  for (let i = 0; i < n; i++) {
    const v = segment[at + i]!;
    out[2 * i] = v;
    out[2 * i + 1] = v >> 31;
  }
  return out;
}

/** Rows per full segment: a multiple of DuckDB's vector size (2 048), so no scan straddles two. */
export const SEGMENT_ROWS = 65_536;

/** A column, segment by segment. */
export class ColumnBuffer {
  readonly segments: SegmentValues[] = [];
  /** Per segment: its validity bitmap, or undefined while every row in it is valid. */
  readonly validity: Array<Uint8Array | undefined> = [];
  /** Dictionary of a tag or string column. */
  readonly dictionary: string[] | undefined;
  private readonly dictionaryIndex: Map<string, number> | undefined;
  dictionaryBytes = 0;

  constructor(
    readonly id: ColumnId,
    readonly kind: FieldKind,
    segmentLengths: readonly number[],
  ) {
    for (const length of segmentLengths) {
      this.segments.push(allocateSegment(kind, length, initialBytes(kind)));
      this.validity.push(undefined);
    }
    if (kind === FieldKind.Tag || kind === FieldKind.String) {
      this.dictionary = [];
      this.dictionaryIndex = new Map();
    }
  }

  /** Index of `value` in the dictionary, if it is there. */
  codeOf(value: string): number | undefined {
    return this.dictionaryIndex?.get(value);
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

  /** Reallocates the first segment at `length` rows, keeping its first `rows`. */
  growFirst(length: number, rows: number): void {
    const first = this.segments[0]!;
    const next = allocateSegment(this.kind, length, first.BYTES_PER_ELEMENT);
    next.set(first.subarray(0, rows) as never);
    this.segments[0] = next;
    const v = this.validity[0];
    if (v !== undefined) {
      const bitmap = new Uint8Array((length + 7) >> 3);
      bitmap.set(v.subarray(0, (rows + 7) >> 3));
      this.validity[0] = bitmap;
    }
  }

  addSegment(): void {
    this.segments.push(allocateSegment(this.kind, SEGMENT_ROWS, initialBytes(this.kind)));
    this.validity.push(undefined);
  }

  /**
   * Segment `seg`, at least `bytes` wide: replaced by a wider copy if it is narrower. Values are
   * copied whole (rows past the end are zero), so the copy needs no row count.
   */
  segmentOfWidth(seg: number, bytes: number): SegmentValues {
    const old = this.segments[seg]!;
    if (old.BYTES_PER_ELEMENT >= bytes) return old;
    const next = allocateSegment(this.kind, old.length, bytes);
    if (next instanceof BigInt64Array) widenInt64(old as IntSegment, 0, old.length, new Int32Array(next.buffer));
    else next.set(old as never);
    this.segments[seg] = next;
    return next;
  }

  /** The validity bitmap of segment `seg`, allocating it with rows [0, validRows) valid. */
  bitmap(seg: number, validRows: number): Uint8Array {
    let bitmap = this.validity[seg];
    if (bitmap === undefined) {
      bitmap = new Uint8Array((this.segments[seg]!.length + 7) >> 3);
      setBits(bitmap, 0, validRows, true);
      this.validity[seg] = bitmap;
    }
    return bitmap;
  }

  isValid(row: number): boolean {
    const seg = Math.floor(row / SEGMENT_ROWS);
    return isValidAt(this.validity[seg], row - seg * SEGMENT_ROWS);
  }

  byteSize(): number {
    let size = this.dictionaryBytes;
    for (let s = 0; s < this.segments.length; s++) size += this.segments[s]!.byteLength + (this.validity[s]?.byteLength ?? 0);
    return size;
  }
}

/** Whether row `at` of a segment is valid: its bit in the segment's bitmap, or always when it has none. */
export function isValidAt(bitmap: Uint8Array | undefined, at: number): boolean {
  return bitmap === undefined || (bitmap[at >> 3]! & (1 << (at & 7))) !== 0;
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
  readonly segmentRows = SEGMENT_ROWS;
  rowCount = 0;
  /** Rows allocated over all segments. */
  capacity: number;
  readonly timeSegments: BigInt64Array[];
  minTimeNs = 0n;
  maxTimeNs = 0n;
  readonly columns = new Map<ColumnId, ColumnBuffer>();
  /** Whether a snapshot has claimed this chunk (it stays queryable until its file is). */
  sealed = false;
  /**
   * The {@link byteSize} the queryable buffer's total holds for this chunk: it adds the change
   * after each append and subtracts exactly this when the chunk leaves, so the total is exact
   * however the chunk's arrays grew or widened in between.
   */
  accountedBytes = 0;
  /** State owned by the SQL engine for this chunk. */
  mirror: unknown;

  constructor(
    readonly dbId: number,
    readonly tableId: number,
    readonly chunkTimeNs: bigint,
    initialCapacity = 64,
  ) {
    this.capacity = Math.min(initialCapacity, SEGMENT_ROWS);
    this.timeSegments = [new BigInt64Array(this.capacity)];
  }

  /** Appends the rows of one WAL table chunk. */
  append(chunk: TableChunk): void {
    const n = chunk.rowCount;
    if (n === 0) return;
    const start = this.rowCount;
    this.ensureCapacity(start + n);
    let min = start === 0 ? chunk.timeNs[0]! : this.minTimeNs;
    let max = start === 0 ? chunk.timeNs[0]! : this.maxTimeNs;
    for (let i = 0; i < n; i++) {
      const t = chunk.timeNs[i]!;
      if (t < min) min = t;
      if (t > max) max = t;
    }
    this.minTimeNs = min;
    this.maxTimeNs = max;
    this.pieces(start, n, (seg, at, from, len) => this.timeSegments[seg]!.set(chunk.timeNs.subarray(from, from + len), at));
    for (const [id, data] of chunk.columns) {
      let column = this.columns.get(id);
      if (column === undefined) {
        column = new ColumnBuffer(id, data.kind, this.timeSegments.map((s) => s.length));
        this.setNull(column, 0, start);
        this.columns.set(id, column);
      } else if (column.kind !== data.kind) {
        throw new Error(`column ${id} changed kind from ${column.kind} to ${data.kind}`);
      }
      this.appendColumn(column, data, start, n);
    }
    for (const column of this.columns.values()) {
      if (!chunk.columns.has(column.id)) this.setNull(column, start, n);
    }
    this.rowCount = start + n;
  }

  /** Calls `fn(segment, offsetInSegment, offsetInSource, length)` for each segment rows [start, start + n) touch. */
  private pieces(start: number, n: number, fn: (seg: number, at: number, from: number, len: number) => void): void {
    let from = 0;
    while (from < n) {
      const row = start + from;
      const seg = Math.floor(row / SEGMENT_ROWS);
      const at = row - seg * SEGMENT_ROWS;
      const len = Math.min(n - from, this.timeSegments[seg]!.length - at);
      fn(seg, at, from, len);
      from += len;
    }
  }

  private setNull(column: ColumnBuffer, start: number, count: number): void {
    if (count > 0) this.pieces(start, count, (seg, at, _from, len) => setBits(column.bitmap(seg, at), at, len, false));
  }

  private appendColumn(column: ColumnBuffer, data: ColumnData, start: number, n: number): void {
    let remap: Uint32Array | undefined;
    let bytes = 0;
    let words: Int32Array | undefined;
    if (data.kind === FieldKind.Tag || data.kind === FieldKind.String) {
      const dict = data.dictionary;
      remap = new Uint32Array(dict.length);
      for (let d = 0; d < dict.length; d++) remap[d] = column.intern(dict[d]!);
      bytes = indexBytes(column.dictionary!.length - 1);
    } else if (data.kind === FieldKind.Int64 && LITTLE_ENDIAN) {
      const v = data.values as BigInt64Array;
      words = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    }
    this.pieces(start, n, (seg, at, from, len) => {
      if (remap !== undefined) {
        const src = (data as { indices: Uint32Array }).indices;
        const out = column.segmentOfWidth(seg, bytes) as IndexSegment;
        for (let i = 0; i < len; i++) out[at + i] = remap[src[from + i]!] ?? 0;
      } else if (words !== undefined) {
        const out = column.segmentOfWidth(seg, int64Bytes(words, from, len, column.segments[seg]!.BYTES_PER_ELEMENT)) as IntSegment;
        if (out instanceof BigInt64Array) out.set((data as { values: BigInt64Array }).values.subarray(from, from + len), at);
        else for (let i = 0; i < len; i++) out[at + i] = words[2 * (from + i)]!;
      } else {
        column.segments[seg]!.set((data as { values: SegmentValues }).values.subarray(from, from + len) as never, at);
      }
      const bitmap = column.validity[seg];
      if (data.validity !== undefined) copyBits(data.validity, from, column.bitmap(seg, at), at, len);
      else if (bitmap !== undefined) setBits(bitmap, at, len, true);
    });
  }

  private ensureCapacity(needed: number): void {
    while (this.capacity < needed) {
      const first = this.timeSegments[0]!;
      if (this.timeSegments.length === 1 && first.length < SEGMENT_ROWS) {
        let length = first.length;
        while (length < needed && length < SEGMENT_ROWS) length *= 4;
        length = Math.min(length, SEGMENT_ROWS);
        const time = new BigInt64Array(length);
        time.set(first.subarray(0, this.rowCount));
        this.timeSegments[0] = time;
        for (const column of this.columns.values()) column.growFirst(length, this.rowCount);
        this.capacity = length;
      } else {
        this.timeSegments.push(new BigInt64Array(SEGMENT_ROWS));
        for (const column of this.columns.values()) column.addSegment();
        this.capacity += SEGMENT_ROWS;
      }
    }
  }

  /** Bytes held by this chunk's arrays and dictionaries. */
  byteSize(): number {
    let size = 200;
    for (const t of this.timeSegments) size += t.byteLength;
    for (const column of this.columns.values()) size += column.byteSize() + 100;
    return size;
  }
}
