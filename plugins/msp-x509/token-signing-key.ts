import { createHash, type KeyObject } from 'node:crypto';
import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { keyIdForSki, type Pkcs11Options } from './bccsp-options';
import { encodeEcdsaSignature } from './ecdsa-signature';
import { CK, Pkcs11ErrorCode, type Pkcs11Handle } from './pkcs11-library';
import type { Pkcs11Token } from './pkcs11-token';

/** Field size in bytes of the curves the MSP accepts, by OpenSSL curve name. */
const FIELD_BYTES: Readonly<Record<string, number>> = { prime256v1: 32, secp384r1: 48 };

/** The uncompressed EC point 04||X||Y of an EC public key. */
export function uncompressedPoint(publicKey: KeyObject): Buffer {
  const curve = publicKey.asymmetricKeyDetails?.namedCurve ?? '';
  const size = FIELD_BYTES[curve];
  if (size === undefined) {
    throw new MspError(MspErrorCode.UnsupportedKey, `a PKCS#11 signing key must be ECDSA P-256 or P-384; the certificate's key is ${publicKey.asymmetricKeyType ?? '?'} ${curve}`.trim(), { curve });
  }
  const jwk = publicKey.export({ format: 'jwk' });
  const coordinate = (b64: string | undefined): Buffer => Buffer.from(b64 ?? '', 'base64url');
  return Buffer.concat([Buffer.from([4]), coordinate(jwk.x), coordinate(jwk.y)]);
}

/** Fabric's SKI of an EC public key: SHA-256 of its uncompressed point (bccsp/pkcs11 and sw). */
export function subjectKeyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha256').update(uncompressedPoint(publicKey)).digest();
}

/** A private key held in a token, found by the CKA_ID its certificate's SKI maps to. */
export class TokenSigningKey {
  private constructor(
    private readonly token: Pkcs11Token,
    private readonly handle: Pkcs11Handle,
    /** The certificate public key's SKI. */
    readonly ski: Buffer,
  ) {}

  /**
   * The token's EC private key for `publicKey` (a certificate's), under the CKA_ID Fabric would
   * use. Throws MSP_PKCS11_KEY_NOT_FOUND naming the token and SKI.
   */
  static find(token: Pkcs11Token, publicKey: KeyObject, pkcs11: Pick<Pkcs11Options, 'altId' | 'keyIds'>): TokenSigningKey {
    const ski = subjectKeyIdentifier(publicKey);
    const id = keyIdForSki(pkcs11, ski);
    const found = token.findObjects(CK.CKO_PRIVATE_KEY, id, 1);
    if (found.length === 0) {
      const skiHex = ski.toString('hex');
      const idNote = id.equals(ski) ? 'CKA_ID = SKI' : `CKA_ID "${id.toString('utf8')}" (altId/keyIds)`;
      throw new MspError(
        Pkcs11ErrorCode.KeyNotFound,
        `PKCS#11 token "${token.address.label}" holds no private key with ${idNote} for the certificate's SKI ${skiHex}; import it with \`weft msp import-key\``,
        { label: token.address.label, ski: skiHex, keyId: id.toString('hex') },
      );
    }
    return new TokenSigningKey(token, found[0]!, ski);
  }

  /** Signs `digest` in the token (CKM_ECDSA) and returns the signature as DER, S as the token gave it. */
  signDigest(digest: Uint8Array): Uint8Array {
    const raw = this.token.signDigest(this.handle, digest);
    const half = raw.length / 2;
    const big = (b: Buffer): bigint => BigInt(`0x${b.toString('hex')}`);
    return encodeEcdsaSignature({ r: big(raw.subarray(0, half)), s: big(raw.subarray(half)) });
  }
}
