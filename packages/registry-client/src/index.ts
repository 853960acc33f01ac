export * from './client.js';
export * from './image-config.js';
export * from './manifest.js';
export * from './blobs.js';
export * from './referrers.js';
export * from './tags.js';
