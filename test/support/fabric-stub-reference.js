/**
 * fabric-shim 2.5's own ChaincodeStub, as the reference Weft's in-sandbox stub is compared with:
 * builds one from the chaincode input and signed proposal read from stdin (hex bytes), as the
 * shim's handler does for a transaction, hands it and fabric-shim to a probe module, and writes the
 * probe's JSON result to a file (fabric-shim's logger writes to stdout).
 *
 * Usage: node test/support/fabric-stub-reference.js <probe.js> <out.json> < {"args": [hex…], "signedProposal": hex, "channel", "txId", "mspId"}
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const shim = require('fabric-shim');
const ChaincodeStub = require('fabric-shim/lib/stub');
// fabric-shim's own copy of the protos, so its stub gets the message classes it was built with.
const { peer } = require(require.resolve('@hyperledger/fabric-protos', { paths: [path.dirname(require.resolve('fabric-shim'))] }));

const [probeFile, outFile] = process.argv.slice(2).map((p) => path.resolve(p));
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
process.env.CORE_PEER_LOCALMSPID = input.mspId;
const chaincodeInput = new peer.ChaincodeInput();
chaincodeInput.setArgsList(input.args.map((a) => Buffer.from(a, 'hex')));
const signedProposal = peer.SignedProposal.deserializeBinary(Buffer.from(input.signedProposal, 'hex'));
const stub = new ChaincodeStub(undefined, input.channel, input.txId, chaincodeInput, signedProposal);
fs.writeFileSync(outFile, JSON.stringify(require(probeFile)(stub, shim)));
