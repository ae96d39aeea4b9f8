'use strict';

const Hostile = require('./lib/hostile.js');

module.exports.contracts = [Hostile];
