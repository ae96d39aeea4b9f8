import { packageChaincode } from '../../../core/chaincode/packager';
import {
  CHANNEL,
  KV_EVENTS_DIR,
  approve,
  commitDefinition,
  gatewayFor,
  install,
  peersInSync,
  startInProcessNetwork,
  type InProcessNetwork,
} from './network-fixture';

const utf8 = new TextDecoder();

describe('Gateway endorsers from the channel config (anchor peers, no static peer list)', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-anchors-', anchorPeers: true, peerSection: { gateway: { peers: [] } } });
  }, 120_000);

  afterAll(() => net?.close());

  it("collects the other org's endorsement from its anchor peer, for the lifecycle and for a transaction", async () => {
    const { m, ports, clients, gateways, peers } = net;
    const built = await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' });
    for (const i of [0, 1] as const) await install(m.orgs[i], ports[i], built.packageBytes);
    const admins = [gatewayFor(m.orgs[0], clients[0], 'Admin'), gatewayFor(m.orgs[1], clients[1], 'Admin')];
    gateways.push(...admins);
    await Promise.all(admins.map((a) => approve(a, 'kv', 1, built.packageId)));
    await peersInSync(peers);
    // MAJORITY LifecycleEndorsement of two orgs: Org1's gateway needs Org2's peer, known only as an anchor peer.
    await commitDefinition(admins[0], 'kv', 1);
    await peersInSync(peers);

    const user = gatewayFor(m.orgs[1], clients[1]);
    gateways.push(user);
    const contract = user.getNetwork(CHANNEL).getContract('kv');
    expect(utf8.decode(await contract.submitTransaction('Put', 'anchored', 'yes'))).toBe('yes');
    await peersInSync(peers);
    const other = gatewayFor(m.orgs[0], clients[0]);
    gateways.push(other);
    expect(utf8.decode(await other.getNetwork(CHANNEL).getContract('kv').evaluateTransaction('Get', 'anchored'))).toBe('yes');
  }, 60_000);
});
