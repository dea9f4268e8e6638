/**
 * Every error of the `sluice` command is one line, `error: <message>`, with exit code 1 and no
 * stack trace (unless --log-level debug); serve checks every flag before it opens anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { run, type Finished } from './cli-process.js';

/** Asserts the command failed with exactly one line on stderr (after any log lines) and returns it. */
function oneErrorLine(result: Finished, options: { logLinesAllowed?: boolean } = {}): string {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  const others = lines.filter((l) => !(options.logLinesAllowed === true && l.startsWith('{')));
  assert.equal(others.length, 1, `one line expected, got:\n${result.stderr}`);
  assert.match(others[0]!, /^error: \S/);
  assert.equal(lines[lines.length - 1], others[0], 'the error is the last line');
  return others[0]!;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

test('a bad serve flag is one line naming it, exit 1, and nothing is opened or created', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-errors-'));
  const dataDir = join(dir, 'data');
  try {
    const cases: Array<[string[], string | RegExp]> = [
      [['--gen1-duration', '7m'], 'error: --gen1-duration: expected 1m | 5m | 10m, got "7m"'],
      [['--gen1-duration', 'constructor'], 'error: --gen1-duration: expected 1m | 5m | 10m, got "constructor"'],
      [['--wal-flush-interval', '0'], /^error: --wal-flush-interval: must be at least 1 ms/],
      [['--wal-snapshot-size', '0'], /^error: --wal-snapshot-size: expected an integer ≥ 1, got "0"/],
      [['--http-bind', '127.0.0.1:70000'], /^error: --http-bind: expected an integer from 0 to 65535, got "70000"/],
      [['--log-level', 'loud'], /^error: --log-level: expected debug \| info \| warn \| error, got "loud"/],
      [['--query-memory-limit', 'lots'], /^error: --query-memory-limit: expected a size/],
      [['--max-write-bytes-in-flight', '0'], /^error: --max-write-bytes-in-flight: expected an integer ≥ 1/],
      [['--node-id', 'a/b'], /^error: --node-id: "a\/b" must be one path segment/],
      [['--object-store', 'ftp'], /^error: --object-store: expected file \| memory \| s3, got "ftp"/],
      [['--no-such-flag'], /^error: Unknown option '--no-such-flag'.*\(sluice serve --help lists the flags\)$/],
    ];
    await Promise.all(
      cases.map(async ([flags, expected]) => {
        const line = oneErrorLine(await run(['serve', '--data-dir', dataDir, '--http-bind', '127.0.0.1:0', ...flags]));
        if (typeof expected === 'string') assert.equal(line, expected);
        else assert.match(line, expected);
      }),
    );
    assert.equal(await exists(dataDir), false, 'no flag error may open the store');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--log-level debug adds the stack after the one line; SLUICE_LOG_LEVEL=debug too', async () => {
  const plain = await run(['wal', 'inspect', '/no/such/wal/dir']);
  assert.equal(oneErrorLine(plain), 'error: /no/such/wal/dir: no such file or directory');
  for (const result of [await run(['wal', 'inspect', '/no/such/wal/dir', '--log-level', 'debug']), await run(['wal', 'inspect', '/no/such/wal/dir'], { SLUICE_LOG_LEVEL: 'debug' })]) {
    assert.equal(result.code, 1);
    const lines = result.stderr.split('\n');
    assert.equal(lines[0], 'error: /no/such/wal/dir: no such file or directory');
    assert.ok(lines.some((l) => /^\s+at .*walFiles/.test(l)), result.stderr);
  }
});

test('wal inspect and wal verify of a missing path, an unknown command and delete token of an unknown name: one line each', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-errors-'));
  try {
    assert.equal(oneErrorLine(await run(['wal', 'inspect'])), 'error: wal inspect: give a WAL file or directory');
    assert.equal(oneErrorLine(await run(['wal', 'verify', join(dir, 'none')])), `error: ${join(dir, 'none')}: no such file or directory`);
    assert.equal(oneErrorLine(await run(['frobnicate'])), 'error: unknown command "frobnicate" (sluice --help lists the commands)');
    assert.equal(oneErrorLine(await run(['delete', 'token', '--name', 'ghost', '--data-dir', dir])), 'error: no token named "ghost": there are no tokens');
    assert.equal(oneErrorLine(await run(['delete', 'token', '--data-dir', dir])), 'error: delete token: --name is required');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('serve while a live process holds the lock: one line naming the holder, exit 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-lock-'));
  const store = await LocalObjectStore.open({ root: dir });
  try {
    const lock = await store.acquireLock('sluice-node'); // this test process is the live holder
    const result = await run(['serve', '--data-dir', dir, '--http-bind', '127.0.0.1:0']);
    const line = oneErrorLine(result, { logLinesAllowed: true });
    const lockPath = join(dir, 'sluice-node', '.lock');
    assert.match(line, new RegExp(`^error: another process holds the lock ${lockPath.replaceAll('.', '\\.')}: process ${process.pid} on host ${hostname().replaceAll('.', '\\.')} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`));
    await lock.release();
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
