import type { Bench, BenchResult } from './harness.js';
import { tsbsCpuLines } from './tsbs.js';
import { LineProtocolParser } from '../src/lineprotocol/parser.js';
import { Catalog } from '../src/catalog/catalog.js';
import { validateLineProtocol } from '../src/write/validator.js';

const BATCH_LINES = 5_000; // a TSBS client batch

function measure(label: string, fields: 'int' | 'float'): BenchResult[] {
  const batches = Array.from({ length: 20 }, (_, i) => tsbsCpuLines(BATCH_LINES * (i + 1), 1000, fields).subarray(0)).map((b, i) => {
    // take the i-th 5 000-line slice so batches differ
    const text = b.toString();
    const lines = text.split('\n').slice(i * BATCH_LINES, (i + 1) * BATCH_LINES);
    return Buffer.from(lines.join('\n'));
  });
  const bytesPerBatch = batches.reduce((n, b) => n + b.length, 0) / batches.length;
  const parser = new LineProtocolParser();
  let parsedLines = 0;
  const sink = { line: () => void parsedLines++, error: (e: Error) => { throw e; } };
  // Lines per second of wall time, and per second of the process's CPU time: on a shared machine
  // the second moves less when other work takes the core away.
  const run = (fn: (b: Buffer) => void): { rate: number; cpuRate: number } => {
    for (const b of batches) fn(b); // warm up
    let lines = 0;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    while (performance.now() - start < 2000) {
      for (const b of batches) {
        fn(b);
        lines += BATCH_LINES;
      }
    }
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    return { rate: (lines * 1000) / elapsedMs, cpuRate: (lines * 1e6) / (cpu.user + cpu.system) };
  };
  const parsed = run((b) => parser.parse(b, sink));
  const catalog = new Catalog();
  const validated = run((b) => {
    const v = validateLineProtocol(catalog, parser, 'bench', b, { precision: 'ns', acceptPartial: true, ingestTimeNs: 0n, gen1DurationNs: 600_000_000_000n });
    if (v.errors.length > 0) throw new Error(v.errors[0]!.errorMessage);
  });
  const mb = (rate: number): number => (rate * bytesPerBatch) / BATCH_LINES / 1e6;
  const perCpu = (cpuRate: number): string => `${Math.round(cpuRate).toLocaleString('en-US')} lines per CPU-second`;
  return [
    { name: `parse, TSBS cpu-only (${label} fields)`, value: parsed.rate, unit: 'lines/s', note: `${mb(parsed.rate).toFixed(0)} MB/s, one core, ${BATCH_LINES}-line bodies, ${perCpu(parsed.cpuRate)}; target ≥ 2 000 000` },
    { name: `parse + validate into a WriteBatch (${label} fields)`, value: validated.rate, unit: 'lines/s', note: `${mb(validated.rate).toFixed(0)} MB/s, ${perCpu(validated.cpuRate)}; target ≥ 1 500 000` },
  ];
}

const bench: Bench = {
  name: 'lineprotocol',
  async run() {
    return [...measure('int', 'int'), ...measure('float', 'float')];
  },
};
export default bench;
