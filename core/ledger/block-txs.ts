import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { asBytes, asNumber, asString, bytesField, EMPTY, type FieldValue, forEachField } from './proto-reader';
import type { MerkleSummary } from './range-query-hashing';
import type { Version } from './tx-simulator';

/**
 * The few fields of a block's transactions the ledger needs (txid, type, timestamp, rwset), read
 * straight from the wire bytes (see proto-reader). The peer has already checked envelopes
 * structurally and cryptographically (core/protocol); here a decode failure only makes the
 * transaction invalid, it never throws.
 */
export interface KvReadRec {
  readonly key: string;
  readonly version: Version | undefined;
}

export interface KvRangeRec {
  readonly startKey: string;
  readonly endKey: string;
  readonly itrExhausted: boolean;
  /** Empty when the range recorded no reads, or a Merkle summary instead. */
  readonly rawReads: readonly KvReadRec[];
  /** Set when the range had more results than the summary's `maxDegree` (Fabric's `reads_merkle_hashes`). */
  readonly merkle: MerkleSummary | undefined;
}

export interface KvWriteRec {
  readonly key: string;
  readonly isDelete: boolean;
  readonly value: Uint8Array;
}

export interface KvMetadataWriteRec {
  readonly key: string;
  readonly entries: readonly { readonly name: string; readonly value: Uint8Array }[];
}

/** A private key as the public rwset names it: by the SHA-256 of the key. */
export interface HashedReadRec {
  readonly keyHash: Uint8Array;
  readonly version: Version | undefined;
}

export interface HashedWriteRec {
  readonly keyHash: Uint8Array;
  readonly isDelete: boolean;
  readonly valueHash: Uint8Array;
  readonly isPurge: boolean;
}

export interface HashedMetadataWriteRec {
  readonly keyHash: Uint8Array;
  readonly entries: readonly { readonly name: string; readonly value: Uint8Array }[];
}

/** A `CollectionHashedReadWriteSet`: one private data collection's hashed reads and writes. */
export interface CollHashedRwSet {
  readonly collection: string;
  readonly reads: readonly HashedReadRec[];
  readonly writes: readonly HashedWriteRec[];
  readonly metadataWrites: readonly HashedMetadataWriteRec[];
  /** SHA-256 of the collection's private `KVRWSet`; empty when the transaction wrote nothing to it. */
  readonly pvtRwsetHash: Uint8Array;
}

/** One namespace of a `TxReadWriteSet`: its `KVRWSet` as plain records. */
export interface NsKvRwSet {
  readonly namespace: string;
  readonly reads: readonly KvReadRec[];
  readonly ranges: readonly KvRangeRec[];
  readonly writes: readonly KvWriteRec[];
  readonly metadataWrites: readonly KvMetadataWriteRec[];
  readonly collections: readonly CollHashedRwSet[];
}

export interface LedgerTx {
  readonly txNum: number;
  /** '' when the header does not decode. */
  readonly txId: string;
  /** `common.HeaderType`, -1 when the header does not decode. */
  readonly headerType: number;
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  /** Namespaced read/write sets of an endorser transaction; undefined for other types. */
  readonly rwsets: readonly NsKvRwSet[] | undefined;
  /** Why the envelope could not be decoded; set → the transaction is invalid (BAD_PAYLOAD). */
  readonly error?: string;
}

function decodeVersion(buf: Uint8Array): Version {
  let blockNum = 0;
  let txNum = 0;
  forEachField(buf, (f, v) => {
    if (f === 1) blockNum = asNumber(v, 'version.block_num');
    else if (f === 2) txNum = asNumber(v, 'version.tx_num');
  });
  return { blockNum, txNum };
}

function decodeRead(buf: Uint8Array): KvReadRec {
  let key = '';
  let version: Version | undefined;
  forEachField(buf, (f, v) => {
    if (f === 1) key = asString(v, 'read.key');
    else if (f === 2) version = decodeVersion(asBytes(v, 'read.version'));
  });
  return { key, version };
}

function decodeRange(buf: Uint8Array): KvRangeRec {
  let startKey = '';
  let endKey = '';
  let itrExhausted = false;
  let rawReads: KvReadRec[] = [];
  let merkle: MerkleSummary | undefined;
  forEachField(buf, (f, v) => {
    if (f === 1) startKey = asString(v, 'range.start_key');
    else if (f === 2) endKey = asString(v, 'range.end_key');
    else if (f === 3) itrExhausted = asNumber(v, 'range.itr_exhausted') !== 0;
    else if (f === 4) {
      const reads: KvReadRec[] = [];
      forEachField(asBytes(v, 'range.raw_reads'), (g, r) => {
        if (g === 1) reads.push(decodeRead(asBytes(r, 'raw_reads.kv_reads')));
      });
      rawReads = reads;
      merkle = undefined;
    } else if (f === 5) {
      merkle = decodeMerkleSummary(asBytes(v, 'range.reads_merkle_hashes'));
      rawReads = [];
    }
  });
  return { startKey, endKey, itrExhausted, rawReads, merkle };
}

