import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFs, type Fs, type FsFileHandle } from '../../src/effects/fs.js';
import { SimFs } from '../../src/effects/sim-fs.js';
import { LockedError, NotFoundError, StoreIoError } from '../../src/objectstore/errors.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { listAll } from '../../src/objectstore/types.js';
import { objectStoreContract } from './contract.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sluice-local-'));
}

objectStoreContract('local', async () => {
  const dir = await tempDir();
  return { store: await LocalObjectStore.open({ root: dir }), dispose: () => rm(dir, { recursive: true, force: true }) };
});

objectStoreContract('local on SimFs', async () => ({ store: await LocalObjectStore.open({ root: '/root', fs: new SimFs() }), dispose: async () => {} }));

test('a create-only put follows the durable protocol: temp, write, fsync, close, link, fsync dir, unlink', async () => {
  const sim = new SimFs();
  const store = await LocalObjectStore.open({ root: '/data', fs: sim });
  await store.put('n/wal/00000000001.wal', Buffer.from('x'), 'create'); // creates the directories
  sim.trace = [];
  await store.put('n/wal/00000000002.wal', Buffer.from('y'), 'create');
  await new Promise((r) => setImmediate(r)); // the temp's unlink runs off the critical path
  assert.deepEqual(sim.trace.map((t) => t.op), ['createExclusive', 'write', 'sync', 'close', 'link', 'syncDir', 'unlink']);
  assert.match(sim.trace[0]!.path, /^\/data\/n\/wal\/\.00000000002\.wal\.[0-9a-f]+\.tmp$/);
  assert.equal(sim.trace[4]!.path, '/data/n/wal/00000000002.wal');
  assert.equal(sim.trace[5]!.path, '/data/n/wal');
});

test('an overwrite renames a synced temp over the object and fsyncs the directory', async () => {
  const sim = new SimFs();
  const store = await LocalObjectStore.open({ root: '/data', fs: sim });
  await store.put('m/manifest', Buffer.from('v1'), 'overwrite');
  sim.trace = [];
  await store.put('m/manifest', Buffer.from('v2'), 'overwrite');
  assert.deepEqual(sim.trace.map((t) => t.op), ['createExclusive', 'write', 'sync', 'close', 'rename', 'syncDir']);
  assert.equal(Buffer.from(await store.get('m/manifest')).toString(), 'v2');
});

test('new directories are made durable: a crash right after the put keeps the object', async () => {
  const sim = new SimFs();
  const store = await LocalObjectStore.open({ root: '/data', fs: sim });
  await store.put('deep/er/dir/obj', Buffer.from('kept'), 'create');
  const { SeededRng } = await import('../../src/effects/rng.js');
  sim.crash(new SeededRng(1), 'dropAll');
  const reopened = await LocalObjectStore.open({ root: '/data', fs: sim });
  assert.equal(Buffer.from(await reopened.get('deep/er/dir/obj')).toString(), 'kept');
});

test('a failed fsync leaves neither temp nor object and is a StoreIoError with its cause', async () => {
  const sim = new SimFs();
  const store = await LocalObjectStore.open({ root: '/data', fs: sim });
  await store.put('a/first', Buffer.from('1'), 'create');
  sim.failAt('sync', 1, 'EIO');
  await assert.rejects(store.put('a/second', Buffer.from('2'), 'create'), (err: unknown) => {
    assert.ok(err instanceof StoreIoError);
    assert.equal(err.isTransient, true);
    assert.equal((err.cause as { code?: string }).code, 'EIO');
    return true;
  });
  await assert.rejects(store.get('a/second'), NotFoundError);
  assert.deepEqual([...sim.listFiles().keys()].sort(), ['/data/a/first']);
  await store.put('a/second', Buffer.from('2'), 'create'); // a retry with a fresh file works
});

test('open removes stale temp files and never shows temps or locks in listings', async () => {
  const dir = await tempDir();
  try {
    await mkdir(join(dir, 'n', 'wal'), { recursive: true });
    await writeFile(join(dir, 'n', 'wal', '.00000000001.wal.abcd.tmp'), 'partial');
    await writeFile(join(dir, 'n', 'wal', '00000000001.wal'), 'whole');
    const store = await LocalObjectStore.open({ root: dir });
    assert.equal(store.removedTempFileCount, 1);
    assert.deepEqual(await readdir(join(dir, 'n', 'wal')), ['00000000001.wal']);
    const lock = await store.acquireLock('n');
    assert.deepEqual((await listAll(store, 'n/')).map((o) => o.key), ['n/wal/00000000001.wal']);
    await lock.release();
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the writer lock: a live holder refuses a second one; a dead holder is taken over; release frees it', async () => {
  const dir = await tempDir();
  try {
    const alive = new Set<number>([process.pid]);
    const isProcessAlive = (pid: number): boolean => alive.has(pid);
    const a = await LocalObjectStore.open({ root: dir, isProcessAlive });
    const b = await LocalObjectStore.open({ root: dir, isProcessAlive });
    const lockA = await a.acquireLock('node-1');
    await assert.rejects(b.acquireLock('node-1'), LockedError);
    const lockOther = await b.acquireLock('node-2'); // other node ids are independent
    await lockA.release();
    const lockB = await b.acquireLock('node-1');
    await assert.rejects(a.acquireLock('node-1'), LockedError);
    alive.clear(); // the holder died without releasing
    const taken = await a.acquireLock('node-1');
    assert.ok(taken);
    await lockB.release(); // no longer b's: must not remove a's lock
    alive.add(process.pid);
    await assert.rejects(b.acquireLock('node-1'), LockedError);
    await lockOther.release();
    await a.close();
    await b.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('read errors other than "not found" are StoreIoErrors', async () => {
  const failing: Fs = Object.assign(Object.create(new NodeFs()) as Fs, {
    readFile: async () => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    },
  });
  const dir = await tempDir();
  try {
    const store = await LocalObjectStore.open({ root: dir, fs: failing });
    await assert.rejects(store.get('a/b'), StoreIoError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// Keep FsFileHandle referenced for readers of this test: the interface every handle implements.
export type { FsFileHandle };
