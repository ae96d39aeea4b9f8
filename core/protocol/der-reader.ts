/**
 * A minimal DER walker for the parts of X.509 that chain building needs byte for byte (raw issuer
 * and subject names, raw TBS, extensions, CRLs). Go's x509 compares names and re-encodes signatures
 * on these exact bytes, which node:crypto does not expose. Lengths must be definite and minimal, as
 * Go's `encoding/asn1` demands. In core so the node's TLS revocation checks and the X.509 MSP
 * plugin read CRLs with the same reader. Writing is `encodeDer`'s (`der.ts`).
 */

/** One DER element: its tag byte, the whole encoding and the contents. */
export interface DerElement {
  readonly tag: number;
  readonly raw: Uint8Array;
  readonly content: Uint8Array;
}

export class DerError extends Error {}

/** Reads consecutive DER elements from a byte range. */
export class DerReader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.at];
  }

  /** The next element; its tag must be `tag` when given. */
  read(tag?: number): DerElement {
    const b = this.bytes;
    const start = this.at;
    if (start + 2 > b.length) throw new DerError('truncated element');
    const t = b[start];
    if ((t & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used in X.509');
    if (tag !== undefined && t !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${t.toString(16)}`);
    let len = b[start + 1];
    let head = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new DerError('indefinite or oversized length');
      if (start + 2 + n > b.length) throw new DerError('truncated length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[start + 2 + i];
      if (b[start + 2] === 0 || len < 0x80) throw new DerError('non-minimal length');
      head = 2 + n;
    }
    const end = start + head + len;
    if (end > b.length) throw new DerError('element runs past its container');
    this.at = end;
    return { tag: t, raw: b.subarray(start, end), content: b.subarray(start + head, end) };
  }

  /** The next element if it has `tag`, else undefined. */
  readOptional(tag: number): DerElement | undefined {
    return this.peekTag() === tag ? this.read(tag) : undefined;
  }
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  SEQUENCE: 0x30,
} as const;

/** Dotted form of an OBJECT IDENTIFIER's contents. */
export function oidToString(content: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join('.');
}
