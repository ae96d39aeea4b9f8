import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { OrdererAdminClient } from '../../../../cli/services/client/orderer-admin';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { createChannel } from '../../../../cli/services/network/network-channels';
import { stoppedNetwork } from '../../../support/stopped-network';

const quiet = (): void => {};

/**
 * A newcomer runs `weft channel create ./net audit` before `weft network up`. It wrote the channel's
 * genesis block and listed the channel in network.yaml (which `weft network up` then joins every
 * node to), then failed with Node's bare `connect ECONNREFUSED 127.0.0.1:<port>` and no code,
 * naming neither the orderer nor that the channel was already written.
 */
describe('channel create on a network that is not running', () => {
  const stopped = stoppedNetwork('weft-create-down-');

  it('fails ORDERER_UNREACHABLE naming the orderer, saying the channel is written, and that weft network up joins it', async () => {
    const orderer = openNetwork(stopped.dir).orderers()[0]!;

    await expect(createChannel(stopped.dir, { name: 'audit', batchTimeout: '2s', maxMessageCount: 500 }, quiet)).rejects.toMatchObject({
      code: 'ORDERER_UNREACHABLE',
      message: `channel audit is written (its genesis block, listed in network.yaml) but not joined: orderer ${orderer.id} did not answer at its admin address ${orderer.adminAddress} (ECONNREFUSED)`,
      details: { orderer: orderer.id, channel: 'audit', suggestions: [`start the network: weft network up ${stopped.dir} joins every node to audit`, `check it with: weft network status ${stopped.dir}`] },
    });
    // What `weft network up` joins the nodes to.
    expect(openNetwork(stopped.dir).channels().map((c) => c.name)).toEqual(['mychannel', 'audit']);
    expect(fs.existsSync(path.join(stopped.dir, 'channel-artifacts', 'audit.block'))).toBe(true);
  });

  it("names the orderer when its participation API cannot be reached (list, info and join)", async () => {
    const layout = openNetwork(stopped.dir);
    const admin = new OrdererAdminClient(layout.orderers()[0]!, layout);
    for (const call of [() => admin.list(), () => admin.info('mychannel'), () => admin.join('mychannel', new Uint8Array([1]))]) {
      await expect(call()).rejects.toMatchObject({ code: 'ORDERER_UNREACHABLE', details: { socketError: 'ECONNREFUSED' } });
    }
  });
});
