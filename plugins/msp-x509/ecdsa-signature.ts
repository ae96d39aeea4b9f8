/**
 * Strict DER codec for ECDSA signatures and Fabric's low-S rule. Fabric (bccsp/utils/ecdsa.go)
 * rejects a signature whose S is above half the curve order, because (r, n−S) is a second valid
 * signature over the same message; node:crypto neither produces nor checks low-S on its own.
 */
import { derInteger, derSequence } from '../../core/protocol/der';

/**
 * Group orders of every curve Go's x509 parses (P-224/256/384/521), by OpenSSL curve name: Fabric's
 * `SignatureToLowS` over a parent's curve and its BCCSP's low-S rule (`curveHalfOrders`) know them all.
 */
export const CURVE_ORDERS: Readonly<Record<string, bigint>> = {
  prime256v1: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  secp384r1:
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  secp224r1: 0xffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3dn,
  secp521r1:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

export interface EcdsaSignature {
  readonly r: bigint;
  readonly s: bigint;
}

function readLength(der: Uint8Array, at: number): { length: number; next: number } | undefined {
  if (at >= der.length) return undefined;
  const first = der[at];
  if (first < 0x80) return { length: first, next: at + 1 };
  // Signatures are < 256 bytes: only the one-byte long form (0x81) is canonical and needed.
  if (first !== 0x81 || at + 1 >= der.length || der[at + 1] < 0x80) return undefined;
  return { length: der[at + 1], next: at + 2 };
}

function readInteger(der: Uint8Array, at: number): { value: bigint; next: number } | undefined {
  if (der[at] !== 0x02) return undefined;
  const len = readLength(der, at + 1);
  if (!len || len.length === 0 || len.next + len.length > der.length) return undefined;
  const bytes = der.subarray(len.next, len.next + len.length);
  if (bytes[0] & 0x80) return undefined; // negative
  if (bytes.length > 1 && bytes[0] === 0 && !(bytes[1] & 0x80)) return undefined; // non-minimal
  // One BigInt from hex: building it byte by byte allocates a BigInt per byte (every verify runs this).
  const value = BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex'));
  return { value, next: len.next + len.length };
}

/** Parses `SEQUENCE { INTEGER r, INTEGER s }` in canonical DER; undefined on any deviation. */
export function parseEcdsaSignature(der: Uint8Array): EcdsaSignature | undefined {
  if (der.length < 8 || der[0] !== 0x30) return undefined;
  const seq = readLength(der, 1);
  if (!seq || seq.next + seq.length !== der.length) return undefined;
  const r = readInteger(der, seq.next);
  if (!r) return undefined;
  const s = readInteger(der, r.next);
  if (!s || s.next !== der.length) return undefined;
  if (r.value === 0n || s.value === 0n) return undefined;
  return { r: r.value, s: s.value };
}

/** `SEQUENCE { INTEGER r, INTEGER s }` in canonical DER (what {@link parseEcdsaSignature} accepts). */
export function encodeEcdsaSignature(sig: EcdsaSignature): Uint8Array {
  return derSequence(derInteger(sig.r), derInteger(sig.s));
}

export function isLowS(sig: EcdsaSignature, order: bigint): boolean {
  return sig.s <= order >> 1n;
}

/** Returns the DER signature with S replaced by n−S when S is high; low-S input comes back unchanged. */
export function toLowS(der: Uint8Array, order: bigint): Uint8Array {
  const sig = parseEcdsaSignature(der);
  if (!sig) throw new Error('toLowS: not a canonical DER ECDSA signature');
  if (isLowS(sig, order)) return der;
  return encodeEcdsaSignature({ r: sig.r, s: order - sig.s });
}
