export * from './process-lifecycle.events.js';
export * from './system-messages.js';
