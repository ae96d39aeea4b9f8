/*
 * SPDX-License-Identifier: Apache-2.0
 */

'use strict';

const Marbles = require('./lib/marbles.js');

module.exports.Marbles = Marbles;
module.exports.contracts = [Marbles];
