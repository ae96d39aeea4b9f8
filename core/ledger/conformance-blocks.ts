/** Conformance: commit, MVCC, block and transaction queries, history, recovery (jest globals). */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { blockHeaderHash, getTransactionsFilter } from '../protocol/block';
import { makeFixture, str, utf8, type Fixture } from './conformance-fixture';
import type { LedgerStoreProvider } from './ledger-store-provider';
import { LedgerManagerImpl } from './ledger-manager-impl';
import { RwSetBuilder } from './rwset-builder';
import { buildRwSetEnvelope } from './test-blocks';

const V = TxValidationCode;

/** Every key of a namespace with its value and version (versions read back from a simulator's read set). */
export function dumpState(f: Fixture, ns = 'cc'): [string, string | undefined, number, number][] {
  const sim = f.ledger.newTxSimulator('dump');
  const kvs = [...sim.getStateRange(ns, '', '')];
  // Point reads record each key's version in the read set, which a long range would only hash.
  for (const kv of kvs) sim.getState(ns, kv.key);
  const nsSet = TxReadWriteSet.deserializeBinary(sim.getTxSimulationResults()).getNsRwsetList()[0];
  const reads = nsSet === undefined ? [] : KVRWSet.deserializeBinary(nsSet.getRwset_asU8()).getReadsList();
  sim.done();
  return reads.map((r, i) => [r.getKey(), str(kvs[i].value), r.getVersion()?.getBlockNum() ?? -1, r.getVersion()?.getTxNum() ?? -1]);
}

/** The code of the `LedgerError` that `fn` throws, or undefined when it does not throw. */
function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect((e as Error).name).toBe('LedgerError');
    return (e as { code: string }).code;
  }
  return undefined;
}

