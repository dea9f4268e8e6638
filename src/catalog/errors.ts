/** What kind of catalog problem; a server maps `LIMIT` to 422 as InfluxDB does. */
export type CatalogErrorCode = 'INVALID_NAME' | 'INCONSISTENT' | 'CORRUPT' | 'LIMIT' | 'TYPE_CONFLICT';

/** A schema change that cannot be made, or a catalog that cannot be read. */
export class CatalogError extends Error {
  constructor(
    readonly code: CatalogErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CatalogError';
  }
}
