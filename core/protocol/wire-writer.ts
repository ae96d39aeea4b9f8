/**
 * Hand encoding for the hot builders (every endorsement): a message is a list of fields laid out
 * once. Output is byte-identical to google-protobuf's for the same message: fields in field-number
 * order, proto3 defaults (0, '', empty bytes) omitted, set sub-messages always written (even when
 * empty).
 *
 * Sub-messages ({@link submessage}) are not encoded on their own: their sizes are summed as the tree
 * is built and {@link message} writes the whole tree into one buffer. Encoding each level into a
 * buffer of its own and copying it into its parent cost an ArrayBuffer (a malloc, and a free on V8's
 * sweeper thread) and a copy per level, a dozen per endorsement.
 */

/** A scalar field already encoded (tag included), or a length-delimited field still to write. */
export type WireField = Uint8Array | LenField;

/** A sub-message: its fields and their encoded size, written when its root message is. */
export class WireMessage {
  constructor(
    readonly fields: readonly WireField[],
    readonly size: number,
  ) {}
}

/** A length-delimited field (bytes, string or sub-message) with its tag, length and content. */
export class LenField {
  constructor(
    readonly tag: number,
    readonly content: Uint8Array | WireMessage,
    readonly contentSize: number,
    readonly size: number,
  ) {}
}

const utf8 = new TextEncoder();

/** Bytes of `value` as a varint. */
export function varintSize(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

/** Writes `value` as a varint at `at` in `out`; returns the position after it. */
export function putVarint(out: Uint8Array, at: number, value: number): number {
  let pos = at;
  let v = value;
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

/** `value` as varint bytes (protobuf's, and Go's `binary.PutUvarint`). */
export function varintBytes(value: number): Uint8Array {
  const out = new Uint8Array(varintSize(value));
  putVarint(out, 0, value);
  return out;
}

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
export function lenField(field: number, content: Uint8Array | WireMessage, omitEmpty: boolean): LenField | undefined {
  const contentSize = content instanceof WireMessage ? content.size : content.length;
  if (omitEmpty && contentSize === 0) return undefined;
  const tag = field * 8 + 2;
  return new LenField(tag, content, contentSize, varintSize(tag) + varintSize(contentSize) + contentSize);
}

export function stringField(field: number, value: string): LenField | undefined {
  return value.length === 0 ? undefined : lenField(field, utf8.encode(value), false);
}

/** An `int32` field (negative values as 10-byte two's complement varints), omitted when 0. */
export function int32Field(field: number, value: number): Uint8Array | undefined {
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

/** An unsigned varint field (`uint64` as a JS number), omitted when 0. */
export function uintField(field: number, value: number): Uint8Array | undefined {
  if (value === 0) return undefined;
  const rest: number[] = [];
  varint(value, rest);
  return tagged(field, 0, rest);
}

/** A `bool` field, omitted when false. */
export function boolField(field: number, value: boolean): Uint8Array | undefined {
  return value ? tagged(field, 0, [1]) : undefined;
}

/** The fields of a sub-message (undefined = omitted), to nest in a {@link lenField}. */
export function submessage(...fields: (WireField | undefined)[]): WireMessage {
  const present: WireField[] = [];
  let size = 0;
  for (const f of fields) {
    if (f === undefined) continue;
    present.push(f);
    size += f instanceof LenField ? f.size : f.length;
  }
  return new WireMessage(present, size);
}

/** Encodes one message (undefined = omitted), sub-messages included, into one buffer. */
export function message(...fields: (WireField | undefined)[]): Uint8Array {
  const root = submessage(...fields);
  const out = new Uint8Array(root.size);
  writeFields(out, 0, root.fields);
  return out;
}

function writeFields(out: Uint8Array, at: number, fields: readonly WireField[]): number {
  let pos = at;
  for (const f of fields) {
    if (!(f instanceof LenField)) {
      out.set(f, pos);
      pos += f.length;
      continue;
    }
    pos = putVarint(out, putVarint(out, pos, f.tag), f.contentSize);
    if (f.content instanceof WireMessage) pos = writeFields(out, pos, f.content.fields);
    else {
      out.set(f.content, pos);
      pos += f.contentSize;
    }
  }
  return pos;
}
