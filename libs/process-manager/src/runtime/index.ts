export * from './clock.js';
export * from './instance-queue.js';
export * from './process-runner.js';
