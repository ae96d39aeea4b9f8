import type { InstalledPackages } from '../lifecycle/chaincode-indexes';
import type { IdentityDeserializer } from '../../msp/msp';
import type { SigningIdentity } from '../../msp/identity';
import type { Logger } from '../../node/logger';
import type { Channel } from '../channel/channel';
import { LifecycleCache } from '../lifecycle/lifecycle-cache';
import { LIFECYCLE_NAMESPACE, approvedChaincodes } from '../lifecycle/lifecycle-state';
import type { PeerSection } from '../peer-config';
import type { LearnedPeer, PeerNetwork } from '../peer-network';
import type { EndorsementPolicies } from '../validation/endorsement-policies';
import { DiscoveryService } from './discovery-service';
import { EndorsementAnalyzer } from './endorsement-analyzer';
import type { AnnouncedChaincode } from './gossip-messages';
import { type LocalState, Membership } from './membership';
import { MembershipExchange } from './membership-exchange';

export interface PeerDiscoveryDeps {
  readonly config: PeerSection['discovery'];
  readonly signer: SigningIdentity;
  readonly localMsp: IdentityDeserializer;
  /** The address this peer announces: other peers and clients reach it there. */
  readonly endpoint: () => string;
  readonly channels: () => readonly Channel[];
  readonly channel: (id: string) => Channel | undefined;
  readonly network: PeerNetwork;
  readonly packages: Pick<InstalledPackages, 'list'>;
  readonly policies: EndorsementPolicies;
  readonly logger: Logger;
}

/** A peer's service discovery: its membership view, the exchange that fills it, and the `Discover` service (undefined when disabled). */
export interface PeerDiscovery {
  readonly exchange: MembershipExchange;
  readonly service: DiscoveryService | undefined;
  /** The other peers of a channel known alive, where they listen. */
  learned(channelId: string): LearnedPeer[];
}

/**
 * Wires discovery for a peer. Each channel announces its height and the chaincodes this peer can
 * run there, as Fabric's gossip does: every chaincode defined on the channel whose committed
 * definition this org approved with a package that is installed here, at its sequence, and
 * `_lifecycle`.
 */
export function peerDiscovery(deps: PeerDiscoveryDeps): PeerDiscovery {
  const { config, signer } = deps;
  const localState = announcedState(deps.packages, signer.mspId);
  const membership = new Membership({
    signer,
    endpoint: deps.endpoint,
    intervalMs: config.membershipIntervalMs,
    expiryMs: config.membershipExpiryMs,
    localState,
  });
  const exchange = new MembershipExchange({
    membership,
    channels: deps.channels,
    peers: (channel) => deps.network.membershipPeers(channel.id),
    intervalMs: config.membershipIntervalMs,
    logger: deps.logger,
  });
  const service = config.enabled
    ? new DiscoveryService({
        channel: deps.channel,
        membership,
        analyzer: new EndorsementAnalyzer(deps.policies, new LifecycleCache()),
        localMsp: deps.localMsp,
        localMspId: signer.mspId,
        orgMembersAllowedAccess: config.orgMembersAllowedAccess,
        logger: deps.logger,
      })
    : undefined;
  return {
    exchange,
    service,
    learned: (channelId) => {
      const channel = deps.channel(channelId);
      return channel === undefined ? [] : membership.others(channel).map((m) => ({ endpoint: m.endpoint, mspId: m.mspId, ledgerHeight: m.ledgerHeight }));
    },
  };
}

/**
 * What this peer announces on a channel: its height, and the chaincodes it can run there. Read
 * from the ledger again only when the height or the installed packages changed: membership signs
 * each channel's state anew every interval, and reading the lifecycle state of every channel each
 * time was most of what an idle peer on many channels still did. The answer depends on nothing
 * else: approvals are matched by the hashes every peer commits with the blocks (a late private
 * value only names a package that must be installed anyway). Fabric's lifecycle cache likewise
 * updates gossip's chaincodes only on commits and installs (`core/chaincode/lifecycle/cache.go`
 * `handleMetadataUpdates`).
 */
export function announcedState(packages: Pick<InstalledPackages, 'list'>, mspId: string): (channel: Channel) => LocalState {
  const held = new WeakMap<Channel, { readonly height: number; readonly installed: string; readonly state: LocalState }>();
  return (channel) => {
    const ids = packages.list().map((p) => p.packageId);
    const height = channel.height();
    const key = ids.join('\n');
    const last = held.get(channel);
    if (last !== undefined && last.height === height && last.installed === key) return last.state;
    const installed = new Set(ids);
    // The approval stores only the package's hash where other orgs see it: installed packages are matched by it, as in Fabric's cache.
    const chaincodes: AnnouncedChaincode[] = approvedChaincodes(channel.ledger, mspId, ids)
      .filter((c) => installed.has(c.packageId))
      .map((c) => ({ name: c.name, version: String(c.sequence) }));
    const state = { ledgerHeight: height, chaincodes: [...chaincodes, { name: LIFECYCLE_NAMESPACE, version: '1' }] };
    held.set(channel, { height, installed: key, state });
    return state;
  };
}

/**
 * Why the address a peer announces cannot be dialled, when it cannot: a listen address on every
 * interface (`0.0.0.0`, `::`) without `peer.externalAddress` is announced as is, and clients that
 * discover the peer would dial it. Undefined when the address is usable.
 */
export function announcedAddressProblem(externalAddress: string | undefined, listenAddress: string): string | undefined {
  if (externalAddress !== undefined) return undefined;
  const host = listenAddress.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (host !== '' && host !== '0.0.0.0' && host !== '::') return undefined;
  return `peer.listenAddress ${listenAddress} listens on every interface and peer.externalAddress is not set: service discovery announces an address other peers and clients cannot dial; set peer.externalAddress`;
}
