/**
 * `sluice serve --object-store s3` end to end against a real S3 server (Ceph radosgw): write,
 * snapshot, restart, query, with InfluxDB 3's flag names or the AWS environment; and the refusal
 * of a store that ignores conditional puts (the npm `s3rver` fake) unless explicitly overridden.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import S3rver from 's3rver';
import { listAll } from '../../src/objectstore/types.js';
import { s3TestServer, type S3TestServer } from '../support/s3-server.js';

const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let s3: S3TestServer;
before(async () => {
  s3 = await s3TestServer();
});
after(async () => {
  await s3.stop();
});

interface Running {
  child: ChildProcess;
  url: string;
  log: () => string;
  exited: Promise<number | null>;
}

/** Starts `sluice serve`; resolves once it listens, rejects with its log if it exits first. */
function serve(args: string[], env: Record<string, string> = {}): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--http-bind', '127.0.0.1:0', '--log-format', 'json', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let log = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      const m = /"msg":"listening","address":"([^"]+)"/.exec(log);
      if (m !== null) resolve({ child, url: `http://${m[1]}`, log: () => log, exited });
    });
    child.on('exit', (code) => reject(Object.assign(new Error(`server exited (${code}) before listening`), { log, code })));
  });
}

async function stop(server: Running): Promise<void> {
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0, server.log());
}

async function write(url: string, body: string): Promise<void> {
  const res = await fetch(`${url}/api/v3/write_lp?db=metrics&precision=second`, { method: 'POST', body });
  assert.equal(res.status, 204, await res.text());
}

async function count(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v3/query_sql?db=metrics&format=json&q=${encodeURIComponent('SELECT count(*) AS n, sum(v) AS s FROM cpu')}`);
  assert.equal(res.status, 200);
  const rows = (await res.json()) as Array<{ n: number; s: number }>;
  return rows[0]!.n;
}

test('serve --object-store s3 with InfluxDB 3 flag names: write, snapshot to Parquet on S3, restart, query', { timeout: 120_000 }, async () => {
  const bucket = await s3.newBucket();
  const flags = [
    '--object-store', 's3', '--bucket', bucket, '--aws-endpoint', s3.endpoint, '--aws-allow-http',
    '--aws-default-region', 'us-east-1', '--aws-access-key-id', s3.accessKeyId, '--aws-secret-access-key', s3.secretAccessKey,
    '--node-id', 'edge-1', '--wal-flush-interval', '50ms', '--wal-snapshot-size', '1', '--gen1-duration', '1m', '--snapshotted-wal-files-to-keep', '0',
  ];
  let server = await serve(flags);
  // Minutes-old rows in several gen1 windows: each flush lets the previous windows snapshot.
  const base = 1_700_000_000;
  for (let batch = 0; batch < 6; batch++) {
    const lines = Array.from({ length: 50 }, (_, i) => `cpu,host=h${i % 5} v=${batch * 50 + i} ${base + batch * 120 + i}`).join('\n');
    await write(server.url, lines);
  }
  assert.equal(await count(server.url), 300);
  await stop(server);

  const store = await s3.store({ bucket });
  const keys = (await listAll(store, '')).map((o) => o.key);
  assert.ok(keys.every((k) => k.startsWith('edge-1/')), `every key under the node id: ${keys.join(', ')}`);
  assert.ok(keys.some((k) => /^edge-1\/dbs\/\d+\/\d+\/\d{4}-\d\d-\d\d\/\d\d-\d\d\/\d{11}\.parquet$/.test(k)), `Parquet files on S3: ${keys.join(', ')}`);
  assert.ok(keys.some((k) => k.startsWith('edge-1/snapshots/')), 'snapshot manifests on S3');
  assert.ok(keys.includes('edge-1/epochs/0000000000000001.epoch'), 'the writer claimed epoch 1');

  // The same store through the AWS environment instead of flags; restart replays and reads Parquet.
  server = await serve(
    ['--object-store', 's3', '--bucket', bucket, '--node-id', 'edge-1'],
    { AWS_ENDPOINT: s3.endpoint, AWS_ALLOW_HTTP: 'true', AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1' },
  );
  assert.equal(await count(server.url), 300);
  await write(server.url, `cpu,host=h0 v=1000 ${base + 10_000}`);
  assert.equal(await count(server.url), 301);
  await stop(server);
  assert.ok((await listAll(store, 'edge-1/epochs/')).length === 2, 'the restart claimed epoch 2; epochs are never deleted');
  await store.close();
});

test('serve refuses an S3 store that ignores conditional puts (s3rver) unless --unsafe-skip-store-probe, with a warning', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-s3rver-'));
  const fake = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'fake', configs: [] }] });
  const { port } = await fake.run();
  const flags = ['--object-store', 's3', '--bucket', 'fake', '--aws-endpoint', `http://127.0.0.1:${port}`, '--aws-allow-http', '--aws-access-key-id', 'S3RVER', '--aws-secret-access-key', 'S3RVER'];
  try {
    const refused = await serve(flags).then(
      () => assert.fail('the server started on a store without conditional puts'),
      (err: { log: string; code: number }) => err,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.log, /does not honour create-only puts: a second create-only put of the same key succeeded.*refusing to start.*--unsafe-skip-store-probe/s);

    const unsafe = await serve([...flags, '--unsafe-skip-store-probe']);
    assert.match(unsafe.log(), /"level":"warn".*UNSAFE: --unsafe-skip-store-probe/);
    await write(unsafe.url, 'cpu,host=a v=1 1700000000');
    assert.equal(await count(unsafe.url), 1);
    await stop(unsafe);
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('serve --object-store s3 explains what is missing or wrong', async () => {
  for (const [args, message] of [
    [['--object-store', 's3'], /needs --bucket/],
    [['--object-store', 's3', '--bucket', 'b1b', '--aws-endpoint', 'http://127.0.0.1:1'], /plain HTTP: pass --aws-allow-http/],
    [['--object-store', 's3', '--bucket', 'B_ad'], /invalid S3 bucket name/],
    [['--object-store', 's3', '--bucket', 'b1b', '--aws-access-key-id', 'x'], /go together/],
  ] as const) {
    const err = await serve([...args]).then(
      () => assert.fail('started'),
      (e: { log: string; code: number }) => e,
    );
    assert.equal(err.code, 1);
    assert.match(err.log, message);
  }
});
