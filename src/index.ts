// Sluice's library API: the WAL, its object stores and the injected effects.
export * from './wal/index.js';
export * from './objectstore/index.js';
export * from './effects/index.js';
export * from './lineprotocol/index.js';
export * from './catalog/index.js';
export * from './write/index.js';
export * from './engine/index.js';
export * from './buffer/index.js';
export * from './persist/index.js';
export * from './query/index.js';
export * from './database/index.js';
