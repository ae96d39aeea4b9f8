/**
 * fabric-contract-api's own dispatcher, as the reference Weft's sandbox is compared with. Loads a
 * chaincode project the way fabric-chaincode-node does (package.json main, its contracts and
 * serializers, META-INF metadata; TypeScript compiled as Weft's packager compiles it) into
 * fabric-shim 2.5's ChaincodeFromContract, runs the calls read from stdin with a stub that has only
 * what the dispatcher touches, and prints the responses as JSON. A separate process, so that
 * fabric-contract-api's reflect-metadata and globals stay out of the test's realm.
 *
 * Usage: node -r test/support/ts-register.js test/support/fabric-contract-reference.js <project> <out.json> < {"pem": …, "calls": [[fn, ...args], …]}
 * (the responses go to a file: fabric-shim's logger writes to stdout)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { compileTypeScript } = require('../../core/chaincode/packager');

require.extensions['.ts'] = (module, filename) => module._compile(compileTypeScript(filename, fs.readFileSync(filename, 'utf8')), filename);

const Bootstrap = require('fabric-shim/lib/contract-spi/bootstrap');
const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract');

function stubFor(args, pem) {
  const bufferArgs = args.map((a) => Buffer.from(a, 'utf8'));
  return {
    getBufferArgs: () => bufferArgs,
    getArgs: () => args,
    getStringArgs: () => args,
    getFunctionAndParameters: () => ({ fcn: args[0] ?? '', params: args.slice(1) }),
    getTxID: () => 'tx-1',
    getChannelID: () => 'mychannel',
    getMspID: () => 'PeerOrgMSP',
    getCreator: () => ({ mspid: 'Org1MSP', idBytes: Buffer.from(pem) }),
  };
}

async function main() {
  const projectDir = path.resolve(process.argv[2]);
  const outFile = path.resolve(process.argv[3]);
  const { pem, calls } = JSON.parse(fs.readFileSync(0, 'utf8'));
  process.chdir(projectDir);
  const { contracts, serializers, title, version } = Bootstrap.getInfoFromContract(projectDir);
  const metadata = await Bootstrap.getMetadata(projectDir);
  const chaincode = new ChaincodeFromContract(contracts, serializers, metadata, title, version);
  const out = [];
  for (const args of calls) {
    try {
      const r = await chaincode.Invoke(stubFor(args, pem));
      out.push({ status: r.status, message: r.message ?? '', payload: Buffer.from(r.payload ?? []).toString('base64') });
    } catch (err) {
      // fabric-shim's handler does not catch this: a Fabric peer hears nothing until its execute timeout.
      out.push({ threw: String(err && err.message) });
    }
  }
  fs.writeFileSync(outFile, JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
