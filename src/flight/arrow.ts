/**
 * Query answers as Arrow: a schema from the engine's column types (with InfluxDB 3's
 * `iox::column::type` field metadata), record batches built straight into typed arrays from the
 * engine's chunks, and both written as Arrow IPC messages split the way Flight carries them —
 * the flatbuffer `Message` as `data_header`, the body as `data_body`.
 *
 * Types: TIMESTAMP_NS (and the other timestamps) → Timestamp(ns) (UTC-zoned for TIMESTAMPTZ),
 * DOUBLE/FLOAT → Float64/Float32, signed and unsigned integers of every width → their Arrow
 * width (HUGEINT → Utf8), BOOLEAN → Bool, VARCHAR → Utf8 (never dictionary-encoded); any other
 * type is written as Utf8 text.
 */
import { engineItems, engineValidity, type EngineArray } from '../engine/raw-vectors.js';
import {
  Binary,
  Bool,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Table,
  TimeUnit,
  Timestamp,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  type Data,
  type DataType,
} from 'apache-arrow';
import type { DuckDBDataChunk, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { ColumnType } from '../wal/model.js';

/** A result column as the engine describes it (see QueryColumn). */
export interface ArrowColumnSource {
  name: string;
  type: string;
  tableColumnType?: ColumnType;
}

/** InfluxDB 3's name for each kind of table column (the `iox::column::type` metadata). */
const IOX_TYPE: Record<ColumnType, string> = {
  tag: 'iox::column_type::tag',
  time: 'iox::column_type::timestamp',
  float64: 'iox::column_type::field::float',
  int64: 'iox::column_type::field::integer',
  uint64: 'iox::column_type::field::uinteger',
  string: 'iox::column_type::field::string',
  bool: 'iox::column_type::field::boolean',
};

type Kind = 'ts' | 'f64' | 'f32' | 'i64' | 'u64' | 'i32' | 'u32' | 'i16' | 'u16' | 'i8' | 'u8' | 'bool' | 'utf8' | 'binary';

interface ColumnPlan {
  kind: Kind;
  type: DataType;
  /** Nanoseconds per unit of a timestamp value's bigint. */
  tsScale?: bigint;
}

function planOf(engineType: string): ColumnPlan {
  switch (engineType) {
    case 'TIMESTAMP_NS':
      return { kind: 'ts', type: new Timestamp(TimeUnit.NANOSECOND), tsScale: 1n };
    case 'TIMESTAMP':
      return { kind: 'ts', type: new Timestamp(TimeUnit.NANOSECOND), tsScale: 1_000n };
    case 'TIMESTAMP_MS':
      return { kind: 'ts', type: new Timestamp(TimeUnit.NANOSECOND), tsScale: 1_000_000n };
    case 'TIMESTAMP_S':
      return { kind: 'ts', type: new Timestamp(TimeUnit.NANOSECOND), tsScale: 1_000_000_000n };
    case 'TIMESTAMP WITH TIME ZONE':
      return { kind: 'ts', type: new Timestamp(TimeUnit.NANOSECOND, 'UTC'), tsScale: 1_000n };
    case 'DOUBLE':
      return { kind: 'f64', type: new Float64() };
    case 'FLOAT':
      return { kind: 'f32', type: new Float32() };
    case 'BIGINT':
      return { kind: 'i64', type: new Int64() };
    case 'UBIGINT':
      return { kind: 'u64', type: new Uint64() };
    case 'INTEGER':
      return { kind: 'i32', type: new Int32() };
    case 'UINTEGER':
      return { kind: 'u32', type: new Uint32() };
    case 'SMALLINT':
      return { kind: 'i16', type: new Int16() };
    case 'USMALLINT':
      return { kind: 'u16', type: new Uint16() };
    case 'TINYINT':
      return { kind: 'i8', type: new Int8() };
    case 'UTINYINT':
      return { kind: 'u8', type: new Uint8() };
    case 'BOOLEAN':
      return { kind: 'bool', type: new Bool() };
    case 'BLOB':
      return { kind: 'binary', type: new Binary() };
    default:
      return { kind: 'utf8', type: new Utf8() };
  }
}

/** Builds Arrow batches of one result's columns. */
export class ArrowResultBuilder {
  readonly schema: Schema;
  private readonly plans: ColumnPlan[];

  constructor(columns: readonly ArrowColumnSource[]) {
    this.plans = columns.map((c) => planOf(c.type));
    this.schema = new Schema(
      columns.map((c, i) => {
        const metadata = c.tableColumnType === undefined ? undefined : new Map([['iox::column::type', IOX_TYPE[c.tableColumnType]]]);
        // Time is never null in a table; everything else may be.
        return new Field(c.name, this.plans[i]!.type, c.tableColumnType !== 'time', metadata);
      }),
    );
  }

  /** One record batch from columns of values (as the engine's `getColumns()` gives them). */
  batch(columns: readonly (readonly DuckDBValue[])[], rowCount: number): RecordBatch {
    return this.assemble(this.plans.map((plan, i) => columnData(plan, columns[i]!, rowCount)), rowCount);
  }

  /**
   * One record batch from an engine chunk: fixed-width columns are copied from the engine's own
   * arrays (its validity words are Arrow's bitmap, byte for byte), strings written once as UTF-8.
   */
  chunkBatch(chunk: DuckDBDataChunk): RecordBatch {
    const n = chunk.rowCount;
    return this.assemble(this.plans.map((plan, i) => vectorData(plan, chunk.getColumnVector(i), n) ?? columnData(plan, chunk.getColumnVector(i).toArray(), n)), n);
  }

  private assemble(children: Data[], rowCount: number): RecordBatch {
    return recordBatch(this.schema, children, rowCount);
  }
}

/** A record batch of `schema` from its columns' data. */
export function recordBatch(schema: Schema, children: Data[], length: number): RecordBatch {
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}

const TYPED: Partial<Record<Kind, new (n: number) => EngineArray>> = {
  f64: Float64Array,
  f32: Float32Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
  i32: Int32Array,
  u32: Uint32Array,
  i16: Int16Array,
  u16: Uint16Array,
  i8: Int8Array,
  u8: Uint8Array,
};

/** The validity of `n` rows as an Arrow bitmap and its null count; undefined when the engine's is not readable. */
function validityOf(vector: DuckDBVector, n: number): { bitmap: Uint8Array | undefined; nullCount: number } | undefined {
  const bytes = engineValidity(vector, n);
  if (bytes === undefined) return undefined;
  if (bytes === null) return { bitmap: undefined, nullCount: 0 };
  let valid = 0;
  for (let i = 0; i < n; i++) valid += (bytes[i >> 3]! >> (i & 7)) & 1;
  return valid === n ? { bitmap: undefined, nullCount: 0 } : { bitmap: bytes.slice(), nullCount: n - valid };
}

/** What the engine's VARCHAR vector holds: 16-byte string headers (length; 12 inline bytes or a prefix and a pointer). */
interface RawStringVector {
  dataView?: unknown;
  itemOffset?: unknown;
}

/**
 * A VARCHAR column copied as the engine holds it, never decoded: each value's UTF-8 bytes read
 * from its 16-byte header (inline up to 12 bytes, else through its pointer). Undefined when the
 * vector is not laid out as expected.
 */
function stringBytesData(plan: ColumnPlan, raw: DuckDBVector, n: number, nullBitmap: Uint8Array | undefined, nullCount: number): Data | undefined {
  const { dataView: dv, itemOffset } = raw as unknown as RawStringVector;
  if (!(dv instanceof DataView) || itemOffset !== 0 || dv.byteLength < n * 16) return undefined;
  const bytes = new Uint8Array(dv.buffer, dv.byteOffset, n * 16);
  let total = 0;
  for (let i = 0; i < n; i++) if (nullBitmap === undefined || (nullBitmap[i >> 3]! >> (i & 7)) & 1) total += dv.getUint32(i * 16, true);
  const out = new Uint8Array(total);
  const offsets = new Int32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (nullBitmap === undefined || (nullBitmap[i >> 3]! >> (i & 7)) & 1) {
      const length = dv.getUint32(i * 16, true);
      if (length <= 12) for (let k = 0, from = i * 16 + 4; k < length; k++) out[at + k] = bytes[from + k]!;
      else out.set(duckdb.get_data_from_pointer(dv.buffer as ArrayBuffer, dv.byteOffset + i * 16 + 8, length), at);
      at += length;
    }
    offsets[i + 1] = at;
  }
  return makeData({ type: plan.type as Utf8, length: n, nullCount, nullBitmap, valueOffsets: offsets, data: out });
}

