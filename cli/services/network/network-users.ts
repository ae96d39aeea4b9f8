import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { resolveOrg } from '../chaincode/org-args';
import { openNetwork, type Progress } from './network-access';
import { renderNetworkFile, replaceNetworkFile } from './network-channels';
import { addedUserToken, discardNewSigningKeys, signingKeyTokenEntry, type HsmKeyFlags } from './member-token';
import type { NetworkLayout } from './network-layout';
import { NETWORK_FILE, type NetworkSpec, UserName, type PeerOrgSpec } from './network-spec';
import { orgAuthority } from './org-authority';
import { StagingDir } from './staging-dir';

export interface AddUsersResult {
  readonly org: string;
  readonly mspId: string;
  readonly users: { name: string; id: string; certPath: string; serialNumber: string }[];
  /** The PKCS#11 token their signing keys were generated in (no keystore files); absent for keys in files. */
  readonly signingKeyToken?: { library: string; label: string };
}

/**
 * The org's CA key and TLS CA key must be here to issue anything: `weft network export` leaves
 * every CA key behind, so an exported directory cannot; nor can any directory for an org that
 * issues elsewhere ({@link caElsewhere}). Checked before anything is written.
 */
export function assertCaKeysHere(network: NetworkLayout, org: PeerOrgSpec | NetworkSpec['ordererOrg'], which: readonly ('ca' | 'tlsca')[], action: string): void {
  const orgDir = 'peers' in org ? network.peerOrgDir(org) : network.ordererOrgDir();
  for (const ca of which) {
    const key = path.join(orgDir, ca, 'priv_sk');
    if (fs.existsSync(key)) continue;
    const elsewhere = 'peers' in org ? caElsewhere(network, org) : undefined;
    throw new ConfigError('CA_KEY_NOT_HERE', `${action} needs ${org.mspId}'s ${ca === 'ca' ? 'CA' : 'TLS CA'} key, and ${network.dir} does not hold it: ${key} is absent${elsewhere === undefined ? '' : `; ${elsewhere.why}`}`, {
      org: org.name,
      file: key,
      suggestions: elsewhere?.suggestions ?? [
        `run this in the directory weft network init made for this network (it keeps every CA key; weft network export copies none)`,
        `then copy the result to the other directories (weft network export again, or the new files by hand)`,
      ],
    });
  }
}

/**
 * Why a peer org's CA keys were never in this directory, told by its folder: an org recorded from
 * a `configtxgen -printOrg` group (`weft network add-org --definition` of a Fabric org, e.g. one
 * enrolled with Fabric CA) has certificates only and no `users/` (a group names no user); an org
 * made by Weft elsewhere (`weft network new-org`, `add-org --org-dir`) has `users/`, and is told
 * from an org of an exported directory by this directory holding other orgs' CA keys, which only
 * the directory `weft network init` made does. Undefined when neither holds (an exported directory).
 */
function caElsewhere(network: NetworkLayout, org: PeerOrgSpec): { why: string; suggestions: string[] } | undefined {
  const orgDir = network.peerOrgDir(org);
  if (!fs.existsSync(path.join(orgDir, 'users'))) {
    return {
      why: `${org.name} was added from its configtxgen -printOrg definition (weft network add-org --definition): its certificates come from its own CA, such as Fabric CA, never from this directory`,
      suggestions: [
        `issue them with ${org.name}'s own CA, on its hosts: fabric-ca-client register and enroll for a new user or node, fabric-ca-client reenroll to renew one (into the MSP folder the node's YAML names, then SIGHUP the node: it takes the key of the renewed certificate)`,
        'the channels need no update for either: they trust the CA, not the certificates',
      ],
    };
  }
  const otherCaKeys = [network.ordererOrgDir(), ...network.spec.orgs.filter((o) => o !== org).map((o) => network.peerOrgDir(o))].some((dir) => fs.existsSync(path.join(dir, 'ca', 'priv_sk')));
  if (!otherCaKeys || fs.existsSync(path.join(orgDir, 'ca', 'priv_sk')) || fs.existsSync(path.join(orgDir, 'tlsca', 'priv_sk'))) return undefined;
  return {
    why: `${org.name} was added from a directory of its own (weft network new-org, or add-org --org-dir): its CA keys are there, never here`,
    suggestions: [`run this in ${org.name}'s own directory (the one weft network new-org or add-org --org-dir made), which holds its CA keys; the channels need no update`],
  };
}

