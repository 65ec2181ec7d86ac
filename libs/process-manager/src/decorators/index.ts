export * from './process-manager.decorator.js';
export * from './on-event.decorator.js';
export * from './message-type.decorator.js';
