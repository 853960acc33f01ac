// Native ESM jest (run with --experimental-vm-modules); ts-jest only transpiles, `tsc` type-checks.
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.base.json' }] },
  testEnvironment: 'node',
};

export default {
  // Only read at the top level; the e2e tests talk to real services.
  testTimeout: 120_000,
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
