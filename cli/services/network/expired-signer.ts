import type { Signer } from '../../../core/protocol/signer';
import { signingProviderOf } from '../client/client-identity';
import type { UserLayout } from './network-layout';

/**
 * A signer over a user's MSP folder that does not refuse an expired certificate, as a plain
 * `loadSigningIdentity` does (Fabric's setupSigningIdentity). Only for the one signature that may
 * come from an expired identity: a ConfigSignature inside a config update, which the channel's MSP
 * checks at the certificate's NotBefore + 1s and so still counts. An envelope signed by it is
 * refused by every orderer and peer.
 */
export function signerIgnoringExpiry(user: UserLayout): Signer & { readonly notAfter: Date } {
  const identity = signingProviderOf(user).loadSigningIdentity(user.mspDir, user.mspId, { allowExpired: true });
  return { serialized: identity.serialized, notAfter: identity.expiresAt, sign: (message) => identity.sign(message) };
}
