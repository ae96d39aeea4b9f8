import { CommitChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { PeerLedger } from '../../../../../core/peer/channel/peer-ledger';
import { LifecycleCache } from '../../../../../core/peer/lifecycle/lifecycle-cache';
import { writeCommitted } from '../../../../../core/peer/lifecycle/lifecycle-layout';
import { type DefinitionInput, LIFECYCLE_NAMESPACE, definitionKey, definitionOf, encodeDefinition, writeDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { collectionPackage } from '../../../../support/lifecycle-collections';
import { testDefinition } from '../../../../support/chaincode-definition';

/** A ledger of `_lifecycle` state only, counting reads (a fake is enough for this one class). */
function fakeLedger(): { ledger: PeerLedger; state: Map<string, Uint8Array>; define: (d: DefinitionInput) => void; reads: () => number; commit: () => void } {
  const state = new Map<string, Uint8Array>();
  let height = 5;
  let reads = 0;
  const ledger = {
    height: () => height,
    getVersionedState: (ns: string, key: string) => {
      reads++;
      const value = ns === LIFECYCLE_NAMESPACE ? state.get(key) : undefined;
      return value === undefined ? undefined : { value, version: { blockNum: height - 1, txNum: 0 } };
    },
  } as unknown as PeerLedger;
  /** Writes `d` as `_lifecycle`'s commit does (Fabric's layout), without counting the reads. */
  const define = (d: DefinitionInput): void =>
    writeCommitted({ getState: (k) => state.get(k), putState: (k, v) => state.set(k, v), delState: (k) => state.delete(k) }, definitionOf(writeDefinition(new CommitChaincodeDefinitionArgs(), d)));
  return { ledger, state, define, reads: () => reads, commit: () => height++ };
}

const definition = (sequence: number) => testDefinition('cc', { sequence, version: `v${sequence}` });
/** The keys of one Fabric-layout definition: its metadata and four fields. */
const DEFINITION_READS = 5;

describe("LifecycleCache over Fabric's _lifecycle layout", () => {
  it('reads a definition once per ledger height and sees the next committed one', () => {
    const f = fakeLedger();
    const cache = new LifecycleCache();
    f.define(definition(1));
    expect(cache.definition(f.ledger, 'cc')?.sequence).toBe(1);
    expect(cache.definition(f.ledger, 'cc')?.version).toBe('v1');
    expect(f.reads()).toBe(DEFINITION_READS);
    f.define(definition(2));
    expect(cache.definition(f.ledger, 'cc')?.sequence).toBe(1); // same height: the state it read is still the committed one
    f.commit();
    expect(cache.definition(f.ledger, 'cc')?.sequence).toBe(2);
    expect(f.reads()).toBe(2 * DEFINITION_READS);
  });

  it('reads a definition an earlier Weft version stored under its legacy key', () => {
    const f = fakeLedger();
    f.state.set(definitionKey('cc'), encodeDefinition(definition(3)));
    expect(new LifecycleCache().definition(f.ledger, 'cc')?.version).toBe('v3');
  });

  it("answers a committed chaincode's explicit and implicit collections, `_lifecycle`'s implicit ones, and nothing for an undefined chaincode", () => {
    const f = fakeLedger();
    const cache = new LifecycleCache();
    f.define({ ...definition(1), collectionsBytes: collectionPackage({ name: 'secrets', blockToLive: 7 }).serializeBinary() });
    expect(cache.collection(f.ledger, 'cc', 'secrets')?.blockToLive).toBe(7);
    expect(cache.collection(f.ledger, 'cc', '_implicit_org_Org2MSP')?.memberMspIds).toEqual(['Org2MSP']);
    expect(cache.collection(f.ledger, 'cc', 'other')).toBeUndefined();
    expect(cache.collection(f.ledger, 'nocc', '_implicit_org_Org2MSP')).toBeUndefined();
    expect(cache.collection(f.ledger, LIFECYCLE_NAMESPACE, '_implicit_org_Org1MSP')).toMatchObject({ memberMspIds: ['Org1MSP'], blockToLive: 0 });
    expect(cache.collection(f.ledger, LIFECYCLE_NAMESPACE, 'secrets')).toBeUndefined();
    // `nocc`: its metadata key, then the legacy key.
    expect(f.reads()).toBe(DEFINITION_READS + 2);
  });

  it('remembers that something is absent, until the next block', () => {
    const f = fakeLedger();
    const cache = new LifecycleCache();
    expect(cache.approval(f.ledger, 'Org1MSP', 'cc', 1)).toBeUndefined();
    expect(cache.approval(f.ledger, 'Org1MSP', 'cc', 1)).toBeUndefined();
    expect(f.reads()).toBe(2);
    f.commit();
    expect(cache.approval(f.ledger, 'Org1MSP', 'cc', 1)).toBeUndefined();
    expect(cache.approval(f.ledger, 'Org2MSP', 'cc', 1)).toBeUndefined();
    expect(f.reads()).toBe(4);
  });

  it("reads only a chaincode's Sequence through a simulator, as Fabric's endorser does, and the definition from the ledger", () => {
    const f = fakeLedger();
    const cache = new LifecycleCache();
    f.define(definition(3));
    const reads: string[] = [];
    const reader = { getState: (ns: string, key: string) => (reads.push(`${ns}/${key}`), f.state.get(key)) };
    expect(cache.definitionThrough(reader, 'cc', f.ledger)?.version).toBe('v3');
    expect(reads).toEqual([`${LIFECYCLE_NAMESPACE}/namespaces/fields/cc/Sequence`]);
    expect(cache.definitionThrough(reader, 'other', f.ledger)).toBeUndefined();
  });
});
