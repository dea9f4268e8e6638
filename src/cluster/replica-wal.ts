/**
 * A query node's `Wal`: it takes no ops (a write or a schema change gets `ReadOnlyWalError`,
 * thrown synchronously so the caller undoes what it did in the same tick), and its health is the
 * replication's: ok while following, degraded while polls fail, stopped once behind.
 */
import type { WalConfig } from '../wal/config.js';
import { ReadOnlyWalError } from '../wal/errors.js';
import type { WalOp } from '../wal/model.js';
import type { FlushResult, WalHealth, WalStats } from '../wal/object-store-wal.js';
import type { Wal } from '../wal/wal.js';
import type { Follower } from './follower.js';

export class ReplicaWal implements Wal {
  private readonly stats: WalStats = {
    flushCount: 0,
    flushBytes: 0,
    lastFlushLatencyMs: 0,
    putRetryCount: 0,
    bufferedOps: 0,
    bufferedBytes: 0,
    snapshotsStarted: 0,
    walFilesDeleted: 0,
    replay: undefined,
  };
  private stopped = false;

  constructor(
    private readonly follower: Follower,
    private readonly followedNodeId: string,
    private readonly config: Readonly<WalConfig>,
  ) {}

  enqueueOps(_ops: readonly WalOp[]): Promise<void> {
    throw new ReadOnlyWalError(this.followedNodeId);
  }

  bufferOpsUnconfirmed(_ops: readonly WalOp[]): void {
    throw new ReadOnlyWalError(this.followedNodeId);
  }

  async flushBuffer(): Promise<FlushResult | undefined> {
    return undefined; // nothing is ever buffered here
  }

  forceSnapshot(): Promise<void> {
    return Promise.reject(new ReadOnlyWalError(this.followedNodeId));
  }

  lastWalSequenceNumber(): number {
    return this.follower.status().appliedWalFile;
  }

  health(): WalHealth {
    if (this.stopped) return { state: 'shutdown', consecutivePutFailures: 0 };
    const status = this.follower.status();
    if (status.state === 'behind') return { state: 'stopped', consecutivePutFailures: status.pollFailures, lastError: status.lastError ?? 'behind' };
    if (status.lastError !== undefined) return { state: 'degraded', consecutivePutFailures: status.pollFailures, lastError: status.lastError };
    return { state: 'ok', consecutivePutFailures: 0 };
  }

  getStats(): Readonly<WalStats> {
    return this.stats;
  }

  getConfig(): Readonly<WalConfig> {
    return this.config;
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.follower.close();
  }

  abandon(): void {
    this.stopped = true;
    void this.follower.close();
  }
}
