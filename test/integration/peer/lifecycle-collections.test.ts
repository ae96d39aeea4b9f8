import type { Gateway } from '@hyperledger/fabric-gateway';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import {
  ApproveChaincodeDefinitionForMyOrgArgs,
  CheckCommitReadinessArgs,
  CheckCommitReadinessResult,
  CommitChaincodeDefinitionArgs,
  QueryApprovedChaincodeDefinitionArgs,
  QueryApprovedChaincodeDefinitionResult,
  QueryApprovedChaincodeDefinitionsArgs,
  QueryApprovedChaincodeDefinitionsResult,
  QueryChaincodeDefinitionArgs,
  QueryChaincodeDefinitionResult,
  QueryChaincodeDefinitionsArgs,
  QueryChaincodeDefinitionsResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { collectionOf, implicitCollectionName } from '../../../core/peer/lifecycle/collections';
import { definitionOf } from '../../../core/peer/lifecycle/lifecycle-state';
import { parsePolicyExpression } from '../../../core/policy/policy-expression';
import type { Signer } from '../../../core/protocol/signer';
import { BOTH_ORGS, type CollectionSpec, collectionPackage } from '../../support/lifecycle-collections';
import { peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, gatewayFor, propose, rawEndorser, signerOf } from './network-fixture';

const SECRETS: CollectionSpec = { name: 'secrets', blockToLive: 10, requiredPeerCount: 1, maximumPeerCount: 2, endorsement: '/Channel/Application/Org1MSP/Endorsement' };
const MORE: CollectionSpec = { name: 'more', policy: "OR('Org2MSP.member')" };

type DefinitionMessage = ApproveChaincodeDefinitionForMyOrgArgs | CheckCommitReadinessArgs | CommitChaincodeDefinitionArgs;

/** A definition message for `name` at `sequence`, version 1.0, with `collections` (none when undefined). */
function defArgs<T extends DefinitionMessage>(msg: T, name: string, sequence: number, collections?: CollectionConfigPackage): T {
  msg.setName(name);
  msg.setVersion('1.0');
  msg.setSequence(sequence);
  if (collections !== undefined) msg.setCollections(collections);
  return msg;
}

describe('_lifecycle private data collections, as Fabric 2.5 validates, agrees on and returns them', () => {
  let net: InProcessNetwork;
  let admins: [Gateway, Gateway];
  let endorsers: RemoteEndorser[];
  let org1Admin: Signer;

  const onOrg1 = async (fn: string, arg: Uint8Array): Promise<{ status: number; message: string; payload: Uint8Array }> =>
    (await propose(endorsers[0], org1Admin, CHANNEL, '_lifecycle', [fn, arg])).response;
  const submit = (org: 0 | 1, fn: string, arg: Uint8Array): Promise<Uint8Array> => admins[org].getNetwork(CHANNEL).getContract('_lifecycle').submitTransaction(fn, arg);
  const approveOn1 = async (name: string, sequence: number, collections?: CollectionConfigPackage): Promise<string> =>
    (await onOrg1('ApproveChaincodeDefinitionForMyOrg', defArgs(new ApproveChaincodeDefinitionForMyOrgArgs(), name, sequence, collections).serializeBinary())).message;
  const approve = async (orgs: readonly (0 | 1)[], name: string, sequence: number, collections?: CollectionConfigPackage): Promise<void> => {
    for (const org of orgs) await submit(org, 'ApproveChaincodeDefinitionForMyOrg', defArgs(new ApproveChaincodeDefinitionForMyOrgArgs(), name, sequence, collections).serializeBinary());
    await peersInSync(net.peers);
  };
  const commit = async (name: string, sequence: number, collections?: CollectionConfigPackage): Promise<void> => {
    await submit(0, 'CommitChaincodeDefinition', defArgs(new CommitChaincodeDefinitionArgs(), name, sequence, collections).serializeBinary());
    await peersInSync(net.peers);
  };
  const query = async <T>(fn: string, arg: { serializeBinary(): Uint8Array }, decode: (b: Uint8Array) => T): Promise<T> => {
    const r = await onOrg1(fn, arg.serializeBinary());
    if (r.status !== 200) throw new Error(r.message);
    return decode(r.payload);
  };

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-lifecycle-collections-' });
    admins = [gatewayFor(net.m.orgs[0], net.clients[0], 'Admin'), gatewayFor(net.m.orgs[1], net.clients[1], 'Admin')];
    net.gateways.push(...admins);
    endorsers = [rawEndorser(net.m.orgs[0], net.ports[0]), rawEndorser(net.m.orgs[1], net.ports[1])];
    org1Admin = signerOf(net.m.orgs[0], 'Admin');
  }, 120_000);

  afterAll(async () => {
    for (const e of endorsers ?? []) e.close();
    await net?.close();
  });

  it('approve and commit refuse what Fabric refuses, with its messages', async () => {
    const refused = async (...specs: CollectionSpec[]): Promise<string> => approveOn1('refused', 1, collectionPackage(...specs));
    const prefix = 'error validating chaincode definition: ';
    expect(await refused({ name: '_secrets' })).toContain(`${prefix}invalid collection name '_secrets'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'`);
    expect(await refused({ name: 'a' }, { name: 'a' })).toContain(`${prefix}collection-name: a -- found duplicate in collection configuration`);
    expect(await refused({ name: 'a', requiredPeerCount: 2, maximumPeerCount: 1 })).toContain('collection-name: a -- maximum peer count (1) cannot be less than the required peer count (2)');
    expect(await refused({ name: 'a', requiredPeerCount: -1, maximumPeerCount: 1 })).toContain('collection-name: a -- requiredPeerCount (-1) cannot be less than zero');
    expect(await refused({ name: 'a', policy: "AND('Org1MSP.member', 'Org2MSP.member')" })).toContain('signature policy is not an OR concatenation, NOutOf 2');
    expect(await refused({ name: 'a', policy: "OR('Org1MSP.member', 'Org3MSP.member')" })).toContain(`${prefix}collection-name: a -- collection member 'Org3MSP' is not part of the channel`);

    const stranger = new SerializedIdentity();
    stranger.setMspid('Org3MSP');
    stranger.setIdBytes(new TextEncoder().encode('not a certificate'));
    const byIdentity = parsePolicyExpression(BOTH_ORGS);
    byIdentity.getIdentitiesList()[1].setPrincipalClassification(MSPPrincipal.Classification.IDENTITY);
    byIdentity.getIdentitiesList()[1].setPrincipal(stranger.serializeBinary());
    expect(await refused({ name: 'a', policy: byIdentity })).toContain('collection-name: a -- contains an identity that is not part of the channel');

    // Weft's own check: a collection endorsement policy must resolve on the channel.
    expect(await refused({ name: 'a', endorsement: '/Channel/Application/Nope' })).toContain(
      "collection-name: a -- endorsement policy '/Channel/Application/Nope' is not defined for channel 'mychannel'",
    );
    // The channel's MSPs include the orderer org's, as in Fabric; an own policy may be a signature policy.
    const accepted = collectionPackage({ name: 'a', policy: "OR('Org1MSP.member', 'OrdererMSP.member')", endorsement: "OR('Org1MSP.peer')" });
    expect((await onOrg1('ApproveChaincodeDefinitionForMyOrg', defArgs(new ApproveChaincodeDefinitionForMyOrgArgs(), 'refused', 1, accepted).serializeBinary())).status).toBe(200);

    const commitRefused = await onOrg1('CommitChaincodeDefinition', defArgs(new CommitChaincodeDefinitionArgs(), 'refused', 1, collectionPackage({ name: 'a', policy: "OR('Org3MSP.member')" })).serializeBinary());
    expect(commitRefused.message).toContain(`${prefix}collection-name: a -- collection member 'Org3MSP' is not part of the channel`);
  });

  it('collections are part of the agreed definition: readiness names them, commit stores them, every query returns them', async () => {
    const agreed = collectionPackage(SECRETS, MORE);
    await approve([0], 'pdc', 1, agreed);
    const readiness = async (collections?: CollectionConfigPackage): Promise<Record<string, string[]>> => {
      const res = await query('CheckCommitReadiness', defArgs(new CheckCommitReadinessArgs(), 'pdc', 1, collections), (b) => CheckCommitReadinessResult.deserializeBinary(b));
      const mismatches: Record<string, string[]> = {};
      res.getMismatchesMap().forEach((m, org) => (mismatches[org] = m.getItemsList()));
      return mismatches;
    };
    expect(await readiness(agreed)).toEqual({ Org2MSP: ['ChaincodeParameters'] });
    expect(await readiness(collectionPackage({ ...SECRETS, blockToLive: 11 }, MORE))).toEqual({ Org1MSP: ['Collections'], Org2MSP: ['ChaincodeParameters'] });
    expect(await readiness(collectionPackage(MORE, SECRETS))).toEqual({ Org1MSP: ['Collections'], Org2MSP: ['ChaincodeParameters'] });
    expect(await readiness()).toEqual({ Org1MSP: ['Collections'], Org2MSP: ['ChaincodeParameters'] });

    await approve([1], 'pdc', 1, agreed);
    await commit('pdc', 1, agreed);

    const name = new QueryChaincodeDefinitionArgs();
    name.setName('pdc');
    const committed = await query('QueryChaincodeDefinition', name, (b) => QueryChaincodeDefinitionResult.deserializeBinary(b));
    expect(committed.getCollections()?.serializeBinary()).toEqual(agreed.serializeBinary());
    const def = definitionOf(committed);
    expect(collectionOf(def, 'secrets')).toMatchObject({ memberMspIds: ['Org1MSP', 'Org2MSP'], blockToLive: 10, requiredPeerCount: 1, maximumPeerCount: 2 });
    expect(collectionOf(def, 'more')?.memberMspIds).toEqual(['Org2MSP']);
    expect(collectionOf(def, implicitCollectionName('Org2MSP'))).toMatchObject({ memberMspIds: ['Org2MSP'], requiredPeerCount: 0, maximumPeerCount: 1 });
    expect(collectionOf(def, 'absent')).toBeUndefined();

    const all = await query('QueryChaincodeDefinitions', new QueryChaincodeDefinitionsArgs(), (b) => QueryChaincodeDefinitionsResult.deserializeBinary(b));
    expect(all.getChaincodeDefinitionsList().find((d) => d.getName() === 'pdc')?.getCollections()?.serializeBinary()).toEqual(agreed.serializeBinary());
    const approvedArgs = new QueryApprovedChaincodeDefinitionArgs();
    approvedArgs.setName('pdc');
    const approved = await query('QueryApprovedChaincodeDefinition', approvedArgs, (b) => QueryApprovedChaincodeDefinitionResult.deserializeBinary(b));
    expect(approved.getCollections()?.serializeBinary()).toEqual(agreed.serializeBinary());
    const approvals = await query('QueryApprovedChaincodeDefinitions', new QueryApprovedChaincodeDefinitionsArgs(), (b) => QueryApprovedChaincodeDefinitionsResult.deserializeBinary(b));
    expect(approvals.getApprovedChaincodeDefinitionsList().find((d) => d.getName() === 'pdc')?.getCollections()?.getConfigList()).toHaveLength(2);

    // At the committed sequence only the package may change (the same collections in another order are other bytes).
    expect(await approveOn1('pdc', 1, collectionPackage(MORE, SECRETS))).toMatch(
      /attempted to redefine the current committed sequence \(1\) for namespace pdc with different parameters: Collections do not match/,
    );
  });

  it('a definition without collections is returned with an empty package, as Fabric returns it', async () => {
    await approve([0, 1], 'plain', 1);
    await commit('plain', 1);
    const name = new QueryChaincodeDefinitionArgs();
    name.setName('plain');
    const committed = await query('QueryChaincodeDefinition', name, (b) => QueryChaincodeDefinitionResult.deserializeBinary(b));
    expect([committed.hasCollections(), committed.getCollections()?.getConfigList()]).toEqual([true, []]);
    expect(definitionOf(committed).collections).toEqual([]);
  });

  it('a later sequence keeps every committed collection and its block-to-live, and may add collections', async () => {
    const prefix = 'error validating chaincode definition: ';
    expect(await approveOn1('pdc', 2)).toContain(`${prefix}the proposed collection config does not contain previously defined collections`);
    expect(await approveOn1('pdc', 2, collectionPackage(MORE))).toContain(`${prefix}existing collection [secrets] missing in the proposed collection configuration`);
    const longer = collectionPackage({ ...SECRETS, blockToLive: 20 }, MORE);
    expect(await approveOn1('pdc', 2, longer)).toContain(`${prefix}the BlockToLive in an existing collection [secrets] modified. Existing value [10]`);
    const commitLonger = await onOrg1('CommitChaincodeDefinition', defArgs(new CommitChaincodeDefinitionArgs(), 'pdc', 2, longer).serializeBinary());
    expect(commitLonger.message).toContain(`${prefix}the BlockToLive in an existing collection [secrets] modified. Existing value [10]`);

    // Member orgs and dissemination may change; a new collection may join.
    const grown = collectionPackage(MORE, { ...SECRETS, policy: "OR('Org1MSP.member')", maximumPeerCount: 3 }, { name: 'extra', blockToLive: 1 });
    await approve([0, 1], 'pdc', 2, grown);
    await commit('pdc', 2, grown);
    const name = new QueryChaincodeDefinitionArgs();
    name.setName('pdc');
    const committed = definitionOf(await query('QueryChaincodeDefinition', name, (b) => QueryChaincodeDefinitionResult.deserializeBinary(b)));
    expect(committed.collections.map((c) => `${c.name}:${c.blockToLive}:${c.memberMspIds.join('+')}`)).toEqual(['more:0:Org2MSP', 'secrets:10:Org1MSP', 'extra:1:Org1MSP+Org2MSP']);
  });
});
