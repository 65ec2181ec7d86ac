export * from './in-memory-process.store.js';
