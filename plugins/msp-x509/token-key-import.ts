import { createPublicKey, type KeyObject } from 'node:crypto';
import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { keyIdForSki, type Pkcs11Options } from './bccsp-options';
import { CK, Pkcs11ErrorCode, type Pkcs11Attribute } from './pkcs11-library';
import type { Pkcs11Token } from './pkcs11-token';
import { subjectKeyIdentifier, uncompressedPoint } from './token-signing-key';

/** DER of the named-curve OIDs (CKA_EC_PARAMS): P-256 1.2.840.10045.3.1.7, P-384 1.3.132.0.34. */
export const EC_PARAMS: Readonly<Record<string, Buffer>> = {
  prime256v1: Buffer.from('06082a8648ce3d030107', 'hex'),
  secp384r1: Buffer.from('06052b81040022', 'hex'),
};

/** What {@link importTokenKey} did. */
export interface ImportedTokenKey {
  /** The public key's SKI (hex). */
  readonly ski: string;
  /** The CKA_ID the key pair is filed under (hex). */
  readonly keyId: string;
  /** False when the token already held this very key under that CKA_ID (nothing written). */
  readonly created: boolean;
}

function octetString(bytes: Buffer): Buffer {
  // An uncompressed P-256/P-384 point is 65 or 97 bytes: the short length form suffices.
  return Buffer.concat([Buffer.from([0x04, bytes.length]), bytes]);
}

/**
 * Files an EC private key in the token as Fabric's PKCS#11 BCCSP would find it: a private key
 * (sensitive, not extractable, sign only) and its public key, both with CKA_ID = the SKI (or the
 * id `pkcs11`'s altId/keyIds map it to) and CKA_LABEL = the SKI in hex. Idempotent for the same
 * key; throws MSP_PKCS11_KEY_EXISTS when another key holds that CKA_ID, and MSP_UNSUPPORTED_KEY
 * for a key that is not P-256 or P-384.
 */
export function importTokenKey(token: Pkcs11Token, privateKey: KeyObject, pkcs11: Pick<Pkcs11Options, 'altId' | 'keyIds'>): ImportedTokenKey {
  const publicKey = createPublicKey(privateKey);
  const curve = publicKey.asymmetricKeyDetails?.namedCurve ?? '';
  const params = EC_PARAMS[curve];
  if (privateKey.asymmetricKeyType !== 'ec' || params === undefined) {
    throw new MspError(MspErrorCode.UnsupportedKey, `only ECDSA P-256 and P-384 keys can go into a PKCS#11 token; this one is ${privateKey.asymmetricKeyType ?? '?'} ${curve}`.trim(), { curve });
  }
  const point = uncompressedPoint(publicKey);
  const ski = subjectKeyIdentifier(publicKey);
  const id = keyIdForSki(pkcs11, ski);
  const result = { ski: ski.toString('hex'), keyId: id.toString('hex') };
  const existing = token.findObjects(CK.CKO_PUBLIC_KEY, id, 2);
  const existingPrivate = token.findObjects(CK.CKO_PRIVATE_KEY, id, 2);
  if (existing.length > 0 || existingPrivate.length > 0) {
    const sameKey = existing.length === 1 && existingPrivate.length === 1 && token.attributes(existing[0]!, [CK.CKA_EC_POINT])[0]!.equals(octetString(point));
    if (sameKey) return { ...result, created: false };
    throw new MspError(
      Pkcs11ErrorCode.KeyExists,
      `PKCS#11 token "${token.address.label}" already holds another key under CKA_ID ${result.keyId}; remove it from the token first, or give this key another id (keyIds)`,
      { label: token.address.label, ski: result.ski, keyId: result.keyId },
    );
  }
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const common: Pkcs11Attribute[] = [
    { type: CK.CKA_KEY_TYPE, value: CK.CKK_EC },
    { type: CK.CKA_TOKEN, value: true },
    { type: CK.CKA_ID, value: id },
    { type: CK.CKA_LABEL, value: result.ski },
    { type: CK.CKA_EC_PARAMS, value: params },
  ];
  const publicHandle = token.createObject([{ type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY }, ...common, { type: CK.CKA_VERIFY, value: true }, { type: CK.CKA_EC_POINT, value: octetString(point) }]);
  try {
    token.createObject([
      { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
      ...common,
      { type: CK.CKA_PRIVATE, value: true },
      { type: CK.CKA_SENSITIVE, value: true },
      { type: CK.CKA_EXTRACTABLE, value: false },
      { type: CK.CKA_SIGN, value: true },
      { type: CK.CKA_VALUE, value: d },
    ]);
  } catch (err) {
    // Leave no half key pair behind.
    token.destroyObject(publicHandle);
    throw err;
  }
  return { ...result, created: true };
}
