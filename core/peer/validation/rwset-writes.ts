import { ProtocolError } from '../../errors';
import { ProtocolErrorCode } from '../../protocol/bounded-decode';
import { toHex } from '../../protocol/bytes';
import { decodeTxRwSet } from '../../ledger/block-txs';

/** The keys one namespace of a transaction writes (values, deletes or metadata). */
export interface NamespaceWrites {
  readonly namespace: string;
  readonly keys: readonly string[];
  readonly metadataKeys: readonly string[];
  /** Private data collections the transaction wrote (values, deletes, purges or metadata), with the hashes of the keys. */
  readonly collections: readonly CollectionWrites[];
}

/** The private keys one collection's hashed rwset writes, by the hex SHA-256 of each key. */
export interface CollectionWrites {
  readonly collection: string;
  readonly keyHashes: readonly string[];
  readonly metadataKeyHashes: readonly string[];
  /** SHA-256 of the collection's private `KVRWSet`, which a member peer's values must match. */
  readonly pvtRwsetHash: Uint8Array;
}

/** A read/write set names a namespace twice (Fabric's ILLEGAL_WRITESET). */
export class DuplicateNamespaceError extends ProtocolError {
  constructor(readonly namespace: string) {
    super(ProtocolErrorCode.BadField, `rwset.ns_rwset: namespace ${JSON.stringify(namespace)} appears twice`, { path: 'rwset.ns_rwset', namespace });
  }
}

/**
 * The written keys of a `TxReadWriteSet`, per namespace (namespaces with only reads are left out:
 * they need no endorsement policy). The whole set is decoded first with the ledger's decoder, reads,
 * range queries and hashed reads included, as Fabric's dispatcher does (`TxRwSet.FromProtoBytes`):
 * what the ledger could not read is BAD_RWSET here, not a failure at commit. Validation and the
 * Gateway call this for every transaction. Throws on bytes that are not a read/write set, and
 * {@link DuplicateNamespaceError} on a namespace named twice.
 */
export function rwsetWrites(results: Uint8Array): NamespaceWrites[] {
  const sets = decodeTxRwSet(results);
  const out: NamespaceWrites[] = [];
  const seen = new Set<string>();
  for (const ns of sets) {
    if (seen.has(ns.namespace)) throw new DuplicateNamespaceError(ns.namespace);
    seen.add(ns.namespace);
    const collections: CollectionWrites[] = [];
    for (const c of ns.collections) {
      // A collection only read (hashes) writes nothing: Fabric's txWritesToNamespace skips it.
      if (c.writes.length === 0 && c.metadataWrites.length === 0) continue;
      collections.push({
        collection: c.collection,
        keyHashes: c.writes.map((w) => toHex(w.keyHash)),
        metadataKeyHashes: c.metadataWrites.map((w) => toHex(w.keyHash)),
        pvtRwsetHash: c.pvtRwsetHash,
      });
    }
    const keys = ns.writes.map((w) => w.key);
    const metadataKeys = ns.metadataWrites.map((w) => w.key);
    if (keys.length > 0 || metadataKeys.length > 0 || collections.length > 0) out.push({ namespace: ns.namespace, keys, metadataKeys, collections });
  }
  return out;
}
