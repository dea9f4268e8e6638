import { crc32 } from 'node:zlib';
import { CorruptWalFileError, InvalidWalOpError } from './errors.js';
import type { CatalogBatch, CatalogOp, ColumnData, ColumnDefinition, ColumnType, SnapshotDetails, TableChunk, TableChunks, WalContents, WalOp, WriteBatch } from './model.js';
import { FieldKind, I64_MAX, I64_MIN, isValid } from './model.js';

// Column values are copied as raw bytes: the format is little-endian, so must be the host.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('Sluice needs a little-endian host');

// The byte layout is documented in docs/wal-format.md; change both together, and bump
// FORMAT_VERSION whenever a byte changes.

/** The 8 bytes every WAL file starts with. */
export const WAL_MAGIC = Buffer.from('SLUICEWL', 'ascii');
/**
 * The format version this codec writes. Version 2 added the catalog op `setRetentionPeriod`
 * (kind 6), version 3 the cache ops (kinds 7–10: create and delete last and distinct caches);
 * every other byte is as in version 1. Versions 1 and 2 are still read (docs/wal-format.md).
 */
export const FORMAT_VERSION = 3;
/** The versions this codec reads. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2, 3];
/** Bytes of the header before the node id. */
const HEADER_FIXED_BYTES = 58;
/** Longest node id, in UTF-8 bytes. */
export const MAX_NODE_ID_BYTES = 255;
const PUT_ID_BYTES = 16;

const OP_WRITE = 1;
const OP_CATALOG = 2;
const OP_NOOP = 3;

const CATALOG_CREATE_DATABASE = 1;
const CATALOG_CREATE_TABLE = 2;
const CATALOG_ADD_COLUMNS = 3;
const CATALOG_DELETE_DATABASE = 4;
const CATALOG_DELETE_TABLE = 5;
const CATALOG_SET_RETENTION_PERIOD = 6;
const CATALOG_CREATE_LAST_CACHE = 7;
const CATALOG_DELETE_LAST_CACHE = 8;
const CATALOG_CREATE_DISTINCT_CACHE = 9;
const CATALOG_DELETE_DISTINCT_CACHE = 10;
/** The first format version each catalog op kind may appear in. */
const CATALOG_OP_SINCE_VERSION: Readonly<Record<number, number>> = { [CATALOG_SET_RETENTION_PERIOD]: 2, [CATALOG_CREATE_LAST_CACHE]: 3, [CATALOG_DELETE_LAST_CACHE]: 3, [CATALOG_CREATE_DISTINCT_CACHE]: 3, [CATALOG_DELETE_DISTINCT_CACHE]: 3 };

const COLUMN_TYPES: readonly ColumnType[] = ['tag', 'time', 'int64', 'uint64', 'float64', 'string', 'bool'];
const COLUMN_TYPE_CODE: Record<ColumnType, number> = { tag: 1, time: 2, int64: 3, uint64: 4, float64: 5, string: 6, bool: 7 };

/** Header fields of a WAL file. */
export interface WalFileHeader {
  formatVersion: number;
  nodeId: string;
  writerEpoch: bigint;
  walFileSequenceNumber: number;
  putId: Uint8Array;
  payloadLength: number;
  payloadCrc32: number;
}

/** What {@link encodeWalFile} needs besides the encoded ops. */
export interface WalFileMeta {
  nodeId: string;
  writerEpoch: bigint;
  walFileSequenceNumber: number;
  putId: Uint8Array;
  persistTimestampMs: number;
  minTimestampNs: bigint;
  maxTimestampNs: bigint;
  snapshot?: SnapshotDetails;
}

// ---- encoding -----------------------------------------------------------------------------------

/** A growable little-endian byte writer over one reused scratch buffer. */
class Writer {
  buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  pos = 0;

  ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  i64(v: bigint): void {
    this.view.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }
  u64(v: bigint): void {
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }
  f64(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  /** Copies out what was written since `start`. */
  copyFrom(start: number): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, start, this.pos);
  }

  /** Gives back a scratch buffer one huge op grew, so it does not pin that memory. */
  shrink(): void {
    if (this.buf.length > 16 * 1024 * 1024) {
      this.buf = Buffer.allocUnsafe(64 * 1024);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
  }
}

const scratch = new Writer();

/** Interns the strings of one op record; the table is written after the op's body. */
class StringTable {
  readonly indexOf = new Map<string, number>();
  readonly strings: string[] = [];

  ref(s: unknown, what: string): number {
    if (typeof s !== 'string') throw new InvalidWalOpError(`${what} must be a string, got ${typeof s}`);
    let index = this.indexOf.get(s);
    if (index === undefined) {
      index = this.strings.length;
      this.strings.push(s);
      this.indexOf.set(s, index);
    }
    return index;
  }

  write(w: Writer): void {
    w.ensure(4);
    w.u32(this.strings.length);
    for (const s of this.strings) {
      w.ensure(4 + s.length * 3);
      const written = w.buf.write(s, w.pos + 4, 'utf8');
      w.view.setUint32(w.pos, written, true);
      w.pos += 4 + written;
    }
  }
}

