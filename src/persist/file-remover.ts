/**
 * Removes Parquet files that no query reads any more — those of deleted databases and tables,
 * those wholly past their database's retention period, and the inputs a compaction replaced
 * (docs/compaction.md) — from the object store, in the background. The files have already left the query index (PersistedFiles) when they get here,
 * and each waits until the queries that were running then (which may still read it) have
 * finished, so a slow or failing store delays only the freeing of space: a failed delete is logged and
 * retried with capped backoff until it succeeds or the remover closes. The manifests keep naming
 * the files, and startup drops them from the index again (by the catalog's tombstones, the
 * retention cutoff and the compaction manifests) and hands them here again: a crash halfway through a removal finishes it at
 * the next start, and deleting an absent object succeeds.
 */
import type { Clock, TimerHandle } from '../effects/clock.js';
import type { ObjectStore } from '../objectstore/types.js';
import { silentLogger, type WalLogger } from '../wal/notifier.js';

export interface FileRemoverOptions {
  store: ObjectStore;
  clock: Clock;
  logger?: WalLogger;
  /** First retry delay after a failed delete (default 1 000 ms), doubled up to {@link maxRetryDelayMs}. */
  retryDelayMs?: number;
  /** Largest retry delay (default 60 000 ms). */
  maxRetryDelayMs?: number;
  /**
   * How long a file stays after it left the query index, at least (default 0). Other processes
   * may read it meanwhile: query nodes following this node learn of a compaction or a delete
   * within a poll, and their queries running then still read the files it replaced.
   */
  graceMs?: number;
}

/** Counts since the remover started. */
export interface FileRemoverStats {
  /** Objects deleted (or found absent). */
  removed: number;
  /** Failed delete attempts (each retried). */
  failedAttempts: number;
  /** Keys waiting or being deleted. */
  pending: number;
}

/** Deletes objects in the background, one at a time, retrying each until it is gone. */
export class FileRemover {
  readonly stats: FileRemoverStats = { removed: 0, failedAttempts: 0, pending: 0 };
  private readonly queue: Array<{ key: string; reason: string; after: Promise<void>; dueMs: number }> = [];
  /** The grace being waited out, if one is: close() ends it. */
  private waiting: { timer: TimerHandle; wake: () => void } | undefined;
  private readonly queued = new Set<string>();
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly logger: WalLogger;

  constructor(private readonly options: FileRemoverOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Queues `keys` for deletion (a key already queued is not queued twice); returns at once. None
   * is deleted before `after` settles: the queries that were running when the files left the
   * query index may still read them.
   */
  remove(keys: readonly string[], reason: string, after: Promise<void> = Promise.resolve()): void {
    if (this.closed) return;
    const dueMs = this.options.clock.monotonicMs() + (this.options.graceMs ?? 0);
    for (const key of keys) {
      if (this.queued.has(key)) continue;
      this.queued.add(key);
      this.queue.push({ key, reason, after, dueMs });
    }
    this.stats.pending = this.queued.size;
    if (keys.length > 0) this.logger.info({ files: keys.length, reason }, 'removing Parquet files in the background');
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once every queued key is deleted (or the remover closed). For tests and shutdown. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Stops: what is still queued is removed at the next start (the manifests still name it). */
  close(): void {
    this.closed = true;
    this.waiting?.timer.cancel();
    this.waiting?.wake();
  }

  /** Resolves at `dueMs` (monotonic), or at once when closed. */
  private graceOver(dueMs: number): Promise<void> {
    const ms = dueMs - this.options.clock.monotonicMs();
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.waiting = undefined;
        resolve();
      };
      this.waiting = { timer: this.options.clock.setTimer(ms, wake), wake };
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const { key, reason, after, dueMs } = this.queue[0]!;
      // Not a tick more without a grace: removals stay where they were among the store's calls.
      if (dueMs > this.options.clock.monotonicMs()) await this.graceOver(dueMs);
      await after;
      for (let attempt = 1; !this.closed; attempt++) {
        try {
          await this.options.store.delete(key);
          this.stats.removed++;
          break;
        } catch (err) {
          this.stats.failedAttempts++;
          const delayMs = Math.min(this.options.maxRetryDelayMs ?? 60_000, (this.options.retryDelayMs ?? 1000) * 2 ** Math.min(attempt - 1, 16));
          this.logger.warn({ err, key, reason, attempt, delayMs }, 'removing a Parquet file failed; retrying');
          await this.options.clock.sleep(delayMs);
        }
      }
      this.queue.shift();
      this.queued.delete(key);
      this.stats.pending = this.queued.size;
    }
  }
}
