import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OrdererAdminClient } from '../../../../cli/services/client/orderer-admin';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { createChannel } from '../../../../cli/services/network/network-channels';

const quiet = (): void => {};

/**
 * A newcomer runs `weft channel create ./net audit` before `weft network up`. It wrote the channel's
 * genesis block and listed the channel in network.yaml (which `weft network up` then joins every
 * node to), then failed with Node's bare `connect ECONNREFUSED 127.0.0.1:<port>` and no code,
 * naming neither the orderer nor that the channel was already written.
 */
describe('channel create on a network that is not running', () => {
  let tmp: string;
  let net: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-create-down-'));
    net = path.join(tmp, 'net');
    // Ports nothing listens on: the network was initialised, never started.
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: await findFreePorts(8) });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('fails ORDERER_UNREACHABLE naming the orderer, saying the channel is written, and that weft network up joins it', async () => {
    const orderer = openNetwork(net).orderers()[0]!;

    await expect(createChannel(net, { name: 'audit', batchTimeout: '2s', maxMessageCount: 500 }, quiet)).rejects.toMatchObject({
      code: 'ORDERER_UNREACHABLE',
      message: `channel audit is written (its genesis block, listed in network.yaml) but not joined: orderer ${orderer.id} did not answer at its admin address ${orderer.adminAddress} (ECONNREFUSED)`,
      details: { orderer: orderer.id, channel: 'audit', suggestions: [`start the network: weft network up ${net} joins every node to audit`, `check it with: weft network status ${net}`] },
    });
    // What `weft network up` joins the nodes to.
    expect(openNetwork(net).channels().map((c) => c.name)).toEqual(['mychannel', 'audit']);
    expect(fs.existsSync(path.join(net, 'channel-artifacts', 'audit.block'))).toBe(true);
  });

  it("names the orderer when its participation API cannot be reached (list, info and join)", async () => {
    const layout = openNetwork(net);
    const admin = new OrdererAdminClient(layout.orderers()[0]!, layout);
    for (const call of [() => admin.list(), () => admin.info('mychannel'), () => admin.join('mychannel', new Uint8Array([1]))]) {
      await expect(call()).rejects.toMatchObject({ code: 'ORDERER_UNREACHABLE', details: { socketError: 'ECONNREFUSED' } });
    }
  });
});
