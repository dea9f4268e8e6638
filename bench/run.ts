// `npm run bench [-- name ...]`: compiles, then runs the benchmarks in bench/*.bench.ts (all,
// or those whose file name contains one of the arguments) and prints their figures as a
// Markdown table. Benchmarks run compiled JavaScript, as the server does, not through tsx.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import type { Bench, BenchResult } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => /\.bench\.(ts|js)$/.test(f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

console.log(`# sluice bench — node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'})`);
const all: Array<BenchResult & { bench: string }> = [];
for (const file of files) {
  const mod = (await import(join(here, file))) as { default: Bench };
  const bench = mod.default;
  console.log(`\n## ${bench.name} (${file})`);
  const results = await bench.run();
  for (const r of results) {
    all.push({ ...r, bench: bench.name });
    const value = r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(2);
    console.log(`| ${r.name} | ${value} ${r.unit} |${r.note ? ` ${r.note} |` : ''}`);
  }
}
if (process.env.BENCH_JSON) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env.BENCH_JSON, JSON.stringify(all, null, 2));
}
