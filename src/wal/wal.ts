/**
 * What the rest of Sluice asks of a write-ahead log (as `influxdb3_wal`'s `Wal` trait): writers
 * enqueue ops and wait for durability, the server reads health and counters, the database
 * forces snapshots and shuts down. `ObjectStoreWal` is the writing one; a query node's is the
 * replication follower's (`../cluster/replica-wal.ts`), which refuses ops.
 */
import type { WalConfig } from './config.js';
import type { WalOp } from './model.js';
import type { FlushResult, WalHealth, WalStats } from './object-store-wal.js';

export interface Wal {
  /**
   * Adds ops to the buffer (all or none) and resolves once the WAL file holding them is durable
   * and applied. A refusal (buffer full, shutdown, stop, a bad op, a read-only node) is thrown
   * synchronously, so a caller can undo what it did in the same tick.
   */
  enqueueOps(ops: readonly WalOp[], encoded?: readonly Uint8Array[]): Promise<void>;
  /** Adds ops without waiting for durability (`no_sync`); throws like {@link enqueueOps}. */
  bufferOpsUnconfirmed(ops: readonly WalOp[], encoded?: readonly Uint8Array[]): void;
  /** Writes what is buffered as one WAL file (if anything is). */
  flushBuffer(): Promise<FlushResult | undefined>;
  /** Snapshots everything buffered and waits until it is persisted. */
  forceSnapshot(): Promise<void>;
  /** The number of the last WAL file made durable (a replica's: the last one applied). */
  lastWalSequenceNumber(): number;
  health(): WalHealth;
  getStats(): Readonly<WalStats>;
  getConfig(): Readonly<WalConfig>;
  /** Stops, finishing what was accepted. */
  shutdown(): Promise<void>;
  /** Stops at once, as a crash would. */
  abandon(): void;
}
