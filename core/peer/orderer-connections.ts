import { createHash } from 'node:crypto';
import type { ChannelManager } from './channel/channel-manager';
import type { ConfigOrg } from './channel/channel-config';
import { Broadcaster } from './gateway/broadcaster';
import { type ClientTls, OrdererClient } from './orderer/orderer-client';
import type { Logger } from '../node/logger';
import type { TlsRevocations } from '../node/tls-revocation';
import { cutIfRevoked } from './dial-revocations';
import type { PeerConfig } from './peer-config';

/** One connection to an orderer, with the broadcaster the Gateway sends on it once it did. */
export interface OrdererConnection {
  readonly client: OrdererClient;
  broadcaster?: Broadcaster;
  usedAt: number;
}

/** How {@link OrdererConnections} dials: the client TLS for an orderer of `orgs`, and its revocation check. */
export interface OrdererDialling {
  tls(orgs: readonly ConfigOrg[], extraRootFiles: readonly string[]): ClientTls;
  revocationCheck(address: string): Required<Pick<ClientTls, 'revocations' | 'onRevoked'>>;
}

/**
 * The peer's connections to the channels' orderers (block pulling, the Gateway's broadcasts),
 * shared by address and TLS roots, dialled with the roots each channel's config gives the
 * orderer now (as Fabric dials each connection with the current roots: after a config update
 * rotates an orderer org's TLS CA, the next broadcast or puller reconnect gets a new connection).
 * A connection left unused for a while that no channel's config dials any more is closed.
 */
export class OrdererConnections {
  /** By address and TLS roots. */
  private readonly byKey = new Map<string, OrdererConnection>();
  /** How each orderer address is dialled under one channel config (built once per config, not per broadcast). */
  private dialByConfig = new WeakMap<object, Map<string, { readonly tls: ClientTls; readonly key: string }>>();
  private sweptAt = Date.now();

  constructor(
    private readonly config: PeerConfig,
    private readonly channels: () => ChannelManager,
    private readonly dialling: OrdererDialling,
    /** How long an unused connection no config dials is kept. */
    private readonly idleMs: number,
  ) {}

  /** The channel's orderer endpoints, after `ordererAddressOverrides`. */
  endpoints(channelId: string): string[] {
    return this.targets(channelId).map((t) => t.address);
  }

  /** The connection to the orderer at `address` as `channelId`'s config dials it now. */
  connection(address: string, channelId: string): OrdererConnection {
    const dial = this.dial(address, channelId);
    const now = Date.now();
    this.sweep(now);
    let c = this.byKey.get(dial.key);
    if (c === undefined) {
      c = { client: new OrdererClient(address, dial.tls, this.config.peer.deliveryClient.connTimeoutMs), usedAt: now };
      this.byKey.set(dial.key, c);
    }
    c.usedAt = now;
    return c;
  }

  /** `connection`'s broadcaster, made on first use. */
  broadcaster(address: string, channelId: string): Broadcaster {
    const c = this.connection(address, channelId);
    c.broadcaster ??= new Broadcaster(c.client);
    return c.broadcaster;
  }

  /** Hands every connection over (the client certificate changed): later calls dial anew. */
  takeAll(): OrdererConnection[] {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    this.dialByConfig = new WeakMap();
    return all;
  }

  /** Cuts and drops the connections whose server certificate `revocations` revoke. */
  cutRevoked(revocations: TlsRevocations, logger?: Logger): void {
    for (const [key, c] of this.byKey) {
      if (!cutIfRevoked(c.client, revocations, logger)) continue;
      closeOrderer(c);
      this.byKey.delete(key);
    }
  }

  close(): void {
    for (const c of this.byKey.values()) closeOrderer(c);
    this.byKey.clear();
  }

  /** How to dial the orderer at `address` for the channel's current config, and the connection key (address and roots). */
  private dial(address: string, channelId: string): { readonly tls: ClientTls; readonly key: string } {
    const resources = this.channels().channel(channelId)?.resources();
    let byAddress = resources === undefined ? undefined : this.dialByConfig.get(resources);
    let dial = byAddress?.get(address);
    if (dial === undefined) {
      const tls = { ...this.dialling.tls(this.orgsAt(address, channelId), this.config.peer.ordererTlsRootCertFiles), ...this.dialling.revocationCheck(address) };
      const roots = tls.rootCerts === undefined ? 'plaintext' : createHash('sha256').update(tls.rootCerts).digest('hex');
      // A config revoking the orderer's certificate cuts the connection (cutRevoked): no need to key connections by revocations.
      dial = { tls, key: `${address}\n${roots}` };
      if (resources !== undefined) {
        if (byAddress === undefined) this.dialByConfig.set(resources, (byAddress = new Map()));
        byAddress.set(address, dial);
      }
    }
    return dial;
  }

  /** The channel's orderer endpoints with the orgs whose TLS roots each is dialled with. */
  private targets(channelId: string): { address: string; orgs: readonly ConfigOrg[] }[] {
    const channel = this.channels().channel(channelId);
    if (channel === undefined) return [];
    const config = channel.resources().config;
    const overrides = this.config.peer.ordererAddressOverrides;
    // Fabric's connection source: an org's own endpoints with that org's roots only; the channel-wide
    // addresses (used when no org lists endpoints) with every orderer org's.
    return config.ordererEndpoints.map((a) => {
      const owners = config.ordererOrgs.filter((o) => o.endpoints.includes(a));
      return { address: overrides[a] ?? a, orgs: owners.length > 0 ? owners : config.ordererOrgs };
    });
  }

  private orgsAt(address: string, channelId: string): readonly ConfigOrg[] {
    const target = this.targets(channelId).find((t) => t.address === address);
    return target?.orgs ?? this.channels().channel(channelId)?.resources().config.ordererOrgs ?? [];
  }

  /**
   * Closes connections unused for a while that no channel's current config dials: those of an
   * endpoint or TLS roots a config update replaced. (A block stream may run on a connection for
   * hours without asking for it again.)
   */
  private sweep(now: number): void {
    if (now - this.sweptAt < this.idleMs / 4) return;
    this.sweptAt = now;
    const current = new Set<string>();
    for (const id of this.channels().list()) for (const address of this.endpoints(id)) current.add(this.dial(address, id).key);
    for (const [key, c] of this.byKey) {
      if (current.has(key) || now - c.usedAt < this.idleMs) continue;
      closeOrderer(c);
      this.byKey.delete(key);
    }
  }
}

/** Closes the connection and its broadcaster. */
export function closeOrderer(c: OrdererConnection): void {
  c.broadcaster?.close();
  c.client.close();
}
