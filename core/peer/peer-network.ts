import type { ChannelManager } from './channel/channel-manager';
import type { ConfigOrg } from './channel/channel-config';
import type { Broadcaster } from './gateway/broadcaster';
import { type EndorsingPeer, RemoteEndorser } from './gateway/endorser-client';
import type { ClientTls, OrdererClient } from './orderer/orderer-client';
import { tlsCertificateHash } from '../protocol/deliver-request';
import type { OrdererSource } from './orderer/block-puller';
import type { DeliveryTimings } from './orderer/delivery-timings';
import type { Logger } from '../node/logger';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { DialRevocations, cutIfRevoked } from './dial-revocations';
import { dialTls } from './dial-tls';
import { type OrdererConnection, OrdererConnections, closeOrderer } from './orderer-connections';
import type { ServerIdentity, ServerTlsIdentity } from '../node/reloadable-identity';
import type { PeerConfig } from './peer-config';
import type { PvtPeer } from './privdata/pvt-distributor';
import type { PvtSource } from './privdata/pvt-puller';

/** A peer learned through membership exchange: where it listens, its org and its ledger height on the channel. */
export interface LearnedPeer {
  readonly endpoint: string;
  readonly mspId: string;
  readonly ledgerHeight: number;
}

/**
 * How long a connection to a peer is kept once it is no longer among the peers to dial (a learned
 * peer that expired or moved): well beyond the Gateway's endorsement timeout, so a call under way
 * keeps its connection.
 */
const IDLE_PEER_MS = 120_000;
/**
 * Most peer connections held: past it, the least recently dialled is closed. Far above the peers
 * of real channels; it bounds what a peer announcing a new endpoint with each message can cost.
 */
const MAX_PEER_CONNECTIONS = 1024;

interface PeerConnection {
  readonly endorser: RemoteEndorser;
  usedAt: number;
}

/**
 * The other nodes this peer dials: the channel's orderers (for block pulling and the Gateway's
 * broadcasts) and the peers of other orgs (for the Gateway's endorsements). Connections are made
 * once and reused. Orderers are dialled with TLS whenever their roots are known; peers with TLS when
 * this peer serves TLS. Either trusts the TLS roots the channel config gives each org, plus
 * configured extra roots; the peer's TLS certificate serves as client certificate for mutual TLS.
 *
 * When a certificate reload replaces that certificate, every connection made with the old one is
 * retired at once: dropped from the caches, so the next call dials anew with the new certificate
 * (before the old one expires, when a reconnection would fail its handshake), and closed
 * {@link IDLE_PEER_MS} later, so calls under way finish on it (TLS checked its certificate at its
 * handshake only). A block puller's Deliver stream is told to move by its orderer client.
 *
 * A server certificate is checked against the TLS revocations of every channel's config and the
 * local MSP at each handshake ({@link DialRevocations}); a connection open when a config block or a
 * reload revokes it is cut at once.
 */
export class PeerNetwork implements OrdererSource {
  private readonly orderers: OrdererConnections;
  private readonly endorsersByAddress = new Map<string, PeerConnection>();
  private sweptAt = Date.now();
  private readonly unusable = new Set<string>();
  /** What each connection's handshakes are checked against; a change cuts the open connections it now revokes. */
  private readonly revocations: DialRevocations;
  /** Peers whose TLS certificate was found revoked: the Gateway tries them last (their handshake fails). */
  private readonly revokedPeers = new Set<string>();
  private clientCert: { certChain?: Buffer; privateKey?: Buffer } = {};
  private currentCertHash: Uint8Array | undefined;
  /** Connections of replaced client certificates, closed once calls under way had time to finish. */
  private readonly retiring = new Set<{ readonly timer: NodeJS.Timeout; readonly close: () => void; readonly orderers: readonly OrdererConnection[]; readonly endorsers: readonly PeerConnection[] }>();
  private readonly followIdentity: ((update: { certificate: Buffer; privateKey: Buffer } | null) => void) | undefined;
  /** The block puller's dial timeout and backoff threshold (`peer.deliveryClient`). */
  readonly deliveryTimings: DeliveryTimings;

  constructor(
    private readonly config: PeerConfig,
    private readonly channels: () => ChannelManager,
    /** The channel's peers learned through membership exchange (service discovery's view), besides the configured ones. */
    private readonly learned: (channelId: string) => readonly LearnedPeer[] = () => [],
    private readonly logger?: Logger,
    /** The peer's TLS identity (absent with TLS off), presented as client certificate; followed across certificate reloads. */
    private readonly clientIdentity?: ServerTlsIdentity,
  ) {
    this.deliveryTimings = config.peer.deliveryClient;
    this.revocations = new DialRevocations(channels, () => this.cutRevoked(), logger);
    this.orderers = new OrdererConnections(
      config,
      channels,
      // Orderers serve TLS whatever this peer does: dial with TLS whenever their roots are known.
      { tls: (orgs, extraRootFiles) => this.tls(orgs, extraRootFiles, true), revocationCheck: (address) => this.revocationCheck(address) },
      IDLE_PEER_MS,
    );
    if (clientIdentity === undefined) return;
    this.useClientIdentity(clientIdentity.current());
    // Called in the reload's synchronous step, with the new signer and listener identity.
    this.followIdentity = (update) => {
      if (update !== null) this.useClientIdentity({ cert: update.certificate, key: update.privateKey });
    };
    clientIdentity.addListener(this.followIdentity);
  }

