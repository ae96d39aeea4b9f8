#!/usr/bin/env -S node --no-node-snapshot --initial-old-space-size=128
// Node flags: as every peer and orderer process gets them (core/node/node-flags.ts), since `weft peer start` runs the node in this process.
// The `weft` CLI. Commands are compiled to dist/ (`npm run build`).
const path = require('node:path');
const oclif = require('@oclif/core');
const manifests = require('./manifest-cache.js');
manifests.cacheRootManifest(oclif, path.resolve(__dirname, '..'), manifests.SOURCES.built);
oclif.execute({ dir: __dirname }).catch(require('@oclif/core/handle'));
