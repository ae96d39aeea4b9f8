import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, WeftError } from '../../../core/errors';
import { resolveOrg } from '../chaincode/org-args';
import { NetworkLayout, type NodeLayout } from './network-layout';
import { NETWORK_FILE, peerIdOf, type ChannelSpec, type PeerOrgSpec } from './network-spec';
import { isThisMachine } from './node-hosts';
import { runningPid } from './node-processes';
import { BACKUPS_DIR } from './node-revocation';
import { mspOrgOf, orgMspStates, type MspOrg, type OrgMspState } from './org-msp-channels';
import { channelPeerIds } from './channel-peers';
import { shellWord } from '../../../core/node/shell-word';

/** The peer `weft network remove-peer` retires, its org, and the network as it is to be without it. */
export interface RemovalTarget {
  readonly org: PeerOrgSpec;
  readonly peer: NodeLayout;
  readonly name: string;
  /**
   * The network without the peer: every config update reads from, signs for and waits on its
   * peers, so nothing depends on the retired one (stopped already when a run is repeated).
   */
  readonly after: NetworkLayout;
  /** Its org as `after` has it (the org's MSP folders, the peers its CRL goes to). */
  readonly mspOrg: MspOrg;
}

/**
 * `--peer` (`peer0.org1.example.com`, or `peer0`, with `--org` when several orgs have one), refused
 * as `UNKNOWN_PEER`, `AMBIGUOUS_PEER` (`--peer`) or `UNKNOWN_ORG` (`--org`); then
 * `LAST_PEER_OF_ORG` when the org would have no peer left in network.yaml.
 */
export function removalTarget(network: NetworkLayout, ref: string, orgRef: string | undefined): RemovalTarget {
  const orgs = orgRef === undefined ? network.spec.orgs : [resolveOrg(network, orgRef)];
  const lower = ref.toLowerCase();
  const matches = orgs.flatMap((org) => org.peers.filter((p) => p.name.toLowerCase() === lower || `${p.name}.${org.domain}`.toLowerCase() === lower).map((p) => ({ org, spec: p })));
  if (matches.length === 0) throw unknownPeer(network, ref, orgs);
  if (matches.length > 1) {
    const ids = matches.map((m) => `${m.spec.name}.${m.org.domain}`);
    throw new ConfigError('AMBIGUOUS_PEER', `--peer ${ref}: ${ids.join(' and ')} are both called that`, {
      field: '--peer',
      value: ref,
      suggestions: [`name it in full: --peer ${ids[0]}`, `or add --org ${matches[0]!.org.name}`],
    });
  }
  const { org, spec } = matches[0]!;
  const id = `${spec.name}.${org.domain}`;
  if (org.peers.length === 1) {
    throw new ConfigError('LAST_PEER_OF_ORG', `--peer ${ref}: ${id} is ${org.name}'s last peer in ${NETWORK_FILE}; ${org.name} would have no peer to endorse, to serve its clients or to be its anchor peer. Nothing was changed`, {
      field: '--peer',
      value: ref,
      suggestions: [
        `to replace it, add its successor first, then remove it: weft network add-peer ${shellWord(network.dir)} --org ${org.name}, then weft network remove-peer ${shellWord(network.dir)} --peer ${id}`,
        `to stop it only: weft network down ${shellWord(network.dir)} --node ${id}`,
        `to take ${org.name} out of a channel: weft channel update ${shellWord(network.dir)} --channel <name> --remove-org ${org.name} (channels made by weft channel create)`,
      ],
    });
  }
  const lastOn = network.channels().filter((c) => {
    const on = channelPeerIds(network.spec, c);
    return on.includes(id) && !org.peers.some((p) => p !== spec && on.includes(peerIdOf(org, p)));
  });
  if (lastOn.length > 0) {
    const names = lastOn.map((c) => c.name);
    throw new ConfigError('LAST_PEER_ON_CHANNEL', `--peer ${ref}: ${id} is ${org.name}'s only peer on ${names.join(', ')} in ${NETWORK_FILE}, whose peers each member org keeps one of. Nothing was changed`, {
      field: '--peer',
      value: ref,
      suggestions: [
        `join another peer of ${org.name} to it first: weft channel join ${shellWord(network.dir)} ${shellWord(network.genesisBlockFileOf(names[0]!))} --peer <id>`,
        `or take ${org.name} out of the channel: weft channel update ${shellWord(network.dir)} --channel ${names[0]} --remove-org ${org.name}`,
      ],
    });
  }
  const unlisted = (c: ChannelSpec): ChannelSpec => (c.peers === undefined ? c : { ...c, peers: c.peers.filter((p) => p !== id) });
  const nextSpec = { ...network.spec, channel: unlisted(network.spec.channel), otherChannels: network.spec.otherChannels.map(unlisted), orgs: network.spec.orgs.map((o) => (o === org ? { ...o, peers: o.peers.filter((p) => p !== spec) } : o)) };
  const after = new NetworkLayout(network.dir, nextSpec);
  const afterOrg = nextSpec.orgs.find((o) => o.name === org.name)!;
  return { org, peer: network.peersOf(org).find((p) => p.id === id)!, name: spec.name, after, mspOrg: mspOrgOf(after, afterOrg) };
}

