// Sluice's library API: the WAL, its object stores and the injected effects.
export * from './wal/index.js';
export * from './objectstore/index.js';
export * from './effects/index.js';
export * from './lineprotocol/index.js';
export * from './catalog/index.js';
export * from './write/index.js';
