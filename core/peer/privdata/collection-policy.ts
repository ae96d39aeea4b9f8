import { ProtocolError } from '../../errors';
import type { PrivateDataPolicy } from '../../ledger/private-data';
import { type ConfigHistoryEntry, readImportedConfigHistory } from '../../ledger/snapshot-config-history';
import type { VersionedStateStore } from '../../ledger/versioned-state-store';
import { decodeCollectionPackage } from '../lifecycle/collection-wire';
import { type CollectionDefinition, collectionOf, describeCollections, lifecycleCollection } from '../lifecycle/collections';
import { NAMESPACES, committedReader } from '../lifecycle/lifecycle-layout';
import { type ChaincodeDefinition, LIFECYCLE_NAMESPACE, definitionKey, readDefinition } from '../lifecycle/lifecycle-state';
import { fieldKey, metadataKey } from '../lifecycle/lifecycle-serializer';

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
  private imported: readonly ConfigHistoryEntry[] | undefined;
  /** {@link membershipHistory} by namespace and collection: the import asks once per transaction, the history never changes. */
  private readonly memberships = new Map<string, readonly { blockNum: number; member: boolean }[]>();

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

  /**
   * Fabric's rule for a snapshot's private hashes (`snapshot_data_importer.go` `isEligibile`), by
   * the collection config history imported with the snapshot, newest first: a member by any
   * definition committed at or after the data's block, else by the one in force at it. Where that
   * history does not know the collection at the block (an implicit collection, a ledger from before
   * the history was imported; Fabric fails the import there), the current definition answers.
   */
  eligibleAt(namespace: string, collection: string, blockNum: number): boolean {
    const history = namespace === LIFECYCLE_NAMESPACE ? [] : this.membershipHistory(namespace, collection);
    const oldest = history[history.length - 1];
    if (oldest === undefined || blockNum <= oldest.blockNum) return this.eligible(namespace, collection);
    for (const h of history) {
      if (h.blockNum < blockNum) return h.member;
      if (h.member) return true;
    }
    return this.eligible(namespace, collection);
  }

  /** Whether this org was a member of the collection by each imported history entry that defines it, newest first. */
  private membershipHistory(namespace: string, collection: string): readonly { blockNum: number; member: boolean }[] {
    const id = `${namespace}\u0000${collection}`;
    const known = this.memberships.get(id);
    if (known !== undefined) return known;
    this.imported ??= readImportedConfigHistory((ns, key) => this.state.get(ns, key));
    const out: { blockNum: number; member: boolean }[] = [];
    for (const entry of this.imported) {
      if (entry.chaincode !== namespace) continue;
      let c;
      try {
        c = describeCollections(decodeCollectionPackage(entry.collections, `confighistory ${namespace}@${entry.blockNum}`)).find((d) => d.name === collection);
      } catch (err) {
        // An entry that does not decode holds no config, as Fabric's unmarshal failure would give none.
        if (err instanceof ProtocolError) continue;
        throw err;
      }
      if (c !== undefined) out.push({ blockNum: entry.blockNum, member: c.memberMspIds.includes(this.localMspId) });
    }
    this.memberships.set(id, out);
    return out;
  }

  private collection(namespace: string, collection: string): CollectionDefinition | undefined {
    // `_lifecycle` has only the implicit org collections, each org's approvals (kept forever).
    if (namespace === LIFECYCLE_NAMESPACE) return lifecycleCollection(collection);
    // The definition's version: its Collections field's (Fabric's layout), else its legacy key's.
    const stored = this.state.get(LIFECYCLE_NAMESPACE, fieldKey(NAMESPACES, namespace, 'Collections')) ?? this.state.get(LIFECYCLE_NAMESPACE, metadataKey(NAMESPACES, namespace));
    const version = stored?.version ?? this.state.get(LIFECYCLE_NAMESPACE, definitionKey(namespace))?.version;
    if (version === undefined) return undefined;
    let cached = this.definitions.get(namespace);
    if (cached === undefined || cached.blockNum !== version.blockNum || cached.txNum !== version.txNum) {
      const definition = readDefinition(committedReader({ getVersionedState: (ns, key) => this.state.get(ns, key) }), namespace);
      if (definition === undefined) return undefined;
      cached = { ...version, definition };
      this.definitions.set(namespace, cached);
    }
    return collectionOf(cached.definition, collection);
  }
}
