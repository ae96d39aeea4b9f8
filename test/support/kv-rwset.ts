import { KVRWSet, KVWrite } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';

/** A `KVRWSet` (as a collection's private rwset) writing `writes` (key → value), in the order given. */
export function kvRwSet(writes: Record<string, string>): Uint8Array {
  const set = new KVRWSet();
  for (const [key, value] of Object.entries(writes)) {
    const w = new KVWrite();
    w.setKey(key);
    w.setValue(Buffer.from(value));
    set.addWrites(w);
  }
  return set.serializeBinary();
}
