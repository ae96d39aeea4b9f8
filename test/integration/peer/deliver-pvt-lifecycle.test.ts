/**
 * DeliverWithPrivateData over a 2-org network judges a block's collections by the definition
 * `_lifecycle` had committed before the block (Fabric's `MostRecentCollectionConfigBelow`), found
 * from the definitions `CommitChaincodeDefinition` wrote: an org taken out of a collection by a
 * later definition still receives what was written while it was a member.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Contract } from '@hyperledger/fabric-gateway';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import type { Signer } from '../../../core/protocol/signer';
import { seekEnvelope } from '../orderer/orderer-fixture';
import { BOTH_ORGS, collectionPackage } from '../../support/lifecycle-collections';
import { deployChaincodeInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { approve, CHANNEL, commitDefinition, gatewayFor, PRIVATE_DIR, signerOf } from './network-fixture';

/** The collections `DeliverWithPrivateData` sends `signer` with block `blockNum`, as `<tx>:<chaincode>/<collection>`. */
function deliveredCollections(client: grpc.Client, signer: Signer, blockNum: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest('/protos.Deliver/DeliverWithPrivateData', (b: Uint8Array) => Buffer.from(b), (b: Buffer) => DeliverResponse.deserializeBinary(b));
    const seen: string[] = [];
    call.on('data', (r: DeliverResponse) => {
      const bpd = r.getBlockAndPrivateData();
      if (bpd === undefined) {
        call.end();
        resolve(seen);
        return;
      }
      bpd.getPrivateDataMapMap().forEach((set, txNum) => {
        for (const ns of set.getNsPvtRwsetList()) for (const c of ns.getCollectionPvtRwsetList()) seen.push(`${txNum}:${ns.getNamespace()}/${c.getCollectionName()}`);
      });
    });
    call.on('error', reject);
    call.write(seekEnvelope(signer, CHANNEL, blockNum, blockNum));
  });
}

describe('DeliverWithPrivateData after a definition takes an org out of a collection', () => {
  let net: InProcessNetwork;
  let org1: Contract;
  let packageId: string;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-deliver-pvt-lifecycle-' });
    packageId = await deployChaincodeInProcess(net, { projectDir: PRIVATE_DIR, label: 'private_1', name: 'private', collections: collectionPackage({ name: 'shared', policy: BOTH_ORGS }) });
    org1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
  }, 120_000);

  afterAll(() => net?.close());

  it('sends the org what was written while it was a member, judged by the definition of that time', async () => {
    await org1.submit('Put', { arguments: ['shared', 'k'], transientData: { value: Buffer.from('v') } });
    await peersInSync(net.peers);
    const written = net.peers[0].height(CHANNEL) - 1;
    const org2User = signerOf(net.m.orgs[1]);
    expect(await deliveredCollections(net.clients[0], org2User, written)).toEqual(['0:private/shared']);

    const admins = [0, 1].map((i) => gatewayFor(net.m.orgs[i], net.clients[i], 'Admin'));
    net.gateways.push(...admins);
    const org1Only = collectionPackage({ name: 'shared', policy: "OR('Org1MSP.member')" });
    await Promise.all(admins.map((a) => approve(a, 'private', 2, packageId, false, CHANNEL, org1Only)));
    await peersInSync(net.peers);
    await commitDefinition(admins[0], 'private', 2, false, CHANNEL, org1Only);
    await peersInSync(net.peers);

    expect(await deliveredCollections(net.clients[0], org2User, written)).toEqual(['0:private/shared']);
    expect(await deliveredCollections(net.clients[0], signerOf(net.m.orgs[0]), written)).toEqual(['0:private/shared']);
  });

  it("sends an org's approval (private data of its implicit collection of _lifecycle) to that org's members only", async () => {
    const admin = gatewayFor(net.m.orgs[0], net.clients[0], 'Admin');
    net.gateways.push(admin);
    await approve(admin, 'private', 3, packageId, false, CHANNEL, collectionPackage({ name: 'shared', policy: "OR('Org1MSP.member')" }));
    await peersInSync(net.peers);
    const approved = net.peers[0].height(CHANNEL) - 1;
    expect(await deliveredCollections(net.clients[0], signerOf(net.m.orgs[0]), approved)).toEqual(['0:_lifecycle/_implicit_org_Org1MSP']);
    expect(await deliveredCollections(net.clients[0], signerOf(net.m.orgs[1]), approved)).toEqual([]);
    // Org2's peer holds only the hashes: it has no values to send, even to Org1.
    expect(await deliveredCollections(net.clients[1], signerOf(net.m.orgs[0]), approved)).toEqual([]);
  });
});
