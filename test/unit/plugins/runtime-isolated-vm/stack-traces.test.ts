import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChaincodeLogEntry } from '../../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { StackSourceMap } from '../../../../core/chaincode/stack-source-map';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { creator } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

const CONTRACT = `'use strict';
const { Contract } = require('fabric-contract-api');
const { transfer } = require('./lib/transfer');

class Assets extends Contract {
    async Move(ctx) {
        try {
            transfer();
        } catch (e) {
            console.error('move failed:', e);
        }
        return 'done';
    }
}
module.exports.contracts = [Assets];
`;
const TRANSFER = `'use strict';
function transfer() {
    throw new Error('insufficient funds');
}
module.exports = { transfer };
`;
const BROKEN = `'use strict';
const settings = {};
if (!settings.ready) throw new TypeError('settings are not ready');
module.exports.contracts = [];
`;

describe('chaincode stack traces name the project files the source map points to', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-stacks-'));
  const rt = new IsolatedVmRuntime({ timeoutMs: 10_000 });
  afterAll(() => {
    rt.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function project(name: string, files: Record<string, string>): string {
    const root = path.join(dir, name);
    for (const [file, text] of Object.entries({ 'package.json': JSON.stringify({ name, version: '1.0.0', main: 'index.js' }), ...files })) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    }
    return root;
  }

  test('an error the chaincode logs shows the file, line and column it was thrown at, not the bundle position', async () => {
    const built = await packageChaincode({ projectDir: project('assets', { 'index.js': CONTRACT, 'lib/transfer.js': TRANSFER }), label: 'assets' });
    const { packageId } = await rt.install(built.packageBytes);
    const entries: ChaincodeLogEntry[] = [];
    const world = new MemoryWorld();
    const r = await rt.invoke(
      packageId,
      { chaincodeName: 'assets', channelId: 'c', txId: 'tx-1', args: [Buffer.from('Move')], creator: creator('user1'), timestamp: { seconds: 1_700_000_000, nanos: 0 }, mspId: 'Org1MSP' },
      { simulator: world.simulator('tx-1'), invokeChaincode: () => ({ status: 200, message: '', payload: new Uint8Array(0) }), log: { level: 'info', write: (e) => void entries.push(e) } },
    );
    expect(r.response.status).toBe(200);
    const message = entries.find((e) => e.level === 'error')?.message ?? '';
    expect(message).toMatch(/^move failed: Error: insufficient funds\n/);
    expect(message).toContain('at transfer (lib/transfer.js:3:11)');
    expect(message).toMatch(/at Assets\.Move \(index\.js:8:13\)/);
    expect(message).not.toContain('chaincode:');
  });

  test('a chaincode that throws while loading fails to install naming where', async () => {
    const built = await packageChaincode({ projectDir: project('broken', { 'index.js': BROKEN }), label: 'broken' });
    await expect(rt.install(built.packageBytes)).rejects.toThrow(/failed to load: settings are not ready \(at index\.js:3:28\)$/);
  });

  test('a map that does not parse leaves stacks as they are', () => {
    const text = 'Error: x\n    at f (chaincode:cc:1234:10:5)';
    expect(new StackSourceMap('{not json', 'chaincode:cc:1234').rewrite(text)).toBe(text);
    expect(new StackSourceMap('{"version":3,"sources":[],"names":[],"mappings":""}', 'chaincode:cc:1234').rewrite(text)).toBe(text);
  });
});
