/**
 * Startup: every snapshot manifest (no cut-off that hides old data), the catalog of the newest,
 * and the point the WAL replay starts from.
 */
import { Catalog, type CatalogLimits } from '../catalog/catalog.js';
import { CatalogError } from '../catalog/errors.js';
import { listAll, type ObjectStore } from '../objectstore/types.js';
import { PersistError } from './errors.js';
import { decodeManifest, snapshotPrefix, type PersistedFile, type SnapshotManifest } from './manifest.js';

export interface PersistedState {
  /** Manifests, newest first. */
  manifests: SnapshotManifest[];
  catalog: Catalog;
  /** The newest snapshot, for the WAL's replay (undefined before the first). */
  lastSnapshot: { snapshotSequenceNumber: number; lastWalSequenceNumber: number } | undefined;
}

export async function loadPersistedState(store: ObjectStore, nodeId: string, options: { concurrency?: number; limits?: CatalogLimits } = {}): Promise<PersistedState> {
  const metas = (await listAll(store, snapshotPrefix(nodeId))).filter((m) => m.key.endsWith('.info.json'));
  const manifests = new Array<SnapshotManifest>(metas.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < metas.length) {
      const i = next++;
      const key = metas[i]!.key;
      manifests[i] = decodeManifest(await store.get(key), key);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 10, metas.length) }, worker));
  manifests.sort((a, b) => b.snapshotSequenceNumber - a.snapshotSequenceNumber);
  const newest = manifests[0];
  let catalog = new Catalog(options.limits);
  if (newest !== undefined) {
    catalog = decodeCatalogFile(await store.get(newest.catalogKey), newest.catalogKey, options.limits, `of snapshot ${newest.snapshotSequenceNumber}`);
  }
  return {
    manifests,
    catalog,
    lastSnapshot: newest === undefined ? undefined : { snapshotSequenceNumber: newest.snapshotSequenceNumber, lastWalSequenceNumber: newest.walFileSequenceNumber },
  };
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

/** The Parquet files every committed snapshot added, by database and table. */
export class PersistedFiles {
  private readonly byTable = new Map<string, PersistedFile[]>();
  /** Bumped on every change, so the query engine knows when to rebuild its views. */
  version = 0;
  fileCount = 0;
  /** Every snapshot added, in the order added (for `system.snapshots`). */
  readonly snapshots: SnapshotManifest[] = [];

  add(manifest: SnapshotManifest): void {
    this.snapshots.push(manifest);
    for (const file of manifest.files) {
      const k = `${file.dbId}/${file.tableId}`;
      let list = this.byTable.get(k);
      if (list === undefined) this.byTable.set(k, (list = []));
      list.push(file);
      this.fileCount++;
    }
    this.version++;
  }

  /**
   * Takes every file `isGone` picks out of the index (a deleted database or table, past its
   * retention period) and returns them: queries never read them again; their objects are the
   * caller's to remove.
   */
  removeWhere(isGone: (file: PersistedFile) => boolean): PersistedFile[] {
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
