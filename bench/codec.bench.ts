import type { Bench, BenchResult } from './harness.js';
import { encodeOp, encodeWalFile, decodeWalFile } from '../src/wal/codec.js';
import { FieldKind, writeBatchForTable, type Field, type Row, type WalOp } from '../src/wal/model.js';

const GEN1_NS = 600_000_000_000n;
/** Rows per op (a typical write request) and ops per file (a ~1.4 MiB flush). */
const ROWS_PER_OP = 1_000;
const OPS_PER_FILE = Number(process.env.OPS_PER_FILE ?? 10);
const ROWS = ROWS_PER_OP * OPS_PER_FILE;

function intRows(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < ROWS; i++) {
    const fields: Field[] = [];
    for (let c = 0; c < 10; c++) fields.push({ columnId: c + 1, kind: FieldKind.Int64, value: BigInt((i * 7 + c * 13) % 100) });
    rows.push({ timeNs: 1_700_000_000_000_000_000n + BigInt(i) * 10_000_000_000n, fields });
  }
  return rows;
}

/** TSBS cpu-only shape: 10 tags (1 000 hosts) + 10 int64 fields. */
function tsbsRows(): Row[] {
  const regions = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'];
  const rows: Row[] = [];
  for (let i = 0; i < ROWS; i++) {
    const host = i % 1000;
    const fields: Field[] = [
      { columnId: 0, kind: FieldKind.Tag, value: `host_${host}` },
      { columnId: 1, kind: FieldKind.Tag, value: regions[host % regions.length]! },
      { columnId: 2, kind: FieldKind.Tag, value: `${regions[host % regions.length]}a` },
      { columnId: 3, kind: FieldKind.Tag, value: String(host % 100) },
      { columnId: 4, kind: FieldKind.Tag, value: host % 2 === 0 ? 'Ubuntu16.10' : 'Ubuntu15.10' },
      { columnId: 5, kind: FieldKind.Tag, value: host % 3 === 0 ? 'x64' : 'x86' },
      { columnId: 6, kind: FieldKind.Tag, value: ['SF', 'NYC', 'LON', 'CHI'][host % 4]! },
      { columnId: 7, kind: FieldKind.Tag, value: String(host % 20) },
      { columnId: 8, kind: FieldKind.Tag, value: String(host % 2) },
      { columnId: 9, kind: FieldKind.Tag, value: host % 2 === 0 ? 'production' : 'staging' },
    ];
    for (let c = 0; c < 10; c++) fields.push({ columnId: 10 + c, kind: FieldKind.Int64, value: BigInt((i * 7 + c * 13) % 100) });
    rows.push({ timeNs: 1_700_000_000_000_000_000n + BigInt(Math.floor(i / 1000)) * 10_000_000_000n, fields });
  }
  return rows;
}

function measure(name: string, rows: Row[]): BenchResult[] {
  const ops: WalOp[] = [];
  for (let o = 0; o < OPS_PER_FILE; o++) ops.push({ kind: 'write', batch: writeBatchForTable(1, 'bench', 1, rows.slice(o * ROWS_PER_OP, (o + 1) * ROWS_PER_OP), GEN1_NS) });
  const meta = { nodeId: 'bench', writerEpoch: 0n, walFileSequenceNumber: 1, putId: new Uint8Array(16), persistTimestampMs: 0, minTimestampNs: 0n, maxTimestampNs: 0n };
  let encoded = ops.map(encodeOp);
  const file = encodeWalFile(meta, encoded);
  decodeWalFile(file, 'warmup');

  // Encode: each op once (as writeOps does) and the file assembly (as a flush does).
  let iterations = 0;
  let start = performance.now();
  while (performance.now() - start < 1500) {
    encoded = ops.map(encodeOp);
    encodeWalFile(meta, encoded);
    iterations++;
  }
  const encodeSeconds = (performance.now() - start) / 1000;
  const encodeRowsPerSecond = (iterations * ROWS) / encodeSeconds;
  const encodeMbPerSecond = (iterations * file.length) / 1e6 / encodeSeconds;

  iterations = 0;
  start = performance.now();
  while (performance.now() - start < 1500) {
    decodeWalFile(file, 'bench');
    iterations++;
  }
  const decodeSeconds = (performance.now() - start) / 1000;
  const note = `files of ${OPS_PER_FILE} ops × ${ROWS_PER_OP.toLocaleString('en-US')} rows (${(file.length / 1048576).toFixed(2)} MiB), one core; target ≥ 1 000 000 rows/s`;
  return [
    { name: `encode ${name}`, value: encodeRowsPerSecond, unit: 'rows/s', note },
    { name: `encode ${name}`, value: encodeMbPerSecond, unit: 'MB/s' },
    { name: `decode ${name}`, value: (iterations * ROWS) / decodeSeconds, unit: 'rows/s', note },
    { name: `decode ${name}`, value: (iterations * file.length) / 1e6 / decodeSeconds, unit: 'MB/s' },
    { name: `encoded size ${name}`, value: file.length / ROWS, unit: 'bytes/row' },
  ];
}

const bench: Bench = {
  name: 'codec',
  async run() {
    return [...measure('rows of 10 int64 fields', intRows()), ...measure('TSBS cpu rows (10 tags + 10 int64 fields)', tsbsRows())];
  },
};
export default bench;
