import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { hashedKey, sha256 } from '../../../../core/ledger/private-data';
import { bootHashedWrites } from '../../../../core/ledger/pvt-boot-hashes';
import { kvRwSet } from '../../../support/kv-rwset';

const expected = (writes: Record<string, string>): Map<string, Uint8Array> => new Map(Object.entries(writes).map(([k, v]) => [hashedKey(k), sha256(v)]));
const keys = (bytes: Uint8Array | string): string[] => (typeof bytes === 'string' ? [bytes] : KVRWSet.deserializeBinary(bytes).getWritesList().map((w) => w.getKey()));

describe('private writes checked against the key hashes a snapshot held (Fabric’s BootKVHashes)', () => {
  it('keeps the expected keys’ writes only, when each value hashes to the expected hash', () => {
    expect(keys(bootHashedWrites(kvRwSet({ a: '1', b: 'overwritten since', c: '3' }), expected({ a: '1', c: '3' })))).toEqual(['a', 'c']);
  });

  it('refuses the collection for one value of another hash, or an expected key it lacks', () => {
    expect(bootHashedWrites(kvRwSet({ a: '1', c: 'forged' }), expected({ a: '1', c: '3' }))).toBe('hash-mismatch');
    expect(bootHashedWrites(kvRwSet({ a: '1' }), expected({ a: '1', c: '3' }))).toBe('incomplete');
  });
});
