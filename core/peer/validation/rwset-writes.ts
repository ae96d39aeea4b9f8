import { ProtocolError } from '../../errors';
import { ProtocolErrorCode } from '../../protocol/bounded-decode';
import { toHex } from '../../protocol/bytes';
import { WireReader } from '../../protocol/wire-reader';

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

/**
 * `CollectionHashedReadWriteSet{collection_name = 1, hashed_rwset = 2: HashedRWSet{hashed_writes = 2,
 * metadata_writes = 3}, pvt_rwset_hash = 3}`.
 */
function collectionWrites(bytes: Uint8Array): CollectionWrites {
  const r = new WireReader(bytes, 'rwset.ns_rwset.collection_hashed_rwset', 'CollectionHashedReadWriteSet');
  let collection = '';
  const keyHashes: string[] = [];
  const metadataKeyHashes: string[] = [];
  let pvtRwsetHash: Uint8Array = new Uint8Array(0);
  while (r.next()) {
    if (r.field === 1) collection = r.string();
    else if (r.field === 3) pvtRwsetHash = r.bytes();
    else if (r.field === 2) {
      const h = new WireReader(r.bytes(), 'collection_hashed_rwset.hashed_rwset', 'HashedRWSet');
      while (h.next()) {
        if (h.field === 2) keyHashes.push(toHex(keyHashOf(h.bytes(), 'hashed_rwset.hashed_writes')));
        else if (h.field === 3) metadataKeyHashes.push(toHex(keyHashOf(h.bytes(), 'hashed_rwset.metadata_writes')));
        else h.skip();
      }
    } else r.skip();
  }
  return { collection, keyHashes, metadataKeyHashes, pvtRwsetHash };
}

/** `key_hash = 1` of a `KVWriteHash` or `KVMetadataWriteHash`. */
function keyHashOf(bytes: Uint8Array, path: string): Uint8Array {
  const r = new WireReader(bytes, path, 'write');
  let hash: Uint8Array = new Uint8Array(0);
  while (r.next()) {
    if (r.field === 1) hash = r.bytes();
    else r.skip();
  }
  return hash;
}

/** A read/write set names a namespace twice (Fabric's ILLEGAL_WRITESET). */
export class DuplicateNamespaceError extends ProtocolError {
  constructor(readonly namespace: string) {
    super(ProtocolErrorCode.BadField, `rwset.ns_rwset: namespace ${JSON.stringify(namespace)} appears twice`, { path: 'rwset.ns_rwset', namespace });
  }
}

/** `key = 1` of a `KVWrite` or `KVMetadataWrite`. */
function keyOf(bytes: Uint8Array, path: string): string {
  const r = new WireReader(bytes, path, 'write');
  let key = '';
  while (r.next()) {
    if (r.field === 1) key = r.string();
    else r.skip();
  }
  return key;
}

/**
 * The written keys of a `TxReadWriteSet`, per namespace (namespaces with only reads are left out:
 * they need no endorsement policy). Read straight from the wire: validation and the Gateway call
 * this for every transaction. Throws on bytes that are not a read/write set, and
 * {@link DuplicateNamespaceError} on a namespace named twice.
 */
export function rwsetWrites(results: Uint8Array): NamespaceWrites[] {
  const out: NamespaceWrites[] = [];
  const seen = new Set<string>();
  // TxReadWriteSet{data_model = 1, ns_rwset = 2}
  const tx = new WireReader(results, 'rwset', 'TxReadWriteSet');
  while (tx.next()) {
    if (tx.field !== 2) {
      tx.skip();
      continue;
    }
    // NsReadWriteSet{namespace = 1, rwset = 2, collection_hashed_rwset = 3}
    const ns = new WireReader(tx.bytes(), 'rwset.ns_rwset', 'NsReadWriteSet');
    let namespace = '';
    let kv: Uint8Array | undefined;
    const collections: CollectionWrites[] = [];
    while (ns.next()) {
      if (ns.field === 1) namespace = ns.string();
      else if (ns.field === 2) kv = ns.bytes();
      else if (ns.field === 3) {
        // A collection only read (hashes) writes nothing: Fabric's txWritesToNamespace skips it.
        const c = collectionWrites(ns.bytes());
        if (c.keyHashes.length > 0 || c.metadataKeyHashes.length > 0) collections.push(c);
      } else ns.skip();
    }
    if (seen.has(namespace)) throw new DuplicateNamespaceError(namespace);
    seen.add(namespace);
    const keys: string[] = [];
    const metadataKeys: string[] = [];
    if (kv !== undefined) {
      // KVRWSet{reads = 1, range_queries_info = 2, writes = 3, metadata_writes = 4}
      const set = new WireReader(kv, 'rwset.ns_rwset.rwset', 'KVRWSet');
      while (set.next()) {
        if (set.field === 3) keys.push(keyOf(set.bytes(), 'kvrwset.writes'));
        else if (set.field === 4) metadataKeys.push(keyOf(set.bytes(), 'kvrwset.metadata_writes'));
        else set.skip();
      }
    }
    if (keys.length > 0 || metadataKeys.length > 0 || collections.length > 0) out.push({ namespace, keys, metadataKeys, collections });
  }
  return out;
}