function checkU32(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new InvalidWalOpError(`${what} must be an integer in [0, 2^32), got ${String(v)}`);
  }
  return v;
}

function checkI64(v: unknown, what: string): bigint {
  if (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX) throw new InvalidWalOpError(`${what} must be an int64 bigint, got ${String(v)}`);
  return v;
}

/**
 * Encodes one op into a self-contained record. Done once per op when it is buffered, so the
 * buffer knows its exact size and a bad op fails alone (InvalidWalOpError), not the flush.
 */
export function encodeOp(op: WalOp): Uint8Array {
  const w = scratch;
  w.pos = 0;
  w.ensure(5);
  switch (op.kind) {
    case 'write':
      w.u8(OP_WRITE);
      w.u32(0); // body length, patched below
      encodeWriteBatch(w, op.batch);
      break;
    case 'catalog':
      w.u8(OP_CATALOG);
      w.u32(0);
      encodeCatalogBatch(w, op.batch);
      break;
    case 'noop':
      w.u8(OP_NOOP);
      w.u32(8);
      w.ensure(8);
      w.i64(checkI64(op.timestampNs, 'noop timestamp'));
      break;
    default:
      throw new InvalidWalOpError(`unknown op kind ${String((op as { kind: unknown }).kind)}`);
  }
  if (w.pos - 5 > 0xffff_ffff) throw new InvalidWalOpError('op larger than 4 GiB');
  w.view.setUint32(1, w.pos - 5, true);
  const record = w.copyFrom(0);
  w.shrink();
  return record;
}

function encodeWriteBatch(w: Writer, batch: WriteBatch): void {
  const strings = new StringTable();
  w.ensure(32);
  w.u32(checkU32(batch.databaseId, 'databaseId'));
  w.u32(strings.ref(batch.databaseName, 'databaseName'));
  w.i64(checkI64(batch.minTimeNs, 'batch minTimeNs'));
  w.i64(checkI64(batch.maxTimeNs, 'batch maxTimeNs'));
  const stringTableOffsetAt = w.pos;
  w.u32(0); // offset of the string table from the body start, patched below
  w.u32(batch.tableChunks.size);
  for (const [tableId, chunks] of batch.tableChunks) {
    w.ensure(24);
    w.u32(checkU32(tableId, 'tableId'));
    w.i64(checkI64(chunks.minTimeNs, 'table minTimeNs'));
    w.i64(checkI64(chunks.maxTimeNs, 'table maxTimeNs'));
    w.u32(chunks.chunkTimeToChunk.size);
    for (const [chunkTime, chunk] of chunks.chunkTimeToChunk) encodeChunk(w, checkI64(chunkTime, 'chunk time'), chunk, strings);
  }
  w.view.setUint32(stringTableOffsetAt, w.pos - 5, true);
  strings.write(w);
}

/** Copies the first `byteLength` bytes of a typed array into the writer. */
function copyBytes(w: Writer, array: ArrayBufferView, byteLength: number): void {
  w.ensure(byteLength);
  w.buf.set(new Uint8Array(array.buffer, array.byteOffset, byteLength), w.pos);
  w.pos += byteLength;
}

function encodeChunk(w: Writer, chunkTimeNs: bigint, chunk: TableChunk, strings: StringTable): void {
  const n = chunk.rowCount;
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new InvalidWalOpError(`row count must be an integer in [0, 2^32), got ${String(n)}`);
  if (!(chunk.timeNs instanceof BigInt64Array) || chunk.timeNs.length < n) throw new InvalidWalOpError(`chunk ${chunkTimeNs}: timeNs must be a BigInt64Array of at least ${n} values`);
  w.ensure(12);
  w.i64(chunkTimeNs);
  w.u32(n);
  copyBytes(w, chunk.timeNs, n * 8);
  w.ensure(4);
  w.u32(chunk.columns.size);
  const validityBytes = (n + 7) >> 3;
  for (const [columnId, column] of chunk.columns) {
    w.ensure(6);
    w.u32(checkU32(columnId, 'column id'));
    w.u8(column.kind);
    const validity = column.validity;
    if (validity === undefined) {
      w.u8(0);
    } else {
      if (!(validity instanceof Uint8Array) || validity.length < validityBytes) throw new InvalidWalOpError(`column ${columnId}: validity must be a Uint8Array of ${validityBytes} bytes`);
      w.u8(1);
      copyBytes(w, validity, validityBytes);
    }
    switch (column.kind) {
      case FieldKind.Int64:
        if (!(column.values instanceof BigInt64Array) || column.values.length < n) throw new InvalidWalOpError(`column ${columnId}: int64 values must be a BigInt64Array of ${n}`);
        copyBytes(w, column.values, n * 8);
        break;
      case FieldKind.UInt64:
        if (!(column.values instanceof BigUint64Array) || column.values.length < n) throw new InvalidWalOpError(`column ${columnId}: uint64 values must be a BigUint64Array of ${n}`);
        copyBytes(w, column.values, n * 8);
        break;
      case FieldKind.Float64:
        if (!(column.values instanceof Float64Array) || column.values.length < n) throw new InvalidWalOpError(`column ${columnId}: float64 values must be a Float64Array of ${n}`);
        copyBytes(w, column.values, n * 8);
        break;
      case FieldKind.Boolean: {
        const values = column.values;
        if (!(values instanceof Uint8Array) || values.length < n) throw new InvalidWalOpError(`column ${columnId}: boolean values must be a Uint8Array of ${n}`);
        for (let r = 0; r < n; r++) if (values[r]! > 1 && isValid(validity, r)) throw new InvalidWalOpError(`column ${columnId}: boolean value ${values[r]} at row ${r}`);
        w.ensure(n);
        for (let r = 0; r < n; r++) w.buf[w.pos + r] = values[r] === 1 ? 1 : 0;
        w.pos += n;
        break;
      }
      case FieldKind.Tag:
      case FieldKind.String: {
        const { indices, dictionary } = column;
        if (!(indices instanceof Uint32Array) || indices.length < n) throw new InvalidWalOpError(`column ${columnId}: string indices must be a Uint32Array of ${n}`);
        // translate the column's dictionary into the record's string table once, not per row
        const toRecord = new Uint32Array(dictionary.length);
        for (let i = 0; i < dictionary.length; i++) toRecord[i] = strings.ref(dictionary[i], `column ${columnId}`);
        w.ensure(n * 4);
        const view = w.view;
        let pos = w.pos;
        for (let r = 0; r < n; r++) {
          const local = indices[r]!;
          if (local >= dictionary.length) {
            if (isValid(validity, r)) throw new InvalidWalOpError(`column ${columnId}: row ${r} refers to string ${local} of ${dictionary.length}`);
            view.setUint32(pos, 0, true);
          } else {
            view.setUint32(pos, toRecord[local]!, true);
          }
          pos += 4;
        }
        w.pos = pos;
        break;
      }
      default:
        throw new InvalidWalOpError(`unknown field kind ${String((column as { kind: unknown }).kind)} for column ${columnId}`);
    }
  }
}

