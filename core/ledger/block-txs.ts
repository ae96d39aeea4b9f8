import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { parseTimestamp } from '../protocol/header';
import { LEN, type MessageBytes, VARINT, WireReader } from '../protocol/wire-reader';
import { EMPTY } from './proto-reader';
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

function decodeVersion(bytes: MessageBytes): Version {
  const r = new WireReader(bytes, 'ledger.version', 'Version');
  let blockNum = 0;
  let txNum = 0;
  while (r.next()) {
    if (r.has(1, VARINT)) blockNum = r.uint();
    else if (r.has(2, VARINT)) txNum = r.uint();
    else r.skip();
  }
  return { blockNum, txNum };
}

/** `KVRead{key = 1, version = 2}`. */
function decodeRead(bytes: Uint8Array): KvReadRec {
  const r = new WireReader(bytes, 'ledger.kv_read', 'KVRead');
  let key = '';
  // A message: its occurrences merge; present (the key existed) once any occurs.
  let version: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, LEN)) key = r.string();
    else if (r.has(2, LEN)) version = r.message(version);
    else r.skip();
  }
  return { key, version: version === undefined ? undefined : decodeVersion(version) };
}

/**
 * `RangeQueryInfo{start_key = 1, end_key = 2, itr_exhausted = 3, oneof reads_info {raw_reads = 4,
 * reads_merkle_hashes = 5}}`. As protobuf-go decodes a oneof: another occurrence of the member set
 * merges into it, the other member replaces it.
 */
function decodeRange(bytes: Uint8Array): KvRangeRec {
  const r = new WireReader(bytes, 'ledger.range_query_info', 'RangeQueryInfo');
  let startKey = '';
  let endKey = '';
  let itrExhausted = false;
  let member = 0;
  let readsInfo: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, LEN)) startKey = r.string();
    else if (r.has(2, LEN)) endKey = r.string();
    else if (r.has(3, VARINT)) itrExhausted = r.uint() !== 0;
    else if (r.has(4, LEN) || r.has(5, LEN)) {
      readsInfo = r.message(member === r.field ? readsInfo : undefined);
      member = r.field;
    } else r.skip();
  }
  let rawReads: KvReadRec[] = [];
  let merkle: MerkleSummary | undefined;
  if (member === 4 && readsInfo !== undefined) {
    const q = new WireReader(readsInfo, 'ledger.range_query_info.raw_reads', 'QueryReads');
    while (q.next()) {
      if (q.has(1, LEN)) rawReads.push(decodeRead(q.bytes()));
      else q.skip();
    }
  } else if (member === 5 && readsInfo !== undefined) {
    merkle = decodeMerkleSummary(readsInfo);
    rawReads = [];
  }
  return { startKey, endKey, itrExhausted, rawReads, merkle };
}

/** `QueryReadsMerkleSummary{max_degree = 1 (uint32), max_level = 2 (uint32), max_level_hashes = 3}`. */
function decodeMerkleSummary(bytes: MessageBytes): MerkleSummary {
  const r = new WireReader(bytes, 'ledger.range_query_info.reads_merkle_hashes', 'QueryReadsMerkleSummary');
  let maxDegree = 0;
  let maxLevel = 0;
  const maxLevelHashes: Uint8Array[] = [];
  while (r.next()) {
    if (r.has(1, VARINT)) maxDegree = r.uint32();
    else if (r.has(2, VARINT)) maxLevel = r.uint32();
    else if (r.has(3, LEN)) maxLevelHashes.push(r.bytes());
    else r.skip();
  }
  return { maxDegree, maxLevel, maxLevelHashes };
}

/** `KVWrite{key = 1, is_delete = 2, value = 3}`. */
function decodeWrite(bytes: Uint8Array): KvWriteRec {
  const r = new WireReader(bytes, 'ledger.kv_write', 'KVWrite');
  let key = '';
  let isDelete = false;
  let value: Uint8Array = EMPTY;
  while (r.next()) {
    if (r.has(1, LEN)) key = r.string();
    else if (r.has(2, VARINT)) isDelete = r.uint() !== 0;
    else if (r.has(3, LEN)) value = r.bytes();
    else r.skip();
  }
  return { key, isDelete, value };
}

/** `KVMetadataEntry{name = 1, value = 2}`. */
function decodeMetadataEntry(bytes: Uint8Array): { name: string; value: Uint8Array } {
  const r = new WireReader(bytes, 'ledger.metadata_entry', 'KVMetadataEntry');
  let name = '';
  let value: Uint8Array = EMPTY;
  while (r.next()) {
    if (r.has(1, LEN)) name = r.string();
    else if (r.has(2, LEN)) value = r.bytes();
    else r.skip();
  }
  return { name, value };
}

/** `KVMetadataWrite{key = 1, entries = 2}`. */
function decodeMetadataWrite(bytes: Uint8Array): KvMetadataWriteRec {
  const r = new WireReader(bytes, 'ledger.kv_metadata_write', 'KVMetadataWrite');
  let key = '';
  const entries: { name: string; value: Uint8Array }[] = [];
  while (r.next()) {
    if (r.has(1, LEN)) key = r.string();
    else if (r.has(2, LEN)) entries.push(decodeMetadataEntry(r.bytes()));
    else r.skip();
  }
  return { key, entries };
}

