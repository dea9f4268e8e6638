/**
 * The arrays behind the engine's (DuckDB's) result vectors, read directly instead of value by
 * value. They are not part of the vectors' typed API, so every read checks the layout first and
 * answers undefined when it is not as expected; callers then go value by value.
 */
import type { DuckDBVector } from '@duckdb/node-api';

/** What the engine's vector classes hold. */
interface RawVector {
  items?: unknown;
  validity?: { data?: unknown; offset?: unknown };
}

/**
 * The validity of the first `n` rows as a bitmap view (LSB first, 1 = a value), null when every
 * row has a value, or undefined when the engine's is not readable.
 */
export function engineValidity(vector: DuckDBVector, n: number): Uint8Array | null | undefined {
  const v = (vector as unknown as RawVector).validity;
  if (v === undefined || v.offset !== 0) return undefined;
  if (v.data === null) return null;
  if (!(v.data instanceof BigUint64Array)) return undefined;
  return new Uint8Array(v.data.buffer, v.data.byteOffset, (n + 7) >> 3);
}

/** The typed arrays the engine holds number vectors in. */
export type EngineArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** The first `n` values of a vector held in a `Typed` array (a view, not a copy), or undefined when it is not. */
export function engineItems(vector: DuckDBVector, Typed: abstract new (length: number) => EngineArray, n: number): EngineArray | undefined {
  const items = (vector as unknown as RawVector).items;
  if (!(items instanceof Typed) || (items as EngineArray).length < n) return undefined;
  return (items as EngineArray).subarray(0, n);
}
