import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, run } from './cli-process.js';

test('sluice --help lists every command, and each command --help lists its flags with defaults and env names', async () => {
  const top = await run(['--help']);
  assert.equal(top.code, 0);
  for (const c of ['serve', 'write', 'query', 'wal inspect', 'wal verify', 'snapshots', 'create token', 'delete token']) assert.ok(top.stdout.includes(`  ${c}`), c);
  const serve = await run(['serve', '--help']);
  for (const flag of ['--node-id', '--object-store', '--data-dir', '--http-bind', '--wal-flush-interval', '--wal-snapshot-size', '--wal-max-write-buffer-size', '--gen1-duration', '--snapshotted-wal-files-to-keep', '--wal-replay-concurrency-limit', '--without-auth']) {
    assert.ok(serve.stdout.includes(flag), flag);
  }
  assert.match(serve.stdout, /--wal-flush-interval\s+.*\(default 1s\)\s+\[SLUICE_WAL_FLUSH_INTERVAL\]/);
  const bad = await run(['serve', '--no-such-flag']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: Unknown option '--no-such-flag'.*\n$/);
  assert.equal((await run(['frobnicate'])).code, 1);
});

test('serve refuses a non-loopback bind without a token unless --without-auth; create token prints a token once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  try {
    const refused = await run(['serve', '--data-dir', dir, '--http-bind', '0.0.0.0:0']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: refusing to serve on 0\.0\.0\.0 without authentication/m);
    const viaEnv = await run(['serve', '--data-dir', dir], { SLUICE_HTTP_BIND: '0.0.0.0:0' });
    assert.equal(viaEnv.code, 1, 'the environment variable is honoured');
    const created = await run(['create', 'token', '--admin', '--data-dir', dir]);
    assert.equal(created.code, 0, created.stderr);
    const token = /Token: (apiv3_\S+)/.exec(created.stdout)![1]!;
    const stored = await readFile(join(dir, 'sluice-node', 'tokens.json'), 'utf8');
    assert.ok(!stored.includes(token));
    assert.equal((await run(['create', 'token', '--data-dir', dir])).code, 1, '--admin is required');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('wal inspect and wal verify read a WAL directory and report damage with a non-zero exit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-wal-'));
  try {
    const { LocalObjectStore } = await import('../../src/objectstore/local.js');
    const { SluiceDatabase } = await import('../../src/database/database.js');
    const store = await LocalObjectStore.open({ root: dir });
    const db = await SluiceDatabase.open({ store, nodeId: 'n', wal: { flushIntervalMs: 5 } });
    await db.writer.writeLp('d', Buffer.from('m,h=a v=1i 1\nm,h=b v=2i 2'), { precision: 's' });
    await db.writer.writeLp('d', Buffer.from('m,h=c v=3i 3'), { precision: 's' });
    await db.snapshotNow();
    await db.close();
    await store.close();
    const walDir = join(dir, 'n', 'wal');
    const inspect = await run(['wal', 'inspect', walDir, '--rows']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /00000000001\.wal: ok, \d+ bytes, node n, epoch \d+, sequence 1, 2 ops/);
    // Names, not ids: the database, table and columns as written.
    assert.match(inspect.stdout, /catalog db=d ops=createDatabase; createTable m \(time:time\); addColumns m \(h:tag, v:int64\)/);
    assert.match(inspect.stdout, /write db=d tables=1 \(m\) rows=2/);
    assert.match(inspect.stdout, /^ {4}d\.m time=1000000000 h=a v=1$/m);
    assert.match(inspect.stdout, /^ {4}d\.m time=3000000000 h=c v=3$/m);
    // One file alone still finds its names (here in the file itself).
    const one = await run(['wal', 'inspect', join(walDir, '00000000002.wal'), '--rows']);
    assert.match(one.stdout, /^ {4}d\.m time=3000000000 h=c v=3$/m, one.stdout);
    const snapshots = await run(['snapshots', '--data-dir', dir, '--node-id', 'n']);
    assert.equal(snapshots.code, 0, snapshots.stderr);
    assert.match(snapshots.stdout, /^snapshot 1: WAL ≤ 3, 1 files, 3 rows, catalog n\/catalog\/\d+\.catalog\.json, forced$/m);
    assert.match(snapshots.stdout, /^ {2}n\/dbs\/0\/0\/\S+\.parquet {2}db d table m {2}3 rows {2}\d+ bytes {2}time 1000000000\.\.3000000000$/m);
    const files = (await readdir(walDir)).filter((f) => f.endsWith('.wal')).sort();
    assert.equal(files.length, 3, 'two writes and the snapshot');
    assert.match((await run(['wal', 'verify', walDir])).stdout, /3 WAL files checked, 0 damaged/);
    const victim = join(walDir, files[1]!);
    const bytes = await readFile(victim);
    bytes[bytes.length - 3]! ^= 0x10;
    await writeFile(victim, bytes);
    const verify = await run(['wal', 'verify', walDir]);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, new RegExp(`${files[1]!.replace('.', '\\.')}: .*checksum`, 'i'));
    assert.match(verify.stdout, /3 WAL files checked, 1 damaged/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
