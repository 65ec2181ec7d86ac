export * from './clock.js';
export * from './cqrs-buses.js';
export * from './instance-queue.js';
export * from './process-runner.js';