/** `KVReadHash{key_hash = 1, version = 2}`. */
function decodeHashedRead(bytes: Uint8Array): HashedReadRec {
  const r = new WireReader(bytes, 'ledger.kv_read_hash', 'KVReadHash');
  let keyHash: Uint8Array = EMPTY;
  let version: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, LEN)) keyHash = r.bytes();
    else if (r.has(2, LEN)) version = r.message(version);
    else r.skip();
  }
  return { keyHash, version: version === undefined ? undefined : decodeVersion(version) };
}

/** `KVWriteHash{key_hash = 1, is_delete = 2, value_hash = 3, is_purge = 4}`. */
function decodeHashedWrite(bytes: Uint8Array): HashedWriteRec {
  const r = new WireReader(bytes, 'ledger.kv_write_hash', 'KVWriteHash');
  let keyHash: Uint8Array = EMPTY;
  let isDelete = false;
  let valueHash: Uint8Array = EMPTY;
  let isPurge = false;
  while (r.next()) {
    if (r.has(1, LEN)) keyHash = r.bytes();
    else if (r.has(2, VARINT)) isDelete = r.uint() !== 0;
    else if (r.has(3, LEN)) valueHash = r.bytes();
    else if (r.has(4, VARINT)) isPurge = r.uint() !== 0;
    else r.skip();
  }
  return { keyHash, isDelete, valueHash, isPurge };
}

/** `KVMetadataWriteHash{key_hash = 1, entries = 2}`. */
function decodeHashedMetadataWrite(bytes: Uint8Array): HashedMetadataWriteRec {
  const r = new WireReader(bytes, 'ledger.kv_metadata_write_hash', 'KVMetadataWriteHash');
  let keyHash: Uint8Array = EMPTY;
  const entries: { name: string; value: Uint8Array }[] = [];
  while (r.next()) {
    if (r.has(1, LEN)) keyHash = r.bytes();
    else if (r.has(2, LEN)) entries.push(decodeMetadataEntry(r.bytes()));
    else r.skip();
  }
  return { keyHash, entries };
}

/** `HashedRWSet{hashed_reads = 1, hashed_writes = 2, metadata_writes = 3}`. */
function decodeHashedRwSet(bytes: Uint8Array): Pick<CollHashedRwSet, 'reads' | 'writes' | 'metadataWrites'> {
  const r = new WireReader(bytes, 'ledger.hashed_rwset', 'HashedRWSet');
  const reads: HashedReadRec[] = [];
  const writes: HashedWriteRec[] = [];
  const metadataWrites: HashedMetadataWriteRec[] = [];
  while (r.next()) {
    if (r.has(1, LEN)) reads.push(decodeHashedRead(r.bytes()));
    else if (r.has(2, LEN)) writes.push(decodeHashedWrite(r.bytes()));
    else if (r.has(3, LEN)) metadataWrites.push(decodeHashedMetadataWrite(r.bytes()));
    else r.skip();
  }
  return { reads, writes, metadataWrites };
}

/** `CollectionHashedReadWriteSet{collection_name = 1, hashed_rwset = 2 (bytes), pvt_rwset_hash = 3}`. */
function decodeCollHashedRwSet(bytes: Uint8Array): CollHashedRwSet {
  const r = new WireReader(bytes, 'ledger.collection_hashed_rwset', 'CollectionHashedReadWriteSet');
  let collection = '';
  let hashed: Uint8Array = EMPTY;
  let pvtRwsetHash: Uint8Array = EMPTY;
  while (r.next()) {
    if (r.has(1, LEN)) collection = r.string();
    else if (r.has(2, LEN)) hashed = r.bytes();
    else if (r.has(3, LEN)) pvtRwsetHash = r.bytes();
    else r.skip();
  }
  return { collection, ...decodeHashedRwSet(hashed), pvtRwsetHash };
}

/** Decodes a `KVRWSet{reads = 1, range_queries_info = 2, writes = 3, metadata_writes = 4}`. */
export function decodeKvRwSet(namespace: string, bytes: Uint8Array, collections: readonly CollHashedRwSet[] = []): NsKvRwSet {
  const r = new WireReader(bytes, 'ledger.kvrwset', 'KVRWSet');
  const reads: KvReadRec[] = [];
  const ranges: KvRangeRec[] = [];
  const writes: KvWriteRec[] = [];
  const metadataWrites: KvMetadataWriteRec[] = [];
  while (r.next()) {
    if (r.has(1, LEN)) reads.push(decodeRead(r.bytes()));
    else if (r.has(2, LEN)) ranges.push(decodeRange(r.bytes()));
    else if (r.has(3, LEN)) writes.push(decodeWrite(r.bytes()));
    else if (r.has(4, LEN)) metadataWrites.push(decodeMetadataWrite(r.bytes()));
    else r.skip();
  }
  return { namespace, reads, ranges, writes, metadataWrites, collections };
}

