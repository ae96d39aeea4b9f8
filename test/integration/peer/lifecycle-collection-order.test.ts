/**
 * Fabric's `validateCollectionConfigs` judges each collection wholly, its members' channel
 * membership included, before the next: a definition whose first collection names an org that is
 * not on the channel and whose later collections repeat a name is refused for the org.
 */
import { ApproveChaincodeDefinitionForMyOrgArgs, CommitChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import type { Signer } from '../../../core/protocol/signer';
import { collectionPackage } from '../../support/lifecycle-collections';
import { startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, propose, rawEndorser, signerOf } from './network-fixture';

describe('_lifecycle collection checks, in Fabric order', () => {
  let net: InProcessNetwork;
  let endorser: RemoteEndorser;
  let org1Admin: Signer;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-lifecycle-collection-order-' });
    endorser = rawEndorser(net.m.orgs[0], net.ports[0]);
    org1Admin = signerOf(net.m.orgs[0], 'Admin');
  }, 120_000);

  afterAll(async () => {
    endorser?.close();
    await net?.close();
  });

  it("approve and commit report the first collection's foreign org before a later duplicate name", async () => {
    const pkg = collectionPackage({ name: 'a', policy: "OR('Org1MSP.member', 'Org3MSP.member')" }, { name: 'b' }, { name: 'b' });
    const expected = "error validating chaincode definition: collection-name: a -- collection member 'Org3MSP' is not part of the channel";
    for (const args of [new ApproveChaincodeDefinitionForMyOrgArgs(), new CommitChaincodeDefinitionArgs()]) {
      args.setName('ordered');
      args.setVersion('1.0');
      args.setSequence(1);
      args.setCollections(pkg);
      const fn = args instanceof ApproveChaincodeDefinitionForMyOrgArgs ? 'ApproveChaincodeDefinitionForMyOrg' : 'CommitChaincodeDefinition';
      const { response } = await propose(endorser, org1Admin, CHANNEL, '_lifecycle', [fn, args.serializeBinary()]);
      expect(response.status).toBe(500);
      expect(response.message).toContain(expected);
    }
  });
});
