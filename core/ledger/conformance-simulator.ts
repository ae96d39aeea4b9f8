/** Conformance: the transaction simulator and its read/write set (jest globals). */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { makeFixture, str, utf8, type Fixture } from './conformance-fixture';
import type { LedgerStoreProvider } from './ledger-store-provider';

function decodeRwSet(bytes: Uint8Array): { ns: string; kv: KVRWSet }[] {
  return TxReadWriteSet.deserializeBinary(bytes)
    .getNsRwsetList()
    .map((n) => ({ ns: n.getNamespace(), kv: KVRWSet.deserializeBinary(n.getRwset_asU8()) }));
}

export function simulatorConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe('transaction simulator', () => {
    let f: Fixture;
    beforeEach(() => {
      f = makeFixture(makeProvider, { maxKeySize: 64, maxValueSize: 1024 });
      f.commit([f.tx('seed', (s) => (s.setState('cc', 'a', utf8('1')), s.setState('cc', 'b', utf8('2'))))]);
    });
    afterEach(() => f.close());

    it('reads committed values with their versions and never its own writes', () => {
      const sim = f.ledger.newTxSimulator('t1');
      expect(str(sim.getState('cc', 'a'))).toBe('1');
      sim.setState('cc', 'a', utf8('changed'));
      sim.setState('cc', 'new', utf8('x'));
      expect(str(sim.getState('cc', 'a'))).toBe('1');
      expect(sim.getState('cc', 'new')).toBeUndefined();
      const [cc] = decodeRwSet(sim.getTxSimulationResults());
      expect(cc.ns).toBe('cc');
      const reads = cc.kv.getReadsList().map((r) => [r.getKey(), r.getVersion()?.getBlockNum(), r.getVersion()?.getTxNum()]);
      expect(reads).toEqual([
        ['a', 0, 0],
        ['new', undefined, undefined],
      ]);
      expect(cc.kv.getWritesList().map((w) => [w.getKey(), str(w.getValue_asU8())])).toEqual([
        ['a', 'changed'],
        ['new', 'x'],
      ]);
    });

    it('records an empty value and deleteState as deletes, the last write winning', () => {
      const sim = f.ledger.newTxSimulator('t2');
      sim.setState('cc', 'a', new Uint8Array(0));
      sim.setState('cc', 'b', utf8('v'));
      sim.deleteState('cc', 'b');
      sim.deleteState('cc', 'c');
      sim.setState('cc', 'c', utf8('back'));
      const [cc] = decodeRwSet(sim.getTxSimulationResults());
      expect(cc.kv.getWritesList().map((w) => [w.getKey(), w.getIsDelete(), str(w.getValue_asU8())])).toEqual([
        ['a', true, ''],
        ['b', true, ''],
        ['c', false, 'back'],
      ]);
    });

    it('serializes deterministically: namespaces and keys sorted whatever the call order', () => {
      const run = (order: number[]): Uint8Array => {
        const sim = f.ledger.newTxSimulator('t');
        const ops = [
          () => sim.setState('zz', 'k2', utf8('1')),
          () => sim.setState('aa', 'k9', utf8('2')),
          () => sim.getState('cc', 'b'),
          () => sim.getState('cc', 'a'),
          () => sim.setState('aa', 'k1', utf8('3')),
          () => sim.setStateMetadata('zz', 'k2', { Z: utf8('z'), A: utf8('a') }),
        ];
        for (const i of order) ops[i]();
        return sim.getTxSimulationResults();
      };
      const a = run([0, 1, 2, 3, 4, 5]);
      const b = run([5, 4, 3, 2, 1, 0]);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      const sets = decodeRwSet(a);
      expect(sets.map((s) => s.ns)).toEqual(['aa', 'cc', 'zz']);
      expect(sets[0].kv.getWritesList().map((w) => w.getKey())).toEqual(['k1', 'k9']);
      expect(sets[2].kv.getMetadataWritesList()[0].getEntriesList().map((e) => e.getName())).toEqual(['A', 'Z']);
    });

    it('records range queries with their reads, exhaustion and the end key reached', () => {
      const sim = f.ledger.newTxSimulator('t3');
      expect([...sim.getStateRange('cc', '', '')].map((kv) => kv.key)).toEqual(['a', 'b']);
      const it2 = sim.getStateRange('cc', 'a', 'z')[Symbol.iterator]();
      expect(it2.next().value?.key).toBe('a');
      const [cc] = decodeRwSet(sim.getTxSimulationResults());
      const infos = cc.kv.getRangeQueriesInfoList();
      expect(infos.map((i) => [i.getStartKey(), i.getEndKey(), i.getItrExhausted(), i.getRawReads()?.getKvReadsList().map((r) => r.getKey())])).toEqual([
        ['', '', true, ['a', 'b']],
        ['a', 'a', false, ['a']],
      ]);
    });

    it('rejects bad input with typed errors and records nothing for it', () => {
      const sim = f.ledger.newTxSimulator('t4');
      const code = (fn: () => void): string | undefined => {
        try {
          fn();
          return undefined;
        } catch (e) {
          expect((e as Error).name).toBe('LedgerError');
          return (e as { code: string }).code;
        }
      };
      expect(code(() => sim.setState('cc', 'k'.repeat(65), utf8('v')))).toBe('LEDGER_KEY_TOO_LARGE');
      expect(code(() => sim.setState('cc', 'k', new Uint8Array(1025)))).toBe('LEDGER_VALUE_TOO_LARGE');
      expect(code(() => sim.setState('cc', '\u0000plain', utf8('v')))).toBe('LEDGER_BAD_KEY');
      expect(code(() => sim.setState('cc', '', utf8('v')))).toBe('LEDGER_BAD_KEY');
      expect(code(() => sim.setState('cc', 'bad\uD800', utf8('v')))).toBe('LEDGER_BAD_KEY');
      expect(code(() => sim.setState('', 'k', utf8('v')))).toBe('LEDGER_BAD_NAMESPACE');
      expect(code(() => sim.setState('cc', 'k', 'text' as unknown as Uint8Array))).toBe('LEDGER_BAD_VALUE');
      expect(code(() => sim.getState('cc', 42 as unknown as string))).toBe('LEDGER_BAD_KEY');
      expect(code(() => sim.executeQuery('cc', '{"selector":{"a":{"$beginsWith":"x"}}}'))).toBe('LEDGER_UNSUPPORTED_OPERATOR');
      expect(code(() => sim.executeQuery('cc', 'not json'))).toBe('LEDGER_BAD_QUERY');
      expect(code(() => sim.getStateRangeWithPagination('cc', '', '', 0, ''))).toBe('LEDGER_BAD_PAGE_SIZE');
      expect(code(() => f.ledger.newTxSimulator(null as unknown as string))).toBe('LEDGER_BAD_TXID');
      expect(code(() => f.ledger.newTxSimulator(''))).toBe('LEDGER_BAD_TXID');
      const ok = { name: 'ok.json', content: '{"index":{"fields":["a"]},"name":"ok"}' };
      for (const files of [null, 'x', [null], [ok, { name: 'n' }], [{ name: 1, content: '{}' }]]) {
        expect(code(() => f.ledger.declareIndexes('cc', files as never))).toBe('LEDGER_BAD_QUERY');
      }
      sim.setState('cc', '\u0000asset\u0000k1\u0000', utf8('composite ok'));
      expect(decodeRwSet(sim.getTxSimulationResults())[0].kv.getWritesList().map((w) => w.getKey())).toEqual(['\u0000asset\u0000k1\u0000']);
      sim.done();
      expect(code(() => sim.getState('cc', 'a'))).toBe('LEDGER_TX_DONE');
    });

    it('forbids writes after a paginated query and paginated queries after writes, as Fabric', () => {
      const s1 = f.ledger.newTxSimulator('p1');
      s1.getStateRangeWithPagination('cc', '', '', 1, '');
      expect(() => s1.setState('cc', 'x', utf8('1'))).toThrow(/paginated query/);
      const s2 = f.ledger.newTxSimulator('p2');
      s2.setState('cc', 'x', utf8('1'));
      expect(() => s2.executeQueryWithPagination('cc', '{"selector":{}}', 1, '')).toThrow(/read-only transaction/);
    });

    it('reads and writes key metadata; a metadata read is a read dependency', () => {
      f.commit([f.tx('m1', (s) => s.setStateMetadata('cc', 'a', { VALIDATION_PARAMETER: utf8('policy') }))]);
      const q = f.ledger.newQueryExecutor();
      expect(str(q.getStateMetadata('cc', 'a')?.VALIDATION_PARAMETER)).toBe('policy');
      expect(q.getStateMetadata('cc', 'b')).toBeUndefined();
      // A value write keeps the metadata; a delete drops it.
      f.commit([f.tx('m2', (s) => s.setState('cc', 'a', utf8('again')))]);
      expect(str(f.ledger.newQueryExecutor().getStateMetadata('cc', 'a')?.VALIDATION_PARAMETER)).toBe('policy');
      const sim = f.ledger.newTxSimulator('m3');
      sim.getStateMetadata('cc', 'a');
      expect(decodeRwSet(sim.getTxSimulationResults())[0].kv.getReadsList().map((r) => [r.getKey(), r.getVersion()?.getBlockNum()])).toEqual([['a', 2]]);
      f.commit([f.tx('m4', (s) => s.deleteState('cc', 'a'))]);
      f.commit([f.tx('m5', (s) => s.setState('cc', 'a', utf8('reborn')))]);
      expect(f.ledger.newQueryExecutor().getStateMetadata('cc', 'a')).toBeUndefined();
    });
  });
}
