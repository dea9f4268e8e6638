import { createHash } from 'node:crypto';
import type { Clock } from '../effects/clock.js';
import type { Rng } from '../effects/rng.js';
import { AlreadyExistsError, NotFoundError, PermanentStoreError, StoreIoError, type StoreOperation } from './errors.js';
import type { ListOptions, ListPage, ObjectMeta, ObjectStore, PutMode } from './types.js';

/** The operations a {@link FaultyObjectStore} injects faults into. */
export type FaultyOp = 'put' | 'get' | 'getRange' | 'head' | 'list' | 'delete';

/** The faults of one kind of operation; every rate is a probability per call, in [0, 1]. */
export interface OpFaults {
  /** A transient StoreIoError before the operation takes effect. */
  errorBeforeRate: number;
  /**
   * A transient StoreIoError after the operation took effect: for a put or delete the caller
   * cannot tell it from an error before (the ambiguous outcome); for a read the answer is lost.
   */
  errorAfterRate: number;
  /** S3's 409 ConditionalRequestConflict on a put: a transient error, nothing written. */
  conflictRate: number;
  /** Chance a call is slow; its simulated latency is then uniform in [minLatencyMs, maxLatencyMs]. */
  latencyRate: number;
  minLatencyMs: number;
  maxLatencyMs: number;
}

/**
 * A permanent refusal (a revoked key, a deleted bucket): from {@link FaultyObjectStore.refuse}
 * on, every matching call fails with a {@link PermanentStoreError} before it takes effect.
 */
export interface Refusal {
  /** The operations refused (default: all). */
  ops?: readonly FaultyOp[];
  /** Only keys (a list: prefixes) that start with this (default: all). */
  keyPrefix?: string;
  /** What the error says: the service (default `S3`), HTTP status and error code. */
  service?: string;
  status: number;
  serviceCode: string;
}

/** How a {@link FaultyObjectStore} misbehaves. */
export interface FaultyObjectStoreOptions {
  /** Decides every fault: the same seed and the same calls give the same faults. */
  rng: Rng;
  /** Simulated latency sleeps on it; trace times are read from it. */
  clock: Clock;
  /** Faults of every operation, unless `faults` says otherwise for one. */
  allOps?: Partial<OpFaults>;
  /** Faults per operation (over `allOps`). */
  faults?: Partial<Record<FaultyOp, Partial<OpFaults>>>;
  /** Largest page a list returns, however many keys the caller asked for (slow paginated listings). */
  listPageSize?: number;
  /** Extra latency of every list page, in ms (on top of the list's own latency faults). */
  listPageLatencyMs?: number;
  /** Treat create-only puts as overwrites, like an S3 server without If-None-Match support. */
  ignoreConditionalPuts?: boolean;
  /** Record a trace of every call (default true). */
  isTracing?: boolean;
}

/** What became of one call. */
export type FaultOutcome =
  | 'ok'
  | 'not-found'
  | 'already-exists'
  /** A create-only put replaced an existing object (ignoreConditionalPuts). */
  | 'overwrote-create'
  | 'error-before'
  | 'error-after'
  | 'conflict'
  /** Refused for good before it took effect (see {@link Refusal}). */
  | 'refused'
  | 'failed';

/** One call as the store saw it. */
export interface FaultTraceEntry {
  op: FaultyOp;
  /** The key, or for a list its prefix and cursor. */
  key: string;
  outcome: FaultOutcome;
  startMs: number;
  /** When the operation took effect in the inner store (absent if it never did). */
  effectMs?: number;
  endMs: number;
  /** False when the store crashed before the answer reached the caller. */
  isAnswered: boolean;
}

/** Counts of injected faults, by kind. */
export interface FaultCounts {
  calls: number;
  errorBefore: number;
  errorAfter: number;
  conflict: number;
  slowCalls: number;
  listPages: number;
  ignoredConditions: number;
  refused: number;
}

const NO_FAULTS: OpFaults = { errorBeforeRate: 0, errorAfterRate: 0, conflictRate: 0, latencyRate: 0, minLatencyMs: 0, maxLatencyMs: 0 };
const OPS: readonly FaultyOp[] = ['put', 'get', 'getRange', 'head', 'list', 'delete'];
const OPERATION_OF: Readonly<Record<FaultyOp, StoreOperation>> = { put: 'PUT', get: 'GET', getRange: 'GET', head: 'HEAD', list: 'LIST', delete: 'DELETE' };

