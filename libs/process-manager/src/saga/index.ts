export * from './orchestrated-saga.js';
export * from './saga-steps.js';
export * from './saga-step.js';
export * from './saga-state.js';
export * from './saga-timers.js';
export * from './saga-compensation-sent.js';
export * from './saga.errors.js';
export * from './compile-saga.js';
