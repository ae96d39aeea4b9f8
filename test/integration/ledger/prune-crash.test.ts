/**
 * Kills a child process with SIGKILL at random points of `KvLedger.prune` (the block file's
 * transaction and the vacuum after it), and checks after each kill that the ledger opens, is either
 * the whole old ledger or the pruned one, holds the same state, and that a retried prune succeeds.
 * Then the same during `KvLedger.pruneOnline`'s steps: the reopened ledger is pruned through the
 * snapshot's block, the blocks the kill left below it deleted, and the next block commits.
 */
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LedgerManagerImpl } from '../../../core/ledger/ledger-manager-impl';
import type { Ledger } from '../../../core/ledger/ledger';
import { KvLedger } from '../../../core/ledger/kv-ledger';
import { readConfigHistoryFiles } from '../../../core/ledger/snapshot-config-history';
import { verifySnapshotFiles } from '../../../core/ledger/snapshot-metadata';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { runAndKillChild } from '../../support/kill-child';

const CHILD = path.join(__dirname, 'fixtures', 'prune-child.js');
const KILLS = Number(process.env.WEFT_CRASH_KILLS ?? 6);
const BLOCKS = 20;
/** The snapshot's last block: the prune deletes blocks 0..SNAPSHOT_BLOCK. */
const SNAPSHOT_BLOCK = 14;
const KEYS_PER_BLOCK = 500;

const manager = (rootDir: string): LedgerManagerImpl => new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir }));

/** Every key, value and version of namespace `cc`, hashed. */
function stateDigest(ledger: Ledger): string {
  const hash = createHash('sha256');
  const q = ledger.newQueryExecutor();
  try {
    for (const kv of q.getStateRange('cc', '', '')) hash.update(`${kv.key}\u0000${Buffer.from(kv.value).toString('hex')}\u0000`);
  } finally {
    q.done();
  }
  return hash.digest('hex');
}

