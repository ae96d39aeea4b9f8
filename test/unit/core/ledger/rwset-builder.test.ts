import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { RwSetBuilder } from '../../../../core/ledger/rwset-builder';

describe('RwSetBuilder.buildBytes', () => {
  it('encodes byte for byte as google-protobuf serializes build()', () => {
    const empty = new RwSetBuilder();
    expect(empty.buildBytes()).toEqual(empty.build().serializeBinary());

    const b = new RwSetBuilder();
    b.addRead('kv', 'b', { blockNum: 3, txNum: 0 });
    b.addRead('kv', 'a', undefined);
    b.addRead('kv', 'big', { blockNum: 2 ** 40, txNum: 70_000 });
    b.addWrite('kv', 'z', Buffer.from('value'));
    b.addWrite('kv', 'gone', undefined);
    b.addWrite('kv', 'ü-key', new Uint8Array(300).fill(9));
    b.addMetadataWrite('kv', 'z', { VALIDATION_PARAMETER: Uint8Array.from([1, 2]), other: new Uint8Array(0) });
    const range = b.addRange('kv', 'a');
    range.reads.push({ key: 'a', version: { blockNum: 1, txNum: 1 } }, { key: 'c', version: undefined });
    range.exhausted = true;
    range.endKey = 'm';
    b.addRange('kv', '');
    const long = b.addRange('kv', 'b');
    for (let i = 0; i < 2700; i++) long.reads.push({ key: `b${i}`, version: { blockNum: i, txNum: i % 3 } });
    long.endKey = 'b2699';
    // The same (start, end, exhausted) twice: recorded once, as Fabric's RWSetBuilder does.
    b.addRange('kv', 'a').endKey = 'm';
    b.addRange('kv', 'a').endKey = 'm';
    b.addRead('_lifecycle', 'namespaces/fields/kv/Sequence', { blockNum: 0, txNum: 0 });
    b.addRead('readonly', 'k', { blockNum: 5, txNum: 2 });
    expect(b.buildBytes()).toEqual(b.build().serializeBinary());
    const kv = KVRWSet.deserializeBinary(TxReadWriteSet.deserializeBinary(b.buildBytes()).getNsRwsetList()[1].getRwset_asU8());
    expect(kv.getRangeQueriesInfoList().map((r) => [r.getStartKey(), r.getEndKey(), r.getItrExhausted(), r.hasRawReads(), r.getReadsMerkleHashes()?.getMaxLevel()])).toEqual([
      ['a', 'm', true, true, undefined],
      ['', '', false, false, undefined],
      ['b', 'b2699', false, false, 2],
      ['a', 'm', false, false, undefined],
    ]);
  });
});
