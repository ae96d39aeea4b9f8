/** Jest runs TypeScript through swc (legacy decorators + metadata, as tsc emits them). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/plugins', '<rootDir>/core'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // inversify 8 and @noble (fabric-gateway's curves) ship ESM only; let swc turn it into CommonJS for jest's module runtime.
  transformIgnorePatterns: ['/node_modules/(?!(inversify|@inversifyjs|@noble)/)'],
  // Each worker takes its ports from a range of its own (see the file).
  setupFiles: ['<rootDir>/test/support/worker-port-range.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
