import { toHex } from '../protocol/bytes';
import { nextKey } from './ledger-keys';
import {
  EXPIRY_NAMESPACE,
  expiryEntryValue,
  expiryKey,
  hashedNamespace,
  INELIGIBLE_NAMESPACE,
  ineligibleKey,
  KEEP_FOREVER,
  MISSING_NAMESPACE,
  missingExpiryKeyHash,
  missingKey,
  type MissingRecord,
  type PrivateDataPolicy,
} from './private-data';
import { SNAPSHOT_EXPIRY_NAMESPACE } from './snapshot-format';
import type { StateUpdate, VersionedStateStore } from './versioned-state-store';

const PAGE = 1000;
const HASHED = '$$h';

/** The hashed keys a snapshot held at one transaction's version, by hex key hash: hex value hash. */
type TxKvHashes = Map<string, string>;

/**
 * For a ledger created from a snapshot: what its private key hashes from the snapshot need once the
 * channel's collections are known, to apply in one step with the import's markers deleted;
 * undefined when nothing is pending.
 * - Their expiry entries (what the commits that wrote them scheduled on the exporting peer: block
 *   written + blockToLive + 1). Without them those hashes would outlive their collection's
 *   blockToLive here while every other peer drops them, and later reads would validate differently.
 * - A missing record for each transaction version they hold, with the key and value hashes it must
 *   match (Fabric's snapshot import of `BootKVHashes`): a snapshot carries no private values, so
 *   the reconciler asks the peers that hold the blocks for them. Records this peer's org may not
 *   hold (by the membership at their block and since: `eligibleAt`, Fabric's rule) are kept apart,
 *   as a commit keeps them, and taken up if it becomes a member.
 *   Data already expired at the snapshot's height is not recorded.
 * A ledger opened without a collection policy ({@link KEEP_FOREVER}) cannot know blockToLive nor
 * membership, and leaves the markers for the peer's open.
 */
export function snapshotPvtUpdates(state: VersionedStateStore, policy: PrivateDataPolicy, snapshotLastBlock: number): StateUpdate[] | undefined {
  if (policy === KEEP_FOREVER) return undefined;
  const markers = [];
  for (let from = ''; ; ) {
    const page = state.getRange(SNAPSHOT_EXPIRY_NAMESPACE, from, '', { limit: PAGE });
    markers.push(...page);
    if (page.length < PAGE) break;
    from = nextKey(page[page.length - 1].key);
  }
  if (markers.length === 0) return undefined;
  // The import applies everything at the snapshot's last block: its savepoint is that block.
  const height = state.savepoint();
  const updates: StateUpdate[] = [];
  for (const marker of markers) {
    const at = marker.key.indexOf(HASHED);
    if (at > 0) collectionUpdates(state, policy, { namespace: marker.key.slice(0, at), collection: marker.key.slice(at + HASHED.length) }, { height, snapshotLastBlock }, updates);
    updates.push({ namespace: SNAPSHOT_EXPIRY_NAMESPACE, key: marker.key, value: undefined, version: marker.version });
  }
  return updates;
}

/**
 * One hashed collection's expiry entries and missing records. Only for versions from the snapshot: a
 * ledger committed to before its first open with a policy (which the peer does not do) holds later
 * ones too, whose commits scheduled and recorded what they needed.
 */
function collectionUpdates(
  state: VersionedStateStore,
  policy: PrivateDataPolicy,
  { namespace, collection }: { namespace: string; collection: string },
  { height, snapshotLastBlock }: { height: number; snapshotLastBlock: number },
  updates: StateUpdate[],
): void {
  const btl = policy.blockToLive(namespace, collection);
  const byTx = new Map<string, { blockNum: number; txNum: number; kv: TxKvHashes }>();
  for (let from = ''; ; ) {
    const page = state.getRange(hashedNamespace(namespace, collection), from, '', { limit: PAGE });
    for (const kv of page) {
      const { blockNum, txNum } = kv.version;
      if (blockNum > snapshotLastBlock) continue;
      if (btl > 0) {
        updates.push({
          namespace: EXPIRY_NAMESPACE,
          key: expiryKey(blockNum + btl + 1, namespace, collection, kv.key),
          value: expiryEntryValue({ b: blockNum, t: txNum }),
          version: kv.version,
        });
      }
      const id = `${blockNum}/${txNum}`;
      let tx = byTx.get(id);
      if (tx === undefined) byTx.set(id, (tx = { blockNum, txNum, kv: new Map() }));
      tx.kv.set(kv.key, toHex(kv.value));
    }
    if (page.length < PAGE) break;
    from = nextKey(page[page.length - 1].key);
  }
  const current = policy.eligible?.(namespace, collection) !== false;
  for (const { blockNum, txNum, kv } of byTx.values()) {
    const eligible = policy.eligibleAt === undefined ? current : policy.eligibleAt(namespace, collection, blockNum);
    const expiringBlock = btl > 0 ? blockNum + btl + 1 : 0;
    if (expiringBlock > 0 && expiringBlock < height) continue;
    const version = { blockNum, txNum };
    const record: MissingRecord = { h: '', e: expiringBlock, kv: Object.fromEntries(kv) };
    updates.push({
      namespace: eligible ? MISSING_NAMESPACE : INELIGIBLE_NAMESPACE,
      key: eligible ? missingKey(blockNum, txNum, namespace, collection) : ineligibleKey(blockNum, txNum, namespace, collection),
      value: Buffer.from(JSON.stringify(record)),
      version,
    });
    if (expiringBlock === 0) continue;
    updates.push({
      namespace: EXPIRY_NAMESPACE,
      key: expiryKey(expiringBlock, namespace, collection, missingExpiryKeyHash(blockNum, txNum)),
      value: expiryEntryValue({ b: blockNum, t: txNum, m: true }),
      version,
    });
  }
}
