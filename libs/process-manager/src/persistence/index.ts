export * from './process.store.js';
export * from './memory/index.js';
export * from './typeorm/index.js';
