import { ProtocolError } from '../errors';
import { ProtocolErrorCode } from './bounded-decode';

/** Wire types (protobuf encoding spec). */
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
const START_GROUP = 3;
const END_GROUP = 4;
export const FIXED32 = 5;

/** Largest field number protobuf allows (2^29 - 1); protobuf-go refuses a message with a bigger one. */
const MAX_FIELD_NUMBER = 536870911;
/** protobuf-go's `DefaultRecursionLimit` for nested groups of an unknown field. */
const GROUP_DEPTH_LIMIT = 10000;

/**
 * A singular embedded message as it arrived: one occurrence, or every occurrence in wire order when
 * the field was repeated. protobuf-go merges repeated occurrences of a singular message field (the
 * later ones are decoded into the same message), so a decoder reads all of them, each framed on its
 * own, with {@link WireReader}. The common single occurrence costs no allocation.
 */
export type MessageBytes = Uint8Array | readonly Uint8Array[];

/**
 * A protobuf wire-format cursor for the hot decoders (headers on every proposal and envelope, the
 * transactions of every block). google-protobuf builds a message object per (sub)message through
 * shared, megamorphic reader code, which in a busy peer costs tens of µs per object; reading the
 * few fields a parser needs straight from the bytes is several times cheaper.
 *
 * It decodes as protobuf-go (`internal/impl/decode.go`), which is what a Fabric peer runs, so both
 * accept and refuse the same bytes: a known field with an unexpected wire type is an unknown field
 * (decoders test {@link has} and {@link skip} the rest), groups are skipped whole, field numbers
 * above 2^29-1, overflowing varints, stray END_GROUP tags and invalid UTF-8 in a string fail, the
 * last occurrence of a scalar, string or bytes field wins, and the occurrences of a message field
 * are merged ({@link message}). Bytes fields are views into the input (no copy). Malformed input
 * throws `PROTOCOL_MALFORMED` naming `path`.
 */
export class WireReader {
  private buf: Uint8Array;
  private pos = 0;
  /** The occurrences of a merged message, when there is more than one; `buf` is `segments[segment]`. */
  private readonly segments: readonly Uint8Array[] | undefined;
  private segment = 0;
  /** Field number of the field just read by {@link next}. */
  field = 0;
  /** Wire type of the field just read by {@link next}. */
  wire = 0;
  /** Offset of the field just read by {@link next} (its tag) in the current occurrence. */
  fieldStart = 0;

  constructor(
    bytes: MessageBytes,
    private readonly path: string,
    /** The message type's name, for errors. */
    private readonly typeName: string,
  ) {
    if (bytes instanceof Uint8Array) {
      this.buf = bytes;
      this.segments = undefined;
    } else {
      this.buf = bytes.length > 0 ? bytes[0] : EMPTY;
      this.segments = bytes;
    }
  }

  /** Advances to the next field's tag; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.buf.length && !this.nextSegment()) return false;
    this.fieldStart = this.pos;
    const tag = this.varint();
    // tag >> 3 > MAX_FIELD_NUMBER exactly when tag >= 2^32 (and a larger varint is inexact as a number).
    if (tag >= (MAX_FIELD_NUMBER + 1) * 8) this.fail(`field number above ${MAX_FIELD_NUMBER}`);
    this.field = Math.floor(tag / 8);
    this.wire = tag % 8;
    if (this.field === 0) this.fail('field number 0');
    if (this.wire === END_GROUP) this.fail(`field ${this.field}: END_GROUP without a group`);
    return true;
  }

  /** Whether the field just read is `field` with wire type `wire`; any other wire type makes it an unknown field. */
  has(field: number, wire: number): boolean {
    return this.field === field && this.wire === wire;
  }

  /** The current field as an unsigned varint (exact up to 2^53, as google-protobuf's numbers). */
  uint(): number {
    this.expectWire(VARINT);
    return this.varint();
  }

  /** The current field as a `uint32`: the varint's low 32 bits, as protobuf-go's `uint32(v)`. */
  uint32(): number {
    return this.int32() >>> 0;
  }

  /** The current field as an `int32`: the varint's low 32 bits, signed. */
  int32(): number {
    this.expectWire(VARINT);
    const start = this.pos;
    const v = this.varint();
    // The low 32 bits decide an int32, whatever the varint's length.
    return this.pos - start > 5 || v >= 2 ** 31 ? lowInt32(this.buf, start) : v;
  }

