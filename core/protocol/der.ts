import { concatBytes } from './bytes';
import { badInput } from './bounded-decode';

/**
 * The few ASN.1 DER encodings Fabric's block header hash needs (Go `encoding/asn1` output for a
 * struct of `*big.Int`, `[]byte`, `[]byte`).
 */

function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), derLength(content.length), content);
}

/** DER INTEGER of a non-negative integer (minimal two's complement, leading 0x00 when the top bit is set). */
export function derInteger(value: bigint | number): Uint8Array {
  let n: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) badInput('der.integer', 'a non-negative safe integer', value);
    n = BigInt(value);
  } else {
    if (value < 0n) badInput('der.integer', 'a non-negative integer', value);
    n = value;
  }
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (n > 0n);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** DER OCTET STRING. */
export function derOctetString(value: Uint8Array): Uint8Array {
  return tlv(0x04, value);
}

/** DER SEQUENCE of already-encoded elements. */
export function derSequence(...elements: readonly Uint8Array[]): Uint8Array {
  return tlv(0x30, concatBytes(...elements));
}
