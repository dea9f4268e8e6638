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

/** InfluxDB 3's words for a new database past the limit. */
export function tooManyDatabasesMessage(limit: number): string {
  return `Adding a new database would exceed limit of ${limit} databases`;
}

/** InfluxDB 3's words for a new table past the limit (`current` tables exist). */
export function tooManyTablesMessage(current: number, limit: number): string {
  return `Update to schema would exceed number of tables limit: attempted to create table but already have ${current} table(s) (limit: ${limit})`;
}

/** InfluxDB 3's words for a column past the per-table limit. */
export function tooManyColumnsMessage(limit: number): string {
  return `Update to schema would exceed number of columns per table limit of ${limit} columns`;
}
