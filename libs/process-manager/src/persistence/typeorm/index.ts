export * from './entities/index.js';
export * from './migrations/index.js';
export * from './typeorm-process.store.js';
