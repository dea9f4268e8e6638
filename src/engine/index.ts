export * from './duckdb.js';
export * from './mirrors.js';
export * from './relations.js';
