/**
 * Mirrors of buffered chunks inside the SQL engine. A chunk's rows are copied into DuckDB once,
 * lazily (when a query or a snapshot needs them), and only the rows appended since the last
 * copy; syncs run one at a time so no row is copied twice. Structural changes (a chunk leaving
 * the buffer as its file arrives) also run under the same lock, so a query prepares its views
 * from one consistent picture; dropped mirrors wait until no running query may still read them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnarSource, Engine, MirrorState } from './duckdb.js';

export interface MirroredChunk extends ColumnarSource {
  readonly serial: number;
  mirror: unknown;
}

export class Mirrors {
  private queue: Promise<unknown> = Promise.resolve();
  private readers = 0;
  private readonly pendingDrops: MirrorState[] = [];
  private readonly released = new WeakSet<MirroredChunk>();
  private tableSerial = 0;

  constructor(readonly engine: Engine) {}

  /** Runs `fn` after every sync queued before it (one at a time). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Brings the mirrors of `chunks` up to date; returns their states in the same order. */
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
      state = await this.engine.createMirror(con, `buf_${chunk.serial}_${++this.tableSerial}`);
      chunk.mirror = state;
    }
    await this.engine.syncMirror(con, state, chunk);
    // A chunk that left the buffer meanwhile (read by a query that saw it) is dropped later.
    if (this.released.has(chunk)) this.drop(chunk);
    return state;
  }

  /**
   * Runs `prepare` exclusively (sync mirrors, rebuild views), then `run` as a reader: mirrors
   * dropped meanwhile stay until every reader that may reference them has finished.
   */
  async read<T>(prepare: () => Promise<void>, run: () => Promise<T>): Promise<T> {
    await this.exclusive(async () => {
      await prepare();
      this.readers++;
    });
    try {
      return await run();
    } finally {
      this.readers--;
      this.dropPending();
    }
  }

  /** Drops the mirror of a chunk that has left the buffer (once no reader may still use it). */
  drop(chunk: MirroredChunk): void {
    this.released.add(chunk);
    const state = chunk.mirror as MirrorState | undefined;
    if (state === undefined) return;
    chunk.mirror = undefined;
    this.pendingDrops.push(state);
    this.dropPending();
  }

  private dropPending(): void {
    if (this.readers > 0 || this.pendingDrops.length === 0) return;
    void this.exclusive(async () => {
      // Checked again under the lock: a query may have started since this drop was queued.
      if (this.readers > 0) return;
      const states = this.pendingDrops.splice(0);
      if (states.length === 0) return;
      await this.engine.withConnection(async (con) => {
        for (const state of states) await this.engine.dropMirror(con, state);
      });
    }).catch(() => undefined);
  }

  /** Waits for every queued sync and drop. */
  async idle(): Promise<void> {
    await this.exclusive(async () => undefined);
  }
}
