import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferChunk, SEGMENT_ROWS } from '../../src/buffer/chunk.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { FieldKind, tableChunkFromRows, type Field, type Row } from '../../src/wal/model.js';

/** Reads row `r` of a chunk back as a map of column id → value (absent = null). */
function readRow(chunk: BufferChunk, r: number): { time: bigint; values: Map<number, unknown> } {
  const seg = Math.floor(r / SEGMENT_ROWS);
  const at = r - seg * SEGMENT_ROWS;
  const values = new Map<number, unknown>();
  for (const [id, column] of chunk.columns) {
    if (!column.isValid(r)) continue;
    const v = column.segments[seg]![at]!;
    values.set(id, column.dictionary !== undefined ? column.dictionary[v as number] : column.kind === FieldKind.Boolean ? v === 1 : v);
  }
  return { time: chunk.timeSegments[seg]![at]!, values };
}

test('appends spanning segments keep every value, null and dictionary entry (seeded)', () => {
  const seed = testSeed();
  console.log(`# buffer chunk test seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const chunk = new BufferChunk(0, 0, 0n);
  const expected: Array<{ time: bigint; values: Map<number, unknown> }> = [];
  let total = 0;
  while (total < 2.5 * SEGMENT_ROWS) {
    const n = 1 + rng.nextInt(rng.nextInt(10) === 0 ? 40_000 : 700);
    const rows: Row[] = [];
    // Column 4 only appears after the first segment is full; column 5 is sparse.
    const withLate = total > SEGMENT_ROWS + 100;
    for (let i = 0; i < n; i++) {
      const fields: Field[] = [{ columnId: 1, kind: FieldKind.Tag, value: `h${rng.nextInt(50)}` }];
      if (rng.nextInt(3) > 0) fields.push({ columnId: 2, kind: FieldKind.Float64, value: rng.nextInt(1000) / 8 });
      if (rng.nextInt(2) === 0) fields.push({ columnId: 3, kind: FieldKind.Int64, value: BigInt(rng.nextInt(1 << 30)) - (1n << 29n) });
      if (withLate && rng.nextInt(4) > 0) fields.push({ columnId: 4, kind: FieldKind.String, value: `s${rng.nextInt(5000)}` });
      if (rng.nextInt(50) === 0) fields.push({ columnId: 5, kind: FieldKind.Boolean, value: rng.nextInt(2) === 0 });
      const time = BigInt(total + i) * 1000n - 5_000_000n;
      rows.push({ timeNs: time, fields });
      expected.push({ time, values: new Map(fields.map((f) => [f.columnId, f.value])) });
    }
    chunk.append(tableChunkFromRows(rows));
    total += n;
  }
  assert.equal(chunk.rowCount, total);
  assert.ok(chunk.timeSegments.length >= 3, 'the chunk spans several segments');
  assert.equal(chunk.minTimeNs, -5_000_000n);
  assert.equal(chunk.maxTimeNs, BigInt(total - 1) * 1000n - 5_000_000n);
  for (let r = 0; r < total; r++) assert.deepEqual(readRow(chunk, r), expected[r], `seed ${seed}: row ${r}`);
  // Full segments only after the first: no segment but the first is ever reallocated.
  for (const t of chunk.timeSegments) assert.equal(t.length, SEGMENT_ROWS);
});

test('a small chunk stays small', () => {
  const chunk = new BufferChunk(0, 0, 0n);
  chunk.append(tableChunkFromRows([{ timeNs: 1n, fields: [{ columnId: 1, kind: FieldKind.Float64, value: 1 }] }]));
  assert.ok(chunk.byteSize() < 2000, `${chunk.byteSize()} bytes`);
});
