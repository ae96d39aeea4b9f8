/**
 * Fabric's commit hash (metadata slot COMMIT_HASH) through the real SQLite ledger: every block from 1
 * carries the hash chained from the one before, stored in the block's own bytes; a ledger reopened,
 * recovered after a SIGKILL between its block and its state, rebuilt, rolled back or created from a
 * snapshot goes on with exactly the hashes of a ledger that committed the same blocks without stopping.
 * (The hash's bytes equal Fabric's: see test/unit/core/ledger/commit-hash.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import Database from 'better-sqlite3';
import { decodeLedgerTx, defaultLedgerOptions, type KvLedger, LedgerManagerImpl, MvccValidator } from '../../../core/ledger';
import { nextCommitHash, storedCommitHash, updateBatchBytes } from '../../../core/ledger/commit-hash';
import { SNAPSHOT_ADDITIONAL_METADATA_FILE } from '../../../core/ledger/snapshot-metadata';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import { getTransactionsFilter } from '../../../core/protocol/block';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { CC, CHANNEL, openCommitHashLedger, POLICY } from './commit-hash-ledgers';

const CHILD = path.join(__dirname, 'fixtures', 'commit-hash-child.js');
const BLOCKS = 9;
/** One value read from a SQLite file of a closed ledger. */
function readOne(file: string, sql: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).pluck().get();
  } finally {
    db.close();
  }
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const utf8 = (s: string): Uint8Array => Buffer.from(s);

