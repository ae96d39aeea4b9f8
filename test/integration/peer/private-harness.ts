/**
 * Private data on the channel harness: a chaincode defined with collections, and transactions that
 * write private values, endorsed by both orgs, with their private rwsets for the transient store.
 */
import { decodeTxPvtRwSet, type CollectionPvtRwSet } from '../../../core/ledger/private-data';
import { definitionKey, encodeDefinition, LIFECYCLE_NAMESPACE } from '../../../core/peer/lifecycle/lifecycle-state';
import { collectionPackage, type CollectionSpec } from '../../support/lifecycle-collections';
import { endorsedTx, rwset, type Harness } from './channel-harness';
import { testDefinition } from '../../support/chaincode-definition';

/**
 * The `_lifecycle` write that defines `name` at `sequence` with `collections` (policy: the channel's
 * MAJORITY Endorsement) in the single key Weft versions before Fabric's layout wrote: what the tests
 * of reading such channels (and of raw writes no commit judged) need.
 */
export function definitionWithCollections(name: string, sequence: number, collections: readonly CollectionSpec[]): Uint8Array {
  const def = testDefinition(name, { sequence, collectionsBytes: collectionPackage(...collections).serializeBinary() });
  return rwset({ [LIFECYCLE_NAMESPACE]: { [definitionKey(name)]: encodeDefinition(def) } });
}

export interface PrivateTx {
  readonly envelope: Uint8Array;
  readonly txId: string;
  /** The `TxPvtReadWriteSet` the endorsers kept. */
  readonly pvt: Uint8Array;
  /** Its collections, one version each. */
  readonly collections: CollectionPvtRwSet[];
}

/** A transaction of `chaincode` writing `writes` (collection → key → value) as private data, endorsed by both peers. */
export function privateTx(h: Harness, chaincode: string, writes: Record<string, Record<string, string>>): PrivateTx {
  const sim = h.joined.channel.ledger.newTxSimulator('simulation');
  for (const [collection, kv] of Object.entries(writes)) {
    for (const [key, value] of Object.entries(kv)) sim.setPrivateData(chaincode, collection, key, Buffer.from(value));
  }
  const results = sim.getTxSimulationResults();
  const pvt = sim.getPrivateSimulationResults();
  sim.done();
  if (pvt === undefined) throw new Error('the transaction wrote no private data');
  const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode, results });
  return { ...tx, pvt, collections: decodeTxPvtRwSet(pvt) };
}
