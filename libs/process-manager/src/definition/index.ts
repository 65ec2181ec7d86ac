export * from './process-definition.js';
export * from './process-metadata.accessor.js';
export * from './process-definition.explorer.js';
export * from './routing-table.js';
