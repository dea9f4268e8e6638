import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket, type AddressInfo } from 'node:net';
import { AlreadyExistsError, NotFoundError, StoreIoError } from '../../src/objectstore/errors.js';
import { probeConditionalPut } from '../../src/objectstore/probe.js';
import { listAll } from '../../src/objectstore/types.js';
import { objectStoreContract } from './contract.js';
import { s3TestServer, type S3TestServer } from '../support/s3-server.js';

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
  await assert.rejects(noBucket.put('k', Buffer.from('x'), 'create'), (err: unknown) => err instanceof StoreIoError && !err.isTransient && /NoSuchBucket/.test(err.message));
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
