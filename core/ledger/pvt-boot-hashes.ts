import { bytesEqual, toHex } from '../protocol/bytes';
import { lenField, message } from '../protocol/wire-writer';
import { sha256 } from './private-data';
import { asBytes, asString, EMPTY, forEachField } from './proto-reader';

/** `KVRWSet.writes` is field 3; a `KVWrite` is `{key = 1, is_delete = 2, value = 3}`. */
const WRITES = 3;
const WRITE_KEY = 1;
const WRITE_VALUE = 3;

/** Why a collection offered for a record made from a snapshot does not fit it. */
export type BootHashesMismatch = 'hash-mismatch' | 'incomplete';

/**
 * A collection's private `KVRWSet` checked against the key and value hashes a snapshot held for
 * its transaction (Fabric's `validateAndRemovePurgedKeys` with `BootKVHashes`): the peer created
 * from the snapshot has no block to hash the whole rwset against, so each key is checked instead.
 * Returns the `KVRWSet` of the expected keys' writes only (a key the transaction wrote but the
 * snapshot no longer held at its version was written again since, and is not this record's), or
 * why it does not fit: a value whose hash is not the expected one (a wrong or forged answer), or an
 * expected key absent (the sender purged more than this peer has: asked again later). Throws for
 * bytes that do not decode.
 */
export function bootHashedWrites(rwset: Uint8Array, expected: ReadonlyMap<string, Uint8Array>): Uint8Array | BootHashesMismatch {
  const kept: ReturnType<typeof lenField>[] = [];
  const seen = new Set<string>();
  let mismatch = false;
  forEachField(rwset, (f, v) => {
    if (f !== WRITES || mismatch) return;
    const write = asBytes(v, 'kv_rwset.writes');
    let key = '';
    let value: Uint8Array = EMPTY;
    forEachField(write, (g, x) => {
      if (g === WRITE_KEY) key = asString(x, 'kv_write.key');
      else if (g === WRITE_VALUE) value = asBytes(x, 'kv_write.value');
    });
    const keyHash = toHex(sha256(key));
    const valueHash = expected.get(keyHash);
    if (valueHash === undefined || seen.has(keyHash)) return;
    if (!bytesEqual(sha256(value), valueHash)) {
      mismatch = true;
      return;
    }
    seen.add(keyHash);
    kept.push(lenField(WRITES, write, false));
  });
  if (mismatch) return 'hash-mismatch';
  if (seen.size < expected.size) return 'incomplete';
  return message(...kept);
}
