import { bytesEqual } from '../protocol/bytes';
import { decodeKvRwSet, type NsKvRwSet } from './block-txs';
import {
  type AppliedPvtCollection,
  type BlockPvtData,
  type CollectionPvtRwSet,
  decodeTxPvtRwSet,
  EXPIRY_NAMESPACE,
  type ExpiryEntry,
  expiryEntryValue,
  expiryKey,
  hashedKey,
  hashedNamespace,
  INELIGIBLE_NAMESPACE,
  ineligiblePrefix,
  MISSING_NAMESPACE,
  type MissingPvtData,
  missingExpiryKeyHash,
  missingKey,
  type MissingPvtEntry,
  parseIneligibleKey,
  parseMissingEntry,
  pvtNamespace,
  sha256,
} from './private-data';
import { bootHashedWrites } from './pvt-boot-hashes';
import { pvtWrittenKeyHashes, withoutPvtKey } from './pvt-purge';
import type { StateUpdate, VersionedStateStore } from './versioned-state-store';

/** A collection's late private values, stored with the committed block that wrote them. */
export interface OldPvtCollection extends AppliedPvtCollection {
  readonly blockNum: number;
}

/** Why a collection offered for an old block was not taken. */
export type OldPvtIgnoredReason = 'not-missing' | 'hash-mismatch' | 'incomplete' | 'expired' | 'undecodable';

export interface OldPvtIgnored {
  readonly blockNum: number;
  readonly txNum: number;
  readonly namespace: string;
  readonly collection: string;
  readonly reason: OldPvtIgnoredReason;
}

/** What late private data changes: Fabric's `CommitPvtDataOfOldBlocks`, prepared for the store (see `OldPvtCommit`). */
export interface OldPvtDataUpdates {
  readonly state: StateUpdate[];
  readonly pvtData: OldPvtCollection[];
  /** The missing records the data resolves, and their expiry entries: removed once the data is stored. */
  readonly resolved: StateUpdate[];
  /** The missing collections whose values were taken. */
  readonly reconciled: MissingPvtEntry[];
  readonly ignored: OldPvtIgnored[];
}

/** What {@link Ledger.commitPvtDataOfOldBlocks} reports. */
export type OldPvtDataResult = Pick<OldPvtDataUpdates, 'reconciled' | 'ignored'>;

type StateReader = Pick<VersionedStateStore, 'get'>;

/** A collection's rwset with no write left (see `BlockCommit.pvtPurges`). */
const EMPTIED = new Uint8Array(0);

/** A collection of a chaincode (namespace). */
export type PvtCollectionName = Pick<MissingPvtData, 'namespace' | 'collection'>;

/** The end (exclusive) of the range of keys starting with `prefix`, which ends in '/'. */
function rangeEnd(prefix: string): string {
  return `${prefix.slice(0, -1)}0`;
}

/** The collections with ineligible records (see `INELIGIBLE_NAMESPACE`), found by skipping from one collection's range to the next. */
export function ineligibleCollections(state: Pick<VersionedStateStore, 'getRange'>): PvtCollectionName[] {
  const out: PvtCollectionName[] = [];
  for (let start = ''; ; ) {
    const [row] = state.getRange(INELIGIBLE_NAMESPACE, start, '', { limit: 1 });
    if (row === undefined) return out;
    const { namespace, collection } = parseIneligibleKey(row.key);
    out.push({ namespace, collection });
    start = rangeEnd(ineligiblePrefix(namespace, collection));
  }
}

/**
 * The updates that move up to `limit` of a collection's ineligible records to the records
 * reconciliation reads (Fabric's `ProcessCollsEligibilityEnabled`), once this peer's org has become
 * a member: what the collection's transactions wrote before is then asked for too.
 */
