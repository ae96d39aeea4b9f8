/** Conformance: the committed metadata of the keys a simulation writes (jest globals). */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { makeFixture, str, utf8, type Fixture } from './conformance-fixture';
import type { LedgerStoreProvider } from './ledger-store-provider';

/** Whether `rollback` ran; false for a store that cannot delete blocks. */
function rolledBack(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'LEDGER_ROLLBACK_UNSUPPORTED') return false;
    throw e;
  }
}

/**
 * The endorser builds the chaincode interest's key-level policies from `getSimulationFootprint().writes`,
 * and a store may answer those without reading keys (`VersionedStateStore.namespaceHasMetadata`, Fabric's
 * `metadataHint`). Whatever it does, each written key must come with exactly its committed metadata:
 * before and after metadata first appears in a namespace (public or hashed), once cleared, across a
 * reopen, a rebuild and a rollback.
 */
export function writeMetadataConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe("written keys' committed metadata", () => {
    let f: Fixture;
    let probes = 0;
    beforeEach(() => {
      f = makeFixture(makeProvider);
    });
    afterEach(() => f.close());

    /** The `VALIDATION_PARAMETER` each key would carry into a transaction that writes `keys` (public) and `pvtKeys` (of `cc`'s `coll`). */
    function policiesOf(keys: readonly [string, string][], pvtKeys: readonly string[] = []): (string | undefined)[] {
      const sim = f.ledger.newTxSimulator(`probe-${++probes}`);
      for (const [ns, key] of keys) sim.setState(ns, key, utf8('w'));
      for (const key of pvtKeys) sim.setPrivateData('cc', 'coll', key, utf8('w'));
      const writes = sim.getSimulationFootprint().writes;
      sim.done();
      return writes.map((w) => str(w.metadata?.VALIDATION_PARAMETER));
    }

    it('finds metadata that appears in a namespace after a simulation found none there', () => {
      f.commit([f.tx('seed', (s) => (s.setState('cc', 'a', utf8('1')), s.setState('cc', 'b', utf8('2'))))]);
      expect(policiesOf([['cc', 'a'], ['cc', 'b'], ['cc', 'new'], ['other', 'x']])).toEqual([undefined, undefined, undefined, undefined]);
      f.commit([f.tx('sbe', (s) => s.setStateMetadata('cc', 'a', { VALIDATION_PARAMETER: utf8('p-a') }))]);
      expect(policiesOf([['cc', 'a'], ['cc', 'b'], ['cc', 'new'], ['other', 'x']])).toEqual(['p-a', undefined, undefined, undefined]);
      // Set in the same transaction as the key's first value.
      f.commit([f.tx('both', (s) => (s.setState('other', 'x', utf8('1')), s.setStateMetadata('other', 'x', { VALIDATION_PARAMETER: utf8('p-x') })))]);
      expect(policiesOf([['other', 'x'], ['other', 'y']])).toEqual(['p-x', undefined]);
    });

    it('follows a value rewritten, metadata cleared and a key deleted', () => {
      f.commit([f.tx('sbe', (s) => (s.setState('cc', 'a', utf8('1')), s.setStateMetadata('cc', 'a', { VALIDATION_PARAMETER: utf8('p-a') })))]);
      f.commit([f.tx('rewrite', (s) => s.setState('cc', 'a', utf8('2')))]);
      expect(policiesOf([['cc', 'a']])).toEqual(['p-a']);
      f.commit([f.tx('clear', (s) => s.setStateMetadata('cc', 'a', {}))]);
      expect(policiesOf([['cc', 'a']])).toEqual([undefined]);
      f.commit([f.tx('again', (s) => s.setStateMetadata('cc', 'a', { VALIDATION_PARAMETER: utf8('p-a2') }))]);
      expect(policiesOf([['cc', 'a']])).toEqual(['p-a2']);
      f.commit([f.tx('delete', (s) => s.deleteState('cc', 'a'))]);
      f.commit([f.tx('recreate', (s) => s.setState('cc', 'a', utf8('3')))]);
      expect(policiesOf([['cc', 'a']])).toEqual([undefined]);
    });

    it("finds a private key's metadata, kept with its hash", () => {
      f.commit([f.tx('pvt', (s) => s.setPrivateData('cc', 'coll', 'k', utf8('secret')))]);
      expect(policiesOf([], ['k', 'other'])).toEqual([undefined, undefined]);
      f.commit([f.tx('pvt-sbe', (s) => s.setPrivateDataMetadata('cc', 'coll', 'k', { VALIDATION_PARAMETER: utf8('p-k') }))]);
      expect(policiesOf([['cc', 'k']], ['k', 'other'])).toEqual([undefined, 'p-k', undefined]);
    });

    it('finds it after a reopen, a rebuild and a rollback', () => {
      f.commit([f.tx('seed', (s) => s.setState('cc', 'a', utf8('1')))]);
      f.commit([f.tx('sbe', (s) => s.setStateMetadata('cc', 'a', { VALIDATION_PARAMETER: utf8('p-a') }))]);
      f.commit([f.tx('later', (s) => s.setState('cc', 'b', utf8('2')))]);
      f.reopen();
      expect(policiesOf([['cc', 'a'], ['cc', 'b']])).toEqual(['p-a', undefined]);
      f.ledger.rebuild();
      expect(policiesOf([['cc', 'a'], ['cc', 'b']])).toEqual(['p-a', undefined]);
      if (!rolledBack(() => f.ledger.rollback(0))) return;
      // Block 0 wrote the value only: the metadata is gone with block 1.
      expect(policiesOf([['cc', 'a'], ['cc', 'b']])).toEqual([undefined, undefined]);
      f.reopen();
      expect(policiesOf([['cc', 'a'], ['cc', 'b']])).toEqual([undefined, undefined]);
    });
  });
}
