import { type CollectionPvtRwSet, decodeTxPvtRwSet, encodeTxPvtRwSet, type MissingPvtData, sha256 } from '../../ledger/private-data';
import { bytesEqual } from '../../protocol/bytes';
import { type CollectionDefinition, collectionOf, lifecycleCollection } from '../lifecycle/collections';
import { type ChaincodeDefinition, LIFECYCLE_NAMESPACE } from '../lifecycle/lifecycle-state';
import type { PvtWrite } from '../validation/block-validator';
import type { WantedPvt } from './pvt-puller';
import type { TransientStore } from './transient-store';

/** What the committer knows when it gathers a block's private data. */
export interface PvtDataSource {
  readonly transient: TransientStore;
  /** This peer's org: only collections it is a member of are stored here. */
  readonly localMspId: string;
  definition(chaincode: string): ChaincodeDefinition | undefined;
}

/** Whether this peer's org is a member of the collection (an undefined collection: no). */
export function isMember(source: Pick<PvtDataSource, 'localMspId' | 'definition'>, namespace: string, collection: string): boolean {
  return memberCollection(source, namespace, collection) !== undefined;
}

/**
 * The collection, when this peer's org is one of its members. `_lifecycle` has no definition but
 * every org's implicit collection: an org's peers keep the approvals it endorsed.
 */
function memberCollection(source: Pick<PvtDataSource, 'localMspId' | 'definition'>, namespace: string, collection: string): CollectionDefinition | undefined {
  const definition = namespace === LIFECYCLE_NAMESPACE ? undefined : source.definition(namespace);
  const c = namespace === LIFECYCLE_NAMESPACE ? lifecycleCollection(collection) : definition === undefined ? undefined : collectionOf(definition, collection);
  return c !== undefined && c.memberMspIds.includes(source.localMspId) ? c : undefined;
}

/**
 * Fabric's coordinator step before a commit: the private data of the block's valid transactions
 * that this peer endorsed or was pushed (from its transient store), restricted to the collections
 * its org is a member of, by transaction number; every version held, the preferred first (the
 * ledger takes a collection's first). {@link wantedPvtData} keeps the version the block carries.
 */
export function pvtDataForBlock(source: PvtDataSource, txIds: readonly string[], validFlags: readonly boolean[]): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (source.transient.size === 0) return out;
  txIds.forEach((txId, txNum) => {
    if (!validFlags[txNum] || txId === '') return;
    const bytes = source.transient.get(txId);
    if (bytes === undefined) return;
    let colls: CollectionPvtRwSet[];
    try {
      colls = decodeTxPvtRwSet(bytes);
    } catch {
      return;
    }
    const mine = colls.filter((c) => isMember(source, c.namespace, c.collection));
    if (mine.length === colls.length) out.set(txNum, bytes);
    else if (mine.length > 0) out.set(txNum, encodeTxPvtRwSet(mine));
  });
  return out;
}

/** The missing collections this peer should have held (its org is a member). */
export function missingForMember(source: Pick<PvtDataSource, 'localMspId' | 'definition'>, missing: readonly MissingPvtData[] | undefined): MissingPvtData[] {
  return (missing ?? []).filter((m) => isMember(source, m.namespace, m.collection));
}

/**
 * The collections the block's valid transactions wrote that this peer's org should store but for
 * which `have` (what {@link pvtDataForBlock} found) holds no version hashing to the block's hash:
 * what a commit asks other peers for. `have` is narrowed in place to one version per collection,
 * the one the block carries (Fabric's `populateFromTransientStore` takes only a matching one), so
 * a version another peer pushed with other values neither commits nor stops the pull.
 */
export function wantedPvtData(
  source: Pick<PvtDataSource, 'localMspId' | 'definition'>,
  pvtWrites: readonly (readonly PvtWrite[] | undefined)[],
  validFlags: readonly boolean[],
  have: Map<number, Uint8Array>,
): WantedPvt[] {
  const out: WantedPvt[] = [];
  pvtWrites.forEach((written, txNum) => {
    if (written === undefined || !validFlags[txNum]) return;
    const held = heldCollections(have.get(txNum));
    const chosen: CollectionPvtRwSet[] = [];
    for (const { namespace, collection, pvtRwsetHash } of written) {
      const c = memberCollection(source, namespace, collection);
      if (c === undefined) continue;
      const match = held.find((h) => h.namespace === namespace && h.collection === collection && bytesEqual(sha256(h.rwset), pvtRwsetHash));
      if (match !== undefined) chosen.push(match);
      else out.push({ txNum, namespace, collection, pvtRwsetHash, memberMspIds: c.memberMspIds });
    }
    if (chosen.length === held.length && chosen.every((c, i) => c === held[i])) return;
    if (chosen.length > 0) have.set(txNum, encodeTxPvtRwSet(chosen));
    else have.delete(txNum);
  });
  return out;
}

function heldCollections(bytes: Uint8Array | undefined): CollectionPvtRwSet[] {
  if (bytes === undefined) return [];
  try {
    return decodeTxPvtRwSet(bytes);
  } catch {
    return [];
  }
}