  /** The current field as an `int64` number (google-protobuf's default JS type for int64). */
  int64(): number {
    this.expectWire(VARINT);
    const start = this.pos;
    const v = this.varint();
    return v >= 2 ** 63 ? signed64(this.buf, start) : v;
  }

  /** The current length-delimited field as a view into the input. */
  bytes(): Uint8Array {
    this.expectWire(LEN);
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) this.fail(`field ${this.field}: length ${len} runs past the end`);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** The current field as a proto3 `string`: valid UTF-8, as protobuf-go requires. */
  string(): string {
    const b = this.bytes();
    if (b.length === 0) return '';
    try {
      return utf8.decode(b);
    } catch {
      return this.fail(`field ${this.field}: string is not valid UTF-8`);
    }
  }

  /**
   * The current field as one more occurrence of a singular message field: appended to `previous`
   * (the occurrences read so far, undefined before the first), to be decoded together.
   */
  message(previous: MessageBytes | undefined): MessageBytes {
    const b = this.bytes();
    if (previous === undefined) return b;
    return previous instanceof Uint8Array ? [previous, b] : [...previous, b];
  }

  /** Offset just past the last value read or skipped, in the current occurrence. */
  get offset(): number {
    return this.pos;
  }

  /** Skips the current field's value (groups whole, as protowire.ConsumeFieldValue). */
  skip(): void {
    switch (this.wire) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.advance(8);
        return;
      case LEN:
        this.bytes();
        return;
      case START_GROUP:
        this.skipGroup(this.field);
        return;
      case FIXED32:
        this.advance(4);
        return;
      default:
        this.fail(`field ${this.field}: reserved wire type ${this.wire}`);
    }
  }

  /** Skips to the END_GROUP of `field`, through nested groups; the group must close in this occurrence. */
  private skipGroup(field: number): void {
    const open = [field];
    while (open.length > 0) {
      if (this.pos >= this.buf.length) this.fail(`field ${field}: group is not closed`);
      const tag = this.varint();
      // Inside a group protowire.ConsumeTag takes numbers 1..2^31-1.
      const num = Math.floor(tag / 8);
      const wire = tag % 8;
      if (num < 1 || num > 2 ** 31 - 1) this.fail(`field ${field}: group holds field number ${num}`);
      if (wire === END_GROUP) {
        if (open.pop() !== num) this.fail(`field ${field}: END_GROUP of field ${num} closes another group`);
      } else if (wire === START_GROUP) {
        if (open.length > GROUP_DEPTH_LIMIT) this.fail(`field ${field}: groups nested deeper than ${GROUP_DEPTH_LIMIT}`);
        open.push(num);
      } else if (wire === VARINT) this.varint();
      else if (wire === FIXED64) this.advance(8);
      else if (wire === FIXED32) this.advance(4);
      else if (wire === LEN) {
        const len = this.varint();
        if (this.pos + len > this.buf.length) this.fail(`field ${num}: length ${len} runs past the end`);
        this.pos += len;
      } else this.fail(`field ${num}: reserved wire type ${wire}`);
    }
  }

  private nextSegment(): boolean {
    const segments = this.segments;
    if (segments === undefined) return false;
    while (this.segment + 1 < segments.length) {
      this.buf = segments[++this.segment];
      this.pos = 0;
      if (this.buf.length > 0) return true;
    }
    return false;
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) this.fail(`field ${this.field}: truncated fixed-width value`);
    this.pos += n;
  }

  private expectWire(wire: number): void {
    if (this.wire !== wire) this.fail(`field ${this.field}: wire type ${this.wire}, expected ${wire}`);
  }

  /** protowire.ConsumeVarint: at most 10 bytes, and the 10th may only carry bit 63. */
  private varint(): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      if (i === 9 && b > 1) this.fail('varint overflows 64 bits');
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return value;
      mul *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }

  private fail(reason: string): never {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `${this.path}: cannot decode ${this.buf.length} bytes as ${this.typeName}: ${reason}`, {
      path: this.path,
      message: this.typeName,
      length: this.buf.length,
      reason,
    });
  }
}

const EMPTY = new Uint8Array(0);
// ignoreBOM: a leading U+FEFF is part of the string, as in Go (TextDecoder would drop it).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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
