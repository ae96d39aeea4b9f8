import * as path from 'node:path';
import type { Contract } from '@hyperledger/fabric-gateway';
import { EXAMPLES } from '../../unit/core/chaincode/fixtures';
import { BOTH_ORGS, collectionPackage, type CollectionSpec } from '../../support/lifecycle-collections';
import { deployChaincodeInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { approve, CHANNEL, commitDefinition, eventually, failureOf, gatewayFor } from './network-fixture';

const utf8 = new TextDecoder();
const POLICY = "OR('Org1MSP.peer', 'Org2MSP.peer')";
const assets = (policy: string): CollectionSpec => ({ name: 'assetCollection', policy, requiredPeerCount: 0, maximumPeerCount: 1, memberOnlyRead: true, memberOnlyWrite: true });

/**
 * Fabric's reconciliation of newly eligible data: a peer keeps the hashes of a collection its org
 * is not a member of; once a new chaincode definition takes the org in, the peer's reconciler asks
 * a member peer for what the collection's transactions wrote before.
 */
describe('an org that joins a collection later gets the private data written before it joined', () => {
  let net: InProcessNetwork;
  let org1: Contract;
  let org2: Contract;
  let packageId: string;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-pvt-eligibility-', peerSection: { privateData: { reconcileSleepIntervalMs: 200 } } });
    packageId = await deployChaincodeInProcess(net, {
      projectDir: path.join(EXAMPLES, 'private-assets'),
      label: 'private_assets_1',
      name: 'private',
      collections: collectionPackage(assets("OR('Org1MSP.member')")),
      policy: POLICY,
    });
    org1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
    org2 = gatewayOn(net, 1).getNetwork(CHANNEL).getContract('private');
  }, 120_000);

  afterAll(() => net?.close());

  it('reads an asset created while its org was outside the collection once a definition takes the org in', async () => {
    const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));
    await org1.submit('CreateAsset', { transientData: { asset_properties: json({ assetID: 'early', color: 'teal', size: 4, appraisedValue: 90 }) } });
    await peersInSync(net.peers);
    expect(await failureOf(org2.evaluateTransaction('ReadAsset', 'early'))).toContain('assetCollection');

    const admins = [0, 1].map((i) => gatewayFor(net.m.orgs[i], net.clients[i], 'Admin'));
    net.gateways.push(...admins);
    const both = collectionPackage(assets(BOTH_ORGS));
    await Promise.all(admins.map((a) => approve(a, 'private', 2, packageId, false, CHANNEL, both, POLICY)));
    await peersInSync(net.peers);
    await commitDefinition(admins[0], 'private', 2, false, CHANNEL, both, POLICY);
    await peersInSync(net.peers);

    const seen = await eventually(async () => JSON.parse(utf8.decode(await org2.evaluateTransaction('ReadAsset', 'early'))) as { color: string });
    expect(seen.color).toBe('teal');
    // Org1's implicit collection stays Org1's: Org2's peer still has only its hash.
    expect(await failureOf(org2.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'early'))).toContain(
      'private data matching public hash version is not available',
    );
  });
});
