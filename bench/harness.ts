import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceDatabase, type OpenDatabaseOptions } from '../src/database/database.js';
import { LocalObjectStore } from '../src/objectstore/local.js';

/** One measured figure of a benchmark. */
export interface BenchResult {
  /** What was measured, e.g. `encode rows (10 int64 fields)`. */
  name: string;
  /** The figure. */
  value: number;
  /** Its unit, e.g. `rows/s`, `MB/s`, `ms`. */
  unit: string;
  /** Free-form context: sizes, settings, the target it is held against. */
  note?: string;
}

/** A benchmark: a named async function returning its figures. */
export interface Bench {
  name: string;
  run(): Promise<BenchResult[]>;
}

/** Runs `fn` repeatedly until at least `minMs` passed; returns operations per second. */
export function opsPerSecond(fn: () => void, minMs = 1000): number {
  for (let i = 0; i < 3; i++) fn(); // warm up
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    iterations++;
    elapsed = performance.now() - start;
  }
  return (iterations * 1000) / elapsed;
}

/** The p-th percentile (0–100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * Runs `fn` with a database on a fresh local directory as the query benches want it — 10 m
 * windows (the widest: 1 000 hosts every 10 s put 60 000 rows in each), nothing persisted but the
 * bench's own snapshots — then closes it and removes the directory.
 */
export async function withBenchDatabase<T>(name: string, options: Partial<OpenDatabaseOptions>, fn: (db: SluiceDatabase) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-bench-${name}-`));
  const store = await LocalObjectStore.open({ root: dir });
  let db: SluiceDatabase | undefined;
  try {
    db = await SluiceDatabase.open({
      store,
      nodeId: 'bench',
      wal: { gen1Duration: '10m', flushIntervalMs: 5, snapshotSize: 100_000 },
      forceSnapshotBytes: Number.MAX_SAFE_INTEGER, // only the bench's snapshots persist anything
      ...options,
    });
    return await fn(db);
  } finally {
    await db?.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Snapshots everything `db` buffers and checks nothing is left: how long it took and the Parquet files it then holds. */
export async function snapshotAll(db: SluiceDatabase): Promise<{ ms: number; files: number; bytes: number }> {
  const started = performance.now();
  await db.snapshotNow();
  const ms = performance.now() - started;
  if (db.buffer.getStats().rows !== 0) throw new Error('the snapshot left rows in the buffer');
  const files = db.persistedFiles.all();
  return { ms, files: files.length, bytes: files.reduce((n, f) => n + f.sizeBytes, 0) };
}
