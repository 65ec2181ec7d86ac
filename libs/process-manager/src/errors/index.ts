export * from './process-manager.error.js';
export * from './boot.errors.js';
export * from './runtime.errors.js';
