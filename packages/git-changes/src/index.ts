export * from './pull-request.js';
export * from './changed-files.js';
