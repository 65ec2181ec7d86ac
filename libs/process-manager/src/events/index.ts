export * from './process-lifecycle.events.js';