function encodeColumns(w: Writer, columns: readonly ColumnDefinition[], strings: StringTable): void {
  w.ensure(4 + columns.length * 9);
  w.u32(columns.length);
  for (const c of columns) {
    w.u32(checkU32(c.id, 'column id'));
    w.u32(strings.ref(c.name, 'column name'));
    const code = COLUMN_TYPE_CODE[c.type];
    if (code === undefined) throw new InvalidWalOpError(`unknown column type ${String(c.type)}`);
    w.u8(code);
  }
}

function encodeIds(w: Writer, ids: readonly number[], what: string): void {
  if (!Array.isArray(ids)) throw new InvalidWalOpError(`${what}s must be an array`);
  w.ensure(4 + ids.length * 4);
  w.u32(ids.length);
  for (const id of ids) w.u32(checkU32(id, what));
}

/** The start every cache op shares: its kind, then the table (id and name) and the cache's name. */
function encodeCacheRef(w: Writer, strings: StringTable, code: number, tableId: number, tableName: string, name: string): void {
  w.u8(code);
  w.u32(checkU32(tableId, 'tableId'));
  w.u32(strings.ref(tableName, 'tableName'));
  w.u32(strings.ref(name, 'cache name'));
}

/** A whole number of seconds (or a count) as a u64: non-negative and a safe integer. */
function checkSafeU64(v: unknown, what: string): bigint {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidWalOpError(`${what} must be a non-negative safe integer, got ${String(v)}`);
  return BigInt(v);
}

