import { toHex, bytesEqual } from '../protocol/bytes';
import { type CollHashedRwSet, decodeKvRwSet, type KvWriteRec, type NsKvRwSet } from './block-txs';
import { nextKey } from './ledger-keys';
import { applyMetadataWrite, type Pending } from './pending-state';
import {
  type AppliedPvtCollection,
  type BlockPvtData,
  type CollectionPvtRwSet,
  type MissingPvtData,
  decodeTxPvtRwSet,
  EXPIRY_NAMESPACE,
  expiryBlockPrefix,
  type ExpiryEntry,
  expiryEntryValue,
  expiryKey,
  hashedNamespace,
  INELIGIBLE_NAMESPACE,
  ineligibleKey,
  MISSING_NAMESPACE,
  missingExpiryKeyHash,
  missingKey,
  type MissingRecord,
  parseExpiryKey,
  type PrivateDataPolicy,
  pvtNamespace,
  sha256,
} from './private-data';
import type { PvtPurge } from './pvt-purge';
import type { Version } from './tx-simulator';
import type { VersionedStateStore } from './versioned-state-store';

const EMPTY = new Uint8Array(0);
/** Expiry entries read per store call. */
const EXPIRY_CHUNK = 512;

/** What a block's commit knows of private data. */
export interface PvtInput {
  /** This peer's private data for the block's transactions; absent: it holds none. */
  readonly data?: BlockPvtData;
  readonly policy: PrivateDataPolicy;
  /**
   * The data comes from this ledger's own store (recovery, rebuild): it was verified when its block
   * committed, and a purge may since have taken keys out of a collection, so its hash no longer
   * matches the block's and is not checked.
   */
  readonly fromStore?: boolean;
  /**
   * Private data the store kept for this block number from before a rollback deleted the block
   * (see `ChannelLedgerStore.truncateBlocks`), as Fabric keeps its pvtdata store across one: this
   * peer may be the only one that held it. Taken before `data`, for each collection whose every
   * write the block's hashed writes match; a purge in a later block may have taken writes out
   * since, so the collection's hash is not checked.
   */
  readonly kept?: BlockPvtData;
}

type Current = (namespace: string, key: string) => { value: Uint8Array | undefined; version: Version | undefined };

/**
 * The private data half of a block's commit (Fabric's `pvtstatepurgemgmt` and the pvt part of its
 * state updates): every valid transaction's hashed writes go to hashed state on every peer; its
 * private values go to private state where this peer holds them and their hash matches the one the
 * transaction was endorsed with, at the same version; a collection with a `blockToLive` schedules
 * each written key's expiry, and the commit of the expiring block deletes both unless a later
 * transaction rewrote the key.
 */
export class PvtApplier {
  /** The private data applied: what the store keeps with the block, each collection until it expires. */
  readonly applied: AppliedPvtCollection[] = [];
  /** Collections whose transaction wrote private values this peer did not get. */
  readonly missing: MissingPvtData[] = [];
  /** Keys valid transactions purged, for the store to drop from earlier blocks' private data. */
  readonly purges: PvtPurge[] = [];
  private readonly decoded = new Map<number, CollectionPvtRwSet[]>();
  private readonly decodedKept = new Map<number, CollectionPvtRwSet[]>();
  private readonly policy: PrivateDataPolicy;
  /** Private keys whose metadata this block wrote: see {@link renewMetadataOnlyVersions}. */
  private readonly metadataKeys: { namespace: string; collection: string; key: string }[] = [];

  constructor(
    private readonly blockNum: number,
    private readonly input: PvtInput | undefined,
    private readonly pendingNs: (namespace: string) => Map<string, Pending>,
    private readonly current: Current,
  ) {
    this.policy = input?.policy ?? { blockToLive: () => 0 };
  }

