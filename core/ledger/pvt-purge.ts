import { toHex } from '../protocol/bytes';
import { lenField, message } from '../protocol/wire-writer';
import { sha256 } from './private-data';
import { asBytes, asString, forEachField } from './proto-reader';

/**
 * A purge a valid transaction committed (`PurgePrivateData`, Fabric 2.5): the key's private values
 * written at or before the purging transaction go from every block's stored private data too, not
 * only from state, so no later read, replay or `DeliverWithPrivateData` of an older block returns
 * them. Fabric keeps purge markers and filters its pvtdata store by them; the SQLite store rewrites
 * the stored collections in the purging block's own commit.
 */
export interface PvtPurge {
  readonly namespace: string;
  readonly collection: string;
  /** Hex SHA-256 of the purged key (what the block carries). */
  readonly keyHash: string;
  /** The purging transaction: stored writes at this height or below go. */
  readonly blockNum: number;
  readonly txNum: number;
}

/** `KVRWSet.writes` is field 3; each `KVWrite` names its key in field 1. */
const WRITES = 3;
const WRITE_KEY = 1;

function writtenKey(write: Uint8Array): string {
  let key = '';
  forEachField(write, (f, v) => {
    if (f === WRITE_KEY) key = asString(v, 'kv_write.key');
  });
  return key;
}

/** The hex SHA-256 of every key a collection's private `KVRWSet` writes: a store indexes data it kept before it had a purge index. */
export function pvtWrittenKeyHashes(rwset: Uint8Array): string[] {
  const out: string[] = [];
  forEachField(rwset, (f, v) => {
    if (f === WRITES) out.push(toHex(sha256(writtenKey(asBytes(v, 'kv_rwset.writes')))));
  });
  return out;
}

/**
 * The private `KVRWSet` without its writes of the key whose hex SHA-256 is `keyHash`, every other
 * field kept byte for byte, in order; undefined when nothing is left. Metadata writes stay, as in
 * Fabric's purge: they name the key but hold no value.
 */
export function withoutPvtKey(rwset: Uint8Array, keyHash: string): Uint8Array | undefined {
  const kept: ReturnType<typeof lenField>[] = [];
  forEachField(rwset, (f, v) => {
    const bytes = asBytes(v, `kv_rwset field ${f}`);
    if (f === WRITES && toHex(sha256(writtenKey(bytes))) === keyHash) return;
    kept.push(lenField(f, bytes, false));
  });
  return kept.length === 0 ? undefined : message(...kept);
}
