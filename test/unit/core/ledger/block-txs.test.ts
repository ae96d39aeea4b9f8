import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { decodeLedgerTx, decodeTxRwSet } from '../../../../core/ledger/block-txs';
import { RwSetBuilder } from '../../../../core/ledger/rwset-builder';
import { buildRwSetEnvelope } from '../../../../core/ledger/test-blocks';

describe('block transaction decoding (wire reader)', () => {
  function sample(): RwSetBuilder {
    const b = new RwSetBuilder();
    b.addRead('cc', 'r1', { blockNum: 2 ** 40, txNum: 3 });
    b.addRead('cc', 'r0', undefined);
    const range = b.addRange('cc', 'a');
    range.reads.push({ key: 'b', version: { blockNum: 1, txNum: 0 } });
    range.exhausted = true;
    range.endKey = 'z';
    b.addWrite('cc', 'w1', Buffer.from('value'));
    b.addWrite('cc', 'w0', new Uint8Array(0));
    b.addMetadataWrite('cc', 'w1', { VALIDATION_PARAMETER: Buffer.from('p') });
    b.addWrite('aa\u00e9', '\u{1F600}', Buffer.from('x'));
    return b;
  }

  it('reads the rwset google-protobuf wrote, field for field', () => {
    const bytes = sample().build().serializeBinary();
    const sets = decodeTxRwSet(bytes);
    expect(sets.map((s) => s.namespace)).toEqual(['aa\u00e9', 'cc']);
    const cc = sets[1];
    expect(cc.reads).toEqual([
      { key: 'r0', version: undefined },
      { key: 'r1', version: { blockNum: 2 ** 40, txNum: 3 } },
    ]);
    expect(cc.ranges).toEqual([{ startKey: 'a', endKey: 'z', itrExhausted: true, rawReads: [{ key: 'b', version: { blockNum: 1, txNum: 0 } }], merkle: undefined }]);
    expect(cc.writes.map((w) => [w.key, w.isDelete, Buffer.from(w.value).toString()])).toEqual([
      ['w0', true, ''],
      ['w1', false, 'value'],
    ]);
    expect(cc.metadataWrites.map((m) => [m.key, m.entries.map((e) => [e.name, Buffer.from(e.value).toString()])])).toEqual([['w1', [['VALIDATION_PARAMETER', 'p']]]]);
    expect(TxReadWriteSet.deserializeBinary(bytes).getNsRwsetList()).toHaveLength(2);
  });

  it('decodes an envelope’s txid, timestamp and rwset', () => {
    const env = buildRwSetEnvelope({ txId: 'tx1', rwset: sample().build().serializeBinary(), timestamp: { seconds: 1_700_000_123, nanos: 456 } });
    const tx = decodeLedgerTx(env, 4);
    expect([tx.txNum, tx.txId, tx.headerType, tx.timestamp, tx.error]).toEqual([4, 'tx1', 3, { seconds: 1_700_000_123, nanos: 456 }, undefined]);
    expect(tx.rwsets?.map((s) => s.namespace)).toEqual(['aa\u00e9', 'cc']);
  });

  it('turns every truncation or corruption into an error result, never a throw', () => {
    const env = buildRwSetEnvelope({ txId: 'tx1', rwset: sample().build().serializeBinary() });
    let errors = 0;
    for (let cut = 0; cut < env.length; cut += 3) {
      const tx = decodeLedgerTx(env.subarray(0, cut), 0);
      if (tx.error !== undefined) errors++;
      expect(tx.rwsets === undefined || tx.error === undefined).toBe(true);
    }
    expect(errors).toBeGreaterThan(env.length / 6);
    let seed = 11;
    for (let i = 0; i < 300; i++) {
      const copy = Uint8Array.from(env);
      seed = (seed * 48271) % 2147483647;
      copy[seed % copy.length] ^= 0xff;
      expect(() => decodeLedgerTx(copy, 0)).not.toThrow();
    }
    expect(decodeLedgerTx(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0).error).toMatch(/varint/);
  });
});
