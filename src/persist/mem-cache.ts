/**
 * The rows of recently persisted Parquet files, kept in memory (`--parquet-mem-cache-size`).
 * A snapshot writes each buffered chunk to a file and the chunk leaves the buffer; when the file
 * holds exactly the chunk's rows (the chunk had no duplicate points, so deduplication dropped
 * nothing), the chunk is kept here under the file's key instead of being let go. A compaction
 * whose output holds exactly the union of its inputs' rows (their rows add up to the output's:
 * no point was merged) carries their chunks to the output's key. Dashboards read the newest
 * hours again and again: a few rows of one series are then read from these arrays (see
 * `../query/native.ts`) instead of by scanning Parquet files.
 *
 * Entries hold immutable chunks: nothing here can change a file's rows. The cache is bounded in
 * bytes; over the bound it lets go of the files with the oldest rows first. A file leaving the
 * query index (compacted away, its table deleted, past retention) leaves the cache with it.
 * After a restart, and for files it let go or never wrote (a query node's), it also takes the
 * rows of files queries read, read back from the files (`../query/mem-fill.ts`).
 */
import type { ColumnarSource } from '../engine/duckdb.js';
import type { PersistedFile } from './manifest.js';

/** A persisted chunk of rows: immutable once here. */
export interface CachedPart extends ColumnarSource {
  readonly minTimeNs: bigint;
  readonly maxTimeNs: bigint;
  byteSize(): number;
}

export interface ParquetMemCacheStats {
  /** Files whose rows are held, and the bytes of their arrays. */
  files: number;
  bytes: number;
  /** Files taken in from snapshots, carried to compaction outputs, and read back from files. */
  kept: number;
  carried: number;
  filled: number;
  /** Files let go to stay within the bound. */
  evicted: number;
  /** Reads answered from held rows. */
  hits: number;
}

interface Entry {
  parts: readonly CachedPart[];
  bytes: number;
  maxTimeNs: bigint;
}

export class ParquetMemCache {
  private readonly entries = new Map<string, Entry>();
  readonly stats: ParquetMemCacheStats = { files: 0, bytes: 0, kept: 0, carried: 0, filled: 0, evicted: 0, hits: 0 };

  /** `maxBytes`: the most the held arrays may take (0 holds nothing). */
  constructor(readonly maxBytes: number) {}

  /** Holds `chunk` as the rows of `file`, written from it, when the file holds exactly its rows. */
  keep(file: PersistedFile, chunk: CachedPart): void {
    if (chunk.rowCount !== file.rowCount || chunk.rowCount === 0) return;
    if (this.put(file.key, [chunk])) this.stats.kept++;
  }

  /** Holds `chunk`, read back from `file`, as its rows when it holds exactly as many; whether it is held. */
  fill(file: PersistedFile, chunk: CachedPart): boolean {
    if (chunk.rowCount !== file.rowCount || chunk.rowCount === 0 || this.entries.has(file.key)) return false;
    const held = this.put(file.key, [chunk]);
    if (held) this.stats.filled++;
    return held;
  }

  /**
   * Whether reading `file` back could be worth it: there is room, or its rows are newer than
   * the oldest held (which it would push out).
   */
  wouldKeep(file: PersistedFile): boolean {
    if (this.maxBytes <= 0 || file.sizeBytes > this.maxBytes) return false;
    if (this.stats.bytes < this.maxBytes) return true;
    for (const entry of this.entries.values()) if (entry.maxTimeNs < file.maxTimeNs) return true;
    return false;
  }

  /**
   * A compaction replaced `inputs` by `outputs`: a single output whose rows are exactly the
   * inputs' (every input held, their row counts adding up to it) takes their rows; the inputs
   * leave either way.
   */
  carry(inputs: readonly PersistedFile[], outputs: readonly PersistedFile[]): void {
    const held = inputs.map((f) => this.entries.get(f.key));
    this.forget(inputs.map((f) => f.key));
    const output = outputs[0];
    if (outputs.length !== 1 || held.some((e) => e === undefined)) return;
    const parts = held.flatMap((e) => e!.parts);
    let rows = 0;
    for (const p of parts) rows += p.rowCount;
    if (rows !== output!.rowCount) return; // deduplication merged points: the union is not the file
    if (this.put(output!.key, parts)) this.stats.carried++;
  }

  /** Lets go of the rows of `keys` (files that left the query index). */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry === undefined) continue;
      this.entries.delete(key);
      this.stats.files--;
      this.stats.bytes -= entry.bytes;
    }
  }

  /** The held rows of `file` (chunks that share no point), or undefined. */
  partsOf(file: PersistedFile): readonly CachedPart[] | undefined {
    return this.entries.get(file.key)?.parts;
  }

  /** Counts a read answered from held rows. */
  hit(): void {
    this.stats.hits++;
  }

  private put(key: string, parts: readonly CachedPart[]): boolean {
    let bytes = 0;
    let maxTimeNs = parts[0]!.maxTimeNs;
    for (const p of parts) {
      bytes += p.byteSize();
      if (p.maxTimeNs > maxTimeNs) maxTimeNs = p.maxTimeNs;
    }
    if (bytes > this.maxBytes) return false;
    this.forget([key]);
    this.entries.set(key, { parts, bytes, maxTimeNs });
    this.stats.files++;
    this.stats.bytes += bytes;
    this.evict();
    return this.entries.has(key);
  }

  /** Over the bound: lets go of the files with the oldest rows first. */
  private evict(): void {
    if (this.stats.bytes <= this.maxBytes) return;
    const byAge = [...this.entries].sort((a, b) => (a[1].maxTimeNs < b[1].maxTimeNs ? -1 : a[1].maxTimeNs > b[1].maxTimeNs ? 1 : 0));
    for (const [key] of byAge) {
      if (this.stats.bytes <= this.maxBytes) break;
      this.forget([key]);
      this.stats.evicted++;
    }
  }
}