export function eligibilityUpdates(state: Pick<VersionedStateStore, 'getRange'>, { namespace, collection }: PvtCollectionName, limit: number): StateUpdate[] {
  const prefix = ineligiblePrefix(namespace, collection);
  return state.getRange(INELIGIBLE_NAMESPACE, prefix, rangeEnd(prefix), { limit }).flatMap((row) => {
    const { blockNum, txNum } = parseIneligibleKey(row.key);
    return [
      { namespace: INELIGIBLE_NAMESPACE, key: row.key, value: undefined, version: row.version },
      { namespace: MISSING_NAMESPACE, key: missingKey(blockNum, txNum, namespace, collection), value: row.value, version: row.version },
    ];
  });
}

/**
 * The updates that take late private data for committed blocks (reconciliation). A collection is
 * taken only when this peer recorded it as missing, and only with the hash the transaction was
 * endorsed with. As Fabric's `RemoveStaleAndCommitPvtDataOfOldBlocks`, a private value goes to
 * state only where the hashed key is still at the writing transaction's version (a later write of
 * the same value is another transaction's, whose data this peer may still lack), and a delete
 * where the hashed key is gone. A key written, deleted or purged since keeps its newer state, and
 * its old value is left out of what the store keeps too, since a purge cannot be told from a
 * rewrite here (a collection left with nothing is kept emptied). The missing record
 * goes, after the data is stored, and so does its expiry entry; a key's expiry
 * entry learns the plain key, so the collection's expiry drops the value as a commit would have.
 */
export function oldPvtDataUpdates(state: StateReader, height: number, data: ReadonlyMap<number, BlockPvtData>): OldPvtDataUpdates {
  const out: OldPvtDataUpdates = { state: [], pvtData: [], resolved: [], reconciled: [], ignored: [] };
  const taken = new Set<string>();
  for (const [blockNum, txs] of data) {
    for (const [txNum, bytes] of txs) {
      let collections: CollectionPvtRwSet[];
      try {
        collections = decodeTxPvtRwSet(bytes);
      } catch {
        out.ignored.push({ blockNum, txNum, namespace: '', collection: '', reason: 'undecodable' });
        continue;
      }
      for (const c of collections) {
        const key = missingKey(blockNum, txNum, c.namespace, c.collection);
        const record = taken.has(key) ? undefined : state.get(MISSING_NAMESPACE, key);
        const ignore = (reason: OldPvtIgnoredReason): void => {
          out.ignored.push({ blockNum, txNum, namespace: c.namespace, collection: c.collection, reason });
        };
        if (record === undefined) {
          ignore('not-missing');
          continue;
        }
        const entry = parseMissingEntry(key, record.value);
        const checked = checkedRwSet(state, c.rwset, entry);
        if (typeof checked === 'string') {
          ignore(checked);
          continue;
        }
        taken.add(key);
        dropRecord(out.resolved, entry);
        if (entry.expiringBlock > 0 && entry.expiringBlock < height) {
          ignore('expired');
          continue;
        }
        let rwset: NsKvRwSet;
        try {
          rwset = decodeKvRwSet(c.namespace, checked);
        } catch {
          ignore('undecodable');
          continue;
        }
        // Stored even when no write is left (emptied, as a purge leaves one): a replay then knows
        // this peer took the collection and records nothing missing.
        const kept = takeValues(state, out.state, entry, rwset, checked) ?? EMPTIED;
        out.pvtData.push({ ...c, rwset: kept, blockNum, txNum, expiringBlock: entry.expiringBlock, keyHashes: pvtWrittenKeyHashes(kept) });
        out.reconciled.push(entry);
      }
    }
  }
  return out;
}

/**
 * The record with, for one made from a snapshot, only its keys still at the transaction's version
 * expected: a key written, deleted or purged since would not take the value anyway, and a peer that
 * saw the purge no longer has it to send (Fabric trims purged keys alike). A record none of whose
 * keys is left takes an emptied collection, and goes.
 */
export function withCurrentBootHashes(state: StateReader, entry: MissingPvtEntry): MissingPvtEntry {
  if (entry.bootKvHashes === undefined) return entry;
  const hashedNs = hashedNamespace(entry.namespace, entry.collection);
  const current = [...entry.bootKvHashes].filter(([keyHash]) => {
    const v = state.get(hashedNs, keyHash)?.version;
    return v !== undefined && v.blockNum === entry.blockNum && v.txNum === entry.txNum;
  });
  return current.length === entry.bootKvHashes.size ? entry : { ...entry, bootKvHashes: new Map(current) };
}

