import type { Gateway } from '@hyperledger/fabric-gateway';
import { packageChaincode } from '../../../core/chaincode/packager';
import type { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { DEFAULT_ACLS } from '../../../core/protocol/channel-definition';
import { buildConfigBlock } from '../../../core/protocol/config-block';
import { meta } from '../../../core/protocol/config-policies';
import { loadMspConfig } from '../../../plugins/msp-x509';
import { peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { KV_EVENTS_DIR, approve, commitDefinition, gatewayFor, install, joinOrderer, propose, rawEndorser, signerOf } from './network-fixture';

const ANY = 'anylifecycle';

/**
 * An org whose approval differs from the definition the channel committed (possible when the
 * LifecycleEndorsement policy does not need that org) has not approved it: its peers refuse to
 * run the chaincode, as Fabric's lifecycle cache (`Approved` only when the approval's parameters
 * equal the committed ones) makes them.
 */
describe('_lifecycle: a committed definition an org approved differently', () => {
  let net: InProcessNetwork;
  let admins: [Gateway, Gateway];
  let endorsers: RemoteEndorser[];
  let packageId: string;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-lifecycle-approval-match-' });
    const { m } = net;
    const block = buildConfigBlock({
      channelId: ANY,
      acls: { ...DEFAULT_ACLS },
      applicationOrgs: m.orgs.map((o) => ({ mspId: o.mspId, mspConfig: loadMspConfig(o.mspDir, o.mspId) })),
      ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: loadMspConfig(m.ordererOrg.mspDir, 'OrdererMSP'), endpoints: [`127.0.0.1:${net.ordererFiles.port}`] }],
      batchTimeout: '100ms',
      consensusType: { type: 'solo' },
      policies: { application: { LifecycleEndorsement: meta('ANY', 'Endorsement') } },
    }).serializeBinary();
    expect(await joinOrderer(m, net.ordererFiles.adminPort, block)).toBe(201);
    for (const peer of net.peers) peer.joinChannel(block);
    admins = [gatewayFor(m.orgs[0], net.clients[0], 'Admin'), gatewayFor(m.orgs[1], net.clients[1], 'Admin')];
    net.gateways.push(...admins);
    endorsers = [rawEndorser(m.orgs[0], net.ports[0]), rawEndorser(m.orgs[1], net.ports[1])];
    const built = await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' });
    for (const i of [0, 1] as const) await install(m.orgs[i], net.ports[i], built.packageBytes);
    packageId = built.packageId;
    // Org2 approves with init required; Org1 approves and commits without (ANY lifecycle endorsement).
    await approve(admins[1], 'kv', 1, packageId, true, ANY);
    await approve(admins[0], 'kv', 1, packageId, false, ANY);
    await peersInSync(net.peers, ANY);
    await commitDefinition(admins[0], 'kv', 1, false, ANY);
    await peersInSync(net.peers, ANY);
  }, 180_000);

  afterAll(async () => {
    for (const e of endorsers ?? []) e.close();
    await net?.close();
  });

  it("Org2's peer refuses to endorse: Org2 approved other parameters", async () => {
    const r = await propose(endorsers[1], signerOf(net.m.orgs[1]), ANY, 'kv', ['Put', 'k', 'v']);
    expect(r.response.status).toBe(500);
    expect(r.response.message).toMatch(/chaincode definition for 'kv' at sequence 1 on channel 'anylifecycle' has not yet been approved by this org/);
  });

  it("Org1's peer endorses (its approval matches)", async () => {
    const r = await propose(endorsers[0], signerOf(net.m.orgs[0]), ANY, 'kv', ['Put', 'k', 'v']);
    expect(r.response.status).toBe(200);
  });

  it('once Org2 approves the committed parameters at the committed sequence, its peer endorses', async () => {
    await approve(admins[1], 'kv', 1, packageId, false, ANY);
    await peersInSync(net.peers, ANY);
    const r = await propose(endorsers[1], signerOf(net.m.orgs[1]), ANY, 'kv', ['Put', 'k', 'v']);
    expect(r.response.status).toBe(200);
  });
});
