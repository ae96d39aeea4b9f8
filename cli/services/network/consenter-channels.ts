import { OrdererAdminClient, type ParticipationChannel } from '../client/orderer-admin';
import type { ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { type Progress, peerChannels } from './network-access';
import { NetworkLayout, type NodeLayout } from './network-layout';
import { batchBytesOf, type ChannelSpec, type PeerOrgSpec } from './network-spec';
import { peersToWaitFor } from './config-block-peers';
import { orgsWithKeysHere } from './org-keys';

/** A channel the orderer lists that cannot take a consenter update now, and why. */
export interface SkippedChannel {
  readonly channel: string;
  readonly why: string;
}

/**
 * Of the channels an orderer's participation API describes, those it orders and that take config
 * updates (`consenter`, `active`), and why each other one is left alone: a `failed` channel orders
 * nothing, so no update of it can land; a follower or config-tracker is not a consenter of the channel,
 * so the channel names other nodes, not this one.
 */
export function rotatableChannels(infos: readonly ParticipationChannel[]): { active: string[]; skipped: SkippedChannel[] } {
  const active: string[] = [];
  const skipped: SkippedChannel[] = [];
  for (const info of infos) {
    if (info.consensusRelation !== undefined && info.consensusRelation !== 'consenter') {
      skipped.push({ channel: info.name, why: `the orderer is its ${info.consensusRelation}, not a consenter: the channel does not name it` });
    } else if (info.status !== 'active') {
      skipped.push({
        channel: info.name,
        why: `the orderer lists it as ${info.status ?? 'of unknown status'}: it orders no config update until repaired, so it keeps naming the old certificate`,
      });
    } else {
      active.push(info.name);
    }
  }
  return { active, skipped };
}

/** Every channel `orderer` lists itself (channel participation API, as the orderer org's Admin), each as it describes it. */
export async function listedChannels(network: NetworkLayout, orderer: NodeLayout): Promise<ParticipationChannel[]> {
  const admin = new OrdererAdminClient(orderer, network);
  const infos: ParticipationChannel[] = [];
  for (const { name } of await admin.list()) infos.push((await admin.info(name)) ?? { name, status: 'removed' });
  return infos;
}

/**
 * The channels the running `orderer` serves and can be updated through now, as it lists them
 * itself ({@link listedChannels}): network.yaml's and any joined otherwise (`osnadmin channel join`
 * with a block made elsewhere). Says in progress which it skips.
 */
export async function servedChannels(network: NetworkLayout, orderer: NodeLayout, progress: Progress): Promise<string[]> {
  const { active, skipped } = rotatableChannels(await listedChannels(network, orderer));
  for (const s of skipped) progress(`channel ${s.channel}: not given ${orderer.id}'s new consenter certificate: ${s.why}`);
  return active;
}

/**
 * The network seen from `channel` through `orderer` alone (reads, submits and waits go to the
 * orderer being renewed, which orders the channel): network.yaml's member orgs for a channel it
 * lists. For another, the orgs of the network the config names, each with only those of its peers
 * here that joined the channel (cscc GetChannels), and those that cannot be asked as they do not
 * run ({@link peersToWaitFor}), which submitConfigEdit then names and does not wait for.
 */
export async function channelThroughOrderer(network: NetworkLayout, orderer: NodeLayout, current: ParsedChannelConfig, progress: Progress): Promise<NetworkLayout> {
  const name = current.channelId;
  if (network.channels().some((c) => c.name === name)) {
    const seen = network.forChannel(name).spec;
    return throughOrderer(network, orderer, seen.channel, seen.orgs);
  }
  const members = network.networkSpec.orgs.filter((o) => current.applicationOrgs.some((a) => a.mspId === o.mspId));
  // Asked as its org's Admin, and only those are waited for (submitConfigEdit): the peers of the member orgs whose keys are here.
  const here = new Set(orgsWithKeysHere(network).filter((o) => members.some((m) => m.mspId === o.mspId)).map((o) => o.mspId));
  const { waited, notWaited } = await peersToWaitFor(network, network.peers().filter((p) => here.has(p.mspId)));
  const kept = new Set(notWaited.map((n) => n.peer.id));
  for (const peer of waited) {
    try {
      if ((await peerChannels(network, peer)).includes(name)) kept.add(peer.id);
    } catch (err) {
      progress(`channel ${name}: could not ask ${peer.id} whether it joined (${(err as Error).message}): not waited for`);
    }
  }
  const withJoined = members.map((o): PeerOrgSpec => ({ ...o, peers: o.peers.filter((p) => kept.has(`${p.name}.${o.domain}`)) }));
  return throughOrderer(network, orderer, channelSpecOf(current), withJoined);
}

/** A layout for reading `channel`'s config from `orderer` before its members are known. */
export function readingThroughOrderer(network: NetworkLayout, orderer: NodeLayout, channel: string): NetworkLayout {
  return throughOrderer(network, orderer, { ...network.networkSpec.channel, name: channel }, []);
}

function throughOrderer(network: NetworkLayout, orderer: NodeLayout, channel: ChannelSpec, orgs: PeerOrgSpec[]): NetworkLayout {
  const whole = network.networkSpec;
  const only = whole.ordererOrg.orderers.filter((o) => `${o.name}.${whole.ordererOrg.domain}` === orderer.id);
  return new NetworkLayout(network.dir, { ...whole, ordererOrg: { ...whole.ordererOrg, orderers: only }, orgs, channel, otherChannels: [] }, whole);
}

/** A channel network.yaml does not list, as it would list it: its name and batch settings. */
function channelSpecOf(current: ParsedChannelConfig): ChannelSpec {
  return { name: current.channelId, batchTimeout: current.batchTimeout, maxMessageCount: current.batchSize.maxMessageCount, ...batchBytesOf(current.batchSize) };
}