/** A promise that never settles: the answer of a call to a crashed store. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/**
 * A fault-injecting wrapper over any ObjectStore, for tests: transient errors before and after
 * an operation takes effect, S3's 409 conflicts, simulated latency (which reorders concurrent
 * calls), small slow list pages, a store that ignores create-only puts, and permanent refusals
 * ({@link refuse}). Every decision comes
 * from the seeded Rng and every wait from the Clock, so a seed on a simulated clock replays
 * exactly; {@link trace} records each call so a test can prove it.
 *
 * {@link crash} models the process dying: calls already sent may still take effect, but no
 * answer ever arrives, and later calls are never sent.
 */
export class FaultyObjectStore implements ObjectStore {
  private readonly rng: Rng;
  private readonly clock: Clock;
  private readonly faults = new Map<FaultyOp, OpFaults>();
  private readonly listPageSize: number | undefined;
  private readonly listPageLatencyMs: number;
  private readonly ignoreConditionalPuts: boolean;
  private readonly isTracing: boolean;
  private isCrashed = false;
  private crashDelayMs = 0;
  private refusal: Refusal | undefined;
  private readonly entries: FaultTraceEntry[] = [];
  readonly counts: FaultCounts = { calls: 0, errorBefore: 0, errorAfter: 0, conflict: 0, slowCalls: 0, listPages: 0, ignoredConditions: 0, refused: 0 };

  constructor(
    private readonly inner: ObjectStore,
    options: FaultyObjectStoreOptions,
  ) {
    this.rng = options.rng;
    this.clock = options.clock;
    for (const op of OPS) this.faults.set(op, { ...NO_FAULTS, ...options.allOps, ...options.faults?.[op] });
    this.listPageSize = options.listPageSize;
    this.listPageLatencyMs = options.listPageLatencyMs ?? 0;
    this.ignoreConditionalPuts = options.ignoreConditionalPuts ?? false;
    this.isTracing = options.isTracing ?? true;
    if (this.listPageSize !== undefined && !(Number.isSafeInteger(this.listPageSize) && this.listPageSize >= 1)) {
      throw new RangeError(`listPageSize must be a positive integer, got ${this.listPageSize}`);
    }
  }

  get description(): string {
    return `faulty(${this.inner.description})`;
  }

  /** Changes the faults of one operation from now on (e.g. to let a fault heal). */
  setFaults(op: FaultyOp, faults: Partial<OpFaults>): void {
    this.faults.set(op, { ...this.faults.get(op)!, ...faults });
  }

  /** Turns every fault off (latency included) from now on. */
  heal(): void {
    for (const op of OPS) this.faults.set(op, { ...NO_FAULTS });
  }

  /**
   * Refuses matching calls from now on, as a store does after its credentials are revoked or its
   * bucket deleted; `undefined` lifts the refusal. Refused calls draw nothing from the Rng.
   */
  refuse(refusal: Refusal | undefined): void {
    this.refusal = refusal;
  }

  /**
   * The process dies: in-flight calls may still take effect but never answer; new calls hang
   * unsent. `inFlightDelayMs` holds calls that have not taken effect yet for that much longer
   * (a request of the dead process stuck in the network lands late).
   */
  crash(options: { inFlightDelayMs?: number } = {}): void {
    this.isCrashed = true;
    this.crashDelayMs = options.inFlightDelayMs ?? 0;
  }

  /** Every call so far, in the order they finished. */
  get trace(): readonly FaultTraceEntry[] {
    return this.entries;
  }

  /** A SHA-256 of the trace, to compare two runs of one seed. */
  traceDigest(): string {
    const hash = createHash('sha256');
    for (const e of this.entries) hash.update(`${e.op}\t${e.key}\t${e.outcome}\t${e.startMs}\t${e.effectMs ?? '-'}\t${e.endMs}\t${e.isAnswered ? 1 : 0}\n`);
    return hash.digest('hex');
  }

  async put(key: string, data: Uint8Array, mode: PutMode): Promise<void> {
    return this.run('put', key, async () => {
      if (mode === 'create' && this.ignoreConditionalPuts) {
        const exists = await this.inner.head(key).then(
          () => true,
          (err: unknown) => {
            if (err instanceof NotFoundError) return false;
            throw err;
          },
        );
        await this.inner.put(key, data, 'overwrite');
        if (exists) this.counts.ignoredConditions++;
        return { value: undefined, outcome: exists ? 'overwrote-create' : 'ok' };
      }
      await this.inner.put(key, data, mode);
      return { value: undefined, outcome: 'ok' };
    });
  }

  get(key: string): Promise<Uint8Array> {
    return this.run('get', key, async () => ({ value: await this.inner.get(key), outcome: 'ok' }));
  }

  getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    return this.run('getRange', key, async () => ({ value: await this.inner.getRange(key, start, end), outcome: 'ok' }));
  }

  head(key: string): Promise<ObjectMeta> {
    return this.run('head', key, async () => ({ value: await this.inner.head(key), outcome: 'ok' }));
  }

  list(options: ListOptions): Promise<ListPage> {
    const traceKey = options.startAfter === undefined ? options.prefix : `${options.prefix} after ${options.startAfter}`;
    return this.run('list', traceKey, async () => {
      const maxKeys = this.listPageSize === undefined ? options.maxKeys : Math.min(options.maxKeys ?? this.listPageSize, this.listPageSize);
      this.counts.listPages++;
      const page = await this.inner.list(maxKeys === undefined ? options : { ...options, maxKeys });
      return { value: page, outcome: 'ok' };
    });
  }

  delete(key: string): Promise<void> {
    return this.run('delete', key, async () => {
      await this.inner.delete(key);
      return { value: undefined, outcome: 'ok' };
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * One call: latency before the effect, maybe an error instead of it, the effect, latency
   * after it, maybe an error instead of its answer. The random draws happen in a fixed order,
   * so the faults depend only on the seed and the sequence of calls.
   */
  private async run<T>(op: FaultyOp, key: string, effect: () => Promise<{ value: T; outcome: FaultOutcome }>): Promise<T> {
    if (this.isCrashed) return never<T>();
    this.counts.calls++;
    const refusal = this.refusal;
    if (refusal !== undefined && (refusal.ops?.includes(op) ?? true) && key.startsWith(refusal.keyPrefix ?? '')) {
      this.counts.refused++;
      const nowMs = this.clock.nowMs();
      if (this.isTracing) this.entries.push({ op, key, outcome: 'refused', startMs: nowMs, endMs: nowMs, isAnswered: true });
      throw new PermanentStoreError(refusal.service ?? 'S3', OPERATION_OF[op], refusal.status, refusal.serviceCode, key, 'injected refusal', key);
    }
    const f = this.faults.get(op)!;
    const startMs = this.clock.nowMs();
    let latencyMs = 0;
    if (f.latencyRate > 0 && this.rng.nextFloat() < f.latencyRate) {
      latencyMs = f.minLatencyMs + Math.floor(this.rng.nextFloat() * (f.maxLatencyMs - f.minLatencyMs + 1));
      this.counts.slowCalls++;
    }
    if (op === 'list') latencyMs += this.listPageLatencyMs;
    // The effect lands somewhere inside the latency, so concurrent calls reorder.
    const beforeMs = latencyMs === 0 ? 0 : Math.floor(this.rng.nextFloat() * (latencyMs + 1));
    const roll = f.errorBeforeRate > 0 || f.conflictRate > 0 || f.errorAfterRate > 0 ? this.rng.nextFloat() : 1;
    if (beforeMs > 0) await this.clock.sleep(beforeMs);
    if (this.isCrashed && this.crashDelayMs > 0) await this.clock.sleep(this.crashDelayMs);

    const finish = async (outcome: FaultOutcome, effectMs: number | undefined): Promise<boolean> => {
      if (latencyMs - beforeMs > 0) await this.clock.sleep(latencyMs - beforeMs);
      const isAnswered = !this.isCrashed;
      if (this.isTracing) {
        this.entries.push({ op, key, outcome, startMs, ...(effectMs === undefined ? {} : { effectMs }), endMs: this.clock.nowMs(), isAnswered });
      }
      return isAnswered;
    };

    if (roll < f.errorBeforeRate) {
      this.counts.errorBefore++;
      if (!(await finish('error-before', undefined))) return never<T>();
      throw new StoreIoError(`injected ${op} failure before it took effect (${key})`, true, key);
    }
    if (op === 'put' && roll < f.errorBeforeRate + f.conflictRate) {
      this.counts.conflict++;
      if (!(await finish('conflict', undefined))) return never<T>();
      throw new StoreIoError(`injected 409 ConditionalRequestConflict: a conflicting operation is in progress on ${key}`, true, key);
    }
    let result: { value: T; outcome: FaultOutcome };
    try {
      result = await effect();
    } catch (err) {
      const outcome: FaultOutcome = err instanceof NotFoundError ? 'not-found' : err instanceof AlreadyExistsError ? 'already-exists' : 'failed';
      if (!(await finish(outcome, outcome === 'failed' ? undefined : this.clock.nowMs()))) return never<T>();
      throw err;
    }
    const effectMs = this.clock.nowMs();
    if (f.errorAfterRate > 0 && roll >= 1 - f.errorAfterRate) {
      this.counts.errorAfter++;
      if (!(await finish('error-after', effectMs))) return never<T>();
      throw new StoreIoError(`injected ${op} failure after it took effect (${key}): the outcome is unknown to the caller`, true, key);
    }
    if (!(await finish(result.outcome, effectMs))) return never<T>();
    return result.value;
  }
}
