/** Snapshots in the conformance suite: export, create from a snapshot, and what such a ledger answers (jest globals). */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode as V } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dumpState } from './conformance-blocks';
import { configTx, type Fixture, makeFixture, type ProviderFactory, str, utf8 } from './conformance-fixture';
import type { Ledger } from './ledger';
import { LedgerManagerImpl } from './ledger-manager-impl';
import { type ConfigHistoryEntry, configHistoryFiles } from './snapshot-config-history';
import { readSnapshotMetadata, SNAPSHOT_SIGNABLE_METADATA_FILE } from './snapshot-metadata';
import { buildRwSetEnvelope, TestChain } from './test-blocks';

const copy = (b: Block): Block => Block.deserializeBinary(b.serializeBinary());

/** A collection config history as the peer exports it (values stand for `CollectionConfigPackage` bytes: the ledger keeps them as they are). */
const HISTORY: readonly ConfigHistoryEntry[] = [
  { chaincode: 'p', blockNum: 2, collections: utf8('p at 2') },
  { chaincode: 'pd', blockNum: 1, collections: utf8('pd at 1') },
  { chaincode: 'pd', blockNum: 3, collections: utf8('pd at 3') },
];
/** Fabric's key order: `pd~collection` before `p~collection` ('d' < '~'), a chaincode's newest block first. */
const HISTORY_IN_KEY_ORDER = [HISTORY[2], HISTORY[1], HISTORY[0]];

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

