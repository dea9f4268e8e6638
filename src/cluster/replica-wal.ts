/**
 * A query node's `Wal`: it takes no ops (a write or a schema change gets `ReadOnlyWalError`,
 * thrown synchronously so the caller undoes what it did in the same tick), and its health is the
 * replication's: ok while following, degraded while polls fail or a registered ingest node cannot
 * be followed, stopped once behind.
 */
import type { WalConfig } from '../wal/config.js';
import { ReadOnlyWalError } from '../wal/errors.js';
import type { WalOp } from '../wal/model.js';
import { emptyWalStats, type FlushResult, type WalHealth, type WalStats } from '../wal/object-store-wal.js';
import type { Wal } from '../wal/wal.js';
import type { Follower } from './follower.js';

export class ReplicaWal implements Wal {
  private readonly stats: WalStats = emptyWalStats();
  private stopped = false;

  private readonly followedNodeId: string;

  constructor(
    private readonly followers: readonly Follower[],
    private readonly config: Readonly<WalConfig>,
    /** Registered ingest nodes not followed, and why (the registry's discovery). */
    private readonly notFollowed: () => ReadonlyMap<string, string> = () => new Map(),
  ) {
    this.followedNodeId = followers.map((f) => f.nodeId).join(', ');
  }

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

  /** The last WAL file applied of the first node followed. */
  lastWalSequenceNumber(): number {
    return this.followers[0]?.status().appliedWalFile ?? 0;
  }

  /** The worst of the followers': stopped when one is behind, degraded while one's polls fail or a registered node is not followed. */
  health(): WalHealth {
    if (this.stopped) return { state: 'shutdown', consecutivePutFailures: 0 };
    let health: WalHealth = { state: 'ok', consecutivePutFailures: 0 };
    for (const f of this.followers) {
      const status = f.status();
      const error = `node ${JSON.stringify(f.nodeId)}: ${status.lastError ?? 'behind'}`;
      if (status.state === 'behind') return { state: 'stopped', consecutivePutFailures: status.pollFailures, lastError: error };
      if (status.lastError !== undefined && health.state === 'ok') health = { state: 'degraded', consecutivePutFailures: status.pollFailures, lastError: error };
    }
    if (health.state === 'ok') {
      for (const [nodeId, why] of this.notFollowed()) return { state: 'degraded', consecutivePutFailures: 0, lastError: `not following node ${JSON.stringify(nodeId)}: ${why}` };
    }
    return health;
  }

  getStats(): Readonly<WalStats> {
    return this.stats;
  }

  getConfig(): Readonly<WalConfig> {
    return this.config;
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const f of this.followers) await f.close();
  }

  abandon(): void {
    this.stopped = true;
    for (const f of this.followers) void f.close();
  }
}