function decodeMerkleSummary(buf: Uint8Array): MerkleSummary {
  let maxDegree = 0;
  let maxLevel = 0;
  const maxLevelHashes: Uint8Array[] = [];
  forEachField(buf, (f, v) => {
    if (f === 1) maxDegree = asNumber(v, 'merkle.max_degree');
    else if (f === 2) maxLevel = asNumber(v, 'merkle.max_level');
    else if (f === 3) maxLevelHashes.push(asBytes(v, 'merkle.max_level_hashes'));
  });
  return { maxDegree, maxLevel, maxLevelHashes };
}

function decodeWrite(buf: Uint8Array): KvWriteRec {
  let key = '';
  let isDelete = false;
  let value: Uint8Array = EMPTY;
  forEachField(buf, (f, v) => {
    if (f === 1) key = asString(v, 'write.key');
    else if (f === 2) isDelete = asNumber(v, 'write.is_delete') !== 0;
    else if (f === 3) value = asBytes(v, 'write.value');
  });
  return { key, isDelete, value };
}

function decodeMetadataEntry(v: FieldValue): { name: string; value: Uint8Array } {
  let name = '';
  let value: Uint8Array = EMPTY;
  forEachField(asBytes(v, 'metadata_write.entries'), (g, e) => {
    if (g === 1) name = asString(e, 'entry.name');
    else if (g === 2) value = asBytes(e, 'entry.value');
  });
  return { name, value };
}

function decodeMetadataWrite(buf: Uint8Array): KvMetadataWriteRec {
  let key = '';
  const entries: { name: string; value: Uint8Array }[] = [];
  forEachField(buf, (f, v) => {
    if (f === 1) key = asString(v, 'metadata_write.key');
    else if (f === 2) entries.push(decodeMetadataEntry(v));
  });
  return { key, entries };
}

/** Decodes a `HashedRWSet`. */
function decodeHashedRwSet(buf: Uint8Array): Pick<CollHashedRwSet, 'reads' | 'writes' | 'metadataWrites'> {
  const reads: HashedReadRec[] = [];
  const writes: HashedWriteRec[] = [];
  const metadataWrites: HashedMetadataWriteRec[] = [];
  forEachField(buf, (f, v) => {
    if (f === 1) {
      let keyHash: Uint8Array = EMPTY;
      let version: Version | undefined;
      forEachField(asBytes(v, 'hashed_reads'), (g, x) => {
        if (g === 1) keyHash = asBytes(x, 'hashed_read.key_hash');
        else if (g === 2) version = decodeVersion(asBytes(x, 'hashed_read.version'));
      });
      reads.push({ keyHash, version });
    } else if (f === 2) {
      let keyHash: Uint8Array = EMPTY;
      let isDelete = false;
      let valueHash: Uint8Array = EMPTY;
      let isPurge = false;
      forEachField(asBytes(v, 'hashed_writes'), (g, x) => {
        if (g === 1) keyHash = asBytes(x, 'hashed_write.key_hash');
        else if (g === 2) isDelete = asNumber(x, 'hashed_write.is_delete') !== 0;
        else if (g === 3) valueHash = asBytes(x, 'hashed_write.value_hash');
        else if (g === 4) isPurge = asNumber(x, 'hashed_write.is_purge') !== 0;
      });
      writes.push({ keyHash, isDelete, valueHash, isPurge });
    } else if (f === 3) {
      let keyHash: Uint8Array = EMPTY;
      const entries: { name: string; value: Uint8Array }[] = [];
      forEachField(asBytes(v, 'metadata_writes'), (g, x) => {
        if (g === 1) keyHash = asBytes(x, 'metadata_write_hash.key_hash');
        else if (g === 2) entries.push(decodeMetadataEntry(x));
      });
      metadataWrites.push({ keyHash, entries });
    }
  });
  return { reads, writes, metadataWrites };
}

/** Decodes a `CollectionHashedReadWriteSet`. */
function decodeCollHashedRwSet(buf: Uint8Array): CollHashedRwSet {
  let collection = '';
  let hashed: Uint8Array = EMPTY;
  let pvtRwsetHash: Uint8Array = EMPTY;
  forEachField(buf, (f, v) => {
    if (f === 1) collection = asString(v, 'collection_hashed_rwset.collection_name');
    else if (f === 2) hashed = asBytes(v, 'collection_hashed_rwset.hashed_rwset');
    else if (f === 3) pvtRwsetHash = asBytes(v, 'collection_hashed_rwset.pvt_rwset_hash');
  });
  return { collection, ...decodeHashedRwSet(hashed), pvtRwsetHash };
}

