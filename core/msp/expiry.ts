import { MspError } from '../errors';
import type { Identity } from './identity';
import { MspErrorCode } from './msp-error-code';

/**
 * Rejects an identity whose certificate has expired. MSP validation deliberately ignores expiry
 * (Fabric: identities are revoked by CRL, and blocks signed long ago must still validate), but the
 * proposal and broadcast paths refuse expired creators, as Fabric's `ExpiresAt` checks do.
 */
export function assertNotExpired(identity: Identity, now: Date = new Date()): void {
  if (identity.expiresAt.getTime() <= now.getTime()) {
    throw new MspError(
      MspErrorCode.Expired,
      `identity ${identity.id.slice(0, 16)}… of MSP ${identity.mspId} expired at ${identity.expiresAt.toISOString()} (now ${now.toISOString()})`,
      { mspId: identity.mspId, id: identity.id, expiresAt: identity.expiresAt.toISOString(), now: now.toISOString() },
    );
  }
}
