import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { CollHashedRwSet, KvRangeRec, LedgerTx, NsKvRwSet } from './block-txs';
import type { HistoryEntry } from './history-store';
import { compareUtf8, nextKey, validateBlockWriteKey, validateNamespace } from './ledger-keys';
import { hashedNamespace, isDerivedNamespace, type AppliedPvtCollection, type MissingPvtData, validateCollection } from './private-data';
import { toHex } from '../protocol/bytes';
import type { LedgerOptions } from './ledger-options';
import { merkleSummaryMatches, type RangeRead } from './range-query-hashing';
import { applyMetadataWrite, type Pending } from './pending-state';
import { PvtApplier, type PvtInput } from './pvt-applier';
import type { PvtPurge } from './pvt-purge';
import type { Version } from './tx-simulator';
import type { StateUpdate, VersionedStateStore } from './versioned-state-store';

const EMPTY = new Uint8Array(0);
/** Stored rows read per query while re-executing a long range. */
const RANGE_CHUNK = 256;


/** What a block's valid transactions change. */
export interface BlockUpdates {
  /** Final `TxValidationCode` per transaction. */
  readonly codes: number[];
  readonly state: StateUpdate[];
  readonly history: HistoryEntry[];
  /** The private data applied: what the store keeps to replay it. */
  readonly pvtData: readonly AppliedPvtCollection[];
  readonly pvtMissing: readonly MissingPvtData[];
  /** Keys the block's valid transactions purged (see {@link PvtPurge}). */
  readonly pvtPurges: readonly PvtPurge[];
  /**
   * Why each transaction this check invalidated conflicted (by transaction number): the key or
   * range, and what changed it. Fabric logs the key only at debug; an operator looking for a hot
   * key needs it at the warning that reports the conflict.
   */
  readonly conflicts: ReadonlyMap<number, string>;
}

/** Longer keys are cut in conflict reasons: a log line names the key, it need not hold a huge one whole. */
const KEY_TEXT_MAX = 128;

function cut(key: string): string {
  return key.length > KEY_TEXT_MAX ? `${key.slice(0, KEY_TEXT_MAX)}…` : key;
}

/** A public key as a conflict reason names it: JSON-quoted, so a composite key's U+0000 separators show as \u0000. */
function keyText(namespace: string, key: string): string {
  return `key ${JSON.stringify(cut(key))} of namespace ${namespace}`;
}

/** A key's version as Fabric writes it (block:transaction), or that the key did not exist. */
function versionText(v: Version | undefined): string {
  return v === undefined ? 'absent' : `at version ${v.blockNum}:${v.txNum}`;
}

function sameVersion(a: Version | undefined, read: { readonly version: Version | undefined }): boolean {
  const v = read.version;
  if (a === undefined || v === undefined) return a === undefined && v === undefined;
  return a.blockNum === v.blockNum && a.txNum === v.txNum;
}

/**
 * Fabric's MVCC validation and batch preparation for one block (`validation/validator.go`): in block
 * order, each transaction the peer's policy checks left VALID is checked against committed state
 * plus the writes of earlier valid transactions of the same block: a read of a key written earlier
 * in the block, or whose committed version changed, is an MVCC_READ_CONFLICT; a recorded range
 * whose re-execution differs is a PHANTOM_READ_CONFLICT. Writes of valid transactions become one
 * batch. With `replay` (recovery, rebuild) the codes are the block's final ones and nothing is checked.
 */
export class MvccValidator {
  private readonly pending = new Map<string, Map<string, Pending>>();
  private readonly conflicts = new Map<number, string>();
  private readonly pvt: PvtApplier;

  private constructor(
    private readonly state: VersionedStateStore,
    private readonly options: LedgerOptions,
    private readonly blockNum: number,
    pvt: PvtInput | undefined,
  ) {
    this.pvt = new PvtApplier(blockNum, pvt, (namespace) => this.pendingNs(namespace), (namespace, key) => this.current(namespace, key));
  }

  /** `pvt`: this peer's private data for the block and the channel's collection policy; without it no private value is applied (hashes still are). */
  static validate(
    state: VersionedStateStore,
    options: LedgerOptions,
    blockNum: number,
    txs: readonly LedgerTx[],
    codes: readonly number[],
    replay = false,
    pvt?: PvtInput,
  ): BlockUpdates {
    return new MvccValidator(state, options, blockNum, pvt).run(txs, codes, replay);
  }

