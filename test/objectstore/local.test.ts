import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir, readFile, utimes } from 'node:fs/promises';
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

/** A lock file as a crashed server left it: pid 1 in a container, its boot and start time. */
async function writeLockFile(dir: string, holder: object): Promise<string> {
  await mkdir(join(dir, 'node-1'), { recursive: true });
  const path = join(dir, 'node-1', '.lock');
  await writeFile(path, JSON.stringify(holder));
  return path;
}

const BOOT = 'f06fdcc2-b902-4e05-b740-7674599a8b0a';
const CRASHED = { pid: 1, token: 'dead', host: 'c0ffee', bootId: BOOT, startTime: '4000', since: '2025-03-01T10:00:00.000Z' };

/** A store on a machine whose only live pid is 1, started at `startTime` in boot `bootId`. */
function storeSeeingPid1(dir: string, startTime: string, bootId = BOOT): Promise<LocalObjectStore> {
  return LocalObjectStore.open({
    root: dir,
    isProcessAlive: (pid) => pid === 1,
    readBootId: () => bootId,
    readProcessStartTime: (pid) => (pid === 1 ? startTime : undefined),
  });
}

test('the writer lock: which holders are stale, by boot id, pid and start time', async () => {
  // [what the lock file says, what the machine shows now, taken over?]
  const cases: Array<[string, object, { startTime: string; bootId?: string; isAlive?: boolean }, boolean]> = [
    ['pid 1 reused by the restarted server (another start time)', CRASHED, { startTime: '9000' }, true],
    ['pid 1 still the holder (same start time)', CRASHED, { startTime: '4000' }, false],
    ['taken in another boot, pid 1 alive with the same start time', CRASHED, { startTime: '4000', bootId: 'another-boot' }, true],
    ['holder dead', CRASHED, { startTime: '4000', isAlive: false }, true],
    ['old lock file (pid and token only), pid alive', { pid: 1, token: 'old' }, { startTime: '9000' }, false],
    ['old lock file (pid, token, host), pid dead', { pid: 1, token: 'old', host: 'h' }, { startTime: '9000', isAlive: false }, true],
    ['torn lock file', { token: 'torn' }, { startTime: '4000' }, true],
  ];
  for (const [name, holder, now, isTakenOver] of cases) {
    const dir = await tempDir();
    try {
      const path = await writeLockFile(dir, holder);
      const store = await LocalObjectStore.open({
        root: dir,
        isProcessAlive: (pid) => pid === 1 && now.isAlive !== false,
        readBootId: () => now.bootId ?? BOOT,
        readProcessStartTime: (pid) => (pid === 1 && now.isAlive !== false ? now.startTime : undefined),
      });
      if (isTakenOver) {
        const lock = await store.acquireLock('node-1');
        const written = JSON.parse(await readFile(path, 'utf8')) as { pid: number; token: string };
        assert.equal(written.pid, process.pid, name);
        assert.notEqual(written.token, (holder as { token: string }).token, name);
        assert.ok(store.lastLockTakeover?.startsWith(path), name);
        await lock.release();
      } else {
        await assert.rejects(store.acquireLock('node-1'), LockedError, name);
        assert.equal(JSON.parse(await readFile(path, 'utf8')).token, (holder as { token: string }).token, `${name}: the lock is left alone`);
      }
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

test('a lock left by a crashed container server is taken over by its restart as pid 1; the reason is kept', async () => {
  const dir = await tempDir();
  try {
    await writeLockFile(dir, CRASHED);
    const store = await storeSeeingPid1(dir, '9000');
    const lock = await store.acquireLock('node-1');
    assert.match(store.lastLockTakeover!, /process id 1 now belongs to another process/);
    await lock.release();
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a lock held by a live process is refused with one line naming its pid, host and since when', async () => {
  const dir = await tempDir();
  try {
    const path = await writeLockFile(dir, CRASHED);
    const store = await storeSeeingPid1(dir, '4000');
    await assert.rejects(store.acquireLock('node-1'), (err: unknown) => {
      assert.ok(err instanceof LockedError);
      assert.equal(err.message, `another process holds the lock ${path}: process 1 on host c0ffee since 2025-03-01T10:00:00.000Z`);
      return true;
    });
    // An old lock file does not say since when: its modification time does.
    await writeLockFile(dir, { pid: 1, token: 'old' });
    await utimes(path, new Date('2024-12-31T23:00:00Z'), new Date('2024-12-31T23:00:00Z'));
    await assert.rejects(store.acquireLock('node-1'), /: process 1 since 2024-12-31T23:00:00\.000Z$/);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the writer lock records the real boot id and start time from /proc, and a changed start time frees it', async () => {
  const dir = await tempDir();
  try {
    const a = await LocalObjectStore.open({ root: dir });
    const b = await LocalObjectStore.open({ root: dir });
    await a.acquireLock('node-1');
    const path = join(dir, 'node-1', '.lock');
    const written = JSON.parse(await readFile(path, 'utf8')) as { pid: number; host: string; bootId: string; startTime: string; since: string };
    assert.equal(written.pid, process.pid);
    assert.equal(written.bootId, (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim());
    assert.match(written.startTime, /^\d+$/);
    assert.ok(Math.abs(Date.parse(written.since) - Date.now()) < 60_000);
    await assert.rejects(b.acquireLock('node-1'), LockedError, 'this process is alive with that start time');
    await writeFile(path, JSON.stringify({ ...written, startTime: String(Number(written.startTime) + 1) }));
    const taken = await b.acquireLock('node-1');
    assert.match(b.lastLockTakeover!, new RegExp(`process id ${process.pid} now belongs to another process`));
    await taken.release();
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
