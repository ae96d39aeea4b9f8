import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';

/** The keys one namespace of a transaction writes (values, deletes or metadata). */
export interface NamespaceWrites {
  readonly namespace: string;
  readonly keys: readonly string[];
  readonly metadataKeys: readonly string[];
  /** Private data collections touched (hashed rwsets): not supported by Weft yet. */
  readonly collections: number;
}

/**
 * The written keys of a `TxReadWriteSet`, per namespace (namespaces with only reads are left out:
 * they need no endorsement policy). Throws on bytes that are not a read/write set.
 */
export function rwsetWrites(results: Uint8Array): NamespaceWrites[] {
  const txrw = TxReadWriteSet.deserializeBinary(results);
  const out: NamespaceWrites[] = [];
  for (const ns of txrw.getNsRwsetList()) {
    const kv = KVRWSet.deserializeBinary(ns.getRwset_asU8());
    const keys = kv.getWritesList().map((w) => w.getKey());
    const metadataKeys = kv.getMetadataWritesList().map((m) => m.getKey());
    const collections = ns.getCollectionHashedRwsetList().length;
    if (keys.length > 0 || metadataKeys.length > 0 || collections > 0) {
      out.push({ namespace: ns.getNamespace(), keys, metadataKeys, collections });
    }
  }
  return out;
}
