import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { LEN, WireReader } from '../../core/protocol/wire-reader';

/**
 * Decodes `SerializedIdentity{mspid = 1, id_bytes = 2}` as protobuf-go does (Fabric's MSP manager
 * and MSP): a creator's or endorser's bytes are chosen by the client, so Weft must accept what a
 * Fabric peer accepts (a field with an unexpected wire type is skipped) and refuse what it refuses
 * (an oversized field number or varint, an mspid that is not UTF-8). google-protobuf differs on all
 * of these. Throws MSP_BAD_IDENTITY.
 */
export function readSerializedIdentity(serialized: Uint8Array, maxIdentityBytes: number): { mspId: string; idBytes: Uint8Array } {
  if (serialized.length > maxIdentityBytes) {
    throw new MspError(MspErrorCode.BadIdentity, `SerializedIdentity is ${serialized.length} bytes, more than the ${maxIdentityBytes} allowed`, {
      length: serialized.length,
      max: maxIdentityBytes,
    });
  }
  try {
    const r = new WireReader(serialized, 'serialized_identity', 'SerializedIdentity');
    let mspId = '';
    let idBytes: Uint8Array = EMPTY;
    while (r.next()) {
      if (r.has(1, LEN)) mspId = r.string();
      else if (r.has(2, LEN)) idBytes = r.bytes();
      else r.skip();
    }
    return { mspId, idBytes };
  } catch (err) {
    throw new MspError(MspErrorCode.BadIdentity, `SerializedIdentity bytes do not decode: ${(err as Error).message}`, { length: serialized.length }, { cause: err });
  }
}

const EMPTY = new Uint8Array(0);