/**
 * The collection's rwset if it is the one the record wants: hashing to the block's hash, or, for a
 * record made from a snapshot, holding the snapshot's values for its keys still current (trimmed to
 * them, see `bootHashedWrites`); else why not.
 */
function checkedRwSet(state: StateReader, rwset: Uint8Array, entry: MissingPvtEntry): Uint8Array | OldPvtIgnoredReason {
  if (entry.bootKvHashes === undefined) return bytesEqual(sha256(rwset), entry.pvtRwsetHash) ? rwset : 'hash-mismatch';
  try {
    return bootHashedWrites(rwset, withCurrentBootHashes(state, entry).bootKvHashes ?? new Map());
  } catch {
    return 'undecodable';
  }
}

/** The missing record and, where the collection expires, the expiry entry that would drop it. */
function dropRecord(updates: StateUpdate[], entry: MissingPvtEntry): void {
  const version = { blockNum: entry.blockNum, txNum: entry.txNum };
  updates.push({ namespace: MISSING_NAMESPACE, key: missingKey(entry.blockNum, entry.txNum, entry.namespace, entry.collection), value: undefined, version });
  if (entry.expiringBlock === 0) return;
  const marker = expiryKey(entry.expiringBlock, entry.namespace, entry.collection, missingExpiryKeyHash(entry.blockNum, entry.txNum));
  updates.push({ namespace: EXPIRY_NAMESPACE, key: marker, value: undefined, version });
}

/**
 * Puts the collection's still-current writes into private state (see {@link oldPvtDataUpdates}) and
 * returns the `KVRWSet` the store keeps: the given bytes without the writes of keys that have
 * moved on; undefined when none is left.
 */
function takeValues(state: StateReader, updates: StateUpdate[], entry: MissingPvtEntry, rwset: NsKvRwSet, bytes: Uint8Array): Uint8Array | undefined {
  const hashedNs = hashedNamespace(entry.namespace, entry.collection);
  const pvtNs = pvtNamespace(entry.namespace, entry.collection);
  let kept: Uint8Array | undefined = bytes;
  const version = { blockNum: entry.blockNum, txNum: entry.txNum };
  for (const w of rwset.writes) {
    const keyHash = hashedKey(w.key);
    const current = state.get(hashedNs, keyHash);
    if (w.isDelete) {
      // The commit without the data deleted the hash only: a value held from before goes too.
      if (current === undefined) updates.push({ namespace: pvtNs, key: w.key, value: undefined, version });
      continue;
    }
    const written = current !== undefined && current.version.blockNum === version.blockNum && current.version.txNum === version.txNum;
    if (!written || !bytesEqual(current.value, sha256(w.value))) {
      kept = kept === undefined ? undefined : withoutPvtKey(kept, keyHash);
      continue;
    }
    updates.push({ namespace: pvtNs, key: w.key, value: w.value, version });
    if (entry.expiringBlock > 0) learnPlainKey(state, updates, entry, keyHash, w.key);
  }
  return kept;
}

function learnPlainKey(state: StateReader, updates: StateUpdate[], entry: MissingPvtEntry, keyHash: string, key: string): void {
  const at = expiryKey(entry.expiringBlock, entry.namespace, entry.collection, keyHash);
  const scheduled = state.get(EXPIRY_NAMESPACE, at);
  if (scheduled === undefined) return;
  const e = JSON.parse(Buffer.from(scheduled.value).toString('utf8')) as ExpiryEntry;
  if (e.b !== entry.blockNum || e.t !== entry.txNum) return;
  updates.push({ namespace: EXPIRY_NAMESPACE, key: at, value: expiryEntryValue({ b: e.b, t: e.t, k: key }), version: scheduled.version });
}