function encodeCatalogBatch(w: Writer, batch: CatalogBatch): void {
  const strings = new StringTable();
  w.ensure(24);
  w.u32(checkU32(batch.databaseId, 'databaseId'));
  w.u32(strings.ref(batch.databaseName, 'databaseName'));
  w.i64(checkI64(batch.timeNs, 'catalog batch time'));
  const stringTableOffsetAt = w.pos;
  w.u32(0);
  w.u32(batch.ops.length);
  for (const op of batch.ops) {
    w.ensure(32);
    switch (op.kind) {
      case 'createDatabase':
        w.u8(CATALOG_CREATE_DATABASE);
        break;
      case 'createTable':
      case 'addColumns':
        w.u8(op.kind === 'createTable' ? CATALOG_CREATE_TABLE : CATALOG_ADD_COLUMNS);
        w.u32(checkU32(op.tableId, 'tableId'));
        w.u32(strings.ref(op.tableName, 'tableName'));
        encodeColumns(w, op.columns, strings);
        break;
      case 'deleteDatabase':
        w.u8(CATALOG_DELETE_DATABASE);
        w.i64(checkI64(op.deletionTimeNs, 'deletion time'));
        break;
      case 'deleteTable':
        w.u8(CATALOG_DELETE_TABLE);
        w.u32(checkU32(op.tableId, 'tableId'));
        w.u32(strings.ref(op.tableName, 'tableName'));
        w.i64(checkI64(op.deletionTimeNs, 'deletion time'));
        break;
      case 'setRetentionPeriod':
        if (op.retentionPeriodNs < 0n) throw new InvalidWalOpError(`retention period ${op.retentionPeriodNs} ns is negative`);
        w.u8(CATALOG_SET_RETENTION_PERIOD);
        w.i64(checkI64(op.retentionPeriodNs, 'retention period'));
        break;
      case 'createLastCache': {
        const c = op.cache;
        encodeCacheRef(w, strings, CATALOG_CREATE_LAST_CACHE, c.tableId, c.tableName, c.name);
        encodeIds(w, c.keyColumnIds, 'key column id');
        w.ensure(1);
        if (c.valueColumnIds === undefined) {
          w.u8(0);
        } else {
          w.u8(1);
          encodeIds(w, c.valueColumnIds, 'value column id');
        }
        w.ensure(12);
        w.u32(checkU32(c.count, 'last cache count'));
        w.u64(checkSafeU64(c.ttlSeconds, 'last cache ttl'));
        break;
      }
      case 'createDistinctCache': {
        const c = op.cache;
        encodeCacheRef(w, strings, CATALOG_CREATE_DISTINCT_CACHE, c.tableId, c.tableName, c.name);
        encodeIds(w, c.columnIds, 'column id');
        w.ensure(16);
        w.u64(checkSafeU64(c.maxCardinality, 'max cardinality'));
        w.u64(checkSafeU64(c.maxAgeSeconds, 'max age'));
        break;
      }
      case 'deleteLastCache':
      case 'deleteDistinctCache':
        encodeCacheRef(w, strings, op.kind === 'deleteLastCache' ? CATALOG_DELETE_LAST_CACHE : CATALOG_DELETE_DISTINCT_CACHE, op.tableId, op.tableName, op.cacheName);
        break;
      default:
        throw new InvalidWalOpError(`unknown catalog op ${String((op as { kind: unknown }).kind)}`);
    }
  }
  w.view.setUint32(stringTableOffsetAt, w.pos - 5, true);
  strings.write(w);
}

/**
 * A buffer a single flusher reuses for every file it assembles: a fresh multi-megabyte buffer
 * per flush costs more in page faults than the copy into it.
 */
export interface FileBufferHolder {
  buffer: Buffer | undefined;
}

/**
 * Assembles a WAL file from already-encoded op records: one copy and two CRCs, no re-encoding.
 * With `reuse`, the result is a view into the holder's buffer, valid until the next call.
 */
