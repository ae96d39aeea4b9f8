import { OrdererAdminClient, type ParticipationChannel } from '../client/orderer-admin';
import type { ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { type Progress, peerChannels } from './network-access';
import { NetworkLayout, type NodeLayout } from './network-layout';
import { batchBytesOf, type ChannelSpec, type PeerOrgSpec } from './network-spec';
import { runningPid } from './node-processes';
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

/**
 * The channels the running `orderer` serves and can be updated through now, as it lists them
 * itself (channel participation API, as the orderer org's Admin): network.yaml's and any joined
 * otherwise (`osnadmin channel join` with a block made elsewhere). Says in progress which it skips.
 */
export async function servedChannels(network: NetworkLayout, orderer: NodeLayout, progress: Progress): Promise<string[]> {
  const admin = new OrdererAdminClient(orderer, network);
  const infos: ParticipationChannel[] = [];
  for (const { name } of await admin.list()) infos.push((await admin.info(name)) ?? { name, status: 'removed' });
  const { active, skipped } = rotatableChannels(infos);
  for (const s of skipped) progress(`channel ${s.channel}: not given ${orderer.id}'s new consenter certificate: ${s.why}`);
  return active;
}

/**
 * The network seen from `channel` through `orderer` alone (reads, submits and waits go to the
 * orderer being renewed, which orders the channel): network.yaml's member orgs for a channel it
 * lists, and for another the orgs of the network the config names. The peers waited for are this
 * directory's peers of those orgs (whose keys are here) that run here, and for a channel network.yaml
 * does not list, that joined it (cscc GetChannels). A stopped peer is said in progress and not
 * waited for: it takes the config block from the orderer when started, as after any config update
 * it missed; waiting would only time out and roll the rotation back.
 */
export async function channelThroughOrderer(network: NetworkLayout, orderer: NodeLayout, current: ParsedChannelConfig, progress: Progress): Promise<NetworkLayout> {
  const name = current.channelId;
  const listed = network.channels().some((c) => c.name === name) ? network.forChannel(name).spec : undefined;
  const members = listed?.orgs ?? network.networkSpec.orgs.filter((o) => current.applicationOrgs.some((a) => a.mspId === o.mspId));
  // Asked as its org's Admin, and only those are waited for (submitConfigEdit): the peers of the member orgs whose keys are here.
  const here = new Set(orgsWithKeysHere(network).filter((o) => members.some((m) => m.mspId === o.mspId)).map((o) => o.mspId));
  const ours = network.peers().filter((p) => here.has(p.mspId));
  const stopped = ours.filter((p) => runningPid(p) === undefined).map((p) => p.id);
  if (stopped.length > 0) {
    const joined = listed === undefined ? ', if it joined the channel,' : '';
    progress(`channel ${name}: not waiting for ${stopped.join(', ')}, which ${stopped.length === 1 ? 'does' : 'do'} not run here: started, each${joined} takes the new config block from ${orderer.id}`);
  }
  const waited = new Set(ours.map((p) => p.id).filter((id) => !stopped.includes(id)));
  if (listed !== undefined) {
    return throughOrderer(network, orderer, listed.channel, members.map((o): PeerOrgSpec => ({ ...o, peers: o.peers.filter((p) => !here.has(o.mspId) || waited.has(`${p.name}.${o.domain}`)) })));
  }
  const joined = new Set<string>();
  for (const peer of ours.filter((p) => waited.has(p.id))) {
    try {
      if ((await peerChannels(network, peer)).includes(name)) joined.add(peer.id);
    } catch (err) {
      progress(`channel ${name}: could not ask ${peer.id} whether it joined (${(err as Error).message}): not waited for`);
    }
  }
  const withJoined = members.map((o): PeerOrgSpec => ({ ...o, peers: o.peers.filter((p) => joined.has(`${p.name}.${o.domain}`)) }));
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
