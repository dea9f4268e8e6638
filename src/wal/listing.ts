/**
 * What the WAL files on the store hold, read from the store: for `system.wal_files` and tools.
 * Each file is fetched and decoded (verified) in full once; a listing keeps what it read of the
 * files still there (they are immutable). For inspection, never a hot path.
 */
import { NotFoundError } from '../objectstore/errors.js';
import { listAll, type ObjectStore } from '../objectstore/types.js';
import { decodeWalFile } from './codec.js';
import { parseWalFileKey, walFilePrefix } from './paths.js';

/** One WAL file on the store. */
export interface WalFileInfo {
  sequenceNumber: number;
  key: string;
  sizeBytes: number;
  ops: number;
  /** Rows written per database id. */
  rowsByDatabase: ReadonlyMap<number, number>;
  minTimeNs: bigint;
  maxTimeNs: bigint;
  /** The snapshot this file started, when it started one. */
  snapshotSequenceNumber?: number;
}

/**
 * What the WAL files of a node hold, read once per file: WAL files are immutable, so a file's
 * facts are kept (by key and size) for as long as the file is listed, and each listing fetches
 * only files it has not seen.
 */
export class WalFileListing {
  private known = new Map<string, WalFileInfo>();

  constructor(
    private readonly store: ObjectStore,
    private readonly nodeId: string,
  ) {}

  /** The WAL files on the store now, oldest first; throws the signal's reason once it aborts. */
  async list(signal?: AbortSignal): Promise<WalFileInfo[]> {
    const listed = await listAll(this.store, walFilePrefix(this.nodeId));
    const next = new Map<string, WalFileInfo>();
    for (const meta of listed) {
      signal?.throwIfAborted();
      const cached = this.known.get(meta.key);
      const info = cached !== undefined && cached.sizeBytes === meta.sizeBytes ? cached : await readWalFileInfo(this.store, this.nodeId, meta.key);
      if (info !== undefined) next.set(meta.key, info);
    }
    this.known = next;
    return [...next.values()].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  }
}

/** One WAL file's facts, or undefined when the key is no WAL file of the node or the file is gone (cleanup). */
async function readWalFileInfo(store: ObjectStore, nodeId: string, key: string): Promise<WalFileInfo | undefined> {
  const sequenceNumber = parseWalFileKey(key, nodeId);
  if (sequenceNumber === undefined) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = await store.get(key);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  const { contents } = decodeWalFile(bytes, key);
  const rowsByDatabase = new Map<number, number>();
  for (const op of contents.ops) {
    if (op.kind !== 'write') continue;
    let rows = 0;
    for (const table of op.batch.tableChunks.values()) for (const chunk of table.chunkTimeToChunk.values()) rows += chunk.rowCount;
    rowsByDatabase.set(op.batch.databaseId, (rowsByDatabase.get(op.batch.databaseId) ?? 0) + rows);
  }
  return {
    sequenceNumber,
    key,
    sizeBytes: bytes.length,
    ops: contents.ops.length,
    rowsByDatabase,
    minTimeNs: contents.minTimestampNs,
    maxTimeNs: contents.maxTimestampNs,
    ...(contents.snapshot === undefined ? {} : { snapshotSequenceNumber: contents.snapshot.snapshotSequenceNumber }),
  };
}