describe('commit hash through the SQLite ledger', () => {
  let root = '';
  /** Block 0 and blocks 1..BLOCKS as the orderer sent them (before any ledger wrote into them). */
  let sent: Uint8Array[] = [];
  /** The commit hash, hex, of each block of the ledger that committed them all in one go ('' for block 0). */
  let reference: string[] = [];
  /**
   * The chain computed apart from the ledger: the same validation's update bytes, chained block by
   * block. The tests below compare with it, so a ledger that wrote no hash fails them too.
   */
  let expected: string[] = [];

  const block = (n: number): Block => Block.deserializeBinary(sent[n]);
  const hashes = (ledger: KvLedger): string[] => [...Array(ledger.height()).keys()].map((n) => hex(storedCommitHash(CHANNEL, ledger.getBlockByNumber(n) as Block)));
  const commitRange = (ledger: KvLedger, from: number, to: number): void => {
    for (let n = from; n <= to; n++) ledger.commit(block(n));
  };
  const dir = (name: string): string => path.join(root, name);

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-commit-hash-'));
    const { ledger, store } = openCommitHashLedger(dir('reference'));
    const chain = new TestChain();
    const genesis = chain.block([]);
    sent = [genesis.serializeBinary()];
    ledger.commit(genesis);
    let previous: Uint8Array = new Uint8Array(0);
    expected = [''];
    for (let n = 1; n <= BLOCKS; n++) {
      const simulate = (txId: string, body: (sim: ReturnType<KvLedger['newTxSimulator']>) => void): Uint8Array => {
        const sim = ledger.newTxSimulator(txId);
        body(sim);
        const rwset = sim.getTxSimulationResults();
        sim.done();
        return buildRwSetEnvelope({ txId, rwset, channelId: CHANNEL });
      };
      const writer = simulate(`w${n}`, (sim) => {
        sim.setState(CC, `k${n}`, utf8(`v${n}`));
        sim.setState(CC, 'shared', utf8(`shared${n}`));
        if (n % 3 === 0) sim.deleteState(CC, `k${n - 1}`);
        if (n === 4) sim.setStateMetadata(CC, 'k1', { VALIDATION_PARAMETER: utf8('ep') });
        sim.setPrivateData(CC, 'secrets', `p${n}`, utf8(`pv${n}`));
        // Lives one block: block n + 2 expires it.
        sim.setPrivateData(CC, 'short', `s${n}`, utf8(`sv${n}`));
      });
      // Reads what the writer before it in the block writes: an MVCC conflict, left out of the hash.
      const reader = simulate(`r${n}`, (sim) => {
        sim.getState(CC, 'shared');
        sim.setState(CC, `lost${n}`, utf8('never'));
      });
      const b = chain.block([writer, reader]);
      sent.push(b.serializeBinary());
      const txs = b.getData()?.getDataList_asU8().map((e, i) => decodeLedgerTx(e, i)) ?? [];
      const updates = MvccValidator.validate(store.state, defaultLedgerOptions, n, txs, [0, 0], false, { policy: POLICY });
      previous = nextCommitHash(Uint8Array.from(updates.codes), updateBatchBytes(n, updates.state, txs, updates.codes), previous);
      expected.push(hex(previous));
      ledger.commit(b);
    }
    reference = hashes(ledger);
    ledger.close();
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('every block from 1 carries the hash chained from the one before; block 0 none', () => {
    expect(reference).toEqual(expected);
    expect(reference[0]).toBe('');
    expect(new Set(reference.slice(1)).size).toBe(BLOCKS);
    for (const h of reference.slice(1)) expect(h).toHaveLength(64);
  });

  it('a ledger reopened part way goes on with the same hashes', () => {
    const first = openCommitHashLedger(dir('reopen')).ledger;
    commitRange(first, 0, 4);
    first.close();
    const again = openCommitHashLedger(dir('reopen')).ledger;
    commitRange(again, 5, BLOCKS);
    expect(hashes(again)).toEqual(expected);
    again.close();
  });

  it('a ledger killed between a block and its state recovers and goes on with the same hashes', () => {
    const killAt = 5;
    const blocksFile = path.join(root, 'kill-blocks.json');
    fs.writeFileSync(blocksFile, JSON.stringify(sent.map(hex)));
    const child = spawnSync(process.execPath, [CHILD, dir('killed'), blocksFile, String(killAt)], { encoding: 'utf8' });
    expect({ signal: child.signal, stderr: child.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    // The kill landed between the two files: the block file holds the block, the state file not its state.
    const files = { blocks: path.join(dir('killed'), `${CHANNEL}.sqlite`), state: path.join(dir('killed'), `${CHANNEL}_state.sqlite`) };
    const [newestBlock, stateSavepoint] = [
      readOne(files.blocks, 'SELECT max(num) FROM blocks'),
      readOne(files.state, "SELECT value FROM meta WHERE name = 'state_savepoint'"),
    ];
    expect([newestBlock, Number(stateSavepoint)]).toEqual([killAt, killAt]);
    const { ledger, store } = openCommitHashLedger(dir('killed'));
    // The killed block is whole, its hash with it; its state was replayed at open.
    expect(hex(storedCommitHash(CHANNEL, ledger.getBlockByNumber(killAt) as Block))).toBe(expected[killAt]);
    expect(store.state.savepoint()).toBe(killAt + 1);
    commitRange(ledger, killAt + 1, BLOCKS);
    expect(hashes(ledger)).toEqual(expected);
    ledger.close();
  });

  it('a rebuild keeps the hashes, and the blocks after it chain on', () => {
    const { ledger } = openCommitHashLedger(dir('rebuilt'));
    commitRange(ledger, 0, 6);
    ledger.rebuild();
    commitRange(ledger, 7, BLOCKS);
    expect(hashes(ledger)).toEqual(expected);
    ledger.close();
  });

  it('a rollback chains the blocks committed again from the hash of the block it kept', () => {
    const { ledger } = openCommitHashLedger(dir('rolled-back'));
    commitRange(ledger, 0, BLOCKS);
    ledger.rollback(3);
    expect(hashes(ledger)).toEqual(expected.slice(0, 4));
    commitRange(ledger, 4, BLOCKS);
    expect(hashes(ledger)).toEqual(expected);
    ledger.close();
  });

  describe('snapshots', () => {
    const last = 7;
    let snapshot = '';
    const additional = (): string => path.join(snapshot, SNAPSHOT_ADDITIONAL_METADATA_FILE);
    /** Sets the snapshot's `last_block_commit_hash` (outside `snapshot_hash`, which covers only the signable file). */
    const setCommitHashField = (value: unknown): void => {
      const json = JSON.parse(fs.readFileSync(additional(), 'utf8')) as Record<string, unknown>;
      fs.chmodSync(additional(), 0o644);
      fs.writeFileSync(additional(), JSON.stringify({ ...json, last_block_commit_hash: value }));
    };
    const importTo = async (name: string): Promise<KvLedger> => {
      const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir(name) }));
      (await manager.createFromSnapshot(snapshot)).close();
      return openCommitHashLedger(dir(name)).ledger;
    };

    beforeAll(async () => {
      const { ledger } = openCommitHashLedger(dir('exporter'));
      commitRange(ledger, 0, last);
      snapshot = dir('snapshot');
      await ledger.exportSnapshot(snapshot).done;
      ledger.close();
    });

    it('exports the commit hash of its last block as last_block_commit_hash', () => {
      expect((JSON.parse(fs.readFileSync(additional(), 'utf8')) as Record<string, unknown>).last_block_commit_hash).toBe(expected[last]);
    });

    it('a ledger created from a snapshot chains its first block from the snapshot last_block_commit_hash; from one without (Fabric writes "") starts none, as in Fabric', async () => {
      const ledger = await importTo('imported');
      commitRange(ledger, last + 1, BLOCKS);
      expect([last + 1, last + 2].map((n) => hex(storedCommitHash(CHANNEL, ledger.getBlockByNumber(n) as Block)))).toEqual(expected.slice(last + 1));
      ledger.close();
      // Reopened: its newest block is its own now, and the chain goes on from there.
      const reopened = openCommitHashLedger(dir('imported')).ledger;
      expect(hex(storedCommitHash(CHANNEL, reopened.getBlockByNumber(BLOCKS) as Block))).toBe(expected[BLOCKS]);
      reopened.close();
      // A snapshot without one starts no chain.
      setCommitHashField('');
      const without = await importTo('imported-without');
      commitRange(without, last + 1, BLOCKS);
      expect(storedCommitHash(CHANNEL, without.getBlockByNumber(last + 1) as Block)).toHaveLength(0);
      expect(getTransactionsFilter(without.getBlockByNumber(last + 1) as Block)).toHaveLength(2);
      without.close();
    });

    it('a ledger pruned through its newest block keeps that block\'s hash for the next one', async () => {
      const { ledger } = openCommitHashLedger(dir('pruned'));
      commitRange(ledger, 0, last);
      const own = dir('pruned-snapshot');
      const m = await ledger.exportSnapshot(own).done;
      ledger.prune({ lastBlockNumber: m.lastBlockNumber, lastBlockHash: m.lastBlockHash, previousBlockHash: m.previousBlockHash, snapshotHash: m.snapshotHash }, [], { vacuum: false });
      ledger.close();
      const reopened = openCommitHashLedger(dir('pruned')).ledger;
      expect(reopened.getBlockByNumber(last)).toBeUndefined();
      commitRange(reopened, last + 1, BLOCKS);
      expect([last + 1, last + 2].map((n) => hex(storedCommitHash(CHANNEL, reopened.getBlockByNumber(n) as Block)))).toEqual(expected.slice(last + 1));
      reopened.close();
    });

    it('refuses a last_block_commit_hash that is not a 32-byte lowercase hex string, naming it', async () => {
      setCommitHashField('ABCD');
      const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir('refused') }));
      await expect(manager.createFromSnapshot(snapshot)).rejects.toMatchObject({
        code: 'LEDGER_BAD_SNAPSHOT',
        message: expect.stringContaining('last_block_commit_hash must be a 32-byte lowercase hex string') as unknown,
      });
      expect(manager.exists(CHANNEL)).toBe(false);
    });
  });
});