  /**
   * SHA-256 of the client certificate new connections present (Fabric's TLS binding, which Deliver
   * requests name). A caller pairing it with connections reads both in one synchronous step: a
   * reload changes it and the connections handed out together.
   */
  get clientCertHash(): Uint8Array | undefined {
    return this.currentCertHash;
  }

  /** Dials with `identity` from now on; a different one retires the connections made with the one before. */
  private useClientIdentity(identity: ServerIdentity): void {
    const { certChain, privateKey } = this.clientCert;
    if (certChain !== undefined && privateKey !== undefined && certChain.equals(identity.cert) && privateKey.equals(identity.key)) return;
    const first = certChain === undefined;
    this.clientCert = { certChain: identity.cert, privateKey: identity.key };
    this.currentCertHash = tlsCertificateHash(identity.cert);
    if (first) return;
    const orderers = this.orderers.takeAll();
    const endorsers = [...this.endorsersByAddress.values()];
    this.endorsersByAddress.clear();
    for (const o of orderers) o.client.retire();
    this.logger?.info({ orderers: orderers.length, peers: endorsers.length }, 'TLS client certificate reloaded: new connections present it, those made before are closed in two minutes');
    const entry = {
      orderers,
      endorsers,
      timer: setTimeout(() => entry.close(), IDLE_PEER_MS).unref(),
      close: (): void => {
        clearTimeout(entry.timer);
        this.retiring.delete(entry);
        for (const o of orderers) closeOrderer(o);
        for (const c of endorsers) c.endorser.close();
      },
    };
    this.retiring.add(entry);
  }

  endpoints(channelId: string): string[] {
    return this.orderers.endpoints(channelId);
  }

  /**
   * The connection to the orderer at `address`, trusting the TLS roots the channel's config gives
   * it now ({@link OrdererConnections}).
   */
  client(address: string, channelId: string): OrdererClient {
    return this.orderers.connection(address, channelId).client;
  }

