export * from './errors.js';
export * from './inputs.js';
export * from './mask.js';
export * from './boundary.js';
export * from './state.js';
export * from './summary.js';
export * from './workspace.js';
export * from './declared-inputs.js';
