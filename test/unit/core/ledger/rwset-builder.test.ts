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
    const range = b.addRange('kv', 'a', 'm');
    range.reads.push({ key: 'a', version: { blockNum: 1, txNum: 1 } }, { key: 'c', version: undefined });
    range.exhausted = true;
    b.addRange('kv', '', '');
    b.addRead('_lifecycle', 'namespaces/fields/kv/Sequence', { blockNum: 0, txNum: 0 });
    b.addRead('readonly', 'k', { blockNum: 5, txNum: 2 });
    expect(b.buildBytes()).toEqual(b.build().serializeBinary());
  });
});
