import { concatBytes } from './bytes';
import { badInput } from './bounded-decode';

/**
 * The one ASN.1 DER encoder (Go `encoding/asn1` output): Fabric's block header hash (a struct of
 * `*big.Int`, `[]byte`, `[]byte`), ECDSA signatures, and certificates the X.509 MSP re-encodes.
 * Reading is `DerReader`'s (`der-reader.ts`).
 */

/** Definite, minimal length octets (short form below 128, else 0x80|n and n big-endian bytes). */
function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** DER encoding of one element from its tag byte and its contents (concatenated). */
export function encodeDer(tag: number, ...contents: readonly Uint8Array[]): Uint8Array {
  const body = contents.length === 1 ? contents[0]! : concatBytes(...contents);
  return concatBytes(Uint8Array.of(tag), derLength(body.length), body);
}

/** Keeps a positive integer whose top bit is set from reading as negative. */
const SIGN_OCTET = Uint8Array.of(0);

/** DER INTEGER of a non-negative integer (minimal two's complement, leading 0x00 when the top bit is set). */
export function derInteger(value: bigint | number): Uint8Array {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) badInput('der.integer', 'a non-negative safe integer', value);
  } else if (value < 0n) {
    badInput('der.integer', 'a non-negative integer', value);
  }
  // One hex string rather than a shift per byte: a BigInt per byte is an allocation per byte, and
  // ECDSA signatures are encoded on every signature check.
  const hex = value.toString(16);
  const bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  return bytes[0]! & 0x80 ? encodeDer(0x02, SIGN_OCTET, bytes) : encodeDer(0x02, bytes);
}

/** DER OCTET STRING. */
export function derOctetString(value: Uint8Array): Uint8Array {
  return encodeDer(0x04, value);
}

/** DER SEQUENCE of already-encoded elements. */
export function derSequence(...elements: readonly Uint8Array[]): Uint8Array {
  return encodeDer(0x30, ...elements);
}
