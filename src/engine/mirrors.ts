/**
 * Buffered chunks as the SQL engine sees them. A chunk is registered with the engine on first
 * use (queries scan it in place through `sluice_chunk`), and its new rows are checked for
 * duplicate points before a read relies on that. Checks run one at a time under one lock;
 * structural changes (a chunk leaving the buffer as its file arrives) also run under it, so a
 * query prepares its views from one consistent picture. A chunk that left the buffer stays
 * registered until no running query may still read it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnarSource, Engine, MirrorState } from './duckdb.js';

export interface MirroredChunk extends ColumnarSource {
  readonly serial: number;
  mirror: unknown;
}

export class Mirrors {
  private queue: Promise<unknown> = Promise.resolve();
  private nextReader = 0;
  /** Readers running ({@link read}), by id. */
  private readonly running = new Set<number>();
  /** Who waits for some of them to finish ({@link afterRunningReaders}). */
  private waiters: Array<{ pending: Set<number>; resolve(): void }> = [];
  private readonly pendingDrops: number[] = [];
  private readonly released = new WeakSet<MirroredChunk>();

  constructor(readonly engine: Engine) {}

  /** Runs `fn` after everything queued before it (one at a time). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Registers `chunks` and checks their new rows; returns their states in the same order. */
  sync(chunks: readonly MirroredChunk[]): Promise<MirrorState[]> {
    return this.exclusive(() => this.syncHeld(chunks));
  }

  /** {@link sync} for a caller already inside {@link exclusive} (or {@link read}'s prepare). */
  syncHeld(chunks: readonly MirroredChunk[]): Promise<MirrorState[]> {
    return this.engine.withConnection(async (con) => {
      const states: MirrorState[] = [];
      for (const chunk of chunks) states.push(await this.syncOne(con, chunk));
      return states;
    });
  }

  private async syncOne(con: DuckDBConnection, chunk: MirroredChunk): Promise<MirrorState> {
    let state = chunk.mirror as MirrorState | undefined;
    if (state === undefined) {
      state = { serial: chunk.serial, rows: 0, mayHaveDuplicates: false, columns: new Map() };
      chunk.mirror = state;
      this.engine.register(chunk.serial, chunk);
    }
    await this.engine.check(con, state, chunk);
    // A chunk that left the buffer meanwhile (read by a query that saw it) is unregistered later.
    if (this.released.has(chunk)) this.drop(chunk);
    return state;
  }

  /**
   * Runs `prepare` exclusively (check chunks, rebuild views), then `run` as a reader: chunks
   * dropped meanwhile stay registered until every reader that may reference them has finished.
   */
  async read<T>(prepare: () => Promise<void>, run: () => Promise<T>): Promise<T> {
    const id = ++this.nextReader;
    await this.exclusive(async () => {
      await prepare();
      this.running.add(id);
    });
    try {
      return await run();
    } finally {
      this.running.delete(id);
      if (this.waiters.length > 0) this.settleWaiters(id);
      this.dropPending();
    }
  }

  /**
   * Resolves once every reader running now has finished; readers that start later do not hold it
   * up (they prepared their views after whatever the caller changed). For removing Parquet files
   * a running query may still read.
   */
  afterRunningReaders(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pending: new Set(this.running), resolve }));
  }

  private settleWaiters(finished: number): void {
    this.waiters = this.waiters.filter((w) => {
      w.pending.delete(finished);
      if (w.pending.size > 0) return true;
      w.resolve();
      return false;
    });
  }

  /** Forgets a chunk that has left the buffer (once no reader may still use it). */
  drop(chunk: MirroredChunk): void {
    this.released.add(chunk);
    const state = chunk.mirror as MirrorState | undefined;
    if (state === undefined) return;
    chunk.mirror = undefined;
    this.pendingDrops.push(state.serial);
    this.dropPending();
  }

  private dropPending(): void {
    if (this.running.size > 0 || this.pendingDrops.length === 0) return;
    void this.exclusive(async () => {
      // Checked again under the lock: a query may have started since this drop was queued.
      if (this.running.size > 0) return;
      for (const serial of this.pendingDrops.splice(0)) this.engine.unregister(serial);
    });
  }

  /** Waits for every queued check and drop, and for running readers. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.exclusive(async () => undefined);
  }
}
