import { LedgerError } from '../errors';

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

/** A write's place in the chain: a key's history is ordered by it, newest (highest) first. */
export interface HistoryPosition {
  readonly blockNum: number;
  readonly txNum: number;
}

/**
 * Per-key history of one channel (Fabric's history DB): only valid transactions' writes, appended
 * through {@link ChannelLedgerStore.commit}. Read by `getHistoryForKey`; a throw means the store failed.
 */
export interface HistoryStore {
  /**
   * Writes of a key, newest first, at most `limit`; with `before`, only the writes older than that
   * position. `getHistoryForKey` reads a key's history a page at a time, each page starting before
   * the last entry of the one before, so a key written millions of times costs one page in memory;
   * an implementation must honour `before` (one that ignores it gets a `LEDGER_STORE_FAILED`).
   */
  getHistory(namespace: string, key: string, limit: number, before?: HistoryPosition): HistoryEntry[];
  /** Number of blocks whose history is indexed. */
  savepoint(): number;
}
export const HistoryStore = Symbol('HistoryStore');

/** How {@link historyPages} reads: the most entries in all, and how many per store call. */
export interface HistoryPaging {
  readonly limit: number;
  readonly firstPage: number;
  readonly page: number;
  /** True once the reader is done (its simulator finished): the iteration then ends. */
  readonly stopped: () => boolean;
}

function older(a: HistoryPosition, b: HistoryPosition): boolean {
  return a.blockNum < b.blockNum || (a.blockNum === b.blockNum && a.txNum < b.txNum);
}

/**
 * A key's history, newest first, read lazily a page at a time with keyset pagination on the
 * entries' positions: no cursor stays open between pages (a SQLite connection runs nothing else
 * while one is), and writes committed between pages are newer than every position still to come,
 * so they never appear part way through, as with the snapshot Fabric's history iterator reads.
 */
export function historyPages(store: HistoryStore, namespace: string, key: string, paging: HistoryPaging): Iterable<HistoryEntry> {
  return {
    *[Symbol.iterator]() {
      let before: HistoryPosition | undefined;
      let served = 0;
      for (let size = paging.firstPage; ; size = paging.page) {
        const want = Math.min(size, paging.limit - served);
        if (paging.stopped() || want <= 0) return;
        // Handed out from the end, so the generator holds no entry it has already yielded.
        const entries = store.getHistory(namespace, key, want, before).reverse();
        const fetched = entries.length;
        for (let e = entries.pop(); e !== undefined; e = entries.pop()) {
          if (paging.stopped()) return;
          if (before !== undefined && !older(e, before)) {
            throw new LedgerError(
              'LEDGER_STORE_FAILED',
              `the history store answered a page of ${JSON.stringify(key)} with the write at block ${e.blockNum} tx ${e.txNum}, which is not older than block ${before.blockNum} tx ${before.txNum}, where the page was to start: it does not honour getHistory's 'before'`,
              { namespace, key },
            );
          }
          before = { blockNum: e.blockNum, txNum: e.txNum };
          served++;
          yield e;
        }
        if (fetched < want) return;
      }
    },
  };
}
