/** Permission to run the one snapshot that may run at a time; release it exactly once. */
export interface SnapshotPermit {
  release(): void;
}

/** A counting semaphore handing out {@link SnapshotPermit}s. */
export class Semaphore {
  private readonly waiting: Array<(permit: SnapshotPermit) => void> = [];

  constructor(private available: number) {}

  /** A permit if one is free now, else undefined. */
  tryAcquire(): SnapshotPermit | undefined {
    if (this.available === 0) return undefined;
    this.available--;
    return this.makePermit();
  }

  /** Waits for a free permit. */
  acquire(): Promise<SnapshotPermit> {
    const permit = this.tryAcquire();
    if (permit !== undefined) return Promise.resolve(permit);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Permits free now. */
  availablePermits(): number {
    return this.available;
  }

  private makePermit(): SnapshotPermit {
    let isReleased = false;
    return {
      release: () => {
        if (isReleased) throw new Error('snapshot permit released twice');
        isReleased = true;
        const next = this.waiting.shift();
        if (next !== undefined) next(this.makePermit());
        else this.available++;
      },
    };
  }
}
