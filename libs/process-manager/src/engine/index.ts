export * from './process-context.js';
export * from './process-instance.js';
export * from './decision.js';
export * from './duration.js';
export * from './process-engine.js';
