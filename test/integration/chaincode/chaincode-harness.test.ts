import * as path from 'node:path';
import { ChaincodeHarness } from '../../../cli/testing';

const PRIVATE_DIR = path.join(__dirname, '..', 'peer', 'fixtures', 'private');

describe('the chaincode test harness `weft new chaincode` projects use', () => {
  let cc: ChaincodeHarness;
  beforeAll(async () => {
    cc = await ChaincodeHarness.start(PRIVATE_DIR, { name: 'private' });
  }, 60_000);
  afterAll(() => cc?.close());

  it('commits private data passed as transient data, and purges it', async () => {
    await cc.submitWith('Put', { arguments: ['shared', 'k1'], transientData: { value: 'secret' } });
    await cc.submitWith('Put', { arguments: ['shared', 'k2'], transientData: { value: Uint8Array.from(Buffer.from('other')) } });
    expect((await cc.evaluate('Get', 'shared', 'k1')).text).toBe('secret');
    expect(JSON.parse((await cc.evaluate('Keys', 'shared')).text)).toEqual(['k1', 'k2']);
    await cc.submit('Purge', 'shared', 'k1');
    expect(JSON.parse((await cc.evaluate('Keys', 'shared')).text)).toEqual(['k2']);
    await expect(cc.evaluate('Get', 'shared', 'k1')).rejects.toThrow('shared/k1 does not exist');
  });

  it('reports a missing transient field as the chaincode’s error, and commits nothing', async () => {
    await expect(cc.submitWith('Put', { arguments: ['shared', 'k3'] })).rejects.toThrow('transient field value is missing');
    expect((await cc.call('Get', ['shared', 'k3'])).status).toBe(500);
  });
});
