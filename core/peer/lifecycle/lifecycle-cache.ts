import type { PeerLedger } from '../channel/peer-ledger';
import type { QueryExecutor } from '../../ledger/tx-simulator';
import { type CollectionDefinition, collectionOf, lifecycleCollection } from './collections';
import { committedOpaqueOrgState, committedOrgState, committedReader } from './lifecycle-layout';
import { type Approval, type ChaincodeDefinition, LIFECYCLE_NAMESPACE, approvedPackage, currentSequence, readDefinition } from './lifecycle-state';

/**
 * Absent entries remembered per ledger height, and the longest name remembered absent. Lookups
 * name what a client or another peer chose (a proposal's chaincode, a discovery query, gossiped
 * private data): without a bound, one height of such lookups would grow the cache without limit.
 * What is defined is bounded by the ledger and always kept.
 */
const MAX_ABSENT = 1024;
const MAX_ABSENT_KEY = 256;

interface AtHeight {
  readonly height: number;
  readonly definitions: Map<string, ChaincodeDefinition | undefined>;
  readonly approvals: Map<string, Approval | undefined>;
  /** Entries of both maps that hold undefined. */
  absent: number;
}

/**
 * Committed `_lifecycle` entries (chaincode definitions, approvals), decoded once per ledger height
 * instead of read and decoded for every proposal and every transaction validated: they change only
 * when a block commits, and a cache keyed by the height can never answer from an older state.
 */
export class LifecycleCache {
  private readonly ledgers = new WeakMap<PeerLedger, AtHeight>();

  /** The committed definition of `name`, as the ledger holds it now. */
  definition(ledger: PeerLedger, name: string): ChaincodeDefinition | undefined {
    const at = this.at(ledger);
    if (at.definitions.has(name)) return at.definitions.get(name);
    const d = readDefinition(committedReader(ledger), name);
    remember(at, at.definitions, name, d);
    return d;
  }

  /**
   * The definition of `name` as a transaction that runs it depends on it. As Fabric's endorser
   * (`CachedChaincodeInfo`), only the chaincode's `Sequence` key is read through `reader` (a
   * simulator records that read), and the definition at that sequence comes from `ledger`'s
   * committed state. Without `ledger` (or when the committed state has moved on) every key of the
   * definition is read through `reader`, a larger read set than Fabric's.
   */
  definitionThrough(reader: Pick<QueryExecutor, 'getState'>, name: string, ledger?: PeerLedger): ChaincodeDefinition | undefined {
    if (ledger === undefined) return readDefinition(reader, name);
    const sequence = currentSequence(reader, name, committedReader(ledger));
    if (sequence === 0) return undefined;
    const committed = this.definition(ledger, name);
    return committed?.sequence === sequence ? committed : readDefinition(reader, name, committedReader(ledger));
  }

  /**
   * Collection `collection` of chaincode `name` as committed now (Fabric's `CollectionInfo`): an
   * explicit collection of the definition or an org's implicit one; undefined when the chaincode
   * is not defined or has no such collection.
   */
  collection(ledger: PeerLedger, name: string, collection: string): CollectionDefinition | undefined {
    // `_lifecycle` is no chaincode with a definition, but has every org's implicit collection.
    if (name === LIFECYCLE_NAMESPACE) return lifecycleCollection(collection);
    const d = this.definition(ledger, name);
    return d === undefined ? undefined : collectionOf(d, collection);
  }

  /**
   * `mspId`'s approval of the definition of `name` committed at `sequence`, judged from the hashes
   * of its implicit collection (Fabric's cache `Approved`): an org whose approval differs from what
   * the channel committed has not approved it, and its peers must not run the chaincode. The
   * package is the org's private value (when this peer holds it) or the one of `installed` whose
   * hash the approval stores; undefined when the approval names none known here.
   */
  approval(ledger: PeerLedger, mspId: string, name: string, sequence: number, installed: readonly string[] = []): Approval | undefined {
    const at = this.at(ledger);
    const key = `${mspId}\u0000${name}\u0000${sequence}\u0000${installed.join('\u0000')}`;
    if (at.approvals.has(key)) return at.approvals.get(key);
    const committed = this.definition(ledger, name);
    let a: Approval | undefined;
    if (committed !== undefined && committed.sequence === sequence) {
      const found = approvedPackage(committedOpaqueOrgState(ledger, mspId), committedOrgState(ledger, mspId), committed, installed);
      if (found.approved) a = { definition: committed, packageId: found.packageId };
    }
    remember(at, at.approvals, key, a);
    return a;
  }

  private at(ledger: PeerLedger): AtHeight {
    const height = ledger.height();
    let at = this.ledgers.get(ledger);
    if (at === undefined || at.height !== height) {
      at = { height, definitions: new Map(), approvals: new Map(), absent: 0 };
      this.ledgers.set(ledger, at);
    }
    return at;
  }
}

/** Caches `value` under `key` at this height; an absent value only within the bounds. */
function remember<V>(at: AtHeight, map: Map<string, V | undefined>, key: string, value: V | undefined): void {
  if (value === undefined) {
    if (at.absent >= MAX_ABSENT || key.length > MAX_ABSENT_KEY) return;
    at.absent++;
  }
  map.set(key, value);
}
