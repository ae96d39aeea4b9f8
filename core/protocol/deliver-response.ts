import { concatBytes } from './bytes';
import { LEN, VARINT, WireReader } from './wire-reader';

/**
 * The block a Deliver stream's `orderer.DeliverResponse` carries, as the bytes protobuf-go would
 * decode it from, or undefined when it carries a status. `DeliverResponse` is
 * `oneof Type { Status status = 1; Block block = 2; }`, and protobuf-go decodes a oneof member seen
 * again into the value it holds when it is the same member (a `block` sent twice is one merged
 * block) and replaces it with a new value when it is the other (a `status` after a `block` leaves a
 * status): internal/impl/codec_field.go `initOneofFieldCoders`. A Fabric peer's deliver client
 * switches on that decoded member. The occurrences of a message, concatenated, decode as their
 * merge, so a block sent twice comes back as one buffer; the usual single occurrence is a view into
 * `bytes`, not a copy. Throws `PROTOCOL_MALFORMED` where protobuf-go's decoder fails.
 */
export function deliverResponseBlock(bytes: Uint8Array): Uint8Array | undefined {
  const r = new WireReader(bytes, 'deliver_response', 'orderer.DeliverResponse');
  let block: Uint8Array[] | undefined;
  while (r.next()) {
    if (r.has(1, VARINT)) {
      r.int32();
      block = undefined;
    } else if (r.has(2, LEN)) (block ??= []).push(r.bytes());
    else r.skip();
  }
  if (block === undefined) return undefined;
  return block.length === 1 ? block[0] : concatBytes(...block);
}
