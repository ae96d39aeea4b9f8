import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { ChannelManager } from '../../../../core/peer/channel/channel-manager';
import { type LearnedPeer, PeerNetwork } from '../../../../core/peer/peer-network';
import { PeerSection, type PeerConfig } from '../../../../core/peer/peer-config';

/** A plaintext peer of Org1 that lists two Org2 peers, on a channel of three orgs (no anchor peers). */
function network(learned: readonly LearnedPeer[]): PeerNetwork {
  const peer = PeerSection.parse({
    gateway: { peers: [{ address: 'a:1', mspId: 'Org2MSP' }, { address: 'b:1', mspId: 'Org2MSP' }] },
  });
  const config = { node: { msp: { id: 'Org1MSP' } }, peer } as unknown as PeerConfig;
  const org = (mspId: string) => ({ name: mspId, mspId, msp: new FabricMSPConfig(), endpoints: [], anchorPeers: [] });
  const channel = { resources: () => ({ config: { applicationOrgs: [org('Org1MSP'), org('Org2MSP'), org('Org3MSP')] } }) };
  const channels = { channel: (id: string) => (id === 'ch' ? channel : undefined) } as unknown as ChannelManager;
  return new PeerNetwork(config, () => channels, () => learned);
}

describe('PeerNetwork endorsers', () => {
  it('are the listed peers, in order, when none was learned', () => {
    const net = network([]);
    expect(net.endorsers('ch').map((p) => p.address)).toEqual(['a:1', 'b:1']);
    net.close();
  });

  it('add the learned peers, and put the highest ledger first, peers not heard from last', () => {
    const net = network([
      { endpoint: 'b:1', mspId: 'Org2MSP', ledgerHeight: 10 },
      { endpoint: 'c:1', mspId: 'Org3MSP', ledgerHeight: 12 },
      { endpoint: 'd:1', mspId: 'Org9MSP', ledgerHeight: 99 },
    ]);
    // d:1 is of no org of the channel; a:1 was not heard from.
    expect(net.endorsers('ch').map((p) => `${p.address} ${p.mspId}`)).toEqual(['c:1 Org3MSP', 'b:1 Org2MSP', 'a:1 Org2MSP']);
    expect(net.pvtPeers('ch').map((p) => p.address)).toEqual(['a:1', 'b:1', 'c:1']);
    net.close();
  });
});
