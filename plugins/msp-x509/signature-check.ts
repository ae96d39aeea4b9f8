import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { CURVE_ORDERS, isLowS, parseEcdsaSignature } from './ecdsa-signature';
import type { IdentityKeyType } from './parsed-certificate';

export type SignatureProblem =
  | typeof MspErrorCode.MalformedSignature
  | typeof MspErrorCode.HighS
  | typeof MspErrorCode.BadSignature;

const ED25519_SIGNATURE_BYTES = 64;

/**
 * Checks a signature as Fabric's BCCSP does: ECDSA over SHA-256 of the message, canonical DER,
 * low-S only; Ed25519 over the message itself. Returns undefined when valid, else the reason.
 * Never throws for bad signature bytes.
 */
export function signatureProblem(
  publicKey: KeyObject,
  keyType: IdentityKeyType,
  message: Uint8Array,
  signature: Uint8Array,
): SignatureProblem | undefined {
  if (keyType === 'ed25519') {
    if (signature.length !== ED25519_SIGNATURE_BYTES) return MspErrorCode.MalformedSignature;
    return cryptoVerify(null, message, publicKey, signature) ? undefined : MspErrorCode.BadSignature;
  }
  const parsed = parseEcdsaSignature(signature);
  if (!parsed) return MspErrorCode.MalformedSignature;
  const order = CURVE_ORDERS[publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
  if (order === undefined || parsed.r >= order || parsed.s >= order) return MspErrorCode.MalformedSignature;
  if (!isLowS(parsed, order)) return MspErrorCode.HighS;
  // Fabric hashes with the MSP's SignatureHashFamily (SHA2 → SHA-256) whatever the curve.
  return cryptoVerify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature) ? undefined : MspErrorCode.BadSignature;
}

export const SIGNATURE_PROBLEM_TEXT: Readonly<Record<SignatureProblem, string>> = {
  MSP_MALFORMED_SIGNATURE: 'is not a canonical DER ECDSA signature (or a 64-byte Ed25519 signature)',
  MSP_HIGH_S: 'has a high S value (Fabric accepts low-S ECDSA signatures only)',
  MSP_BAD_SIGNATURE: 'does not verify against the identity public key',
};