  private run(txs: readonly LedgerTx[], initial: readonly number[], replay: boolean): BlockUpdates {
    const codes = [...initial];
    const history: HistoryEntry[] = [];
    for (const tx of txs) {
      if (codes[tx.txNum] !== TxValidationCode.VALID || tx.rwsets === undefined) continue;
      if (!replay) {
        const code = this.check(tx);
        codes[tx.txNum] = code;
        if (code !== TxValidationCode.VALID) continue;
      }
      this.apply(tx, history);
    }
    this.pvt.renewMetadataOnlyVersions();
    // After the block's transactions, as Fabric's purge manager: a key rewritten in this block is no longer the one that expires.
    this.pvt.expire(this.state);
    const state: StateUpdate[] = [];
    for (const [namespace, keys] of this.pending) {
      for (const [key, p] of keys) state.push({ namespace, key, value: p.value, version: p.version, metadata: p.metadata });
    }
    return {
      codes,
      state,
      history: this.options.historyEnabled ? history : [],
      pvtData: this.pvt.applied,
      pvtMissing: this.pvt.missing,
      pvtPurges: this.pvt.purges,
      conflicts: this.conflicts,
    };
  }

  private pendingNs(namespace: string): Map<string, Pending> {
    let ns = this.pending.get(namespace);
    if (ns === undefined) {
      ns = new Map();
      this.pending.set(namespace, ns);
    }
    return ns;
  }

  private current(namespace: string, key: string): Pending | { value: Uint8Array | undefined; version: Version | undefined } {
    const p = this.pending.get(namespace)?.get(key);
    if (p !== undefined) return p;
    const vv = this.state.get(namespace, key);
    return { value: vv?.value, version: vv?.version };
  }

  private check(tx: LedgerTx): number {
    for (const kv of tx.rwsets ?? []) {
      const namespace = kv.namespace;
      // Only rules every peer applies identically: size limits are node configuration, so they are
      // enforced when simulating (endorsement); applying them here could split peers' states.
      try {
        validateNamespace(namespace);
        if (isDerivedNamespace(namespace)) return TxValidationCode.INVALID_WRITESET;
        for (const w of kv.writes) validateBlockWriteKey(namespace, w.key);
        for (const m of kv.metadataWrites) validateBlockWriteKey(namespace, m.key);
        for (const c of kv.collections) validateCollection(namespace, c.collection);
      } catch {
        return TxValidationCode.INVALID_WRITESET;
      }
      const pendingNs = this.pending.get(namespace);
      for (const read of kv.reads) {
        const written = pendingNs?.get(read.key);
        if (written !== undefined) return this.conflict(tx, TxValidationCode.MVCC_READ_CONFLICT, `${keyText(namespace, read.key)} was written by transaction ${written.version.txNum} earlier in this block`);
        const committed = this.state.get(namespace, read.key)?.version;
        if (!sameVersion(committed, read)) return this.conflict(tx, TxValidationCode.MVCC_READ_CONFLICT, `${keyText(namespace, read.key)} changed since it was read: it was ${versionText(read.version)} then, ${versionText(committed)} now`);
      }
      for (const rq of kv.ranges) {
        if (!this.rangeUnchanged(namespace, rq)) {
          return this.conflict(tx, TxValidationCode.PHANTOM_READ_CONFLICT, `range query [${JSON.stringify(cut(rq.startKey))}, ${JSON.stringify(cut(rq.endKey))}) of namespace ${namespace} gives another result than when it ran: a key in it was added, updated or deleted`);
        }
      }
      for (const c of kv.collections) {
        const changed = this.changedHashedRead(namespace, c);
        if (changed !== undefined) {
          return this.conflict(tx, TxValidationCode.MVCC_READ_CONFLICT, `a private key of collection ${c.collection} of namespace ${namespace} (key hash ${changed.slice(0, 16)}…) changed since it was read`);
        }
      }
    }
    return TxValidationCode.VALID;
  }

  private conflict(tx: LedgerTx, code: number, reason: string): number {
    this.conflicts.set(tx.txNum, reason);
    return code;
  }

