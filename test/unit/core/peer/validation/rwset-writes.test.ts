import { KVMetadataWrite, KVRead, KVRWSet, KVWrite } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { CollectionHashedReadWriteSet, NsReadWriteSet, TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { rwsetWrites } from '../../../../../core/peer/validation/rwset-writes';
import { RwSetBuilder } from '../../../../../core/ledger/rwset-builder';
import { decodeTxPvtRwSet, sha256 } from '../../../../../core/ledger/private-data';

function ns(namespace: string, build: (kv: KVRWSet) => void, collections = 0): NsReadWriteSet {
  const kv = new KVRWSet();
  build(kv);
  const n = new NsReadWriteSet();
  n.setNamespace(namespace);
  n.setRwset(kv.serializeBinary());
  for (let i = 0; i < collections; i++) {
    const c = new CollectionHashedReadWriteSet();
    c.setCollectionName(`c${i}`);
    n.addCollectionHashedRwset(c);
  }
  return n;
}

const write = (key: string, del = false): KVWrite => {
  const w = new KVWrite();
  w.setKey(key);
  w.setIsDelete(del);
  if (!del) w.setValue(Buffer.from(`v-${key}`));
  return w;
};

describe('rwsetWrites (read from the wire)', () => {
  it('lists the hashes of the private keys each collection writes', () => {
    const b = new RwSetBuilder();
    b.addPvtWrite('cc', 'secrets', 'k1', Buffer.from('v'));
    b.addPvtPurge('cc', 'secrets', 'k2');
    b.addHashedRead('cc', 'other', 'r', undefined);
    b.addHashedRead('cc', 'onlyread', 'r', undefined);
    b.addHashedMetadataWrite('cc', 'other', 'm', { VALIDATION_PARAMETER: Buffer.from('p') });
    const hex = (k: string): string => Buffer.from(sha256(k)).toString('hex');
    const bytes = b.buildBytes();
    // Each collection carries the hash its private KVRWSet must have.
    const pvtHash = (collection: string): Uint8Array => {
      const c = decodeTxPvtRwSet(b.buildPvtBytes() as Uint8Array).find((x) => x.collection === collection);
      return c === undefined ? new Uint8Array(0) : sha256(c.rwset);
    };
    expect(rwsetWrites(bytes)).toEqual([
      {
        namespace: 'cc',
        keys: [],
        metadataKeys: [],
        collections: [
          { collection: 'other', keyHashes: [], metadataKeyHashes: [hex('m')], pvtRwsetHash: pvtHash('other') },
          { collection: 'secrets', keyHashes: [hex('k1'), hex('k2')], metadataKeyHashes: [], pvtRwsetHash: pvtHash('secrets') },
        ],
      },
    ]);
  });

  it('lists written, deleted and metadata keys per namespace, skipping namespaces and collections only read', () => {
    const tx = new TxReadWriteSet();
    tx.setDataModel(TxReadWriteSet.DataModel.KV);
    tx.setNsRwsetList([
      ns('readonly', (kv) => {
        const r = new KVRead();
        r.setKey('r1');
        kv.addReads(r);
      }),
      ns('cc', (kv) => {
        kv.addWrites(write('a'));
        kv.addWrites(write('b', true));
        const m = new KVMetadataWrite();
        m.setKey('c');
        kv.addMetadataWrites(m);
      }),
      ns('private', () => undefined, 2),
      ns('ünïcode', (kv) => kv.addWrites(write('κλειδί\u0000x'))),
    ]);
    expect(rwsetWrites(tx.serializeBinary())).toEqual([
      { namespace: 'cc', keys: ['a', 'b'], metadataKeys: ['c'], collections: [] },
      { namespace: 'ünïcode', keys: ['κλειδί\u0000x'], metadataKeys: [], collections: [] },
    ]);
  });

  it('returns nothing for an empty read/write set and throws on bytes that are not one', () => {
    expect(rwsetWrites(new Uint8Array(0))).toEqual([]);
    expect(() => rwsetWrites(Uint8Array.from([0x12, 0x10, 0x0a]))).toThrow(/runs past the end|truncated/);
  });
});
