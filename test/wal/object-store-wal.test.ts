import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock, drainMicrotasks } from '../../src/effects/clock.js';
import { SeededRng } from '../../src/effects/rng.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { listAll } from '../../src/objectstore/types.js';
import { openWal, type OpenWalOptions } from '../../src/wal/object-store-wal.js';
import { BufferFullError, CorruptWalFileError, MissingWalFileError, WalShutdownError, WalStoppedError } from '../../src/wal/errors.js';
import { encodeWalContents } from '../../src/wal/codec.js';
import { walFileKey } from '../../src/wal/paths.js';
import type { WalConfig } from '../../src/wal/config.js';
import { FlakyStore, RecordingNotifier, rowValues, writeOp } from '../support/wal-helpers.js';

const MIN_NS = 60_000_000_000n;

function setup(config: Partial<WalConfig> = {}, extra: Partial<OpenWalOptions> = {}) {
  const clock = new SimClock();
  const memory = new MemoryObjectStore({ clock });
  const store = new FlakyStore(memory);
  const notifier = new RecordingNotifier();
  const options: OpenWalOptions = {
    store,
    nodeId: 'node-a',
    notifier,
    clock,
    rng: new SeededRng(7),
    config: { flushIntervalMs: 1000, gen1Duration: '1m', ...config },
    ...extra,
  };
  return { clock, memory, store, notifier, options };
}

async function walKeys(store: MemoryObjectStore): Promise<string[]> {
  return (await listAll(store, 'node-a/wal/')).map((o) => o.key);
}

test('writeOps resolves only after the interval flush made the file durable and notified', async () => {
  const { clock, memory, notifier, options } = setup();
  const wal = await openWal(options);
  let isAcked = false;
  const ack = wal.writeOps([writeOp(0n, 3)]).then(() => {
    isAcked = true;
  });
  await clock.advance(999);
  assert.equal(isAcked, false, 'not acknowledged before the flush');
  assert.deepEqual(await walKeys(memory), []);
  await clock.advance(1);
  await ack;
  assert.deepEqual(await walKeys(memory), [walFileKey('node-a', 1)]);
  assert.equal(notifier.files.length, 1);
  assert.equal(notifier.files[0]!.walFileNumber, 1);
  assert.deepEqual(rowValues(notifier.ops()), [0n, 1n, 2n]);
  assert.equal(wal.lastWalSequenceNumber(), 1);
  await wal.shutdown();
});

test('writeOps of no ops resolves at once and writes nothing', async () => {
  const { memory, options } = setup();
  const wal = await openWal({ ...options, startBackgroundFlush: false });
  await wal.writeOps([]);
  assert.deepEqual(await walKeys(memory), []);
  await wal.shutdown();
  await assert.rejects(wal.writeOps([]), WalShutdownError);
});

test('an idle interval writes no file', async () => {
  const { clock, memory, options } = setup();
  const wal = await openWal(options);
  await clock.advance(10_000);
  assert.deepEqual(await walKeys(memory), []);
  await wal.shutdown();
});

test('many writers in one interval share one file, in arrival order', async () => {
  const { clock, notifier, options } = setup();
  const wal = await openWal(options);
  const acks = [];
  for (let i = 0; i < 50; i++) acks.push(wal.writeOps([writeOp(BigInt(i), 1, i)]));
  await clock.advance(1000);
  await Promise.all(acks);
  assert.equal(notifier.files.length, 1);
  assert.deepEqual(rowValues(notifier.ops()), Array.from({ length: 50 }, (_, i) => BigInt(i)));
  await wal.shutdown();
});