export function snapshotConformance(makeProvider: ProviderFactory): void {
  describe('snapshots', () => {
    let f: Fixture;
    let blocks: Block[];
    const others: { dir: string; manager: LedgerManagerImpl }[] = [];

    /** A manager over a new directory, removed after the test. */
    function otherManager(): { dir: string; manager: LedgerManagerImpl } {
      const dir = fs.mkdtempSync(path.join(f.dir, 'other-'));
      const o = { dir, manager: new LedgerManagerImpl(makeProvider(dir)) };
      others.push(o);
      return o;
    }

    beforeEach(() => {
      f = makeFixture(makeProvider);
      blocks = [];
      const commit = (envelopes: Uint8Array[], codes?: number[], pvt?: Map<number, Uint8Array>): void => {
        const block = f.chain.block(envelopes);
        f.ledger.commit(block, codes, pvt);
        // After the commit: the copy carries the TRANSACTIONS_FILTER, which another ledger's commit then takes.
        blocks.push(copy(block));
      };
      commit([configTx('cfg0', 'config-0')]);
      const sim = f.ledger.newTxSimulator('t1');
      sim.setState('cc', 'a', utf8('1'));
      sim.setState('cc', 'b', utf8('2'));
      sim.setState('cc', 'c', utf8('3'));
      sim.setStateMetadata('cc', 'b', { VALIDATION_PARAMETER: utf8('policy') });
      sim.setPrivateData('cc', 'coll', 'k', utf8('secret'));
      sim.setState('cc2', 'x', utf8('9'));
      const t1 = buildRwSetEnvelope({ txId: 't1', rwset: sim.getTxSimulationResults(), channelId: 'ch1' });
      const pvt = sim.getPrivateSimulationResults() as Uint8Array;
      sim.done();
      commit([t1], undefined, new Map([[0, pvt]]));
      commit([
        f.tx('t2', (s) => {
          s.deleteState('cc', 'c');
          s.setState('cc', 'a', utf8('10'));
        }),
        f.tx('t3', (s) => s.setState('cc', 'z', utf8('invalid'))),
      ], [V.VALID, V.ENDORSEMENT_POLICY_FAILURE]);
      commit([configTx('cfg3', 'config-3')]);
      commit([f.tx('t4', (s) => s.setState('cc', 'd', utf8('4')))]);
    });

    afterEach(() => {
      for (const o of others.splice(0)) o.manager.close();
      f.close();
    });

    it('keeps the newest config transaction in state, as Fabric does', () => {
      expect(str(f.ledger.channelConfigEnvelope())).toBe('config-3');
      f.reopen();
      expect(str(f.ledger.channelConfigEnvelope())).toBe('config-3');
      // Namespace "" is nobody's chaincode: not readable through a query executor.
      expect(() => f.ledger.newQueryExecutor().getState('', 'CHANNEL_CONFIG_ENV_BYTES')).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_NAMESPACE' }));
    });

    it('creates from its snapshot a ledger with the same state, txids and chain, that goes on from the next block only', async () => {
      const snap = path.join(f.dir, 'snap');
      const info = f.ledger.getBlockchainInfo();
      const exp = f.ledger.exportSnapshot(snap, configHistoryFiles(HISTORY));
      await exp.captured;
      const metadata = await exp.done;
      expect(metadata.lastBlockNumber).toBe(4);
      expect(fs.readFileSync(path.join(snap, 'confighistory.data'))).toEqual(Buffer.from(configHistoryFiles(HISTORY)[0].bytes));
      expect(f.ledger.importedConfigHistory()).toEqual([]);
      expect([...metadata.fileHashes.keys()].sort()).toEqual(
        ['confighistory.data', 'confighistory.metadata', 'private_state_hashes.data', 'private_state_hashes.metadata', 'public_state.data', 'public_state.metadata', 'txids.data', 'txids.metadata'].sort(),
      );
      expect(readSnapshotMetadata(snap)).toEqual(metadata);
      expect(fs.readdirSync(f.dir).filter((n) => n.includes('partial'))).toEqual([]);

      const { dir, manager } = otherManager();
      let progress = 0;
      const b = await manager.createFromSnapshot(snap, (n) => (progress = n));
      expect(progress).toBeGreaterThan(0);
      const same = (l: Ledger): void => {
        expect(l.height()).toBe(5);
        expect(l.getBlockchainInfo()).toEqual(info);
        expect(l.firstBlockNumber()).toBe(5);
        expect(l.snapshotBootstrap()).toEqual({ lastBlockNumber: 4, lastBlockHash: info.currentBlockHash, previousBlockHash: info.previousBlockHash, snapshotHash: metadata.snapshotHash });
        expect(l.getBlockByNumber(4)).toBeUndefined();
        expect(l.getBlockByNumber(0)).toBeUndefined();
        expect(dumpState({ ledger: l } as Fixture)).toEqual(dumpState(f));
        expect(dumpState({ ledger: l } as Fixture, 'cc2')).toEqual(dumpState(f, 'cc2'));
        const q = l.newQueryExecutor();
        expect(q.getStateMetadata('cc', 'b')).toEqual(f.ledger.newQueryExecutor().getStateMetadata('cc', 'b'));
        expect(q.getPrivateDataHash('cc', 'coll', 'k')).toEqual(f.ledger.newQueryExecutor().getPrivateDataHash('cc', 'coll', 'k'));
        // Private values are not in a snapshot (Fabric exports only their hashes): this peer lacks the committed value.
        expect(() => q.getPrivateData('cc', 'coll', 'k')).toThrow(expect.objectContaining({ code: 'LEDGER_PVT_DATA_UNAVAILABLE' }));
        q.done();
        expect(str(l.channelConfigEnvelope())).toBe('config-3');
        for (const id of ['cfg0', 't1', 't2', 't3', 't4']) expect(l.getTransactionById(id)).toEqual({ txId: id, blockNum: 4, txNum: -1, validationCode: 254, envelope: new Uint8Array(0), fromSnapshot: true });
        expect(l.getTransactionById('nope')).toBeUndefined();
        expect(l.importedConfigHistory()).toEqual(HISTORY_IN_KEY_ORDER);
      };
      same(b);
      expect(await codeOf(() => b.rebuild())).toBe('LEDGER_BOOTSTRAPPED_FROM_SNAPSHOT');
      expect(await codeOf(() => b.rollback(4))).toBe('LEDGER_BOOTSTRAPPED_FROM_SNAPSHOT');
      same(b);

      // Export again before any block: the same snapshot hash (every key, value, version and metadata came across).
      const again = await b.exportSnapshot(path.join(f.dir, 'snap-again'), configHistoryFiles(b.importedConfigHistory())).done;
      expect(Buffer.from(again.snapshotHash).toString('hex')).toBe(Buffer.from(metadata.snapshotHash).toString('hex'));

      // The next block must be block 5, chained to block 4's hash.
      const next = TestChain.after(blocks[4]);
      const t5 = f.tx('t5', (s) => s.setState('cc', 'a', utf8('11')));
      const dup = f.tx('t1', (s) => s.setState('cc', 'q', utf8('dup')));
      const block5 = next.block([t5, dup]);
      const wrong = new TestChain(5, new Uint8Array(32).fill(7)).block([t5]);
      expect(await codeOf(() => b.commit(wrong))).toBe('LEDGER_BAD_BLOCK');
      expect(await codeOf(() => b.commit(copy(blocks[3])))).toBe('LEDGER_BLOCK_OUT_OF_ORDER');
      expect(b.commit(copy(block5)).validationCodes).toEqual([V.VALID, V.DUPLICATE_TXID]);
      expect(b.getTransactionById('t5')).toMatchObject({ blockNum: 5, txNum: 0, validationCode: V.VALID });
      expect([...b.newQueryExecutor().getHistoryForKey('cc', 'a')].map((m) => m.txId)).toEqual(['t5']);

      // Reopened: the bootstrap, the chain and the state persist.
      manager.close();
      const reopened = new LedgerManagerImpl(makeProvider(dir));
      others.push({ dir, manager: reopened });
      const r = reopened.open('ch1');
      expect(r.height()).toBe(6);
      expect(r.snapshotBootstrap()?.lastBlockNumber).toBe(4);
      expect(r.getBlockByNumber(5)).toBeDefined();
      expect(r.importedConfigHistory()).toEqual(HISTORY_IN_KEY_ORDER);
      expect(r.getTransactionById('t1')?.fromSnapshot).toBe(true);
      expect(str(r.newQueryExecutor().getState('cc', 'a'))).toBe('11');
      expect(await codeOf(() => r.rebuild())).toBe('LEDGER_BOOTSTRAPPED_FROM_SNAPSHOT');
      expect(r.commit(next.block([f.tx('t6', (s) => s.setState('cc', 'e', utf8('6')))])).validationCodes).toEqual([V.VALID]);
    });

    it('gives equal snapshot hashes for two ledgers that committed the same blocks', async () => {
      const { manager } = otherManager();
      const other = manager.create('ch1');
      for (const block of blocks) other.commit(copy(block));
      const a = await f.ledger.exportSnapshot(path.join(f.dir, 'a')).done;
      const b = await other.exportSnapshot(path.join(f.dir, 'b')).done;
      expect(b).toEqual(a);
      for (const name of a.fileHashes.keys()) expect(fs.readFileSync(path.join(f.dir, 'b', name))).toEqual(fs.readFileSync(path.join(f.dir, 'a', name)));
      expect(fs.readFileSync(path.join(f.dir, 'b', SNAPSHOT_SIGNABLE_METADATA_FILE))).toEqual(fs.readFileSync(path.join(f.dir, 'a', SNAPSHOT_SIGNABLE_METADATA_FILE)));
    });

    it('holds the state at the export height when blocks commit after `captured`', async () => {
      const before = dumpState(f);
      const exp = f.ledger.exportSnapshot(path.join(f.dir, 'snap'));
      await exp.captured;
      for (let i = 0; i < 3; i++) f.commit([f.tx(`late${i}`, (s) => s.setState('cc', 'a', utf8(`late${i}`)))]);
      const metadata = await exp.done;
      expect(metadata.lastBlockNumber).toBe(4);
      const { manager } = otherManager();
      const b = await manager.createFromSnapshot(path.join(f.dir, 'snap'));
      expect(dumpState({ ledger: b } as Fixture)).toEqual(before);
      expect(b.getTransactionById('late0')).toBeUndefined();
    });

    it('fails, leaving nothing, when a block commits before `captured`', async () => {
      const exp = f.ledger.exportSnapshot(path.join(f.dir, 'moved'));
      // At once: the export's thread has not taken its view yet.
      f.commit([f.tx('early', (s) => s.setState('cc', 'a', utf8('early')))]);
      expect(await codeOf(exp.done)).toBe('LEDGER_SNAPSHOT_MOVED');
      expect(await codeOf(exp.captured)).toBe('LEDGER_SNAPSHOT_MOVED');
      expect(fs.readdirSync(f.dir).filter((n) => n.includes('moved'))).toEqual([]);
    });

    it('refuses an export into an existing directory, of an empty ledger, or with a bad extra file, writing nothing', async () => {
      fs.mkdirSync(path.join(f.dir, 'there'));
      expect(await codeOf(() => f.ledger.exportSnapshot(path.join(f.dir, 'there')))).toBe('LEDGER_SNAPSHOT_EXISTS');
      for (const name of ['../x', 'txids.data', '_snapshot_signable_metadata.json', '']) {
        expect(await codeOf(() => f.ledger.exportSnapshot(path.join(f.dir, 'bad'), [{ name, bytes: utf8('x') }]))).toBe('LEDGER_BAD_SNAPSHOT');
      }
      const { manager } = otherManager();
      expect(await codeOf(() => manager.create('ch2').exportSnapshot(path.join(f.dir, 'empty')))).toBe('LEDGER_SNAPSHOT_EMPTY');
      expect(fs.readdirSync(f.dir).filter((n) => n === 'bad' || n === 'empty' || n.includes('partial'))).toEqual([]);
    });

    it('refuses a snapshot whose collection config history files do not agree, creating no ledger', async () => {
      const [data, meta] = configHistoryFiles(HISTORY);
      const cases: [string, { name: string; bytes: Uint8Array }[], string][] = [
        ['data alone', [data], 'confighistory.metadata'],
        ['one entry more counted', [data, { name: meta.name, bytes: Uint8Array.of(1, 4) }], 'confighistory.data'],
        ['a key of another shape', configHistoryFiles([{ chaincode: 'pd', blockNum: 1, collections: utf8('x') }]).map((file, i) => (i === 0 ? { ...file, bytes: Buffer.from(file.bytes).fill(0x61, 2, 3) } : file)), 'confighistory.data'],
        ['an entry past the snapshot', configHistoryFiles([{ chaincode: 'pd', blockNum: 5, collections: utf8('x') }]), 'confighistory.data'],
      ];
      for (const [name, files, blamed] of cases) {
        const snap = path.join(f.dir, `bad-history-${cases.findIndex((c) => c[0] === name)}`);
        await f.ledger.exportSnapshot(snap, files).done;
        const { manager } = otherManager();
        const err = await manager.createFromSnapshot(snap).then(
          () => undefined,
          (e: unknown) => e as { code?: string; details?: { file?: string } },
        );
        expect({ name, code: err?.code, file: err?.details?.file }).toEqual({ name, code: 'LEDGER_BAD_SNAPSHOT', file: blamed });
        expect(manager.list()).toEqual([]);
      }
    });

    it('refuses a snapshot of a channel that already has a ledger', async () => {
      const snap = path.join(f.dir, 'snap');
      await f.ledger.exportSnapshot(snap).done;
      expect(await codeOf(f.manager.createFromSnapshot(snap))).toBe('LEDGER_CHANNEL_EXISTS');
    });
  });
}
