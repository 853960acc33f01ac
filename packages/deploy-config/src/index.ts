export * from './text.js';
export * from './scalars.js';
export * from './select.js';
export * from './scan.js';
export * from './find.js';
export * from './edit.js';
export * from './legacy.js';
export * from './fleet.js';
