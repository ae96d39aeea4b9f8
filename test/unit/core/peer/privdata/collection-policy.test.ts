import { definitionKey, encodeDefinition, LIFECYCLE_NAMESPACE } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { LifecycleCollectionPolicy } from '../../../../../core/peer/privdata/collection-policy';
import type { VersionedValue } from '../../../../../core/ledger/versioned-state-store';
import { collectionPackage, type CollectionSpec } from '../../../../support/lifecycle-collections';
import { testDefinition } from '../../../../support/chaincode-definition';

/** Committed state holding `_lifecycle` definitions of chaincodes, as a channel's state does. */
function stateWith(): { get(ns: string, key: string): VersionedValue | undefined; define(name: string, sequence: number, ...collections: CollectionSpec[]): void } {
  const values = new Map<string, VersionedValue>();
  let blockNum = 0;
  return {
    get: (ns, key) => (ns === LIFECYCLE_NAMESPACE ? values.get(key) : undefined),
    define(name, sequence, ...collections) {
      values.set(definitionKey(name), {
        version: { blockNum: ++blockNum, txNum: 0 },
        value: encodeDefinition(testDefinition(name, { sequence, version: '1', validationParameter: new Uint8Array(0), collectionsBytes: collectionPackage(...collections).serializeBinary() })),
      });
    },
  };
}

describe('the collection policy a peer’s ledger commits with (from committed chaincode definitions)', () => {
  it('gives each collection’s blockToLive, and reads a collection not yet defined again next time', () => {
    const state = stateWith();
    const policy = new LifecycleCollectionPolicy(state, 'Org1MSP');
    expect(policy.blockToLive('cc', 'short')).toBe(0);
    state.define('cc', 1, { name: 'short', blockToLive: 5 });
    expect(policy.blockToLive('cc', 'short')).toBe(5);
    expect(policy.blockToLive('other', 'short')).toBe(0);
  });

  it('says which collections this peer’s org should hold, following a later definition', () => {
    const state = stateWith();
    const policy = new LifecycleCollectionPolicy(state, 'Org1MSP');
    state.define('cc', 1, { name: 'both' }, { name: 'org2', policy: "OR('Org2MSP.member')" });
    expect([policy.eligible('cc', 'both'), policy.eligible('cc', 'org2'), policy.eligible('cc', 'undefined'), policy.eligible('nope', 'both')]).toEqual([
      true,
      false,
      false,
      false,
    ]);
    // An implicit collection is its own org's.
    expect([policy.eligible('cc', '_implicit_org_Org1MSP'), policy.eligible('cc', '_implicit_org_Org2MSP')]).toEqual([true, false]);
    state.define('cc', 2, { name: 'both' }, { name: 'org2', policy: "OR('Org1MSP.member', 'Org2MSP.member')" });
    expect(policy.eligible('cc', 'org2')).toBe(true);
  });
});
