/**
 * Startup: every snapshot manifest (no cut-off that hides old data), every compaction manifest,
 * the catalog of the newest snapshot, and the point the WAL replay starts from.
 */
import { Catalog, type CatalogLimits } from '../catalog/catalog.js';
import { CatalogError } from '../catalog/errors.js';
import { listAll, type ObjectStore } from '../objectstore/types.js';
import { PersistError } from './errors.js';
import { compactionPrefix, decodeCompactionManifest, type CompactionManifest } from './compaction-manifest.js';
import { decodeManifest, snapshotPrefix, type PersistedFile, type SnapshotManifest } from './manifest.js';
import type { ParquetMemCache } from './mem-cache.js';

export interface PersistedState {
  /** Manifests, newest first. */
  manifests: SnapshotManifest[];
  catalog: Catalog;
  /** Compaction manifests, oldest first (the order they apply in). */
  compactions: CompactionManifest[];
  /** The newest snapshot, for the WAL's replay (undefined before the first). */
  lastSnapshot: { snapshotSequenceNumber: number; lastWalSequenceNumber: number } | undefined;
}

export async function loadPersistedState(store: ObjectStore, nodeId: string, options: { concurrency?: number; limits?: CatalogLimits } = {}): Promise<PersistedState> {
  const concurrency = options.concurrency ?? 10;
  const manifests = await readAll(store, snapshotPrefix(nodeId), decodeManifest, concurrency);
  manifests.sort((a, b) => b.snapshotSequenceNumber - a.snapshotSequenceNumber);
  const compactions = await readAll(store, compactionPrefix(nodeId), decodeCompactionManifest, concurrency);
  compactions.sort((a, b) => a.compactionSequenceNumber - b.compactionSequenceNumber);
  const newest = manifests[0];
  let catalog = new Catalog(options.limits);
  if (newest !== undefined) {
    catalog = decodeCatalogFile(await store.get(newest.catalogKey), newest.catalogKey, options.limits, `of snapshot ${newest.snapshotSequenceNumber}`);
  }
  return {
    manifests,
    compactions,
    catalog,
    lastSnapshot: newest === undefined ? undefined : { snapshotSequenceNumber: newest.snapshotSequenceNumber, lastWalSequenceNumber: newest.walFileSequenceNumber },
  };
}

/** Every `.info.json` document under `prefix`, decoded (`concurrency` reads at once). */
async function readAll<T>(store: ObjectStore, prefix: string, decode: (bytes: Uint8Array, key: string) => T, concurrency: number): Promise<T[]> {
  const metas = (await listAll(store, prefix)).filter((m) => m.key.endsWith('.info.json'));
  const out = new Array<T>(metas.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < metas.length) {
      const i = next++;
      const key = metas[i]!.key;
      out[i] = decode(await store.get(key), key);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, metas.length) }, worker));
  return out;
}

/**
 * Verifies and reads a catalog file; any damage is a `PersistError` CORRUPT_CATALOG naming the
 * key (`context` says more, e.g. which snapshot it belongs to).
 */
export function decodeCatalogFile(bytes: Uint8Array, key: string, limits?: CatalogLimits, context?: string): Catalog {
  try {
    return Catalog.deserialize(bytes, limits);
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    throw new PersistError('CORRUPT_CATALOG', `catalog ${key}${context === undefined ? '' : ` (${context})`} is damaged: ${err.message}`, key, { cause: err });
  }
}

/** What readers of the file index need (the query engine, system tables, the server). */
export interface IndexedFiles {
  filesOf(dbId: number, tableId: number): readonly PersistedFile[];
  all(): PersistedFile[];
  readonly fileCount: number;
  /** The rows of recently persisted files held in memory, if any. */
  readonly memCache: ParquetMemCache | undefined;
  /** Every snapshot added, in the order added. */
  readonly snapshots: readonly SnapshotManifest[];
}

/**
 * The Parquet files queries read, by database and table: what every committed snapshot added,
 * less what committed compactions replaced, plus what they added. Changed only under the engine's
 * lock (Mirrors.exclusive), so a query prepares its views from one picture.
 */
