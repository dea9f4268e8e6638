import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket, type AddressInfo } from 'node:net';
import { AlreadyExistsError, NotFoundError, PermanentStoreError, StoreIoError, type StoreOperation } from '../../src/objectstore/errors.js';
import { isPermanentStoreError, isTransientStoreError } from '../../src/objectstore/retry.js';
import { probeConditionalPut } from '../../src/objectstore/probe.js';
import { listAll } from '../../src/objectstore/types.js';
import { objectStoreContract } from './contract.js';
import { s3TestServer, type S3TestServer } from '../support/s3-server.js';
import { allowAll, deleteBucket, denyActions, s3Admin } from '../support/s3-admin.js';
import type { S3ObjectStore } from '../../src/objectstore/s3.js';

let server: S3TestServer;
before(async () => {
  server = await s3TestServer();
});
after(async () => {
  await server.stop();
});

objectStoreContract('s3 (radosgw)', async () => ({ store: await server.store(), dispose: async () => undefined }));

test('s3: the store passes the conditional-put probe against a real S3 server', async () => {
  const store = await server.store();
  await probeConditionalPut(store, 'node/probe');
  assert.deepEqual(await listAll(store, 'node/'), [], 'the probe leaves nothing behind');
  await store.close();
});

test('s3: keys live under the configured prefix, invisible to a store with another prefix', async () => {
  const bucket = await server.newBucket();
  const a = await server.store({ bucket, prefix: 'tenant-a' });
  const b = await server.store({ bucket, prefix: 'tenant-b' });
  await a.put('n/x', Buffer.from('a'), 'create');
  await b.put('n/x', Buffer.from('b'), 'create');
  assert.equal(Buffer.from(await a.get('n/x')).toString(), 'a');
  assert.deepEqual((await listAll(b, 'n/')).map((o) => o.key), ['n/x']);
  const whole = await server.store({ bucket });
  assert.deepEqual((await listAll(whole, '')).map((o) => o.key), ['tenant-a/n/x', 'tenant-b/n/x']);
  for (const s of [a, b, whole]) await s.close();
});

/**
 * A loopback TCP proxy in front of the S3 server that can lose the answer of a request (the
 * request reaches the server, the response is cut: the ambiguous outcome) or hang.
 */
