import type { SnapshotDetails, WalContents, WalOp, Row, Field } from '../../src/wal/model.js';
import { FieldKind, chunkRows, writeBatchForTable } from '../../src/wal/model.js';
import type { SnapshotStarted, WalFileNotifier } from '../../src/wal/notifier.js';
import type { ListOptions, ListPage, ObjectMeta, ObjectStore, PutMode } from '../../src/objectstore/types.js';
import { StoreIoError } from '../../src/objectstore/errors.js';
import type { Catalog } from '../../src/catalog/catalog.js';

/** A notifier that records every file it receives; snapshots persist when the test says so. */
export class RecordingNotifier implements WalFileNotifier {
  readonly files: WalContents[] = [];
  readonly snapshots: SnapshotDetails[] = [];
  /** When true, snapshots persist at once; else they wait for `finishSnapshots()`. */
  autoPersist = true;
  failSnapshots = false;
  private pending: Array<{ resolve(): void; reject(err: Error): void }> = [];

  async notify(contents: WalContents): Promise<void> {
    this.files.push(contents);
  }

  async notifyAndSnapshot(contents: WalContents, details: SnapshotDetails): Promise<SnapshotStarted> {
    this.files.push(contents);
    this.snapshots.push(details);
    if (this.failSnapshots) return { persisted: Promise.reject(new Error('snapshot failed on purpose')) };
    if (this.autoPersist) return { persisted: Promise.resolve() };
    return { persisted: new Promise<void>((resolve, reject) => this.pending.push({ resolve, reject })) };
  }

  finishSnapshots(): void {
    for (const p of this.pending.splice(0)) p.resolve();
  }

  /** All ops received, in order. */
  ops(): WalOp[] {
    return this.files.flatMap((f) => f.ops);
  }
}

/** Rows of one int64 field `value` (column 1) and one tag `host` (column 0). */
export function rows(startNs: bigint, count: number, stepNs = 1_000_000_000n, base = 0): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < count; i++) {
    const fields: Field[] = [
      { columnId: 0, kind: FieldKind.Tag, value: `host-${(base + i) % 7}` },
      { columnId: 1, kind: FieldKind.Int64, value: BigInt(base + i) },
    ];
    out.push({ timeNs: startNs + BigInt(i) * stepNs, fields });
  }
  return out;
}

/** A write op of `count` rows for db 1 / table 1. */
export function writeOp(startNs: bigint, count = 1, base = 0, gen1Ns = 600_000_000_000n): WalOp {
  return { kind: 'write', batch: writeBatchForTable(1, 'db', 1, rows(startNs, count, 1_000_000_000n, base), gen1Ns) };
}

/** The int64 values of every row in a list of ops, in order (to compare what came back). */
export function rowValues(ops: readonly WalOp[]): bigint[] {
  const out: bigint[] = [];
  for (const op of ops) {
    if (op.kind !== 'write') continue;
    for (const table of op.batch.tableChunks.values()) {
      for (const chunk of table.chunkTimeToChunk.values()) {
        for (const row of chunkRows(chunk)) {
          for (const f of row.fields) if (f.kind === FieldKind.Int64) out.push(f.value);
        }
      }
    }
  }
  return out;
}

/**
 * Wraps a store and injects put failures: `failPuts` failures before the put takes effect,
 * then `failAfterEffect` failures after it took effect (an ambiguous outcome).
 */
export class FlakyStore implements ObjectStore {
  failPuts = 0;
  failAfterEffect = 0;
  putCalls = 0;
  failDeletes = 0;

  constructor(private readonly inner: ObjectStore) {}

  get description(): string {
    return `flaky(${this.inner.description})`;
  }

  async put(key: string, data: Uint8Array, mode: PutMode): Promise<void> {
    this.putCalls++;
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new StoreIoError('injected put failure', true, key);
    }
    await this.inner.put(key, data, mode);
    if (this.failAfterEffect > 0) {
      this.failAfterEffect--;
      throw new StoreIoError('injected failure after the put took effect', true, key);
    }
  }

  get(key: string): Promise<Uint8Array> {
    return this.inner.get(key);
  }
  getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    return this.inner.getRange(key, start, end);
  }
  head(key: string): Promise<ObjectMeta> {
    return this.inner.head(key);
  }
  list(options: ListOptions): Promise<ListPage> {
    return this.inner.list(options);
  }
  async delete(key: string): Promise<void> {
    if (this.failDeletes > 0) {
      this.failDeletes--;
      throw new StoreIoError('injected delete failure', true, key);
    }
    return this.inner.delete(key);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Every row written to the WAL, as sorted `table{column=value,…}@time` strings, using the catalog for names. */
export function rowsOf(catalog: Catalog, ops: readonly WalOp[]): string[] {
  const out: string[] = [];
  for (const op of ops) {
    if (op.kind !== 'write') continue;
    const db = catalog.databaseById(op.batch.databaseId)!;
    for (const [tableId, chunks] of op.batch.tableChunks) {
      const table = db.tablesById.get(tableId)!;
      for (const chunk of chunks.chunkTimeToChunk.values()) {
        for (const row of chunkRows(chunk)) {
          const parts = row.fields
            .map((f) => [table.columnsById.get(f.columnId)!.name, f.kind === FieldKind.Tag ? `${f.value}` : `${String(f.value)}${f.kind === FieldKind.Int64 ? 'i' : f.kind === FieldKind.UInt64 ? 'u' : ''}`] as const)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => `${k}=${v}`);
          out.push(`${table.name}{${parts.join(',')}}@${row.timeNs}`);
        }
      }
    }
  }
  return out.sort();
}
