import { ProtocolError } from '../errors';
import { ProtocolErrorCode } from './bounded-decode';

/**
 * A protobuf wire-format cursor for the hot decoders (headers on every proposal and envelope).
 * google-protobuf builds a message object per (sub)message through shared, megamorphic reader code,
 * which in a busy peer costs tens of µs per object; reading the few fields a parser needs straight
 * from the bytes is several times cheaper. Semantics follow proto3 as google-protobuf decodes it:
 * unknown fields are skipped, the last occurrence of a scalar field wins, bytes fields are views
 * into the input (no copy). Malformed framing throws `PROTOCOL_MALFORMED` naming `path`.
 */
export class WireReader {
  private pos = 0;
  /** Field number of the field just read by {@link next}. */
  field = 0;
  /** Wire type of the field just read by {@link next}. */
  wire = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly path: string,
    private readonly message: string,
  ) {}

  /** Advances to the next field's tag; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.buf.length) return false;
    const tag = this.varint();
    this.field = Math.floor(tag / 8);
    this.wire = tag % 8;
    if (this.field === 0) this.fail('field number 0');
    return true;
  }

  /** The current field as an unsigned varint (exact up to 2^53, as google-protobuf's numbers). */
  uint(): number {
    this.expectWire(0);
    return this.varint();
  }

  /** The current field as an `int32` (negative values are sign-extended 10-byte varints). */
  int32(): number {
    this.expectWire(0);
    const start = this.pos;
    const v = this.varint();
    // The low 32 bits decide an int32, whatever the varint's length.
    return this.pos - start > 5 || v >= 2 ** 31 ? lowInt32(this.buf, start) : v;
  }

  /** The current field as an `int64` number (google-protobuf's default JS type for int64). */
  int64(): number {
    this.expectWire(0);
    const start = this.pos;
    const v = this.varint();
    return v >= 2 ** 63 ? signed64(this.buf, start) : v;
  }

  /** The current length-delimited field as a view into the input. */
  bytes(): Uint8Array {
    this.expectWire(2);
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) this.fail(`field ${this.field}: length ${len} runs past the end`);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  string(): string {
    const b = this.bytes();
    return b.length === 0 ? '' : utf8.decode(b);
  }

  /** Skips the current field's value. */
  skip(): void {
    switch (this.wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        this.fail(`field ${this.field}: unsupported wire type ${this.wire}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) this.fail(`field ${this.field}: truncated fixed-width value`);
    this.pos += n;
  }

  private expectWire(wire: number): void {
    if (this.wire !== wire) this.fail(`field ${this.field}: wire type ${this.wire}, expected ${wire}`);
  }

  private varint(): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return value;
      mul *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }

  private fail(reason: string): never {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `${this.path}: cannot decode ${this.buf.length} bytes as ${this.message}: ${reason}`, {
      path: this.path,
      message: this.message,
      length: this.buf.length,
      reason,
    });
  }
}

const utf8 = new TextDecoder('utf-8');

/** The low 32 bits of the varint at `start`, as a signed int32. */
function lowInt32(buf: Uint8Array, start: number): number {
  let v = 0;
  for (let i = 0, pos = start; i < 5; i++, pos++) {
    const b = buf[pos];
    v |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) break;
  }
  return v | 0;
}

/** A 64-bit two's complement varint at `start` as a (possibly inexact) negative number. */
function signed64(buf: Uint8Array, start: number): number {
  let lo = 0;
  let hi = 0;
  let pos = start;
  for (let i = 0; i < 10; i++, pos++) {
    const b = buf[pos] & 0x7f;
    const shift = 7 * i;
    if (shift < 28) lo |= b << shift;
    else if (shift === 28) {
      lo |= (b & 0x0f) << 28;
      hi |= b >> 4;
    } else hi |= b << (shift - 32);
    if ((buf[pos] & 0x80) === 0) break;
  }
  return (hi | 0) * 2 ** 32 + (lo >>> 0);
}
