/**
 * What `sluice wal inspect` and `sluice snapshots` print: WAL files and snapshots described with
 * the names a person knows — database, table and column names — rather than the catalog ids the
 * files hold. Names come from the catalog: for WAL files, the newest snapshot catalog beside the
 * WAL directory (when the files sit in a store's `<node>/wal/`) brought forward by the catalog
 * ops in the files themselves; for snapshots, each snapshot's own catalog. An id no catalog names
 * (a table deleted since) is printed as `#<id>`.
 */
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Catalog } from '../catalog/catalog.js';
import type { SnapshotManifest } from '../persist/manifest.js';
import type { ObjectStore } from '../objectstore/types.js';
import { decodeWalFile } from '../wal/codec.js';
import { chunkRows, type WalContents } from '../wal/model.js';

/** Names of a catalog's ids, falling back to `#<id>`. */
export class CatalogNames {
  constructor(private readonly catalog: Catalog) {}

  database(dbId: number, known?: string): string {
    return this.catalog.databaseById(dbId)?.name ?? known ?? `#${dbId}`;
  }

  table(dbId: number, tableId: number): string {
    return this.catalog.databaseById(dbId)?.tablesById.get(tableId)?.name ?? `#${tableId}`;
  }

  column(dbId: number, tableId: number, columnId: number): string {
    return this.catalog.databaseById(dbId)?.tablesById.get(tableId)?.columnsById.get(columnId)?.name ?? `#${columnId}`;
  }
}

/** The newest snapshot catalog of the node whose WAL directory is `walDir` (`<root>/<node>/wal`), if there is one. */
async function catalogBeside(walDir: string): Promise<Catalog | undefined> {
  if (basename(walDir) !== 'wal') return undefined;
  const catalogDir = join(dirname(walDir), 'catalog');
  let names: string[];
  try {
    names = (await readdir(catalogDir)).filter((n) => n.endsWith('.catalog.json')).sort();
  } catch {
    return undefined;
  }
  // Keys count down: the first name is the newest snapshot's catalog.
  for (const name of names) {
    try {
      return Catalog.deserialize(await readFile(join(catalogDir, name)));
    } catch {
      // damaged or unreadable: try the one before it
    }
  }
  return undefined;
}

/** One WAL file, decoded or not. */
type Inspected = { file: string; bytes: number; header: ReturnType<typeof decodeWalFile>['header']; contents: WalContents } | { file: string; error: Error };

/**
 * Describes WAL files `files` (in sequence order; `walDir` is where they sit), one line per file
 * and one per op, and with `rows` one per row. Returns the lines and whether any file was damaged.
 */
