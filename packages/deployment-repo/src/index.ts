export * from './git-failures.js';
export * from './clone.js';
export * from './bump-names.js';
