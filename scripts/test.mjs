#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner (tsx compiles TypeScript on load).
// Usage: node scripts/test.mjs [substring-filter ...]
// When a selected file uses the S3 test server, one radosgw is started for the whole run
// (scripts/s3-test-server.sh installs it from Debian's packages when missing) and stopped after.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
// The longest files start first, so two lanes end together instead of one long file running alone at the end.
const LONGEST_FIRST = ['test/influxql/influxql-fuzz.test.ts', 'test/server/http-fuzz.test.ts', 'test/server/kill.test.ts', 'test/lineprotocol/fuzz.test.ts'];
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

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', './test/support/stray-errors.mjs', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=./scripts/file-times-reporter.mjs', '--test-reporter-destination=stdout', ...files],
  { stdio: 'inherit', env },
);
stopS3();
process.exit(result.status ?? 1);
