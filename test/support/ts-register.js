/**
 * A require hook that lets a child process load the TypeScript sources directly (for tests that
 * spawn real node processes: crash tests, multi-process e2e). It compiles with @swc/core using the
 * same options as jest's transform, so decorators and their metadata behave identically.
 *
 * Compiled files are cached on disk by a hash of the source, its path and the compiler: a `weft`
 * command or node process loads some 400 files, and compiling them was a quarter of its start-up.
 * The cache is only an optimisation: any failure to read or write it (a full disk, a read-only
 * tree) compiles as before.
 *
 * Usage: spawn(process.execPath, ['--no-node-snapshot', '-r', require.resolve('<repo>/test/support/ts-register.js'), 'entry.ts'])
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
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

const cacheDir = path.resolve(__dirname, '../../node_modules/.cache/weft-ts');
const compiler = `${swc.version}\u0000${JSON.stringify(options)}`;

function cached(source, filename) {
  const key = crypto.createHash('sha256').update(compiler).update('\u0000').update(filename).update('\u0000').update(source).digest('hex');
  const file = path.join(cacheDir, key.slice(0, 2), `${key}.js`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // not cached yet (or unreadable): compile below
  }
  const { code } = swc.transformSync(source, { ...options, filename });
  try {
    // Written beside and renamed into place, so a concurrent reader never sees half a file.
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    try {
      fs.writeFileSync(temp, code);
      fs.renameSync(temp, file);
    } catch (err) {
      fs.rmSync(temp, { force: true });
      throw err;
    }
  } catch {
    // the cache is optional
  }
  return code;
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(cached(fs.readFileSync(filename, 'utf8'), filename), filename);
};
