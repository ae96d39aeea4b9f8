import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { ParseOptions, decode, guard, requireBytes, requireString } from './bounded-decode';

/** A decoded `msp.SerializedIdentity`. */
export interface ParsedSerializedIdentity {
  readonly mspId: string;
  /** The identity bytes (a PEM certificate for X.509 MSPs). */
  readonly idBytes: Uint8Array;
}

const DEFAULT_MAX_IDENTITY_BYTES = 1024 * 1024;

/** `SerializedIdentity{mspid, id_bytes}` bytes, as placed in headers as creator or endorser. */
export function serializeIdentity(mspId: string, idBytes: Uint8Array): Uint8Array {
  const id = new SerializedIdentity();
  id.setMspid(mspId);
  id.setIdBytes(idBytes);
  return id.serializeBinary();
}

/** Decodes `SerializedIdentity` bytes; both fields are required. `path` names the field for errors. */
export function parseSerializedIdentity(
  bytes: Uint8Array,
  path = 'serialized_identity',
  options: ParseOptions = {},
): ParsedSerializedIdentity {
  requireBytes(bytes, path);
  const id = decode(SerializedIdentity, bytes, path, options.maxBytes ?? DEFAULT_MAX_IDENTITY_BYTES);
  const parsed = guard(path, () => ({ mspId: id.getMspid(), idBytes: id.getIdBytes_asU8() }));
  requireString(parsed.mspId, `${path}.mspid`);
  requireBytes(parsed.idBytes, `${path}.id_bytes`);
  return parsed;
}
