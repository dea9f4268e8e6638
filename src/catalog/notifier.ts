import type { SnapshotDetails, WalContents } from '../wal/model.js';
import type { SnapshotStarted, WalFileNotifier } from '../wal/notifier.js';
import type { Catalog } from './catalog.js';

/**
 * Applies the catalog ops of every WAL file to the catalog before handing the file on. Live,
 * the validator has already applied them and this is a no-op; on replay it rebuilds the schema
 * in step with the rows that need it.
 */
export class CatalogApplier implements WalFileNotifier {
  constructor(
    private readonly catalog: Catalog,
    private readonly next: WalFileNotifier,
  ) {}

  private apply(contents: WalContents): void {
    for (const op of contents.ops) if (op.kind === 'catalog') this.catalog.applyCatalogBatch(op.batch);
  }

  async notify(contents: WalContents): Promise<void> {
    this.apply(contents);
    await this.next.notify(contents);
  }

  async notifyAndSnapshot(contents: WalContents, details: SnapshotDetails): Promise<SnapshotStarted> {
    this.apply(contents);
    return this.next.notifyAndSnapshot(contents, details);
  }
}
