/**
 * The background compactor: merges the Parquet files of a window into one file — ten minutes
 * (level 5), an hour (level 2), six hours (level 4), a day (level 3) — so a table keeps a few
 * files a day instead of one per gen1 window and snapshot. One compaction at a time, never two at once; after each snapshot and at
 * start. Each compaction:
 *
 * 1. takes every file of the table in the window (`plan.ts` says which windows and why all, and
 *    the one file it may leave out: a six-hour block's earlier output, older than every input);
 * 2. merges them as a query reads them — the same relations (`parquetRelationSql`, `dedupSql`)
 *    over the same groups of overlapping files (`overlappingSources`): a point keeps each
 *    field's last non-null value, the later snapshot winning — and writes one file with the
 *    snapshot's writer (`writeParquetFile`), sorted by tags then time;
 * 3. puts it under a key fixed by the compaction's sequence number (overwrite: a file there can
 *    only be this compaction's leftover from before a crash);
 * 4. checks the writer fence, then puts the compaction manifest (create-only): the commit;
 * 5. under the engine's lock swaps the inputs for the output in the query index (a query sees
 *    either, never both or neither);
 * 6. deletes the inputs once the queries running at the swap have finished.
 *
 * A crash before 4 leaves an unreferenced output (never read; overwritten or removed at the next
 * start); after 4, the next start applies the manifest and removes the inputs. See
 * docs/compaction.md.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { Clock } from '../effects/clock.js';
import type { Mirrors } from '../engine/mirrors.js';
import { columnSql, dedupSql, parquetRelationSql } from '../engine/relations.js';
import { AlreadyExistsError } from '../objectstore/errors.js';
import { isPermanentStoreError } from '../objectstore/retry.js';
import { listAll, type ObjectStore } from '../objectstore/types.js';
import { compactedParquetKey, compactionKey, compactionSequenceOfKey, COMPACTION_FORMAT_VERSION, decodeCompactionManifest, encodeCompactionManifest, type CompactionManifest } from '../persist/compaction-manifest.js';
import { PersistError } from '../persist/errors.js';
import type { FileRemover } from '../persist/file-remover.js';
import type { PersistedFiles } from '../persist/load.js';
import type { PersistedFile } from '../persist/manifest.js';
import { fileColumns, writeParquetFile, type ParquetSettings } from '../persist/parquet-writer.js';
import { overlappingSources } from '../query/engine.js';
import { silentLogger, type WalLogger } from '../wal/notifier.js';
import { currentInputs, newestTimeNs, planTable, type CompactionPlan } from './plan.js';

/** Where a compaction stands, for tests that stop it at a chosen step (a simulated crash). */
export type CompactionStep = 'output-written' | 'committed';

export interface CompactorOptions extends ParquetSettings {
  store: ObjectStore;
  nodeId: string;
  catalog: Catalog;
  mirrors: Mirrors;
  persistedFiles: PersistedFiles;
  remover: FileRemover;
  /** A directory DuckDB may write and read (scratch outputs, downloaded inputs). */
  scratchDir: string;
  clock: Clock;
  logger?: WalLogger;
  /** Throws when this writer was fenced: no commit, no delete after that. */
  checkFence: () => Promise<void>;
  /** The first compaction sequence number free (one above the newest committed). */
  nextSequenceNumber: number;
  /** How far behind the newest persisted row a window's end must be to be compacted (default 30 minutes). */
  coldMarginNs?: bigint;
  /** Files a warm (not yet cold) hour may hold before it is compacted anyway (default 0: never; see plan.ts). */
  warmHourMaxFiles?: number;
  /** The node's gen1 window: the widest span a buffered chunk may take (for grouping overlapping files). */
  gen1DurationNs: bigint;
  /** After a compaction's swap (the database sweeps files of tables deleted meanwhile). */
  afterCommit?: () => Promise<unknown>;
  /** Tests only: called at each step; a throw stops the compaction there, as a crash would. */
  onStep?: (step: CompactionStep, manifest: CompactionManifest) => Promise<void>;
}

/** Counts since start (metrics). */
export interface CompactorStats {
  compactions: number;
  filesIn: number;
  filesOut: number;
  bytesIn: number;
  bytesOut: number;
  rowsOut: number;
  /** Compactions that failed (logged; the window is tried again at the next round). */
  failures: number;
  lastError: string | undefined;
  lastDurationMs: number;
  /** Compacted-away inputs and unfinished outputs found at start and queued for removal. */
  leftoversRemoved: number;
  /** Set when the compactor stopped for good until a restart (another writer's manifest; a commit whose outcome is unknown). */
  stoppedReason: string | undefined;
}

