import * as fs from 'node:fs';
import { ConfigError } from '../../../core/errors';
import type { Signer } from '../../../core/protocol/signer';
import { resolveOrg } from '../chaincode/org-args';
import { mspTooling } from '../msp-tooling';
import type { NetworkLayout, UserLayout } from '../network/network-layout';
import { keyHere, keyNotHere } from '../network/org-keys';

/** A user of the network that can sign: its files and a signer over its key. */
export interface ClientIdentity {
  readonly user: UserLayout;
  readonly signer: Signer;
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
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

/** The user's signer; `KEY_NOT_HERE` when this directory does not hold its key (an export for other orgs). */
export function loadClientIdentity(user: UserLayout): ClientIdentity {
  if (!keyHere(user.keyPath)) throw keyNotHere(user, user.keyPath);
  const signer = mspTooling().msp.loadSigningIdentity(user.mspDir, user.mspId);
  return { user, signer, certPem: fs.readFileSync(user.certPath), keyPem: fs.readFileSync(user.keyPath) };
}
