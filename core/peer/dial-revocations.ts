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

/** Cuts `connection` (dialled for `channelId`) if `revocations` revoke the server certificate it saw, logging the address and why; true when it did. */
export function cutIfRevoked(connection: CuttableConnection, channelId: string, revocations: TlsRevocations, logger?: Logger): boolean {
  const reason = connection.connections.revocationIn(revocations);
  if (reason === undefined) return false;
  logger?.warn({ address: connection.address, channel: channelId, reason }, 'TLS certificate of a connected node revoked: connection cut');
  connection.cut(reason);
  return true;
}

/**
 * The TLS certificates a peer refuses in the nodes it dials, per channel: those the channel's
 * current config revokes (any org's CRL signed by its TLS CA) and those its local MSP revokes (its
 * `crls/`, as a certificate reload re-reads it). Read at each handshake; and when either changes (a
 * config block of a channel it dials nodes for, a reload), `onChanged` is told which channel's set
 * changed (undefined: every channel's), so the connections already open can be checked again.
 */
export class DialRevocations {
  /** Per channel config: the union with the local set it was built with. */
  private readonly byConfig = new WeakMap<object, { readonly local: TlsRevocations; readonly all: TlsRevocations }>();
  private local = TlsRevocations.NONE;
  /** The channels followed (those with a connection dialled for them), with the config last seen. */
  private readonly followed = new Map<string, { readonly channel: Channel; applied: object; readonly unsubscribe: () => void }>();

  constructor(
    private readonly channels: () => ChannelManager,
    private readonly onChanged: (channelId: string | undefined) => void,
    private readonly logger?: Logger,
  ) {}

  /**
   * The revocation check of a connection to the node at `address` dialled for `channelId`, read at
   * each of its handshakes (so a reconnection after a CRL came fails), never per call. A handshake
   * makes the channel followed: its connection has a server certificate a later block may revoke.
   */
  check(address: string, channelId: string, onRevoked: (reason: string) => void): Required<Pick<ClientTls, 'revocations' | 'onRevoked'>> {
    return {
      revocations: () => {
        this.follow(channelId);
        return this.of(channelId);
      },
      onRevoked: (reason) => {
        this.logger?.warn({ address, channel: channelId, reason }, 'refusing a node whose TLS certificate is revoked');
        onRevoked(reason);
      },
    };
  }

  /** The TLS certificates revoked for nodes of `channelId` now. */
  of(channelId: string): TlsRevocations {
    const resources = this.channels().channel(channelId)?.resources();
    if (resources === undefined) return this.local;
    let r = this.byConfig.get(resources);
    if (r === undefined || r.local !== this.local) {
      const { applicationOrgs, ordererOrgs } = resources.config;
      const channel = TlsRevocations.fromMsps([...applicationOrgs, ...ordererOrgs].map((o) => o.msp), `channel ${channelId}`, this.logger);
      r = { local: this.local, all: this.local.empty ? channel : TlsRevocations.union([channel, this.local]) };
      this.byConfig.set(resources, r);
    }
    return r.all;
  }

  /**
   * The local MSP (re)loaded: its TLS revocations (CRLs its `crls/` holds that its TLS CAs signed)
   * apply to every channel's nodes from now on; connections are checked again when they changed.
   */
  setLocalMsp(msp: FabricMSPConfig | undefined): void {
    const local = msp === undefined ? TlsRevocations.NONE : TlsRevocations.fromMsps([msp], 'local MSP', this.logger);
    if (local.digest === this.local.digest) return;
    this.local = local;
    this.changed(undefined);
  }

  /** Tells `onChanged`; a throw is logged, as a listener that throws would be dropped from the channel's block events. */
  private changed(channelId: string | undefined): void {
    try {
      this.onChanged(channelId);
    } catch (err) {
      this.logger?.error({ err, channel: channelId }, 'checking open connections against new TLS revocations failed');
    }
  }

  close(): void {
    for (const f of this.followed.values()) f.unsubscribe();
    this.followed.clear();
  }

  /** Follows the config blocks of `channelId` (the committer swaps the resources before it publishes the block). */
  private follow(channelId: string): void {
    const channel = this.channels().channel(channelId);
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
        this.changed(channelId);
      }),
    };
    this.followed.set(channelId, entry);
  }
}
