import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LedgerManagerImpl, RwSetBuilder, type Ledger } from '../../../../core/ledger';
import { historyPages, type HistoryEntry, type HistoryStore } from '../../../../core/ledger/history-store';
import { buildRwSetEnvelope, TestChain } from '../../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

function write(txId: string, key: string, value: string | undefined): Uint8Array {
  const b = new RwSetBuilder();
  b.addWrite('cc', key, value === undefined ? undefined : Buffer.from(value));
  return buildRwSetEnvelope({ txId, rwset: b.build().serializeBinary(), channelId: 'ch1' });
}

/**
 * `getHistoryForKey` over the SQLite history store reads a key's history a page at a time
 * (keyset pagination on block and transaction, newest first), so a key written many times costs one
 * page of entries, values included, not the whole history up to `totalQueryLimit`.
 */
describe('history reads in pages', () => {
  let dir: string;
  let manager: LedgerManagerImpl;
  let ledger: Ledger;
  let chain: TestChain;
  /** The size of every page the history store answered, in order. */
  let pages: number[];
  let n = 0;

  function open(options: { totalQueryLimit?: number } = {}): void {
    const provider = new SqliteLedgerStoreProvider({ rootDir: dir });
    const openStore = provider.open.bind(provider);
    // The real store, its answers measured: the ledger asks it for every page.
    provider.open = (channelId) => {
      const store = openStore(channelId);
      const read = store.history.getHistory.bind(store.history);
      store.history.getHistory = (...args) => {
        const page = read(...args);
        pages.push(page.length);
        return page;
      };
      return store;
    };
    manager = new LedgerManagerImpl(provider, options);
    chain = new TestChain();
    ledger = manager.create('ch1', chain.block([]));
  }

  /** Commits `blocks` blocks of `perBlock` transactions, each writing key h (every 7th deletes it); returns their txids newest first. */
  function commitWrites(blocks: number, perBlock: number): string[] {
    const txIds: string[] = [];
    for (let b = 0; b < blocks; b++) {
      const envs: Uint8Array[] = [];
      for (let t = 0; t < perBlock; t++) {
        const txId = `t${++n}`;
        txIds.push(txId);
        envs.push(write(txId, 'h', n % 7 === 0 ? undefined : `v${n}`));
      }
      ledger.commit(chain.block(envs));
    }
    return txIds.reverse();
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-history-'));
    pages = [];
    n = 0;
  });
  afterEach(() => {
    manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('returns the whole history newest first, across blocks and transactions, fetching at most one page at a time', () => {
    open();
    const expected = commitWrites(70, 5);
    pages = [];
    const history = [...ledger.newQueryExecutor().getHistoryForKey('cc', 'h')];
    expect(history.map((m) => m.txId)).toEqual(expected);
    expect(history.filter((m) => m.isDelete).map((m) => m.txId)).toEqual(expected.filter((id) => Number(id.slice(1)) % 7 === 0));
    expect(history.find((m) => m.txId === 't349')).toMatchObject({ isDelete: false, value: Buffer.from('v349') });
    // 350 entries: 101, then 100 at a time, and the short page that shows the end.
    expect(pages).toEqual([101, 100, 100, 49]);
  });

  it('reads no further than the chaincode pulls', () => {
    open();
    commitWrites(50, 6);
    pages = [];
    const it = ledger.newQueryExecutor().getHistoryForKey('cc', 'h')[Symbol.iterator]();
    for (let i = 0; i < 101; i++) it.next();
    expect(pages).toEqual([101]);
    it.next();
    expect(pages).toEqual([101, 100]);
  });

  it('neither repeats nor skips an entry when blocks commit between pages, and shows none of theirs', () => {
    open();
    const before = commitWrites(40, 5);
    const it = ledger.newQueryExecutor().getHistoryForKey('cc', 'h')[Symbol.iterator]();
    const seen: string[] = [];
    for (let i = 0; i < 150; i++) seen.push((it.next().value as { txId: string }).txId);
    commitWrites(30, 5);
    for (let r = it.next(); r.done !== true; r = it.next()) seen.push(r.value.txId);
    expect(seen).toEqual(before);
  });

  it('stops at totalQueryLimit, asking the store for no more than is left', () => {
    open({ totalQueryLimit: 150 });
    const all = commitWrites(60, 5);
    pages = [];
    expect([...ledger.newQueryExecutor().getHistoryForKey('cc', 'h')].map((m) => m.txId)).toEqual(all.slice(0, 150));
    expect(pages).toEqual([101, 49]);
  });

  it('ends when its query executor is done', () => {
    open();
    commitWrites(60, 5);
    const qe = ledger.newQueryExecutor();
    const it = qe.getHistoryForKey('cc', 'h')[Symbol.iterator]();
    for (let i = 0; i < 101; i++) it.next();
    qe.done();
    expect(it.next().done).toBe(true);
  });
});

describe('historyPages', () => {
  const entry = (blockNum: number, txNum: number): HistoryEntry => ({ namespace: 'cc', key: 'k', blockNum, txNum, txId: `t${blockNum}.${txNum}`, value: undefined, timestamp: { seconds: 0, nanos: 0 } });

  it("refuses a store that ignores 'before' (it would answer the first page forever) with LEDGER_STORE_FAILED", () => {
    const store: HistoryStore = { getHistory: (_ns, _key, limit) => Array.from({ length: limit }, (_, i) => entry(1000 - i, 0)), savepoint: () => 0 };
    const read = (): unknown[] => [...historyPages(store, 'cc', 'k', { limit: 1000, firstPage: 3, page: 2, stopped: () => false })];
    expect(read).toThrow(expect.objectContaining({ name: 'LedgerError', code: 'LEDGER_STORE_FAILED', message: expect.stringContaining("does not honour getHistory's 'before'") }));
  });
});
