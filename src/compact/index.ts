export * from './compactor.js';
export * from './plan.js';
