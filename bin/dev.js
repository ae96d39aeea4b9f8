#!/usr/bin/env -S node --no-node-snapshot --initial-old-space-size=128
// Node flags: as every peer and orderer process gets them (core/node/node-flags.ts), since `weft peer start` runs the node in this process.
// The `weft` CLI straight from the TypeScript sources (no build): compiles .ts on load with the
// same swc options as jest, and points oclif at cli/commands instead of dist/cli/commands.
'use strict';
const path = require('node:path');
require('../test/support/ts-register.js');
const root = path.resolve(__dirname, '..');
// `npm run weft -- …` runs in the package root; relative paths the user typed mean the directory they typed them in.
if (process.env.npm_lifecycle_event === 'weft' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
const pjson = require('../package.json');
const oclif = require('@oclif/core');
const manifests = require('./manifest-cache.js');
manifests.cacheRootManifest(oclif, root, manifests.SOURCES.dev);
oclif
  .execute({ loadOptions: { root, pjson: { ...pjson, oclif: { ...pjson.oclif, commands: './cli/commands' } } } })
  .catch(require('@oclif/core/handle'));
