/** A cancellable timer created by a {@link Clock}. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time, as the rest of Sluice sees it. Everything that waits or reads the time goes through a
 * Clock, so tests can run the real flusher and snapshotter on simulated time.
 */
export interface Clock {
  /** Wall-clock time in milliseconds since the Unix epoch. */
  nowMs(): number;
  /** Wall-clock time in nanoseconds since the Unix epoch (exact, as a bigint). */
  nowNs(): bigint;
  /** A monotonic time in milliseconds, for measuring durations. */
  monotonicMs(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** Calls `fn` once after `ms` milliseconds unless cancelled. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** The real clock: `Date.now`, `process.hrtime` and Node's timers. */
export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }

  nowNs(): bigint {
    // Date.now() has ms resolution; add the sub-ms part of the monotonic clock so that
    // successive calls in one ms still differ.
    const ms = Date.now();
    const subMsNs = process.hrtime.bigint() % 1_000_000n;
    return BigInt(ms) * 1_000_000n + subMsNs;
  }

  monotonicMs(): number {
    return performance.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  }
}

interface SimTimer {
  dueMs: number;
  order: number;
  fn: () => void;
  isCancelled: boolean;
}

/** The one system clock, for the places that default to it. */
export const SYSTEM_CLOCK: Clock = new SystemClock();

/** Lets pending promise callbacks and I/O callbacks of in-memory fakes run. */
export async function drainMicrotasks(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A simulated clock: time moves only when a test calls {@link SimClock.advance} (or
 * {@link SimClock.runUntil}); timers fire in due order, and pending promise work runs between
 * them, so a test drives the real flush loop deterministically.
 */
export class SimClock implements Clock {
  private currentMs: number;
  private readonly timers: SimTimer[] = [];
  private timerOrder = 0;

  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  nowNs(): bigint {
    return BigInt(Math.floor(this.currentMs)) * 1_000_000n;
  }

  monotonicMs(): number {
    return this.currentMs;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: SimTimer = { dueMs: this.currentMs + Math.max(0, ms), order: this.timerOrder++, fn, isCancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.isCancelled = true;
      },
    };
  }

  /** Number of timers still pending. */
  pendingTimerCount(): number {
    return this.timers.filter((t) => !t.isCancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    await this.runUntil(this.currentMs + ms);
  }

  /** Moves time forward to `targetMs`, firing due timers in order and draining work between. */
  async runUntil(targetMs: number): Promise<void> {
    await drainMicrotasks();
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next.dueMs > targetMs) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.currentMs = Math.max(this.currentMs, next.dueMs);
      next.fn();
      await drainMicrotasks();
    }
    this.currentMs = Math.max(this.currentMs, targetMs);
  }

  /**
   * Advances time timer by timer until `done()` is true or `maxMs` of simulated time passed.
   * Returns whether `done()` became true.
   */
  async runUntilTrue(done: () => boolean, maxMs = 3_600_000): Promise<boolean> {
    const limitMs = this.currentMs + maxMs;
    await drainMicrotasks();
    while (!done()) {
      const next = this.nextDue();
      if (next === undefined || next.dueMs > limitMs) return done();
      await this.runUntil(next.dueMs);
    }
    return true;
  }

  private nextDue(): SimTimer | undefined {
    let best: SimTimer | undefined;
    for (let i = this.timers.length - 1; i >= 0; i--) {
      const t = this.timers[i]!;
      if (t.isCancelled) {
        this.timers.splice(i, 1);
        continue;
      }
      if (best === undefined || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.order < best.order)) best = t;
    }
    return best;
  }
}
