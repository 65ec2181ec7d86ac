export * from './process-manager.error.js';
export * from './boot.errors.js';
export * from './runtime.errors.js';
export * from './input.errors.js';
export * from './dispatch.errors.js';
export * from './failure-path.errors.js';
export * from './schema.errors.js';
