export * from './auth-inputs.js';
export * from './failures.js';
export * from './retry-policy.js';
export * from './client.js';
export * from './installation.js';
export * from './access.js';
export * from './sealed-token.js';
export * from './repo-name.js';
