import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotTracker, type WalPeriod } from '../../src/wal/snapshot-tracker.js';

const S = 1_000_000_000n; // ns per second
const MIN = 60n * S;
const ms = (n: number): bigint => BigInt(n) * 1_000_000n;

function period(walFileNumber: number, minTimeNs: bigint, maxTimeNs: bigint): WalPeriod {
  return { walFileNumber, minTimeNs, maxTimeNs };
}

// InfluxDB 3's own worked example for its snapshot tracker: snapshot size 2 → consider at 3 files, gen1 1 min.
test('in-order snapshots follow the worked example: markers 120 s, 240 s, 360 s', () => {
  const tracker = new SnapshotTracker(2, MIN);
  const p1 = period(1, 0n, ms(60_000));
  const p2 = period(2, 800_000_001n, ms(119_900));
  const p3 = period(3, ms(60_600), ms(120_900));
  const p4 = period(4, 120_800_000_001n, ms(240_000));
  const p5 = period(5, 180_800_000_001n, ms(299_000));
  const p6 = period(6, 240_800_000_001n, ms(360_100));

  assert.equal(tracker.snapshot(false), undefined);
  tracker.addWalPeriod(p1);
  assert.equal(tracker.snapshot(false), undefined);
  tracker.addWalPeriod(p2);
  assert.equal(tracker.snapshot(false), undefined);
  tracker.addWalPeriod(p3);
  assert.deepEqual(tracker.snapshot(false), {
    snapshotSequenceNumber: 1,
    endTimeMarkerNs: 120n * S,
    firstWalSequenceNumber: 1,
    lastWalSequenceNumber: 2,
    forced: false,
  });
  tracker.addWalPeriod(p4);
  assert.equal(tracker.snapshot(false), undefined, 'two periods left: below the 1.5× threshold');
  tracker.addWalPeriod(p5);
  assert.deepEqual(tracker.snapshot(false), {
    snapshotSequenceNumber: 2,
    endTimeMarkerNs: 240n * S,
    firstWalSequenceNumber: 3,
    lastWalSequenceNumber: 3,
    forced: false,
  });
  assert.deepEqual(tracker.walPeriods(), [p4, p5]);
  tracker.addWalPeriod(p6);
  assert.deepEqual(tracker.snapshot(false), {
    snapshotSequenceNumber: 3,
    endTimeMarkerNs: 360n * S,
    firstWalSequenceNumber: 4,
    lastWalSequenceNumber: 5,
    forced: false,
  });
  assert.equal(tracker.snapshot(false), undefined);
  assert.equal(tracker.lastSnapshotSequenceNumber(), 3);
  assert.equal(tracker.lastWalSequenceNumber(), 6);
});

test('future-dated data blocks in-order snapshots until 3× snapshotSize forces one', () => {
  const tracker = new SnapshotTracker(2, MIN);
  tracker.addWalPeriod(period(1, 0n, ms(300_100)));
  tracker.addWalPeriod(period(2, ms(30_000), ms(59_900)));
  tracker.addWalPeriod(period(3, ms(60_000), ms(60_900)));
  assert.equal(tracker.snapshot(false), undefined);
  tracker.addWalPeriod(period(4, ms(90_000), ms(120_000)));
  assert.equal(tracker.snapshot(false), undefined);
  tracker.addWalPeriod(period(5, ms(120_000), ms(150_000)));
  assert.equal(tracker.snapshot(false), undefined);
  tracker.addWalPeriod(period(6, ms(150_000), ms(180_100)));
  assert.deepEqual(tracker.snapshot(false), {
    snapshotSequenceNumber: 1,
    endTimeMarkerNs: 360n * S,
    firstWalSequenceNumber: 1,
    lastWalSequenceNumber: 6,
    forced: true,
  });
  assert.equal(tracker.walPeriods().length, 0);
});

test('a forced snapshot takes every period, even one, with the marker past the newest window', () => {
  const tracker = new SnapshotTracker(600, 10n * MIN, 7, 41);
  tracker.addWalPeriod(period(42, ms(1_000), ms(601_000)));
  assert.deepEqual(tracker.snapshot(true), {
    snapshotSequenceNumber: 8,
    endTimeMarkerNs: 1200n * S,
    firstWalSequenceNumber: 42,
    lastWalSequenceNumber: 42,
    forced: true,
  });
});

test('forcing with no periods gives no snapshot and consumes no sequence number', () => {
  const tracker = new SnapshotTracker(2, MIN, 5);
  assert.equal(tracker.snapshot(true), undefined);
  assert.equal(tracker.lastSnapshotSequenceNumber(), 5);
});

test('markers use floor division for pre-1970 data', () => {
  const tracker = new SnapshotTracker(1, MIN);
  tracker.addWalPeriod(period(1, -130n * S, -125n * S));
  tracker.addWalPeriod(period(2, -30n * S, -1n));
  // Newest max is −1 ns: its window starts at −60 s (floor), not at 0 (truncation).
  assert.deepEqual(tracker.snapshot(false), {
    snapshotSequenceNumber: 1,
    endTimeMarkerNs: -60n * S,
    firstWalSequenceNumber: 1,
    lastWalSequenceNumber: 1,
    forced: false,
  });
});

test('the newest period is never taken by the in-order rule', () => {
  const tracker = new SnapshotTracker(2, MIN);
  for (let i = 1; i <= 5; i++) tracker.addWalPeriod(period(i, BigInt(i) * MIN, BigInt(i) * MIN + 1n));
  const details = tracker.snapshot(false);
  assert.ok(details);
  assert.equal(details.lastWalSequenceNumber, 4);
  assert.deepEqual(tracker.walPeriods().map((p) => p.walFileNumber), [5]);
});

test('periods must increase', () => {
  const tracker = new SnapshotTracker(2, MIN);
  tracker.addWalPeriod(period(3, 0n, 1n));
  assert.throws(() => tracker.addWalPeriod(period(3, 0n, 1n)));
  assert.throws(() => tracker.addWalPeriod(period(4, 2n, 1n)));
});