describe('prune killed part way', () => {
  let work: string;
  let source: string;
  let snapshot: string;
  let digest: string;
  let lastBlock: Uint8Array;
  /** Block BLOCKS, built on the source ledger but not committed: each copy commits it after its kill. */
  let nextBlock: Uint8Array;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-prunecrash-'));
    source = path.join(work, 'source');
    snapshot = path.join(work, 'snapshot');
    const m = manager(source);
    const ledger = m.create('prch');
    const chain = new TestChain();
    for (let b = 0; b < BLOCKS; b++) {
      const sim = ledger.newTxSimulator(`tx${b}`);
      for (let k = 0; k < KEYS_PER_BLOCK; k++) sim.setState('cc', `key-${b}-${k}`, Buffer.from(`value ${b} ${k} `.repeat(16)));
      ledger.commit(chain.block([buildRwSetEnvelope({ txId: `tx${b}`, rwset: sim.getTxSimulationResults(), channelId: 'prch' })]));
      sim.done();
      if (b === SNAPSHOT_BLOCK) await ledger.exportSnapshot(snapshot).done;
    }
    digest = stateDigest(ledger);
    lastBlock = ledger.getBlockByNumber(BLOCKS - 1)!.serializeBinary();
    const sim = ledger.newTxSimulator('next');
    sim.setState('cc', 'next', Buffer.from('next'));
    nextBlock = chain.block([buildRwSetEnvelope({ txId: 'next', rwset: sim.getTxSimulationResults(), channelId: 'prch' })]).serializeBinary();
    sim.done();
    m.close();
  }, 120_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('leaves the old ledger or the pruned one, state unchanged, and the prune can be run again', async () => {
    const metadata = await verifySnapshotFiles(snapshot);
    const history = readConfigHistoryFiles(snapshot, new Set(metadata.fileHashes.keys()), metadata.lastBlockNumber);
    let cut = 0;
    let pruned = 0;
    for (let i = 0; i < KILLS; i++) {
      const root = path.join(work, `prune-${i}`);
      fs.cpSync(source, root, { recursive: true });
      // Spread over the prune (delete and vacuum, some tens of ms here): early kills land in it, late ones after.
      const out = await runAndKillChild(CHILD, [root, snapshot], 'started', () => Math.floor((i * 200) / KILLS));
      const finished = out.includes('finished');
      if (!finished) cut++;
      const m = manager(root);
      try {
        const ledger = m.open('prch') as KvLedger;
        const first = ledger.firstBlockNumber();
        if (finished) expect(first).toBe(SNAPSHOT_BLOCK + 1);
        else expect([0, SNAPSHOT_BLOCK + 1]).toContain(first);
        if (first > 0) pruned++;
        expect(ledger.height()).toBe(BLOCKS);
        expect(stateDigest(ledger)).toBe(digest);
        expect(ledger.getBlockByNumber(BLOCKS - 1)!.serializeBinary()).toEqual(lastBlock);
        expect(ledger.getBlockByNumber(0) === undefined).toBe(first > 0);
        expect(ledger.getTransactionById('tx3')?.fromSnapshot === true).toBe(first > 0);
        if (first === 0) {
          expect(ledger.importedConfigHistory()).toEqual([]);
          const bootstrap = { lastBlockNumber: metadata.lastBlockNumber, lastBlockHash: metadata.lastBlockHash, previousBlockHash: metadata.previousBlockHash, snapshotHash: metadata.snapshotHash };
          expect(ledger.prune(bootstrap, history, { vacuum: true }).blocksRemoved).toBe(SNAPSHOT_BLOCK + 1);
          expect(ledger.firstBlockNumber()).toBe(SNAPSHOT_BLOCK + 1);
        }
      } finally {
        m.close();
      }
      const again = manager(root);
      try {
        const ledger = again.open('prch');
        expect(ledger.firstBlockNumber()).toBe(SNAPSHOT_BLOCK + 1);
        expect(stateDigest(ledger)).toBe(digest);
      } finally {
        again.close();
      }
      fs.rmSync(root, { recursive: true, force: true });
    }
    expect(cut).toBeGreaterThan(0);
    // Some kills also land after the commit (during the vacuum or later): both outcomes are seen.
    expect(pruned).toBeGreaterThan(0);
  }, 300_000);

  it('leaves a ledger pruned through the snapshot when the online prune is killed between its steps; the next open deletes what is left', async () => {
    let leftBehind = 0;
    for (let i = 0; i < KILLS; i++) {
      const root = path.join(work, `online-${i}`);
      fs.cpSync(source, root, { recursive: true });
      // Counted from the first step, which follows the cut: the kills land among the later ones or after the last.
      const out = await runAndKillChild(CHILD, [root, snapshot, 'online'], 'step', () => Math.floor((i * 12) / KILLS));
      const onDisk = new Database(path.join(root, 'prch.sqlite'), { readonly: true });
      try {
        if ((onDisk.prepare('SELECT min(num) FROM blocks').pluck().get() as number) <= SNAPSHOT_BLOCK) leftBehind++;
      } finally {
        onDisk.close();
      }
      const m = manager(root);
      try {
        const ledger = m.open('prch') as KvLedger;
        expect(ledger.firstBlockNumber()).toBe(SNAPSHOT_BLOCK + 1);
        for (let b = 0; b <= SNAPSHOT_BLOCK; b++) expect(ledger.getBlockByNumber(b)).toBeUndefined();
        expect(ledger.getTransactionById('tx3')).toEqual(expect.objectContaining({ blockNum: SNAPSHOT_BLOCK, fromSnapshot: true }));
        expect(ledger.getTransactionById(`tx${SNAPSHOT_BLOCK + 1}`)).toEqual(expect.objectContaining({ blockNum: SNAPSHOT_BLOCK + 1, txNum: 0 }));
        expect(ledger.getBlockByNumber(BLOCKS - 1)!.serializeBinary()).toEqual(lastBlock);
        expect(stateDigest(ledger)).toBe(digest);
        expect(ledger.importedConfigHistory()).toEqual([]);
        expect(ledger.commit(Block.deserializeBinary(nextBlock)).validationCodes).toEqual([0]);
        expect(out.includes('finished') || out.includes('step')).toBe(true);
      } finally {
        m.close();
      }
      fs.rmSync(root, { recursive: true, force: true });
    }
    // At least one kill landed between two steps, so the reopen had blocks to finish deleting.
    expect(leftBehind).toBeGreaterThan(0);
  }, 300_000);
});
