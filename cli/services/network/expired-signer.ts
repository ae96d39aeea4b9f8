import type { Signer } from '../../../core/protocol/signer';
import { cliTokenMspOptions, cliTokenProvider } from '../client/cli-token';
import { mspTooling } from '../msp-tooling';
import type { UserLayout } from './network-layout';
import { keyHere, keyNotHere, signingKeyHere } from './org-keys';

/**
 * A signer over a user's MSP folder that does not refuse an expired certificate, as a plain
 * `loadSigningIdentity` does (Fabric's setupSigningIdentity). Only for the one signature that may
 * come from an expired identity: a ConfigSignature inside a config update, which the channel's MSP
 * checks at the certificate's NotBefore + 1s and so still counts. An envelope signed by it is
 * refused by every orderer and peer.
 */
export function signerIgnoringExpiry(user: UserLayout): Signer & { readonly notAfter: Date } {
  if (!signingKeyHere(user)) throw keyNotHere(user, user.keyPath);
  // A key moved into a PKCS#11 token (its keystore emptied) signs there, as loadClientIdentity's do.
  const token = keyHere(user.keyPath) ? undefined : cliTokenMspOptions();
  const provider = token === undefined ? mspTooling().msp : cliTokenProvider(token);
  const identity = provider.loadSigningIdentity(user.mspDir, user.mspId, { allowExpired: true });
  return { serialized: identity.serialized, notAfter: identity.expiresAt, sign: (message) => identity.sign(message) };
}
