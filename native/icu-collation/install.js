#!/usr/bin/env node
/*
 * `npm install` step for the ICU collation addon. A prebuilt binary for this platform
 * (prebuilds/<platform>-<arch>/, Node-API, so one serves every Node release) is used when it loads,
 * so installing needs no C compiler; otherwise, or with WEFT_BUILD_FROM_SOURCE=1, node-gyp builds
 * it into build/Release, which the loader then prefers.
 *   --prebuild  builds from source and copies the result into prebuilds/ (refresh after editing the C file)
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const NAME = 'icu_collation.node';
const built = path.join(__dirname, 'build', 'Release', NAME);
const prebuilt = path.join(__dirname, 'prebuilds', `${process.platform}-${process.arch}`, NAME);

function loads(file) {
  try {
    process.dlopen({ exports: {} }, file);
    return true;
  } catch {
    return false;
  }
}

function buildFromSource() {
  // npm puts its bundled node-gyp on PATH for lifecycle scripts.
  const r = spawnSync('node-gyp', ['rebuild', '--directory', __dirname], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(
      `icu-collation: no prebuilt binary loads on ${process.platform}-${process.arch}, and building from source failed` +
        ' (node-gyp needs python3, make and a C compiler)',
    );
    process.exit(r.status ?? 1);
  }
}

if (process.argv.includes('--prebuild')) {
  buildFromSource();
  fs.mkdirSync(path.dirname(prebuilt), { recursive: true });
  fs.copyFileSync(built, prebuilt);
  spawnSync('strip', ['--strip-unneeded', prebuilt], { stdio: 'inherit' });
  fs.rmSync(path.join(__dirname, 'build'), { recursive: true, force: true });
  console.log(`icu-collation: ${path.relative(process.cwd(), prebuilt)} refreshed`);
} else if (process.env.WEFT_BUILD_FROM_SOURCE !== '1' && fs.existsSync(prebuilt) && loads(prebuilt)) {
  // A build left by an earlier install would shadow the prebuilt binary.
  fs.rmSync(path.join(__dirname, 'build'), { recursive: true, force: true });
} else {
  buildFromSource();
}