async function faultyProxy(target: string): Promise<{ endpoint: string; mode: 'pass' | 'dropAnswer' | 'hang'; drops: number; close(): Promise<void> }> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  const state = {
    endpoint: '',
    mode: 'pass' as 'pass' | 'dropAnswer' | 'hang',
    drops: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (state.mode === 'hang') return; // accept, never answer
    const upstream = connect(Number(url.port), url.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.on('data', (chunk: Buffer) => {
      if (state.mode !== 'hang') upstream.write(chunk); // a hanging server swallows requests
    });
    upstream.on('data', (chunk: Buffer) => {
      if (state.mode === 'dropAnswer') {
        state.mode = 'pass';
        state.drops++;
        client.destroy(); // the server did the work; the client never hears of it
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

test('s3: a create whose answer was lost is retried and recognised as ours by its put id; a foreign object is not', async () => {
  const proxy = await faultyProxy(server.endpoint);
  const store = await server.store({ endpoint: proxy.endpoint, retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
  proxy.mode = 'dropAnswer';
  await store.put('amb/k', Buffer.from('mine'), 'create');
  assert.equal(proxy.drops, 1, 'the first answer was cut');
  assert.equal(store.retries, 1);
  assert.equal(Buffer.from(await store.get('amb/k')).toString(), 'mine');
  // someone else's object under the key: a lost answer then 412 is not taken as ours
  proxy.mode = 'dropAnswer';
  await assert.rejects(store.put('amb/k', Buffer.from('other'), 'create'), AlreadyExistsError);
  assert.equal(Buffer.from(await store.get('amb/k')).toString(), 'mine');
  await store.close();
  await proxy.close();
});

test('s3: a request that hangs times out and is retried; a store that never answers fails typed and transient', async () => {
  const proxy = await faultyProxy(server.endpoint);
  const store = await server.store({ endpoint: proxy.endpoint, requestTimeoutMs: 300, maxAttempts: 3, retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
  await store.put('t/k', Buffer.from('x'), 'create');
  proxy.mode = 'hang';
  const started = Date.now();
  await assert.rejects(store.get('t/k'), (err: unknown) => err instanceof StoreIoError && err.isTransient && /after 3 attempts/.test(err.message));
  assert.ok(Date.now() - started < 5_000, 'bounded by the timeouts');
  proxy.mode = 'pass';
  assert.equal(Buffer.from(await store.get('t/k')).toString(), 'x');
  await store.close();
  await proxy.close();
});

test('s3: errors are typed: missing keys, a missing bucket, a dead endpoint after retries', async () => {
  const store = await server.store();
  await assert.rejects(store.get('none'), NotFoundError);
  await assert.rejects(store.head('none'), NotFoundError);
  await store.close();
  const noBucket = await server.store({ bucket: 'sluice-no-such-bucket' });
  await assert.rejects(noBucket.put('k', Buffer.from('x'), 'create'), (err: unknown) => err instanceof PermanentStoreError && !isTransientStoreError(err) && err.serviceCode === 'NoSuchBucket');
  await noBucket.close();
  const dead = await server.store({ bucket: 'sluice-dead', endpoint: 'http://127.0.0.1:9', maxAttempts: 3, retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
  await assert.rejects(dead.get('k'), (err: unknown) => err instanceof StoreIoError && err.isTransient && /after 3 attempts/.test(err.message));
  assert.equal(dead.retries, 2);
  await dead.close();
});

test('s3: plain-HTTP endpoints are refused unless allowed; bad bucket names are refused', async () => {
  await assert.rejects(server.store({ allowHttp: false }), /--aws-allow-http/);
  await assert.rejects(server.store({ bucket: 'Bad_Bucket' }), /invalid S3 bucket name/);
});

/** Every operation of a store, each expected to be refused (none may succeed). */
async function refusals(store: S3ObjectStore): Promise<Array<[StoreOperation, string, number | undefined, string]>> {
  const out: Array<[StoreOperation, string, number | undefined, string]> = [];
  const calls: Array<[StoreOperation, () => Promise<unknown>]> = [
    ['PUT', () => store.put('n/wal/1.wal', Buffer.from('x'), 'create')],
    ['GET', () => store.get('n/k')],
    ['GET', () => store.getRange('n/k', 0, 1)],
    ['HEAD', () => store.head('n/k')],
    ['LIST', () => store.list({ prefix: 'n/' })],
    ['DELETE', () => store.delete('n/k')],
  ];
  for (const [operation, call] of calls) {
    const err = await call().then(
      () => assert.fail(`${operation} succeeded`),
      (e: unknown) => e,
    );
    assert.ok(isPermanentStoreError(err), `${operation}: ${String(err)}`);
    assert.equal(err.operation, operation);
    out.push([operation, err.serviceCode, err.status, err.message]);
  }
  return out;
}

test('s3: refusals no retry changes fail at once as PermanentStoreError with the S3 code, the status and the object: wrong secret, unknown key id, a bucket policy, a deleted bucket', async () => {
  const admin = s3Admin(server);
  const bucket = await server.newBucket();
  const good = await server.store({ bucket });
  await good.put('n/k', Buffer.from('v'), 'create');
  const options = { bucket, retryBaseDelayMs: 1, retryMaxDelayMs: 5 };

  const wrongSecret = await server.store({ ...options, secretAccessKey: 'not-the-secret' });
  const codes = (rs: Array<[StoreOperation, string, number | undefined, string]>) => rs.map(([op, code, status]) => `${op} ${code} ${status}`);
  const signature = await refusals(wrongSecret);
  // A HEAD answer has no body, so it cannot name its code.
  assert.deepEqual(codes(signature), ['PUT SignatureDoesNotMatch 403', 'GET SignatureDoesNotMatch 403', 'GET SignatureDoesNotMatch 403', 'HEAD Forbidden 403', 'LIST SignatureDoesNotMatch 403', 'DELETE SignatureDoesNotMatch 403']);
  assert.equal(signature[0]![3], `S3 says SignatureDoesNotMatch (403) for PUT s3://${bucket}/n/wal/1.wal: the request signature does not match: the secret access key is wrong`);
  assert.equal(wrongSecret.retries, 0, 'nothing retried');

  const unknownKey = await server.store({ ...options, accessKeyId: 'no-such-key-id' });
  assert.deepEqual(codes(await refusals(unknownKey)), ['PUT InvalidAccessKeyId 403', 'GET InvalidAccessKeyId 403', 'GET InvalidAccessKeyId 403', 'HEAD Forbidden 403', 'LIST InvalidAccessKeyId 403', 'DELETE InvalidAccessKeyId 403']);
  assert.equal(unknownKey.retries, 0);

  await denyActions(admin, bucket, ['s3:PutObject', 's3:GetObject', 's3:ListBucket', 's3:DeleteObject']);
  const denied = await refusals(good);
  assert.deepEqual(codes(denied), ['PUT AccessDenied 403', 'GET AccessDenied 403', 'GET AccessDenied 403', 'HEAD Forbidden 403', 'LIST AccessDenied 403', 'DELETE AccessDenied 403']);
  assert.match(denied[4]![3], new RegExp(`^S3 says AccessDenied \\(403\\) for LIST s3://${bucket}/n/: access denied`));
  await allowAll(admin, bucket);
  assert.equal(Buffer.from(await good.get('n/k')).toString(), 'v', 'lifting the policy lets the same store in again');

  await deleteBucket(admin, bucket);
  // HEAD of a missing bucket is a bodiless 404, like a missing key's: absent, as a head says.
  await assert.rejects(good.head('n/k'), NotFoundError);
  for (const [operation, call] of [
    ['PUT', () => good.put('n/k', Buffer.from('x'), 'overwrite')],
    ['GET', () => good.get('n/k')],
    ['LIST', () => good.list({ prefix: '' })],
    ['DELETE', () => good.delete('n/k')],
  ] as const) {
    await assert.rejects(call(), (err: unknown) => isPermanentStoreError(err) && err.serviceCode === 'NoSuchBucket' && err.status === 404 && err.operation === operation && /the bucket does not exist$/.test(err.message));
  }
  assert.equal(good.retries, 0);
  for (const s of [good, wrongSecret, unknownKey]) await s.close();
  admin.destroy();
});
