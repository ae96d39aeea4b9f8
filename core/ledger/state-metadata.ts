import { KVMetadataEntry, KVMetadataWrite } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { LedgerError } from '../errors';
import type { VersionedStateStore } from './versioned-state-store';

/**
 * Key-level metadata (e.g. `VALIDATION_PARAMETER`, a key-level endorsement policy) as stored beside
 * a value: a serialized `KVMetadataWrite` with entries sorted by name, so equal maps give equal bytes.
 */
export function encodeStateMetadata(metadata: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const names = Object.keys(metadata).sort();
  if (names.length === 0) return new Uint8Array(0);
  const msg = new KVMetadataWrite();
  msg.setEntriesList(
    names.map((name) => {
      const e = new KVMetadataEntry();
      e.setName(name);
      e.setValue(metadata[name]);
      return e;
    }),
  );
  return msg.serializeBinary();
}

export function decodeStateMetadata(bytes: Uint8Array | undefined): Record<string, Uint8Array> | undefined {
  if (bytes === undefined || bytes.length === 0) return undefined;
  let msg: KVMetadataWrite;
  try {
    msg = KVMetadataWrite.deserializeBinary(bytes);
  } catch (e) {
    throw new LedgerError('LEDGER_CORRUPT', `stored key metadata does not parse as KVMetadataWrite: ${(e as Error).message}`, {}, { cause: e });
  }
  const out: Record<string, Uint8Array> = {};
  for (const e of msg.getEntriesList()) out[e.getName()] = e.getValue_asU8();
  return out;
}

/**
 * A key's committed metadata (Fabric's `GetStateMetadata`), without reading the key when the store
 * knows its namespace holds none, as Fabric's `metadataHint` spares it: for a chaincode that never
 * sets key-level metadata, one state read per written key at endorsement and again at validation.
 */
export function committedMetadata(state: Pick<VersionedStateStore, 'get' | 'namespaceHasMetadata'>, namespace: string, key: string): Uint8Array | undefined {
  if (state.namespaceHasMetadata?.(namespace) === false) return undefined;
  return state.get(namespace, key)?.metadata;
}
