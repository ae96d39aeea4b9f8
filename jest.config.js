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
  // A worker's exit tears down its heap (about 1 GB by the end of a run): 0.45-0.8 s on this machine,
  // past jest's 500 ms, after which it reports a leak it then finds none of. A real leak (a ref'd
  // server or timer) keeps a worker alive for good, so it is still reported, 5 s later.
  workerGracefulExitTimeout: 5000,
};
