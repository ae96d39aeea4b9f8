import { varintBytes } from '../../protocol/wire-writer';

/**
 * Wraps already-serialized message bytes as a length-delimited field of an enclosing message,
 * e.g. `DeliverResponse{block = 2}` around stored block bytes: the block goes out exactly as stored
 * without a decode and re-encode.
 */
export function lengthDelimitedField(fieldNumber: number, bytes: Uint8Array): Uint8Array {
  const tag = varintBytes((fieldNumber << 3) | 2);
  const len = varintBytes(bytes.length);
  const out = new Uint8Array(tag.length + len.length + bytes.length);
  out.set(tag, 0);
  out.set(len, tag.length);
  out.set(bytes, tag.length + len.length);
  return out;
}
