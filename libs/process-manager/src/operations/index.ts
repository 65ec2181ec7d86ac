export * from './process-manager.service.js';
