import * as path from 'node:path';
import { ConfigError, WeftError } from '../../../core/errors';
import { verifySnapshotFiles } from '../../../core/ledger/snapshot-metadata';
import { install, installedPackage, queryInstalled } from '../chaincode/lifecycle';
import { joinFromSnapshot } from '../snapshot/snapshot-join';
import { openNetwork, type Progress } from './network-access';
import { joinEveryNode } from './network-channels';
import { networkUp } from './network-control';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { NETWORK_FILE, type ChannelSpec, type PeerOrgSpec } from './network-spec';
import { channelsOfPeer, memberOrgsOf } from './channel-peers';
import { isThisMachine } from './node-hosts';
import { otherPeersHeight, waitForHeight } from './peer-catch-up';
import { runningPid } from './node-processes';
import { shellWord } from '../../../core/node/shell-word';

/** What starting a new peer did: the packages it was given and, per channel, how it joined and its height. */
export interface AddedPeerStart {
  /** Package IDs installed on it: those its org's first answering peer has installed. */
  readonly installed: string[];
  readonly channels: { channel: string; joinedFrom: 'genesis block' | 'snapshot'; height: number; othersHeight: number }[];
}

/**
 * Brings a peer just added to network.yaml into the running network: starts it (as `network up
 * --node`, without joining), installs the chaincode packages its org's peers have (Fabric's
 * operator runs `peer lifecycle chaincode install` on each new peer: without them it could not
 * endorse), joins it to every channel network.yaml lists it on (the ones `network up` would join), from the
 * genesis block or, for the snapshot's channel, from `snapshot`, and waits until its height reaches
 * the others'. Returns undefined, starting nothing, when the network does not run here or the peer
 * runs on another host. A failure is `ADD_PEER_UNFINISHED`: the peer is listed and its material in
 * place, so `weft network up` finishes it.
 */
export async function startAddedPeer(dir: string, id: string, options: { snapshot?: { dir: string; channel: string }; timeoutMs: number }, progress: Progress): Promise<AddedPeerStart | undefined> {
  const network = openNetwork(dir);
  const peer = network.peers().find((p) => p.id === id)!;
  const org = network.spec.orgs.find((o) => o.mspId === peer.mspId)!;
  const networkRunsHere = network.nodes().some((n) => n.id !== id && runningPid(n) !== undefined);
  if (!networkRunsHere || !(await isThisMachine(peer.host))) {
    const start = networkRunsHere
      ? `${id} runs on ${peer.host}: copy the network directory there (weft network export --org ${org.name}) and run weft network up --node ${id}${options.snapshot === undefined ? '' : ' --no-join'} there`
      : `the network does not run here: weft network up ${shellWord(network.dir)}${options.snapshot === undefined ? ` starts ${id} with the rest and joins it` : ` --no-join starts ${id} without joining it`}`;
    progress(options.snapshot === undefined ? start : `${start}; then weft channel join ${shellWord(network.dir)} --snapshot ${shellWord(options.snapshot.dir)} --peer ${id}`);
    return undefined;
  }
  try {
    await networkUp(network.dir, progress, [id], 'by-caller');
    const installed = await copyPackages(network, network.peersOf(org).filter((p) => p.id !== id), peer, progress);
    const joined: AddedPeerStart['channels'][number][] = [];
    for (const channel of channelsOfPeer(network.spec, id)) {
      const fromSnapshot = channel === options.snapshot?.channel;
      if (fromSnapshot) await joinFromSnapshot(network.dir, options.snapshot!.dir, { peers: [id], timeoutMs: options.timeoutMs }, progress);
      else await joinEveryNode(network.forChannel(channel), channel, progress, new Set([id]));
      joined.push({ channel, joinedFrom: fromSnapshot ? 'snapshot' : 'genesis block', ...(await catchUp(network.forChannel(channel), peer, options.timeoutMs, progress)) });
    }
    return { installed, channels: joined };
  } catch (err) {
    throw new WeftError('ADD_PEER_UNFINISHED', `${id} is in ${NETWORK_FILE} with its crypto material and config, but starting it did not finish: ${(err as Error).message}`, {
      peer: id,
      suggestions: [
        `finish it: weft network up ${shellWord(network.dir)} --node ${id} starts it and joins it from the genesis blocks (${options.snapshot === undefined ? 'or' : 'then'} weft channel join ${shellWord(network.dir)} --snapshot <dir> --peer ${id} after up --no-join)`,
        `see its log: ${peer.logFile}`,
        `do not run weft network add-peer for it again: ${NETWORK_FILE} lists it`,
      ],
    }, { cause: err });
  }
}

/** The channels of network.yaml the org is a member of, the default one first. */
export function orgChannelsOf(network: NetworkLayout, org: PeerOrgSpec): ChannelSpec[] {
  return network.channels().filter((c) => memberOrgsOf(network.spec, c).some((o) => o.name === org.name));
}

/** The snapshot's channel, checked (files and hash) before anything is written; it must be one of `channels`, those the new peer joins. */
export async function snapshotChannelOf(network: NetworkLayout, snapshot: string, org: PeerOrgSpec, channels: readonly string[]): Promise<string> {
  const meta = await verifySnapshotFiles(path.resolve(snapshot));
  if (!channels.includes(meta.channelName)) {
    const member = orgChannelsOf(network, org).some((c) => c.name === meta.channelName);
    throw new ConfigError('SNAPSHOT_CHANNEL_NOT_JOINED', `--snapshot ${snapshot}: a snapshot of channel ${meta.channelName}, ${member ? 'which --channel leaves out' : `of which ${org.name} is not a member`} (the channels it joins: ${channels.join(', ')})`, {
      field: '--snapshot',
      suggestions: member ? [`add --channel ${meta.channelName}`] : [`take a snapshot of one of ${org.name}'s channels: weft snapshot submit <dir> --channel <channel> --wait`],
    });
  }
  return meta.channelName;
}

/** Installs on `peer` what the first of `siblings` that answers has installed. */
async function copyPackages(network: NetworkLayout, siblings: readonly NodeLayout[], peer: NodeLayout, progress: Progress): Promise<string[]> {
  for (const sibling of siblings) {
    let packages: { packageId: string }[];
    try {
      packages = await queryInstalled(network, sibling);
    } catch {
      continue; // down: ask the next
    }
    for (const { packageId } of packages) {
      await install(network, peer, await installedPackage(network, sibling, packageId), packageId);
      progress(`${peer.id}: installed ${packageId} (from ${sibling.id})`);
    }
    return packages.map((p) => p.packageId);
  }
  if (siblings.length > 0) progress(`no other peer of the org answered: install the org's chaincode packages on ${peer.id} with weft chaincode install --peer ${peer.id}`);
  return [];
}

/** Waits until `peer`'s height on the layout's channel reaches the highest of the channel's other peers that answer now. */
async function catchUp(layout: NetworkLayout, peer: NodeLayout, timeoutMs: number, progress: Progress): Promise<{ height: number; othersHeight: number }> {
  const othersHeight = await otherPeersHeight(layout, peer);
  return { height: await waitForHeight(layout, peer, othersHeight, timeoutMs, progress), othersHeight };
}
