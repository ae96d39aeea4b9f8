/** Conformance: range queries recorded as Fabric records them, and their phantom checks at commit (jest globals). */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRead, KVRWSet, QueryReads, type RangeQueryInfo, Version } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { makeFixture, utf8, type Fixture } from './conformance-fixture';
import type { LedgerStoreProvider } from './ledger-store-provider';
import type { TxSimulator } from './tx-simulator';

const V = TxValidationCode;
/** Keys m000 … m129: more than 50, so a full scan records a Merkle summary of three leaves. */
const KEYS = Array.from({ length: 130 }, (_, i) => `m${String(i).padStart(3, '0')}`);

function rangeInfos(f: Fixture, body: (sim: TxSimulator) => void): RangeQueryInfo[] {
  const sim = f.ledger.newTxSimulator('inspect');
  body(sim);
  const ns = TxReadWriteSet.deserializeBinary(sim.getTxSimulationResults()).getNsRwsetList()[0];
  sim.done();
  return ns === undefined ? [] : KVRWSet.deserializeBinary(ns.getRwset_asU8()).getRangeQueriesInfoList();
}

/** SHA-256 of `QueryReads` as google-protobuf serializes it: an encoder independent of the ledger's own. */
function leafHash(keys: readonly string[], blockNum: number): Buffer {
  const q = new QueryReads();
  q.setKvReadsList(
    keys.map((k) => {
      const r = new KVRead();
      r.setKey(k);
      const v = new Version();
      v.setBlockNum(blockNum);
      v.setTxNum(0);
      r.setVersion(v);
      return r;
    }),
  );
  return createHash('sha256').update(q.serializeBinary()).digest();
}

const scanAll = (s: TxSimulator): void => [...s.getStateRange('cc', 'm', 'n')].forEach(() => undefined);

export function rangeConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe('range queries (Fabric RangeQueryInfo, phantom reads)', () => {
    let f: Fixture;
    beforeEach(() => {
      f = makeFixture(makeProvider);
      f.commit([f.tx('seed', (s) => KEYS.forEach((k) => s.setState('cc', k, utf8(k))))]);
    });
    afterEach(() => f.close());

    it('records a range of more than 50 results as the Merkle summary a Fabric endorser would', () => {
      const [info] = rangeInfos(f, scanAll);
      expect([info.getStartKey(), info.getEndKey(), info.getItrExhausted(), info.hasRawReads()]).toEqual(['m', 'n', true, false]);
      const merkle = info.getReadsMerkleHashes()!;
      // Every 51 results make one leaf; 130 = 51 + 51 + 28, three leaves under the degree of 50.
      const leaves = [KEYS.slice(0, 51), KEYS.slice(51, 102), KEYS.slice(102)].map((keys) => leafHash(keys, 0));
      expect([merkle.getMaxDegree(), merkle.getMaxLevel()]).toEqual([50, 1]);
      expect(merkle.getMaxLevelHashesList_asU8().map((h) => Buffer.from(h).toString('hex'))).toEqual(leaves.map((h) => h.toString('hex')));
    });

    it('records raw reads up to 50 results, none for an empty range, and each (start, end, exhausted) once', () => {
      const infos = rangeInfos(f, (s) => {
        [...s.getStateRange('cc', 'm000', 'm050')].forEach(() => undefined);
        [...s.getStateRange('cc', 'm000', 'm050')].forEach(() => undefined);
        [...s.getStateRange('cc', 'x', 'y')].forEach(() => undefined);
        s.getStateRange('cc', 'm100', '')[Symbol.iterator]().next();
        s.getStateRange('cc', 'm120', '')[Symbol.iterator]();
      });
      expect(infos.map((i) => [i.getStartKey(), i.getEndKey(), i.getItrExhausted(), i.getRawReads()?.getKvReadsList().length, i.hasReadsMerkleHashes()])).toEqual([
        ['m000', 'm050', true, 50, false],
        ['x', 'y', true, undefined, false],
        // Stopped after one result: the end is the last key read. Never read: no end at all.
        ['m100', 'm100', false, 1, false],
        ['m120', '', false, undefined, false],
      ]);
    });

    it('records a page as Fabric does: exhausted only when the page came out short', () => {
      const page = (start: string, size: number): unknown[] =>
        rangeInfos(f, (s) => s.getStateRangeWithPagination('cc', start, '', size, '')).map((i) => [i.getStartKey(), i.getEndKey(), i.getItrExhausted(), i.getRawReads()?.getKvReadsList().length]);
      expect(page('m000', 2)).toEqual([['m000', 'm001', false, 2]]);
      // Exactly the last three keys in a page of three: Fabric's handler never asks for a fourth.
      expect(page('m127', 3)).toEqual([['m127', 'm129', false, 3]]);
      expect(page('m127', 4)).toEqual([['m127', '', true, 3]]);
    });

    it('keeps a long range valid while it is unchanged and marks any change PHANTOM_READ_CONFLICT', () => {
      const unchanged = f.tx('unchanged', (s) => (scanAll(s), s.setState('cc', 'out1', utf8('1'))));
      const updated = f.tx('updated', (s) => (scanAll(s), s.setState('cc', 'out2', utf8('1'))));
      expect(f.commit([unchanged, f.tx('outside', (s) => s.setState('cc', 'z', utf8('z')))]).codes).toEqual([V.VALID, V.VALID]);
      f.commit([f.tx('touch', (s) => s.setState('cc', 'm077', utf8('changed')))]);
      expect(f.commit([updated]).codes).toEqual([V.PHANTOM_READ_CONFLICT]);
      // Changes made earlier in the same block count too: an insert, a delete of the last key.
      const inserted = f.tx('inserted', (s) => (scanAll(s), s.setState('cc', 'out3', utf8('1'))));
      expect(f.commit([f.tx('ins', (s) => s.setState('cc', 'm0500', utf8('new'))), inserted]).codes).toEqual([V.VALID, V.PHANTOM_READ_CONFLICT]);
      const deletedLast = f.tx('deletedLast', (s) => (scanAll(s), s.setState('cc', 'out4', utf8('1'))));
      expect(f.commit([f.tx('del', (s) => s.deleteState('cc', 'm129')), deletedLast]).codes).toEqual([V.VALID, V.PHANTOM_READ_CONFLICT]);
      const fresh = f.tx('fresh', (s) => (scanAll(s), s.setState('cc', 'out5', utf8('1'))));
      expect(f.commit([fresh]).codes).toEqual([V.VALID]);
    });

    it('re-checks a range the simulator stopped early up to and including the last key it read', () => {
      const firstTwo = (s: TxSimulator): void => {
        const it = s.getStateRange('cc', 'm', 'n')[Symbol.iterator]();
        it.next();
        it.next();
      };
      const beyond = f.tx('beyond', (s) => (firstTwo(s), s.setState('cc', 'o1', utf8('1'))));
      const within = f.tx('within', (s) => (firstTwo(s), s.setState('cc', 'o2', utf8('1'))));
      expect(f.commit([f.tx('later', (s) => s.setState('cc', 'm002', utf8('x'))), beyond]).codes).toEqual([V.VALID, V.VALID]);
      expect(f.commit([f.tx('last', (s) => s.setState('cc', 'm001', utf8('x'))), within]).codes).toEqual([V.VALID, V.PHANTOM_READ_CONFLICT]);
    });
  });
}