test('the size threshold flushes early, without waiting for the interval', async () => {
  const { clock, notifier, options } = setup({ flushSizeBytes: 2000 });
  const wal = await openWal(options);
  const acks = [];
  for (let wave = 0; wave < 4; wave++) {
    for (let i = wave * 5; i < wave * 5 + 5; i++) acks.push(wal.writeOps([writeOp(BigInt(i), 10, i * 10)]));
    await drainMicrotasks(20);
  }
  await Promise.all(acks);
  assert.equal(clock.nowMs(), new SimClock().nowMs(), 'no simulated time passed');
  assert.ok(notifier.files.length >= 2, `several size-triggered files (${notifier.files.length})`);
  assert.deepEqual(rowValues(notifier.ops()), Array.from({ length: 200 }, (_, i) => BigInt(i)));
  assert.deepEqual(notifier.files.map((f) => f.walFileNumber), notifier.files.map((_, i) => i + 1));
  await wal.shutdown();
});

test('a full buffer refuses writes with BufferFullError (ops and bytes), all or nothing', async () => {
  const { clock, options } = setup({ maxWriteBufferSize: 3, maxWriteBufferBytes: 64 * 1024, flushSizeBytes: 1 << 30 });
  const wal = await openWal(options);
  const first = wal.writeOps([writeOp(0n), writeOp(1n)]);
  await assert.rejects(wal.writeOps([writeOp(2n), writeOp(3n)]), BufferFullError);
  assert.throws(() => wal.bufferOpUnconfirmed(writeOp(4n, 5000)), (err: unknown) => err instanceof BufferFullError && /bytes/.test(err.message));
  wal.bufferOpUnconfirmed(writeOp(5n));
  assert.equal(wal.getStats().bufferedOps, 3);
  await clock.advance(1000);
  await first;
  assert.equal(wal.getStats().bufferedOps, 0);
  const second = wal.writeOps([writeOp(6n), writeOp(7n)]);
  await clock.advance(1000);
  await second; // room again after the flush
  await wal.shutdown();
});

test('shutdown flushes what is buffered, answers its writers, then refuses writes', async () => {
  const { memory, notifier, options } = setup();
  const wal = await openWal(options);
  const ack = wal.writeOps([writeOp(0n, 2)]);
  await wal.shutdown();
  await ack;
  assert.equal(notifier.files.length, 1);
  assert.deepEqual(await walKeys(memory), [walFileKey('node-a', 1)]);
  await assert.rejects(wal.writeOps([writeOp(1n)]), WalShutdownError);
  assert.equal(wal.health().state, 'shutdown');
});

test('failed puts are retried with backoff until they succeed; health says degraded meanwhile', async () => {
  const { clock, store, memory, notifier, options } = setup();
  const wal = await openWal(options);
  store.failPuts = 4;
  let isAcked = false;
  const ack = wal.writeOps([writeOp(0n)]).then(() => {
    isAcked = true;
  });
  await clock.advance(1000);
  assert.equal(isAcked, false);
  assert.equal(wal.health().state, 'degraded');
  assert.ok(wal.health().consecutivePutFailures >= 1);
  await clock.advance(30_000);
  await ack;
  assert.equal(wal.health().state, 'ok');
  assert.deepEqual(await walKeys(memory), [walFileKey('node-a', 1)], 'one file, no sequence number skipped');
  assert.equal(notifier.files.length, 1);
  assert.equal(wal.getStats().putRetryCount, 4);
  const next = wal.writeOps([writeOp(1n)]);
  await clock.advance(1000);
  await next;
  assert.deepEqual(await walKeys(memory), [walFileKey('node-a', 1), walFileKey('node-a', 2)]);
  await wal.shutdown();
});

test('an ambiguous put (it took effect, then failed) is resolved by reading back the put id', async () => {
  const { clock, store, memory, notifier, options } = setup();
  const wal = await openWal(options);
  store.failAfterEffect = 1;
  const ack = wal.writeOps([writeOp(0n)]);
  await clock.advance(10_000);
  await ack;
  assert.equal(wal.health().state, 'ok');
  assert.deepEqual(await walKeys(memory), [walFileKey('node-a', 1)]);
  assert.equal(notifier.files.length, 1, 'notified once');
  await wal.shutdown();
});

