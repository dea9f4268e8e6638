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
