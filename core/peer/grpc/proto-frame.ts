/**
 * Wraps already-serialized message bytes as a length-delimited field of an enclosing message,
 * e.g. `DeliverResponse{block = 2}` around stored block bytes: the block goes out exactly as stored
 * without a decode and re-encode.
 */
export function lengthDelimitedField(fieldNumber: number, bytes: Uint8Array): Uint8Array {
  const tag = varint((fieldNumber << 3) | 2);
  const len = varint(bytes.length);
  const out = new Uint8Array(tag.length + len.length + bytes.length);
  out.set(tag, 0);
  out.set(len, tag.length);
  out.set(bytes, tag.length + len.length);
  return out;
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}
