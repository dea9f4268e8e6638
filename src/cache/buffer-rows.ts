/**
 * The rows of a buffered chunk in the WAL's chunk form, one segment at a time: what a cache made
 * on a table that already has rows starts from. Copies narrow segments into full-width arrays;
 * done once per new cache, never on the write path.
 */
import type { BufferChunk } from '../buffer/chunk.js';
import { readInt64, SEGMENT_ROWS } from '../buffer/chunk.js';
import type { ColumnData, ColumnId, TableChunk } from '../wal/model.js';
import { FieldKind } from '../wal/model.js';

/** The chunk's rows, a {@link TableChunk} per segment. */
export function* bufferChunkSegments(chunk: BufferChunk): Generator<TableChunk> {
  for (let seg = 0; seg * SEGMENT_ROWS < chunk.rowCount; seg++) {
    const n = Math.min(SEGMENT_ROWS, chunk.rowCount - seg * SEGMENT_ROWS);
    const columns = new Map<ColumnId, ColumnData>();
    for (const column of chunk.columns.values()) {
      const segment = column.segments[seg];
      if (segment === undefined) continue;
      const bitmap = column.validity[seg];
      const validity = bitmap === undefined ? undefined : bitmap.slice(0, (n + 7) >> 3);
      let data: ColumnData;
      switch (column.kind) {
        case FieldKind.Tag:
        case FieldKind.String:
          data = { kind: column.kind, indices: Uint32Array.from(segment.subarray(0, n) as Uint8Array | Uint16Array | Uint32Array), dictionary: column.dictionary! };
          break;
        case FieldKind.Int64: {
          const values = new BigInt64Array(n);
          for (let i = 0; i < n; i++) values[i] = readInt64(segment, i);
          data = { kind: FieldKind.Int64, values };
          break;
        }
        case FieldKind.UInt64:
          data = { kind: FieldKind.UInt64, values: (segment as BigUint64Array).slice(0, n) };
          break;
        case FieldKind.Float64:
          data = { kind: FieldKind.Float64, values: (segment as Float64Array).slice(0, n) };
          break;
        case FieldKind.Boolean:
          data = { kind: FieldKind.Boolean, values: (segment as Uint8Array).slice(0, n) };
          break;
      }
      if (validity !== undefined) data.validity = validity;
      columns.set(column.id, data);
    }
    yield { rowCount: n, timeNs: chunk.timeSegments[seg]!.slice(0, n), columns };
  }
}
