/**
 * The recent queries the engine ran, for `system.queries`: a bounded ring, newest last. Each
 * entry is added when its statement starts and completed when it ends, so a running query shows
 * as running.
 */
import { randomUUID } from 'node:crypto';

export type QueryPhase = 'running' | 'success' | 'fail' | 'cancel';

export interface QueryLogEntry {
  readonly id: string;
  /** The database it was sent to. */
  readonly database: string;
  /** `sql`, `influxql` (the statement as the user wrote it; the SQL it became ran in its place). */
  readonly queryType: string;
  readonly queryText: string;
  /** Wall-clock time it arrived, in nanoseconds since the epoch. */
  readonly issueTimeNs: bigint;
  phase: QueryPhase;
  /** Checking and planning (nanoseconds), once known. */
  planDurationNs?: bigint;
  /** Running and handing over the answer (nanoseconds), once it ended. */
  executeDurationNs?: bigint;
  /** From arrival to end (nanoseconds), once it ended. */
  end2endDurationNs?: bigint;
  /** Parquet files the statement read (after pruning), once planned. */
  parquetFiles?: number;
  rows: bigint;
  error?: string;
  /** Monotonic start (process.hrtime), for the durations. */
  readonly startedHr: bigint;
}

/** The default number of queries kept. */
export const QUERY_LOG_SIZE = 1000;

export class QueryLog {
  private readonly entries: QueryLogEntry[] = [];

  constructor(private readonly size = QUERY_LOG_SIZE) {}

  /** Starts an entry (phase `running`). */
  start(database: string, queryType: string, queryText: string): QueryLogEntry {
    const entry: QueryLogEntry = { id: randomUUID(), database, queryType, queryText, issueTimeNs: BigInt(Date.now()) * 1_000_000n, phase: 'running', rows: 0n, startedHr: process.hrtime.bigint() };
    this.entries.push(entry);
    if (this.entries.length > this.size) this.entries.splice(0, this.entries.length - this.size);
    return entry;
  }

  /** Marks the end of planning: the statement's answer starts now. */
  planned(entry: QueryLogEntry | undefined): void {
    if (entry !== undefined) entry.planDurationNs = process.hrtime.bigint() - entry.startedHr;
  }

  /** Runs `run` as the query `entry` stands for (none: not logged): its outcome and durations are recorded when it ends. */
  async track<T>(entry: QueryLogEntry | undefined, run: () => Promise<T>): Promise<T> {
    if (entry === undefined) return run();
    try {
      const result = await run();
      entry.phase = 'success';
      return result;
    } catch (err) {
      entry.phase = (err as { code?: unknown }).code === 'CANCELLED' ? 'cancel' : 'fail';
      entry.error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      entry.end2endDurationNs = process.hrtime.bigint() - entry.startedHr;
      if (entry.planDurationNs !== undefined) entry.executeDurationNs = entry.end2endDurationNs - entry.planDurationNs;
    }
  }

  /** The kept entries of `database`, oldest first. */
  of(database: string): QueryLogEntry[] {
    return this.entries.filter((e) => e.database === database);
  }
}
