import { KvLedger } from '../../../core/ledger/kv-ledger';
import { defaultLedgerOptions } from '../../../core/ledger/ledger-options';
import type { ChannelLedgerStore } from '../../../core/ledger/ledger-store-provider';
import { blockHeaderHash, getTransactionsFilter } from '../../../core/protocol/block';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';

export type LedgerSnapshot = Record<string, unknown>;

/** Every key of the namespaces with its value, version, metadata and full history, as hex. */
export function snapshotState(store: ChannelLedgerStore, namespaces: readonly string[]): LedgerSnapshot {
  const out: LedgerSnapshot = {};
  for (const ns of namespaces) {
    for (const kv of store.state.getRange(ns, '', '', { limit: 1_000_000 })) {
      out[`${ns}/${kv.key}`] = {
        value: Buffer.from(kv.value).toString('hex'),
        version: kv.version,
        metadata: kv.metadata === undefined ? undefined : Buffer.from(kv.metadata).toString('hex'),
        history: store.history.getHistory(ns, kv.key, 1_000_000).map((h) => ({ ...h, value: h.value && Buffer.from(h.value).toString('hex') })),
      };
    }
  }
  return out;
}

/**
 * Opens channel `channelId`'s SQLite ledger under `rootDir` and checks it whole: every block there,
 * numbered and chained, a validation flag per transaction, state and history savepoints at the
 * height, and state and history equal to a rebuild from the blocks. Returns the height and the
 * last block's header hash (hex).
 */
export function checkLedgerWhole(rootDir: string, channelId: string, namespaces: readonly string[]): { height: number; lastHash: string } {
  const store = new SqliteLedgerStoreProvider({ rootDir }).open(channelId);
  const ledger = new KvLedger(channelId, store, defaultLedgerOptions);
  try {
    const height = ledger.height();
    expect(store.state.savepoint()).toBe(height);
    expect(store.history.savepoint()).toBe(height);
    let prev: Uint8Array | undefined;
    for (let n = 0; n < height; n++) {
      const block = ledger.getBlockByNumber(n);
      const header = block?.getHeader();
      expect(header?.getNumber()).toBe(n);
      if (prev !== undefined) expect(Buffer.from(header!.getPreviousHash_asU8()).equals(Buffer.from(prev))).toBe(true);
      prev = blockHeaderHash(header!);
      expect(getTransactionsFilter(block!)).toHaveLength(block!.getData()?.getDataList_asU8().length ?? 0);
    }
    expect(ledger.getBlockByNumber(height)).toBeUndefined();
    const recovered = snapshotState(store, namespaces);
    ledger.rebuild();
    expect(snapshotState(store, namespaces)).toEqual(recovered);
    return { height, lastHash: Buffer.from(prev ?? []).toString('hex') };
  } finally {
    ledger.close();
  }
}
