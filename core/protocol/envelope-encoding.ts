import { bytesEqual } from './bytes';
import { LEN, WireReader } from './wire-reader';
import { lenField, message, varintSize } from './wire-writer';

/** An `Envelope` as decoded by protobuf-go, and that message encoded again by `proto.Marshal`. */
export interface GoEnvelope {
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  /** The re-encoding: the input itself (same object) when it already is in that form. */
  readonly encoded: Uint8Array;
}

/**
 * Decodes `bytes` as a `common.Envelope` the way protobuf-go does and encodes it again as
 * `proto.Marshal` would: payload (field 1), then signature (field 2), each omitted when empty, then
 * the unknown fields as they came (a known field with another wire type is one of them). A Fabric
 * orderer stores every envelope in this form, since it decodes what the client sent and marshals
 * it into the block, and Fabric 3 peers refuse a block holding any envelope in another form
 * (`VerifyTransactionsAreWellFormed`): an orderer that stored the client's bytes as sent would let
 * one client halt them. The signature covers the payload's bytes only, so it survives.
 * Throws `PROTOCOL_MALFORMED` for bytes protobuf-go cannot decode.
 */
export function goEnvelope(bytes: Uint8Array, path = 'envelope'): GoEnvelope {
  const reader = new WireReader(bytes, path, 'Envelope');
  let payload: Uint8Array = EMPTY;
  let signature: Uint8Array = EMPTY;
  let unknown: Uint8Array[] | undefined;
  // Whether the bytes already are that form, told as they are read: every envelope of every block
  // passes here, and almost all are, so the re-encoding is built only for the others.
  let canonical = true;
  let next = 1; // the known field the form allows next: payload (1), signature (2), then unknown fields only (3)
  const inForm = (field: number, value: Uint8Array, start: number): boolean =>
    next <= field && value.length > 0 && reader.offset - start === 1 + varintSize(value.length) + value.length;
  while (reader.next()) {
    const start = reader.fieldStart;
    if (reader.has(1, LEN)) {
      payload = reader.bytes();
      canonical &&= inForm(1, payload, start);
      next = 2;
    } else if (reader.has(2, LEN)) {
      signature = reader.bytes();
      canonical &&= inForm(2, signature, start);
      next = 3;
    } else {
      reader.skip();
      (unknown ??= []).push(bytes.subarray(start, reader.offset));
      next = 3;
    }
  }
  const encoded = canonical ? bytes : message(lenField(1, payload, true), lenField(2, signature, true), ...(unknown ?? []));
  return { payload, signature, encoded: canonical || !bytesEqual(encoded, bytes) ? encoded : bytes };
}

/**
 * Fabric's `VerifyTransactionsAreWellFormed` for one envelope of a block: what it would refuse the
 * block for, in its words, or undefined. (Fabric skips the check for a block holding one CONFIG
 * envelope; the caller decides that.)
 */
export function envelopeFormProblem(bytes: Uint8Array, index: number): string | undefined {
  let env: GoEnvelope;
  try {
    env = goEnvelope(bytes, `block.data.data[${index}]`);
  } catch (err) {
    return `transaction ${index} is invalid: ${(err as Error).message}`;
  }
  if (env.payload.length === 0) return `transaction ${index} has no payload`;
  if (env.signature.length === 0) return `transaction ${index} has no signature`;
  if (env.encoded === bytes) return undefined;
  if (env.encoded.length < bytes.length) return `transaction ${index} has ${bytes.length - env.encoded.length} trailing bytes`;
  // Fabric quotes both forms in base64; their lengths say enough without putting a whole transaction in a log line.
  return `transaction ${index} (${env.encoded.length} bytes re-encoded) does not match its raw form (${bytes.length} bytes)`;
}

const EMPTY = new Uint8Array(0);