/** A column straight from an engine vector; undefined when it must go value by value. */
function vectorData(plan: ColumnPlan, vector: DuckDBVector, n: number): Data | undefined {
  const validity = validityOf(vector, n);
  if (validity === undefined) return undefined;
  const { bitmap: nullBitmap, nullCount } = validity;
  const Typed = TYPED[plan.kind];
  if (Typed !== undefined) {
    const items = engineItems(vector, Typed, n);
    if (items === undefined) return undefined;
    return makeData({ type: plan.type as Float64, length: n, nullCount, nullBitmap, data: items.slice() as Float64Array });
  }
  if (plan.kind === 'ts') {
    const items = engineItems(vector, BigInt64Array, n) as BigInt64Array | undefined;
    if (items === undefined) return undefined;
    const data = items.slice();
    const scale = plan.tsScale!;
    if (scale !== 1n) for (let i = 0; i < n; i++) data[i] = data[i]! * scale;
    return makeData({ type: plan.type as Timestamp, length: n, nullCount, nullBitmap, data });
  }
  // Strings not laid out as expected go value by value (columnData).
  if (plan.kind === 'utf8') return stringBytesData(plan, vector, n, nullBitmap, nullCount);
  return undefined;
}

function columnData(plan: ColumnPlan, values: readonly DuckDBValue[], n: number) {
  let nullCount = 0;
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    if (values[i] === null || values[i] === undefined) nullCount++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  const nullBitmap = nullCount === 0 ? undefined : bitmap;
  const type = plan.type;
  switch (plan.kind) {
    case 'ts': {
      const out = new BigInt64Array(n);
      const scale = plan.tsScale!;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) out[i] = timestampBigInt(v) * scale;
      }
      return makeData({ type: type as Timestamp, length: n, nullCount, nullBitmap, data: out });
    }
    case 'f64':
    case 'f32': {
      const out = plan.kind === 'f64' ? new Float64Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) out[i] = Number(v);
      }
      return makeData({ type: type as Float64, length: n, nullCount, nullBitmap, data: out as Float64Array });
    }
    case 'i64':
    case 'u64': {
      const out = plan.kind === 'i64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) out[i] = typeof v === 'bigint' ? v : BigInt(v as number);
      }
      return makeData({ type: type as Int64, length: n, nullCount, nullBitmap, data: out as BigInt64Array });
    }
    case 'i32':
    case 'u32':
    case 'i16':
    case 'u16':
    case 'i8':
    case 'u8': {
      const Ctor = { i32: Int32Array, u32: Uint32Array, i16: Int16Array, u16: Uint16Array, i8: Int8Array, u8: Uint8Array }[plan.kind];
      const out = new Ctor(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) out[i] = Number(v);
      }
      return makeData({ type: type as Int32, length: n, nullCount, nullBitmap, data: out as Int32Array });
    }
    case 'bool': {
      const out = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (values[i] === true) out[i >> 3]! |= 1 << (i & 7);
      return makeData({ type: type as Bool, length: n, nullCount, nullBitmap, data: out });
    }
    case 'binary':
    case 'utf8': {
      const encoder = new TextEncoder();
      const parts: Uint8Array[] = [];
      const offsets = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) {
          const bytes = plan.kind === 'binary' && hasBytes(v) ? v.bytes : encoder.encode(typeof v === 'string' ? v : String(v));
          parts.push(bytes);
          total += bytes.length;
        }
        offsets[i + 1] = total;
      }
      const data = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        data.set(p, at);
        at += p.length;
      }
      return makeData({ type: type as Utf8, length: n, nullCount, nullBitmap, valueOffsets: offsets, data });
    }
  }
}