  /**
   * Fabric's `validateKVReadHash`: each hashed read's version against committed hashed state plus
   * this block's earlier writes. The hex key hash of the first read that changed, else undefined.
   */
  private changedHashedRead(namespace: string, c: CollHashedRwSet): string | undefined {
    const hashedNs = hashedNamespace(namespace, c.collection);
    const pendingNs = this.pending.get(hashedNs);
    for (const read of c.reads) {
      const key = toHex(read.keyHash);
      if (pendingNs?.has(key) === true) return key;
      if (!sameVersion(this.state.get(hashedNs, key)?.version, read)) return key;
    }
    return undefined;
  }

  /**
   * Fabric's `validateRangeQuery`: re-executes the recorded range over committed state plus this
   * block's earlier writes and compares it with the raw reads (same keys, same versions, nothing
   * more) or, for a range of more than `maxDegree` results, with the Merkle summary.
   */
  private rangeUnchanged(namespace: string, rq: KvRangeRec): boolean {
    if (rq.merkle !== undefined) return merkleSummaryMatches(rq.merkle, this.combinedRange(namespace, rq, RANGE_CHUNK));
    const current = this.combinedRange(namespace, rq, rq.rawReads.length + 1)[Symbol.iterator]();
    for (const read of rq.rawReads) {
      const next = current.next();
      if (next.done === true || next.value.key !== read.key || !sameVersion(next.value.version, read)) return false;
    }
    return current.next().done === true;
  }

  /**
   * The range's keys in order as of this point in the block (Fabric's `combinedIterator`): stored
   * rows, read `firstChunk` then {@link RANGE_CHUNK} at a time, merged with this block's pending
   * writes, deleted keys left out. A range the simulator stopped early includes its end key.
   */
  private *combinedRange(namespace: string, rq: KvRangeRec, firstChunk: number): Generator<RangeRead> {
    const { startKey, endKey } = rq;
    const endInclusive = !rq.itrExhausted;
    const inRange = (k: string): boolean => compareUtf8(k, startKey) >= 0 && (endKey === '' || (endInclusive ? compareUtf8(k, endKey) <= 0 : compareUtf8(k, endKey) < 0));
    const pendingNs = this.pending.get(namespace);
    const pending = pendingNs === undefined ? [] : [...pendingNs.entries()].filter(([k]) => inRange(k)).sort(([a], [b]) => compareUtf8(a, b));
    let p = 0;
    let from = startKey;
    let limit = firstChunk + pending.length;
    for (;;) {
      const rows = this.state.getRange(namespace, from, endKey, { limit, endInclusive });
      for (const row of rows) {
        for (; p < pending.length && compareUtf8(pending[p][0], row.key) < 0; p++) {
          if (pending[p][1].value !== undefined) yield { key: pending[p][0], version: pending[p][1].version };
        }
        if (p < pending.length && pending[p][0] === row.key) {
          if (pending[p][1].value !== undefined) yield { key: row.key, version: pending[p][1].version };
          p++;
        } else yield { key: row.key, version: row.version };
      }
      if (rows.length < limit) break;
      from = nextKey(rows[rows.length - 1].key);
      limit = RANGE_CHUNK;
    }
    for (; p < pending.length; p++) {
      if (pending[p][1].value !== undefined) yield { key: pending[p][0], version: pending[p][1].version };
    }
  }

  private apply(tx: LedgerTx, history: HistoryEntry[]): void {
    const version = { blockNum: this.blockNum, txNum: tx.txNum };
    for (const kv of tx.rwsets ?? []) {
      const namespace = kv.namespace;
      const ns = this.pendingNs(namespace);
      if (kv.collections.length > 0) this.pvt.apply(tx.txNum, namespace, kv.collections);
      for (const w of kv.writes) {
        const key = w.key;
        const value = w.isDelete ? undefined : w.value;
        const del = value === undefined || value.length === 0;
        const prev = ns.get(key);
        // A put keeps the key's metadata, unless an earlier transaction of this block deleted the key.
        const metadata = del ? undefined : prev === undefined ? undefined : prev.value === undefined ? EMPTY : prev.metadata;
        ns.set(key, { value: del ? undefined : value, version, metadata });
        history.push({ namespace, key, blockNum: this.blockNum, txNum: tx.txNum, txId: tx.txId, value: del ? undefined : value, timestamp: tx.timestamp });
      }
      this.applyMetadata(namespace, ns, kv, version);
    }
  }

  private applyMetadata(namespace: string, ns: Map<string, Pending>, kv: NsKvRwSet, version: Version): void {
    for (const m of kv.metadataWrites) applyMetadataWrite(ns, m.key, this.current(namespace, m.key), m.entries, version);
  }
}