/** Checks new user names: the schema's rule, each once, none the org has or had (a revoked user's certificate stays on disk, and its name with it). */
function checkNewNames(network: NetworkLayout, org: PeerOrgSpec, names: readonly string[]): void {
  if (names.length === 0) throw new ConfigError('NO_USER_GIVEN', 'name the users to add with --name (repeatable, or comma-separated)', { field: '--name' });
  const seen = new Set<string>();
  for (const name of names) {
    const parsed = UserName.safeParse(name);
    if (!parsed.success) throw new ConfigError('BAD_USER_NAME', `--name ${JSON.stringify(name)}: ${parsed.error.issues[0]!.message}`, { field: '--name', value: name });
    const lower = name.toLowerCase();
    const existing = org.users.find((u) => u.toLowerCase() === lower);
    if (existing !== undefined || seen.has(lower)) {
      throw new ConfigError('USER_EXISTS', `--name ${name}: ${org.name} already has a user ${existing ?? name}${existing === undefined ? ' (named twice)' : ''} (users: ${org.users.join(', ')})`, {
        field: '--name',
        value: name,
        suggestions: ['pick another name'],
      });
    }
    seen.add(lower);
    const folder = path.dirname(path.dirname(network.user(org, name).mspDir));
    const onDisk = fs.existsSync(folder) ? fs.readdirSync(folder).find((f) => f.toLowerCase() === `${lower}@${org.domain}`) : undefined;
    if (onDisk !== undefined) {
      throw new ConfigError('USER_EXISTS', `--name ${name}: ${path.join(folder, onDisk)} exists: ${org.name} had a user of that name (revoked, or removed from ${NETWORK_FILE}); a name is not reused, since its certificate may be on a CRL`, {
        field: '--name',
        value: name,
        suggestions: ['pick another name'],
      });
    }
  }
}

/**
 * `weft network add-user`: issues client users of an org from its CAs (NodeOU `client`, as init
 * issues User1) in a staging directory, moves them into the org's `users/`, and adds them to
 * network.yaml. The channel configs need no change: they trust the org's CA already. Every check
 * comes first, and a failure leaves neither files nor a changed network.yaml (nor keys in a token).
 * The keys go into a PKCS#11 token when `--hsm-library`/`--hsm-label` name one, or when the org's
 * nodes sign in one ({@link addedUserToken} picks which).
 */
export async function addUsers(dir: string, options: { org: string; names: readonly string[] } & HsmKeyFlags, progress: Progress): Promise<AddUsersResult> {
  const network = openNetwork(dir);
  const org = resolveOrg(network, options.org);
  checkNewNames(network, org, options.names);
  assertCaKeysHere(network, org, ['ca', 'tlsca'], `adding users to ${org.name}`);
  const token = addedUserToken(network, org, options);
  const authority = orgAuthority();
  const rendered = renderNetworkFile({ ...network.spec, orgs: network.spec.orgs.map((o) => (o === org ? { ...o, users: [...o.users, ...options.names] } : o)) });
  const orgDir = network.peerOrgDir(org);
  const ids = options.names.map((name) => network.user(org, name).id);

  const staging = new StagingDir(path.join(network.dir, `${org.domain}-users`));
  try {
    const issued = await authority.issueOrgUsers({ orgDir, domain: org.domain }, options.names, staging.dir, { signingKeys: token });
    progress(`issued ${ids.join(', ')} from ${org.mspId}'s CA and TLS CA${token === undefined ? '' : `, their signing keys generated in PKCS#11 token "${token.label}"`}`);
    if (token !== undefined) progress(`to sign as them: WEFT_PKCS11_LIBRARY=${token.library} WEFT_PKCS11_LABEL=${token.label} and WEFT_PKCS11_PIN set`);
    const entries = ids.map((id) => path.join('users', id));
    try {
      staging.commitInto(orgDir, entries);
      replaceNetworkFile(network.dir, rendered.text);
    } catch (err) {
      // Only the entries this command moved: a folder still staged never reached the org.
      for (const entry of entries) if (!fs.existsSync(path.join(staging.dir, entry))) fs.rmSync(path.join(orgDir, entry), { recursive: true, force: true });
      discardNewSigningKeys(issued.map((u) => u.discardSigningKey), progress);
      throw err;
    }
    progress(`${NETWORK_FILE}: ${org.name} users ${rendered.spec.orgs.find((o) => o.name === org.name)!.users.join(', ')}`);
    return {
      org: org.name,
      mspId: org.mspId,
      users: issued.map(({ user, serialNumber }) => ({ name: user, id: network.user(org, user).id, certPath: network.user(org, user).certPath, serialNumber })),
      ...signingKeyTokenEntry(token),
    };
  } finally {
    staging.dispose();
  }
}
