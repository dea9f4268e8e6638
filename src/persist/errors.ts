/** An error reading or writing persisted snapshots; `key` names the object at fault when there is one. */
export class PersistError extends Error {
  constructor(
    readonly code: 'CORRUPT_MANIFEST' | 'CORRUPT_CATALOG' | 'MANIFEST_CONFLICT' | 'PARQUET_WRITE',
    message: string,
    readonly key?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PersistError';
  }
}
