import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { isEmptyOrAbsent } from '../templates/render-tree';
import type { Progress } from './network-access';
import { buildInPlaceOf, generatePeerOrg } from './network-init';
import { discardNewSigningKeys, signingKeyTokenEntry, signingKeyTokenOf } from './member-token';
import { ownOrgSpec, type OwnOrgOptions } from './new-org-spec';
import { ORG_DEFINITION_FILE, orgDefinitionOf, writeOrgDefinition } from './org-definition';

export interface NewOrgDirResult {
  readonly dir: string;
  readonly org: string;
  readonly mspId: string;
  readonly domain: string;
  /** The definition to hand to a member of the network: certificates only. */
  readonly definition: string;
  readonly peers: { id: string; host: string; port: number; operationsPort: number }[];
  readonly users: string[];
  /** The PKCS#11 token its nodes' and users' signing keys were generated in (`--hsm-library`/`--hsm-label`). */
  readonly signingKeyToken?: { library: string; label: string };
}

/**
 * `weft network new-org`: an org that is to join a network makes its own directory, as Fabric's
 * new org runs cryptogen (or its CAs) itself: its CA and TLS CA, Admin, users and peers in
 * cryptogen's layout (keys 0600, by the same generator as `weft network init`), and its definition
 * (`org-definition.json`: certificates, its peers' endpoints, the config group Fabric's
 * `configtxgen -printOrg` prints). It needs nothing of the network; the network's view comes later
 * (`weft network join`). Built in a staging directory and renamed into place: all or nothing.
 */
export async function createOwnOrg(dir: string, options: OwnOrgOptions, progress: Progress): Promise<NewOrgDirResult> {
  const target = path.resolve(dir);
  if (!isEmptyOrAbsent(target)) {
    throw new ConfigError('TARGET_NOT_EMPTY', `${target} already exists and is not empty; the new org's directory is made fresh`, {
      field: 'dir',
      dir: target,
      suggestions: ['choose a new directory for the org', `remove ${target} first if it is an abandoned attempt`],
    });
  }
  const org = await ownOrgSpec(options);
  const token = signingKeyTokenOf(options);
  let discardSigningKeys: (() => void) | undefined;
  try {
    await buildInPlaceOf(target, async (dir) => {
      progress(`generating ${org.name}'s CAs, Admin, users and peers (${org.mspId}, ${org.domain}) in ${target}${token === undefined ? '' : `, signing keys in PKCS#11 token "${token.label}"`}`);
      ({ discardSigningKeys } = await generatePeerOrg(org, dir, token, options));
      writeOrgDefinition(path.join(dir, ORG_DEFINITION_FILE), orgDefinitionOf(dir, org));
    });
  } catch (err) {
    discardNewSigningKeys([discardSigningKeys], progress);
    throw err;
  }
  const definition = path.join(target, ORG_DEFINITION_FILE);
  progress(`${org.name}'s keys are in ${target} only; hand ${definition} (certificates only) to a member of the network`);
  return {
    dir: target,
    org: org.name,
    mspId: org.mspId,
    domain: org.domain,
    definition,
    peers: org.peers.map((p) => ({ id: `${p.name}.${org.domain}`, host: p.host, port: p.port, operationsPort: p.operationsPort })),
    users: org.users,
    ...signingKeyTokenEntry(token),
  };
}
