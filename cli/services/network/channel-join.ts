import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ConfigError, WeftError } from '../../../core/errors';
import { decodeBlock } from '../../../core/protocol/block';
import { parseConfigBlock, type ParsedConfigBlock } from '../../../core/protocol/config-parse';
import { mspTooling } from '../msp-tooling';
import { openNetwork, type Progress } from './network-access';
import { channelWithMembers, channelWithPeers, namedPeers, peersNamedForChannel } from './channel-peers';
import { joinEveryNode, recordPeersJoining, renderNetworkFile, replaceNetworkFile } from './network-channels';
import type { NetworkLayout } from './network-layout';
import { batchBytesOf, ChannelSpec, NETWORK_FILE, type PeerOrgSpec } from './network-spec';
import { orgsWithKeysHere } from './org-keys';

export interface JoinChannelResult {
  readonly channel: string;
  readonly genesisBlock: string;
  /** The member orgs network.yaml now lists for the channel (from `--config` when given, else from the genesis block). */
  readonly members: string[];
  /** The peers joined (or found joined): those `--peer` names, else those of the member orgs whose keys are here that network.yaml puts on the channel. */
  readonly nodes: string[];
}

/**
 * The block's channel as network.yaml lists it, after checking the block belongs to this network:
 * a genesis block, or (`kind` 'config') any config block of the channel, such as the latest one
 * `weft channel fetch <dir> config` writes after `weft channel update --add-org`.
 */
function channelOfBlock(layout: NetworkLayout, file: string, bytes: Uint8Array, kind: 'genesis' | 'config' = 'genesis'): { channel: ChannelSpec; members: PeerOrgSpec[] } {
  const invalid = (why: string) =>
    new ConfigError('CHANNEL_BLOCK_INVALID', `${file}: ${why}`, {
      file,
      suggestions: [
        kind === 'genesis'
          ? 'use the genesis block weft channel create wrote: channel-artifacts/<channel>.block'
          : "use the channel's latest config block: weft channel fetch <dir> config --channel <channel> -o <file>, in a member org's directory",
      ],
    });
  let block: Block;
  let config: ParsedConfigBlock;
  try {
    block = decodeBlock(bytes);
    config = parseConfigBlock(block);
  } catch (err) {
    throw invalid(`not a channel configuration block (${(err as Error).message})`);
  }
  // The block is unsigned and its channel ID goes into network.yaml and a file name: it must be a channel name.
  const name = ChannelSpec.shape.name.safeParse(config.channelId);
  if (!name.success) throw invalid(`channel_header.channel_id ${JSON.stringify(config.channelId.slice(0, 300))} is not a Fabric channel name ([a-z][a-z0-9.-]*, at most 249 characters)`);
  if (kind === 'genesis' && block.getHeader()?.getNumber() !== 0) throw invalid(`block ${block.getHeader()?.getNumber()} of channel ${config.channelId}, not its genesis block`);
  const { msp } = mspTooling();
  const sameRoots = (mspId: string, dir: string): boolean => {
    const ours = msp.loadMspConfig(dir, mspId).getRootCertsList_asU8();
    const theirs = config.msps.get(mspId)?.getRootCertsList_asU8() ?? [];
    return ours.length === theirs.length && ours.every((c, i) => Buffer.from(c).equals(theirs[i]!));
  };
  const ordererOrg = layout.spec.ordererOrg;
  if (!config.ordererOrgs.some((o) => o.mspId === ordererOrg.mspId) || !sameRoots(ordererOrg.mspId, layout.orgMspDir(undefined))) {
    throw invalid(`channel ${config.channelId} is not ordered by this network's ${ordererOrg.mspId}`);
  }
  const members = config.applicationOrgs.map((a) => {
    const org = layout.spec.orgs.find((o) => o.mspId === a.mspId);
    if (org === undefined || !sameRoots(org.mspId, layout.orgMspDir(org))) throw invalid(`channel ${config.channelId} has member ${a.mspId}, which is not an org of this network`);
    return org;
  });
  const all = members.length === layout.spec.orgs.length;
  return {
    channel: {
      name: config.channelId,
      batchTimeout: config.batchTimeout,
      maxMessageCount: config.batchSize.maxMessageCount,
      ...batchBytesOf(config.batchSize),
      ...(all ? {} : { orgs: members.map((o) => o.name) }),
    },
    members,
  };
}

function readBlockFile(file: string, what: string): Buffer {
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
    throw new ConfigError('CHANNEL_BLOCK_MISSING', `no block file ${file}`, { file, suggestions: [`copy ${what}`] });
  }
  return fs.readFileSync(file);
}

