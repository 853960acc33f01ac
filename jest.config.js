// Native ESM jest (run with --experimental-vm-modules); ts-jest only transpiles, `tsc` type-checks.
import { availableParallelism } from 'node:os';

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.base.json' }] },
  testEnvironment: 'node',
};

export default {
  // Only read at the top level. A guard against a hung test, not a speed check: on a 2-core machine that other work
  // loads 15-fold, a container start alone can take a minute. A file's jest.setTimeout overrides it.
  testTimeout: 300_000,
  // Jest's default (one worker less than the cores) runs the e2e suites one after another on 2 cores, though they
  // mostly wait for dockerd, git and the actions' processes. HIA_JEST_WORKERS overrides it.
  maxWorkers: Number(process.env['HIA_JEST_WORKERS'] ?? Math.max(2, availableParallelism() * 2)),
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/{actions,packages}/*/__tests__/**/*.test.ts',
        '<rootDir>/scripts/**/__tests__/*.test.ts',
        '<rootDir>/test/policy/**/*.test.ts',
      ],
      testPathIgnorePatterns: ['\\.e2e\\.test\\.ts$', '\\.network\\.test\\.ts$', '/node_modules/'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: [
        '<rootDir>/{actions,packages}/*/__tests__/**/*.e2e.test.ts',
        '<rootDir>/test/**/*.e2e.test.ts',
        '<rootDir>/scripts/**/__tests__/*.e2e.test.ts',
      ],
      globalSetup: '<rootDir>/packages/local-world/src/global-setup.ts',
      globalTeardown: '<rootDir>/packages/local-world/src/global-teardown.ts',
      slowTestThreshold: 30,
    },
    {
      // Real tools and the network (conda, PyPI): only `scripts/test-real-tools.sh --network` runs these.
      ...shared,
      displayName: 'network',
      testMatch: ['<rootDir>/{actions,packages}/*/__tests__/**/*.network.test.ts'],
      globalSetup: '<rootDir>/packages/local-world/src/global-setup.ts',
      globalTeardown: '<rootDir>/packages/local-world/src/global-teardown.ts',
    },
  ],
};
