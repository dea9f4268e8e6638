import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/effects/clock.js';
import { SeededRng } from '../../src/effects/rng.js';
import { withTestSwitch } from '../../src/effects/test-switches.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { listAll } from '../../src/objectstore/types.js';
import { openWal, type ObjectStoreWal } from '../../src/wal/object-store-wal.js';
import { FencedError, WalStoppedError } from '../../src/wal/errors.js';
import { epochKey, walFileKey } from '../../src/wal/paths.js';
import { RecordingNotifier, rowValues, writeOp } from '../support/wal-helpers.js';

const CONFIG = { flushIntervalMs: 100, snapshotSize: 2, snapshottedWalFilesToKeep: 0, gen1Duration: '1m' as const };

async function open(store: MemoryObjectStore, clock: SimClock, seed: number, notifier = new RecordingNotifier()): Promise<ObjectStoreWal> {
  return openWal({ store, nodeId: 'n', notifier, clock, rng: new SeededRng(seed), config: CONFIG });
}

/** Every value a fresh reader replays (above the last persisted snapshot, if any). */
async function replayedValues(store: MemoryObjectStore, persisted?: RecordingNotifier): Promise<bigint[]> {
  const check = new RecordingNotifier();
  const last = persisted?.snapshots.at(-1);
  const lastSnapshot = last === undefined ? {} : { lastSnapshot: { snapshotSequenceNumber: last.snapshotSequenceNumber, lastWalSequenceNumber: last.lastWalSequenceNumber } };
  const reader = await openWal({ store, nodeId: 'n', notifier: check, clock: new SimClock(), startBackgroundFlush: false, fencing: false, ...lastSnapshot });
  await reader.shutdown();
  return rowValues(check.ops());
}

test('each open claims the next epoch with a create-only put; epoch objects are never deleted', async () => {
  const clock = new SimClock();
  const store = new MemoryObjectStore({ clock });
  for (let i = 1; i <= 3; i++) {
    const wal = await open(store, clock, i);
    assert.equal(wal.epoch(), BigInt(i));
    await wal.shutdown();
  }
  assert.deepEqual((await listAll(store, 'n/epochs/')).map((o) => o.key), [epochKey('n', 1n), epochKey('n', 2n), epochKey('n', 3n)]);
});

test('a zombie writer stops within one flush of a newer writer claiming the node id', async () => {
  const clock = new SimClock();
  const store = new MemoryObjectStore({ clock });
  const a = await open(store, clock, 1);
  await Promise.all([a.writeOps([writeOp(0n, 1, 1)]), clock.advance(100)]);
  const b = await open(store, clock, 2);
  const zombieWrite = a.writeOps([writeOp(0n, 1, 2)]);
  const refused = assert.rejects(zombieWrite, (err: unknown) => err instanceof WalStoppedError && err.cause instanceof FencedError);
  await clock.advance(100);
  await refused;
  assert.equal(a.health().state, 'stopped');
  await Promise.all([b.writeOps([writeOp(0n, 1, 3)]), clock.advance(100)]);
  await a.shutdown();
  await b.shutdown();
  // b replaced the zombie's unacknowledged file 2 with its own
  assert.deepEqual(await replayedValues(store), [1n, 3n]);
});

/**
 * The case file-name conflicts alone miss (SlateDB #352): the newer writer snapshots and cleans
 * up, so the number the zombie writes next is free again. Without the epoch re-check the zombie
 * acknowledges a write the newer writer never sees.
 */
async function zombieAfterCleanup(): Promise<{ zombieAcked: boolean; values: bigint[] }> {
  const clock = new SimClock();
  const store = new MemoryObjectStore({ clock });
  const a = await open(store, clock, 1);
  await Promise.all([a.writeOps([writeOp(0n, 1, 1)]), clock.advance(100)]); // a: file 1
  const persisted = new RecordingNotifier();
  const b = await open(store, clock, 2, persisted); // replays file 1; next is 2
  // b writes files 2..5 across several minutes; snapshots clean them all up
  for (let i = 0; i < 4; i++) await Promise.all([b.writeOps([writeOp(BigInt(i + 1) * 120_000_000_000n, 1, 10 + i)]), clock.advance(100)]);
  await b.shutdown();
  const keys = (await listAll(store, 'n/wal/')).map((o) => o.key);
  assert.ok(!keys.includes(walFileKey('n', 2)), `cleanup removed file 2 (left: ${keys.join(', ')})`);
  let zombieAcked = false;
  const zombieWrite = a.writeOps([writeOp(0n, 1, 99)]).then(() => (zombieAcked = true), () => undefined);
  await clock.advance(100);
  await zombieWrite;
  await a.shutdown();
  return { zombieAcked, values: await replayedValues(store, persisted) };
}

test('a zombie whose next WAL file number was freed by cleanup still never acknowledges', async () => {
  const { zombieAcked, values } = await zombieAfterCleanup();
  assert.equal(zombieAcked, false);
  assert.ok(!values.includes(99n));
});

test('broken build check: without the epoch re-check the zombie acknowledges a write that is then lost', async () => {
  const { zombieAcked, values } = await withTestSwitch('skipEpochRecheck', zombieAfterCleanup);
  assert.equal(zombieAcked, true, 'the deliberately broken build acknowledges the zombie write');
  assert.ok(!values.includes(99n), 'and the acknowledged write is not there after recovery');
});