/**
 * Decodes a serialized `TxReadWriteSet{data_model = 1, ns_rwset = 2}` whole, as Fabric's
 * `rwsetutil.TxRwSet.FromProtoBytes` does (every namespace's `KVRWSet` and every collection's
 * `HashedRWSet`); throws where that fails. The data model is not checked, as in Fabric.
 */
export function decodeTxRwSet(bytes: Uint8Array): NsKvRwSet[] {
  const out: NsKvRwSet[] = [];
  const r = new WireReader(bytes, 'ledger.rwset', 'TxReadWriteSet');
  while (r.next()) {
    if (!r.has(2, LEN)) {
      r.skip();
      continue;
    }
    // NsReadWriteSet{namespace = 1, rwset = 2 (bytes), collection_hashed_rwset = 3}
    const ns = new WireReader(r.bytes(), 'ledger.ns_rwset', 'NsReadWriteSet');
    let namespace = '';
    let kv: Uint8Array = EMPTY;
    const collections: CollHashedRwSet[] = [];
    while (ns.next()) {
      if (ns.has(1, LEN)) namespace = ns.string();
      else if (ns.has(2, LEN)) kv = ns.bytes();
      else if (ns.has(3, LEN)) collections.push(decodeCollHashedRwSet(ns.bytes()));
      else ns.skip();
    }
    out.push(decodeKvRwSet(namespace, kv, collections));
  }
  return out;
}

/** The last occurrence of bytes field `field` of a message, or an empty view. */
function lastBytes(bytes: MessageBytes, field: number, path: string, name: string): Uint8Array {
  const r = new WireReader(bytes, path, name);
  let out: Uint8Array = EMPTY;
  while (r.next()) {
    if (r.has(field, LEN)) out = r.bytes();
    else r.skip();
  }
  return out;
}

/**
 * Transaction → its single action → ChaincodeActionPayload → endorsed action → PRP →
 * ChaincodeAction.results, read as protobuf-go reads them (the validator's decoding): the
 * occurrences of `ChaincodeActionPayload.action` merge.
 */
function decodeEndorserRwSets(data: Uint8Array): NsKvRwSet[] {
  const tx = new WireReader(data, 'ledger.transaction', 'Transaction');
  const actions: Uint8Array[] = [];
  while (tx.next()) {
    if (tx.has(1, LEN)) actions.push(tx.bytes());
    else tx.skip();
  }
  if (actions.length !== 1) throw new Error(`expected one transaction action, got ${actions.length}`);
  const cap = new WireReader(lastBytes(actions[0], 2, 'ledger.transaction.actions', 'TransactionAction'), 'ledger.chaincode_action_payload', 'ChaincodeActionPayload');
  let endorsed: MessageBytes | undefined;
  while (cap.next()) {
    if (cap.has(2, LEN)) endorsed = cap.message(endorsed);
    else cap.skip();
  }
  if (endorsed === undefined) throw new Error('chaincode action payload has no action');
  const prp = lastBytes(endorsed, 1, 'ledger.chaincode_endorsed_action', 'ChaincodeEndorsedAction');
  const action = lastBytes(prp, 2, 'ledger.proposal_response_payload', 'ProposalResponsePayload');
  return decodeTxRwSet(lastBytes(action, 1, 'ledger.chaincode_action', 'ChaincodeAction'));
}

/** Decodes one envelope of block data at position `txNum`. */
export function decodeLedgerTx(envelope: Uint8Array, txNum: number): LedgerTx {
  let txId = '';
  let headerType = -1;
  let timestamp = { seconds: 0, nanos: 0 };
  try {
    const payload = new WireReader(lastBytes(envelope, 1, 'ledger.envelope', 'Envelope'), 'ledger.payload', 'Payload');
    // Payload.header is a message: its occurrences merge.
    let header: MessageBytes | undefined;
    let data: Uint8Array = EMPTY;
    while (payload.next()) {
      if (payload.has(1, LEN)) header = payload.message(header);
      else if (payload.has(2, LEN)) data = payload.bytes();
      else payload.skip();
    }
    const ch = header === undefined ? EMPTY : lastBytes(header, 1, 'ledger.header', 'Header');
    if (ch.length === 0) throw new Error('payload has no channel header');
    headerType = 0;
    const r = new WireReader(ch, 'ledger.channel_header', 'ChannelHeader');
    let time: MessageBytes | undefined;
    while (r.next()) {
      if (r.has(1, VARINT)) headerType = r.int32();
      else if (r.has(3, LEN)) time = r.message(time);
      else if (r.has(5, LEN)) txId = r.string();
      else r.skip();
    }
    if (time !== undefined) timestamp = parseTimestamp(time, 'ledger.channel_header.timestamp');
    const rwsets = headerType === HeaderType.ENDORSER_TRANSACTION ? decodeEndorserRwSets(data) : undefined;
    return { txNum, txId, headerType, timestamp, rwsets };
  } catch (e) {
    return { txNum, txId, headerType, timestamp, rwsets: undefined, error: (e as Error).message };
  }
}
