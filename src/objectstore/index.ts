export * from './types.js';
export * from './errors.js';
export { validateKey, MAX_KEY_BYTES, MAX_SEGMENT_BYTES } from './keys.js';
export { MemoryObjectStore } from './memory.js';
export { LocalObjectStore, type LocalObjectStoreOptions, type LockHandle } from './local.js';
export { probeConditionalPut } from './probe.js';
