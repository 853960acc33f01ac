// The fake GitHub API: one entry point for the tests and the demo; the areas live in ./fake-github/.
export * from './fake-github/index.js';
