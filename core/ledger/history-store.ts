/** One write of a key by a valid transaction, as the history index keeps it. */
export interface HistoryEntry {
  readonly namespace: string;
  readonly key: string;
  readonly blockNum: number;
  readonly txNum: number;
  readonly txId: string;
  /** Undefined for a delete. */
  readonly value: Uint8Array | undefined;
  /** The transaction's channel-header timestamp. */
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
}

/**
 * Per-key history of one channel (Fabric's history DB): only valid transactions' writes, appended
 * through {@link ChannelLedgerStore.commit}. Read by `getHistoryForKey`; a throw means the store failed.
 */
export interface HistoryStore {
  /** Writes of a key, newest first, at most `limit`. */
  getHistory(namespace: string, key: string, limit: number): HistoryEntry[];
  /** Number of blocks whose history is indexed. */
  savepoint(): number;
}
export const HistoryStore = Symbol('HistoryStore');
