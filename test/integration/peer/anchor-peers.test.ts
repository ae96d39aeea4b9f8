import * as net_ from 'node:net';
import { deployKvInProcess, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, gatewayFor } from './network-fixture';

const utf8 = new TextDecoder();

/** Submits through `org`'s gateway, then reads the value back through the other org's gateway. */
async function putAndRead(net: InProcessNetwork, org: 0 | 1, key: string): Promise<[string, string]> {
  const writer = gatewayFor(net.m.orgs[org], net.clients[org]);
  const reader = gatewayFor(net.m.orgs[1 - org], net.clients[1 - org]);
  net.gateways.push(writer, reader);
  const written = utf8.decode(await writer.getNetwork(CHANNEL).getContract('kv').submitTransaction('Put', key, `${key}-value`));
  await peersInSync(net.peers);
  return [written, utf8.decode(await reader.getNetwork(CHANNEL).getContract('kv').evaluateTransaction('Get', key))];
}

describe('Gateway endorsers from the channel config (anchor peers, no static peer list)', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-anchors-', anchorPeers: true, peerSection: { gateway: { peers: [] } } });
  }, 120_000);

  afterAll(() => net?.close());

  it("collects the other org's endorsement from its anchor peer, for the lifecycle and for a transaction", async () => {
    // MAJORITY LifecycleEndorsement of two orgs: Org1's gateway needs Org2's peer, known only as an anchor peer.
    await deployKvInProcess(net);
    expect(await putAndRead(net, 1, 'anchored')).toEqual(['anchored-value', 'anchored-value']);
  }, 60_000);
});

describe('Gateway endorsement moves on to the next peer of an org when one fails', () => {
  let net: InProcessNetwork;
  // A listener that drops every connection: a listed peer that is down, on a port no other test can take.
  const dead = net_.createServer((socket) => socket.destroy());

  beforeAll(async () => {
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(dead.address() as net_.AddressInfo).port}`;
    // Both gateways list that peer for the other org, before the anchor peers.
    net = await startInProcessNetwork({
      prefix: 'weft-peer-retry-',
      anchorPeers: true,
      // No membership exchange after start (channels are joined later): the gateways know no heights,
      // so they try the listed peer first, as configured, instead of the anchor peer they hear from.
      peerSection: { gateway: { peers: [{ address, mspId: 'Org1MSP' }, { address, mspId: 'Org2MSP' }] }, discovery: { membershipIntervalMs: 3_600_000 } },
    });
  }, 120_000);

  afterAll(() => dead.close());
  afterAll(() => net?.close());

  it('endorses through the anchor peer after the listed peer is unreachable', async () => {
    await deployKvInProcess(net);
    expect(await putAndRead(net, 0, 'retried')).toEqual(['retried-value', 'retried-value']);
  }, 60_000);

  it("evaluates on the requested org's next peer after the listed one is unreachable", async () => {
    const gateway = gatewayFor(net.m.orgs[0], net.clients[0]);
    net.gateways.push(gateway);
    const result = await gateway.getNetwork(CHANNEL).getContract('kv').evaluate('Get', { arguments: ['retried'], endorsingOrganizations: ['Org2MSP'] });
    expect(utf8.decode(result)).toBe('retried-value');
  }, 60_000);
});
