import { createHash } from 'node:crypto';
import { LedgerError } from '../errors';
import { toHex } from '../protocol/bytes';
import { lenField, message, stringField, submessage } from '../protocol/wire-writer';
import { asBytes, asString, EMPTY, forEachField } from './proto-reader';

/**
 * Private data collections in world state, laid out as Fabric's state database lays them out: a
 * collection's values under the derived namespace `<ns>$$p<collection>` (only on peers that hold
 * them) and their hashes under `<ns>$$h<collection>` (on every peer, keyed by the hex SHA-256 of the
 * key), both at the version of the transaction that wrote them. `$` cannot occur in a chaincode or
 * collection name, so the derived namespaces never collide with a chaincode's own.
 */

const PVT_SEPARATOR = '$$p';
const HASHED_SEPARATOR = '$$h';

export function pvtNamespace(namespace: string, collection: string): string {
  return `${namespace}${PVT_SEPARATOR}${collection}`;
}

export function hashedNamespace(namespace: string, collection: string): string {
  return `${namespace}${HASHED_SEPARATOR}${collection}`;
}

/** Whether a namespace is one of the derived private/hashed ones, which a public rwset may not name. */
export function isDerivedNamespace(namespace: string): boolean {
  return namespace.includes('$$');
}

export function sha256(data: Uint8Array | string): Uint8Array {
  return createHash('sha256').update(data).digest();
}

/** The hashed-state key of a private key: hex of the SHA-256 of its UTF-8 bytes. */
export function hashedKey(key: string): string {
  return toHex(sha256(key));
}

/**
 * Collection names as Fabric's `ValidateCollectionName` allows them, plus its implicit org
 * collections (`_implicit_org_<mspId>`).
 */
const COLLECTION_NAME = /^[A-Za-z0-9-]+$|^_implicit_org_[A-Za-z0-9.-]+$/;

export function validateCollection(namespace: string, collection: unknown): string {
  if (typeof collection !== 'string' || collection.length === 0) {
    throw new LedgerError('LEDGER_BAD_COLLECTION', `collection must be a non-empty string (namespace ${namespace}), received ${JSON.stringify(collection)}`, { namespace });
  }
  if (!COLLECTION_NAME.test(collection)) {
    throw new LedgerError('LEDGER_BAD_COLLECTION', `collection name ${JSON.stringify(collection)} (namespace ${namespace}) may hold only letters, digits and '-'`, {
      namespace,
      collection,
    });
  }
  return collection;
}

/**
 * What the ledger needs to know of a channel's collections to keep every peer's hashed state the
 * same: how long each collection's data lives. Read from committed state (a collection's
 * `blockToLive` is fixed when it is defined), so recovery replays expiries as the commits did.
 */
export interface PrivateDataPolicy {
  /** Blocks a collection's data is kept after the block that wrote it; 0 keeps it forever. */
  blockToLive(namespace: string, collection: string): number;
  /**
   * Whether this peer should hold the collection's values (its org is a member): a commit that
   * lacks them records them as missing, for reconciliation. Absent: every collection.
   */
  eligible?(namespace: string, collection: string): boolean;
  /**
   * Whether this peer's org may hold what a transaction of block `blockNum` wrote to the collection,
   * for private hashes imported from a snapshot (Fabric's `eligibilityAndBTLCache.isEligibile`): a
   * member by the definition in force at that block, or by any committed since. Absent:
   * {@link eligible}.
   */
  eligibleAt?(namespace: string, collection: string, blockNum: number): boolean;
}

export const KEEP_FOREVER: PrivateDataPolicy = { blockToLive: () => 0 };

/** One collection's private writes as an endorser produced them. */
export interface CollectionPvtRwSet {
  readonly namespace: string;
  readonly collection: string;
  /** The serialized `KVRWSet` whose SHA-256 the public rwset carries as `pvt_rwset_hash`. */
  readonly rwset: Uint8Array;
}

/**
 * The collections of a serialized `rwset.TxPvtReadWriteSet`. Throws `LEDGER_BAD_PVT_DATA` for bytes
 * that do not decode.
 */
