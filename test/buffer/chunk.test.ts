import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferChunk, SEGMENT_ROWS, readInt64 } from '../../src/buffer/chunk.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { FieldKind, tableChunkFromRows, type Field, type Row } from '../../src/wal/model.js';

/** Reads row `r` of a chunk back as a map of column id → value (absent = null). */
function readRow(chunk: BufferChunk, r: number): { time: bigint; values: Map<number, unknown> } {
  const seg = Math.floor(r / SEGMENT_ROWS);
  const at = r - seg * SEGMENT_ROWS;
  const values = new Map<number, unknown>();
  for (const [id, column] of chunk.columns) {
    if (!column.isValid(r)) continue;
    const segment = column.segments[seg]!;
    if (column.kind === FieldKind.Int64) {
      values.set(id, readInt64(segment, at));
      continue;
    }
    const v = segment[at]!;
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

test('segments are as narrow as their values, and widen without changing any (seeded)', () => {
  const seed = testSeed();
  console.log(`# narrow segments test seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  // Int64 values at every width's edges; a dictionary that passes 256 and 65 536 entries.
  const edges = [0n, 127n, -128n, 128n, -129n, 32_767n, -32_768n, 32_768n, -32_769n, 2_147_483_647n, -2_147_483_648n, 2_147_483_648n, -2_147_483_649n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n];
  const chunk = new BufferChunk(0, 0, 0n);
  const expected: Array<{ time: bigint; values: Map<number, unknown> }> = [];
  let total = 0;
  let distinct = 0;
  while (total < 2.2 * SEGMENT_ROWS || distinct <= 70_000) {
    const n = 1 + rng.nextInt(3_000);
    // Each batch draws ints up to a width that rises through the run, then sometimes all of them.
    const limit = Math.min(edges.length, 1 + Math.floor((total / (2.4 * SEGMENT_ROWS)) * edges.length));
    const rows: Row[] = [];
    for (let i = 0; i < n; i++) {
      const fields: Field[] = [{ columnId: 1, kind: FieldKind.Int64, value: edges[rng.nextInt(rng.nextInt(20) === 0 ? edges.length : limit)]! }];
      // a new tag value every few rows: the dictionary passes 2^8 early and 2^16 late
      fields.push({ columnId: 2, kind: FieldKind.Tag, value: `t${rng.nextInt(2) === 0 ? distinct++ : rng.nextInt(distinct + 1)}` });
      if (rng.nextInt(7) === 0) fields.push({ columnId: 3, kind: FieldKind.Int64, value: BigInt(rng.nextInt(100)) });
      rows.push({ timeNs: BigInt(total + i), fields });
      expected.push({ time: BigInt(total + i), values: new Map(fields.map((f) => [f.columnId, f.value])) });
    }
    chunk.append(tableChunkFromRows(rows));
    total += n;
  }
  for (let r = 0; r < total; r++) assert.deepEqual(readRow(chunk, r), expected[r], `seed ${seed}: row ${r}`);
  const widths = (id: number): number[] => chunk.columns.get(id)!.segments.map((s) => s.BYTES_PER_ELEMENT);
  assert.ok(distinct > 65_536, `the dictionary grew to ${distinct}`);
  assert.equal(widths(2).at(-1), 4, 'the last dictionary segment holds indices past 2^16');
  assert.ok(widths(3).every((w) => w === 1), `small ints stay one byte wide: ${widths(3).join(',')}`);
  assert.ok(widths(1).includes(8), `int64 extremes widen to 8 bytes: ${widths(1).join(',')}`);
});

test('narrow segments make a chunk of small ints and few tags several times smaller', () => {
  const chunk = new BufferChunk(0, 0, 0n);
  const rows: Row[] = [];
  for (let i = 0; i < SEGMENT_ROWS; i++) {
    const fields: Field[] = [{ columnId: 1, kind: FieldKind.Tag, value: `host_${i % 1000}` }];
    for (let f = 0; f < 10; f++) fields.push({ columnId: 2 + f, kind: FieldKind.Int64, value: BigInt((i * 7 + f) % 101) });
    rows.push({ timeNs: BigInt(i), fields });
  }
  chunk.append(tableChunkFromRows(rows));
  // time 8 + tag index 2 + ten ints 1 = 20 bytes a row (was 8 + 4 + 80 = 92), plus the dictionary
  const perRow = (chunk.byteSize() - chunk.columns.get(1)!.dictionaryBytes) / SEGMENT_ROWS;
  assert.ok(perRow < 21, `${perRow.toFixed(1)} bytes a row`);
});
