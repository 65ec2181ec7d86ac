export * from './order-item.js';
export * from './order.commands.js';
export * from './order.events.js';
