export * from './periodic-job.js';
export * from './timer.poller.js';
export * from './outbox.relay.js';
export * from './stuck-process.recoverer.js';
export * from './retention.job.js';
