export * from './auth-inputs.js';
export * from './token-source.js';
export * from './docker-login.js';