export function encodeWalFile(meta: WalFileMeta, encodedOps: readonly Uint8Array[], reuse?: FileBufferHolder): Uint8Array {
  const nodeId = Buffer.from(meta.nodeId, 'utf8');
  if (nodeId.length === 0 || nodeId.length > MAX_NODE_ID_BYTES) throw new InvalidWalOpError(`node id must be 1–${MAX_NODE_ID_BYTES} bytes`);
  if (meta.putId.length !== PUT_ID_BYTES) throw new InvalidWalOpError(`put id must be ${PUT_ID_BYTES} bytes`);
  if (!Number.isSafeInteger(meta.walFileSequenceNumber) || meta.walFileSequenceNumber < 1) throw new InvalidWalOpError('WAL file sequence number must be a positive safe integer');
  if (encodedOps.length > 0xffff_ffff) throw new InvalidWalOpError('too many ops in one file');
  const headerLength = HEADER_FIXED_BYTES + nodeId.length + 4;
  const snapshotBytes = meta.snapshot === undefined ? 0 : 33;
  let opBytes = 0;
  for (const op of encodedOps) opBytes += op.length;
  const payloadLength = 25 + snapshotBytes + 4 + opBytes;
  if (payloadLength > 0xffff_ffff) throw new InvalidWalOpError('WAL file payload larger than 4 GiB');

  const totalLength = headerLength + payloadLength;
  let out: Buffer;
  if (reuse === undefined) {
    out = Buffer.allocUnsafe(totalLength);
  } else {
    if (reuse.buffer === undefined || reuse.buffer.length < totalLength) reuse.buffer = Buffer.allocUnsafeSlow(Math.max(totalLength, 2 * (reuse.buffer?.length ?? 0)));
    out = reuse.buffer.subarray(0, totalLength);
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // payload first, so its CRC can go into the header
  let p = headerLength;
  view.setBigInt64(p, BigInt(meta.persistTimestampMs), true);
  view.setBigInt64(p + 8, checkI64(meta.minTimestampNs, 'file minTimestampNs'), true);
  view.setBigInt64(p + 16, checkI64(meta.maxTimestampNs, 'file maxTimestampNs'), true);
  p += 24;
  const s = meta.snapshot;
  if (s === undefined) {
    out[p++] = 0;
  } else {
    out[p++] = 1;
    view.setBigUint64(p, BigInt(s.snapshotSequenceNumber), true);
    view.setBigInt64(p + 8, checkI64(s.endTimeMarkerNs, 'end time marker'), true);
    view.setBigUint64(p + 16, BigInt(s.firstWalSequenceNumber), true);
    view.setBigUint64(p + 24, BigInt(s.lastWalSequenceNumber), true);
    out[p + 32] = s.forced ? 1 : 0;
    p += 33;
  }
  view.setUint32(p, encodedOps.length, true);
  p += 4;
  for (const op of encodedOps) {
    out.set(op, p);
    p += op.length;
  }

  out.set(WAL_MAGIC, 0);
  view.setUint16(8, FORMAT_VERSION, true);
  view.setUint16(10, headerLength, true);
  view.setUint32(12, payloadLength, true);
  view.setUint32(16, crc32(out.subarray(headerLength)), true);
  view.setUint32(20, 0, true); // flags
  view.setBigUint64(24, BigInt(meta.walFileSequenceNumber), true);
  view.setBigUint64(32, BigInt.asUintN(64, meta.writerEpoch), true);
  out.set(meta.putId, 40);
  view.setUint16(56, nodeId.length, true);
  out.set(nodeId, HEADER_FIXED_BYTES);
  view.setUint32(headerLength - 4, crc32(out.subarray(0, headerLength - 4)), true);
  return out;
}

/** Encodes whole contents (for tests and tools): {@link encodeWalFile} over {@link encodeOp} of each op. */
export function encodeWalContents(contents: WalContents, header: { nodeId: string; writerEpoch: bigint; putId: Uint8Array }): Uint8Array {
  return encodeWalFile(
    {
      ...header,
      walFileSequenceNumber: contents.walFileNumber,
      persistTimestampMs: contents.persistTimestampMs,
      minTimestampNs: contents.minTimestampNs,
      maxTimestampNs: contents.maxTimestampNs,
      ...(contents.snapshot === undefined ? {} : { snapshot: contents.snapshot }),
    },
    contents.ops.map(encodeOp),
  );
}

// ---- decoding -----------------------------------------------------------------------------------

/** A bounds-checked little-endian reader; every overrun is a CorruptWalFileError. */
class Reader {
  readonly view: DataView;
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    public end: number,
    readonly source: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  fail(reason: string, at = this.pos): never {
    throw new CorruptWalFileError(this.source, reason, at);
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) this.fail(`${what} runs past the end of its record`);
  }

  /** Checks that `count` elements of at least `minBytes` each can fit before allocating for them. */
  count(what: string, minBytes: number): number {
    const n = this.u32(what);
    if (n * minBytes > this.end - this.pos) this.fail(`${what} ${n} cannot fit in the ${this.end - this.pos} bytes left`);
    return n;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  safeU64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is too large`);
    this.pos += 8;
    return Number(v);
  }
  bool(what: string): boolean {
    const v = this.u8(what);
    if (v > 1) this.fail(`${what} is ${v}, not 0 or 1`, this.pos - 1);
    return v === 1;
  }
}

function readStringTable(r: Reader, tableStart: number, recordEnd: number): string[] {
  const saved = r.pos;
  r.pos = tableStart;
  const n = r.count('string count', 4);
  const strings: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const len = r.u32('string length');
    r.need(len, 'string');
    strings[i] = r.buf.toString('utf8', r.pos, r.pos + len);
    r.pos += len;
  }
  if (r.pos !== recordEnd) r.fail('bytes left over after the string table');
  r.pos = saved;
  return strings;
}

function stringAt(r: Reader, strings: readonly string[], what: string): string {
  const index = r.u32(what);
  const s = strings[index];
  if (s === undefined) r.fail(`${what} refers to string ${index} of ${strings.length}`, r.pos - 4);
  return s;
}

/** Positions the reader at the body; returns where the string table starts (the body ends there). */
function openStringTable(r: Reader, bodyStart: number, recordEnd: number): number {
  const offset = r.u32('string table offset');
  const tableStart = bodyStart + offset;
  if (offset < 0 || tableStart < r.pos || tableStart > recordEnd) r.fail(`string table offset ${offset} is outside its record`, r.pos - 4);
  return tableStart;
}

/**
 * Reads a record's string table (through the offset field the reader is at) and its database
 * name (whose index sits at `nameAt`); leaves the reader after the offset field, bounded by the
 * string table.
 */
function readRecordStrings(r: Reader, bodyStart: number, recordEnd: number, nameAt: number): { strings: string[]; databaseName: string; tableStart: number } {
  const tableStart = openStringTable(r, bodyStart, recordEnd);
  const strings = readStringTable(r, tableStart, recordEnd);
  const afterHeader = r.pos;
  r.pos = nameAt;
  const databaseName = stringAt(r, strings, 'databaseName');
  r.pos = afterHeader;
  r.end = tableStart;
  return { strings, databaseName, tableStart };
}

/** Checks the record's body ended exactly at its string table and moves past the record. */
function closeRecord(r: Reader, tableStart: number, recordEnd: number): void {
  if (r.pos !== tableStart) r.fail('bytes left over before the string table');
  r.end = recordEnd;
  r.pos = recordEnd;
}

function decodeWriteBatch(r: Reader, recordEnd: number, bodyStart: number): WriteBatch {
  const databaseId = r.u32('databaseId');
  const nameAt = r.pos;
  r.u32('databaseName');
  const minTimeNs = r.i64('batch minTimeNs');
  const maxTimeNs = r.i64('batch maxTimeNs');
  const { strings, databaseName, tableStart } = readRecordStrings(r, bodyStart, recordEnd, nameAt);

  const tableChunks = new Map<number, TableChunks>();
  const tableCount = r.count('table count', 24);
  for (let t = 0; t < tableCount; t++) {
    const tableId = r.u32('tableId');
    const tMin = r.i64('table minTimeNs');
    const tMax = r.i64('table maxTimeNs');
    const chunkCount = r.count('chunk count', 16);
    const chunkTimeToChunk = new Map<bigint, TableChunk>();
    for (let c = 0; c < chunkCount; c++) {
      const chunkTime = r.i64('chunk time');
      if (chunkTimeToChunk.has(chunkTime)) r.fail(`chunk time ${chunkTime} appears twice in table ${tableId}`);
      chunkTimeToChunk.set(chunkTime, decodeChunk(r, strings));
    }
    if (tableChunks.has(tableId)) r.fail(`table ${tableId} appears twice in one batch`);
    tableChunks.set(tableId, { minTimeNs: tMin, maxTimeNs: tMax, chunkTimeToChunk });
  }
  closeRecord(r, tableStart, recordEnd);
  return { databaseId, databaseName, tableChunks, minTimeNs, maxTimeNs };
}

/** Copies `count` little-endian 8-byte values into a new typed array (one memcpy). */
function readArray8<T extends BigInt64Array | BigUint64Array | Float64Array>(r: Reader, make: new (n: number) => T, count: number, what: string): T {
  r.need(count * 8, what);
  const out = new make(count);
  new Uint8Array(out.buffer).set(r.buf.subarray(r.pos, r.pos + count * 8));
  r.pos += count * 8;
  return out;
}

function decodeChunk(r: Reader, strings: readonly string[]): TableChunk {
  const n = r.u32('row count');
  if (n * 8 > r.end - r.pos) r.fail(`row count ${n} cannot fit in the ${r.end - r.pos} bytes left`, r.pos - 4);
  const timeNs = readArray8(r, BigInt64Array, n, 'row times');
  const columnCount = r.count('column count', 6);
  const columns = new Map<number, ColumnData>();
  const validityBytes = (n + 7) >> 3;
  for (let c = 0; c < columnCount; c++) {
    const columnId = r.u32('column id');
    const kind = r.u8('field kind');
    let validity: Uint8Array | undefined;
    if (r.bool('validity flag')) {
      r.need(validityBytes, 'validity bitmap');
      validity = Uint8Array.prototype.slice.call(r.buf, r.pos, r.pos + validityBytes);
      r.pos += validityBytes;
    }
    let column: ColumnData;
    switch (kind) {
      case FieldKind.Int64:
        column = { kind, values: readArray8(r, BigInt64Array, n, 'int64 values') };
        break;
      case FieldKind.UInt64:
        column = { kind, values: readArray8(r, BigUint64Array, n, 'uint64 values') };
        break;
      case FieldKind.Float64:
        column = { kind, values: readArray8(r, Float64Array, n, 'float64 values') };
        break;
      case FieldKind.Boolean: {
        r.need(n, 'boolean values');
        const values = Uint8Array.prototype.slice.call(r.buf, r.pos, r.pos + n);
        for (let i = 0; i < n; i++) if (values[i]! > 1) r.fail(`boolean value ${values[i]}`, r.pos + i);
        r.pos += n;
        column = { kind, values };
        break;
      }
      case FieldKind.Tag:
      case FieldKind.String: {
        r.need(n * 4, 'string indices');
        const indices = new Uint32Array(n);
        new Uint8Array(indices.buffer).set(r.buf.subarray(r.pos, r.pos + n * 4));
        const stringCount = strings.length;
        for (let i = 0; i < n; i++) {
          if (indices[i]! >= stringCount && isValid(validity, i)) r.fail(`row ${i} refers to string ${indices[i]} of ${stringCount}`, r.pos + i * 4);
        }
        r.pos += n * 4;
        column = { kind, indices, dictionary: strings as string[] };
        break;
      }
      default:
        r.fail(`unknown field kind ${kind}`, r.pos - 1);
    }
    if (validity !== undefined) column.validity = validity;
    if (columns.has(columnId)) r.fail(`column ${columnId} appears twice in one chunk`);
    columns.set(columnId, column);
  }
  return { rowCount: n, timeNs, columns };
}

function decodeColumns(r: Reader, strings: readonly string[]): ColumnDefinition[] {
  const n = r.count('column count', 9);
  const columns: ColumnDefinition[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const id = r.u32('column id');
    const name = stringAt(r, strings, 'column name');
    const code = r.u8('column type');
    const type = COLUMN_TYPES[code - 1];
    if (type === undefined) r.fail(`unknown column type ${code}`, r.pos - 1);
    columns[i] = { id, name, type };
  }
  return columns;
}

/** The table (id and name) and cache name every cache op starts with (after its kind). */
function decodeCacheRef(r: Reader, strings: readonly string[]): { tableId: number; tableName: string; name: string } {
  const tableId = r.u32('tableId');
  const tableName = stringAt(r, strings, 'tableName');
  return { tableId, tableName, name: stringAt(r, strings, 'cache name') };
}

function decodeIds(r: Reader, what: string): number[] {
  const n = r.count(`${what} count`, 4);
  const ids: number[] = new Array(n);
  for (let i = 0; i < n; i++) ids[i] = r.u32(what);
  return ids;
}

function decodeCatalogBatch(r: Reader, recordEnd: number, bodyStart: number, formatVersion: number): CatalogBatch {
  const databaseId = r.u32('databaseId');
  const nameAt = r.pos;
  r.u32('databaseName');
  const timeNs = r.i64('catalog batch time');
  const { strings, databaseName, tableStart } = readRecordStrings(r, bodyStart, recordEnd, nameAt);
  const n = r.count('catalog op count', 1);
  const ops: CatalogOp[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const code = r.u8('catalog op kind');
    const since = CATALOG_OP_SINCE_VERSION[code];
    if (since !== undefined && formatVersion < since) r.fail(`catalog op kind ${code} in a version ${formatVersion} file (it came with version ${since})`, r.pos - 1);
    switch (code) {
      case CATALOG_CREATE_DATABASE:
        ops[i] = { kind: 'createDatabase' };
        break;
      case CATALOG_CREATE_TABLE:
      case CATALOG_ADD_COLUMNS: {
        const tableId = r.u32('tableId');
        const tableName = stringAt(r, strings, 'tableName');
        const columns = decodeColumns(r, strings);
        ops[i] = { kind: code === CATALOG_CREATE_TABLE ? 'createTable' : 'addColumns', tableId, tableName, columns };
        break;
      }
      case CATALOG_DELETE_DATABASE:
        ops[i] = { kind: 'deleteDatabase', deletionTimeNs: r.i64('deletion time') };
        break;
      case CATALOG_DELETE_TABLE: {
        const tableId = r.u32('tableId');
        const tableName = stringAt(r, strings, 'tableName');
        ops[i] = { kind: 'deleteTable', tableId, tableName, deletionTimeNs: r.i64('deletion time') };
        break;
      }
      case CATALOG_SET_RETENTION_PERIOD: {
        const at = r.pos;
        const retentionPeriodNs = r.i64('retention period');
        if (retentionPeriodNs < 0n) r.fail(`negative retention period ${retentionPeriodNs}`, at);
        ops[i] = { kind: 'setRetentionPeriod', retentionPeriodNs };
        break;
      }
      case CATALOG_CREATE_LAST_CACHE: {
        const { tableId, tableName, name } = decodeCacheRef(r, strings);
        const keyColumnIds = decodeIds(r, 'key column id');
        const valueColumnIds = r.bool('value columns flag') ? decodeIds(r, 'value column id') : undefined;
        const count = r.u32('last cache count');
        const ttlSeconds = r.safeU64('last cache ttl');
        ops[i] = { kind: 'createLastCache', cache: { tableId, tableName, name, keyColumnIds, valueColumnIds, count, ttlSeconds } };
        break;
      }
      case CATALOG_CREATE_DISTINCT_CACHE: {
        const { tableId, tableName, name } = decodeCacheRef(r, strings);
        const columnIds = decodeIds(r, 'column id');
        const maxCardinality = r.safeU64('max cardinality');
        const maxAgeSeconds = r.safeU64('max age');
        ops[i] = { kind: 'createDistinctCache', cache: { tableId, tableName, name, columnIds, maxCardinality, maxAgeSeconds } };
        break;
      }
      case CATALOG_DELETE_LAST_CACHE:
      case CATALOG_DELETE_DISTINCT_CACHE: {
        const { tableId, tableName, name: cacheName } = decodeCacheRef(r, strings);
        ops[i] = { kind: code === CATALOG_DELETE_LAST_CACHE ? 'deleteLastCache' : 'deleteDistinctCache', tableId, tableName, cacheName };
        break;
      }
      default:
        r.fail(`unknown catalog op kind ${code}`, r.pos - 1);
    }
  }
  closeRecord(r, tableStart, recordEnd);
  return { databaseId, databaseName, timeNs, ops };
}

function decodeOp(r: Reader, payloadEnd: number, formatVersion: number): WalOp {
  const kind = r.u8('op kind');
  const bodyLength = r.u32('op length');
  const bodyStart = r.pos;
  if (bodyLength > payloadEnd - bodyStart) r.fail(`op length ${bodyLength} runs past the end of the file`, bodyStart - 4);
  const recordEnd = bodyStart + bodyLength;
  r.end = recordEnd;
  let op: WalOp;
  switch (kind) {
    case OP_WRITE:
      op = { kind: 'write', batch: decodeWriteBatch(r, recordEnd, bodyStart) };
      break;
    case OP_CATALOG:
      op = { kind: 'catalog', batch: decodeCatalogBatch(r, recordEnd, bodyStart, formatVersion) };
      break;
    case OP_NOOP:
      op = { kind: 'noop', timestampNs: r.i64('noop timestamp') };
      break;
    default:
      r.fail(`unknown op kind ${kind}`, bodyStart - 5);
  }
  if (r.pos !== recordEnd) r.fail('op record length does not match its contents', r.pos);
  r.end = payloadEnd;
  return op;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes and verifies only the header (magic, version, its own checksum). */
export function decodeWalFileHeader(bytes: Uint8Array, source: string): WalFileHeader {
  const buf = asBuffer(bytes);
  if (buf.length < HEADER_FIXED_BYTES + 1 + 4) throw new CorruptWalFileError(source, `file is ${buf.length} bytes, shorter than any WAL header`);
  if (!buf.subarray(0, 8).equals(WAL_MAGIC)) throw new CorruptWalFileError(source, 'not a Sluice WAL file (bad magic)', 0);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const formatVersion = view.getUint16(8, true);
  if (!READABLE_FORMAT_VERSIONS.includes(formatVersion)) throw new CorruptWalFileError(source, `unsupported format version ${formatVersion} (this build reads ${READABLE_FORMAT_VERSIONS.slice(0, -1).join(', ')} and ${READABLE_FORMAT_VERSIONS.at(-1)})`, 8);
  const headerLength = view.getUint16(10, true);
  const nodeIdLength = view.getUint16(56, true);
  if (headerLength !== HEADER_FIXED_BYTES + nodeIdLength + 4 || nodeIdLength === 0 || nodeIdLength > MAX_NODE_ID_BYTES) {
    throw new CorruptWalFileError(source, `header length ${headerLength} does not match node id length ${nodeIdLength}`, 10);
  }
  if (headerLength > buf.length) throw new CorruptWalFileError(source, `header of ${headerLength} bytes runs past the end of the ${buf.length}-byte file`, 10);
  const storedCrc = view.getUint32(headerLength - 4, true);
  if (crc32(buf.subarray(0, headerLength - 4)) !== storedCrc) throw new CorruptWalFileError(source, 'header checksum mismatch', headerLength - 4);
  if (view.getUint32(20, true) !== 0) throw new CorruptWalFileError(source, 'unknown header flags', 20);
  const seq = view.getBigUint64(24, true);
  if (seq < 1n || seq > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptWalFileError(source, `WAL file sequence number ${seq} out of range`, 24);
  return {
    formatVersion,
    nodeId: buf.toString('utf8', HEADER_FIXED_BYTES, HEADER_FIXED_BYTES + nodeIdLength),
    writerEpoch: view.getBigUint64(32, true),
    walFileSequenceNumber: Number(seq),
    putId: Uint8Array.prototype.slice.call(buf, 40, 56),
    payloadLength: view.getUint32(12, true),
    payloadCrc32: view.getUint32(16, true),
  };
}

/**
 * Decodes and fully verifies a WAL file. Any damage — truncation, a flipped bit, a wrong length,
 * trailing bytes — is one CorruptWalFileError naming `source`; no length is trusted before it is
 * checked against the bytes present.
 */
export function decodeWalFile(bytes: Uint8Array, source: string): { header: WalFileHeader; contents: WalContents } {
  const buf = asBuffer(bytes);
  const header = decodeWalFileHeader(buf, source);
  const headerLength = HEADER_FIXED_BYTES + Buffer.byteLength(header.nodeId, 'utf8') + 4;
  const actualPayload = buf.length - headerLength;
  if (header.payloadLength !== actualPayload) {
    throw new CorruptWalFileError(source, `payload is ${actualPayload} bytes, the header says ${header.payloadLength} (truncated or extended)`, 12);
  }
  if (crc32(buf.subarray(headerLength)) !== header.payloadCrc32) throw new CorruptWalFileError(source, 'payload checksum mismatch', headerLength);

  const r = new Reader(buf, headerLength, buf.length, source);
  const persistTimestamp = r.i64('persist timestamp');
  if (persistTimestamp < BigInt(Number.MIN_SAFE_INTEGER) || persistTimestamp > BigInt(Number.MAX_SAFE_INTEGER)) r.fail('persist timestamp out of range', r.pos - 8);
  const minTimestampNs = r.i64('min timestamp');
  const maxTimestampNs = r.i64('max timestamp');
  let snapshot: SnapshotDetails | undefined;
  if (r.bool('snapshot flag')) {
    snapshot = {
      snapshotSequenceNumber: r.safeU64('snapshot sequence number'),
      endTimeMarkerNs: r.i64('end time marker'),
      firstWalSequenceNumber: r.safeU64('first WAL sequence number'),
      lastWalSequenceNumber: r.safeU64('last WAL sequence number'),
      forced: r.bool('forced flag'),
    };
    if (snapshot.firstWalSequenceNumber > snapshot.lastWalSequenceNumber) r.fail('snapshot covers an empty range of WAL files');
  }
  const payloadEnd = buf.length;
  const opCount = r.count('op count', 5);
  const ops: WalOp[] = new Array(opCount);
  for (let i = 0; i < opCount; i++) ops[i] = decodeOp(r, payloadEnd, header.formatVersion);
  if (r.pos !== payloadEnd) r.fail('bytes left over after the last op');
  const contents: WalContents = {
    persistTimestampMs: Number(persistTimestamp),
    minTimestampNs,
    maxTimestampNs,
    walFileNumber: header.walFileSequenceNumber,
    ops,
    ...(snapshot === undefined ? {} : { snapshot }),
  };
  return { header, contents };
}
