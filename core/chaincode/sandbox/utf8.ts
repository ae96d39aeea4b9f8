/**
 * UTF-8 encoding and decoding without per-byte JS arrays (feross Buffer builds one per byte, which
 * makes multi-megabyte values cost tens of megabytes of heap), and the Buffer paths routed to them.
 */
import { Buffer } from 'buffer';

/** UTF-8 byte length of a JS string (lone surrogates count as U+FFFD, as in Node). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Encodes into `out` from `offset`; returns bytes written. Feross Buffer builds a JS array per byte instead. */
export function utf8Encode(s: string, out: Uint8Array, offset: number): number {
  let p = offset;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && (next & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[p++] = 0xf0 | (c >> 18);
        out[p++] = 0x80 | ((c >> 12) & 0x3f);
        out[p++] = 0x80 | ((c >> 6) & 0x3f);
        out[p++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    out[p++] = 0xe0 | (c >> 12);
    out[p++] = 0x80 | ((c >> 6) & 0x3f);
    out[p++] = 0x80 | (c & 0x3f);
  }
  return p - offset;
}

/** Decodes UTF-8 as the WHATWG decoder (and Node) does: one U+FFFD per maximal invalid subpart. */
export function utf8Decode(b: Uint8Array, start: number, end: number): string {
  let out = '';
  const units: number[] = [];
  const emit = (cp: number): void => {
    if (cp > 0xffff) {
      cp -= 0x10000;
      units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
    } else units.push(cp);
    if (units.length >= 4096) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  };
  let cp = 0;
  let needed = 0;
  let seen = 0;
  let lower = 0x80;
  let upper = 0xbf;
  for (let i = start; i < end; i++) {
    const byte = b[i];
    if (needed === 0) {
      if (byte <= 0x7f) emit(byte);
      else if (byte >= 0xc2 && byte <= 0xdf) {
        needed = 1;
        cp = byte & 0x1f;
      } else if (byte >= 0xe0 && byte <= 0xef) {
        if (byte === 0xe0) lower = 0xa0;
        if (byte === 0xed) upper = 0x9f;
        needed = 2;
        cp = byte & 0x0f;
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        if (byte === 0xf0) lower = 0x90;
        if (byte === 0xf4) upper = 0x8f;
        needed = 3;
        cp = byte & 0x07;
      } else emit(0xfffd);
      continue;
    }
    if (byte < lower || byte > upper) {
      cp = needed = seen = 0;
      lower = 0x80;
      upper = 0xbf;
      emit(0xfffd);
      i--; // the byte starts something new
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (byte & 0x3f);
    if (++seen === needed) {
      emit(cp);
      cp = needed = seen = 0;
    }
  }
  if (needed !== 0) emit(0xfffd);
  out += String.fromCharCode.apply(null, units);
  return out;
}

const isUtf8 = (enc: unknown): boolean => enc === undefined || enc === 'utf8' || enc === 'utf-8' || (typeof enc === 'string' && /^utf-?8$/i.test(enc));

/** Routes Buffer's UTF-8 paths through the encoders above. */
export function speedUpBuffer(): void {
  const B = Buffer as unknown as { from: (...a: unknown[]) => Buffer; byteLength: (...a: unknown[]) => number; allocUnsafe(n: number): Buffer };
  const from = B.from;
  B.from = function (value: unknown, encOrOffset?: unknown, length?: unknown): Buffer {
    if (typeof value === 'string' && isUtf8(encOrOffset)) {
      const buf = B.allocUnsafe(utf8Length(value));
      utf8Encode(value, buf, 0);
      return buf;
    }
    return from.call(Buffer, value, encOrOffset, length);
  };
  const byteLength = B.byteLength;
  B.byteLength = function (value: unknown, enc?: unknown): number {
    if (typeof value === 'string' && isUtf8(enc)) return utf8Length(value);
    return byteLength.call(Buffer, value, enc);
  };
  const toString = Buffer.prototype.toString as (this: Buffer, ...a: unknown[]) => string;
  Buffer.prototype.toString = function (this: Buffer, enc?: unknown, start?: unknown, end?: unknown): string {
    if (isUtf8(enc)) {
      const s = start === undefined ? 0 : Math.max(0, Number(start) | 0);
      const e = end === undefined ? this.length : Math.min(this.length, Number(end) | 0);
      return s >= e ? '' : utf8Decode(this, s, e);
    }
    return toString.call(this, enc, start, end);
  } as typeof Buffer.prototype.toString;
}
