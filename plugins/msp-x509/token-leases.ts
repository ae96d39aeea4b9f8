import * as path from 'node:path';
import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { tokenAddressOf, type Pkcs11Options } from './bccsp-options';
import { openToken, type TokenLease } from './pkcs11-token';
import { TokenSigningKey } from './token-signing-key';
import type { X509Identity } from './x509-identity';
import { X509SigningIdentity } from './x509-signing-identity';

/**
 * The token sessions one holder (an MSP provider, so a node) uses: each token leased once however
 * many identities and reloads sign with it, all released by {@link releaseAll} when the node stops.
 */
export class TokenLeases {
  private readonly leases = new Map<string, TokenLease>();

  /** The signing key for `identity`'s certificate in the token `pkcs11` names, its session leased on first use. */
  signingKey(identity: X509Identity, pkcs11: Pkcs11Options): TokenSigningKey {
    const address = tokenAddressOf(pkcs11);
    const key = `${path.resolve(address.library)}\0${address.label}`;
    let lease = this.leases.get(key);
    if (lease === undefined) {
      lease = openToken(address);
      this.leases.set(key, lease);
    }
    return TokenSigningKey.find(lease.token, identity.certificate.publicKey, pkcs11);
  }

  releaseAll(): void {
    for (const lease of this.leases.values()) lease.release();
    this.leases.clear();
  }
}

/** Leases of callers that name no holder (a CLI command, a test): kept until the process ends. */
export const processTokenLeases = new TokenLeases();

const PROBE = Buffer.from('weft: does the token key match the certificate?');

/**
 * `identity` signing with its token key, after one signature made with it verified under the
 * certificate's public key: a key filed under the certificate's CKA_ID (or altId) that is another
 * key fails here, at load, rather than in every endorsement. Throws MSP_KEY_MISMATCH.
 */
export function tokenSigningIdentity(identity: X509Identity, pkcs11: Pkcs11Options, leases: TokenLeases, certDir: string): X509SigningIdentity {
  const key = leases.signingKey(identity, pkcs11);
  const signer = new X509SigningIdentity(identity, key);
  if (!identity.verify(PROBE, signer.sign(PROBE))) {
    throw new MspError(
      MspErrorCode.KeyMismatch,
      `the key in PKCS#11 token "${pkcs11.label}" found for SKI ${key.ski.toString('hex')} does not match the certificate in ${certDir}`,
      { label: pkcs11.label, ski: key.ski.toString('hex'), file: certDir },
    );
  }
  return signer;
}
