import * as fs from 'node:fs';
import { ConfigError } from '../../../core/errors';
import type { Signer } from '../../../core/protocol/signer';
import { resolveOrg } from '../chaincode/org-args';
import { mspTooling } from '../msp-tooling';
import { CLI_PKCS11_LABEL_ENV, CLI_PKCS11_LIBRARY_ENV, cliTokenMspOptions, cliTokenProvider, keystoreHasKey } from './cli-token';
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
 * The user's signer: over its keystore file, or, when its keystore is empty and
 * WEFT_PKCS11_LIBRARY / WEFT_PKCS11_LABEL name a token (`weft msp import-key` moved the key
 * there), over the token key. `KEY_NOT_HERE` when neither holds it (an export for other orgs), naming both.
 */
export function loadClientIdentity(user: UserLayout): ClientIdentity {
  const certPem = (): Buffer => fs.readFileSync(user.certPath);
  if (keyHere(user.keyPath)) return { user, signer: mspTooling().msp.loadSigningIdentity(user.mspDir, user.mspId), certPem: certPem() };
  const token = keystoreHasKey(user.mspDir) ? undefined : cliTokenMspOptions();
  if (token === undefined) {
    const notHere = keyNotHere(user, user.keyPath);
    throw new ConfigError(notHere.code, notHere.message, {
      ...notHere.details,
      suggestions: [...((notHere.details.suggestions as string[] | undefined) ?? []), `if its key is in a PKCS#11 token (weft msp import-key), set ${CLI_PKCS11_LIBRARY_ENV}, ${CLI_PKCS11_LABEL_ENV} and WEFT_PKCS11_PIN`],
    });
  }
  return { user, signer: cliTokenProvider(token).loadSigningIdentity(user.mspDir, user.mspId), certPem: certPem() };
}
