'use strict';

const { Contract } = require('fabric-contract-api');
const fs = require('fs');

class Reader extends Contract {
    async ReadFile(ctx, path) {
        return fs.readFileSync(path, 'utf8');
    }
}

module.exports.contracts = [Reader];
