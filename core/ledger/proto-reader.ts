/**
 * A minimal protobuf wire-format reader for the commit path. Decoding a block's 500 envelopes with
 * google-protobuf builds ~10 message objects per transaction (about 70 µs each); the ledger needs
 * five fields of them, read here as views into the block's bytes. Any malformed input throws a
 * plain `Error` that the caller turns into an invalid transaction.
 */
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One field occurrence: varints as numbers (exact up to 2^53), length-delimited as views. */
export type FieldValue = number | Uint8Array;

export function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [value, pos];
    mul *= 128;
  }
  throw new Error('varint longer than 10 bytes');
}

/**
 * Calls `visit(fieldNumber, value)` for every field of a message, in wire order. Fixed 32/64-bit
 * fields are skipped (the ledger reads none); groups are rejected.
 */
export function forEachField(buf: Uint8Array, visit: (field: number, value: FieldValue) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p] = readVarint(buf, pos);
    pos = p;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) throw new Error('field number 0');
    if (wire === WIRE_VARINT) {
      const [v, n] = readVarint(buf, pos);
      pos = n;
      visit(field, v);
    } else if (wire === WIRE_LEN) {
      const [len, n] = readVarint(buf, pos);
      const end = n + len;
      if (end > buf.length) throw new Error(`field ${field}: length ${len} runs past the end`);
      visit(field, buf.subarray(n, end));
      pos = end;
    } else if (wire === WIRE_I64) {
      pos += 8;
    } else if (wire === WIRE_I32) {
      pos += 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
    if (pos > buf.length) throw new Error('truncated fixed-width field');
  }
}

/** The last occurrence of a length-delimited field (proto3: last one wins), or an empty view. */
export function bytesField(buf: Uint8Array, field: number): Uint8Array {
  let out: Uint8Array = EMPTY;
  forEachField(buf, (f, v) => {
    if (f === field) {
      if (typeof v === 'number') throw new Error(`field ${field}: expected bytes, got a varint`);
      out = v;
    }
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
