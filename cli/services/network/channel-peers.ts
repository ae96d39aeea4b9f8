import { ConfigError } from '../../../core/errors';
import { nearNames } from '../near-names';
import { NETWORK_FILE, peerIdOf, type ChannelSpec, type NetworkSpec, type PeerOrgSpec } from './network-spec';

/** The channel's member orgs in network order: those `orgs` names, or every org. */
export function memberOrgsOf(spec: Pick<NetworkSpec, 'orgs'>, channel: ChannelSpec): PeerOrgSpec[] {
  return channel.orgs === undefined ? spec.orgs : spec.orgs.filter((o) => channel.orgs!.includes(o.name));
}

/** The ids of the peers network.yaml puts on the channel: those its `peers` lists, else every peer of its member orgs. */
export function channelPeerIds(spec: Pick<NetworkSpec, 'orgs'>, channel: ChannelSpec): string[] {
  const every = memberOrgsOf(spec, channel).flatMap((org) => org.peers.map((p) => peerIdOf(org, p)));
  return channel.peers === undefined ? every : every.filter((id) => channel.peers!.includes(id));
}

/** The channels network.yaml puts the peer on, the default channel first. */
export function channelsOfPeer(spec: NetworkSpec, id: string): string[] {
  return [spec.channel, ...spec.otherChannels].filter((c) => channelPeerIds(spec, c).includes(id)).map((c) => c.name);
}

/**
 * The channel with its `peers` listing exactly `ids` (any order; network order is written), or
 * without `peers` when `ids` are every peer of its member orgs, which is what an absent list means.
 */
export function channelWithPeers(spec: Pick<NetworkSpec, 'orgs'>, channel: ChannelSpec, ids: readonly string[]): ChannelSpec {
  const { peers: _was, ...rest } = channel;
  const every = channelPeerIds(spec, rest);
  return every.every((id) => ids.includes(id)) ? rest : { ...rest, peers: every.filter((id) => ids.includes(id)) };
}

/** `spec` with `edit` applied to the channel named `name` (the default channel or one of `otherChannels`). */
export function withChannel(spec: NetworkSpec, name: string, edit: (channel: ChannelSpec) => ChannelSpec): NetworkSpec {
  return spec.channel.name === name ? { ...spec, channel: edit(spec.channel) } : { ...spec, otherChannels: spec.otherChannels.map((c) => (c.name === name ? edit(c) : c)) };
}

/** `spec` with the peers `add` put on channel `name` and those `remove` taken off it, the list written out whole where it was absent. */
export function withChannelPeers(spec: NetworkSpec, name: string, change: { readonly add?: readonly string[]; readonly remove?: readonly string[] }): NetworkSpec {
  return withChannel(spec, name, (channel) => {
    const ids = [...channelPeerIds(spec, channel), ...(change.add ?? [])].filter((id) => !(change.remove ?? []).includes(id));
    return channelWithPeers(spec, channel, ids);
  });
}

/**
 * A channel whose member orgs changed to `orgs` (`weft channel update --add-org/--remove-org`): a
 * `peers` list drops the peers of orgs that left and takes every peer of an org that came, as a
 * new member's peers all join it.
 */
export function channelWithMembers(spec: Pick<NetworkSpec, 'orgs'>, channel: ChannelSpec, orgs: ChannelSpec['orgs']): ChannelSpec {
  const { orgs: _was, ...rest } = channel;
  const next: ChannelSpec = orgs === undefined ? rest : { ...rest, orgs };
  if (channel.peers === undefined) return next;
  const before = new Set(memberOrgsOf(spec, channel).map((o) => o.name));
  const came = memberOrgsOf(spec, next).filter((o) => !before.has(o.name));
  return channelWithPeers(spec, next, [...channel.peers, ...came.flatMap((org) => org.peers.map((p) => peerIdOf(org, p)))]);
}

/**
 * The peers `refs` names (ids such as `peer1.org1.example.com`), each a peer of one of `orgs`:
 * `UNKNOWN_PEER` for one that is not, naming `field`, a near spelling, and the peers it may name.
 */
export function namedPeers(orgs: readonly PeerOrgSpec[], refs: readonly string[], field: string, among: string): string[] {
  const known = orgs.flatMap((org) => org.peers.map((p) => peerIdOf(org, p)));
  return refs.map((ref) => {
    const id = known.find((k) => k.toLowerCase() === ref.toLowerCase());
    if (id !== undefined) return id;
    const near = nearNames(ref, known);
    throw new ConfigError('UNKNOWN_PEER', `${field} ${ref}: no such peer among ${among} in ${NETWORK_FILE} (a peer id is <name>.<org domain>)`, {
      field,
      value: ref,
      known,
      suggestions: [...(near.length > 0 ? [`did you mean ${field} ${near.join(' or ')}?`] : []), `the peers it may name: ${known.join(', ')}`],
    });
  });
}

/**
 * The `peers` of a channel first listed here with `--peer` (`weft channel create`, `weft channel
 * join`): the named peers, each of a member org whose keys are here (`UNKNOWN_PEER` otherwise), and
 * every peer of the member orgs whose keys are elsewhere, whose operators choose theirs on their
 * hosts. Refuses (`CHANNEL_ORG_WITHOUT_PEER`) a member org here none of whose peers is named: the
 * channel would list none of them.
 */
export function peersNamedForChannel(channel: string, members: readonly PeerOrgSpec[], here: readonly PeerOrgSpec[], refs: readonly string[]): string[] {
  const ours = members.filter((org) => here.some((h) => h.name === org.name));
  const named = namedPeers(ours, refs, '--peer', `the peers here of channel ${channel}'s member orgs (${ours.map((o) => o.name).join(', ')})`);
  const without = ours.filter((org) => !org.peers.some((p) => named.includes(peerIdOf(org, p))));
  if (without.length > 0) {
    const ids = without.flatMap((org) => org.peers.map((p) => peerIdOf(org, p)));
    throw new ConfigError('CHANNEL_ORG_WITHOUT_PEER', `--peer names no peer of ${without.map((o) => o.name).join(', ')}, a member of channel ${channel} whose keys are here: each member org keeps one peer on it at least`, {
      field: '--peer',
      value: refs.join(','),
      suggestions: [`name one of its peers too: ${ids.map((id) => `--peer ${id}`).join(' or ')}`, `or leave ${without.map((o) => o.name).join(', ')} out of the channel's orgs`],
    });
  }
  const elsewhere = members.filter((org) => !ours.includes(org)).flatMap((org) => org.peers.map((p) => peerIdOf(org, p)));
  return [...new Set([...named, ...elsewhere])];
}