/**
 * `weft channel join`: joins this directory's peers to a channel another org created, from its
 * genesis block (Fabric's `peer channel join -b`). Checks that the block is a genesis block of this
 * network (its orderer org and members, by their CA certificates), stores it in channel-artifacts/,
 * lists the channel in network.yaml so that `weft network up` rejoins after a reset, then joins the
 * peers of the member orgs whose keys are here that network.yaml puts on the channel (`peers`), or
 * only those `peerRefs` names (`--peer`), which network.yaml then lists on it. Run again, it joins
 * the peers still missing.
 *
 * An org added after the channel was created (`weft channel update --add-org`) is not in the
 * genesis block: `configFile`, the channel's latest config block, says who the members are now.
 * The peers still join from the genesis block, as Fabric's do, and read the rest from the orderer.
 */
export async function joinChannel(dir: string, blockFile: string, progress: Progress, configFile?: string, peerRefs?: readonly string[]): Promise<JoinChannelResult> {
  const layout = openNetwork(dir);
  const bytes = readBlockFile(blockFile, 'channel-artifacts/<channel>.block from the directory where weft channel create ran');
  const genesis = channelOfBlock(layout, blockFile, bytes);
  const { channel, members } = configFile === undefined ? genesis : latestMembers(layout, genesis.channel.name, configFile);
  const here = orgsWithKeysHere(layout).filter((o) => members.includes(o));
  if (here.length === 0) {
    throw new WeftError('NO_MEMBER_KEYS_HERE', `channel ${channel.name}'s members (${members.map((o) => o.mspId).join(', ')}) have no Admin key in ${layout.dir}`, {
      suggestions: [
        "join from a member org's directory",
        configFile === undefined
          ? "an org added by weft channel update --add-org is not in the genesis block: pass the channel's latest config block with --config (weft channel fetch <dir> config --channel <channel> -o <file>, in a member org's directory)"
          : `ask a member org to add yours: weft channel update <dir> --channel ${channel.name} --add-org <org>`,
      ],
    });
  }
  const file = layout.genesisBlockFileOf(channel.name);
  const listed = layout.channels().find((c) => c.name === channel.name);
  if (fs.existsSync(file) && !fs.readFileSync(file).equals(bytes)) {
    throw new ConfigError('CHANNEL_BLOCK_DIFFERS', `${file} already holds another genesis block of channel ${channel.name}`, { file, suggestions: [`compare the two blocks: weft block show`] });
  }
  const refs = peerRefs !== undefined && peerRefs.length > 0 ? peerRefs : undefined;
  const named = refs === undefined ? undefined : namedPeers(here, refs, '--peer', `the peers here of channel ${channel.name}'s member orgs (${here.map((o) => o.name).join(', ')})`);
  if (listed === undefined) {
    const entry = refs === undefined ? channel : channelWithPeers(layout.spec, channel, peersNamedForChannel(channel.name, members, here, refs));
    const next = renderNetworkFile({ ...layout.spec, otherChannels: [...layout.spec.otherChannels, entry] });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    replaceNetworkFile(layout.dir, next.text);
    progress(`channel ${channel.name}: genesis block stored, listed in ${NETWORK_FILE}`);
  } else {
    if (!fs.existsSync(file)) fs.writeFileSync(file, bytes);
    // The latest config may list members the directory's listing (written from an older block) lacks.
    const stale = configFile !== undefined && listed !== layout.spec.channel && JSON.stringify(listed.orgs) !== JSON.stringify(channel.orgs);
    if (stale) {
      const next = renderNetworkFile({ ...layout.spec, otherChannels: layout.spec.otherChannels.map((c) => (c.name === channel.name ? channelWithMembers(layout.spec, c, channel.orgs) : c)) });
      replaceNetworkFile(layout.dir, next.text);
      progress(`channel ${channel.name}: members in ${NETWORK_FILE} updated from ${configFile}`);
    }
    if (named !== undefined) recordPeersJoining(openNetwork(dir), channel.name, named, progress);
  }
  const updated = openNetwork(dir).forChannel(channel.name);
  const onChannel = here.flatMap((org) => updated.peersOf(updated.spec.orgs.find((o) => o.mspId === org.mspId)!));
  const peers = named === undefined ? onChannel : onChannel.filter((p) => named.includes(p.id));
  await joinEveryNode(updated, channel.name, progress, new Set(peers.map((p) => p.id)));
  return { channel: channel.name, genesisBlock: file, members: members.map((o) => o.name), nodes: peers.map((p) => p.id) };
}

/** The channel's members and settings from its latest config block, which must be of the same channel as the genesis block. */
function latestMembers(layout: NetworkLayout, channelName: string, configFile: string): { channel: ChannelSpec; members: PeerOrgSpec[] } {
  const latest = channelOfBlock(layout, configFile, readBlockFile(configFile, "the channel's latest config block (weft channel fetch <dir> config --channel <channel> -o <file>)"), 'config');
  if (latest.channel.name !== channelName) {
    throw new ConfigError('CHANNEL_BLOCK_INVALID', `${configFile}: a config block of channel ${latest.channel.name}, not of ${channelName}`, {
      file: configFile,
      suggestions: [`fetch channel ${channelName}'s: weft channel fetch <dir> config --channel ${channelName} -o <file>`],
    });
  }
  return latest;
}
