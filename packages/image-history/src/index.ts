export * from './order.js';
export * from './github.js';
export * from './newest.js';