test("another writer's file under our next number stops the WAL; every waiter gets WalStoppedError", async () => {
  const { clock, memory, notifier, options } = setup();
  const wal = await openWal(options);
  // A second writer on the same node id writes file 1 first.
  const foreign = encodeWalContents(
    { persistTimestampMs: 0, minTimestampNs: 0n, maxTimestampNs: 0n, walFileNumber: 1, ops: [writeOp(0n)] },
    { nodeId: 'node-a', writerEpoch: wal.epoch() + 1n, putId: new Uint8Array(16).fill(9) },
  );
  await memory.put(walFileKey('node-a', 1), foreign, 'create');
  const ack = wal.writeOps([writeOp(1n)]);
  const rejected = assert.rejects(ack, WalStoppedError);
  await clock.advance(1000);
  await rejected;
  assert.equal(notifier.files.length, 0);
  assert.equal(wal.health().state, 'stopped');
  await assert.rejects(wal.writeOps([writeOp(2n)]), WalStoppedError);
  assert.throws(() => wal.bufferOpUnconfirmed(writeOp(3n)), WalStoppedError);
  assert.deepEqual(Buffer.from(await memory.get(walFileKey('node-a', 1))), Buffer.from(foreign), 'the other file is untouched');
  await wal.shutdown();
});

test('reopening replays every acknowledged op exactly once, in order, and continues the numbering', async () => {
  const { clock, notifier, options } = setup();
  const wal = await openWal(options);
  for (let i = 0; i < 5; i++) {
    const ack = wal.writeOps([writeOp(BigInt(i), 2, i * 2)]);
    await clock.advance(1000);
    await ack;
  }
  await wal.shutdown();
  const before = rowValues(notifier.ops());

  const replayed = new RecordingNotifier();
  const wal2 = await openWal({ ...options, notifier: replayed });
  assert.deepEqual(rowValues(replayed.ops()), before);
  assert.deepEqual(replayed.files.map((f) => f.walFileNumber), [1, 2, 3, 4, 5]);
  assert.equal(wal2.lastWalSequenceNumber(), 5);
  assert.equal(wal2.getStats().replay?.filesReplayed, 5);
  const ack = wal2.writeOps([writeOp(99n)]);
  await clock.advance(1000);
  await ack;
  assert.equal(replayed.files.at(-1)!.walFileNumber, 6);
  await wal2.shutdown();
});

test('replay starts after the last persisted snapshot and re-runs only markers not yet persisted', async () => {
  // snapshotSize 1: consider a snapshot from 1 file on; in-order rule with gen1 = 1 minute.
  const { clock, notifier, options } = setup({ snapshotSize: 1, snapshottedWalFilesToKeep: 100 });
  const wal = await openWal(options);
  for (let i = 0; i < 4; i++) {
    const ack = wal.writeOps([writeOp(BigInt(i) * MIN_NS, 1, i)]);
    await clock.advance(1000);
    await ack;
  }
  await wal.shutdown();
  // Files 2, 3, 4 each carry a marker (snapshots 1, 2, 3) covering files 1, 2, 3.
  assert.deepEqual(notifier.snapshots.map((s) => [s.snapshotSequenceNumber, s.firstWalSequenceNumber, s.lastWalSequenceNumber]), [
    [1, 1, 1],
    [2, 2, 2],
    [3, 3, 3],
  ]);
  assert.deepEqual(notifier.files.map((f) => f.snapshot?.snapshotSequenceNumber), [undefined, 1, 2, 3]);

  // Say snapshot 1 was persisted (its manifest written) but 2 and 3 were not.
  const replayed = new RecordingNotifier();
  const wal2 = await openWal({ ...options, notifier: replayed, lastSnapshot: { snapshotSequenceNumber: 1, lastWalSequenceNumber: 1 } });
  assert.deepEqual(replayed.files.map((f) => f.walFileNumber), [2, 3, 4], 'file 1 is covered by the persisted snapshot');
  assert.deepEqual(replayed.snapshots.map((s) => s.snapshotSequenceNumber), [2, 3], 'marker 1 is not re-run');
  assert.equal(wal2.lastSnapshotSequenceNumber(), 3);
  assert.equal(wal2.getStats().replay?.snapshotsRerun, 2);
  await wal2.shutdown();
});

