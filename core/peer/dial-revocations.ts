import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { ChannelManager } from './channel/channel-manager';
import type { Channel } from './channel/channel';
import type { Logger } from '../node/logger';
import { TlsRevocations } from '../node/tls-revocation';
import type { ClientTls } from './orderer/orderer-client';
import type { DialledTlsConnections } from './dialled-tls-connections';

/** A connection this peer dialled (to a peer or an orderer) that can be cut. */
export interface CuttableConnection {
  readonly address: string;
  /** Its TLS connections, with the server certificate each handshake saw. */
  readonly connections: DialledTlsConnections;
  /** Closes it now, failing the calls under way UNAVAILABLE. */
  cut(reason: string): void;
}

/** Cuts `connection` if `revocations` revoke the server certificate it saw, logging the address and why (the reason names the channel or the local MSP); true when it did. */
export function cutIfRevoked(connection: CuttableConnection, revocations: TlsRevocations, logger?: Logger): boolean {
  const reason = connection.connections.revocationIn(revocations);
  if (reason === undefined) return false;
  logger?.warn({ address: connection.address, reason }, 'TLS certificate of a connected node revoked: connection cut');
  connection.cut(reason);
  return true;
}

/**
 * The TLS certificates a peer refuses in the nodes it dials: those any channel's current config
 * revokes (an org's CRL signed by its TLS CA) and those its local MSP revokes (its `crls/`, as a
 * certificate reload re-reads it). One set for every connection, as the peer's listener refuses
 * clients by one set (`TrustedClientRoots`): a connection is pooled by address, so it carries
 * the traffic of every channel that dials that node, and a CRL only ever revokes certificates its
 * own CA issued, so a channel whose config revokes a node's certificate speaks for the org that
 * issued it. Read at each handshake; when it changes (a config block of any channel, a reload),
 * `onChanged` is told, so the connections already open can be checked again.
 */
export class DialRevocations {
  /** The revocations of each channel config (without the local ones). */
  private readonly byConfig = new WeakMap<object, TlsRevocations>();
  private local = TlsRevocations.NONE;
  /** The set last built, with the channel configs and local set it was built from. */
  private built: { readonly configs: readonly object[]; readonly local: TlsRevocations; readonly all: TlsRevocations } | undefined;
  /** The channels followed (from the first handshake on), with the config last seen. */
  private readonly followed = new Map<string, { readonly channel: Channel; applied: object; readonly unsubscribe: () => void }>();

  constructor(
    private readonly channels: () => ChannelManager,
    private readonly onChanged: () => void,
    private readonly logger?: Logger,
  ) {}

  /**
   * The revocation check of a connection to the node at `address`, read at each of its handshakes
   * (so a reconnection after a CRL came fails), never per call. A handshake makes every channel
   * followed: the connection has a server certificate a later config block of any may revoke.
   */
  check(address: string, onRevoked: (reason: string) => void): Required<Pick<ClientTls, 'revocations' | 'onRevoked'>> {
    return {
      revocations: () => {
        this.followChannels();
        return this.current();
      },
      onRevoked: (reason) => {
        this.logger?.warn({ address, reason }, 'refusing a node whose TLS certificate is revoked');
        onRevoked(reason);
      },
    };
  }

  /** The TLS certificates revoked now: by any channel's config or by the local MSP. Built again only after a config block or a reload. */
  current(): TlsRevocations {
    const manager = this.channels();
    const configs: object[] = [];
    const sets: TlsRevocations[] = [this.local];
    for (const id of manager.list()) {
      const resources = manager.channel(id)?.resources();
      if (resources === undefined) continue;
      configs.push(resources);
      let set = this.byConfig.get(resources);
      if (set === undefined) {
        const { applicationOrgs, ordererOrgs } = resources.config;
        set = TlsRevocations.fromMsps([...applicationOrgs, ...ordererOrgs].map((o) => o.msp), `channel ${id}`, this.logger);
        this.byConfig.set(resources, set);
      }
      sets.push(set);
    }
    const b = this.built;
    if (b !== undefined && b.local === this.local && b.configs.length === configs.length && b.configs.every((c, i) => c === configs[i])) return b.all;
    const all = TlsRevocations.union(sets);
    this.built = { configs, local: this.local, all };
    return all;
  }

  /**
   * The local MSP (re)loaded: its TLS revocations (CRLs its `crls/` holds that its TLS CAs signed)
   * apply to every node from now on; connections are checked again when they changed.
   */
  setLocalMsp(msp: FabricMSPConfig | undefined): void {
    const local = msp === undefined ? TlsRevocations.NONE : TlsRevocations.fromMsps([msp], 'local MSP', this.logger);
    if (local.digest === this.local.digest) return;
    this.local = local;
    this.changed();
  }

  /** A channel was opened or joined: followed from now on, and the connections already open are checked against its config. */
  channelsChanged(): void {
    // Nothing followed yet: no handshake was made, so no connection is open to check.
    if (this.followed.size === 0) return;
    this.followChannels();
    this.changed();
  }

  /** Tells `onChanged`; a throw is logged, as a listener that throws would be dropped from the channel's block events. */
  private changed(): void {
    try {
      this.onChanged();
    } catch (err) {
      this.logger?.error({ err }, 'checking open connections against new TLS revocations failed');
    }
  }

  close(): void {
    for (const f of this.followed.values()) f.unsubscribe();
    this.followed.clear();
  }

  /** Follows the config blocks of every channel (the committer swaps the resources before it publishes the block), and lets go of channels left. */
  private followChannels(): void {
    const manager = this.channels();
    const ids = manager.list();
    for (const [id, f] of this.followed) {
      if (ids.includes(id)) continue;
      f.unsubscribe();
      this.followed.delete(id);
    }
    for (const id of ids) this.follow(id, manager.channel(id));
  }

  private follow(channelId: string, channel: Channel | undefined): void {
    const known = this.followed.get(channelId);
    if (channel === undefined || known?.channel === channel) return;
    // A channel left and joined again is a new Channel object.
    known?.unsubscribe();
    const entry = {
      channel,
      applied: channel.resources() as object,
      unsubscribe: channel.onBlock(() => {
        const current = channel.resources();
        if (current === entry.applied) return;
        entry.applied = current;
        // Config blocks are rare, and checking a connection costs a lookup by serial: check on each.
        this.changed();
      }),
    };
    this.followed.set(channelId, entry);
  }
}
