import type { PeerLedger } from '../../../../../core/peer/channel/peer-ledger';
import { LifecycleCache } from '../../../../../core/peer/lifecycle/lifecycle-cache';
import { LIFECYCLE_NAMESPACE, approvalKey, definitionKey, encodeDefinition, defaultValidationParameter } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { collectionPackage } from '../../../../support/lifecycle-collections';

/** A ledger of `_lifecycle` state only, counting reads (a fake is enough for this one class). */
function fakeLedger(): { ledger: PeerLedger; state: Map<string, Uint8Array>; reads: () => number; commit: () => void } {
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
  return { ledger, state, reads: () => reads, commit: () => height++ };
}

const definition = (sequence: number) => ({
  name: 'cc',
  sequence,
  version: `v${sequence}`,
  endorsementPlugin: 'escc',
  validationPlugin: 'vscc',
  validationParameter: defaultValidationParameter(),
  initRequired: false,
});

describe('LifecycleCache', () => {
  it('reads a definition once per ledger height and sees the next committed one', () => {
    const f = fakeLedger();
    const cache = new LifecycleCache();
    f.state.set(definitionKey('cc'), encodeDefinition(definition(1)));
    expect(cache.definition(f.ledger, 'cc')?.sequence).toBe(1);
    expect(cache.definition(f.ledger, 'cc')?.version).toBe('v1');
    expect(f.reads()).toBe(1);
    f.state.set(definitionKey('cc'), encodeDefinition(definition(2)));
    expect(cache.definition(f.ledger, 'cc')?.sequence).toBe(1); // same height: the state it read is still the committed one
    f.commit();
    expect(cache.definition(f.ledger, 'cc')?.sequence).toBe(2);
    expect(f.reads()).toBe(2);
  });

  it("answers a committed chaincode's explicit and implicit collections, and nothing for an undefined chaincode", () => {
    const f = fakeLedger();
    const cache = new LifecycleCache();
    f.state.set(definitionKey('cc'), encodeDefinition({ ...definition(1), collectionsBytes: collectionPackage({ name: 'secrets', blockToLive: 7 }).serializeBinary() }));
    expect(cache.collection(f.ledger, 'cc', 'secrets')?.blockToLive).toBe(7);
    expect(cache.collection(f.ledger, 'cc', '_implicit_org_Org2MSP')?.memberMspIds).toEqual(['Org2MSP']);
    expect(cache.collection(f.ledger, 'cc', 'other')).toBeUndefined();
    expect(cache.collection(f.ledger, 'nocc', '_implicit_org_Org2MSP')).toBeUndefined();
    expect(f.reads()).toBe(2);
  });

  it('remembers that something is absent, until the next block', () => {
    const f = fakeLedger();
    const cache = new LifecycleCache();
    expect(cache.approval(f.ledger, 'Org1MSP', 'cc', 1)).toBeUndefined();
    expect(cache.approval(f.ledger, 'Org1MSP', 'cc', 1)).toBeUndefined();
    expect(f.reads()).toBe(1);
    f.state.set(approvalKey('Org1MSP', 'cc', 1), new Uint8Array(0));
    f.commit();
    expect(cache.approval(f.ledger, 'Org1MSP', 'cc', 1)).toBeUndefined(); // an empty value is a deleted key
    expect(cache.approval(f.ledger, 'Org2MSP', 'cc', 1)).toBeUndefined();
    expect(f.reads()).toBe(3);
  });

  it('reads a definition through a simulator every time, decoding each stored value once', () => {
    const cache = new LifecycleCache();
    const stored = new Map([[definitionKey('cc'), encodeDefinition(definition(3))]]);
    const reads: string[] = [];
    const reader = { getState: (ns: string, key: string) => (reads.push(`${ns}/${key}`), stored.get(key)) };
    const first = cache.definitionThrough(reader, 'cc');
    expect(cache.definitionThrough(reader, 'cc')).toBe(first);
    expect(first?.version).toBe('v3');
    expect(reads).toEqual([`${LIFECYCLE_NAMESPACE}/${definitionKey('cc')}`, `${LIFECYCLE_NAMESPACE}/${definitionKey('cc')}`]);
    stored.set(definitionKey('cc'), encodeDefinition(definition(4)));
    expect(cache.definitionThrough(reader, 'cc')?.sequence).toBe(4);
    expect(cache.definitionThrough(reader, 'other')).toBeUndefined();
  });
});