export function decodeTxPvtRwSet(bytes: Uint8Array): CollectionPvtRwSet[] {
  const out: CollectionPvtRwSet[] = [];
  try {
    forEachField(bytes, (f, v) => {
      if (f !== 2) return;
      let namespace = '';
      const colls: { collection: string; rwset: Uint8Array }[] = [];
      forEachField(asBytes(v, 'pvt.ns_pvt_rwset'), (g, x) => {
        if (g === 1) namespace = asString(x, 'ns_pvt_rwset.namespace');
        else if (g === 2) {
          let collection = '';
          let rwset: Uint8Array = EMPTY;
          forEachField(asBytes(x, 'ns_pvt_rwset.collection_pvt_rwset'), (h, y) => {
            if (h === 1) collection = asString(y, 'collection_pvt_rwset.collection_name');
            else if (h === 2) rwset = asBytes(y, 'collection_pvt_rwset.rwset');
          });
          colls.push({ collection, rwset });
        }
      });
      for (const c of colls) out.push({ namespace, ...c });
    });
  } catch (e) {
    throw new LedgerError('LEDGER_BAD_PVT_DATA', `private data does not decode as a TxPvtReadWriteSet: ${(e as Error).message}`, {});
  }
  return out;
}

/** `TxPvtReadWriteSet{ns_pvt_rwset = 2: {namespace = 1, collection_pvt_rwset = 2: {collection_name = 1, rwset = 2}}}`, namespaces in the order given. */
export function encodeTxPvtRwSet(collections: readonly CollectionPvtRwSet[]): Uint8Array {
  const byNs = new Map<string, CollectionPvtRwSet[]>();
  for (const c of collections) byNs.set(c.namespace, [...(byNs.get(c.namespace) ?? []), c]);
  return message(
    ...[...byNs].map(([namespace, colls]) =>
      lenField(2, submessage(stringField(1, namespace), ...colls.map((c) => lenField(2, submessage(stringField(1, c.collection), lenField(2, c.rwset, true)), false))), false),
    ),
  );
}

/** A collection of a valid transaction whose private values this commit did not get (or got with the wrong hash). */
export interface MissingPvtData {
  readonly txNum: number;
  readonly namespace: string;
  readonly collection: string;
}

/**
 * One collection's private writes as a store keeps them with their block: verified against the
 * transaction's hash when committed, and dropped with the commit of `expiringBlock` (0: never).
 * An empty `rwset` is a collection this peer held whose every write has gone since (purged, or
 * rewritten before reconciliation brought it): replay treats it as held, nobody is served it.
 */
export interface StoredPvtCollection extends CollectionPvtRwSet {
  readonly txNum: number;
  readonly expiringBlock: number;
}

/** A collection a commit applied, as it hands it to the store: with the hex SHA-256 of each key it writes (the purge index). */
export interface AppliedPvtCollection extends StoredPvtCollection {
  readonly keyHashes: readonly string[];
}

/** Stored collections regrouped as `TxPvtReadWriteSet` bytes by transaction number. */
export function groupByTx(stored: readonly StoredPvtCollection[]): Map<number, Uint8Array> {
  const byTx = new Map<number, StoredPvtCollection[]>();
  for (const c of stored) byTx.set(c.txNum, [...(byTx.get(c.txNum) ?? []), c]);
  return new Map([...byTx].map(([txNum, colls]) => [txNum, encodeTxPvtRwSet(colls)]));
}

/** This peer's private data for a block: `TxPvtReadWriteSet` bytes by transaction number. */
export type BlockPvtData = ReadonlyMap<number, Uint8Array>;

/**
 * The state key under which a private key's expiry is scheduled: the block whose commit purges it
 * (zero-padded, so a block's entries form one range), then the collection and the key hash.
 */
export const EXPIRY_NAMESPACE = '$$expiry';

export function expiryKey(blockNum: number, namespace: string, collection: string, keyHash: string): string {
  return `${expiryBlockPrefix(blockNum)}${JSON.stringify([namespace, collection, keyHash])}`;
}

export function expiryBlockPrefix(blockNum: number): string {
  return `${String(blockNum).padStart(16, '0')}/`;
}

/**
 * What an expiry entry remembers: the version that scheduled it and, where this peer held the value,
 * the plain key; `m` marks the entry that drops a missing record instead of a key.
 */
export interface ExpiryEntry {
  readonly b: number;
  readonly t: number;
  readonly k?: string;
  readonly m?: true;
}

export function expiryEntryValue(entry: ExpiryEntry): Uint8Array {
  return Buffer.from(JSON.stringify(entry));
}

