import type { Field, WalContents, WalOp } from '../../src/wal/model.js';
import { FieldKind, I64_MAX, I64_MIN, U64_MAX, chunkRows, tableChunkFromRows } from '../../src/wal/model.js';

/** A file with one write of every field kind, including extremes. */
export function smallSample(): WalContents {
  const op: WalOp = {
    kind: 'write',
    batch: {
      databaseId: 1,
      databaseName: 'db',
      minTimeNs: -5n,
      maxTimeNs: 1_700_000_000_000_000_000n,
      tableChunks: new Map([
        [
          2,
          {
            minTimeNs: -5n,
            maxTimeNs: 1_700_000_000_000_000_000n,
            chunkTimeToChunk: new Map([
              [-600_000_000_000n, tableChunkFromRows([{ timeNs: -5n, fields: [{ columnId: 0, kind: FieldKind.Tag, value: 'a' }, { columnId: 1, kind: FieldKind.Int64, value: I64_MIN }] }])],
              [
                1_699_999_800_000_000_000n,
                tableChunkFromRows([
                    {
                      timeNs: 1_700_000_000_000_000_000n,
                      fields: [
                        { columnId: 0, kind: FieldKind.Tag, value: 'a' },
                        { columnId: 1, kind: FieldKind.Int64, value: I64_MAX },
                        { columnId: 2, kind: FieldKind.UInt64, value: U64_MAX },
                        { columnId: 3, kind: FieldKind.Float64, value: -0 },
                        { columnId: 4, kind: FieldKind.Boolean, value: true },
                        { columnId: 5, kind: FieldKind.String, value: 'é "q"\n' },
                      ],
                    },
                  ]),
              ],
            ]),
          },
        ],
      ]),
    },
  };
  return { persistTimestampMs: 1_700_000_000_123, minTimestampNs: -5n, maxTimestampNs: 1_700_000_000_000_000_000n, walFileNumber: 7, ops: [op] };
}

/** A file with many rows whose tags and strings repeat (exercises the string table). */
export function mediumSample(): WalContents {
  const rows = [];
  for (let i = 0; i < 40; i++) {
    rows.push({
      timeNs: 1_000_000_000n * BigInt(i),
      fields: [
        { columnId: 0, kind: FieldKind.Tag, value: `host-${i % 4}` },
        { columnId: 1, kind: FieldKind.Tag, value: i % 2 === 0 ? 'eu' : 'us' },
        { columnId: 2, kind: FieldKind.Float64, value: i / 3 },
        { columnId: 4, kind: FieldKind.Boolean, value: i % 5 === 0 },
        ...(i % 3 === 0 ? [] : [{ columnId: 3, kind: FieldKind.String, value: `msg ${i % 4}` }]), // sparse: a validity bitmap
        ...(i % 7 === 0 ? [{ columnId: 5, kind: FieldKind.UInt64, value: BigInt(i) }] : []),
      ] as Field[],
    });
  }
  const op: WalOp = {
    kind: 'write',
    batch: { databaseId: 3, databaseName: 'metrics', minTimeNs: 0n, maxTimeNs: 39_000_000_000n, tableChunks: new Map([[1, { minTimeNs: 0n, maxTimeNs: 39_000_000_000n, chunkTimeToChunk: new Map([[0n, tableChunkFromRows(rows)]]) }]]) },
  };
  return { persistTimestampMs: 5, minTimestampNs: 0n, maxTimestampNs: 39_000_000_000n, walFileNumber: 12, ops: [op, { kind: 'noop', timestampNs: 77n }] };
}

/** A file with catalog ops of every kind and a snapshot marker. */
export function catalogSample(): WalContents {
  return {
    persistTimestampMs: 99,
    minTimestampNs: 10n,
    maxTimestampNs: 11n,
    walFileNumber: 3,
    snapshot: { snapshotSequenceNumber: 2, endTimeMarkerNs: 600_000_000_000n, firstWalSequenceNumber: 1, lastWalSequenceNumber: 2, forced: true },
    ops: [
      {
        kind: 'catalog',
        batch: {
          databaseId: 4,
          databaseName: 'telegraf',
          timeNs: 10n,
          ops: [
            { kind: 'createDatabase' },
            { kind: 'createTable', tableId: 0, tableName: 'cpu', columns: [{ id: 0, name: 'host', type: 'tag' }, { id: 1, name: 'time', type: 'time' }, { id: 2, name: 'usage', type: 'float64' }] },
            { kind: 'addColumns', tableId: 0, tableName: 'cpu', columns: [{ id: 3, name: 'n', type: 'int64' }, { id: 4, name: 'u', type: 'uint64' }, { id: 5, name: 's', type: 'string' }, { id: 6, name: 'b', type: 'bool' }] },
            { kind: 'setRetentionPeriod', retentionPeriodNs: 2_592_000_000_000_000n },
            { kind: 'deleteTable', tableId: 9, tableName: 'old', deletionTimeNs: 11n },
            { kind: 'deleteDatabase', deletionTimeNs: -1n },
          ],
        },
      },
    ],
  };
}

/** The header used for every sample. */
export const SAMPLE_HEADER = { nodeId: 'node-1', writerEpoch: 3n, putId: Uint8Array.from({ length: 16 }, (_, i) => i) };

/** Contents with every chunk as rows (fields by column id): how two encodings of the same data compare. */
export function normalizeContents(c: WalContents): unknown {
  return {
    ...c,
    ops: c.ops.map((op) => {
      if (op.kind !== 'write') return op;
      const tables = [...op.batch.tableChunks].map(([tableId, t]) => [
        tableId,
        { ...t, chunkTimeToChunk: [...t.chunkTimeToChunk].map(([time, chunk]) => [time, chunkRows(chunk).map((r) => ({ ...r, fields: [...r.fields].sort((a, b) => a.columnId - b.columnId).map((f) => ({ ...f, value: typeof f.value === 'number' ? floatBits(f.value) : f.value })) }))]) },
      ]);
      return { ...op, batch: { ...op.batch, tableChunks: tables } };
    }),
  };
}

/** A float as its bits, so NaN and -0 compare exactly. */
function floatBits(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b.toString('hex');
}
