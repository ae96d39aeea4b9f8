import type { ChannelManager } from '../../../../core/peer/channel/channel-manager';
import type { PeerConfig } from '../../../../core/peer/peer-config';
import { PeerNetwork } from '../../../../core/peer/peer-network';

/** A channel manager standing for the peer's: each channel's config names only its orderer endpoints. */
function channelsWith(endpoints: Map<string, string[]>): ChannelManager {
  const resources = new Map<string, object>();
  const resourcesOf = (id: string): object => {
    const key = `${id}:${(endpoints.get(id) ?? []).join(',')}`;
    // A new config is a new resources object, as a config block makes one.
    if (!resources.has(key)) resources.set(key, { config: { ordererEndpoints: endpoints.get(id) ?? [], ordererOrgs: [], applicationOrgs: [] } });
    return resources.get(key) as object;
  };
  return {
    list: () => [...endpoints.keys()],
    channel: (id: string) => (endpoints.has(id) ? { resources: () => resourcesOf(id) } : undefined),
  } as unknown as ChannelManager;
}

const config = {
  node: { msp: { id: 'Org1MSP' } },
  peer: { tls: { enabled: false }, ordererTlsRootCertFiles: [], ordererAddressOverrides: {}, gateway: { peers: [] }, deliveryClient: { connTimeoutMs: 3000 } },
} as unknown as PeerConfig;

describe('PeerNetwork orderer connections', () => {
  afterEach(() => jest.restoreAllMocks());

  it('keeps the connection a channel still dials however long it is not asked for again, and closes one a config update replaced', () => {
    const endpoints = new Map([
      ['ch1', ['orderer-a:7050']],
      ['ch2', ['orderer-b:7050']],
    ]);
    const network = new PeerNetwork(config, () => channelsWith(endpoints));
    let now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const a = network.client('orderer-a:7050', 'ch1');
      const closed = jest.spyOn(a, 'close');
      // A block stream on `a` for ten minutes, while another channel's puller reconnects.
      now += 600_000;
      network.client('orderer-b:7050', 'ch2');
      expect(network.client('orderer-a:7050', 'ch1')).toBe(a);
      expect(closed).not.toHaveBeenCalled();

      // ch1's config moves it to orderer-c: `a` is dialled by no config, and goes once idle.
      endpoints.set('ch1', ['orderer-c:7050']);
      network.client('orderer-c:7050', 'ch1');
      now += 600_000;
      network.client('orderer-b:7050', 'ch2');
      expect(closed).toHaveBeenCalled();
    } finally {
      network.close();
    }
  });

  it('hands a Submit the orderers in random order, as Fabric (rand.Perm)', () => {
    const network = new PeerNetwork(config, () => channelsWith(new Map([['ch1', ['orderer-a:7050', 'orderer-b:7050']]])));
    try {
      const firsts = new Set(Array.from({ length: 64 }, () => network.broadcasters('ch1')[0]));
      // Two broadcasters, reused from call to call, each first some of the time.
      expect(firsts.size).toBe(2);
      expect(new Set(network.broadcasters('ch1'))).toEqual(new Set(network.broadcasters('ch1')));
    } finally {
      network.close();
    }
  });
});
