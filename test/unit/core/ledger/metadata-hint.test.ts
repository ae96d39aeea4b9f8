import { describe, expect, it } from '@jest/globals';
import type { HistoryStore } from '../../../../core/ledger/history-store';
import { defaultLedgerOptions } from '../../../../core/ledger/ledger-options';
import { hashedKey, hashedNamespace } from '../../../../core/ledger/private-data';
import { committedMetadata, encodeStateMetadata } from '../../../../core/ledger/state-metadata';
import { TxSimulatorImpl } from '../../../../core/ledger/tx-simulator-impl';
import type { VersionedStateStore, VersionedValue } from '../../../../core/ledger/versioned-state-store';
import { buildChaincodeInterest } from '../../../../core/peer/endorser/chaincode-interest';

const POLICY = Buffer.from('key-level policy');
const WITH_POLICY = encodeStateMetadata({ VALIDATION_PARAMETER: POLICY });

/**
 * A state store of a few committed keys that counts its reads, with or without Fabric's
 * `metadataHint` (the namespaces that may hold metadata). A fake: the simulator is the unit here;
 * the SQLite store's own answers are tested with it.
 */
class CountingState implements Pick<VersionedStateStore, 'get' | 'namespaceHasMetadata'> {
  readonly reads: string[] = [];
  namespaceHasMetadata?: (namespace: string) => boolean;

  constructor(
    private readonly rows: ReadonlyMap<string, VersionedValue>,
    namespacesWithMetadata?: readonly string[],
  ) {
    if (namespacesWithMetadata !== undefined) this.namespaceHasMetadata = (namespace) => namespacesWithMetadata.includes(namespace);
  }

  get(namespace: string, key: string): VersionedValue | undefined {
    this.reads.push(`${namespace}/${key}`);
    return this.rows.get(`${namespace}/${key}`);
  }
}

const committed = (metadata?: Uint8Array): VersionedValue => ({ value: Buffer.from('v'), version: { blockNum: 1, txNum: 0 }, ...(metadata === undefined ? {} : { metadata }) });

/** A simulator over `state` whose transaction writes `plain/new`, `guarded/k` and a private key of `plain`'s `coll`. */
function footprintOver(state: CountingState): ReturnType<TxSimulatorImpl['getSimulationFootprint']> {
  // The simulator reads no history unless a chaincode asks for it.
  const sim = new TxSimulatorImpl('tx1', state as unknown as VersionedStateStore, {} as HistoryStore, defaultLedgerOptions);
  sim.setState('plain', 'new', Buffer.from('1'));
  sim.setState('guarded', 'k', Buffer.from('2'));
  sim.setPrivateData('plain', 'coll', 'secret', Buffer.from('3'));
  const footprint = sim.getSimulationFootprint();
  // Worked out from committed state before done(), as the endorser reads it.
  expect(footprint.writes).toHaveLength(3);
  sim.done();
  return footprint;
}

const rows = new Map([['guarded/k', committed(WITH_POLICY)]]);

describe("the written keys' committed metadata (Fabric's metadataHint)", () => {
  it('reads no key of a namespace the store says holds no metadata, and still finds a key-level policy where it may', () => {
    const state = new CountingState(rows, ['guarded']);
    const footprint = footprintOver(state);
    expect(state.reads).toEqual(['guarded/k']);
    expect(footprint.writes.map((w) => [w.namespace, w.collection, w.key, w.metadata])).toEqual([
      ['guarded', '', 'k', { VALIDATION_PARAMETER: POLICY }],
      ['plain', '', 'new', undefined],
      ['plain', 'coll', 'secret', undefined],
    ]);
    // The chaincode interest is what the reads would have given: `guarded` by its key's policy alone.
    expect(buildChaincodeInterest(footprint, () => false).chaincodes).toEqual([
      { name: 'guarded', collections: [], noPrivateReads: false, noPublicWrites: false, keyPolicies: [POLICY], disregardNamespacePolicy: true },
      { name: 'plain', collections: [], noPrivateReads: false, noPublicWrites: false, keyPolicies: [], disregardNamespacePolicy: false },
      { name: 'plain', collections: ['coll'], noPrivateReads: true, noPublicWrites: false, keyPolicies: [], disregardNamespacePolicy: false },
    ]);
  });

  it('asks about the hashed namespace for a private key', () => {
    const asked: string[] = [];
    const state = new CountingState(new Map([[`${hashedNamespace('plain', 'coll')}/${hashedKey('secret')}`, committed(WITH_POLICY)]]));
    state.namespaceHasMetadata = (namespace) => {
      asked.push(namespace);
      return namespace === hashedNamespace('plain', 'coll');
    };
    const footprint = footprintOver(state);
    expect(asked).toEqual(['guarded', 'plain', hashedNamespace('plain', 'coll')]);
    expect(state.reads).toEqual([`${hashedNamespace('plain', 'coll')}/${hashedKey('secret')}`]);
    expect(footprint.writes.find((w) => w.collection === 'coll')?.metadata).toEqual({ VALIDATION_PARAMETER: POLICY });
  });

  it('reads every written key of a store without the hint', () => {
    const state = new CountingState(rows);
    footprintOver(state);
    expect(state.reads).toEqual(['guarded/k', 'plain/new', `${hashedNamespace('plain', 'coll')}/${hashedKey('secret')}`]);
  });

  it('committedMetadata answers a namespace without metadata without a read, and reads one that may have some', () => {
    const state = new CountingState(rows, ['guarded']);
    expect(committedMetadata(state, 'plain', 'anything')).toBeUndefined();
    expect(state.reads).toEqual([]);
    expect(committedMetadata(state, 'guarded', 'k')).toEqual(WITH_POLICY);
    expect(committedMetadata(state, 'guarded', 'absent')).toBeUndefined();
    expect(state.reads).toEqual(['guarded/k', 'guarded/absent']);
  });
});
