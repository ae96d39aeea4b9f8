/*
 * SPDX-License-Identifier: Apache-2.0
 */

'use strict';

const PrivateAssets = require('./lib/private-assets.js');

module.exports.PrivateAssets = PrivateAssets;
module.exports.contracts = [PrivateAssets];
