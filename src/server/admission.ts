/**
 * Admission of write bodies by bytes: at most `limitBytes` of write requests are read and
 * processed at once; the others wait, unread, in their sockets (the kernel holds their bytes and
 * TCP slows their senders), first come first served. Without it every connection's body is in
 * memory at once — several copies of it while it is parsed, validated and waiting for its WAL
 * flush — and memory grows with the number of connections instead of with the work in flight.
 *
 * One request larger than the limit is still admitted when nothing else is in flight, so the
 * limit never refuses a body the request-size limit allows.
 */
export class WriteAdmission {
  private inFlight = 0;
  private readonly waiting: Array<{ bytes: number; grant(): void }> = [];
  /** Requests that had to wait, and those that waited past their deadline. */
  readonly stats = { waited: 0, timedOut: 0 };

  constructor(readonly limitBytes: number) {}

  get bytesInFlight(): number {
    return this.inFlight;
  }

  /**
   * Waits until `bytes` fit under the limit (or nothing else is in flight). Resolves false if
   * `timeoutMs` passed first: then nothing was admitted.
   */
  acquire(bytes: number, timeoutMs: number): Promise<boolean> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.inFlight += bytes;
      return Promise.resolve(true);
    }
    this.stats.waited++;
    return new Promise<boolean>((resolve) => {
      const entry = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        this.stats.timedOut++;
        resolve(false);
        this.wake(); // a large waiter leaving may let smaller ones behind it in
      }, timeoutMs);
      this.waiting.push(entry);
    });
  }

  /** Counts `bytes` more for an admitted request (a body that turned out larger than declared). */
  charge(bytes: number): void {
    this.inFlight += bytes;
  }

  release(bytes: number): void {
    this.inFlight -= bytes;
    this.wake();
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