test('cleanup keeps exactly snapshottedWalFilesToKeep snapshotted files', async () => {
  const { clock, memory, notifier, options } = setup({ snapshotSize: 1, snapshottedWalFilesToKeep: 2 });
  const wal = await openWal(options);
  for (let i = 0; i < 8; i++) {
    const ack = wal.writeOps([writeOp(BigInt(i) * MIN_NS, 1, i)]);
    await clock.advance(1000);
    await ack;
  }
  await clock.advance(1000);
  const last = notifier.snapshots.at(-1)!;
  assert.equal(last.lastWalSequenceNumber, 7);
  // Snapshotted files are 1..7; exactly 2 are kept (6, 7), plus unsnapshotted file 8.
  assert.deepEqual(await walKeys(memory), [6, 7, 8].map((n) => walFileKey('node-a', n)));
  assert.equal(wal.getStats().walFilesDeleted, 5);
  await wal.shutdown();
});

test('one snapshot at a time: no new snapshot is decided while one is persisting', async () => {
  const { clock, notifier, options } = setup({ snapshotSize: 1, snapshottedWalFilesToKeep: 100 });
  notifier.autoPersist = false;
  const wal = await openWal(options);
  for (let i = 0; i < 5; i++) {
    const ack = wal.writeOps([writeOp(BigInt(i) * MIN_NS, 1, i)]);
    await clock.advance(1000);
    await ack;
  }
  assert.equal(notifier.snapshots.length, 1, 'writes continue but no second snapshot starts');
  notifier.finishSnapshots();
  const ack = wal.writeOps([writeOp(5n * MIN_NS, 1, 5)]);
  await clock.advance(1000);
  await ack;
  assert.equal(notifier.snapshots.length, 2);
  // Five periods waited (files 2–6): at 3 × snapshotSize the tracker snapshots them all.
  assert.deepEqual([notifier.snapshots[1]!.firstWalSequenceNumber, notifier.snapshots[1]!.lastWalSequenceNumber, notifier.snapshots[1]!.forced], [2, 6, true]);
  notifier.finishSnapshots();
  await wal.shutdown();
});

test('forceFlushBuffer on an empty buffer writes a noop file carrying a forced snapshot', async () => {
  const { notifier, options } = setup({ snapshotSize: 600 });
  const wal = await openWal({ ...options, startBackgroundFlush: false });
  const result = await wal.forceFlushBuffer();
  assert.ok(result);
  assert.equal(result.details.forced, true);
  assert.equal(notifier.files[0]!.ops[0]!.kind, 'noop');
  await result.snapshotDone;
  await wal.cleanupSnapshot(result.details, result.permit);
  assert.equal(await wal.flushBuffer(), undefined, 'nothing buffered: no file');
  await wal.shutdown();
});

test('a failed snapshot keeps its WAL files and releases the permit for the next one', async () => {
  const { clock, memory, notifier, options } = setup({ snapshotSize: 1, snapshottedWalFilesToKeep: 0 });
  notifier.failSnapshots = true;
  const wal = await openWal(options);
  for (let i = 0; i < 3; i++) {
    const ack = wal.writeOps([writeOp(BigInt(i) * MIN_NS, 1, i)]);
    await clock.advance(1000);
    await ack;
  }
  assert.equal((await walKeys(memory)).length, 3, 'nothing deleted');
  assert.ok(notifier.snapshots.length >= 2, 'later snapshots still start');
  await wal.shutdown();
});

