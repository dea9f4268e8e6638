import type { Clock } from '../effects/clock.js';
import type { Rng } from '../effects/rng.js';
import { testSwitches } from '../effects/test-switches.js';
import { AlreadyExistsError, NotFoundError } from '../objectstore/errors.js';
import { backoffMs, isTransientStoreError } from '../objectstore/retry.js';
import type { ObjectStore } from '../objectstore/types.js';
import { listAll } from '../objectstore/types.js';
import { FencedError } from './errors.js';
import type { WalLogger } from './notifier.js';
import { epochKey, epochPrefix, parseEpochKey } from './paths.js';

/** How a fence retries the store. */
export interface FenceOptions {
  store: ObjectStore;
  nodeId: string;
  clock: Clock;
  rng: Rng;
  logger: WalLogger;
  /** Backoff of retried store calls: base and cap, in ms. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

/**
 * Writer fencing that survives WAL cleanup: each writer of a node id claims the next epoch by
 * a create-only put of `<node>/epochs/<epoch>.epoch`, before it lists the WAL to replay it.
 * Epoch objects are never deleted, so a newer writer exists exactly when the object of
 * `epoch + 1` exists (a claimer takes max + 1 only after seeing max). After every WAL put and
 * before acknowledging, the writer checks that object: if it exists, the writer is a zombie and
 * stops — within one flush, whatever cleanup deleted meanwhile.
 *
 * Why this is safe: a zombie's file that lands after the newer writer's claim is checked after
 * it landed, so it is never acknowledged; one that landed before the claim is in the newer
 * writer's listing, which follows the claim, and is replayed.
 */
export class EpochFence {
  private isFenced: FencedError | undefined;

  private constructor(
    private readonly options: FenceOptions,
    readonly epoch: bigint,
  ) {}

  /** Claims the next epoch of the node id (retrying races with other claimers and transient errors). */
  static async claim(options: FenceOptions): Promise<EpochFence> {
    const { store, nodeId, logger } = options;
    const claimId = Buffer.from(options.rng.bytes(16)).toString('hex');
    for (let attempt = 1; ; attempt++) {
      let epoch: bigint | undefined;
      try {
        let newest = 0n;
        for (const o of await listAll(store, epochPrefix(nodeId))) {
          const e = parseEpochKey(o.key, nodeId);
          if (e !== undefined && e > newest) newest = e;
        }
        epoch = newest + 1n;
        const body = Buffer.from(`${JSON.stringify({ epoch: String(epoch), claimId, claimedAtMs: options.clock.nowMs() })}\n`);
        await store.put(epochKey(nodeId, epoch), body, 'create');
        logger.info({ nodeId, epoch: String(epoch) }, 'claimed writer epoch');
        return new EpochFence(options, epoch);
      } catch (err) {
        if (err instanceof AlreadyExistsError && epoch !== undefined) {
          // Our own earlier attempt (an ambiguous put that did land), or another claimer won.
          if (await isOwnClaim(store, epochKey(nodeId, epoch), claimId)) return new EpochFence(options, epoch);
          continue;
        }
        if (err instanceof AlreadyExistsError) continue;
        if (!isTransientStoreError(err)) throw err;
        logger.warn({ err, attempt }, 'claiming a writer epoch failed; retrying');
        await options.clock.sleep(retryDelayMs(options, attempt));
      }
    }
  }

  /**
   * Throws {@link FencedError} if a newer writer has claimed the node id. Transient store
   * errors are retried (the caller's acknowledgement waits); `onRetry` hears of each.
   */
  async check(onRetry?: (err: unknown) => void): Promise<void> {
    if (this.isFenced !== undefined) throw this.isFenced;
    if (testSwitches.skipEpochRecheck) return;
    const next = this.epoch + 1n;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.store.head(epochKey(this.options.nodeId, next));
      } catch (err) {
        if (err instanceof NotFoundError) return;
        if (!isTransientStoreError(err)) throw err;
        this.options.logger.warn({ err, attempt }, 'checking the writer epoch failed; retrying');
        onRetry?.(err);
        await this.options.clock.sleep(retryDelayMs(this.options, attempt));
        continue;
      }
      this.isFenced = new FencedError(this.epoch, next);
      throw this.isFenced;
    }
  }
}

async function isOwnClaim(store: ObjectStore, key: string, claimId: string): Promise<boolean> {
  try {
    const doc = JSON.parse(Buffer.from(await store.get(key)).toString('utf8')) as { claimId?: unknown };
    return doc.claimId === claimId;
  } catch {
    return false; // unreadable or gone: not ours; the caller lists again
  }
}

function retryDelayMs(options: FenceOptions, attempt: number): number {
  return backoffMs(options.rng, attempt, options.retryBaseDelayMs, options.retryMaxDelayMs);
}
