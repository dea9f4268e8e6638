#!/usr/bin/env node
// The opt-in soak: runs the reliability suites round-robin for N minutes with their counts
// scaled up, a new base seed for every suite in every round, and SOAK=1 so a failing seed is kept
// in test/regressions/<suite>.json (the default suite replays kept seeds first, forever).
//
// Usage: npm run soak -- --minutes N [--seed S] [--scale X] [--suite substring]... [--out file]
//   --minutes N   stop starting suite runs after N minutes (a run under way finishes); default 60
//   --seed S      the soak's own seed, from which every run's SEED is derived; default random
//   --scale X     multiply each suite's count env vars (their defaults) by X; default 5
//   --suite SUB   only the suites whose path contains SUB (repeatable)
//   --out FILE    also write the JSON summary to FILE
//   --list        print the suites found and the env vars each run would get, then exit
// Prints progress on stderr, then the JSON summary on stdout; exits 1 if any run failed.
//
// Suites and their knobs are found in the test files themselves, so a new suite needs no change
// here: every test/reliability/*.test.ts, test/server/kill.test.ts and kill-compaction.test.ts,
// test/compact/differential.test.ts, the HTTP fuzz
// (test/server/http-fuzz.test.ts: FUZZ_SCALE), the line-protocol fuzz (test/lineprotocol/fuzz.test.ts:
// FUZZ_SCALE, 1 M inputs and 20 000 writes at 1), the InfluxQL fuzzes (test/influxql/influxql-fuzz.test.ts
// and parser-fuzz.test.ts: FUZZ_SCALE), the Flight fuzz (test/flight/flight-fuzz.test.ts: FUZZ_SCALE), test/wal/*.test.ts and test/database/*.test.ts
// that read a count as `Number(process.env.NAME ?? default)`.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    seed: { type: 'string' },
    scale: { type: 'string', default: '5' },
    suite: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
    list: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 13).map((l) => l.slice(3)).join('\n'));
  process.exit(0);
}
const minutes = Number(values.minutes);
const scale = Number(values.scale);
const soakSeed = values.seed === undefined ? randomInt(2 ** 32) : Number(values.seed);
if (!(minutes > 0) || !(scale > 0) || !Number.isSafeInteger(soakSeed) || soakSeed < 0 || soakSeed >= 2 ** 32) {
  console.error('usage: npm run soak -- --minutes N [--seed S (0…2^32-1)] [--scale X] [--suite substring]... [--out file]');
  process.exit(2);
}

/** Knobs that shape a run rather than count its work: passed through unscaled. */
const UNSCALED = /(WRITERS|CONCURRENCY)$/;
const KNOB = /process\.env\.([A-Z][A-Z0-9_]*)\s*\?\?\s*([0-9][0-9_]*(?:\s*\*\s*[0-9][0-9_]*)*)/g;

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.endsWith('.test.ts')).sort().map((n) => join(dir, n));
}

/** The suites and, for each, its count env vars with their scaled values. */
function discoverSuites() {
  const candidates = [...testFiles('test/reliability'), 'test/server/kill.test.ts', 'test/server/kill-compaction.test.ts', 'test/compact/differential.test.ts', 'test/server/http-fuzz.test.ts', 'test/lineprotocol/fuzz.test.ts', 'test/influxql/influxql-fuzz.test.ts', 'test/influxql/parser-fuzz.test.ts', 'test/flight/flight-fuzz.test.ts', ...testFiles('test/wal'), ...testFiles('test/database')];
  const suites = [];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const source = readFileSync(file, 'utf8');
    const knobs = {};
    for (const [, name, expr] of source.matchAll(KNOB)) {
      const base = expr.split('*').reduce((p, f) => p * Number(f.trim().replaceAll('_', '')), 1);
      knobs[name] = UNSCALED.test(name) ? base : Math.max(1, Math.round(base * scale));
    }
    if (!file.startsWith('test/reliability/') && Object.keys(knobs).length === 0) continue;
    if (values.suite.length > 0 && !values.suite.some((s) => file.includes(s))) continue;
    suites.push({ file, knobs });
  }
  return suites;
}