/** Default cold margin: 30 minutes behind the newest persisted row. */
export const DEFAULT_COLD_MARGIN_NS = 30n * 60_000_000_000n;

export class Compactor {
  readonly stats: CompactorStats = { compactions: 0, filesIn: 0, filesOut: 0, bytesIn: 0, bytesOut: 0, rowsOut: 0, failures: 0, lastError: undefined, lastDurationMs: 0, leftoversRemoved: 0, stoppedReason: undefined };
  private nextSequence: number;
  private running: Promise<void> | undefined;
  private again = false;
  private leftoversRemoved = false;
  private closed = false;
  private readonly logger: WalLogger;

  constructor(private readonly options: CompactorOptions) {
    this.nextSequence = options.nextSequenceNumber;
    this.logger = options.logger ?? silentLogger;
  }

  /** The sequence number the next compaction takes. */
  get nextSequenceNumber(): number {
    return this.nextSequence;
  }

  /** Starts a round in the background (or another after the one running); errors are logged and counted. */
  kick(): void {
    if (this.closed || this.stats.stoppedReason !== undefined) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.round();
        } catch (err) {
          // A bug outside one compaction's own error path: logged and counted, never thrown at the node.
          this.stats.failures++;
          this.stats.lastError = err instanceof Error ? err.message : String(err);
          this.logger.error({ err }, 'compaction round failed');
        }
      } while (this.again && !this.closed && this.stats.stoppedReason === undefined);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Runs rounds until nothing is due (for tests, tools and `compactNow`); resolves with the compactions committed. */
  async compactAll(): Promise<number> {
    await this.idle();
    const before = this.stats.compactions;
    for (;;) {
      const n = this.stats.compactions;
      this.kick();
      await this.idle();
      if (this.stats.compactions === n || this.closed || this.stats.stoppedReason !== undefined) break;
    }
    return this.stats.compactions - before;
  }

  /** Whether a round is running (or queued behind one). */
  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Resolves once no round is running. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Stops: no new compaction starts; the running one stops at its next step. */
  close(): void {
    this.closed = true;
  }

  /**
   * At start (before the first compaction): removes the objects of inputs that committed
   * compactions replaced (a crash came between commit and delete) and compacted files no
   * committed compaction added (a crash came before the commit). One listing of the node's
   * Parquet files. An unfinished output numbered at or above the next sequence number is deleted
   * now, before this process may write the same key; the rest go to the background remover.
   */
  async removeLeftovers(): Promise<number> {
    const { store, nodeId, persistedFiles, remover } = this.options;
    const indexed = new Set(persistedFiles.all().map((f) => f.key));
    const later: string[] = [];
    let now = 0;
    for (const meta of await listAll(store, `${nodeId}/dbs/`)) {
      if (!meta.key.endsWith('.parquet') || indexed.has(meta.key)) continue;
      const seq = compactionSequenceOfKey(meta.key);
      if (seq !== undefined && seq >= this.nextSequence && !persistedFiles.compactedAway.has(meta.key)) {
        // The background remover could delete it after this process wrote a new output there.
        await store.delete(meta.key);
        now++;
      } else if (persistedFiles.compactedAway.has(meta.key) || seq !== undefined) {
        later.push(meta.key);
      }
    }
    this.stats.leftoversRemoved += now + later.length;
    if (later.length > 0) remover.remove(later, 'compacted away, or an unfinished compaction, before this start');
    return now + later.length;
  }

  private async round(): Promise<void> {
    const { persistedFiles } = this.options;
    if (!this.leftoversRemoved) {
      // First, so that no output of this process is taken for an old leftover.
      try {
        await this.removeLeftovers();
        this.leftoversRemoved = true;
      } catch (err) {
        this.stats.failures++;
        this.stats.lastError = err instanceof Error ? err.message : String(err);
        this.logger.error({ err }, 'listing compaction leftovers failed; tried again at the next round');
        return;
      }
    }
    const all = persistedFiles.all();
    const newest = newestTimeNs(all);
    if (newest === undefined) return;
    const byTable = new Map<string, PersistedFile[]>();
    for (const f of all) {
      const k = `${f.dbId}/${f.tableId}`;
      let list = byTable.get(k);
      if (list === undefined) byTable.set(k, (list = []));
      list.push(f);
    }
    const plans = [...byTable.values()].flatMap((files) => planTable(files, newest, this.options.coldMarginNs ?? DEFAULT_COLD_MARGIN_NS, this.options.warmHourMaxFiles));
    plans.sort((a, b) => (a.windowStartNs < b.windowStartNs ? -1 : a.windowStartNs > b.windowStartNs ? 1 : a.dbId - b.dbId || a.tableId - b.tableId));
    for (const plan of plans) {
      if (this.closed || this.stats.stoppedReason !== undefined) return;
      try {
        await this.compact(plan);
      } catch (err) {
        this.stats.failures++;
        this.stats.lastError = err instanceof Error ? err.message : String(err);
        if (!this.closed) this.logger.error({ err, dbId: plan.dbId, tableId: plan.tableId, level: plan.level, windowStartNs: String(plan.windowStartNs) }, 'compaction failed; tried again at the next round');
        return; // the rest waits for the next round
      }
    }
  }

  /** One compaction: merge, put, commit, swap, delete. */
  private async compact(plan: CompactionPlan): Promise<void> {
    const { store, nodeId, catalog, mirrors, persistedFiles, scratchDir } = this.options;
    const started = this.options.clock.monotonicMs();
    // Taken again now: the window's files as they are (a snapshot may have added one since the plan).
    const inputs = currentInputs(persistedFiles.filesOf(plan.dbId, plan.tableId), plan);
    if (inputs === undefined || inputs.length < 2) return;
    const table = catalog.databaseById(plan.dbId)?.tablesById.get(plan.tableId);
    if (table === undefined) return; // deleted: its files go with the sweep
    const seq = this.nextSequence;
    this.logger.info({ compactionSequenceNumber: seq, dbId: plan.dbId, tableId: plan.tableId, level: plan.level, windowStartNs: String(plan.windowStartNs), filesIn: inputs.length }, 'compaction started');
    const present = new Set(inputs.flatMap((f) => f.columnIds));
    const tableOrder = [...table.columnsById.values()];
    const columns = fileColumns(tableOrder, (c) => present.has(c.id));
    const work = join(scratchDir, `compaction-${seq}`);
    await mkdir(work, { recursive: true });
    let written: Awaited<ReturnType<typeof writeParquetFile>>;
    try {
      const pathOf = new Map<PersistedFile, string>();
      for (const [i, f] of inputs.entries()) pathOf.set(f, await this.localPath(f, join(work, `${i}.parquet`)));
      // The groups a query would deduplicate: overlapping files together, the others as they are.
      const parts: string[] = [];
      for (const group of overlappingSources(inputs, [], this.options.gen1DurationNs)) {
        if (group.files.length === 1) {
          const f = group.files[0]!;
          parts.push(parquetRelationSql([pathOf.get(f)!], new Set(f.columnIds), columns, undefined));
        } else {
          parts.push(dedupSql(group.files.map((f) => parquetRelationSql([pathOf.get(f)!], new Set(f.columnIds), columns, f.snapshotSequenceNumber)), columns));
        }
      }
      const cols = columns.map(columnSql).join(', ');
      const merged = `SELECT ${cols} FROM (${parts.map((p) => `SELECT ${cols} FROM (${p})`).join(' UNION ALL ')})`;
      try {
        written = await writeParquetFile(mirrors.engine, work, merged, columns, plan.windowStartNs, this.options);
      } catch (err) {
        throw new PersistError('PARQUET_WRITE', `compacting ${inputs.length} files of table ids ${plan.dbId}/${plan.tableId}, window ${plan.windowStartNs} (level ${plan.level}), failed: ${(err as Error).message}`, undefined, { cause: err });
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    let minTimeNs = inputs[0]!.minTimeNs;
    let maxTimeNs = inputs[0]!.maxTimeNs;
    for (const f of inputs) {
      if (f.minTimeNs < minTimeNs) minTimeNs = f.minTimeNs;
      if (f.maxTimeNs > maxTimeNs) maxTimeNs = f.maxTimeNs;
    }
    const output: PersistedFile = {
      key: compactedParquetKey(nodeId, plan.dbId, plan.tableId, plan.windowStartNs, plan.level, seq),
      dbId: plan.dbId,
      tableId: plan.tableId,
      chunkTimeNs: plan.windowStartNs,
      // Every input time survives deduplication (points merge, times stay): the inputs' span is the output's.
      minTimeNs,
      maxTimeNs,
      rowCount: written.rowCount,
      sizeBytes: written.bytes.length,
      columnIds: tableOrder.filter((c) => c.type === 'time' || present.has(c.id)).map((c) => c.id),
      snapshotSequenceNumber: Math.max(...inputs.map((f) => f.snapshotSequenceNumber)),
      level: plan.level,
      tagRanges: written.tagRanges,
    };
    const manifest: CompactionManifest = {
      version: COMPACTION_FORMAT_VERSION,
      nodeId,
      compactionSequenceNumber: seq,
      createdAtMs: Math.max(0, Math.floor(this.options.clock.nowMs())),
      dbId: plan.dbId,
      tableId: plan.tableId,
      level: plan.level,
      windowStartNs: plan.windowStartNs,
      removed: inputs.map((f) => f.key),
      added: [output],
    };
    // Overwrite: a file under this key can only be this sequence's leftover from before a crash.
    if (this.closed) throw new Error('the compactor closed');
    await store.put(output.key, written.bytes, 'overwrite');
    await this.options.onStep?.('output-written', manifest);
    if (this.closed) throw new Error('the compactor closed');
    // An input the sweep took meanwhile (its table deleted, past retention): no commit; the
    // output is this sequence's leftover, overwritten by the next compaction or removed at start.
    const indexed = new Set(persistedFiles.filesOf(plan.dbId, plan.tableId).map((f) => f.key));
    if (!inputs.every((f) => indexed.has(f.key))) return;
    await this.options.checkFence();
    await this.commit(manifest);
    this.nextSequence = seq + 1;
    let removed: PersistedFile[] = [];
    let readersDone: Promise<void> = Promise.resolve();
    await mirrors.exclusive(async () => {
      removed = persistedFiles.applyCompaction(manifest);
      readersDone = mirrors.afterRunningReaders();
    });
    this.stats.compactions++;
    this.stats.filesIn += inputs.length;
    this.stats.filesOut++;
    this.stats.bytesIn += inputs.reduce((n, f) => n + f.sizeBytes, 0);
    this.stats.bytesOut += output.sizeBytes;
    this.stats.rowsOut += output.rowCount;
    this.stats.lastDurationMs = this.options.clock.monotonicMs() - started;
    this.logger.info({ compactionSequenceNumber: seq, dbId: plan.dbId, tableId: plan.tableId, level: plan.level, filesIn: inputs.length, rows: output.rowCount, bytes: output.sizeBytes, durationMs: this.stats.lastDurationMs }, 'compaction committed');
    await this.options.onStep?.('committed', manifest);
    await this.options.afterCommit?.();
    // A writer fenced since its commit leaves the inputs: the new writer's index may still read
    // them until its next start applies this manifest (which then removes them).
    try {
      await this.options.checkFence();
    } catch (err) {
      this.stop(`fenced after compaction ${seq} committed: its inputs are left for the next start to remove (${(err as Error).message})`);
      return;
    }
    this.options.remover.remove(removed.map((f) => f.key), `compacted into ${output.key}`, readersDone);
  }

  /** Puts the manifest create-only, retrying transient failures; our own earlier attempt is success. */
  private async commit(manifest: CompactionManifest): Promise<void> {
    const { store, nodeId } = this.options;
    const key = compactionKey(nodeId, manifest.compactionSequenceNumber);
    const bytes = encodeCompactionManifest(manifest);
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new Error('the compactor closed before its commit');
      try {
        await store.put(key, bytes, 'create');
        return;
      } catch (err) {
        if (err instanceof AlreadyExistsError) {
          const existing = decodeCompactionManifest(await store.get(key), key);
          const same = existing.removed.join('\n') === manifest.removed.join('\n') && existing.added.map((f) => f.key).join('\n') === manifest.added.map((f) => f.key).join('\n');
          if (same) return; // our own attempt whose answer was lost
          this.stop(`compaction manifest ${key} already exists with other contents: another writer on node ${nodeId}?`);
          throw new PersistError('MANIFEST_CONFLICT', this.stats.stoppedReason!, key);
        }
        if (this.closed) throw err;
        if (isPermanentStoreError(err)) {
          // Refused (not merely unanswered): nothing was written.
          throw err;
        }
        const delayMs = Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 6));
        this.logger.warn({ err, key, attempt, delayMs }, 'compaction manifest put failed; retrying');
        await this.options.clock.sleep(delayMs);
      }
    }
  }

  private stop(reason: string): void {
    this.stats.stoppedReason = reason;
    this.logger.error({ reason }, 'compaction stopped until the next start');
  }

  /** A local path for an input: the store's own, or a download into `scratch`. */
  private async localPath(file: PersistedFile, scratch: string): Promise<string> {
    const local = this.options.store.localPath?.(file.key);
    if (local !== undefined) return local;
    await writeFile(scratch, await this.options.store.get(file.key));
    return scratch;
  }
}
