#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner (tsx compiles TypeScript on load).
// Usage: node scripts/test.mjs [--typecheck] [substring-filter ...]
// --typecheck runs `tsc --noEmit` beside the tests (one process more while they start) and fails
// the run if it fails: `npm test` passes it.
// When a selected file uses the S3 test server, one radosgw is started for the whole run
// (scripts/s3-test-server.sh installs it from Debian's packages when missing) and stopped after.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const typecheck = process.argv.includes('--typecheck');
const filters = process.argv.slice(2).filter((a) => a !== '--typecheck');
// The longest files start first (longest processing time first, by the last full runs' times), so
// the two lanes end together instead of a long file running alone at the end.
const LONGEST_FIRST = [
  'test/influxql/influxql-fuzz.test.ts',
  'test/server/http-fuzz.test.ts',
  'test/server/kill.test.ts',
  'test/cluster/cluster-processes.test.ts',
  'test/lineprotocol/fuzz.test.ts',
  'test/cluster/replica.test.ts',
  'test/cluster/replica-s3.test.ts',
  'test/reliability/io-errors.test.ts',
  'test/reliability/power-loss-states.test.ts',
  'test/flight/one-port.test.ts',
  'test/server/kill-compaction.test.ts',
  'test/reliability/names.test.ts',
  'test/reliability/writers.test.ts',
  'test/reliability/faulty-store.test.ts',
];
const rank = (f) => (LONGEST_FIRST.includes(f) ? LONGEST_FIRST.indexOf(f) : LONGEST_FIRST.length);
const files = findTests('test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const env = { ...process.env };
let stopS3 = () => undefined;
const needsS3 = files.some((f) => readFileSync(f, 'utf8').includes('support/s3-server'));
if (needsS3 && !env.SLUICE_TEST_S3_ENDPOINT) {
  const state = join(mkdtempSync(join(tmpdir(), 'sluice-s3-')), 'state.env');
  const started = Date.now();
  const start = spawnSync('bash', ['scripts/s3-test-server.sh', 'start', state], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (start.status !== 0) {
    console.error('could not start the S3 test server (scripts/s3-test-server.sh)');
    process.exit(1);
  }
  const vars = Object.fromEntries(start.stdout.trim().split(/\s+/).map((kv) => kv.split('=')));
  env.SLUICE_TEST_S3_ENDPOINT = vars.S3_ENDPOINT;
  env.SLUICE_TEST_S3_ACCESS_KEY = vars.S3_ACCESS_KEY;
  env.SLUICE_TEST_S3_SECRET_KEY = vars.S3_SECRET_KEY;
  console.log(`# S3 test server (Ceph radosgw) at ${vars.S3_ENDPOINT}, started in ${Date.now() - started} ms`);
  stopS3 = () => spawnSync('bash', ['scripts/s3-test-server.sh', 'stop', state], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {
    stopS3();
    process.exit(1);
  });
}

let typechecked = Promise.resolve(0);
if (typecheck) {
  const tsc = spawn(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  tsc.stdout.on('data', (d) => (out += d));
  tsc.stderr.on('data', (d) => (out += d));
  typechecked = new Promise((resolve) =>
    tsc.on('close', (code) => {
      if (code !== 0) console.error(`# typecheck (tsc --noEmit) failed:\n${out}`);
      else console.log('# typecheck (tsc --noEmit): no errors');
      resolve(code ?? 1);
    }),
  );
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', './test/support/stray-errors.mjs', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=./scripts/file-times-reporter.mjs', '--test-reporter-destination=stdout', ...files],
  { stdio: 'inherit', env },
);
stopS3();
const typecheckStatus = await typechecked;
process.exit(result.status !== 0 ? (result.status ?? 1) : typecheckStatus === 0 ? 0 : 1);