test('a missing WAL file stops open with an error naming it', async () => {
  const { clock, memory, options } = setup();
  const wal = await openWal(options);
  for (let i = 0; i < 3; i++) {
    const ack = wal.writeOps([writeOp(BigInt(i))]);
    await clock.advance(1000);
    await ack;
  }
  await wal.shutdown();
  await memory.delete(walFileKey('node-a', 2));
  await assert.rejects(openWal({ ...options, notifier: new RecordingNotifier() }), (err: unknown) => {
    assert.ok(err instanceof MissingWalFileError);
    assert.equal(err.walFileSequenceNumber, 2);
    assert.match(err.message, /00000000002\.wal/);
    return true;
  });
});

test('a corrupt WAL file stops open, or with quarantine is moved aside and numbering continues above it', async () => {
  const { clock, memory, options } = setup();
  const wal = await openWal(options);
  for (let i = 0; i < 3; i++) {
    const ack = wal.writeOps([writeOp(BigInt(i), 1, i)]);
    await clock.advance(1000);
    await ack;
  }
  await wal.shutdown();
  const key3 = walFileKey('node-a', 3);
  const damaged = Buffer.from(await memory.get(key3));
  damaged[damaged.length - 1]! ^= 0x01;
  await memory.delete(key3);
  await memory.put(key3, damaged, 'create');

  await assert.rejects(openWal({ ...options, notifier: new RecordingNotifier() }), (err: unknown) => {
    assert.ok(err instanceof CorruptWalFileError);
    assert.equal(err.source, key3);
    return true;
  });

  const replayed = new RecordingNotifier();
  const wal2 = await openWal({ ...options, notifier: replayed, config: { ...options.config, quarantineCorruptFiles: true } });
  assert.deepEqual(rowValues(replayed.ops()), [0n, 1n]);
  assert.equal(wal2.getStats().replay?.quarantined.length, 1);
  assert.equal(wal2.lastWalSequenceNumber(), 3, 'the next file is 4, above the quarantined one');
  const ack = wal2.writeOps([writeOp(9n, 1, 9)]);
  await clock.advance(1000);
  await ack;
  assert.deepEqual(await walKeys(memory), [1, 2, 4].map((n) => walFileKey('node-a', n)));
  await wal2.shutdown();

  // A later start without quarantine accepts the gap the quarantine left.
  const again = new RecordingNotifier();
  const wal3 = await openWal({ ...options, notifier: again });
  assert.deepEqual(rowValues(again.ops()), [0n, 1n, 9n]);
  await wal3.shutdown();
});

test('files are notified strictly in sequence order under concurrent flush triggers', async () => {
  const { clock, notifier, options } = setup({ flushSizeBytes: 500 });
  const wal = await openWal(options);
  const acks = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 5; i++) acks.push(wal.writeOps([writeOp(BigInt(round * 5 + i), 3, (round * 5 + i) * 3)]));
    void wal.flushBuffer();
    await clock.advance(137);
  }
  await clock.advance(2000);
  await Promise.all(acks);
  assert.deepEqual(notifier.files.map((f) => f.walFileNumber), notifier.files.map((_, i) => i + 1));
  assert.deepEqual(rowValues(notifier.ops()), Array.from({ length: 300 }, (_, i) => BigInt(i)));
  await wal.shutdown();
});

test('added notifiers get every new file after the primary one', async () => {
  const { clock, notifier, options } = setup();
  const wal = await openWal(options);
  const extra = new RecordingNotifier();
  wal.addFileNotifier(extra);
  const ack = wal.writeOps([writeOp(0n)]);
  await clock.advance(1000);
  await ack;
  assert.equal(extra.files.length, 1);
  assert.equal(extra.files[0], notifier.files[0]);
  await wal.shutdown();
});

test('a bad node id is refused', async () => {
  const { options } = setup();
  await assert.rejects(openWal({ ...options, nodeId: '../etc' }), /nodeId/);
});