function hasBytes(v: unknown): v is { bytes: Uint8Array } {
  return typeof v === 'object' && v !== null && (v as { bytes?: unknown }).bytes instanceof Uint8Array;
}

/** The integer of an engine timestamp value in its own unit (ns, µs, ms or s). */
function timestampBigInt(v: DuckDBValue): bigint {
  const o = v as { nanos?: bigint; micros?: bigint; millis?: bigint; seconds?: bigint };
  if (typeof o.nanos === 'bigint') return o.nanos;
  if (typeof o.micros === 'bigint') return o.micros;
  if (typeof o.millis === 'bigint') return o.millis;
  if (typeof o.seconds === 'bigint') return o.seconds;
  if (typeof v === 'bigint') return v;
  throw new TypeError(`not a timestamp: ${String(v)}`);
}

/** One Arrow IPC message as Flight carries it. */
export interface IpcMessage {
  header: Uint8Array;
  body: Uint8Array;
}

/** The schema as one IPC message (no body). */
export function schemaMessage(schema: Schema): IpcMessage {
  return splitStream(RecordBatchStreamWriter.writeAll(new Table(schema)).toUint8Array(true))[0]!;
}

/** The schema as IPC bytes, as `FlightInfo.schema` and `SchemaResult` hold it (an encapsulated message). */
export function schemaBytes(schema: Schema): Uint8Array {
  const bytes = RecordBatchStreamWriter.writeAll(new Table(schema)).toUint8Array(true);
  // Everything but the end-of-stream marker.
  return bytes.subarray(0, bytes.length - 8);
}