/** Decodes a `KVRWSet`. */
export function decodeKvRwSet(namespace: string, buf: Uint8Array, collections: readonly CollHashedRwSet[] = []): NsKvRwSet {
  const reads: KvReadRec[] = [];
  const ranges: KvRangeRec[] = [];
  const writes: KvWriteRec[] = [];
  const metadataWrites: KvMetadataWriteRec[] = [];
  forEachField(buf, (f, v) => {
    if (f === 1) reads.push(decodeRead(asBytes(v, 'kvrwset.reads')));
    else if (f === 2) ranges.push(decodeRange(asBytes(v, 'kvrwset.range_queries_info')));
    else if (f === 3) writes.push(decodeWrite(asBytes(v, 'kvrwset.writes')));
    else if (f === 4) metadataWrites.push(decodeMetadataWrite(asBytes(v, 'kvrwset.metadata_writes')));
  });
  return { namespace, reads, ranges, writes, metadataWrites, collections };
}

/** Decodes a serialized `TxReadWriteSet` (data model KV). */
export function decodeTxRwSet(buf: Uint8Array): NsKvRwSet[] {
  const out: NsKvRwSet[] = [];
  forEachField(buf, (f, v) => {
    if (f === 1 && asNumber(v, 'rwset.data_model') !== 0) throw new Error(`unsupported rwset data model ${v as number}`);
    if (f !== 2) return;
    let namespace = '';
    let kv: Uint8Array = EMPTY;
    const collections: CollHashedRwSet[] = [];
    forEachField(asBytes(v, 'rwset.ns_rwset'), (g, x) => {
      if (g === 1) namespace = asString(x, 'ns_rwset.namespace');
      else if (g === 2) kv = asBytes(x, 'ns_rwset.rwset');
      else if (g === 3) collections.push(decodeCollHashedRwSet(asBytes(x, 'ns_rwset.collection_hashed_rwset')));
    });
    out.push(decodeKvRwSet(namespace, kv, collections));
  });
  return out;
}

/** Transaction → its single action → ChaincodeActionPayload → endorsed action → PRP → ChaincodeAction.results. */
function decodeEndorserRwSets(data: Uint8Array): NsKvRwSet[] {
  const actions: Uint8Array[] = [];
  forEachField(data, (f, v) => {
    if (f === 1) actions.push(asBytes(v, 'transaction.actions'));
  });
  if (actions.length !== 1) throw new Error(`expected one transaction action, got ${actions.length}`);
  const cap = bytesField(actions[0], 2);
  const endorsed = bytesField(cap, 2);
  if (endorsed.length === 0) throw new Error('chaincode action payload has no action');
  const prp = bytesField(endorsed, 1);
  const action = bytesField(prp, 2);
  return decodeTxRwSet(bytesField(action, 1));
}

/** Decodes one envelope of block data at position `txNum`. */
export function decodeLedgerTx(envelope: Uint8Array, txNum: number): LedgerTx {
  let txId = '';
  let headerType = -1;
  let timestamp = { seconds: 0, nanos: 0 };
  try {
    const payload = bytesField(envelope, 1);
    let header: Uint8Array = EMPTY;
    let data: Uint8Array = EMPTY;
    forEachField(payload, (f, v) => {
      if (f === 1) header = asBytes(v, 'payload.header');
      else if (f === 2) data = asBytes(v, 'payload.data');
    });
    const ch = bytesField(header, 1);
    if (ch.length === 0) throw new Error('payload has no channel header');
    headerType = 0;
    forEachField(ch, (f, v) => {
      if (f === 1) headerType = asNumber(v, 'channel_header.type');
      else if (f === 5) txId = asString(v, 'channel_header.tx_id');
      else if (f === 3) {
        let seconds = 0;
        let nanos = 0;
        forEachField(asBytes(v, 'channel_header.timestamp'), (g, t) => {
          if (g === 1) seconds = asNumber(t, 'timestamp.seconds');
          else if (g === 2) nanos = asNumber(t, 'timestamp.nanos');
        });
        timestamp = { seconds, nanos };
      }
    });
    const rwsets = headerType === HeaderType.ENDORSER_TRANSACTION ? decodeEndorserRwSets(data) : undefined;
    return { txNum, txId, headerType, timestamp, rwsets };
  } catch (e) {
    return { txNum, txId, headerType, timestamp, rwsets: undefined, error: (e as Error).message };
  }
}
