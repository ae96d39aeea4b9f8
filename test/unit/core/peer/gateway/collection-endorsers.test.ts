import type { ChaincodeCall } from '../../../../../core/protocol/chaincode-interest';
import { type CollectionDefinition, collectionOf } from '../../../../../core/peer/lifecycle/collections';
import { collectionEndorsers } from '../../../../../core/peer/gateway/collection-endorsers';

const definition = {
  collections: [
    { name: 'shared', memberMspIds: ['Org1MSP', 'Org2MSP'] },
    { name: 'org1', memberMspIds: ['Org1MSP'] },
  ].map((c) => ({ ...c, memberOrgsPolicy: new Uint8Array(0), requiredPeerCount: 0, maximumPeerCount: 1, blockToLive: 0, memberOnlyRead: true, memberOnlyWrite: true }) as CollectionDefinition),
};
const lookup = (cc: string, coll: string): CollectionDefinition | undefined => (cc === 'assets' ? collectionOf(definition, coll) : undefined);

function call(collections: string[], noPrivateReads: boolean, name = 'assets'): ChaincodeCall {
  return { name, collections, noPrivateReads, noPublicWrites: false, keyPolicies: [], disregardNamespacePolicy: false };
}

const admitted = (e: { admits(m: string): boolean }): string[] => ['Org1MSP', 'Org2MSP', 'Org3MSP'].filter((m) => e.admits(m));

describe("the Gateway's collection filter on endorsers (Fabric's planFromFirstEndorser and discovery)", () => {
  it('restricts to members of every collection a private value was read from', () => {
    const e = collectionEndorsers({ chaincodes: [call([], false), call(['shared'], false), call(['org1'], false)] }, false, lookup);
    expect(admitted(e)).toEqual(['Org1MSP']);
    expect(e.protectedCollections).toEqual([]);
  });

  it('leaves collections only written or hash-read open, unless the proposal carries transient data', () => {
    const interest = { chaincodes: [call(['org1'], true)] };
    expect(admitted(collectionEndorsers(interest, false, lookup))).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    const withTransient = collectionEndorsers(interest, true, lookup);
    expect(admitted(withTransient)).toEqual(['Org1MSP']);
    expect(withTransient.protectedCollections).toEqual(['org1']);
  });

  it("admits an implicit collection's org, no one for an undefined collection, and everyone without an interest", () => {
    expect(admitted(collectionEndorsers({ chaincodes: [call(['_implicit_org_Org3MSP'], false)] }, false, lookup))).toEqual(['Org3MSP']);
    expect(admitted(collectionEndorsers({ chaincodes: [call(['nosuch'], false)] }, false, lookup))).toEqual([]);
    expect(admitted(collectionEndorsers({ chaincodes: [call(['shared'], false, 'unknown')] }, false, lookup))).toEqual([]);
    expect(admitted(collectionEndorsers(undefined, true, lookup))).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
  });
});
