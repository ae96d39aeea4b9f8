import { createHash, randomBytes } from 'node:crypto';
import { toHex } from './bytes';

/** Fabric's nonce length (`crypto.NonceSize`). */
export const NONCE_LENGTH = 24;

/** A fresh 24-byte random nonce, as Fabric's `crypto.GetRandomNonce`. */
export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_LENGTH));
}

/** Fabric's transaction id: hex(SHA-256(nonce ‖ creator)), `protoutil.ComputeTxID`. */
export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
  return toHex(createHash('sha256').update(nonce).update(creator).digest());
}
