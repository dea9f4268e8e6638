export * from './errors.js';
export * from './engine.js';
export * from './format.js';
