export * from './ignore.js';
export * from './walk.js';