export class PersistedFiles implements IndexedFiles {
  private readonly byTable = new Map<string, PersistedFile[]>();
  /** Bumped on every change, so the query engine knows when to rebuild its views. */
  version = 0;
  fileCount = 0;
  /** Every snapshot added, in the order added (for `system.snapshots`). */
  readonly snapshots: SnapshotManifest[] = [];
  /** Keys compactions took out of the index (at startup and since): their objects are garbage once no query reads them. */
  readonly compactedAway = new Set<string>();
  /** Called after a snapshot's files were added (the compactor's cue). */
  onSnapshotAdded: (() => void) | undefined;
  /** The rows of recently persisted files held in memory: files leaving the index leave it too. */
  memCache: ParquetMemCache | undefined;

  /**
   * The start's index: `manifests` (any order) less what `compactions` (oldest first) removed,
   * plus what they added and no later one removed.
   */
  static load(manifests: readonly SnapshotManifest[], compactions: readonly CompactionManifest[]): PersistedFiles {
    const files = new PersistedFiles();
    const added = new Map<string, PersistedFile>();
    for (const c of compactions) {
      for (const key of c.removed) {
        files.compactedAway.add(key);
        added.delete(key);
      }
      for (const f of c.added) added.set(f.key, f);
    }
    const ordered = [...manifests].sort((a, b) => a.snapshotSequenceNumber - b.snapshotSequenceNumber);
    for (const m of ordered) {
      files.snapshots.push(m);
      for (const f of m.files) if (!files.compactedAway.has(f.key)) files.put(f);
    }
    for (const f of added.values()) files.put(f);
    return files;
  }

  add(manifest: SnapshotManifest): void {
    this.snapshots.push(manifest);
    // A replica may learn of a snapshot after a compaction replaced some of its files.
    for (const file of manifest.files) if (!this.compactedAway.has(file.key)) this.put(file);
    this.version++;
    this.onSnapshotAdded?.();
  }

  private put(file: PersistedFile): void {
    const k = `${file.dbId}/${file.tableId}`;
    let list = this.byTable.get(k);
    if (list === undefined) this.byTable.set(k, (list = []));
    list.push(file);
    this.fileCount++;
  }

  /**
   * A committed compaction in one step (call it under the engine's lock): the files `removed`
   * names leave the index, `added` joins it. Returns the files that left.
   */
  applyCompaction(compaction: Pick<CompactionManifest, 'dbId' | 'tableId' | 'removed' | 'added'>): PersistedFile[] {
    const gone = new Set(compaction.removed);
    for (const key of gone) this.compactedAway.add(key);
    const removed = this.takeWhere((f) => f.dbId === compaction.dbId && f.tableId === compaction.tableId && gone.has(f.key));
    for (const f of compaction.added) this.put(f);
    this.memCache?.carry(removed, compaction.added);
    this.version++;
    return removed;
  }

  /**
   * Takes every file `isGone` picks out of the index (a deleted database or table, past its
   * retention period) and returns them: queries never read them again; their objects are the
   * caller's to remove.
   */
  removeWhere(isGone: (file: PersistedFile) => boolean): PersistedFile[] {
    const removed = this.takeWhere(isGone);
    this.memCache?.forget(removed.map((f) => f.key));
    return removed;
  }

  private takeWhere(isGone: (file: PersistedFile) => boolean): PersistedFile[] {
    const removed: PersistedFile[] = [];
    for (const [k, list] of this.byTable) {
      const kept = list.filter((f) => !isGone(f));
      if (kept.length === list.length) continue;
      for (const f of list) if (isGone(f)) removed.push(f);
      if (kept.length === 0) this.byTable.delete(k);
      else this.byTable.set(k, kept);
    }
    if (removed.length > 0) {
      this.fileCount -= removed.length;
      this.version++;
    }
    return removed;
  }

  filesOf(dbId: number, tableId: number): readonly PersistedFile[] {
    return this.byTable.get(`${dbId}/${tableId}`) ?? [];
  }

  all(): PersistedFile[] {
    return [...this.byTable.values()].flat();
  }
}
