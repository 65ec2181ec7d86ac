export * from './document.commands.js';
export * from './document.events.js';