export function parseExpiryKey(key: string): { namespace: string; collection: string; keyHash: string } {
  const [namespace, collection, keyHash] = JSON.parse(key.slice(key.indexOf('/') + 1)) as [string, string, string];
  return { namespace, collection, keyHash };
}

/**
 * The state key recording a collection's private values that a valid transaction wrote and this
 * peer should hold but lacks (Fabric's missing pvtdata entries): the block counted down from the
 * largest safe integer and zero-padded, so the most recent blocks come first in key order.
 */
export const MISSING_NAMESPACE = '$$missing';

const MISSING_BLOCK_DIGITS = 16;

export function missingKey(blockNum: number, txNum: number, namespace: string, collection: string): string {
  return `${String(Number.MAX_SAFE_INTEGER - blockNum).padStart(MISSING_BLOCK_DIGITS, '0')}/${JSON.stringify([txNum, namespace, collection])}`;
}

/**
 * The record's value: the hash the values must have (hex) and the block whose commit expires them
 * (0: never). A record made when the ledger was created from a snapshot has no block to take the
 * hash from (`h` empty): `kv` holds, by hex key hash, the hex value hash of each key the snapshot
 * held at the transaction's version (Fabric's `BootKVHashes`).
 */
export interface MissingRecord {
  readonly h: string;
  readonly e: number;
  readonly kv?: Readonly<Record<string, string>>;
}

/** A collection this peer should hold for a committed transaction but lacks. */
export interface MissingPvtEntry extends MissingPvtData {
  readonly blockNum: number;
  /** SHA-256 the collection's `KVRWSet` must have (the block's `pvt_rwset_hash`). */
  readonly pvtRwsetHash: Uint8Array;
  /** The block whose commit drops the collection's values (0: kept forever). */
  readonly expiringBlock: number;
  /**
   * For a record made from a snapshot (`pvtRwsetHash` then empty): the value hash each key must have,
   * by hex key hash; only these keys' writes are taken (see `MissingRecord.kv`). `Ledger.missingPvtData`
   * gives only the keys still at the record's version.
   */
  readonly bootKvHashes?: ReadonlyMap<string, Uint8Array>;
}

export function parseMissingEntry(key: string, value: Uint8Array): MissingPvtEntry {
  const slash = key.indexOf('/');
  const [txNum, namespace, collection] = JSON.parse(key.slice(slash + 1)) as [number, string, string];
  const record = JSON.parse(Buffer.from(value).toString('utf8')) as MissingRecord;
  return {
    blockNum: Number.MAX_SAFE_INTEGER - Number(key.slice(0, slash)),
    txNum,
    namespace,
    collection,
    pvtRwsetHash: Buffer.from(record.h, 'hex'),
    expiringBlock: record.e,
    ...(record.kv === undefined ? {} : { bootKvHashes: new Map(Object.entries(record.kv).map(([k, v]) => [k, Buffer.from(v, 'hex')])) }),
  };
}

/**
 * Records of collections this peer's org was not a member of when their block committed (Fabric's
 * ineligible missing data), kept apart so they never hold up reconciliation: keyed by collection
 * first, so the records of a collection that later takes this org in form one range, then moved.
 */
export const INELIGIBLE_NAMESPACE = '$$missing-ineligible';

/** The range of one collection's ineligible records. */
export function ineligiblePrefix(namespace: string, collection: string): string {
  return `${JSON.stringify([namespace, collection])}/`;
}

export function ineligibleKey(blockNum: number, txNum: number, namespace: string, collection: string): string {
  return `${ineligiblePrefix(namespace, collection)}${String(blockNum).padStart(MISSING_BLOCK_DIGITS, '0')}/${txNum}`;
}

export function parseIneligibleKey(key: string): MissingPvtData & { readonly blockNum: number } {
  const txAt = key.lastIndexOf('/');
  const blockAt = key.lastIndexOf('/', txAt - 1);
  const [namespace, collection] = JSON.parse(key.slice(0, blockAt)) as [string, string];
  return { namespace, collection, blockNum: Number(key.slice(blockAt + 1, txAt)), txNum: Number(key.slice(txAt + 1)) };
}

/** The key-hash slot of the expiry entry that drops a missing record with its collection's data. */
export function missingExpiryKeyHash(blockNum: number, txNum: number): string {
  return `missing/${blockNum}/${txNum}`;
}
