export * from './engine.js';
export * from './image.js';
