import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench, BenchResult } from './harness.js';
import { percentile } from './harness.js';
import { LocalObjectStore } from '../src/objectstore/local.js';
import { openWal } from '../src/wal/object-store-wal.js';
import { noopNotifier, type WalFileNotifier } from '../src/wal/notifier.js';
import { FieldKind, writeBatchForTable, type Field, type Row, type WalOp } from '../src/wal/model.js';
import type { WalConfig } from '../src/wal/config.js';

const GEN1_NS = 600_000_000_000n;

/** A write op of `count` rows with 10 int64 fields each. */
function tenFieldOp(count: number, startNs: bigint): WalOp {
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const fields: Field[] = [];
    for (let c = 0; c < 10; c++) fields.push({ columnId: c + 1, kind: FieldKind.Int64, value: BigInt(i * 10 + c) });
    rows.push({ timeNs: startNs + BigInt(i) * 1_000_000n, fields });
  }
  return { kind: 'write', batch: writeBatchForTable(1, 'bench', 1, rows, GEN1_NS) };
}

async function withWal<T>(config: Partial<WalConfig>, notifier: WalFileNotifier, fn: (wal: Awaited<ReturnType<typeof openWal>>, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const store = await LocalObjectStore.open({ root: dir });
  const wal = await openWal({ store, nodeId: 'bench', notifier, config: { snapshotSize: 1_000_000, ...config } });
  try {
    return await fn(wal, dir);
  } finally {
    await wal.shutdown();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function flushLatency(): Promise<BenchResult[]> {
  // Ops adding up to ~1 MiB encoded, then one explicit flush: encode-free assembly + CRC + durable put + notify.
  const op = tenFieldOp(1000, 1_700_000_000_000_000_000n);
  const latencies: number[] = [];
  let fileBytes = 0;
  await withWal({ flushIntervalMs: 3_600_000, flushSizeBytes: 1 << 30 }, noopNotifier, async (wal) => {
    for (let round = 0; round < 60; round++) {
      let bytes = 0;
      while (bytes < 1024 * 1024) {
        wal.bufferOpUnconfirmed(op);
        bytes = wal.getStats().bufferedBytes;
      }
      fileBytes = bytes;
      const start = performance.now();
      await wal.flushBuffer();
      if (round >= 5) latencies.push(performance.now() - start);
    }
  });
  const note = `${(fileBytes / 1048576).toFixed(2)} MiB files, local store (fsync file + dir), ${latencies.length} flushes; target p50 ≤ 3 ms`;
  return [
    { name: 'durable 1 MiB flush p50', value: percentile(latencies, 50), unit: 'ms', note },
    { name: 'durable 1 MiB flush p99', value: percentile(latencies, 99), unit: 'ms', note },
  ];
}

async function writeOpsThroughput(writers: number, flushIntervalMs: number, rowsPerOp: number, seconds: number): Promise<BenchResult> {
  const op = tenFieldOp(rowsPerOp, 1_700_000_000_000_000_000n);
  let rows = 0;
  await withWal({ flushIntervalMs }, noopNotifier, async (wal) => {
    const deadline = performance.now() + seconds * 1000;
    const loops = [];
    for (let w = 0; w < writers; w++) {
      loops.push(
        (async () => {
          while (performance.now() < deadline) {
            await wal.writeOps([op]);
            rows += rowsPerOp;
          }
        })(),
      );
    }
    await Promise.all(loops);
  });
  return {
    name: `writeOps ${writers} writers, ${flushIntervalMs} ms interval`,
    value: rows / seconds,
    unit: 'rows/s',
    note: `${rowsPerOp} rows × 10 int64 fields per op, local store, flushSizeBytes 1 MiB${writers === 64 && flushIntervalMs === 10 ? '; target ≥ 500 000' : ''}`,
  };
}

async function replayRate(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-replay-'));
  const op = tenFieldOp(1000, 1_700_000_000_000_000_000n);
  const files = 200;
  try {
    let store = await LocalObjectStore.open({ root: dir });
    const wal = await openWal({ store, nodeId: 'bench', notifier: noopNotifier, startBackgroundFlush: false, config: { snapshotSize: 1_000_000 } });
    for (let f = 0; f < files; f++) {
      for (let i = 0; i < 5; i++) wal.bufferOpUnconfirmed(op);
      await wal.flushBuffer();
    }
    await wal.shutdown();
    await store.close();
    store = await LocalObjectStore.open({ root: dir });
    let rows = 0;
    const counting: WalFileNotifier = {
      notify: async (c) => {
        for (const o of c.ops) if (o.kind === 'write') for (const t of o.batch.tableChunks.values()) for (const ch of t.chunkTimeToChunk.values()) rows += ch.rowCount;
      },
      notifyAndSnapshot: async () => ({ persisted: Promise.resolve() }),
    };
    const start = performance.now();
    const reopened = await openWal({ store, nodeId: 'bench', notifier: counting, startBackgroundFlush: false, config: { snapshotSize: 1_000_000 } });
    const elapsedMs = performance.now() - start;
    await reopened.shutdown();
    await store.close();
    return { name: 'replay (list, read, decode, notify)', value: (rows * 1000) / elapsedMs, unit: 'rows/s', note: `${files} files × 5 000 rows × 10 int64 fields, local store, page cache warm` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const bench: Bench = {
  name: 'wal',
  async run() {
    const results = await flushLatency();
    for (const [writers, interval] of [
      [4, 1000],
      [4, 10],
      [64, 1000],
      [64, 10],
    ] as const) {
      results.push(await writeOpsThroughput(writers, interval, 1000, interval === 1000 ? 5 : 3));
    }
    results.push(await replayRate());
    return results;
  },
};
export default bench;
