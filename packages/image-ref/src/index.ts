export * from './reference.js';
export * from './gar.js';
