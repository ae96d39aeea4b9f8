/**
 * Hand encoding for the hot builders (every endorsement): a message is a list of already encoded
 * fields, concatenated once. Output is byte-identical to google-protobuf's for the same message:
 * fields in field-number order, proto3 defaults (0, '', empty bytes) omitted, set sub-messages
 * always written (even when empty).
 */
export type WireField = Uint8Array;

const utf8 = new TextEncoder();

function varint(value: number, out: number[]): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function tagged(field: number, wire: number, rest: number[]): Uint8Array {
  const out: number[] = [];
  varint(field * 8 + wire, out);
  return Uint8Array.from([...out, ...rest]);
}

/** A length-delimited field (bytes, string or sub-message); `omitEmpty` for proto3 scalars. */
export function lenField(field: number, bytes: Uint8Array, omitEmpty: boolean): WireField | undefined {
  if (omitEmpty && bytes.length === 0) return undefined;
  const tag = field * 8 + 2;
  const out = new Uint8Array(varintSize(tag) + varintSize(bytes.length) + bytes.length);
  const pos = putVarint(out, putVarint(out, 0, tag), bytes.length);
  out.set(bytes, pos);
  return out;
}

function varintSize(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

function putVarint(out: Uint8Array, at: number, value: number): number {
  let pos = at;
  let v = value;
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

export function stringField(field: number, value: string): WireField | undefined {
  return value.length === 0 ? undefined : lenField(field, utf8.encode(value), false);
}

/** An `int32` field (negative values as 10-byte two's complement varints), omitted when 0. */
export function int32Field(field: number, value: number): WireField | undefined {
  if (value === 0) return undefined;
  const rest: number[] = [];
  if (value >= 0) varint(value, rest);
  else {
    // Sign-extended to 64 bits: the low 32 bits, then 0xff… for the high half.
    let lo = value >>> 0;
    for (let i = 0; i < 4; i++) {
      rest.push((lo & 0x7f) | 0x80);
      lo >>>= 7;
    }
    rest.push((lo & 0x0f) | 0x70 | 0x80);
    for (let i = 0; i < 4; i++) rest.push(0xff);
    rest.push(0x01);
  }
  return tagged(field, 0, rest);
}

/** Concatenates the fields of one message (undefined = omitted). */
export function message(...fields: (WireField | undefined)[]): Uint8Array {
  let length = 0;
  for (const f of fields) if (f !== undefined) length += f.length;
  const out = new Uint8Array(length);
  let pos = 0;
  for (const f of fields) {
    if (f === undefined) continue;
    out.set(f, pos);
    pos += f.length;
  }
  return out;
}

/** An unsigned varint field (`uint64` as a JS number), omitted when 0. */
export function uintField(field: number, value: number): WireField | undefined {
  if (value === 0) return undefined;
  const rest: number[] = [];
  varint(value, rest);
  return tagged(field, 0, rest);
}

/** A `bool` field, omitted when false. */
export function boolField(field: number, value: boolean): WireField | undefined {
  return value ? tagged(field, 0, [1]) : undefined;
}
