export * from './errors.js';
export * from './manifest.js';
export * from './persister.js';
export * from './load.js';
export * from './mem-cache.js';
