import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { CURVE_ORDERS, encodeEcdsaSignature, isLowS } from './ecdsa-signature';
import { readEcdsaSignatureLenient } from './go-certificate';
import type { IdentityKeyType } from './parsed-certificate';

export type SignatureProblem =
  | typeof MspErrorCode.MalformedSignature
  | typeof MspErrorCode.HighS
  | typeof MspErrorCode.BadSignature
  | typeof MspErrorCode.UnsupportedKey;

const ED25519_SIGNATURE_BYTES = 64;

type Verification =
  | { readonly problem: SignatureProblem }
  | { readonly algorithm: string | null; readonly key: KeyObject | { key: KeyObject; dsaEncoding: 'der' }; readonly signature: Uint8Array };

/** The checks that need no crypto: encoding, curve range, low-S. Then how to verify the rest. */
function prepare(publicKey: KeyObject, keyType: IdentityKeyType, signature: Uint8Array): Verification {
  // Fabric's BCCSP imports an RSA certificate's key only so RSA CAs can issue: its verifier needs PSS options the MSP never passes.
  if (keyType === 'rsa') return { problem: MspErrorCode.UnsupportedKey };
  if (keyType === 'ed25519') {
    return signature.length === ED25519_SIGNATURE_BYTES ? { algorithm: null, key: publicKey, signature } : { problem: MspErrorCode.MalformedSignature };
  }
  // Fabric's bccsp reads (r, s) with encoding/asn1 (`UnmarshalECDSASignature`), which ignores bytes
  // after S and after the SEQUENCE: such a signature is valid on a Fabric peer, so it must be here.
  const parsed = readEcdsaSignatureLenient(signature);
  if (!parsed) return { problem: MspErrorCode.MalformedSignature };
  const order = CURVE_ORDERS[publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
  if (order === undefined || parsed.r >= order || parsed.s >= order) return { problem: MspErrorCode.MalformedSignature };
  if (!isLowS(parsed, order)) return { problem: MspErrorCode.HighS };
  // Fabric hashes with the MSP's SignatureHashFamily (SHA2 → SHA-256) whatever the curve.
  return { algorithm: 'sha256', key: { key: publicKey, dsaEncoding: 'der' }, signature: encodeEcdsaSignature(parsed) };
}

/**
 * Checks a signature as Fabric's BCCSP does: ECDSA over SHA-256 of the message, (r, s) read as
 * Go's encoding/asn1 reads them, low-S only; Ed25519 over the message itself. Returns undefined when valid, else the reason.
 * Never throws for bad signature bytes.
 */
export function signatureProblem(
  publicKey: KeyObject,
  keyType: IdentityKeyType,
  message: Uint8Array,
  signature: Uint8Array,
): SignatureProblem | undefined {
  const v = prepare(publicKey, keyType, signature);
  if ('problem' in v) return v.problem;
  return cryptoVerify(v.algorithm, message, v.key, v.signature) ? undefined : MspErrorCode.BadSignature;
}

/** {@link signatureProblem} with the public-key operation on libuv's thread pool. Never rejects. */
export function signatureProblemAsync(
  publicKey: KeyObject,
  keyType: IdentityKeyType,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<SignatureProblem | undefined> {
  const v = prepare(publicKey, keyType, signature);
  if ('problem' in v) return Promise.resolve(v.problem);
  return new Promise((resolve) => {
    try {
      cryptoVerify(v.algorithm, message, v.key, v.signature, (err, ok) => resolve(err === null && ok ? undefined : MspErrorCode.BadSignature));
    } catch {
      resolve(MspErrorCode.BadSignature);
    }
  });
}

export const SIGNATURE_PROBLEM_TEXT: Readonly<Record<SignatureProblem, string>> = {
  MSP_MALFORMED_SIGNATURE: 'is not an ASN.1 ECDSA signature with positive r and s below the curve order (or a 64-byte Ed25519 signature)',
  MSP_HIGH_S: 'has a high S value (Fabric accepts low-S ECDSA signatures only)',
  MSP_BAD_SIGNATURE: 'does not verify against the identity public key',
  MSP_UNSUPPORTED_KEY: "cannot be checked: the identity's key is RSA, with which Fabric's BCCSP verifies no signature",
};
