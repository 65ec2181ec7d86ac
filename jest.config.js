/** Jest in native ESM mode (run through `node --experimental-vm-modules`, see package.json). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  // Specs run on the library's TypeScript sources, never on its build (libs/process-manager/dist).
  moduleNameMapper: {
    '^nestjs-process-manager$': '<rootDir>/libs/process-manager/src/index.ts',
    '^nestjs-process-manager/(testing|dashboard|rabbitmq)$': '<rootDir>/libs/process-manager/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/libs/process-manager/dist/', '<rootDir>/dist/'],
  testMatch: ['<rootDir>/libs/**/test/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  globalTeardown: '<rootDir>/scripts/jest-global-teardown.js',
  testTimeout: 30_000,
};
