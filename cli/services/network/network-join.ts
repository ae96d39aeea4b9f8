import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../../../core/errors';
import { copyCertificates, withOrg } from './add-org-across';
import { openNetwork, type Progress } from './network-access';
import { renderNetworkFile } from './network-channels';
import { keystoreEmptied } from '../client/cli-token';
import { tokenNamedBy, type HsmKeyFlags } from './member-token';
import { writeNodeConfigs } from './network-init';
import { NetworkLayout, type NodeLayout } from './network-layout';
import { NETWORK_FILE, type NetworkSpec } from './network-spec';
import { checkJoiningOrg } from './new-org-spec';
import { ORG_DEFINITION_FILE, orgFolder, readOrgDefinition, type OrgDefinition } from './org-definition';
import { keyHere } from './org-keys';
import { StagingDir } from './staging-dir';
import { shellWord } from '../../../core/node/shell-word';

export interface JoinResult {
  readonly dir: string;
  readonly org: string;
  readonly mspId: string;
  readonly channel: string;
  /** The new org's peers, whose configs are written: `weft network up <dir>` starts and joins them. */
  readonly peers: string[];
  /** Whether the member directory it came from had recorded the org already. */
  readonly listedByMember: boolean;
}

/**
 * `weft network join <new org dir> --from <member view>`: completes the directory `weft network
 * new-org` made into the new org's network directory, as Fabric's new org takes the orderer's
 * address and TLS CA from the channel's members and fetches the channel's blocks itself. From a
 * member's directory (best a `weft network export --public` copy: certificates only) it takes
 * network.yaml, the orderer org's and the other orgs' certificates and the channels' genesis blocks
 * (never a private key, whatever that directory holds); the new org's own keys and definition stay
 * as they are. Then `weft network up <dir>` starts its peers, which join the default channel from
 * its genesis block and take the later blocks (the one adding the org among them) from the orderer.
 * An org made with its keys in a PKCS#11 token names it (`keys`): its peers' configs sign there.
 */
export function joinNetwork(dir: string, from: string, progress: Progress, keys: HsmKeyFlags = {}): JoinResult {
  const target = path.resolve(dir);
  const definition = ownDefinition(target);
  const { org } = definition;
  const token = tokenNamedBy(keys);
  const member = openNetwork(from);
  if (member.dir === target) throw new ConfigError('JOIN_FROM_ITSELF', `--from ${member.dir} is the new org's own directory`, { field: '--from' });
  const listed = member.spec.orgs.find((o) => o.mspId === org.mspId);
  let spec: NetworkSpec;
  if (listed === undefined) {
    checkJoiningOrg(member.spec, org, `${path.join(target, ORG_DEFINITION_FILE)}`);
    progress(`${member.dir} does not list ${org.mspId} yet: its peers get the channel's blocks once a member submitted the update adding it (weft network add-org <member dir> --from-file <update> --definition <definition>)`);
    spec = withOrg(member.spec, org);
  } else {
    sameRoots(member, definition, target);
    spec = { ...member.spec, orgs: member.spec.orgs.map((o) => (o.mspId === org.mspId ? org : o)) };
  }
  const rendered = renderNetworkFile(spec);
  if (token === undefined) assertPeerKeysInFiles(target, new NetworkLayout(target, rendered.spec).peersOf(org));

  // Everything but the org's own folder, which holds its keys and is left as it is.
  const own = path.relative(member.dir, member.peerOrgDir(org));
  const certificates = [
    path.relative(member.dir, member.ordererOrgDir()),
    ...member.spec.orgs.filter((o) => o.mspId !== org.mspId).map((o) => path.relative(member.dir, member.peerOrgDir(o))),
    ...member.channels().map((c) => path.relative(member.dir, member.genesisBlockFileOf(c.name))),
  ].filter((e) => e !== own);
  const staging = new StagingDir(path.join(target, NETWORK_FILE));
  try {
    copyCertificates(member.dir, staging.dir, certificates);
    const staged = new NetworkLayout(staging.dir, rendered.spec);
    const peers = staged.peersOf(org);
    writeNodeConfigs(staged, 'weft network join', new Set(peers.map((p) => p.id)), token);
    fs.writeFileSync(path.join(staging.dir, NETWORK_FILE), rendered.text);
    // network.yaml last: a directory without it is still a new org's, and the next run starts over.
    const entries = [...certificates.filter((e) => fs.existsSync(path.join(staging.dir, e))), ...peers.map((p) => path.relative(staging.dir, p.nodeDir))];
    for (const entry of entries) fs.rmSync(path.join(target, entry), { recursive: true, force: true });
    staging.commitInto(target, [...entries, NETWORK_FILE]);
    progress(`${target} is ${org.name}'s network directory now (${rendered.spec.orgs.length} orgs, channel ${rendered.spec.channel.name}); start its peers with: weft network up ${shellWord(target)}`);
    return {
      dir: target,
      org: org.name,
      mspId: org.mspId,
      channel: rendered.spec.channel.name,
      peers: peers.map((p) => p.id),
      listedByMember: listed !== undefined,
    };
  } finally {
    staging.dispose();
  }
}