/** Every kept regression seed, as `<suite>.json: seed`, to report the ones this soak added. */
function keptSeeds() {
  const dir = 'test/regressions';
  const out = new Set();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    try {
      for (const s of JSON.parse(readFileSync(join(dir, name), 'utf8')).seeds ?? []) out.add(`${name}: ${s.seed}`);
    } catch {
      out.add(`${name}: unreadable`);
    }
  }
  return out;
}

/** splitmix32: the base SEED of run `n` of the soak, spread over 32 bits. */
function runSeed(n) {
  let z = (soakSeed + Math.imul(n + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function runSuite(suite, seed) {
  return new Promise((resolve) => {
    const env = { ...process.env, ...Object.fromEntries(Object.entries(suite.knobs).map(([k, v]) => [k, String(v)])), SOAK: '1', SEED: String(seed) };
    const child = spawn(process.execPath, ['scripts/test.mjs', suite.file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const started = Date.now();
    child.on('exit', (code, signal) => resolve({ ok: code === 0, code: code ?? signal, output, seconds: (Date.now() - started) / 1000 }));
  });
}

const suites = discoverSuites();
if (suites.length === 0) {
  console.error('no suites matched');
  process.exit(2);
}
if (values.list) {
  for (const s of suites) console.log(`${s.file}  ${Object.entries(s.knobs).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  process.exit(0);
}
console.error(`soak: seed ${soakSeed}, ${minutes} min, scale ×${scale}, ${suites.length} suites: ${suites.map((s) => s.file).join(', ')}`);
const keptBefore = keptSeeds();
const started = Date.now();
const deadline = started + minutes * 60_000;
const perSuite = Object.fromEntries(suites.map((s) => [s.file, { runs: 0, passes: 0, failures: 0, seconds: 0, env: s.knobs, counts: [] }]));
const failures = [];
let rounds = 0;
let runs = 0;
outer: for (;;) {
  for (const suite of suites) {
    if (Date.now() >= deadline) break outer;
    const seed = runSeed(runs++);
    const envText = Object.entries(suite.knobs).map(([k, v]) => `${k}=${v}`).join(' ');
    console.error(`[round ${rounds + 1}] ${suite.file} SEED=${seed} ${envText}`);
    const result = await runSuite(suite, seed);
    const s = perSuite[suite.file];
    s.runs++;
    s.seconds += result.seconds;
    // The suites' count lines ("# power loss: 5000 seeded crash points, …") of the latest run.
    s.counts = result.output.split('\n').filter((l) => /^\s*# /.test(l) && !/^\s*# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)\b/.test(l)).map((l) => l.trim());
    if (result.ok) {
      s.passes++;
      console.error(`  passed in ${result.seconds.toFixed(0)} s`);
    } else {
      s.failures++;
      // runSeeds names the failing seed ("<suite>: seed N failed (replay with SEED=N)"); else the run's base seed.
      const failingSeeds = [...new Set([...result.output.matchAll(/seed (\d+) failed/g)].map((m) => Number(m[1])))];
      const errors = [...new Set(result.output.split("\n").filter((l) => /✖|Error|failed/.test(l)).map((l) => l.trim()))].slice(0, 12);
      failures.push({ suite: suite.file, round: rounds + 1, seed, failingSeeds, exit: result.code, replay: `SEED=${failingSeeds[0] ?? seed} ${envText} node scripts/test.mjs ${suite.file}`, errors });
      console.error(`  FAILED (exit ${result.code}) in ${result.seconds.toFixed(0)} s; failing seeds: ${failingSeeds.join(', ') || 'none printed'}`);
      for (const line of errors) console.error(`    ${line}`);
    }
  }
  rounds++;
}
const keptAfter = keptSeeds();
const summary = {
  seed: soakSeed,
  minutes,
  scale,
  elapsedMinutes: Number(((Date.now() - started) / 60_000).toFixed(2)),
  rounds,
  runs,
  passes: Object.values(perSuite).reduce((n, s) => n + s.passes, 0),
  failures,
  regressionSeedsKept: [...keptAfter].filter((k) => !keptBefore.has(k)),
  suites: Object.fromEntries(Object.entries(perSuite).map(([file, s]) => [file, { ...s, seconds: Number(s.seconds.toFixed(1)) }])),
};
const json = JSON.stringify(summary, null, 2);
console.log(json);
if (values.out !== undefined) writeFileSync(values.out, `${json}\n`);
process.exit(failures.length === 0 ? 0 : 1);
