import * as fs from 'node:fs';
import { ConfigError } from '../../../core/errors';
import type { MspProvider } from '../../../core/msp/msp';
import type { Signer } from '../../../core/protocol/signer';
import { resolveOrg } from '../chaincode/org-args';
import { mspTooling } from '../msp-tooling';
import { CLI_PKCS11_LABEL_ENV, CLI_PKCS11_LIBRARY_ENV, cliTokenProvider, userTokenOptions } from './cli-token';
import type { NetworkLayout, UserLayout } from '../network/network-layout';
import { keyHere, keyNotHere } from '../network/org-keys';

/** A user of the network that can sign: its files and a signer over its key (a keystore file or a PKCS#11 token). */
export interface ClientIdentity {
  readonly user: UserLayout;
  readonly signer: Signer;
  readonly certPem: Buffer;
}

/**
 * Picks `--org` / `--user` from the network (org by name, MSP id or domain; user `Admin`, `User1`…).
 * The error lists what exists.
 */
export function resolveUser(layout: NetworkLayout, org: string | undefined, user: string | undefined, defaultUser = 'User1'): UserLayout {
  const spec = resolveOrg(layout, org);
  const name = user ?? defaultUser;
  const found = spec.users.find((u) => u.toLowerCase() === name.toLowerCase());
  if (found === undefined) {
    // `weft network revoke` drops the name from network.yaml but keeps the certificate (never reissued).
    const gone = fs.existsSync(layout.user(spec, name).certPath);
    const why = gone ? ` (${name} was revoked or removed from network.yaml: its certificate is kept in users/ but it is no longer one of the org's users)` : '';
    throw new ConfigError('UNKNOWN_USER', `org ${spec.name} has no user "${name}"${why}; it has ${spec.users.join(', ')}`, {
      suggestions: [`use --user ${spec.users.find((u) => u !== 'Admin') ?? 'Admin'}`],
    });
  }
  return layout.user(spec, found);
}

/**
 * The MSP provider that loads `user`'s signer: the CLI's own over its keystore file, or, when its
 * key was moved into the token WEFT_PKCS11_LIBRARY / WEFT_PKCS11_LABEL name ({@link userTokenOptions}),
 * one over the token key. `KEY_NOT_HERE` when neither holds it (an export for other orgs), naming both.
 */
export function signingProviderOf(user: UserLayout): MspProvider {
  if (keyHere(user.keyPath)) return mspTooling().msp;
  const token = userTokenOptions(user.mspDir);
  if (token !== undefined) return cliTokenProvider(token);
  const notHere = keyNotHere(user, user.keyPath);
  throw new ConfigError(notHere.code, notHere.message, {
    ...notHere.details,
    suggestions: [...((notHere.details.suggestions as string[] | undefined) ?? []), `if its key is in a PKCS#11 token (weft msp import-key), set ${CLI_PKCS11_LIBRARY_ENV}, ${CLI_PKCS11_LABEL_ENV} and WEFT_PKCS11_PIN`],
  });
}

/** The user's signer, from {@link signingProviderOf}. */
export function loadClientIdentity(user: UserLayout): ClientIdentity {
  const signer = signingProviderOf(user).loadSigningIdentity(user.mspDir, user.mspId);
  return { user, signer, certPem: fs.readFileSync(user.certPath) };
}
