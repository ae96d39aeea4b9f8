import { TxPvtReadWriteSet, TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { HashedRWSet, KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { sha256 } from '../../../../core/ledger/private-data';
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

  it('encodes collections as google-protobuf would: hashed rwsets in the public set, values only in the private one', () => {
    const b = new RwSetBuilder();
    b.addWrite('cc', 'pub', Buffer.from('p'));
    b.addPvtWrite('cc', 'zeta', 'k2', Buffer.from('secret'));
    b.addPvtWrite('cc', 'zeta', 'k1', undefined);
    b.addHashedRead('cc', 'zeta', 'k1', { blockNum: 4, txNum: 1 });
    b.addHashedRead('cc', 'alpha', 'r', undefined);
    b.addPvtPurge('only', 'c', 'gone');
    b.addHashedMetadataWrite('only', 'c', 'm', { VALIDATION_PARAMETER: Uint8Array.from([7]) });
    expect(b.buildBytes()).toEqual(b.build().serializeBinary());
    expect(Buffer.from(b.buildBytes()).includes(Buffer.from('secret'))).toBe(false);

    const [cc, only] = TxReadWriteSet.deserializeBinary(b.buildBytes()).getNsRwsetList();
    const [alpha, zeta] = cc.getCollectionHashedRwsetList();
    expect([alpha.getCollectionName(), alpha.getPvtRwsetHash_asU8().length]).toEqual(['alpha', 0]);
    const hashed = HashedRWSet.deserializeBinary(zeta.getHashedRwset_asU8());
    expect(hashed.getHashedReadsList().map((r) => [Buffer.from(r.getKeyHash_asU8()).toString('hex'), r.getVersion()?.getBlockNum()])).toEqual([
      [Buffer.from(sha256('k1')).toString('hex'), 4],
    ]);
    expect(hashed.getHashedWritesList().map((w) => [w.getIsDelete(), Buffer.from(w.getValueHash_asU8()).toString('hex')])).toEqual([
      [true, ''],
      [false, Buffer.from(sha256('secret')).toString('hex')],
    ]);
    const onlyHashed = HashedRWSet.deserializeBinary(only.getCollectionHashedRwsetList()[0].getHashedRwset_asU8());
    expect(onlyHashed.getHashedWritesList()[0].getIsPurge()).toBe(true);
    expect(onlyHashed.getMetadataWritesList()[0].getEntriesList()[0].getName()).toBe('VALIDATION_PARAMETER');

    const pvt = TxPvtReadWriteSet.deserializeBinary(b.buildPvtBytes() as Uint8Array);
    const zetaPvt = pvt.getNsPvtRwsetList()[0].getCollectionPvtRwsetList()[0];
    expect(Buffer.from(zeta.getPvtRwsetHash_asU8())).toEqual(Buffer.from(sha256(zetaPvt.getRwset_asU8())));
    expect(KVRWSet.deserializeBinary(zetaPvt.getRwset_asU8()).getWritesList().map((w) => [w.getKey(), w.getIsDelete()])).toEqual([
      ['k1', true],
      ['k2', false],
    ]);
    expect(new RwSetBuilder().buildPvtBytes()).toBeUndefined();
  });
});
