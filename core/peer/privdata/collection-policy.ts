import type { PrivateDataPolicy } from '../../ledger/private-data';
import type { VersionedStateStore } from '../../ledger/versioned-state-store';
import { type CollectionDefinition, collectionOf } from '../lifecycle/collections';
import { type ChaincodeDefinition, definitionIn, definitionKey, LIFECYCLE_NAMESPACE } from '../lifecycle/lifecycle-state';

/**
 * A channel's collections as the ledger's commit needs them, from the chaincode definitions in
 * committed state: each collection's `blockToLive`, and whether this peer's org is a member (what
 * it lacks of a member collection is recorded missing, for reconciliation). Fabric forbids changing
 * `blockToLive` once a collection is defined, so a value found once holds for good, also while
 * recovery replays older blocks; a collection not (yet) defined is read again next time. Membership
 * can change with a definition, so each question reads the definition's key again, decoding it
 * only when its version changed.
 */
export class LifecycleCollectionPolicy implements PrivateDataPolicy {
  private readonly known = new Map<string, number>();
  private readonly definitions = new Map<string, { blockNum: number; txNum: number; definition: ChaincodeDefinition }>();

  constructor(
    private readonly state: Pick<VersionedStateStore, 'get'>,
    /** This peer's org. */
    private readonly localMspId: string,
  ) {}

  blockToLive(namespace: string, collection: string): number {
    const id = `${namespace}\u0000${collection}`;
    const cached = this.known.get(id);
    if (cached !== undefined) return cached;
    const c = this.collection(namespace, collection);
    if (c === undefined) return 0;
    this.known.set(id, c.blockToLive);
    return c.blockToLive;
  }

  eligible(namespace: string, collection: string): boolean {
    return this.collection(namespace, collection)?.memberMspIds.includes(this.localMspId) ?? false;
  }

  private collection(namespace: string, collection: string): CollectionDefinition | undefined {
    const stored = this.state.get(LIFECYCLE_NAMESPACE, definitionKey(namespace));
    if (stored === undefined || stored.value.length === 0) return undefined;
    let cached = this.definitions.get(namespace);
    if (cached === undefined || cached.blockNum !== stored.version.blockNum || cached.txNum !== stored.version.txNum) {
      const definition = definitionIn(stored.value);
      if (definition === undefined) return undefined;
      cached = { ...stored.version, definition };
      this.definitions.set(namespace, cached);
    }
    return collectionOf(cached.definition, collection);
  }
}
