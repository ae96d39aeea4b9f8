#!/usr/bin/env -S node --no-node-snapshot
// The `weft` CLI. Commands are compiled to dist/ (`npm run build`).
require('@oclif/core').execute({ dir: __dirname }).catch(require('@oclif/core/handle'));
