/**
 * Raw protobuf encoding, to build what google-protobuf never writes (a singular field repeated, a
 * wrong wire type, groups, oversized field numbers), for tests of decoders that must read such
 * bytes as protobuf-go does.
 */

/** A base-128 varint. */
export const varint = (v: number | bigint): number[] => {
  let x = BigInt(v);
  const out: number[] = [];
  while (x >= 128n) {
    out.push(Number(x & 127n) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
};

/** A field's tag. */
export const tag = (field: number, wire: number): number[] => varint((BigInt(field) << 3n) | BigInt(wire));

export const cat = (...parts: (Uint8Array | number[])[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** A length-delimited field. */
export const len = (field: number, bytes: Uint8Array): Uint8Array => cat(tag(field, 2), varint(bytes.length), bytes);

/** A varint field. */
export const vint = (field: number, v: number | bigint): Uint8Array => cat(tag(field, 0), varint(v));
