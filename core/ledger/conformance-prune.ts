/** Pruning blocks below a snapshot in place (`ChannelLedgerStore.pruneBlocks`, `weft peer prune`), jest globals. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode as V } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import * as path from 'node:path';
import { dumpState } from './conformance-blocks';
import { configTx, type Fixture, makeFixture, type ProviderFactory, str, utf8 } from './conformance-fixture';
import { KvLedger } from './kv-ledger';
import type { SnapshotBootstrap, SnapshotMetadata } from './snapshot';
import { type ConfigHistoryEntry, configHistoryFiles, readConfigHistoryFiles } from './snapshot-config-history';
import { verifySnapshotFiles } from './snapshot-metadata';
import { buildRwSetEnvelope } from './test-blocks';

const HISTORY: readonly ConfigHistoryEntry[] = [
  { chaincode: 'pd', blockNum: 1, collections: utf8('pd at 1') },
  { chaincode: 'pd', blockNum: 2, collections: utf8('pd at 2') },
];

const bytesEq = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

const bootstrapOf = (m: SnapshotMetadata): SnapshotBootstrap => ({
  lastBlockNumber: m.lastBlockNumber,
  lastBlockHash: m.lastBlockHash,
  previousBlockHash: m.previousBlockHash,
  snapshotHash: m.snapshotHash,
});

export function pruneConformance(makeProvider: ProviderFactory): void {
  describe('pruning blocks below a snapshot', () => {
    let f: Fixture;
    /** Taken at block 2 while the chain was committed (`snap4` at block 4 is read from its directory). */
    let snap2: SnapshotMetadata;

    const kv = (): KvLedger => f.ledger as KvLedger;
    async function snapshot(name: string): Promise<SnapshotMetadata> {
      const exp = f.ledger.exportSnapshot(path.join(f.dir, name), configHistoryFiles(HISTORY.filter((e) => e.blockNum < f.ledger.height())));
      await exp.captured;
      return exp.done;
    }
    async function prune(name: string, vacuum = true): Promise<ReturnType<KvLedger['prune']>> {
      const dir = path.join(f.dir, name);
      const m = await verifySnapshotFiles(dir);
      return kv().prune(bootstrapOf(m), readConfigHistoryFiles(dir, new Set(m.fileHashes.keys()), m.lastBlockNumber), { vacuum });
    }
    async function pruneOnline(name: string, onChunk?: (removed: number) => void): Promise<Awaited<ReturnType<KvLedger['pruneOnline']>>> {
      const dir = path.join(f.dir, name);
      const m = await verifySnapshotFiles(dir);
      return kv().pruneOnline(bootstrapOf(m), readConfigHistoryFiles(dir, new Set(m.fileHashes.keys()), m.lastBlockNumber), { chunkBlocks: 1, onChunk });
    }

    beforeEach(async () => {
      f = makeFixture(makeProvider);
      f.commit([configTx('cfg0', 'config-0')]);
      const sim = f.ledger.newTxSimulator('t1');
      sim.setState('cc', 'a', utf8('1'));
      sim.setState('cc', 'b', utf8('2'));
      sim.setPrivateData('cc', 'coll', 'k', utf8('secret'));
      const t1 = buildRwSetEnvelope({ txId: 't1', rwset: sim.getTxSimulationResults(), channelId: 'ch1' });
      const pvt = sim.getPrivateSimulationResults() as Uint8Array;
      sim.done();
      f.ledger.commit(f.chain.block([t1]), undefined, new Map([[0, pvt]]));
      f.commit([configTx('cfg2', 'config-2')]);
      snap2 = await snapshot('snap2');
      f.commit([f.tx('t3', (s) => s.setState('cc', 'a', utf8('3')))]);
      f.commit([f.tx('t4', (s) => s.deleteState('cc', 'b'))]);
      await snapshot('snap4');
      f.commit([f.tx('t5', (s) => s.setState('cc', 'c', utf8('5')))]);
    });
    afterEach(() => f.close());

    it('deletes the blocks up to the snapshot and keeps later blocks, state, private data, txids and history', async () => {
      if (!(f.ledger instanceof KvLedger)) return;
      const before = { state: dumpState(f), pvt: f.ledger.newQueryExecutor().getPrivateData('cc', 'coll', 'k'), pvtBlock: f.ledger.getPrivateDataByBlock(1) };
      const later = [3, 4, 5].map((n) => f.ledger.getBlockByNumber(n)?.serializeBinary());
      const info = f.ledger.getBlockchainInfo();
      const result = await prune('snap2');
      expect(result.blocksRemoved).toBe(3);
      expect(result.bytesBefore).toBeGreaterThan(0);
      expect(result.bytesAfter).toBeGreaterThan(0);
      const check = (): void => {
        expect(f.ledger.firstBlockNumber()).toBe(3);
        expect(f.ledger.snapshotBootstrap()).toEqual(bootstrapOf(snap2));
        for (const n of [0, 1, 2]) expect(f.ledger.getBlockByNumber(n)).toBeUndefined();
        expect([3, 4, 5].map((n) => f.ledger.getBlockByNumber(n)?.serializeBinary())).toEqual(later);
        expect(f.ledger.getBlockchainInfo()).toEqual(info);
        expect(dumpState(f)).toEqual(before.state);
        expect(str(f.ledger.newQueryExecutor().getPrivateData('cc', 'coll', 'k'))).toBe(str(before.pvt));
        // Another peer's reconciliation may still ask for it.
        expect(f.ledger.getPrivateDataByBlock(1)).toEqual(before.pvtBlock);
        expect(f.ledger.getTransactionById('t1')).toEqual(expect.objectContaining({ blockNum: 2, fromSnapshot: true }));
        expect(f.ledger.getTransactionById('t3')).toEqual(expect.objectContaining({ blockNum: 3, txNum: 0, validationCode: V.VALID }));
        expect([...f.ledger.newQueryExecutor().getHistoryForKey('cc', 'a')].map((m) => m.txId)).toEqual(['t3', 't1']);
        // The config of a pruned config block is kept in state, where a snapshot-joined ledger has it.
        expect(str(f.ledger.channelConfigEnvelope())).toBe('config-2');
        // Key order: a chaincode's newest entry first.
        expect(f.ledger.importedConfigHistory()).toEqual([HISTORY[1], HISTORY[0]]);
        expect(codeOf(() => f.ledger.rebuild())).toBe('LEDGER_BOOTSTRAPPED_FROM_SNAPSHOT');
        expect(codeOf(() => f.ledger.rollback(4))).toBe('LEDGER_BOOTSTRAPPED_FROM_SNAPSHOT');
      };
      check();
      f.reopen();
      check();
      // A replayed old txid is still a duplicate, and the chain goes on.
      const { codes } = f.commit([f.tx('t1', (s) => s.setState('cc', 'z', utf8('again'))), f.tx('t6', (s) => s.setState('cc', 'd', utf8('6')))]);
      expect(codes).toEqual([V.DUPLICATE_TXID, V.VALID]);
      expect(f.ledger.height()).toBe(7);
    });

    it('exports afterwards the snapshot an unpruned ledger exports at the same block', async () => {
      if (!(f.ledger instanceof KvLedger)) return;
      const unpruned = await snapshot('unpruned-6');
      await prune('snap4');
      const pruned = await snapshot('pruned-6');
      expect(Buffer.from(pruned.snapshotHash).toString('hex')).toBe(Buffer.from(unpruned.snapshotHash).toString('hex'));
    });

    it('prunes again to a later snapshot, down to the newest block, and chains the next block to the snapshot', async () => {
      if (!(f.ledger instanceof KvLedger)) return;
      await prune('snap2', false);
      expect((await prune('snap4')).blocksRemoved).toBe(2);
      expect(f.ledger.firstBlockNumber()).toBe(5);
      f.commit([f.tx('t6', (s) => s.setState('cc', 'e', utf8('6')))]);
      const last = await snapshot('snap6');
      await prune('snap6');
      expect(f.ledger.height()).toBe(7);
      for (const n of [4, 5, 6]) expect(f.ledger.getBlockByNumber(n)).toBeUndefined();
      f.reopen();
      expect(f.ledger.getBlockchainInfo().currentBlockHash).toEqual(last.lastBlockHash);
      expect(f.ledger.getTransactionById('t5')).toEqual(expect.objectContaining({ blockNum: 6, fromSnapshot: true }));
      // A block that does not chain to the snapshot's is refused; the next one commits.
      const good = f.chain.block([f.tx('t7', (s) => s.setState('cc', 'f', utf8('7')))]);
      const stray = Block.deserializeBinary(good.serializeBinary());
      stray.getHeader()?.setPreviousHash(utf8('not the snapshot block'));
      expect(codeOf(() => f.ledger.commit(stray))).toBe('LEDGER_BAD_BLOCK');
      f.ledger.commit(good);
      expect(f.ledger.height()).toBe(8);
    });

    it('prunes a serving ledger a block per transaction: pruned for readers from the first step, commits in between kept', async () => {
      if (!(f.ledger instanceof KvLedger)) return;
      const before = dumpState(f);
      const later = [3, 4, 5].map((n) => f.ledger.getBlockByNumber(n)?.serializeBinary());
      const seen: { removed: number; first: number; held: boolean[] }[] = [];
      let n = 0;
      const result = await pruneOnline('snap2', (removed) => {
        // Every step runs between two commits: the ledger reads as pruned, later blocks whole.
        seen.push({ removed, first: f.ledger.firstBlockNumber(), held: [3, 4, 5].map((b, i) => bytesEq(f.ledger.getBlockByNumber(b)?.serializeBinary(), later[i])) });
        f.commit([f.tx(`during${n}`, (s) => s.setState('cc', `during${n}`, utf8(String(n))))]);
        n++;
      });
      expect(result).toEqual(expect.objectContaining({ blocksRemoved: 3 }));
      expect(result.longestHoldMs).toBeGreaterThanOrEqual(0);
      // Steps re-pointing txids first, then one per block.
      expect(seen.slice(-3).map((s) => s.removed)).toEqual([1, 2, 3]);
      expect(seen.every((s) => s.first === 3 && s.held.every(Boolean))).toBe(true);
      expect(f.ledger.height()).toBe(6 + n);
      const check = (): void => {
        for (const b of [0, 1, 2]) expect(f.ledger.getBlockByNumber(b)).toBeUndefined();
        expect(f.ledger.snapshotBootstrap()).toEqual(bootstrapOf(snap2));
        expect(f.ledger.getTransactionById('t1')).toEqual(expect.objectContaining({ blockNum: 2, fromSnapshot: true }));
        expect(f.ledger.getTransactionById(`during${n - 1}`)).toEqual(expect.objectContaining({ blockNum: 5 + n, txNum: 0, validationCode: V.VALID }));
        expect(dumpState(f)).toEqual([...before, ...Array.from({ length: n }, (_, i) => [`during${i}`, String(i), 6 + i, 0])]);
        expect(f.ledger.importedConfigHistory()).toEqual([HISTORY[1], HISTORY[0]]);
      };
      check();
      f.reopen();
      check();
    });

    it('leaves a serving ledger as the offline prune does: the same snapshot afterwards', async () => {
      if (!(f.ledger instanceof KvLedger)) return;
      const unpruned = await snapshot('unpruned-6');
      await pruneOnline('snap4');
      const pruned = await snapshot('online-6');
      expect(Buffer.from(pruned.snapshotHash).toString('hex')).toBe(Buffer.from(unpruned.snapshotHash).toString('hex'));
      expect(f.ledger.firstBlockNumber()).toBe(5);
      // Refused as the offline prune refuses, before its first step.
      await expect(pruneOnline('snap2')).rejects.toEqual(expect.objectContaining({ code: 'LEDGER_BAD_PRUNE', details: expect.objectContaining({ field: 'lastBlockNumber' }) }));
    });

    it('refuses a snapshot not of this ledger, one at or past its height, and one at or below an earlier prune, writing nothing', async () => {
      if (!(f.ledger instanceof KvLedger)) return;
      const state = dumpState(f);
      const wrongHash = { ...bootstrapOf(snap2), lastBlockHash: new Uint8Array(32) };
      expect(() => kv().prune(wrongHash, [], { vacuum: true })).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_PRUNE', details: expect.objectContaining({ field: 'lastBlockHash' }) }));
      const ahead = { ...bootstrapOf(snap2), lastBlockNumber: 6 };
      expect(() => kv().prune(ahead, [], { vacuum: true })).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_PRUNE', details: expect.objectContaining({ field: 'lastBlockNumber' }) }));
      expect(f.ledger.firstBlockNumber()).toBe(0);
      expect(f.ledger.getBlockByNumber(0)).toBeDefined();
      expect(f.ledger.importedConfigHistory()).toEqual([]);
      await prune('snap4');
      expect(() => kv().prune(bootstrapOf(snap2), [], { vacuum: true })).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_PRUNE', details: expect.objectContaining({ field: 'lastBlockNumber' }) }));
      f.reopen();
      expect(f.ledger.firstBlockNumber()).toBe(5);
      expect(dumpState(f)).toEqual(state);
    });
  });
}