  /**
   * The channel's orderers for one Submit, in random order as Fabric's gateway tries them
   * (`rand.Perm`): Submits spread over the orderers, and one that hangs delays only the Submits
   * that happen to try it first.
   */
  broadcasters(channelId: string): Broadcaster[] {
    const out = this.endpoints(channelId).map((address) => this.orderers.broadcaster(address, channelId));
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [out[i], out[j]] = [out[j] as Broadcaster, out[i] as Broadcaster];
    }
    return out;
  }

  /**
   * Peers of other orgs the Gateway may ask to endorse on the channel, in the order to try them:
   * those configured in `peer.gateway.peers`, then the anchor peers the channel config names, then
   * the peers learned from them by membership exchange, at the endpoints they announce (Fabric's
   * gateway learns peers through discovery; anchor peers are where its gossip membership starts),
   * highest ledger height first. Follows config updates: an org added with anchor peers is reachable.
   * A peer this one failed to connect to goes last until a connection succeeds (Fabric's Gateway
   * drops an endorser that failed from its registry until discovery brings it back): a peer taken
   * away is not tried first by every endorsement while membership still lists it.
   */
  endorsers(channelId: string): EndorsingPeer[] {
    const learned = this.learned(channelId);
    // Fabric's Gateway tries the peers with the highest ledger height first: a lagging peer would
    // endorse on stale state. Peers not heard from lately (down, or not Weft) go after, in order.
    const heights = new Map(learned.map((p) => [p.endpoint, p.ledgerHeight]));
    const height = (p: RemoteEndorser): number => heights.get(p.address) ?? -1;
    return this.remotePeers(channelId, learned)
      .map((p, i) => ({ p, i, down: p.unreachable() || this.revokedPeers.has(p.address) ? 1 : 0 }))
      .sort((a, b) => a.down - b.down || height(b.p) - height(a.p) || a.i - b.i)
      .map(({ p }) => p);
  }

  /** The same peers, as targets of this peer's private data pushes and sources of its pulls. */
  pvtPeers(channelId: string): (PvtPeer & PvtSource)[] {
    return this.remotePeers(channelId);
  }

  /** The same peers, as those this peer exchanges membership with. */
  membershipPeers(channelId: string): RemoteEndorser[] {
    return this.remotePeers(channelId);
  }

  private remotePeers(channelId: string, learned = this.learned(channelId)): RemoteEndorser[] {
    const channel = this.channels().channel(channelId);
    if (channel === undefined) return [];
    this.sweep();
    const appOrgs = channel.resources().config.applicationOrgs;
    const out: RemoteEndorser[] = [];
    const seen = new Set<string>();
    const add = (address: string, org: ConfigOrg, extraRootFiles: readonly string[], serverNameOverride?: string): void => {
      seen.add(address);
      const e = this.endorser(address, org, extraRootFiles, serverNameOverride);
      if (e !== undefined) out.push(e);
    };
    for (const known of this.config.peer.gateway.peers) {
      const org = appOrgs.find((o) => o.mspId === known.mspId);
      if (org === undefined || seen.has(known.address)) continue;
      add(known.address, org, known.tlsRootCertFile === undefined ? [] : [known.tlsRootCertFile], known.serverNameOverride);
    }
    const self = this.config.node.msp.id;
    for (const org of appOrgs) {
      if (org.mspId === self) continue;
      for (const address of org.anchorPeers) if (!seen.has(address)) add(address, org, []);
    }
    for (const peer of learned) {
      const org = appOrgs.find((o) => o.mspId === peer.mspId);
      if (org !== undefined && peer.endpoint !== '' && !seen.has(peer.endpoint)) add(peer.endpoint, org, []);
    }
    return out;
  }

  /** The connection to the peer at `address`; undefined (logged once) when gRPC cannot make one for that address. */
  private endorser(address: string, org: ConfigOrg, extraRootFiles: readonly string[], serverNameOverride?: string): RemoteEndorser | undefined {
    const now = Date.now();
    let c = this.endorsersByAddress.get(address);
    if (c === undefined) {
      try {
        c = { endorser: new RemoteEndorser(address, org.mspId, { ...this.tls([org], extraRootFiles), serverNameOverride, ...this.revocationCheck(address) }, this.config.peer.gossip.dialTimeoutMs), usedAt: now };
      } catch (err) {
        if (!this.unusable.has(address)) this.logger?.warn({ address, mspId: org.mspId, err: (err as Error).message }, 'cannot dial this peer address');
        this.unusable.add(address);
        return undefined;
      }
      this.endorsersByAddress.set(address, c);
      if (this.endorsersByAddress.size > MAX_PEER_CONNECTIONS) this.closeLeastRecentlyUsed();
    }
    c.usedAt = now;
    return c.endorser;
  }

  private closeLeastRecentlyUsed(): void {
    let oldest: [string, PeerConnection] | undefined;
    for (const entry of this.endorsersByAddress) if (oldest === undefined || entry[1].usedAt < oldest[1].usedAt) oldest = entry;
    if (oldest === undefined) return;
    oldest[1].endorser.close();
    this.endorsersByAddress.delete(oldest[0]);
  }

  /** Closes the connections to peers no longer dialled (learned peers that expired or announced another endpoint). */
  private sweep(): void {
    const now = Date.now();
    if (now - this.sweptAt < IDLE_PEER_MS / 4) return;
    this.sweptAt = now;
    for (const [address, c] of this.endorsersByAddress) {
      if (now - c.usedAt < IDLE_PEER_MS) continue;
      c.endorser.close();
      this.endorsersByAddress.delete(address);
    }
  }

  close(): void {
    this.revocations.close();
    if (this.followIdentity !== undefined) this.clientIdentity?.removeListener(this.followIdentity);
    for (const entry of [...this.retiring]) entry.close();
    this.orderers.close();
    for (const c of this.endorsersByAddress.values()) c.endorser.close();
    this.endorsersByAddress.clear();
  }

  /** The local MSP (re)loaded: nodes whose TLS certificate its CRLs revoke are refused, and cut if connected. */
  setLocalMsp(msp: FabricMSPConfig | undefined): void {
    this.revocations.setLocalMsp(msp);
  }

  /** A channel opened or joined: its config's TLS revocations apply to the connections already open too. */
  channelOpened(): void {
    this.revocations.channelsChanged();
  }

  /** {@link DialRevocations.check} for a connection to the node at `address`. */
  private revocationCheck(address: string): Required<Pick<ClientTls, 'revocations' | 'onRevoked'>> {
    return this.revocations.check(address, () => this.revokedPeers.add(address));
  }

  /**
   * Cuts and drops every open connection (retiring ones too) whose server certificate the
   * revocations now revoke; the next call dials anew, under the check. Not at idle time: a node
   * whose key leaked would get proposals, private data and broadcasts.
   */
  private cutRevoked(): void {
    const revocations = this.revocations.current();
    // Peers refused as revoked are dialled anew (not after gRPC's backoff), marked again if still revoked.
    const refused = new Set(this.revokedPeers);
    this.revokedPeers.clear();
    for (const [address, c] of this.endorsersByAddress) {
      if (refused.has(address)) c.endorser.close();
      else if (cutIfRevoked(c.endorser, revocations, this.logger)) this.revokedPeers.add(address);
      else continue;
      this.endorsersByAddress.delete(address);
    }
    this.orderers.cutRevoked(revocations, this.logger);
    for (const entry of this.retiring) for (const c of [...entry.endorsers.map((e) => e.endorser), ...entry.orderers.map((o) => o.client)]) cutIfRevoked(c, revocations, this.logger);
  }

  private tls(orgs: readonly ConfigOrg[], extraRootFiles: readonly string[], whenRootsKnown = false): ClientTls {
    return dialTls(orgs, extraRootFiles, { tlsEnabled: this.config.peer.tls.enabled, whenRootsKnown, clientCert: this.clientCert });
  }
}

