/**
 * Whether a peer joined from a snapshot may hold a snapshot's private data, as Fabric's import
 * decides (`pvtdatastorage/snapshot_data_importer.go` `isEligibile`): by the collection config
 * history imported with the snapshot, a member by the definition in force at the data's block or
 * by any committed since.
 */
import { SNAPSHOT_CONFIG_HISTORY_KEY, SNAPSHOT_CONFIG_HISTORY_NAMESPACE, storedConfigHistory } from '../../../../../core/ledger/snapshot-config-history';
import type { VersionedValue } from '../../../../../core/ledger/versioned-state-store';
import { definitionKey, encodeDefinition, LIFECYCLE_NAMESPACE } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { LifecycleCollectionPolicy } from '../../../../../core/peer/privdata/collection-policy';
import { collectionPackage } from '../../../../support/lifecycle-collections';
import { testDefinition } from '../../../../support/chaincode-definition';

const ORG1 = "OR('Org1MSP.member')";
const ORG2 = "OR('Org2MSP.member')";
const BOTH = "OR('Org1MSP.member', 'Org2MSP.member')";

/** State as an import leaves it: the current definition (`now`), and the imported history (block → policies of collections a, b). */
function importedState(now: { a: string; b: string }, history: Record<number, { a: string; b: string }>): { get(ns: string, key: string): VersionedValue | undefined } {
  const pkg = (p: { a: string; b: string }) => collectionPackage({ name: 'a', policy: p.a }, { name: 'b', policy: p.b }).serializeBinary();
  const definition = encodeDefinition(testDefinition('cc', { sequence: 9, version: '1', validationParameter: new Uint8Array(0), collectionsBytes: pkg(now) }));
  const row = storedConfigHistory(Object.entries(history).map(([block, p]) => ({ chaincode: 'cc', blockNum: Number(block), collections: pkg(p) })));
  return {
    get: (ns, key) => {
      if (ns === LIFECYCLE_NAMESPACE && key === definitionKey('cc')) return { version: { blockNum: 30, txNum: 0 }, value: definition };
      if (ns === SNAPSHOT_CONFIG_HISTORY_NAMESPACE && key === SNAPSHOT_CONFIG_HISTORY_KEY) return { version: { blockNum: 0, txNum: 0 }, value: row };
      return undefined;
    },
  };
}

describe('eligibility of a snapshot’s private data by the imported collection config history', () => {
  // a: Org1 leaves at block 20; b: Org1 joins at block 20.
  const state = importedState({ a: ORG2, b: BOTH }, { 10: { a: BOTH, b: ORG2 }, 20: { a: ORG2, b: BOTH } });

  it('counts data written while the org was a member, though it is not now', () => {
    const policy = new LifecycleCollectionPolicy(state, 'Org1MSP');
    expect(policy.eligible('cc', 'a')).toBe(false);
    expect([11, 15, 20].map((block) => policy.eligibleAt('cc', 'a', block))).toEqual([true, true, true]);
    // Written after the definition of block 20 was committed: judged by it.
    expect(policy.eligibleAt('cc', 'a', 21)).toBe(false);
  });

  it('counts data of a collection the org joined later, as Fabric (any later definition that makes it a member)', () => {
    const policy = new LifecycleCollectionPolicy(state, 'Org1MSP');
    expect([11, 20, 25].map((block) => policy.eligibleAt('cc', 'b', block))).toEqual([true, true, true]);
  });

  it('leaves out data of a collection the org never belonged to, and asks the current definition where the history knows nothing', () => {
    const org3 = importedState({ a: ORG1, b: ORG2 }, { 10: { a: ORG2, b: ORG2 } });
    const policy = new LifecycleCollectionPolicy(org3, 'Org1MSP');
    expect(policy.eligibleAt('cc', 'b', 11)).toBe(false);
    // At or below the oldest entry (Fabric fails its import there), and an implicit collection: the current definition.
    expect(policy.eligibleAt('cc', 'a', 10)).toBe(true);
    expect(policy.eligibleAt('cc', '_implicit_org_Org1MSP', 11)).toBe(policy.eligible('cc', '_implicit_org_Org1MSP'));
  });
});
