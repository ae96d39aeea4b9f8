import type { PeerLedger } from '../../../../../core/peer/channel/peer-ledger';
import { LifecycleCache } from '../../../../../core/peer/lifecycle/lifecycle-cache';
import { LIFECYCLE_NAMESPACE, definitionKey, encodeDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { testDefinition } from '../../../../support/chaincode-definition';

/** A ledger of `_lifecycle` state at one height, counting reads per key (a fake is enough for this one class). */
function fakeLedger(): { ledger: PeerLedger; state: Map<string, Uint8Array>; reads: (key: string) => number } {
  const state = new Map<string, Uint8Array>();
  const reads = new Map<string, number>();
  const ledger = {
    height: () => 9,
    getVersionedState: (ns: string, key: string) => {
      reads.set(key, (reads.get(key) ?? 0) + 1);
      const value = ns === LIFECYCLE_NAMESPACE ? state.get(key) : undefined;
      return value === undefined ? undefined : { value, version: { blockNum: 8, txNum: 0 } };
    },
  } as unknown as PeerLedger;
  return { ledger, state, reads: (key) => reads.get(key) ?? 0 };
}

/**
 * The names looked up are chosen by clients and other peers (a proposal's chaincode, a discovery
 * query, gossiped private data): a height with no new block must not remember every one of them.
 */
describe('LifecycleCache bounds', () => {
  it('remembers a bounded number of absent names per height, and no long ones', () => {
    const f = fakeLedger();
    const cache = new LifecycleCache();
    for (let i = 0; i < 5000; i++) expect(cache.definition(f.ledger, `missing${i}`)).toBeUndefined();
    expect(cache.definition(f.ledger, 'missing0')).toBeUndefined();
    expect(f.reads(definitionKey('missing0'))).toBe(1); // within the bound: remembered
    expect(cache.definition(f.ledger, 'missing4999')).toBeUndefined();
    expect(f.reads(definitionKey('missing4999'))).toBe(2); // past it: read again, not kept

    const long = 'n'.repeat(10_000);
    const fresh = new LifecycleCache();
    fresh.definition(f.ledger, long);
    fresh.definition(f.ledger, long);
    expect(f.reads(definitionKey(long))).toBe(2);
  });

  it('keeps every defined chaincode, however many absent names were asked first', () => {
    const f = fakeLedger();
    const cache = new LifecycleCache();
    f.state.set(
      definitionKey('cc'),
      encodeDefinition(testDefinition('cc', { version: '1' })),
    );
    for (let i = 0; i < 5000; i++) cache.definition(f.ledger, `missing${i}`);
    expect(cache.definition(f.ledger, 'cc')?.sequence).toBe(1);
    expect(cache.definition(f.ledger, 'cc')?.sequence).toBe(1);
    expect(f.reads(definitionKey('cc'))).toBe(1);
  });
});
