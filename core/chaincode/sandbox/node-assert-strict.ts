/** What `require('assert/strict')` gives chaincode. */
import assert from './node-assert';

const strict: typeof assert.strict = assert.strict;
export = strict;