/** One record batch as one IPC message. */
export function batchMessage(batch: RecordBatch): IpcMessage {
  const writer = new RecordBatchStreamWriter();
  writer.write(batch);
  writer.finish();
  const messages = splitStream(writer.toUint8Array(true));
  // The stream is [schema][batch]; a batch without dictionaries is one message.
  return messages[messages.length - 1]!;
}

/**
 * Splits an Arrow IPC stream into messages: each is the continuation marker, a 4-byte length, the
 * flatbuffer metadata (that length) and its body (`Message.bodyLength` bytes), up to the
 * end-of-stream marker.
 */
export function splitStream(bytes: Uint8Array): IpcMessage[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const messages: IpcMessage[] = [];
  let at = 0;
  while (at + 8 <= bytes.length) {
    if (view.getUint32(at, true) !== 0xffffffff) throw new Error(`IPC stream: no continuation marker at ${at}`);
    const length = view.getInt32(at + 4, true);
    if (length === 0) break; // end of stream
    const header = bytes.subarray(at + 8, at + 8 + length);
    const bodyEnd = at + 8 + length + Number(bodyLengthOf(header));
    messages.push({ header, body: bytes.subarray(at + 8 + length, bodyEnd) });
    at = bodyEnd;
  }
  return messages;
}

/** `Message.bodyLength` (field 3, an int64) of a flatbuffer `Message`. */
function bodyLengthOf(message: Uint8Array): bigint {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const table = view.getUint32(0, true);
  const vtable = table - view.getInt32(table, true);
  const vtableLength = view.getUint16(vtable, true);
  const fieldSlot = 4 + 3 * 2;
  if (fieldSlot + 2 > vtableLength) return 0n;
  const offset = view.getUint16(vtable + fieldSlot, true);
  return offset === 0 ? 0n : view.getBigInt64(table + offset, true);
}
