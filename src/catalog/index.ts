export { Catalog, defaultCatalogLimits, validateDatabaseName, validateObjectName, CATALOG_FORMAT_VERSION, type CatalogLimits, type DatabaseSchema, type TableSchema } from './catalog.js';
export { CatalogError, type CatalogErrorCode } from './errors.js';
export { CatalogApplier } from './notifier.js';