export async function describeWalFiles(files: readonly string[], walDir: string, rows: boolean): Promise<{ lines: string[]; damaged: boolean }> {
  const inspected: Inspected[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    try {
      const { header, contents } = decodeWalFile(bytes, file);
      inspected.push({ file, bytes: bytes.length, header, contents });
    } catch (err) {
      inspected.push({ file, error: err as Error });
    }
  }
  // The catalog as of the last file: a snapshot catalog brought forward by the catalog ops of
  // the WAL files up to it (the inspected ones, and those before them in the same directory).
  const catalog = (await catalogBeside(walDir)) ?? new Catalog();
  const decoded = new Map(inspected.flatMap((f) => ('error' in f ? [] : [[basename(f.file), f.contents] as const])));
  const last = [...decoded.keys()].sort().at(-1);
  let context: string[] = [];
  try {
    context = (await readdir(walDir)).filter((n) => n.endsWith('.wal') && last !== undefined && n <= last).sort();
  } catch {
    // not a directory we can list: the inspected files alone
  }
  for (const name of [...new Set([...context, ...decoded.keys()])].sort()) {
    let contents = decoded.get(name);
    if (contents === undefined) {
      try {
        contents = decodeWalFile(await readFile(join(walDir, name)), name).contents;
      } catch {
        continue; // damaged: its names, if any, are lost to this listing
      }
    }
    for (const op of contents.ops) {
      if (op.kind !== 'catalog') continue;
      try {
        catalog.applyCatalogBatch(op.batch);
      } catch {
        // an op the snapshot catalog already holds differently: the snapshot's names stand
      }
    }
  }
  const names = new CatalogNames(catalog);
  const lines: string[] = [];
  let damaged = false;
  for (const f of inspected) {
    if ('error' in f) {
      lines.push(`${f.file}: DAMAGED: ${f.error.message}`);
      damaged = true;
      continue;
    }
    const { header, contents } = f;
    const snapshot = contents.snapshot === undefined ? '' : `, snapshot ${contents.snapshot.snapshotSequenceNumber} (WAL ${contents.snapshot.firstWalSequenceNumber}..${contents.snapshot.lastWalSequenceNumber}, end ${contents.snapshot.endTimeMarkerNs})`;
    lines.push(`${f.file}: ok, ${f.bytes} bytes, node ${header.nodeId}, epoch ${header.writerEpoch}, sequence ${contents.walFileNumber}, ${contents.ops.length} ops${snapshot}`);
    for (const op of contents.ops) {
      if (op.kind === 'write') {
        const { batch } = op;
        const tables = [...batch.tableChunks.keys()].map((id) => names.table(batch.databaseId, id));
        const count = [...batch.tableChunks.values()].reduce((n, t) => n + [...t.chunkTimeToChunk.values()].reduce((m, c) => m + c.rowCount, 0), 0);
        lines.push(`  write db=${batch.databaseName} tables=${batch.tableChunks.size} (${tables.join(', ')}) rows=${count}`);
      } else if (op.kind === 'catalog') {
        const described = op.batch.ops.map((o) =>
          'tableName' in o ? `${o.kind} ${o.tableName}${'columns' in o ? ` (${o.columns.map((c) => `${c.name}:${c.type}`).join(', ')})` : ''}` : o.kind === 'setRetentionPeriod' ? `setRetentionPeriod ${o.retentionPeriodNs === 0n ? 'none' : `${o.retentionPeriodNs}ns`}` : o.kind,
        );
        lines.push(`  catalog db=${op.batch.databaseName} ops=${described.join('; ')}`);
      } else {
        lines.push('  noop');
      }
    }
    if (!rows) continue;
    for (const op of contents.ops) {
      if (op.kind !== 'write') continue;
      const dbId = op.batch.databaseId;
      for (const [tableId, t] of op.batch.tableChunks) {
        const table = names.table(dbId, tableId);
        for (const chunk of t.chunkTimeToChunk.values()) {
          for (const row of chunkRows(chunk)) lines.push(`    ${op.batch.databaseName}.${table} time=${row.timeNs} ${row.fields.map((v) => `${names.column(dbId, tableId, v.columnId)}=${String(v.value)}`).join(' ')}`);
        }
      }
    }
  }
  return { lines, damaged };
}

/** Describes snapshots, each file with its database and table named by that snapshot's catalog. */
export async function describeSnapshots(store: ObjectStore, manifests: readonly SnapshotManifest[]): Promise<string[]> {
  const lines: string[] = [];
  for (const m of manifests) {
    let names: CatalogNames | undefined;
    try {
      names = new CatalogNames(Catalog.deserialize(await store.get(m.catalogKey)));
    } catch {
      names = undefined; // its catalog is gone or damaged: ids only
    }
    lines.push(`snapshot ${m.snapshotSequenceNumber}: WAL ≤ ${m.walFileSequenceNumber}, ${m.files.length} files, ${m.files.reduce((n, f) => n + f.rowCount, 0)} rows, catalog ${m.catalogKey}${m.forced ? ', forced' : ''}${names === undefined ? ' (unreadable: ids only)' : ''}`);
    for (const f of m.files) {
      const where = names === undefined ? `db #${f.dbId} table #${f.tableId}` : `db ${names.database(f.dbId)} table ${names.table(f.dbId, f.tableId)}`;
      lines.push(`  ${f.key}  ${where}  ${f.rowCount} rows  ${f.sizeBytes} bytes  time ${f.minTimeNs}..${f.maxTimeNs}`);
    }
  }
  return lines;
}