  apply(txNum: number, namespace: string, collections: readonly CollHashedRwSet[]): void {
    const version = { blockNum: this.blockNum, txNum };
    for (const c of collections) {
      const hashedNs = hashedNamespace(namespace, c.collection);
      const hashed = this.pendingNs(hashedNs);
      const btl = this.policy.blockToLive(namespace, c.collection);
      const expiringBlock = btl > 0 ? this.blockNum + btl + 1 : 0;
      const pvt = this.privateRwSet(txNum, namespace, c, expiringBlock);
      if (pvt === undefined && c.pvtRwsetHash.length > 0) this.recordMissing(txNum, namespace, c, expiringBlock);
      const values = pvt?.writes;
      for (const w of c.writes) {
        const key = toHex(w.keyHash);
        const del = isHashedDelete(w);
        if (w.isPurge) this.purges.push({ namespace, collection: c.collection, keyHash: key, blockNum: this.blockNum, txNum });
        const prev = hashed.get(key);
        // As public keys: a put keeps the key's metadata unless an earlier transaction of this block deleted it.
        const metadata = del ? undefined : prev === undefined ? undefined : prev.value === undefined ? EMPTY : prev.metadata;
        hashed.set(key, { value: del ? undefined : w.valueHash, version, metadata });
        const plain = values?.get(key);
        if (plain !== undefined) this.pendingNs(pvtNamespace(namespace, c.collection)).set(plain.key, { value: del ? undefined : plain.value, version, metadata: undefined });
        if (!del && btl > 0) {
          const entry: ExpiryEntry = plain === undefined ? { b: version.blockNum, t: txNum } : { b: version.blockNum, t: txNum, k: plain.key };
          this.pendingNs(EXPIRY_NAMESPACE).set(expiryKey(expiringBlock, namespace, c.collection, key), { value: expiryEntryValue(entry), version, metadata: undefined });
        }
      }
      for (const m of c.metadataWrites) {
        const key = toHex(m.keyHash);
        applyMetadataWrite(hashed, key, this.current(hashedNs, key), m.entries, version);
      }
      for (const key of pvt?.metadataKeys ?? []) this.metadataKeys.push({ namespace, collection: c.collection, key });
    }
  }

  /**
   * A collection whose values this commit lacks: reported, and recorded in state, the record
   * expiring with the data. A collection this peer should hold is recorded for reconciliation;
   * another apart, until its org becomes a member.
   */
  private recordMissing(txNum: number, namespace: string, c: CollHashedRwSet, expiringBlock: number): void {
    this.missing.push({ txNum, namespace, collection: c.collection });
    const version = { blockNum: this.blockNum, txNum };
    const record: MissingRecord = { h: toHex(c.pvtRwsetHash), e: expiringBlock };
    const value = { value: Buffer.from(JSON.stringify(record)), version, metadata: undefined };
    if (this.policy.eligible?.(namespace, c.collection) === false) {
      this.pendingNs(INELIGIBLE_NAMESPACE).set(ineligibleKey(this.blockNum, txNum, namespace, c.collection), value);
    } else {
      this.pendingNs(MISSING_NAMESPACE).set(missingKey(this.blockNum, txNum, namespace, c.collection), value);
    }
    if (expiringBlock === 0) return;
    const scheduled: ExpiryEntry = { b: this.blockNum, t: txNum, m: true };
    this.pendingNs(EXPIRY_NAMESPACE).set(expiryKey(expiringBlock, namespace, c.collection, missingExpiryKeyHash(this.blockNum, txNum)), {
      value: expiryEntryValue(scheduled),
      version,
      metadata: undefined,
    });
  }

  /**
   * Fabric's `incrementPvtdataVersionIfNeeded`: a metadata-only write moves the hashed key to a new
   * version, and a private value that still matches the hash moves with it; otherwise reads would
   * take the held value for a stale one.
   */
  renewMetadataOnlyVersions(): void {
    for (const { namespace, collection, key } of this.metadataKeys) {
      const hashed = this.pendingNs(hashedNamespace(namespace, collection)).get(toHex(sha256(key)));
      if (hashed?.value === undefined) continue;
      const pvtNs = pvtNamespace(namespace, collection);
      const latest = this.current(pvtNs, key);
      if (latest.value === undefined || latest.version === undefined) continue;
      if (latest.version.blockNum === hashed.version.blockNum && latest.version.txNum === hashed.version.txNum) continue;
      if (bytesEqual(sha256(latest.value), hashed.value)) this.pendingNs(pvtNs).set(key, { value: latest.value, version: hashed.version, metadata: undefined });
    }
  }

  /** Deletes the hashed and private keys whose lifetime ends with this block, and their expiry entries. */
  expire(state: VersionedStateStore): void {
    const prefix = expiryBlockPrefix(this.blockNum);
    const end = `${prefix.slice(0, -1)}0`;
    const gone = { value: undefined, version: { blockNum: this.blockNum, txNum: 0 }, metadata: undefined };
    let from = prefix;
    for (;;) {
      const rows = state.getRange(EXPIRY_NAMESPACE, from, end, { limit: EXPIRY_CHUNK });
      for (const row of rows) {
        const { namespace, collection, keyHash } = parseExpiryKey(row.key);
        const entry = JSON.parse(Buffer.from(row.value).toString('utf8')) as ExpiryEntry;
        this.pendingNs(EXPIRY_NAMESPACE).set(row.key, gone);
        if (entry.m === true) {
          // Whichever of the two the record is in (it may have moved since).
          this.pendingNs(MISSING_NAMESPACE).set(missingKey(entry.b, entry.t, namespace, collection), gone);
          this.pendingNs(INELIGIBLE_NAMESPACE).set(ineligibleKey(entry.b, entry.t, namespace, collection), gone);
          continue;
        }
        const scheduled = (v: Version | undefined): boolean => v !== undefined && v.blockNum === entry.b && v.txNum === entry.t;
        const hashedNs = hashedNamespace(namespace, collection);
        if (scheduled(this.current(hashedNs, keyHash).version)) this.pendingNs(hashedNs).set(keyHash, gone);
        if (entry.k !== undefined) {
          const pvtNs = pvtNamespace(namespace, collection);
          if (scheduled(this.current(pvtNs, entry.k).version)) this.pendingNs(pvtNs).set(entry.k, gone);
        }
      }
      if (rows.length < EXPIRY_CHUNK) return;
      from = nextKey(rows[rows.length - 1].key);
    }
  }

