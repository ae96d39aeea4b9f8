import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { KvRangeRec, KvReadRec, LedgerTx, NsKvRwSet } from './block-txs';
import type { HistoryEntry } from './history-store';
import { compareUtf8, validateNamespace, validateWriteKey } from './ledger-keys';
import type { LedgerOptions } from './ledger-options';
import { encodeStateMetadata } from './state-metadata';
import type { Version } from './tx-simulator';
import type { StateUpdate, VersionedStateStore } from './versioned-state-store';

const EMPTY = new Uint8Array(0);
const UNLIMITED = { maxKeySize: Number.MAX_SAFE_INTEGER };

/** A key's state after the block's earlier valid transactions. */
interface Pending {
  value: Uint8Array | undefined;
  version: Version;
  /** undefined: keep the stored metadata. */
  metadata: Uint8Array | undefined;
}

/** What a block's valid transactions change. */
export interface BlockUpdates {
  /** Final `TxValidationCode` per transaction. */
  readonly codes: number[];
  readonly state: StateUpdate[];
  readonly history: HistoryEntry[];
}

function sameVersion(a: Version | undefined, read: KvReadRec): boolean {
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

  private constructor(
    private readonly state: VersionedStateStore,
    private readonly options: LedgerOptions,
    private readonly blockNum: number,
  ) {}

  static validate(
    state: VersionedStateStore,
    options: LedgerOptions,
    blockNum: number,
    txs: readonly LedgerTx[],
    codes: readonly number[],
    replay = false,
  ): BlockUpdates {
    return new MvccValidator(state, options, blockNum).run(txs, codes, replay);
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
    const state: StateUpdate[] = [];
    for (const [namespace, keys] of this.pending) {
      for (const [key, p] of keys) state.push({ namespace, key, value: p.value, version: p.version, metadata: p.metadata });
    }
    return { codes, state, history: this.options.historyEnabled ? history : [] };
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
        for (const w of kv.writes) validateWriteKey(namespace, w.key, UNLIMITED);
        for (const m of kv.metadataWrites) validateWriteKey(namespace, m.key, UNLIMITED);
      } catch {
        return TxValidationCode.INVALID_WRITESET;
      }
      const pendingNs = this.pending.get(namespace);
      for (const read of kv.reads) {
        if (pendingNs?.has(read.key) === true) return TxValidationCode.MVCC_READ_CONFLICT;
        if (!sameVersion(this.state.get(namespace, read.key)?.version, read)) return TxValidationCode.MVCC_READ_CONFLICT;
      }
      for (const rq of kv.ranges) {
        if (!this.rangeUnchanged(namespace, rq)) return TxValidationCode.PHANTOM_READ_CONFLICT;
      }
    }
    return TxValidationCode.VALID;
  }

  /** Re-executes a recorded range over committed state + this block's earlier writes. */
  private rangeUnchanged(namespace: string, rq: KvRangeRec): boolean {
    // Weft records raw reads only; a Merkle summary (from another implementation) cannot be re-checked here, so it fails safe.
    if (rq.rawReads === undefined) return false;
    const reads = rq.rawReads;
    const start = rq.startKey;
    const end = rq.endKey;
    const inclusive = !rq.itrExhausted;
    const inRange = (k: string): boolean => compareUtf8(k, start) >= 0 && (end === '' || (inclusive ? compareUtf8(k, end) <= 0 : compareUtf8(k, end) < 0));
    const pendingNs = this.pending.get(namespace);
    const pendingIn = pendingNs === undefined ? [] : [...pendingNs.entries()].filter(([k]) => inRange(k));
    const limit = reads.length + 1 + pendingIn.length;
    const rows = this.state.getRange(namespace, start, end, { limit, endInclusive: inclusive });
    const truncated = rows.length === limit;
    const lastStored = rows.length > 0 ? rows[rows.length - 1].key : undefined;
    const merged = new Map<string, Version>();
    for (const r of rows) merged.set(r.key, r.version);
    for (const [k, p] of pendingIn) {
      if (truncated && lastStored !== undefined && compareUtf8(k, lastStored) > 0) continue;
      if (p.value === undefined) merged.delete(k);
      else merged.set(k, p.version);
    }
    const keys = [...merged.keys()].sort(compareUtf8);
    if (keys.length < reads.length) return false;
    for (let i = 0; i < reads.length; i++) {
      if (keys[i] !== reads[i].key || !sameVersion(merged.get(keys[i]), reads[i])) return false;
    }
    return keys.length === reads.length;
  }

  private apply(tx: LedgerTx, history: HistoryEntry[]): void {
    const version = { blockNum: this.blockNum, txNum: tx.txNum };
    for (const kv of tx.rwsets ?? []) {
      const namespace = kv.namespace;
      let ns = this.pending.get(namespace);
      if (ns === undefined) {
        ns = new Map();
        this.pending.set(namespace, ns);
      }
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
    for (const m of kv.metadataWrites) {
      const key = m.key;
      const cur = this.current(namespace, key);
      if (cur.value === undefined) continue; // metadata of a missing key is not kept, as in Fabric
      const entries: Record<string, Uint8Array> = {};
      for (const e of m.entries) entries[e.name] = e.value;
      ns.set(key, { value: cur.value, version, metadata: encodeStateMetadata(entries) });
    }
  }
}
