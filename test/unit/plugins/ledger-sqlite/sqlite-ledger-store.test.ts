import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { Container } from '../../../../core/di';
import { LedgerManager, LedgerManagerImpl, RwSetBuilder, type Ledger } from '../../../../core/ledger';
import type { BlockCommit, ChannelLedgerStore, LedgerStoreProvider } from '../../../../core/ledger/ledger-store-provider';
import { buildRwSetEnvelope, TestChain } from '../../../../core/ledger/test-blocks';
import { blockHeaderHash, setTransactionsFilter } from '../../../../core/protocol/block';
import { NodeConfigToken, parseNodeConfig } from '../../../../core/node/config';
import { loadPlugin } from '../../../../core/node/plugin-loader';
import { manifest, module, SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

function write(txId: string, key: string, value: string): Uint8Array {
  const b = new RwSetBuilder();
  b.addWrite('cc', key, Buffer.from(value));
  return buildRwSetEnvelope({ txId, rwset: b.build().serializeBinary(), channelId: 'ch1' });
}

function errorOf(fn: () => unknown): { name?: string; code?: string; message?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code: string };
  }
  return {};
}

describe('ledger-sqlite store', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-sqlite-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function ledgerWithBlocks(n: number): { manager: LedgerManagerImpl; ledger: Ledger; chain: TestChain } {
    const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    const chain = new TestChain();
    const ledger = manager.create('ch1', chain.block([]));
    for (let i = 1; i < n; i++) ledger.commit(chain.block([write(`t${i}`, `k${i}`, `v${i}`)]));
    return { manager, ledger, chain };
  }

  it('refuses a file that is not SQLite with LEDGER_CORRUPT, at open, without crashing', () => {
    fs.writeFileSync(path.join(dir, 'ch1.sqlite'), Buffer.alloc(8192, 0x5a));
    const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    expect(manager.exists('ch1')).toBe(true);
    expect(errorOf(() => manager.open('ch1'))).toMatchObject({ name: 'LedgerError', code: 'LEDGER_CORRUPT' });
  });

  it('refuses a foreign SQLite database and another channel’s ledger', () => {
    const foreign = new Database(path.join(dir, 'ch1.sqlite'));
    foreign.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY)');
    foreign.close();
    const provider = new SqliteLedgerStoreProvider({ rootDir: dir });
    expect(errorOf(() => provider.open('ch1'))).toMatchObject({ code: 'LEDGER_CORRUPT', message: expect.stringContaining('application_id') });

    provider.open('ch2').close();
    fs.copyFileSync(path.join(dir, 'ch2.sqlite'), path.join(dir, 'ch3.sqlite'));
    expect(errorOf(() => provider.open('ch3'))).toMatchObject({ code: 'LEDGER_CORRUPT', message: expect.stringContaining('"ch2"') });
  });

  it('refuses a damaged ledger file with a typed error', () => {
    const { manager } = ledgerWithBlocks(30);
    manager.close();
    const file = path.join(dir, 'ch1.sqlite');
    const bytes = fs.readFileSync(file);
    bytes.fill(0xee, 4096, bytes.length); // keep the header page, wreck every table page
    fs.writeFileSync(file, bytes);
    const err = errorOf(() => new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir })).open('ch1'));
    expect(err).toMatchObject({ name: 'LedgerError' });
    expect(['LEDGER_CORRUPT', 'LEDGER_STORE_FAILED']).toContain(err.code);
  });

  it('reports damage found after open, when a read first touches a bad page, as LEDGER_CORRUPT', () => {
    const { manager } = ledgerWithBlocks(600);
    manager.close();
    const file = path.join(dir, 'ch1_state.sqlite');
    const bytes = fs.readFileSync(file);
    const middle = Math.floor(bytes.length / 4096 / 2) * 4096;
    bytes.fill(0xee, middle, middle + 4 * 4096); // the header and schema pages stay intact
    fs.writeFileSync(file, bytes);
    const damaged = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    try {
      const ledger = damaged.open('ch1');
      expect(ledger.height()).toBe(600);
      const err = errorOf(() => [...ledger.newQueryExecutor().getStateRange('cc', '', '')]);
      expect(err).toMatchObject({ name: 'LedgerError', code: 'LEDGER_CORRUPT', message: expect.stringMatching(/^state range read failed: the ledger file is damaged \(SQLITE_CORRUPT/) });
    } finally {
      // Left open, its SQLite connections and write-back thread would live on in the jest worker after this file.
      damaged.close();
    }
  });

  it('finds every committed txid after a reopen, and duplicates still count (the txid filter is rebuilt from the index)', () => {
    const { manager, chain } = ledgerWithBlocks(40);
    manager.close();
    const reopened = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    const ledger = reopened.open('ch1');
    for (let i = 1; i < 40; i++) expect(ledger.getTransactionById(`t${i}`)).toMatchObject({ blockNum: i, txNum: 0, validationCode: 0 });
    expect(ledger.getTransactionById('t40')).toBeUndefined();
    ledger.commit(chain.block([write('t7', 'again', 'x'), write('t40', 'k40', 'v40')]));
    expect(ledger.getTransactionById('t7')).toMatchObject({ blockNum: 7 });
    expect(ledger.getTransactionById('t40')).toMatchObject({ blockNum: 40, txNum: 1, validationCode: 0 });
    expect(ledger.newQueryExecutor().getState('cc', 'again')).toBeUndefined(); // t7 was a duplicate
    reopened.close();
  });

  /** Every key's value and history (txids, newest first) in namespace cc. */
  function contents(ledger: Ledger): unknown {
    const q = ledger.newQueryExecutor();
    const keys = [...q.getStateRange('cc', '', '')].map((kv) => kv.key);
    const out = keys.map((k) => ({ k, v: q.getState('cc', k)?.toString(), h: [...q.getHistoryForKey('cc', k)].map((m) => m.txId) }));
    q.done();
    return out;
  }

  /** The store's own savepoints and height, read without the core ledger's recovery. */
  function storeHeights(): { blocks: number; state: number; history: number } {
    const store = new SqliteLedgerStoreProvider({ rootDir: dir }).open('ch1');
    const heights = { blocks: store.blocks.height(), state: store.state.savepoint(), history: store.history.savepoint() };
    store.close();
    return heights;
  }

  it('replays the last block into a state file left one block behind (a crash between the two commits)', () => {
    const { manager, chain } = ledgerWithBlocks(6);
    manager.close();
    const stateFile = path.join(dir, 'ch1_state.sqlite');
    const behind = fs.readFileSync(stateFile); // closed cleanly: WAL checkpointed into the file
    const reopened = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    reopened.open('ch1').commit(chain.block([write('t6', 'k6', 'v6'), write('t7', 'k1', 'changed')]));
    const expected = contents(reopened.open('ch1'));
    reopened.close();

    fs.writeFileSync(stateFile, behind);
    expect(storeHeights()).toEqual({ blocks: 7, state: 6, history: 7 });
    const recovered = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    const ledger = recovered.open('ch1');
    expect(contents(ledger)).toEqual(expected);
    expect(expected).toEqual(expect.arrayContaining([{ k: 'k1', v: 'changed', h: ['t7', 't1'] }]));
    ledger.commit(chain.block([write('t8', 'k8', 'v8')]));
    expect(ledger.newQueryExecutor().getState('cc', 'k8')?.toString()).toBe('v8');
    recovered.close();
    expect(storeHeights()).toEqual({ blocks: 8, state: 8, history: 8 });
  });

  it('replays the state at once when the state commit fails after the block commit, and before the next commit when it cannot', () => {
    const real = new SqliteLedgerStoreProvider({ rootDir: dir });
    let fail: 'state' | 'state and replay' | undefined;
    // The real store, except that when armed the block commits and the state does not (its writes
    // are withheld and its savepoint set back through a second connection), as after a failed COMMIT.
    const provider: LedgerStoreProvider = {
      exists: (id) => real.exists(id),
      list: () => real.list(),
      openBlocks: (id) => real.openBlocks(id),
      open: (id) => {
        const store = real.open(id);
        return Object.assign(Object.create(store) as ChannelLedgerStore, {
          commit: (c: BlockCommit) => {
            if (fail === undefined) return store.commit(c);
            store.commit({ ...c, state: [] });
            const side = new Database(real.stateFile(id));
            side.prepare("UPDATE meta SET value = ? WHERE name = 'state_savepoint'").run(c.blockNum);
            side.close();
            throw new Error('disk I/O error');
          },
          applyUpdates: (...args: Parameters<ChannelLedgerStore['applyUpdates']>) => {
            if (fail === 'state and replay') throw new Error('disk I/O error again');
            store.applyUpdates(...args);
          },
        });
      },
    };
    const manager = new LedgerManagerImpl(provider);
    const chain = new TestChain();
    const ledger = manager.create('ch1', chain.block([]));
    ledger.commit(chain.block([write('t1', 'k1', 'v1')]));

    fail = 'state';
    expect(ledger.commit(chain.block([write('t2', 'k2', 'v2')]))).toMatchObject({ blockNum: 2, validationCodes: [0] });
    expect(ledger.newQueryExecutor().getState('cc', 'k2')?.toString()).toBe('v2');

    fail = 'state and replay';
    expect(errorOf(() => ledger.commit(chain.block([write('t3', 'k3', 'v3')])))).toMatchObject({ message: 'disk I/O error' });
    fail = undefined;
    expect(ledger.height()).toBe(4);
    // The next commit replays block 3's state first (a committer retrying once space is freed
    // resumes without a restart), then commits its own block.
    expect(ledger.commit(chain.block([write('t4', 'k4', 'v4')]))).toMatchObject({ blockNum: 4, validationCodes: [0] });
    expect(['k3', 'k4'].map((k) => ledger.newQueryExecutor().getState('cc', k)?.toString())).toEqual(['v3', 'v4']);
    manager.close();

    const reopened = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir })).open('ch1');
    expect(['k1', 'k2', 'k3', 'k4'].map((k) => reopened.newQueryExecutor().getState('cc', k)?.toString())).toEqual(['v1', 'v2', 'v3', 'v4']);
    reopened.close();
    expect(storeHeights()).toEqual({ blocks: 5, state: 5, history: 5 });
  });

  it('rebuilds the state from the blocks when the state file is deleted', () => {
    const { manager, ledger } = ledgerWithBlocks(12);
    const expected = contents(ledger);
    manager.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dir, `ch1_state.sqlite${suffix}`), { force: true });
    expect(storeHeights()).toEqual({ blocks: 12, state: 0, history: 12 });
    const reopened = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    expect(contents(reopened.open('ch1'))).toEqual(expected);
    reopened.close();
  });

  it('refuses a state file ahead of its block file, and a block file in place of a state file', () => {
    const { manager, chain } = ledgerWithBlocks(3);
    manager.close();
    const blocksFile = path.join(dir, 'ch1.sqlite');
    const stateFile = path.join(dir, 'ch1_state.sqlite');
    const olderBlocks = fs.readFileSync(blocksFile);
    const reopened = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    reopened.open('ch1').commit(chain.block([write('t3', 'k3', 'v3')]));
    reopened.close();

    fs.writeFileSync(blocksFile, olderBlocks);
    expect(errorOf(() => new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir })).open('ch1'))).toMatchObject({
      code: 'LEDGER_CORRUPT',
      message: expect.stringContaining('ahead of the block store (height 3)'),
    });
    fs.copyFileSync(blocksFile, stateFile);
    expect(errorOf(() => new SqliteLedgerStoreProvider({ rootDir: dir }).open('ch1'))).toMatchObject({
      code: 'LEDGER_CORRUPT',
      message: expect.stringContaining(`"blocks" database, expected the channel's state database`),
    });
  });

  it('writes nothing of a block whose store commit fails half-way', () => {
    const { manager } = ledgerWithBlocks(2);
    manager.close();
    const provider = new SqliteLedgerStoreProvider({ rootDir: dir });
    const store = provider.open('ch1');
    const err = errorOf(() =>
      store.commit({
        blockNum: 2,
        blockHash: new Uint8Array(32).fill(2),
        blockBytes: new Uint8Array([1, 2, 3]),
        txs: [{ txId: 'half', txNum: 0, validationCode: 0 }],
        state: [
          { namespace: 'cc', key: 'first', value: Buffer.from('1'), version: { blockNum: 2, txNum: 0 } },
          { namespace: undefined as unknown as string, key: 'broken', value: Buffer.from('2'), version: { blockNum: 2, txNum: 0 } },
        ],
        history: [],
      }),
    );
    expect(err).toMatchObject({ name: 'LedgerError', code: 'LEDGER_STORE_FAILED' });
    expect(store.blocks.height()).toBe(2);
    expect(store.blocks.getBlockBytes(2)).toBeUndefined();
    expect(store.blocks.getTxLocation('half')).toBeUndefined();
    expect(store.state.get('cc', 'first')).toBeUndefined();
    expect(store.state.savepoint()).toBe(2);
    expect(errorOf(() => store.commit({ blockNum: 5, blockHash: new Uint8Array(32), blockBytes: new Uint8Array(1), txs: [], state: [], history: [] }))).toMatchObject({
      code: 'LEDGER_BLOCK_OUT_OF_ORDER',
    });
    store.close();
    expect(errorOf(() => store.commit({ blockNum: 2, blockHash: new Uint8Array(32), blockBytes: new Uint8Array(1), txs: [], state: [], history: [] }))).toMatchObject({
      code: 'LEDGER_CLOSED',
    });
  });

  it('answers repeated point reads from a cache that commits, failed commits and state resets keep exact', () => {
    const { manager, ledger, chain } = ledgerWithBlocks(3);
    const read = (l: Ledger, key: string): string | undefined => l.newQueryExecutor().getState('cc', key)?.toString();
    const writeBehindItsBack = (key: string, value: string): void => {
      const side = new Database(path.join(dir, 'ch1_state.sqlite'));
      side.prepare("UPDATE state SET value = ? WHERE ns = 'cc' AND key = ?").run(Buffer.from(value), key);
      side.close();
    };
    expect([read(ledger, 'k1'), read(ledger, 'fresh')]).toEqual(['v1', undefined]);
    // A change SQLite sees but the ledger did not make shows only for keys not yet cached.
    writeBehindItsBack('k1', 'elsewhere');
    writeBehindItsBack('k2', 'elsewhere');
    expect([read(ledger, 'k1'), read(ledger, 'k2')]).toEqual(['v1', 'elsewhere']);

    // A commit drops the keys it writes, present or absent before.
    ledger.commit(chain.block([write('t3', 'k1', 'v1b'), write('t4', 'fresh', 'f')]));
    expect([read(ledger, 'k1'), read(ledger, 'fresh')]).toEqual(['v1b', 'f']);
    manager.close();

    // So does a commit that fails half-way: nothing of it is read back.
    const direct = new SqliteLedgerStoreProvider({ rootDir: dir }).open('ch1');
    expect(direct.state.get('cc', 'k1')?.value.toString()).toBe('v1b');
    expect(direct.state.get('cc', 'never')).toBeUndefined();
    const failed = errorOf(() =>
      direct.commit({
        blockNum: 4,
        blockHash: new Uint8Array(32).fill(4),
        blockBytes: new Uint8Array([4]),
        txs: [{ txId: 'half', txNum: 0, validationCode: 0 }],
        state: [
          { namespace: 'cc', key: 'k1', value: Buffer.from('rolled back'), version: { blockNum: 4, txNum: 0 } },
          { namespace: 'cc', key: 'never', value: Buffer.from('rolled back'), version: { blockNum: 4, txNum: 0 } },
          { namespace: undefined as unknown as string, key: 'broken', value: Buffer.from('x'), version: { blockNum: 4, txNum: 0 } },
        ],
        history: [],
      }),
    );
    expect(failed).toMatchObject({ code: 'LEDGER_STORE_FAILED' });
    expect([direct.state.get('cc', 'k1')?.value.toString(), direct.state.get('cc', 'never')]).toEqual(['v1b', undefined]);
    // A state reset forgets everything it had cached.
    direct.resetStateAndHistory();
    expect(direct.state.get('cc', 'k1')).toBeUndefined();
    direct.close();

    // With the cache off, every read is SQLite's.
    const uncached = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir, stateCacheEntries: 0 })).open('ch1');
    expect(read(uncached, 'k2')).toBe('v2');
    writeBehindItsBack('k2', 'seen at once');
    expect(read(uncached, 'k2')).toBe('seen at once');
    uncached.close();
  });

  it('keeps a block file and a state file per channel in WAL mode, listed and removed together', () => {
    const provider = new SqliteLedgerStoreProvider({ rootDir: dir, synchronous: 'FULL' });
    provider.open('alpha').close();
    provider.open('beta').close();
    expect(fs.readdirSync(dir).sort()).toEqual(['alpha.sqlite', 'alpha_state.sqlite', 'beta.sqlite', 'beta_state.sqlite']);
    expect(provider.list()).toEqual(['alpha', 'beta']);
    const open = provider.open('beta');
    expect(errorOf(() => provider.remove('beta'))).toMatchObject({ code: 'LEDGER_ALREADY_OPEN' });
    open.close();
    provider.remove('beta');
    expect([provider.list(), provider.exists('beta'), fs.readdirSync(dir).sort()]).toEqual([['alpha'], false, ['alpha.sqlite', 'alpha_state.sqlite']]);
    for (const file of ['alpha.sqlite', 'alpha_state.sqlite']) {
      const db = new Database(path.join(dir, file), { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    }
    expect(errorOf(() => new SqliteLedgerStoreProvider({ rootDir: dir, synchronous: 'SOMETIMES' as 'FULL' }))).toMatchObject({ code: 'LEDGER_BAD_OPTIONS' });
    expect(errorOf(() => provider.open('../escape'))).toMatchObject({ code: 'LEDGER_BAD_CHANNEL_ID' });
  });

  it('opens a block file alone for a node without state: no state file, ordered appends, and a later full open replays the rest', () => {
    const provider = new SqliteLedgerStoreProvider({ rootDir: dir });
    const chain = new TestChain();
    const blocks = [chain.block([]), chain.block([write('t1', 'k1', 'v1')]), chain.block([write('t2', 'k1', 'v2')])];
    const store = provider.openBlocks('ch1');
    expect(errorOf(() => provider.open('ch1'))).toMatchObject({ code: 'LEDGER_ALREADY_OPEN' });
    for (const b of blocks) {
      // As a committer stores them: every transaction valid.
      setTransactionsFilter(b, new Uint8Array(b.getData()!.getDataList().length));
      const header = b.getHeader()!;
      store.append({ blockNum: header.getNumber(), blockHash: blockHeaderHash(header), blockBytes: b.serializeBinary(), txs: [] });
    }
    expect(errorOf(() => store.append({ blockNum: 5, blockHash: new Uint8Array(32), blockBytes: new Uint8Array(1), txs: [] }))).toMatchObject({
      code: 'LEDGER_BLOCK_OUT_OF_ORDER',
    });
    // A block number already taken is refused before anything is written.
    expect(errorOf(() => store.append({ blockNum: 2, blockHash: new Uint8Array(32), blockBytes: new Uint8Array(1), txs: [] }))).toMatchObject({
      code: 'LEDGER_BLOCK_OUT_OF_ORDER',
    });
    expect([store.blocks.height(), Buffer.from(store.blocks.getBlockBytes(2)!).equals(Buffer.from(blocks[2].serializeBinary()))]).toEqual([3, true]);
    store.close();
    expect(errorOf(() => store.append({ blockNum: 3, blockHash: new Uint8Array(32), blockBytes: new Uint8Array(1), txs: [] }))).toMatchObject({
      code: 'LEDGER_CLOSED',
    });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.sqlite'))).toEqual(['ch1.sqlite']);
    expect(provider.list()).toEqual(['ch1']);

    expect(storeHeights()).toEqual({ blocks: 3, state: 0, history: 0 });
    const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    const ledger = manager.open('ch1');
    expect(ledger.newQueryExecutor().getState('cc', 'k1')?.toString()).toBe('v2');
    expect([...ledger.newQueryExecutor().getHistoryForKey('cc', 'k1')].map((m) => m.txId)).toEqual(['t2', 't1']);
    manager.close();
  });

  it('lets the state WAL grow to stateWalToDatabaseRatio times the state database before checkpointing it', () => {
    let run = 0;
    const peakWalPages = (ratio: number, walAutocheckpointPages = 1): number => {
      const rootDir = path.join(dir, `run${run++}`);
      const options = { rootDir, walAutocheckpointPages, stateWalToDatabaseRatio: ratio };
      const chain = new TestChain();
      const first = new LedgerManagerImpl(new SqliteLedgerStoreProvider(options));
      const created = first.create('ch1', chain.block([]));
      for (let i = 1; i <= 40; i++) created.commit(chain.block([write(`a${i}`, `k${i}`, 'x'.repeat(3000))]));
      first.close();
      // Reopened, the policy sizes the WAL from the ~45-page database: 4x is ~180 pages.
      const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider(options));
      const ledger = manager.open('ch1');
      for (let i = 1; i <= 40; i++) ledger.commit(chain.block([write(`b${i}`, `k${i}`, 'y'.repeat(3000))]));
      // A WAL file keeps its largest size when SQLite restarts it after a checkpoint; closing deletes it.
      const pages = Math.ceil(fs.statSync(path.join(rootDir, 'ch1_state.sqlite-wal')).size / 4096);
      const q = ledger.newQueryExecutor();
      expect(Buffer.from(q.getState('cc', 'k40') ?? []).toString()).toBe('y'.repeat(3000));
      q.done();
      manager.close();
      return pages;
    };
    // Each block adds ~3 WAL pages, so 40 blocks without a checkpoint leave ~120.
    expect(peakWalPages(0)).toBeLessThanOrEqual(10);
    const atTheDatabaseSize = peakWalPages(1);
    expect(atTheDatabaseSize).toBeGreaterThanOrEqual(30);
    expect(atTheDatabaseSize).toBeLessThanOrEqual(80);
    expect(peakWalPages(4)).toBeGreaterThanOrEqual(110);
    // walAutocheckpointPages 0 turns automatic checkpoints off, and the ratio leaves them off.
    expect(peakWalPages(1, 0)).toBeGreaterThanOrEqual(110);
    expect(errorOf(() => new SqliteLedgerStoreProvider({ rootDir: dir, stateWalToDatabaseRatio: -1 }))).toMatchObject({ code: 'LEDGER_BAD_OPTIONS' });
  });

  it('binds LedgerManager and the store provider from the node config', async () => {
    expect(manifest).toMatchObject({ name: 'ledger-sqlite', slots: ['ledger'] });
    expect(loadPlugin('ledger-sqlite', process.cwd()).manifest.name).toBe('ledger-sqlite');
    const config = parseNodeConfig(
      { id: 'peer0', kind: 'peer', dataDir: dir, msp: { id: 'Org1MSP', dir: 'msp' }, plugins: { ledger: { plugin: 'ledger-sqlite', options: { maxKeySize: 100 } } } },
      dir,
    );
    const container = new Container();
    container.bind(NodeConfigToken).toConstantValue(config);
    await container.load(module);
    const manager = container.get<LedgerManager>(LedgerManager);
    expect(container.get<LedgerManager>(LedgerManager)).toBe(manager);
    const ledger = manager.create('ch1');
    expect(fs.existsSync(path.join(dir, 'ledgers', 'ch1.sqlite'))).toBe(true);
    expect(errorOf(() => ledger.newTxSimulator('t').setState('cc', 'k'.repeat(101), Buffer.from('v')))).toMatchObject({ code: 'LEDGER_KEY_TOO_LARGE' });
    manager.close();

    const bad = parseNodeConfig({ ...config, plugins: { ledger: { plugin: 'ledger-sqlite', options: { cacheSize: 1 } } } }, dir);
    const c2 = new Container();
    c2.bind(NodeConfigToken).toConstantValue(bad);
    await c2.load(module);
    expect(errorOf(() => c2.get(LedgerManager))).toMatchObject({ message: expect.stringContaining('cacheSize') });
    const c3 = new Container();
    await c3.load(module);
    expect(errorOf(() => c3.get(LedgerManager))).toMatchObject({ message: expect.stringContaining('NodeConfigToken') });
  });
});
