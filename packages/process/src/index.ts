export * from './runner.js';
export * from './child-env.js';
export * from './cancel.js';
