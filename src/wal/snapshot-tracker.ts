import assert from 'node:assert/strict';
import type { SnapshotDetails, SnapshotSequenceNumber, WalFileSequenceNumber } from './model.js';
import { chunkTimeNs } from './model.js';

/** One WAL file's data-time range, as the tracker sees it. */
export interface WalPeriod {
  walFileNumber: WalFileSequenceNumber;
  minTimeNs: bigint;
  maxTimeNs: bigint;
}

/**
 * Decides when to snapshot, with InfluxDB 3's rules: consider a snapshot once 1.5 × snapshotSize
 * WAL files are unsnapshotted; then persist the in-order run of files whose data is older than
 * the newest file's gen1 window; at 3 × snapshotSize (or when forced) snapshot everything.
 * Times use floor division, so pre-1970 data lands in the right window.
 */
export class SnapshotTracker {
  private lastSnapshotSeq: SnapshotSequenceNumber;
  private lastWalSeq: WalFileSequenceNumber;
  private readonly periods: WalPeriod[] = [];

  constructor(
    private readonly snapshotSize: number,
    private readonly gen1DurationNs: bigint,
    lastSnapshotSequenceNumber: SnapshotSequenceNumber = 0,
    lastWalSequenceNumber: WalFileSequenceNumber = 0,
  ) {
    assert(snapshotSize >= 1, 'snapshotSize must be at least 1');
    this.lastSnapshotSeq = lastSnapshotSequenceNumber;
    this.lastWalSeq = lastWalSequenceNumber;
  }

  /** Records a new WAL file; file numbers must strictly increase. */
  addWalPeriod(period: WalPeriod): void {
    assert(period.walFileNumber > this.lastWalSeq, `WAL period ${period.walFileNumber} after ${this.lastWalSeq}`);
    assert(period.minTimeNs <= period.maxTimeNs, `WAL period ${period.walFileNumber} has min > max`);
    this.lastWalSeq = period.walFileNumber;
    this.periods.push(period);
  }

  /** The snapshot to take now, if any; removes the periods it covers. */
  snapshot(force: boolean): SnapshotDetails | undefined {
    if (this.periods.length === 0) return undefined;
    if (!force && this.periods.length < this.periodsBeforeSnapshot()) return undefined;
    if (force || this.periods.length >= 3 * this.snapshotSize) return this.snapshotAll();
    return this.snapshotInOrderPeriods();
  }

  /**
   * Replays a snapshot recorded in a WAL file: drops the periods it covers and moves the
   * snapshot sequence number to it, so the tracker matches what the writer decided then.
   */
  applyRecordedSnapshot(details: SnapshotDetails): void {
    let covered = 0;
    while (covered < this.periods.length && this.periods[covered]!.walFileNumber <= details.lastWalSequenceNumber) covered++;
    this.periods.splice(0, covered);
    if (details.snapshotSequenceNumber > this.lastSnapshotSeq) this.lastSnapshotSeq = details.snapshotSequenceNumber;
  }

  /** The last WAL file number added (or given at construction). */
  lastWalSequenceNumber(): WalFileSequenceNumber {
    return this.lastWalSeq;
  }

  /** The last snapshot sequence number issued (or given at construction). */
  lastSnapshotSequenceNumber(): SnapshotSequenceNumber {
    return this.lastSnapshotSeq;
  }

  /** The periods not yet covered by a snapshot, oldest first. */
  walPeriods(): readonly WalPeriod[] {
    return this.periods;
  }

  private periodsBeforeSnapshot(): number {
    return this.snapshotSize + Math.floor(this.snapshotSize / 2);
  }

  private snapshotInOrderPeriods(): SnapshotDetails | undefined {
    const last = this.periods[this.periods.length - 1]!;
    const markerNs = chunkTimeNs(last.maxTimeNs, this.gen1DurationNs);
    let taken = 0;
    while (taken < this.periods.length && this.periods[taken]!.maxTimeNs < markerNs) taken++;
    if (taken === 0) return undefined;
    const covered = this.periods.splice(0, taken);
    return {
      snapshotSequenceNumber: ++this.lastSnapshotSeq,
      endTimeMarkerNs: markerNs,
      firstWalSequenceNumber: covered[0]!.walFileNumber,
      lastWalSequenceNumber: covered[covered.length - 1]!.walFileNumber,
      forced: false,
    };
  }

  private snapshotAll(): SnapshotDetails {
    const covered = this.periods.splice(0, this.periods.length);
    let maxTimeNs = covered[0]!.maxTimeNs;
    for (const p of covered) if (p.maxTimeNs > maxTimeNs) maxTimeNs = p.maxTimeNs;
    return {
      snapshotSequenceNumber: ++this.lastSnapshotSeq,
      endTimeMarkerNs: chunkTimeNs(maxTimeNs, this.gen1DurationNs) + this.gen1DurationNs,
      firstWalSequenceNumber: covered[0]!.walFileNumber,
      lastWalSequenceNumber: covered[covered.length - 1]!.walFileNumber,
      forced: true,
    };
  }
}
