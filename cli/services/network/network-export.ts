import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { keystoreEmptied } from '../client/cli-token';
import { isEmptyOrAbsent, writeTree } from '../templates/render-tree';
import { openNetwork, type Progress } from './network-access';
import { type NetworkLayout, orgNamed } from './network-layout';
import { NETWORK_FILE } from './network-spec';
import { isPrivateKey, ordererAdminHere, orgsWithKeysHere } from './org-keys';
import { shellWord } from '../../../core/node/shell-word';

export interface ExportResult {
  readonly dir: string;
  /** MSP IDs of the orgs whose keys the directory holds. */
  readonly orgs: string[];
  /** The nodes whose config and keys it holds: the ones to run from it. */
  readonly nodes: string[];
  /** Private keys copied, and private keys left behind (other orgs' and every CA's). */
  readonly keysCopied: number;
  readonly keysLeftOut: number;
}

interface OrgRef {
  readonly mspId: string;
  /** Its folder under organizations/, whose keys go along. */
  readonly dir: string;
}

/** A CA's own signing key (`ca/priv_sk`, `tlsca/priv_sk`, and an intermediate org's roots' in `rootca/`, `tlsrootca/`): nodes and clients never need it. */
function isCaKey(file: string): boolean {
  return ['ca', 'tlsca', 'rootca', 'tlsrootca'].includes(path.basename(path.dirname(file)));
}

/** `--org` values (peer orgs and the orderer org, by name, MSP ID or domain) to orgs; unknown ones are an error. */
function resolveOrgs(layout: NetworkLayout, refs: readonly string[]): OrgRef[] {
  const orderer = layout.spec.ordererOrg;
  const all: (OrgRef & { org: { readonly name: string; readonly mspId: string; readonly domain: string } })[] = [
    { mspId: orderer.mspId, dir: layout.ordererOrgDir(), org: orderer },
    ...layout.spec.orgs.map((o) => ({ mspId: o.mspId, dir: layout.peerOrgDir(o), org: o })),
  ];
  if (refs.length === 0) {
    throw new ConfigError('NO_ORG_GIVEN', 'name the orgs whose keys the directory takes with --org (repeatable)', {
      suggestions: [`one of: ${all.map((o) => o.mspId).join(', ')}`],
    });
  }
  return refs.map((ref) => {
    const found = all.find((o) => orgNamed(o.org, ref));
    if (found === undefined) {
      throw new ConfigError('UNKNOWN_ORG', `no org "${ref}" in this network; it has ${all.map((o) => `${o.org.name} (${o.mspId})`).join(', ')}`, {
        suggestions: [`use --org ${all[1]?.mspId ?? all[0]!.mspId}`],
      });
    }
    const keys = found.mspId === orderer.mspId ? ordererAdminHere(layout) : orgsWithKeysHere(layout).some((o) => o.mspId === found.mspId);
    if (!keys) {
      throw new ConfigError('ORG_KEYS_NOT_HERE', `${layout.dir} holds no keys of ${found.mspId} to export`, {
        suggestions: [`export from the directory weft network init made, or one that holds ${found.mspId}'s keys`],
      });
    }
    return { mspId: found.mspId, dir: found.dir };
  });
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

function dirsUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(e.parentPath, e.name));
}

/**
 * `weft network export`: a copy of the network directory for the hosts of some orgs. It holds
 * network.yaml, the genesis blocks, every org's certificates (what a node needs to verify the others
 * and dial them over TLS), and the private keys and node configs of the named orgs only: no other
 * org's keys and no CA's key. Each org then keeps its keys to itself, as in a Fabric network.
 * With `publicOnly` it holds no key at all and no node config: what a new org joins from.
 * Written through writeTree (a temporary sibling renamed into place): a failure leaves nothing behind.
 */
export function exportNetwork(dir: string, out: string, orgRefs: readonly string[], progress: Progress, options: { publicOnly?: boolean } = {}): ExportResult {
  const layout = openNetwork(dir);
  if (options.publicOnly === true && orgRefs.length > 0) {
    throw new ConfigError('CONFLICTING_FLAGS', '--public exports certificates only: it takes no --org', { field: '--org', suggestions: [`weft network export ${shellWord(dir)} <out> --public`] });
  }
  // --public: the view a new org joins from (weft network join): no org's keys, no node to run.
  const orgs = options.publicOnly === true ? [] : resolveOrgs(layout, orgRefs);
  const dest = path.resolve(out);
  if (!isEmptyOrAbsent(dest)) {
    throw new ConfigError('TARGET_NOT_EMPTY', `${dest} already exists and is not empty; export never overwrites`, {
      target: dest,
      suggestions: ['choose another directory', `remove ${dest} first if you mean to replace it`],
    });
  }
  if (dest === layout.dir || dest.startsWith(layout.dir + path.sep)) {
    throw new ConfigError('TARGET_INSIDE_NETWORK', `${dest} is inside the network directory ${layout.dir}; export to a directory beside it`, { target: dest });
  }
  const mspIds = new Set(orgs.map((o) => o.mspId));
  const keyDirs = orgs.map((o) => o.dir + path.sep);
  const nodes = layout.nodes().filter((n) => mspIds.has(n.mspId));

  let keysCopied = 0;
  let keysLeftOut = 0;
  const blocks = layout.channels().map((c) => layout.genesisBlockFileOf(c.name)).filter((f) => fs.existsSync(f));
  const picked: string[] = [path.join(layout.dir, NETWORK_FILE), ...blocks];
  for (const file of filesUnder(layout.organizationsDir)) {
    if (!isPrivateKey(file)) picked.push(file);
    else if (!isCaKey(file) && keyDirs.some((d) => file.startsWith(d))) {
      picked.push(file);
      keysCopied++;
    } else keysLeftOut++;
  }
  picked.push(...nodes.map((n) => n.configFile));
  // An empty keystore says the member's key is in a PKCS#11 token (weft network init --hsm-library): it travels with the org's keys.
  const tokenKeystores = dirsUnder(layout.organizationsDir).filter((d) => path.basename(d) === 'keystore' && keyDirs.some((k) => d.startsWith(k)) && keystoreEmptied(path.dirname(d)));

  // Keys stay 0600; every other file keeps its mode too.
  writeTree(
    dest,
    picked.map((file) => ({ path: path.relative(layout.dir, file), content: fs.readFileSync(file), mode: fs.statSync(file).mode & 0o777 })),
    tokenKeystores.map((d) => path.relative(layout.dir, d)),
  );
  progress(`wrote ${dest}: ${mspIds.size > 0 ? `${[...mspIds].join(', ')} keys (${keysCopied})` : 'no keys'}, every org's certificates, ${nodes.length} node configs`);
  return { dir: dest, orgs: [...mspIds], nodes: nodes.map((n) => n.id), keysCopied, keysLeftOut };
}
