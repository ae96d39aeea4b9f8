/**
 * A minimal protobuf wire-format reader for the commit path. Decoding a block's 500 envelopes with
 * google-protobuf builds ~10 message objects per transaction (about 70 µs each); the ledger needs
 * five fields of them, read here as views into the block's bytes. Any malformed input throws (a
 * `ProtocolError` or an `Error`), which the caller turns into an invalid transaction.
 */
import { LEN, VARINT, WireReader } from '../protocol/wire-reader';

// ignoreBOM: a leading U+FEFF is part of the string, as in Go (TextDecoder would drop it).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One field occurrence: varints as numbers (exact up to 2^53), length-delimited as views. */
export type FieldValue = number | Uint8Array;

/**
 * Calls `visit(fieldNumber, value)` for every field of a message, in wire order, framing read by
 * the protocol's {@link WireReader} (protobuf-go's rules). Fixed 32/64-bit fields and groups are
 * skipped (the ledger reads none). A visitor should treat a value of the wrong kind for its field
 * as an unknown field, as protobuf-go does.
 */
export function forEachField(buf: Uint8Array, visit: (field: number, value: FieldValue) => void): void {
  const reader = new WireReader(buf, 'ledger', 'message');
  while (reader.next()) {
    if (reader.wire === VARINT) visit(reader.field, reader.uint());
    else if (reader.wire === LEN) visit(reader.field, reader.bytes());
    else reader.skip();
  }
}

/**
 * The last occurrence of a length-delimited field (proto3: last one wins), or an empty view. An
 * occurrence with another wire type is an unknown field to protobuf-go, and is passed over.
 */
export function bytesField(buf: Uint8Array, field: number): Uint8Array {
  let out: Uint8Array = EMPTY;
  forEachField(buf, (f, v) => {
    if (f === field && typeof v !== 'number') out = v;
  });
  return out;
}

export function asBytes(v: FieldValue, what: string): Uint8Array {
  if (typeof v === 'number') throw new Error(`${what}: expected bytes, got a varint`);
  return v;
}

export function asNumber(v: FieldValue, what: string): number {
  if (typeof v !== 'number') throw new Error(`${what}: expected a varint, got bytes`);
  return v;
}

export function asString(v: FieldValue, what: string): string {
  return utf8.decode(asBytes(v, what));
}

export const EMPTY = new Uint8Array(0);
