import * as path from 'node:path';
import { type InProcessNetwork, deployChaincodeInProcess, gatewayOn, startInProcessNetwork } from './in-process-network';
import { CHANNEL } from './network-fixture';

const OFF_LOOP = path.join(__dirname, '../../unit/plugins/runtime-isolated-vm/fixtures/off-loop');

/**
 * On a peer, a block that commits while an evaluation runs waits for it: the evaluation reads A
 * and B of one committed state (the channel's state lock, which the block committer takes).
 */
describe('a peer commits no block between two reads of one simulation', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-state-hold-' });
    await deployChaincodeInProcess(net, { projectDir: OFF_LOOP, label: 'offloop_1', name: 'offloop' });
  }, 180_000);

  afterAll(() => net?.close());

  it('an evaluation that reads A, computes, then reads B while a block rewriting both commits answers both old', async () => {
    const contract = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('offloop');
    await contract.submitTransaction('SetBoth', 'old');
    const order: string[] = [];
    const reading = contract.evaluateTransaction('ReadTwice', '600000000').then((r) => {
      order.push('evaluation');
      return Buffer.from(r).toString();
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const writing = contract.submitTransaction('SetBoth', 'new').then(() => order.push('commit'));
    const [read] = await Promise.all([reading, writing]);
    expect(read).toBe('old,old');
    expect(order).toEqual(['evaluation', 'commit']);
    expect(Buffer.from(await contract.evaluateTransaction('ReadTwice', '10')).toString()).toBe('new,new');
  }, 120_000);
});
