import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { SigningIdentity } from '../../core/msp/identity';
import { CURVE_ORDERS, toLowS } from './ecdsa-signature';
import { X509Identity } from './x509-identity';

/**
 * An identity with its private key preloaded as a `KeyObject` (re-parsing PEM per signature is
 * about 15× slower). ECDSA signatures are SHA-256, DER, normalised to low-S as Fabric requires.
 */
export class X509SigningIdentity extends X509Identity implements SigningIdentity {
  private readonly order: bigint | undefined;

  constructor(identity: X509Identity, private readonly privateKey: KeyObject) {
    super(
      // Reuse the deserialized identity's MSP binding and parsed certificate.
      { validateIdentity: () => identity.issuingCa(), satisfiesPrincipal: (_id, p) => identity.satisfiesPrincipal(p) },
      identity.mspId,
      identity.serialized,
      identity.idBytes,
      identity.certificate,
      identity.keyType,
      identity.sanitizedDer,
    );
    this.order = CURVE_ORDERS[privateKey.asymmetricKeyDetails?.namedCurve ?? ''];
  }

  sign(message: Uint8Array): Uint8Array {
    if (this.keyType === 'ed25519') return new Uint8Array(cryptoSign(null, message, this.privateKey));
    const der = new Uint8Array(cryptoSign('sha256', message, { key: this.privateKey, dsaEncoding: 'der' }));
    return this.order === undefined ? der : toLowS(der, this.order);
  }
}
