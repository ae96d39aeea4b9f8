import type { PeerLedger } from '../channel/peer-ledger';
import type { QueryExecutor } from '../../ledger/tx-simulator';
import { type CollectionDefinition, collectionOf } from './collections';
import { type Approval, type ChaincodeDefinition, LIFECYCLE_NAMESPACE, approves, definitionIn, definitionKey, readApproval, readDefinition } from './lifecycle-state';

const MAX_DECODED = 256;
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
  /** Decoded definitions by their stored bytes, for reads that must go through a simulator. */
  private readonly decoded = new Map<string, ChaincodeDefinition>();

  /** The committed definition of `name`, as the ledger holds it now. */
  definition(ledger: PeerLedger, name: string): ChaincodeDefinition | undefined {
    const at = this.at(ledger);
    if (at.definitions.has(name)) return at.definitions.get(name);
    const d = readDefinition({ getState: (ns, key) => ledger.getVersionedState(ns, key)?.value }, name);
    remember(at, at.definitions, name, d);
    return d;
  }

  /**
   * The definition of `name` read through `reader` (a simulator records the read, so the
   * transaction depends on the definition), decoded once per distinct stored value.
   */
  definitionThrough(reader: Pick<QueryExecutor, 'getState'>, name: string): ChaincodeDefinition | undefined {
    const bytes = reader.getState(LIFECYCLE_NAMESPACE, definitionKey(name));
    if (bytes === undefined || bytes.length === 0) return undefined;
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    let d = this.decoded.get(key);
    if (d === undefined) {
      d = definitionIn(bytes);
      if (d === undefined) return undefined;
      if (this.decoded.size >= MAX_DECODED) this.decoded.clear();
      this.decoded.set(key, d);
    }
    return d;
  }

  /**
   * Collection `collection` of chaincode `name` as committed now (Fabric's `CollectionInfo`): an
   * explicit collection of the definition or an org's implicit one; undefined when the chaincode
   * is not defined or has no such collection.
   */
  collection(ledger: PeerLedger, name: string, collection: string): CollectionDefinition | undefined {
    const d = this.definition(ledger, name);
    return d === undefined ? undefined : collectionOf(d, collection);
  }

  /**
   * `mspId`'s committed approval of `name` at `sequence`, when it agrees with the definition
   * committed at that sequence (Fabric's cache `Approved`): an org whose approval differs from
   * what the channel committed has not approved it, and its peers must not run the chaincode.
   */
  approval(ledger: PeerLedger, mspId: string, name: string, sequence: number): Approval | undefined {
    const at = this.at(ledger);
    const key = `${mspId}\u0000${name}\u0000${sequence}`;
    if (at.approvals.has(key)) return at.approvals.get(key);
    let a = readApproval({ getState: (ns, k) => ledger.getVersionedState(ns, k)?.value }, mspId, name, sequence);
    if (a !== undefined) {
      const committed = this.definition(ledger, name);
      if (committed === undefined || committed.sequence !== sequence || !approves(a, committed)) a = undefined;
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