function unknownPeer(network: NetworkLayout, ref: string, orgs: readonly PeerOrgSpec[]): ConfigError {
  const listed = orgs.flatMap((o) => o.peers.map((p) => `${p.name}.${o.domain}`));
  const isOrderer = network.orderers().some((o) => o.id.toLowerCase() === ref.toLowerCase() || o.id.split('.')[0] === ref.toLowerCase());
  const removed = removedBefore(network.dir, ref);
  const why = isOrderer ? ` (${ref} is an orderer: remove-peer retires peers only)` : removed === undefined ? '' : ` (removed already: its folders are in ${removed})`;
  return new ConfigError('UNKNOWN_PEER', `--peer ${ref}: no peer of that name in ${NETWORK_FILE}${why}; the peers are: ${listed.join(', ')}`, {
    field: '--peer',
    value: ref,
    suggestions: [`see them with: weft network status ${shellWord(network.dir)}`],
  });
}

/** The `backups/remove-*` run holding the node folder of that id (`--peer` as given), if one does. */
function removedBefore(networkDir: string, id: string): string | undefined {
  return removalRunsOf(networkDir, [path.join('nodes', id), path.join('nodes', id.toLowerCase())])[0];
}

/** The `backups/remove-*` run folders holding any of `entries` (paths relative to the network directory), newest first. */
export function removalRunsOf(networkDir: string, entries: readonly string[]): string[] {
  const root = path.join(networkDir, BACKUPS_DIR);
  const runs = fs.existsSync(root) ? fs.readdirSync(root).filter((r) => r.startsWith('remove-')).sort().reverse() : [];
  return runs.map((r) => path.join(root, r)).filter((run) => entries.some((e) => fs.existsSync(path.join(run, e))));
}

/**
 * Refuses (`NETWORK_NOT_RUNNING`) when a config update is needed and none of the network's orderers
 * runs here while all of them are on this machine: config updates need the orderer to order them.
 */
export async function assertOrderersRun(network: NetworkLayout, why: string): Promise<void> {
  const orderers = network.orderers();
  for (const o of orderers) if (runningPid(o) !== undefined || !(await isThisMachine(o.host))) return;
  throw notRunning(network, `none of its orderers (${orderers.map((o) => o.id).join(', ')}) runs, and ${why} needs the orderer to order a config update`);
}

/** The org's channels with their current config, read from the peers that stay; `NETWORK_NOT_RUNNING` when none answers. */
export async function channelStates(target: RemovalTarget, why: string): Promise<OrgMspState[]> {
  try {
    return await orgMspStates(target.after, target.mspOrg);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw notRunning(target.after, `reading ${target.org.name}'s channel configs from its other peers failed (${(err as Error).message}); ${why} needs them`);
  }
}

function notRunning(network: NetworkLayout, what: string): WeftError {
  return new WeftError('NETWORK_NOT_RUNNING', `the network is not running: ${what}. Nothing was changed`, {
    suggestions: [`start it: weft network up ${shellWord(network.dir)}, then run weft network remove-peer again`],
  });
}