/**
 * Without `--hsm-library`/`--hsm-label`, the org's peers must have their keys in files: a peer whose
 * keystore is empty (`weft network new-org --hsm-library`) would get a config that cannot load its key.
 */
function assertPeerKeysInFiles(target: string, peers: readonly NodeLayout[]): void {
  const inToken = peers.filter((p) => keystoreEmptied(p.mspDir));
  if (inToken.length === 0) return;
  throw new ConfigError('MEMBER_KEY_NOT_HERE', `${inToken.map((p) => p.id).join(', ')} ${inToken.length === 1 ? 'has' : 'have'} no key in ${path.relative(target, path.join(inToken[0]!.mspDir, 'keystore'))}: made in a PKCS#11 token (weft network new-org --hsm-library), so ${inToken.length === 1 ? 'its config needs' : 'their configs need'} that token named; nothing was written`, {
    field: '--hsm-library',
    file: path.join(inToken[0]!.mspDir, 'keystore'),
    suggestions: ['name the token the org was made in: --hsm-library <module .so> --hsm-label <token>'],
  });
}

/** The new org's definition and keys in its directory, which has no network.yaml yet. */
function ownDefinition(target: string): OrgDefinition {
  if (fs.existsSync(path.join(target, NETWORK_FILE))) {
    throw new ConfigError('ORG_ALREADY_JOINED', `${target} has a ${NETWORK_FILE} already: it is a network directory`, {
      field: 'dir',
      suggestions: [`start its nodes with: weft network up ${shellWord(target)}`],
    });
  }
  if (!fs.existsSync(path.join(target, ORG_DEFINITION_FILE))) {
    throw new ConfigError('NOT_A_NEW_ORG_DIR', `${target} has no ${ORG_DEFINITION_FILE}: it is not a directory weft network new-org made`, {
      field: 'dir',
      suggestions: ['make the new org first: weft network new-org <dir> --name <Org>'],
    });
  }
  const definition = readOrgDefinition(path.join(target, ORG_DEFINITION_FILE), 'dir');
  const adminMsp = path.join(orgFolder(target, definition.org), 'users', `Admin@${definition.org.domain}`, 'msp');
  const admin = path.join(adminMsp, 'keystore', 'priv_sk');
  // Or an Admin whose key new-org made in a PKCS#11 token.
  if (!keyHere(admin) && !keystoreEmptied(adminMsp)) {
    throw new ConfigError('ORG_KEYS_NOT_HERE', `${target} holds no key of ${definition.org.mspId}'s Admin (${admin}): join from the directory weft network new-org made`, { field: 'dir' });
  }
  return definition;
}

/** A member that recorded the org must have recorded this one: the same root certificates. */
function sameRoots(member: NetworkLayout, definition: OrgDefinition, target: string): void {
  const roots = (files: Record<string, string>) =>
    Object.entries(files)
      .filter(([rel]) => rel.startsWith('msp/cacerts/'))
      .map(([, pem]) => pem.trim())
      .sort();
  const cacerts = path.join(member.peerOrgDir(definition.org), 'msp', 'cacerts');
  const recorded = fs.existsSync(cacerts) ? Object.fromEntries(fs.readdirSync(cacerts).map((f) => [`msp/cacerts/${f}`, fs.readFileSync(path.join(cacerts, f), 'utf8')])) : {};
  if (!isDeepStrictEqual(roots(recorded), roots(definition.files))) {
    throw new ConfigError('ORG_DEFINITION_MISMATCH', `--from ${member.dir} lists ${definition.org.mspId} with other root certificates than ${target}'s: it recorded another org of that MSP ID`, {
      field: '--from',
      suggestions: ['check which definition the members added: weft channel info <member dir>'],
    });
  }
}
