/**
 * Admission by units: write bodies by bytes, queries by count (one unit each).
 *
 * Writes: at most `limitBytes` of write requests are read and
 * processed at once; the others wait, unread, in their sockets (the kernel holds their bytes and
 * TCP slows their senders), first come first served. Without it every connection's body is in
 * memory at once — several copies of it while it is parsed, validated and waiting for its WAL
 * flush — and memory grows with the number of connections instead of with the work in flight.
 *
 * One request larger than the limit is still admitted when nothing else is in flight, so the
 * limit never refuses a body the request-size limit allows.
 *
 * Queries: at most `limit` run at once (each holds SQL-engine threads and threads of Node's
 * pool, which file writes share: unbounded queries would starve the WAL), at most `maxWaiting`
 * wait in line, each up to its own timeout.
 */
export class Admission {
  private inFlight = 0;
  private readonly waiting: Array<{ bytes: number; grant(): void }> = [];
  /** Requests that had to wait, those that waited past their deadline, and those refused at once (line full). */
  readonly stats = { waited: 0, timedOut: 0, refused: 0, reclaimed: 0 };

  constructor(
    readonly limitBytes: number,
    /** Most requests that may wait; more are refused at once. */
    readonly maxWaiting = Number.POSITIVE_INFINITY,
  ) {}

  /** Requests waiting in line. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  get bytesInFlight(): number {
    return this.inFlight;
  }

  /**
   * Waits until `bytes` fit under the limit (or nothing else is in flight). Resolves false if
   * `timeoutMs` passed first, the line was full, or `signal` aborted (the client left): then
   * nothing was admitted.
   */
  acquire(bytes: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.inFlight += bytes;
      return Promise.resolve(true);
    }
    if (this.waiting.length >= this.maxWaiting || signal?.aborted === true) {
      this.stats.refused++;
      return Promise.resolve(false);
    }
    this.stats.waited++;
    return new Promise<boolean>((resolve) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
        this.wake(); // a large waiter leaving may let smaller ones behind it in
      };
      const onAbort = () => leave();
      const entry = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.stats.timedOut++;
        leave();
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  /** Counts `bytes` more for an admitted request (a body that turned out larger than declared). */
  charge(bytes: number): void {
    this.inFlight += bytes;
  }

  release(bytes: number): void {
    this.inFlight -= bytes;
    if (this.inFlight < 0) throw new Error(`admission released more than it admitted (${this.inFlight})`);
    this.wake();
  }

  /**
   * Runs `run` holding `units` already acquired, and gives them back when it ends — or when it is
   * still running `overdueMs` from now, whichever comes first. The second is a guard against a bug
   * (work that its timeout did not reach): `overdue` is told (to log it), the units come back and
   * count as reclaimed, so one stuck request cannot take a slot for good and starve every later
   * one; the stuck work still gets its answer when it ends.
   */
  async holding<T>(units: number, overdueMs: number, overdue: () => void, run: () => Promise<T>): Promise<T> {
    let held = true;
    const giveBack = () => {
      if (!held) return;
      held = false;
      this.release(units);
    };
    const guard = setTimeout(() => {
      this.stats.reclaimed++;
      overdue();
      giveBack();
    }, overdueMs);
    guard.unref();
    try {
      return await run();
    } finally {
      clearTimeout(guard);
      giveBack();
    }
  }

  private fits(bytes: number): boolean {
    return this.inFlight === 0 || this.inFlight + bytes <= this.limitBytes;
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.inFlight += next.bytes;
      next.grant();
    }
  }
}

/** How long past its timeout a query may hold its slot before the slot is given back ({@link Admission.holding}). */
export const OVERDUE_GRACE_MS = 10_000;

/** Why a query got no slot, with the flags that govern it (HTTP's 503 and Flight's RESOURCE_EXHAUSTED). */
export function queryRefusal(admission: Admission): string {
  return `query refused: ${admission.limitBytes} queries running and ${admission.waitingCount} waiting (--max-concurrent-queries, --max-queued-queries, --query-queue-timeout); retry`;
}
