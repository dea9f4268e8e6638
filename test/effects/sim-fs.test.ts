import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFs, crashStates } from '../../src/effects/sim-fs.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';

async function writeFile(sim: SimFs, path: string, data: string, opts: { sync: boolean }): Promise<void> {
  const h = await sim.createExclusive(path);
  await h.write(Buffer.from(data));
  if (opts.sync) await h.sync();
  await h.close();
}

const text = async (sim: SimFs, path: string): Promise<string> => Buffer.from(await sim.readFile(path)).toString();

test('a synced file in a synced directory survives every crash', async () => {
  for (let seed = 0; seed < 50; seed++) {
    const sim = new SimFs();
    await sim.mkdirp('/d');
    await sim.syncDir('/');
    await writeFile(sim, '/d/f', 'durable', { sync: true });
    await sim.syncDir('/d');
    sim.crash(new SeededRng(seed));
    assert.equal(await text(sim, '/d/f'), 'durable');
  }
});

test('unsynced data and unsynced directory entries are lost when the disk keeps nothing pending', async () => {
  const sim = new SimFs();
  await sim.mkdirp('/d');
  await sim.syncDir('/');
  await writeFile(sim, '/d/data-not-synced', 'x', { sync: false });
  await sim.syncDir('/d');
  await writeFile(sim, '/d/entry-not-synced', 'y', { sync: true });
  sim.crash(new SeededRng(1), 'dropAll');
  assert.equal(await text(sim, '/d/data-not-synced'), '', 'the name survived, the data did not');
  await assert.rejects(sim.readFile('/d/entry-not-synced'), { code: 'ENOENT' });
});

test('a directory whose entry in its parent was never synced vanishes with its files', async () => {
  const sim = new SimFs();
  await sim.mkdirp('/a/b');
  await writeFile(sim, '/a/b/f', 'z', { sync: true });
  await sim.syncDir('/a/b');
  sim.crash(new SeededRng(1), 'dropAll');
  await assert.rejects(sim.readFile('/a/b/f'), { code: 'ENOENT' });
});

test('a rename without a directory fsync is atomic: old name or new name, never neither', async () => {
  for (let seed = 0; seed < 100; seed++) {
    const sim = new SimFs();
    await writeFile(sim, '/old', 'content', { sync: true });
    await sim.syncDir('/');
    await sim.rename('/old', '/new');
    sim.crash(new SeededRng(seed));
    const names = [...sim.listFiles().keys()];
    assert.equal(names.length, 1, `seed ${seed}: ${names.join(',')}`);
    assert.equal(await text(sim, names[0]!), 'content');
  }
});

test('torn writes cut only at 512-byte or 4 KiB boundaries and keep a prefix', async () => {
  const seed = testSeed();
  console.log(`sim-fs torn-write seed=${seed}`);
  const data = Buffer.alloc(20_000);
  for (let i = 0; i < data.length; i++) data[i] = i % 251;
  let torn = 0;
  for (let i = 0; i < 300; i++) {
    const sim = new SimFs();
    const h = await sim.createExclusive('/f');
    await sim.syncDir('/');
    await h.write(data.subarray(0, 7000));
    await h.write(data.subarray(7000));
    sim.crash(new SeededRng(seed + i));
    const got = Buffer.from(await sim.readFile('/f'));
    assert.ok(data.subarray(0, got.length).equals(got), 'a prefix of what was written');
    if (got.length !== 0 && got.length !== 7000 && got.length !== 20_000) {
      assert.ok(got.length % 512 === 0, `torn at ${got.length}`);
      torn++;
    }
  }
  assert.ok(torn > 0, 'some writes were torn');
});

test('the same seed gives the same post-crash image', async () => {
  const image = async (seed: number) => {
    const sim = new SimFs();
    await sim.mkdirp('/x');
    for (let i = 0; i < 10; i++) await writeFile(sim, `/x/f${i}`, `data ${i}`.repeat(300), { sync: i % 2 === 0 });
    sim.crash(new SeededRng(seed));
    return [...sim.listFiles()].map(([k, v]) => `${k}:${v.length}`).join(';');
  };
  assert.equal(await image(42), await image(42));
});

test('handles opened before a crash fail with EBADF', async () => {
  const sim = new SimFs();
  const h = await sim.createExclusive('/f');
  sim.crash(new SeededRng(1), 'keepAll');
  await assert.rejects(h.write(Buffer.from('x')), { code: 'EBADF' });
});

