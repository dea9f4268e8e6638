/**
 * What the WAL files on the store hold, read from the store: for `system.wal_files` and tools.
 * Each file is fetched and decoded (verified) in full, so this is for inspection, never a hot path.
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

/** The WAL files of node `nodeId` on `store`, oldest first; a file deleted meanwhile (by cleanup) is left out. */
export async function listWalFiles(store: ObjectStore, nodeId: string): Promise<WalFileInfo[]> {
  const out: WalFileInfo[] = [];
  for (const meta of await listAll(store, walFilePrefix(nodeId))) {
    const sequenceNumber = parseWalFileKey(meta.key, nodeId);
    if (sequenceNumber === undefined) continue;
    let bytes: Uint8Array;
    try {
      bytes = await store.get(meta.key);
    } catch (err) {
      if (err instanceof NotFoundError) continue;
      throw err;
    }
    const { contents } = decodeWalFile(bytes, meta.key);
    const rowsByDatabase = new Map<number, number>();
    for (const op of contents.ops) {
      if (op.kind !== 'write') continue;
      let rows = 0;
      for (const table of op.batch.tableChunks.values()) for (const chunk of table.chunkTimeToChunk.values()) rows += chunk.rowCount;
      rowsByDatabase.set(op.batch.databaseId, (rowsByDatabase.get(op.batch.databaseId) ?? 0) + rows);
    }
    out.push({
      sequenceNumber,
      key: meta.key,
      sizeBytes: bytes.length,
      ops: contents.ops.length,
      rowsByDatabase,
      minTimeNs: contents.minTimestampNs,
      maxTimeNs: contents.maxTimestampNs,
      ...(contents.snapshot === undefined ? {} : { snapshotSequenceNumber: contents.snapshot.snapshotSequenceNumber }),
    });
  }
  return out.sort((a, b) => a.sequenceNumber - b.sequenceNumber);
}