  /**
   * The collection's private writes by key hash and the keys of its metadata writes, when this peer
   * holds the transaction's private data for it (kept from before a rollback, or given with a hash
   * that is the one endorsed); undefined otherwise (the values are missing here).
   */
  private privateRwSet(
    txNum: number,
    namespace: string,
    c: CollHashedRwSet,
    expiringBlock: number,
  ): { writes: Map<string, KvWriteRec>; metadataKeys: string[] } | undefined {
    if (c.pvtRwsetHash.length === 0) return undefined;
    const kept = collectionOf(this.input?.kept, this.decodedKept, txNum, namespace, c.collection);
    const keptRwset = kept === undefined ? undefined : decodeOrUndefined(namespace, kept.rwset);
    let mine: CollectionPvtRwSet;
    let rwset: NsKvRwSet | undefined;
    if (kept !== undefined && keptRwset !== undefined && writesMatch(keptRwset, c)) {
      mine = kept;
      rwset = keptRwset;
    } else {
      const given = collectionOf(this.input?.data, this.decoded, txNum, namespace, c.collection);
      if (given === undefined || (this.input?.fromStore !== true && !bytesEqual(sha256(given.rwset), c.pvtRwsetHash))) return undefined;
      mine = given;
      rwset = decodeOrUndefined(namespace, given.rwset);
    }
    if (rwset === undefined) return undefined;
    const writes = new Map(rwset.writes.map((w) => [toHex(sha256(w.key)), w.isDelete ? { ...w, value: EMPTY } : w]));
    this.applied.push({ ...mine, txNum, expiringBlock, keyHashes: [...writes.keys()] });
    return { writes, metadataKeys: rwset.metadataWrites.map((m) => m.key) };
  }
}

/** The transaction's collection in `data` (decoded once per transaction into `cache`); undefined when absent or undecodable. */
function collectionOf(
  data: BlockPvtData | undefined,
  cache: Map<number, CollectionPvtRwSet[]>,
  txNum: number,
  namespace: string,
  collection: string,
): CollectionPvtRwSet | undefined {
  const bytes = data?.get(txNum);
  if (bytes === undefined) return undefined;
  let colls = cache.get(txNum);
  if (colls === undefined) {
    try {
      colls = decodeTxPvtRwSet(bytes);
    } catch {
      colls = [];
    }
    cache.set(txNum, colls);
  }
  return colls.find((x) => x.namespace === namespace && x.collection === collection);
}

function decodeOrUndefined(namespace: string, bytes: Uint8Array): NsKvRwSet | undefined {
  try {
    return decodeKvRwSet(namespace, bytes);
  } catch {
    return undefined;
  }
}

/** Whether each private write is one of the block's hashed writes (same key, same value or a delete): kept data is this block's. */
function writesMatch(rwset: NsKvRwSet, c: CollHashedRwSet): boolean {
  const hashed = new Map(c.writes.map((w) => [toHex(w.keyHash), w]));
  return rwset.writes.every((w) => {
    const h = hashed.get(toHex(sha256(w.key)));
    if (h === undefined) return false;
    const deletes = isHashedDelete(h);
    return w.isDelete ? deletes : !deletes && bytesEqual(h.valueHash, sha256(w.value));
  });
}

const SHA256_OF_EMPTY = sha256(new Uint8Array(0));

/**
 * Fabric's `IsKVWriteHashDelete` (FAB-18386): a hashed write is a delete when flagged, when its value
 * hash is empty, or when it is the hash of an empty value — which a put of an empty private value
 * hashes to, and which every peer must read alike or state and commit hash split.
 */
function isHashedDelete(w: { readonly isDelete: boolean; readonly valueHash: Uint8Array }): boolean {
  return w.isDelete || w.valueHash.length === 0 || bytesEqual(w.valueHash, SHA256_OF_EMPTY);
}
