import { createHash, sign as cryptoSign, KeyObject } from 'node:crypto';
import type { SigningIdentity } from '../../core/msp/identity';
import { serializeIdentity } from '../../core/protocol/serialized-identity';
import { toPem } from './crypto-material/pem';
import { CURVE_ORDERS, toLowS } from './ecdsa-signature';
import type { TokenSigningKey } from './token-signing-key';
import { X509Identity } from './x509-identity';

/**
 * An identity with its private key preloaded as a `KeyObject` (re-parsing PEM per signature is
 * about 15× slower), or held in a PKCS#11 token. ECDSA signatures are SHA-256, DER, normalised to
 * low-S as Fabric requires, whichever holds the key. It serializes its certificate as Fabric's
 * signing identity does (`Serialize` over the `sanitizeCert` output): a signcert whose own signature
 * is high-S (cryptogen's, half the time) goes out low-S in creators, endorsements and block
 * signatures, as a Fabric node's does.
 */
export class X509SigningIdentity extends X509Identity implements SigningIdentity {
  private readonly order: bigint | undefined;

  constructor(identity: X509Identity, private readonly privateKey: KeyObject | TokenSigningKey) {
    const sanitized = Buffer.compare(identity.sanitizedDer, identity.certificate.der) === 0 ? undefined : new TextEncoder().encode(toPem('CERTIFICATE', identity.sanitizedDer));
    super(
      // Reuse the deserialized identity's MSP binding and parsed certificate.
      { validateIdentity: () => identity.issuingCa(), satisfiesPrincipal: (_id, p) => identity.satisfiesPrincipal(p) },
      identity.mspId,
      sanitized === undefined ? identity.serialized : serializeIdentity(identity.mspId, sanitized),
      sanitized ?? identity.idBytes,
      identity.certificate,
      identity.keyType,
      identity.sanitizedDer,
    );
    this.order = CURVE_ORDERS[identity.certificate.publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
  }

  sign(message: Uint8Array): Uint8Array {
    const key = this.privateKey;
    if (!(key instanceof KeyObject)) {
      // Tokens sign a digest (CKM_ECDSA); the hash is ours, as Fabric's MSP hashes before BCCSP.Sign.
      const der = key.signDigest(createHash('sha256').update(message).digest());
      return this.order === undefined ? der : toLowS(der, this.order);
    }
    if (this.keyType === 'ed25519') return new Uint8Array(cryptoSign(null, message, key));
    const der = new Uint8Array(cryptoSign('sha256', message, { key, dsaEncoding: 'der' }));
    return this.order === undefined ? der : toLowS(der, this.order);
  }
}
