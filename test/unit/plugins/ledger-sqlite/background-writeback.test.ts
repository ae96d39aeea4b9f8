import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LedgerManagerImpl, RwSetBuilder, type Ledger } from '../../../../core/ledger';
import { buildRwSetEnvelope, TestChain } from '../../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider, type SqliteLedgerOptions } from '../../../../plugins/ledger-sqlite';
import type { SqliteChannelStore } from '../../../../plugins/ledger-sqlite/sqlite-channel-store';

/** A provider that remembers the stores it opened, to read their writeback counters. */
class WatchedProvider extends SqliteLedgerStoreProvider {
  readonly stores: SqliteChannelStore[] = [];
  override open(channelId: string): SqliteChannelStore {
    const store = super.open(channelId);
    this.stores.push(store);
    return store;
  }
}

const VALUE = Buffer.alloc(4000, 'w');
let txn = 0;

/** A block of `keys` writes of ~4 KB each: about one WAL page per key. */
function block(chain: TestChain, keys: number, keySpace: number): ReturnType<TestChain['block']> {
  const envs: Uint8Array[] = [];
  for (let i = 0; i < keys; i++) {
    const rw = new RwSetBuilder();
    rw.addWrite('cc', `k${(txn * 7919) % keySpace}`, VALUE);
    envs.push(buildRwSetEnvelope({ txId: `t${txn++}`, rwset: rw.build().serializeBinary(), channelId: 'ch1' }));
  }
  return chain.block(envs);
}

async function until(what: string, done: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Descriptors of this process open on the channel's files. */
function fdsOn(dir: string): string[] {
  return fs
    .readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(dir));
}

/** POSIX locks this process holds on a file (from /proc/locks, matched by inode). */
function locksOn(file: string): number {
  const ino = fs.statSync(file).ino;
  return fs
    .readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .filter((l) => /\bPOSIX\b/.test(l) && l.split(/\s+/)[4] === String(process.pid) && l.split(/\s+/)[5]?.endsWith(`:${ino}`)).length;
}

describe('ledger-sqlite background writeback', () => {
  let dir: string;
  let manager: LedgerManagerImpl | undefined;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-writeback-'))));
  afterEach(() => {
    manager?.close();
    manager = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function open(options: Partial<SqliteLedgerOptions>): { provider: WatchedProvider; ledger: Ledger; chain: TestChain } {
    const provider = new WatchedProvider({ rootDir: dir, ...options });
    manager = new LedgerManagerImpl(provider);
    const chain = new TestChain();
    return { provider, ledger: manager.create('ch1', chain.block([])), chain };
  }

  it('syncs each WAL in the background whenever it has grown by writebackEveryMiB', async () => {
    // No checkpoints: only the WAL-growth syncs can happen.
    const { provider, ledger, chain } = open({ writebackEveryMiB: 1, walAutocheckpointPages: 0 });
    const store = provider.stores[0]!;
    for (let b = 0; b < 6; b++) ledger.commit(block(chain, 100, 1_000_000)); // ~0.4 MB of state WAL per block
    await until('WAL syncs', () => store.writeback.syncs().wal >= 3);
    await new Promise((r) => setTimeout(r, 500)); // its last look after the last commit, with room for a loaded host
    expect(store.writeback.syncs().database).toBe(0);
    const walSyncs = store.writeback.syncs().wal;
    // ~7 MB of WAL in all (values in the state, the blocks and the history), synced every 1 MiB.
    expect(walSyncs).toBeLessThanOrEqual(8);
    // An idle ledger is left alone.
    await new Promise((r) => setTimeout(r, 200));
    expect(store.writeback.syncs().wal).toBe(walSyncs);
  });

  it("looks only at the files of the channel being written, not at every channel's on each commit", async () => {
    const { provider, ledger, chain } = open({ writebackEveryMiB: 1 });
    manager!.create('ch2', new TestChain().block([]));
    const [written, idle] = provider.stores as [SqliteChannelStore, SqliteChannelStore];
    // Each file is looked at once after it is added and after its genesis block is written.
    await until('the first looks', () => idle.writeback.looks() > 0 && written.writeback.looks() > 0);
    await new Promise((r) => setTimeout(r, 100));
    const idleLooks = idle.writeback.looks();
    const writtenLooks = written.writeback.looks();
    for (let b = 0; b < 20; b++) {
      ledger.commit(block(chain, 20, 1000));
      await new Promise((r) => setTimeout(r, 10)); // the thread's turn after each commit
    }
    await until('looks at the written channel', () => written.writeback.looks() >= writtenLooks + 20);
    expect(idle.writeback.looks()).toBe(idleLooks);
  });

  it('syncs the database while a checkpoint copies into it, and commits stay exact', async () => {
    const { provider, ledger, chain } = open({ writebackEveryMiB: 1, walAutocheckpointPages: 1000 });
    const store = provider.stores[0]!;
    for (let b = 0; b < 200 && store.writeback.syncs().database === 0; b++) ledger.commit(block(chain, 100, 20_000));
    expect(store.writeback.syncs().database).toBeGreaterThan(0);
    const q = ledger.newQueryExecutor();
    expect(Buffer.from(q.getState('cc', `k${((txn - 1) * 7919) % 20_000}`)!)).toEqual(VALUE);
    q.done();
  });

  it('is off with writebackEveryMiB 0 and with synchronous OFF', () => {
    for (const options of [{ writebackEveryMiB: 0 }, { synchronous: 'OFF' as const }]) {
      const { provider, ledger, chain } = open(options);
      ledger.commit(block(chain, 10, 100));
      // Only SQLite's own descriptor of each WAL index.
      expect(fdsOn(dir).filter((f) => f.endsWith('-shm')).sort()).toEqual([path.join(dir, 'ch1.sqlite-shm'), path.join(dir, 'ch1_state.sqlite-shm')]);
      expect(provider.stores[0]!.writeback.syncs()).toEqual({ wal: 0, database: 0 });
      manager!.close();
      manager = undefined;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
    }
  });

  it('closes its descriptors after SQLite closes, so a reopened ledger keeps its POSIX locks', async () => {
    const { ledger, chain } = open({ writebackEveryMiB: 1 });
    ledger.commit(block(chain, 10, 100));
    const file = path.join(dir, 'ch1.sqlite');
    expect(fdsOn(dir).filter((f) => f.endsWith('ch1.sqlite-shm'))).toHaveLength(2); // SQLite's and the writeback's
    manager!.close();
    expect(fdsOn(dir)).toEqual([]);

    // Reopen at once: the previous store's descriptors are gone before the new connection locks.
    manager = new LedgerManagerImpl(new WatchedProvider({ rootDir: dir, writebackEveryMiB: 1 }));
    const reopened = manager.open('ch1');
    expect(locksOn(file + '-shm')).toBeGreaterThan(0);
    const held = locksOn(file + '-shm');
    reopened.commit(block(chain, 50, 100));
    await new Promise((r) => setTimeout(r, 50));
    expect(locksOn(file + '-shm')).toBe(held);
    expect(reopened.height()).toBe(3);
  });
});
