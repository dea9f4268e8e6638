/** Last-value and distinct-value caches (docs/caches.md). */
export { Caches, CacheFiller, coversSeries, type CacheSources } from './caches.js';
export { LastCache, compareCacheValues, type CacheValue, type LastCacheRow, type LastEntry } from './last-cache.js';
export { DistinctCache } from './distinct-cache.js';