test('faults: the k-th call fails, transiently or persistently; a failed fsync drops the pending data', async () => {
  const sim = new SimFs();
  sim.failAt('link', 2, 'ENOSPC');
  await writeFile(sim, '/a', 'a', { sync: true });
  await sim.link('/a', '/b');
  await assert.rejects(sim.link('/a', '/c'), { code: 'ENOSPC' });
  await sim.link('/a', '/c');
  sim.failAt('unlink', 1, 'EIO', true);
  await assert.rejects(sim.unlink('/b'), { code: 'EIO' });
  await assert.rejects(sim.unlink('/b'), { code: 'EIO' });
  sim.clearFaults();

  const h = await sim.createExclusive('/g');
  await sim.syncDir('/');
  await h.write(Buffer.from('pending'));
  sim.failAt('sync', 1, 'EIO');
  await assert.rejects(h.sync(), { code: 'EIO' });
  assert.deepEqual(sim.syncRetriesAfterFailure, []);
  // On Linux this second fsync "succeeds" with the data gone: SimFs refuses it and records it.
  await assert.rejects(h.sync(), { code: 'EIO' });
  assert.deepEqual(sim.syncRetriesAfterFailure, ['/g']);
  sim.crash(new SeededRng(1), 'keepAll');
  assert.equal(await text(sim, '/g'), '');
});

test('a clone is a separate disk with the same durable and pending state', async () => {
  const sim = new SimFs();
  await sim.mkdirp('/d');
  await sim.syncDir('/');
  await writeFile(sim, '/d/synced', 'kept', { sync: true });
  await sim.syncDir('/d');
  await writeFile(sim, '/d/pending', 'maybe', { sync: false });
  const copy = sim.clone();
  assert.equal(copy.digest(), sim.digest());
  await sim.unlink('/d/synced');
  assert.notEqual(copy.digest(), sim.digest(), 'changing the original leaves the clone alone');
  copy.crash(new SeededRng(1), 'dropAll');
  assert.deepEqual([...copy.listFiles().keys()], ['/d/synced']);
  assert.equal(await text(copy, '/d/synced'), 'kept');
});

test('crash states: every cut of a recorded sequence × keep nothing, keep all and seeded subsets, without repeats', async () => {
  const sim = new SimFs();
  await sim.mkdirp('/d');
  await sim.syncDir('/');
  sim.startRecording();
  const h = await sim.createExclusive('/d/.t.tmp'); // 1
  await h.write(Buffer.alloc(9000, 7)); // 2
  await h.sync(); // 3
  await h.close(); // 4
  await sim.link('/d/.t.tmp', '/d/t'); // 5
  let ackedAfterCalls = -1;
  await sim.syncDir('/d'); // 6
  ackedAfterCalls = sim.callCount();
  await sim.unlink('/d/.t.tmp'); // 7
  const images = sim.stopRecording();
  assert.equal(images.length, 8, 'one image before each of the 7 calls, and one after the last');
  const seen = new Set<string>();
  let states = 0;
  let torn = 0;
  const gen = crashStates(images, { seededPerCut: 20, seed: 5, keyOf: (cut) => String(cut >= ackedAfterCalls) });
  for (;;) {
    const next = gen.next();
    if (next.done === true) {
      assert.equal(next.value.states, states);
      assert.ok(next.value.skipped > 0, 'equal states are given once');
      break;
    }
    const { cut, fs } = next.value;
    states++;
    const key = `${cut >= ackedAfterCalls}|${fs.digest()}`;
    assert.ok(!seen.has(key));
    seen.add(key);
    const files = fs.listFiles();
    const t = files.get('/d/t');
    if (cut >= ackedAfterCalls) assert.equal(t?.length, 9000, `cut ${cut}: the published file is whole`);
    const tmp = files.get('/d/.t.tmp');
    if (tmp !== undefined && tmp.length !== 0 && tmp.length !== 9000) torn++;
  }
  assert.ok(states >= 5, `${states} states`);
  assert.ok(torn > 0, 'some states tear the unsynced write');
});

test('freezeAfter: calls after the k-th never settle', async () => {
  const sim = new SimFs();
  sim.freezeAfter(1);
  await sim.mkdirp('/a');
  let settled = false;
  void sim.mkdirp('/b').finally(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false);
  assert.equal(sim.hasFrozen(), true);
});