export function blockConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe('commit and MVCC', () => {
    let f: Fixture;
    beforeEach(() => {
      f = makeFixture(makeProvider, { maxValueSize: 1024 });
      f.commit([f.tx('seed', (s) => (s.setState('cc', 'a', utf8('1')), s.setState('cc', 'b', utf8('2'))))]);
    });
    afterEach(() => f.close());

    it('commits writes with versions (block, tx), stores the filter, indexes txids and blocks', () => {
      const { block, codes } = f.commit([f.tx('t1', (s) => s.setState('cc', 'x', utf8('X'))), f.tx('t2', (s) => s.setState('cc', 'y', utf8('Y')))]);
      expect(codes).toEqual([V.VALID, V.VALID]);
      expect(f.ledger.height()).toBe(2);
      expect(str(f.ledger.newQueryExecutor().getState('cc', 'y'))).toBe('Y');
      const stored = f.ledger.getBlockByNumber(1);
      expect([...getTransactionsFilter(stored!)]).toEqual([0, 0]);
      expect(Buffer.from(stored!.getHeader()!.serializeBinary()).equals(Buffer.from(block.getHeader()!.serializeBinary()))).toBe(true);
      expect(f.ledger.getBlockByHash(blockHeaderHash(block.getHeader()!))?.getHeader()?.getNumber()).toBe(1);
      expect(f.ledger.getBlockByNumber(2)).toBeUndefined();
      const info0 = f.ledger.getBlockchainInfo();
      expect(info0.height).toBe(2);
      expect(Buffer.from(info0.currentBlockHash).equals(Buffer.from(blockHeaderHash(block.getHeader()!)))).toBe(true);
      expect(Buffer.from(info0.previousBlockHash).equals(Buffer.from(block.getHeader()!.getPreviousHash_asU8()))).toBe(true);
      expect(f.ledger.getBlockByHash(new Uint8Array(32))).toBeUndefined();
      const info = f.ledger.getTransactionById('t2');
      expect(info && { b: info.blockNum, t: info.txNum, c: info.validationCode }).toEqual({ b: 1, t: 1, c: V.VALID });
      expect(Buffer.from(info!.envelope).equals(Buffer.from(block.getData()!.getDataList_asU8()[1]))).toBe(true);
      expect(f.ledger.getTransactionById('nope')).toBeUndefined();
    });

    it('marks a read of a key written earlier in the block, or of a stale version, MVCC_READ_CONFLICT', () => {
      const t1 = f.tx('t1', (s) => (s.getState('cc', 'a'), s.setState('cc', 'a', utf8('t1'))));
      const t2 = f.tx('t2', (s) => (s.getState('cc', 'a'), s.setState('cc', 'a', utf8('t2'))));
      const t3 = f.tx('t3', (s) => (s.getState('cc', 'b'), s.setState('cc', 'c', utf8('t3'))));
      expect(f.commit([t1, t2, t3]).codes).toEqual([V.VALID, V.MVCC_READ_CONFLICT, V.VALID]);
      expect(str(f.ledger.newQueryExecutor().getState('cc', 'a'))).toBe('t1');
      // Simulated before block 2 touched 'a', committed after: stale.
      const stale = f.tx('t4', (s) => (s.getState('cc', 'a'), s.setState('cc', 'z', utf8('z'))));
      f.commit([f.tx('t5', (s) => s.setState('cc', 'a', utf8('t5')))]);
      expect(f.commit([stale]).codes).toEqual([V.MVCC_READ_CONFLICT]);
      expect(f.ledger.newQueryExecutor().getState('cc', 'z')).toBeUndefined();
      expect(f.ledger.getTransactionById('t4')?.validationCode).toBe(V.MVCC_READ_CONFLICT);
    });

    it('re-executes ranges against earlier writes of the block and committed state', () => {
      const scanA = f.tx('s1', (s) => {
        [...s.getStateRange('cc', 'a', 'c')].forEach(() => undefined);
        s.setState('cc', 'o1', utf8('1'));
      });
      const scanB = f.tx('s2', (s) => {
        [...s.getStateRange('cc', 'a', 'c')].forEach(() => undefined);
        s.setState('cc', 'o2', utf8('1'));
      });
      const partial = f.tx('s3', (s) => (s.getStateRange('cc', 'a', '')[Symbol.iterator]().next(), s.setState('cc', 'o3', utf8('1'))));
      const insert = f.tx('ins', (s) => s.setState('cc', 'aa', utf8('new')));
      const outside = f.tx('out', (s) => s.setState('cc', 'zz', utf8('new')));
      expect(f.commit([scanA, outside, insert, scanB, partial]).codes).toEqual([V.VALID, V.VALID, V.VALID, V.PHANTOM_READ_CONFLICT, V.VALID]);
      const scanC = f.tx('s4', (s) => {
        [...s.getStateRange('cc', 'a', 'c')].forEach(() => undefined);
        s.setState('cc', 'o4', utf8('1'));
      });
      const del = f.tx('del', (s) => s.deleteState('cc', 'b'));
      f.commit([del]);
      expect(f.commit([scanC]).codes).toEqual([V.PHANTOM_READ_CONFLICT]);
    });

    it('applies only VALID transactions of the peer codes; undecodable and duplicate txs are invalid', () => {
      const ok = f.tx('ok', (s) => s.setState('cc', 'k1', utf8('1')));
      const rejected = f.tx('rej', (s) => s.setState('cc', 'k2', utf8('2')));
      const garbage = new Uint8Array([0xff, 0xff, 0xff]);
      const dupInBlock = f.tx('ok', (s) => s.setState('cc', 'k3', utf8('3')));
      const dupOld = f.tx('seed', (s) => s.setState('cc', 'k4', utf8('4')));
      const { codes } = f.commit([ok, rejected, garbage, dupInBlock, dupOld], [V.VALID, V.ENDORSEMENT_POLICY_FAILURE, V.VALID, V.VALID, V.VALID]);
      expect(codes).toEqual([V.VALID, V.ENDORSEMENT_POLICY_FAILURE, V.BAD_PAYLOAD, V.DUPLICATE_TXID, V.DUPLICATE_TXID]);
      const q = f.ledger.newQueryExecutor();
      expect(['k1', 'k2', 'k3', 'k4'].map((k) => str(q.getState('cc', k)))).toEqual(['1', undefined, undefined, undefined]);
      expect(f.ledger.getTransactionById('ok')?.txNum).toBe(0);
      expect(f.ledger.getTransactionById('rej')?.validationCode).toBe(V.ENDORSEMENT_POLICY_FAILURE);
      expect(f.ledger.getTransactionById('seed')?.blockNum).toBe(0);
    });

    it('marks a block write with an empty key INVALID_WRITESET, takes a plain key Fabric takes; size limits apply at endorsement only', () => {
      const raw = (txId: string, key: string, value: Uint8Array): Uint8Array => {
        const b = new RwSetBuilder();
        b.addWrite('cc', key, value);
        return buildRwSetEnvelope({ txId, rwset: b.build().serializeBinary(), channelId: 'ch1' });
      };
      // Node-configured limits could differ between peers; a block must validate the same everywhere.
      // Fabric's LevelDB state takes any key: a Go chaincode's PutState("\x00x") commits VALID on Fabric peers.
      const { codes } = f.commit([raw('big', 'big', new Uint8Array(2000)), raw('nul', '\u0000x', utf8('v')), raw('empty', '', utf8('v')), raw('fine', 'fine', utf8('v'))]);
      expect(codes).toEqual([V.VALID, V.VALID, V.INVALID_WRITESET, V.VALID]);
      const q = f.ledger.newQueryExecutor();
      expect([q.getState('cc', 'big')?.length, str(q.getState('cc', '\u0000x')), str(q.getState('cc', 'fine'))]).toEqual([2000, 'v', 'v']);
      expect(() => f.ledger.newTxSimulator('again').setState('cc', 'big', new Uint8Array(2000))).toThrow(expect.objectContaining({ code: 'LEDGER_VALUE_TOO_LARGE' }));
    });

    it('refuses a block out of order or off the chain, writing nothing', () => {
      const b = f.chain.block([f.tx('late', (s) => s.setState('cc', 'late', utf8('1')))]);
      const skipped = f.chain.block([f.tx('later', (s) => s.setState('cc', 'later', utf8('1')))]);
      expect(() => f.ledger.commit(skipped)).toThrow(expect.objectContaining({ code: 'LEDGER_BLOCK_OUT_OF_ORDER' }));
      b.getHeader()!.setPreviousHash(new Uint8Array(32).fill(9));
      expect(() => f.ledger.commit(b)).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_BLOCK' }));
      b.getHeader()!.setPreviousHash(blockHeaderHash(f.ledger.getBlockByNumber(0)!.getHeader()!));
      b.getHeader()!.setDataHash(new Uint8Array(32));
      expect(() => f.ledger.commit(b)).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_BLOCK' }));
      expect(() => f.ledger.commit(b, [0, 0])).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_BLOCK' }));
      expect(f.ledger.height()).toBe(1);
      expect(f.ledger.newQueryExecutor().getState('cc', 'late')).toBeUndefined();
    });

    it('answers bad arguments to every ledger method with undefined or a typed error', () => {
      expect(code(() => f.ledger.commit('block' as never))).toBe('LEDGER_BAD_BLOCK');
      expect(code(() => f.ledger.commit(f.chain.block([]), [300] as never))).toBe('LEDGER_BAD_BLOCK');
      for (const n of [-1, 1.5, NaN, '0' as unknown as number]) expect(f.ledger.getBlockByNumber(n)).toBeUndefined();
      expect(f.ledger.getBlockByHash('hash' as never)).toBeUndefined();
      expect(f.ledger.getTransactionById(7 as never)).toBeUndefined();
      expect(f.ledger.getTransactionById('')).toBeUndefined();
      expect(code(() => f.ledger.declareIndexes('', []))).toBe('LEDGER_BAD_NAMESPACE');
      expect(code(() => f.ledger.newQueryExecutor().getHistoryForKey('cc', 'k'.repeat(5000)))).toBe('LEDGER_KEY_TOO_LARGE');
      expect(code(() => f.ledger.newQueryExecutor().getStateRange('cc', 'a', 'b\uDC00'))).toBe('LEDGER_BAD_KEY');
      expect(f.ledger.height()).toBe(1);
    });

    it('applies metadata writes of a transaction after its value writes; metadata of a missing key is dropped', () => {
      f.commit([
        f.tx('md', (s) => {
          s.setState('cc', 'fresh', utf8('v'));
          s.setStateMetadata('cc', 'fresh', { VALIDATION_PARAMETER: utf8('p1') });
          s.setStateMetadata('cc', 'ghost', { VALIDATION_PARAMETER: utf8('p2') });
        }),
      ]);
      const q = f.ledger.newQueryExecutor();
      expect(str(q.getStateMetadata('cc', 'fresh')?.VALIDATION_PARAMETER)).toBe('p1');
      expect(q.getState('cc', 'ghost')).toBeUndefined();
      expect(q.getStateMetadata('cc', 'ghost')).toBeUndefined();
      f.commit([f.tx('clear', (s) => s.setStateMetadata('cc', 'fresh', {}))]);
      expect(f.ledger.newQueryExecutor().getStateMetadata('cc', 'fresh')).toBeUndefined();
      expect(str(f.ledger.newQueryExecutor().getState('cc', 'fresh'))).toBe('v');
    });

    it('returns history newest first with tx ids, timestamps and deletes, valid txs only', () => {
      f.commit([f.tx('h1', (s) => s.setState('cc', 'a', utf8('v1')))]);
      f.commit([f.tx('h2', (s) => s.deleteState('cc', 'a')), f.tx('h3', (s) => s.setState('cc', 'a', utf8('nope')))], [V.VALID, V.ENDORSEMENT_POLICY_FAILURE]);
      f.commit([f.tx('h4', (s) => s.setState('cc', 'a', utf8('v4')))]);
      const h = [...f.ledger.newQueryExecutor().getHistoryForKey('cc', 'a')];
      expect(h.map((m) => [m.txId, str(m.value), m.isDelete])).toEqual([
        ['h4', 'v4', false],
        ['h2', '', true],
        ['h1', 'v1', false],
        ['seed', '1', false],
      ]);
      expect(h[0].timestamp.seconds).toBeGreaterThan(h[1].timestamp.seconds);
      expect(h[0].timestamp.nanos).toBeGreaterThan(0);
      expect([...f.ledger.newQueryExecutor().getHistoryForKey('cc', 'never')]).toEqual([]);
    });

    it('returns a long history whole and in order, across the pages it is read in', () => {
      // More writes than one page (101, then 100), in several blocks and several per block.
      for (let b = 0; b < 5; b++) f.commit(Array.from({ length: 50 }, (_, t) => f.tx(`long-${b}-${t}`, (s) => s.setState('cc', 'long', utf8(`${b}.${t}`)))));
      const h = [...f.ledger.newQueryExecutor().getHistoryForKey('cc', 'long')];
      const expected = Array.from({ length: 250 }, (_, i) => `long-${4 - Math.floor(i / 50)}-${49 - (i % 50)}`);
      expect(h.map((m) => m.txId)).toEqual(expected);
    });

    it('recovers state and history from the block store on open, and rebuild reproduces them', () => {
      for (let i = 0; i < 5; i++) f.commit([f.tx(`r${i}`, (s) => (s.setState('cc', `k${i}`, utf8(`v${i}`)), s.deleteState('cc', `k${i - 2}`)))]);
      f.commit([f.tx('meta', (s) => s.setStateMetadata('cc', 'k4', { VALIDATION_PARAMETER: utf8('p') }))]);
      const before = dumpState(f);
      const historyBefore = [...f.ledger.newQueryExecutor().getHistoryForKey('cc', 'k3')];
      f.ledger.rebuild();
      expect(dumpState(f)).toEqual(before);
      expect([...f.ledger.newQueryExecutor().getHistoryForKey('cc', 'k3')]).toEqual(historyBefore);
      // State and history dropped behind the blocks' back: opening replays them.
      f.manager.close();
      const store = f.provider.open('ch1');
      store.resetStateAndHistory();
      expect(store.state.savepoint()).toBe(0);
      store.close();
      f.reopen();
      expect(dumpState(f)).toEqual(before);
      expect(str(f.ledger.newQueryExecutor().getStateMetadata('cc', 'k4')?.VALIDATION_PARAMETER)).toBe('p');
      expect([...f.ledger.newQueryExecutor().getHistoryForKey('cc', 'k3')]).toEqual(historyBefore);
      expect(f.ledger.height()).toBe(7);
      f.commit([f.tx('after', (s) => s.setState('cc', 'after', utf8('1')))]);
      expect(f.ledger.height()).toBe(8);
    });

    it('rolls back to a block: later blocks, txids, state and history are gone, and the same blocks commit again', () => {
      const states: ReturnType<typeof dumpState>[] = [];
      const blocks = [];
      for (let i = 0; i < 4; i++) {
        states.push(dumpState(f));
        blocks.push(f.commit([f.tx(`rb${i}`, (s) => (s.setState('cc', 'k', utf8(`v${i}`)), s.deleteState('cc', `k${i - 1}`), s.setState('cc', `k${i}`, utf8('x'))))]).block);
      }
      const fullState = dumpState(f);
      const height = f.ledger.height();
      expect(code(() => f.ledger.rollback(height - 1))).toBe('LEDGER_BAD_ROLLBACK');
      expect(code(() => f.ledger.rollback(-1))).toBe('LEDGER_BAD_ROLLBACK');
      expect(code(() => f.ledger.rollback(1.5))).toBe('LEDGER_BAD_ROLLBACK');
      const target = height - 4; // the block of rb0: rb1..rb3 go
      const refused = code(() => f.ledger.rollback(target));
      if (refused !== undefined) {
        expect(refused).toBe('LEDGER_ROLLBACK_UNSUPPORTED');
        expect(f.ledger.height()).toBe(height);
        expect(dumpState(f)).toEqual(fullState);
        return;
      }
      expect(f.ledger.height()).toBe(target + 1);
      expect(dumpState(f)).toEqual(states[1]);
      expect(f.ledger.getTransactionById('rb0')?.blockNum).toBe(target);
      expect(f.ledger.getTransactionById('rb1')).toBeUndefined();
      expect(f.ledger.getBlockByNumber(target + 1)).toBeUndefined();
      expect([...f.ledger.newQueryExecutor().getHistoryForKey('cc', 'k')].map((m) => m.txId)).toEqual(['rb0']);
      // The dropped blocks chain onto what is left: committing them again restores the ledger.
      f.reopen();
      for (const block of blocks.slice(1)) f.ledger.commit(block);
      expect(f.ledger.height()).toBe(height);
      expect(dumpState(f)).toEqual(fullState);
      expect(f.ledger.getTransactionById('rb3')?.validationCode).toBe(V.VALID);
    });

    it('keeps the private data of the blocks a rollback deletes, for their commit without it', () => {
      const sim = f.ledger.newTxSimulator('pvt');
      sim.setPrivateData('cc', 'coll', 'k', utf8('secret'));
      const rwset = sim.getTxSimulationResults();
      const pvt = sim.getPrivateSimulationResults() as Uint8Array;
      sim.done();
      const target = f.commit([]).block.getHeader()!.getNumber();
      const block = f.chain.block([buildRwSetEnvelope({ txId: 'pvt', rwset, channelId: 'ch1' })]);
      const again = Block.deserializeBinary(block.serializeBinary());
      f.ledger.commit(block, undefined, new Map([[0, pvt]]));
      const held = (): unknown => [str(f.ledger.newQueryExecutor().getPrivateData('cc', 'coll', 'k')), [...f.ledger.getPrivateDataByBlock(target + 1).values()]];
      expect(held()).toEqual(['secret', [pvt]]);
      if (code(() => f.ledger.rollback(target)) === 'LEDGER_ROLLBACK_UNSUPPORTED') return;
      expect(f.ledger.getPrivateDataByBlock(target + 1).size).toBe(0);
      // Pulled again from the ordering service, without the private data gossip may no longer have.
      f.reopen();
      expect(f.ledger.commit(again).pvtMissing).toEqual([]);
      expect(held()).toEqual(['secret', [pvt]]);
    });
  });

  describe('history index disabled', () => {
    it('commits without history and refuses history queries with a typed error', () => {
      const f = makeFixture(makeProvider, { historyEnabled: false });
      try {
        f.commit([f.tx('h', (s) => s.setState('cc', 'a', utf8('1')))]);
        expect(str(f.ledger.newQueryExecutor().getState('cc', 'a'))).toBe('1');
        expect(() => f.ledger.newQueryExecutor().getHistoryForKey('cc', 'a')).toThrow(expect.objectContaining({ code: 'LEDGER_HISTORY_DISABLED' }));
      } finally {
        f.close();
      }
    });
  });

  describe('ledger manager', () => {
    let f: Fixture;
    beforeEach(() => {
      f = makeFixture(makeProvider);
    });
    afterEach(() => f.close());

    it('creates, opens, lists channels and refuses unknown or bad ids', () => {
      const other = f.manager.create('other.ch-2', f.chain.block([]));
      expect(other.height()).toBe(1);
      expect(f.manager.list()).toEqual(['ch1', 'other.ch-2']);
      expect(f.manager.exists('ch1')).toBe(true);
      expect(f.manager.exists('nope')).toBe(false);
      expect(f.manager.open('ch1')).toBe(f.ledger);
      expect(() => f.manager.open('nope')).toThrow(expect.objectContaining({ code: 'LEDGER_UNKNOWN_CHANNEL' }));
      expect(() => f.manager.create('ch1')).toThrow(expect.objectContaining({ code: 'LEDGER_CHANNEL_EXISTS' }));
      expect(() => f.manager.open('../etc')).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_CHANNEL_ID' }));
      expect(() => f.manager.create('Upper')).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_CHANNEL_ID' }));
      f.manager.close();
      const again = new LedgerManagerImpl(makeProvider(f.dir));
      expect(again.list()).toEqual(['ch1', 'other.ch-2']);
      expect(again.open('other.ch-2').height()).toBe(1);
      again.close();
    });

    it('opens a block store alone (the orderer): ordered appends that survive a reopen', () => {
      const blocks = [f.chain.block([]), f.chain.block([])].map((b) => ({
        blockNum: b.getHeader()!.getNumber(),
        blockHash: blockHeaderHash(b.getHeader()!),
        blockBytes: b.serializeBinary(),
        txs: [],
      }));
      const store = f.provider.openBlocks('ord');
      for (const b of blocks) store.append(b);
      expect(() => store.append({ ...blocks[1], blockNum: 5 })).toThrow(expect.objectContaining({ code: 'LEDGER_BLOCK_OUT_OF_ORDER' }));
      expect(() => store.append(blocks[1])).toThrow(expect.objectContaining({ code: 'LEDGER_BLOCK_OUT_OF_ORDER' }));
      store.close();
      expect(() => store.append({ ...blocks[1], blockNum: 2 })).toThrow(expect.objectContaining({ code: 'LEDGER_CLOSED' }));
      expect(() => f.provider.openBlocks('../etc')).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_CHANNEL_ID' }));

      const again = makeProvider(f.dir).openBlocks('ord');
      expect(again.blocks.height()).toBe(2);
      expect(Buffer.from(again.blocks.getBlockBytes(1)!).equals(Buffer.from(blocks[1].blockBytes))).toBe(true);
      expect(again.blocks.getBlockNumberByHash(blocks[1].blockHash)).toBe(1);
      again.close();
      expect(f.provider.list()).toEqual(['ch1', 'ord']);
    });
  });
}
