import { EXPIRY_NAMESPACE, expiryEntryValue, expiryKey, hashedNamespace, KEEP_FOREVER, type PrivateDataPolicy } from './private-data';
import { nextKey } from './ledger-keys';
import { SNAPSHOT_EXPIRY_NAMESPACE } from './snapshot-format';
import type { StateUpdate, VersionedStateStore } from './versioned-state-store';

const PAGE = 1000;
const HASHED = '$$h';

/**
 * For a ledger created from a snapshot: the expiry entries of the private key hashes it took from the
 * snapshot (what the commits that wrote them scheduled on the exporting peer: block written +
 * blockToLive + 1), with the import's markers deleted, to apply in one step; undefined when nothing is
 * pending. Without them those hashes would outlive their collection's blockToLive here while every
 * other peer drops them, and later reads of them would validate differently. A ledger opened without
 * a collection policy ({@link KEEP_FOREVER}) cannot know blockToLive and leaves the markers for the
 * peer's open.
 */
export function snapshotExpiryUpdates(state: VersionedStateStore, policy: PrivateDataPolicy): StateUpdate[] | undefined {
  if (policy === KEEP_FOREVER) return undefined;
  const markers = [];
  for (let from = ''; ; ) {
    const page = state.getRange(SNAPSHOT_EXPIRY_NAMESPACE, from, '', { limit: PAGE });
    markers.push(...page);
    if (page.length < PAGE) break;
    from = nextKey(page[page.length - 1].key);
  }
  if (markers.length === 0) return undefined;
  const updates: StateUpdate[] = [];
  for (const marker of markers) {
    const at = marker.key.indexOf(HASHED);
    const namespace = marker.key.slice(0, at);
    const collection = marker.key.slice(at + HASHED.length);
    const btl = at <= 0 ? 0 : policy.blockToLive(namespace, collection);
    for (let from = ''; btl > 0; ) {
      const page = state.getRange(hashedNamespace(namespace, collection), from, '', { limit: PAGE });
      for (const kv of page) {
        updates.push({
          namespace: EXPIRY_NAMESPACE,
          key: expiryKey(kv.version.blockNum + btl + 1, namespace, collection, kv.key),
          value: expiryEntryValue({ b: kv.version.blockNum, t: kv.version.txNum }),
          version: kv.version,
        });
      }
      if (page.length < PAGE) break;
      from = nextKey(page[page.length - 1].key);
    }
    updates.push({ namespace: SNAPSHOT_EXPIRY_NAMESPACE, key: marker.key, value: undefined, version: marker.version });
  }
  return updates;
}
