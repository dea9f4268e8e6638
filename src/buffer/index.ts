export * from './chunk.js';
export * from './queryable-buffer.js';
