/**
 * A store that refuses the WAL for good (revoked credentials, a deleted bucket) stops it at once
 * with the store's reason, instead of retrying for ever; transient failures are still retried.
 * On a simulated clock over the fault-injecting store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/effects/clock.js';
import { SeededRng } from '../../src/effects/rng.js';
import { PermanentStoreError } from '../../src/objectstore/errors.js';
import { FaultyObjectStore } from '../../src/objectstore/faulty.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { WalStoppedError } from '../../src/wal/errors.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import { walFileKey } from '../../src/wal/paths.js';
import { RecordingNotifier, writeOp } from '../support/wal-helpers.js';

async function setup() {
  const clock = new SimClock();
  const memory = new MemoryObjectStore({ clock });
  const store = new FaultyObjectStore(memory, { rng: new SeededRng(3), clock });
  const notifier = new RecordingNotifier();
  const wal = await openWal({ store, nodeId: 'node-a', notifier, clock, rng: new SeededRng(4), config: { flushIntervalMs: 1000, putRetryBaseDelayMs: 10, putRetryMaxDelayMs: 100 } });
  return { clock, memory, store, notifier, wal };
}

/** A rejection of `ack` with a WalStoppedError caused by a PermanentStoreError, captured. */
function stoppedBy(ack: Promise<void>): Promise<WalStoppedError> {
  return ack.then(
    () => assert.fail('acknowledged'),
    (err: unknown) => {
      assert.ok(err instanceof WalStoppedError, String(err));
      assert.ok(err.cause instanceof PermanentStoreError, String(err.cause));
      return err;
    },
  );
}

test('a WAL put refused for good stops the WAL at once: the waiting writer gets the reason, health names code, status and key, nothing is retried', async () => {
  const { clock, store, notifier, wal } = await setup();
  await Promise.all([wal.writeOps([writeOp(0n)]), clock.advance(1000)]);
  store.refuse({ ops: ['put'], keyPrefix: 'node-a/wal/', status: 403, serviceCode: 'AccessDenied' });
  const refused = stoppedBy(wal.writeOps([writeOp(1n)]));
  await clock.advance(1000);
  const err = await refused;
  const reason = `S3 says AccessDenied (403) for PUT ${walFileKey('node-a', 2)}: injected refusal`;
  assert.equal(err.message, `wal stopped: ${reason}`);
  assert.deepEqual(wal.health(), { state: 'stopped', consecutivePutFailures: 0, lastError: reason });
  assert.equal(store.counts.refused, 1, 'refused once, never retried');
  await clock.advance(60_000);
  assert.equal(store.counts.refused, 1, 'and not later either');
  assert.equal(wal.getStats().putRetryCount, 0);
  assert.equal(notifier.files.length, 1, 'the refused file was never applied');
  // Later writes are refused at once with the same reason.
  assert.throws(() => wal.bufferOpUnconfirmed(writeOp(2n)), (e: unknown) => e === err);
  await assert.rejects(wal.writeOps([writeOp(3n)]), (e: unknown) => e === err);
  await wal.shutdown();
});

test('a bucket deleted while a put is being retried: the retry meets the refusal and stops; the writer of the file and one buffered behind it both get the reason', async () => {
  const { clock, store, wal } = await setup();
  store.setFaults('put', { errorBeforeRate: 1 });
  const inFile = stoppedBy(wal.writeOps([writeOp(0n)]));
  await clock.advance(1000);
  assert.equal(wal.health().state, 'degraded', 'a transient failure: retrying');
  const behind = stoppedBy(wal.writeOps([writeOp(1n)]));
  store.refuse({ ops: ['put'], status: 404, serviceCode: 'NoSuchBucket' });
  await clock.advance(1000);
  const [a, b] = await Promise.all([inFile, behind]);
  assert.match(a.reason, /^S3 says NoSuchBucket \(404\) for PUT node-a\/wal\/.*: injected refusal$/);
  assert.equal(b, a, 'the same error for every writer');
  assert.equal(wal.health().state, 'stopped');
  assert.equal(wal.health().lastError, a.reason);
  assert.equal(store.counts.refused, 1);
  await wal.shutdown();
});

test('a refused epoch check after a put (a bodiless 403 to HEAD) stops the WAL before anything is acknowledged', async () => {
  const { clock, store, notifier, wal } = await setup();
  store.refuse({ ops: ['head'], status: 403, serviceCode: 'Forbidden' });
  const refused = stoppedBy(wal.writeOps([writeOp(0n)]));
  await clock.advance(1000);
  const err = await refused;
  assert.match(err.reason, /^S3 says Forbidden \(403\) for HEAD node-a\/epochs\//);
  assert.equal(notifier.files.length, 0, 'not applied, not acknowledged');
  assert.equal(wal.health().lastError, err.reason);
  await wal.shutdown();
});

test('transient put failures are still retried until the put succeeds, the WAL degraded meanwhile', async () => {
  const { clock, store, notifier, wal } = await setup();
  store.setFaults('put', { errorBeforeRate: 1 });
  let isAcked = false;
  const ack = wal.writeOps([writeOp(0n)]).then(() => (isAcked = true));
  await clock.advance(5000);
  assert.equal(isAcked, false);
  const health = wal.health();
  assert.equal(health.state, 'degraded');
  assert.ok(health.consecutivePutFailures >= 3, `retried: ${health.consecutivePutFailures}`);
  assert.match(health.lastError ?? '', /injected put failure/);
  store.heal();
  await clock.advance(1000);
  await ack;
  assert.equal(wal.health().state, 'ok');
  assert.equal(notifier.files.length, 1);
  await wal.shutdown();
});

test('a WAL refused when it opens fails to open with the reason', async () => {
  const clock = new SimClock();
  const store = new FaultyObjectStore(new MemoryObjectStore({ clock }), { rng: new SeededRng(3), clock });
  store.refuse({ status: 403, serviceCode: 'InvalidAccessKeyId' });
  await assert.rejects(
    openWal({ store, nodeId: 'node-a', notifier: new RecordingNotifier(), clock, rng: new SeededRng(4) }),
    (err: unknown) => err instanceof PermanentStoreError && /^S3 says InvalidAccessKeyId \(403\) for PUT node-a\/probe/.test(err.message),
  );
});
