/** Prometheus text exposition of the server's and the database's counters. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { READABLE_BUCKETS } from '../cluster/follower.js';
import type { SluiceDatabase } from '../database/database.js';
import type { Admission } from './admission.js';
import { routeLabel } from './routes.js';

export class Metrics {
  writeLines = 0;
  writeBytes = 0;
  writeRejectedLines = 0;
  queries = 0;
  queryErrors = 0;
  queryMs = 0;
  private readonly requests = new Map<string, number>();
  private readonly requestMs = new Map<string, number>();

  /** Event-loop delay since the last scrape (reset at each, as Prometheus' Node.js client does). */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly database: () => SluiceDatabase | undefined,
    private readonly admission: Admission,
    private readonly queryAdmission: Admission,
  ) {
    this.loopDelay.enable();
  }

  /** Stops the event-loop monitor (the server closed). */
  close(): void {
    this.loopDelay.disable();
  }

  /** Counts a request under its route (a path that is no route counts as `other`: clients cannot add series). */
  /** Finished Flight calls by method and gRPC status code (0 is OK). */
  private readonly flightCalls = new Map<string, number>();
  private flightMs = 0;

  /** Counts a finished Flight call; `isQuery` calls also count as queries. */
  observeFlight(method: string, code: number, ms: number, isQuery: boolean): void {
    const key = `method="${method}",code="${code}"`;
    this.flightCalls.set(key, (this.flightCalls.get(key) ?? 0) + 1);
    this.flightMs += ms;
    if (!isQuery) return;
    if (code === 0) this.queries++;
    else this.queryErrors++;
    this.queryMs += ms;
  }

  observeRequest(path: string | undefined, status: number, ms: number): void {
    const route = routeLabel(path);
    const key = `path="${route}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    this.requestMs.set(route, (this.requestMs.get(route) ?? 0) + ms);
  }

  render(): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels === '' ? '' : `{${labels}}`} ${value}`);
    };
    metric('sluice_http_requests_total', 'counter', 'HTTP requests by route (other: any path that is no route) and status.', [...this.requests]);
    metric('sluice_write_bytes_in_flight', 'gauge', 'Write body bytes admitted and not yet settled.', [['', this.admission.bytesInFlight]]);
    metric('sluice_write_admission_waits_total', 'counter', 'Writes that waited, unread, for --max-write-bytes-in-flight.', [['', this.admission.stats.waited]]);
    metric('sluice_write_admission_timeouts_total', 'counter', 'Writes refused with 503 after waiting past the write timeout.', [['', this.admission.stats.timedOut]]);
    metric('sluice_queries_running', 'gauge', 'Queries admitted and running.', [['', this.queryAdmission.bytesInFlight]]);
    metric('sluice_queries_waiting', 'gauge', 'Queries waiting in line for --max-concurrent-queries.', [['', this.queryAdmission.waitingCount]]);
    metric('sluice_query_admission_waits_total', 'counter', 'Queries that waited in line.', [['', this.queryAdmission.stats.waited]]);
    metric('sluice_query_slots_reclaimed_total', 'counter', 'Query slots given back while their query still ran well past its timeout (a bug guard: each is logged).', [['', this.queryAdmission.stats.reclaimed]]);
    metric('sluice_query_admission_refusals_total', 'counter', 'Queries refused with 503: line full or waited past --query-queue-timeout.', [['', this.queryAdmission.stats.refused + this.queryAdmission.stats.timedOut]]);
    const db = this.database();
    if (db !== undefined) {
      this.renderDatabase(db, metric);
      if (db.followers.length > 0) this.renderReplication(db, metric, (line) => lines.push(line));
    }
    // Process memory, with the names Prometheus' Node.js client uses (heap figures: main thread).
    const memory = process.memoryUsage();
    metric('process_resident_memory_bytes', 'gauge', 'Resident memory of the whole process (every thread, DuckDB).', [['', memory.rss]]);
    metric('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap reserved by the main thread.', [['', memory.heapTotal]]);
    metric('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use by the main thread.', [['', memory.heapUsed]]);
    metric('nodejs_external_memory_bytes', 'gauge', 'Memory outside the V8 heap held by main-thread objects (typed arrays, buffers).', [['', memory.external]]);
    const delay = this.loopDelay;
    metric('nodejs_eventloop_lag_p99_seconds', 'gauge', 'Event-loop delay, 99th percentile since the last scrape.', [['', delay.count === 0 ? 0 : delay.percentile(99) / 1e9]]);
    metric('nodejs_eventloop_lag_max_seconds', 'gauge', 'Longest event-loop delay since the last scrape.', [['', delay.count === 0 ? 0 : delay.max / 1e9]]);
    delay.reset();
    lines.push('# EOF', '');
    return lines.join('\n');
  }

  /** A query node's: per ingest node followed, its lag and how fast its files become readable. */
  private renderReplication(db: SluiceDatabase, metric: (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => void, line: (text: string) => void): void {
    const label = (nodeId: string) => `node="${nodeId}"`;
    const statuses = db.followers.map((f) => ({ f, s: f.status() }));
    metric('sluice_replica_lag_seconds', 'gauge', 'Seconds since the oldest WAL file this replica has not applied was flushed (0 when caught up).', statuses.map(({ f, s }) => [label(f.nodeId), s.lagSeconds]));
    metric('sluice_replica_wal_files_behind', 'gauge', 'WAL files on the store this replica has not applied yet.', statuses.map(({ f, s }) => [label(f.nodeId), Math.max(0, s.newestWalFile - s.appliedWalFile)]));
    metric('sluice_replica_behind', 'gauge', '1 when a WAL file was cleaned up before this replica read it (restart it to catch up from the snapshot).', statuses.map(({ f, s }) => [label(f.nodeId), s.state === 'behind' ? 1 : 0]));
    metric('sluice_replica_wal_files_applied_total', 'counter', 'WAL files applied since start.', statuses.map(({ f, s }) => [label(f.nodeId), s.filesApplied]));
    metric('sluice_replica_poll_failures_total', 'counter', 'Replication polls that failed (tried again at the next).', statuses.map(({ f, s }) => [label(f.nodeId), s.pollFailures]));
    line('# HELP sluice_replica_time_to_readable_seconds From the ingest node\'s WAL flush (its writers\' ack) to the file being readable here.');
    line('# TYPE sluice_replica_time_to_readable_seconds histogram');
    for (const f of db.followers) {
      const h = f.readable;
      let cumulative = 0;
      for (let i = 0; i <= READABLE_BUCKETS.length; i++) {
        cumulative += h.counts[i]!;
        line(`sluice_replica_time_to_readable_seconds_bucket{${label(f.nodeId)},le="${i < READABLE_BUCKETS.length ? READABLE_BUCKETS[i] : '+Inf'}"} ${cumulative}`);
      }
      line(`sluice_replica_time_to_readable_seconds_sum{${label(f.nodeId)}} ${h.sum}`);
      line(`sluice_replica_time_to_readable_seconds_count{${label(f.nodeId)}} ${h.count}`);
    }
  }

  private renderDatabase(db: SluiceDatabase, metric: (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => void): void {
    const wal = db.wal.getStats();
    const health = db.wal.health();
    const buffer = db.buffer.getStats();
    const persister = db.persister.stats;
    const replay = wal.replay;
    metric('sluice_write_lines_total', 'counter', 'Line-protocol lines written.', [['', this.writeLines]]);
    metric('sluice_write_bytes_total', 'counter', 'Line-protocol request bytes received (after gzip).', [['', this.writeBytes]]);
    metric('sluice_write_rejected_lines_total', 'counter', 'Lines rejected in partial writes.', [['', this.writeRejectedLines]]);
    metric('sluice_queries_total', 'counter', 'SQL queries answered.', [['', this.queries]]);
    metric('sluice_flight_calls_total', 'counter', 'Arrow Flight calls by method and gRPC status code (0 is OK).', [...this.flightCalls]);
    metric('sluice_flight_seconds_total', 'counter', 'Time spent in Arrow Flight calls.', [['', this.flightMs / 1000]]);
    metric('sluice_query_errors_total', 'counter', 'SQL queries that failed.', [['', this.queryErrors]]);
    metric('sluice_query_native_answers_total', 'counter', 'Planned statements over few clean rows (buffered, or of Parquet files held in memory) answered without the SQL engine.', [['', db.query.nativeAnswers]]);
    metric('sluice_query_seconds_total', 'counter', 'Time spent answering SQL queries.', [['', this.queryMs / 1000]]);
    metric('sluice_wal_flushes_total', 'counter', 'WAL files written.', [['', wal.flushCount]]);
    metric('sluice_wal_flush_bytes_total', 'counter', 'Bytes of WAL files written.', [['', wal.flushBytes]]);
    metric('sluice_wal_last_flush_seconds', 'gauge', 'Latency of the last WAL flush (put, notify).', [['', wal.lastFlushLatencyMs / 1000]]);
    metric('sluice_wal_buffered_ops', 'gauge', 'Ops waiting in the WAL buffer.', [['', wal.bufferedOps]]);
    metric('sluice_wal_buffered_bytes', 'gauge', 'Encoded bytes waiting in the WAL buffer.', [['', wal.bufferedBytes]]);
    metric('sluice_wal_put_retries_total', 'counter', 'Failed WAL puts retried (object-store errors).', [['', wal.putRetryCount]]);
    metric('sluice_wal_files_deleted_total', 'counter', 'Snapshotted WAL files deleted.', [['', wal.walFilesDeleted]]);
    metric('sluice_wal_healthy', 'gauge', '1 while the WAL accepts writes without failing puts.', [['', health.state === 'ok' ? 1 : 0]]);
    metric('sluice_wal_replay_files', 'gauge', 'WAL files replayed at startup.', [['', replay?.filesReplayed ?? 0]]);
    metric('sluice_wal_replay_seconds', 'gauge', 'Duration of the startup replay.', [['', (replay?.durationMs ?? 0) / 1000]]);
    metric('sluice_buffer_rows', 'gauge', 'Rows in the queryable buffer.', [['', buffer.rows]]);
    metric('sluice_buffer_bytes', 'gauge', 'Bytes held by the queryable buffer.', [['', buffer.bytes]]);
    metric('sluice_buffer_forced_snapshots_total', 'counter', 'Snapshots forced by the memory threshold.', [['', buffer.forcedSnapshots]]);
    metric('sluice_snapshots_total', 'counter', 'Snapshots persisted.', [['', persister.snapshots]]);
    metric('sluice_snapshot_last_seconds', 'gauge', 'Duration of the last snapshot.', [['', persister.lastDurationMs / 1000]]);
    metric('sluice_snapshot_rows_total', 'counter', 'Rows written to Parquet.', [['', persister.rows]]);
    metric('sluice_snapshot_bytes_total', 'counter', 'Parquet bytes written.', [['', persister.bytes]]);
    metric('sluice_snapshot_put_retries_total', 'counter', 'Failed snapshot puts retried (object-store errors).', [['', persister.putRetries]]);
    metric('sluice_snapshot_failures_total', 'counter', 'Snapshots that failed (persisted again before the next one).', [['', persister.failedSnapshots]]);
    metric('sluice_snapshot_put_failures_in_a_row', 'gauge', 'Failed snapshot puts since the last one that succeeded.', [['', persister.consecutivePutFailures]]);
    metric('sluice_parquet_files', 'gauge', 'Parquet files queryable.', [['', db.persistedFiles.fileCount]]);
    const memCache = db.persistedFiles.memCache?.stats;
    metric('sluice_parquet_mem_cache_files', 'gauge', 'Parquet files whose rows are held in memory for reads.', [['', memCache?.files ?? 0]]);
    metric('sluice_parquet_mem_cache_bytes', 'gauge', 'Bytes of the Parquet rows held in memory.', [['', memCache?.bytes ?? 0]]);
    metric('sluice_parquet_mem_cache_evictions_total', 'counter', 'Held Parquet files let go to stay within --parquet-mem-cache-size.', [['', memCache?.evicted ?? 0]]);
    metric('sluice_parquet_mem_cache_hits_total', 'counter', 'Reads of persisted rows answered from memory.', [['', memCache?.hits ?? 0]]);
    metric('sluice_parquet_mem_cache_filled_total', 'counter', 'Parquet files read back into memory after one-series queries read them from the files.', [['', memCache?.filled ?? 0]]);
    metric('sluice_parquet_mem_cache_fill_failures_total', 'counter', 'Parquet files that could not be read back into memory.', [['', db.query.memFiller?.stats.failed ?? 0]]);
    const compaction = db.compactor?.stats;
    if (compaction !== undefined) {
      metric('sluice_compactions_total', 'counter', 'Compactions committed.', [['', compaction.compactions]]);
      metric('sluice_compaction_failures_total', 'counter', 'Compactions that failed (logged; tried again at the next round).', [['', compaction.failures]]);
      metric('sluice_compaction_files_in_total', 'counter', 'Parquet files merged away by compactions.', [['', compaction.filesIn]]);
      metric('sluice_compaction_files_out_total', 'counter', 'Parquet files written by compactions.', [['', compaction.filesOut]]);
      metric('sluice_compaction_bytes_in_total', 'counter', 'Bytes of the Parquet files merged away.', [['', compaction.bytesIn]]);
      metric('sluice_compaction_bytes_out_total', 'counter', 'Bytes of the Parquet files compactions wrote.', [['', compaction.bytesOut]]);
      metric('sluice_compaction_last_seconds', 'gauge', 'Duration of the last compaction.', [['', compaction.lastDurationMs / 1000]]);
      metric('sluice_compaction_running', 'gauge', '1 while a compaction round runs.', [['', db.compactor!.isRunning ? 1 : 0]]);
      metric('sluice_compaction_stopped', 'gauge', '1 when compaction stopped until the next start (another writer; see the log).', [['', compaction.stoppedReason === undefined ? 0 : 1]]);
    }
  }
}
