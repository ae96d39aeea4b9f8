/**
 * A require hook that lets a child process load the TypeScript sources directly (for tests that
 * spawn real node processes: crash tests, multi-process e2e). It compiles with @swc/core using the
 * same options as jest's transform, so decorators and their metadata behave identically.
 *
 * Usage: spawn(process.execPath, ['--no-node-snapshot', '-r', require.resolve('<repo>/test/support/ts-register.js'), 'entry.ts'])
 */
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const swc = require('@swc/core');

const options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

function compile(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = swc.transformSync(source, { ...options, filename });
  module._compile(code, filename);
}

require.extensions['.ts'] = compile;

// inversify 8 is ESM-only; Node 22.12+ loads it through require(esm), so nothing to do here.
void Module;
