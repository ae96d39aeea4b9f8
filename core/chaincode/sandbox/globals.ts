/**
 * Installs what Node chaincode expects to find globally (Buffer, TextEncoder/TextDecoder) and makes
 * the realm deterministic: `Date` reads the transaction timestamp, `Math.random` is seeded from the
 * transaction ID, and nothing can schedule work outside the transaction. Evaluated before any
 * chaincode module.
 */
import { Buffer } from 'buffer';

const g = globalThis as unknown as Record<string, unknown>;

class WeftTextEncoder {
  readonly encoding = 'utf-8';
  encode(input = ''): Uint8Array {
    const s = String(input);
    const out = new Uint8Array(utf8Length(s));
    utf8Encode(s, out, 0);
    return out;
  }
}

class WeftTextDecoder {
  readonly encoding: string;
  constructor(label = 'utf-8') {
    const l = String(label).toLowerCase();
    if (l !== 'utf-8' && l !== 'utf8') throw new RangeError(`The "${label}" encoding is not supported`);
    this.encoding = 'utf-8';
  }
  decode(input?: ArrayBufferView | ArrayBuffer): string {
    if (input === undefined) return '';
    const b = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
    return utf8Decode(b, 0, b.length);
  }
}

let nowMs = 0;
let seed = [1, 2, 3, 4];

/** sfc32: small, fast, and fully determined by its 128-bit seed. */
function random(): number {
  let [a, b, c, d] = seed;
  a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
  const t = (((a + b) | 0) + d) | 0;
  d = (d + 1) | 0;
  a = b ^ (b >>> 9);
  b = (c + (c << 3)) | 0;
  c = (c << 21) | (c >>> 11);
  c = (c + t) | 0;
  seed = [a, b, c, d];
  return (t >>> 0) / 4294967296;
}

/** cyrb128 string hash → 4 × 32-bit seed words. */
function seedFrom(text: string): number[] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** Called by the dispatcher at the start of every transaction. */
export function beginTransaction(timestampMs: number, txId: string): void {
  nowMs = timestampMs;
  seed = seedFrom(txId);
}

let installed = false;

export function installGlobals(): void {
  if (installed) return;
  installed = true;
  speedUpBuffer();
  g.Buffer = Buffer;
  g.TextEncoder = WeftTextEncoder;
  g.TextDecoder = WeftTextDecoder;
  g.global = globalThis;

  const RealDate = Date;
  RealDate.now = () => nowMs;
  g.Date = new Proxy(RealDate, {
    construct(target, args: unknown[], newTarget) {
      return Reflect.construct(target, args.length === 0 ? [nowMs] : args, newTarget);
    },
    apply() {
      return new RealDate(nowMs).toString();
    },
  });
  Math.random = random;
  for (const name of ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'SharedArrayBuffer', 'Atomics', 'WebAssembly']) {
    delete g[name];
  }
  if (typeof g.console !== 'object' || g.console === null) {
    const noop = (): void => undefined;
    g.console = { log: noop, info: noop, warn: noop, error: noop, debug: noop, trace: noop };
  }
}

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

/** Decodes UTF-8 with U+FFFD for malformed sequences, in chunks (no per-byte arrays). */
export function utf8Decode(b: Uint8Array, start: number, end: number): string {
  let out = '';
  const units: number[] = [];
  const flush = (): void => {
    out += String.fromCharCode.apply(null, units);
    units.length = 0;
  };
  let i = start;
  while (i < end) {
    const b0 = b[i];
    let cp = 0xfffd;
    let n = 1;
    if (b0 < 0x80) cp = b0;
    else if (b0 >= 0xc2 && b0 < 0xe0 && i + 1 < end && (b[i + 1] & 0xc0) === 0x80) {
      cp = ((b0 & 0x1f) << 6) | (b[i + 1] & 0x3f);
      n = 2;
    } else if (b0 >= 0xe0 && b0 < 0xf0 && i + 2 < end && (b[i + 1] & 0xc0) === 0x80 && (b[i + 2] & 0xc0) === 0x80) {
      const v = ((b0 & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
      if (v >= 0x800 && (v < 0xd800 || v > 0xdfff)) {
        cp = v;
        n = 3;
      }
    } else if (b0 >= 0xf0 && b0 < 0xf5 && i + 3 < end && (b[i + 1] & 0xc0) === 0x80 && (b[i + 2] & 0xc0) === 0x80 && (b[i + 3] & 0xc0) === 0x80) {
      const v = ((b0 & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
      if (v >= 0x10000 && v <= 0x10ffff) {
        cp = v;
        n = 4;
      }
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
    } else units.push(cp);
    i += n;
    if (units.length >= 4096) flush();
  }
  flush();
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
