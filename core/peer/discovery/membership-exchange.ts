import { Peer, Peers, Response } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import type { Logger } from '../../node/logger';
import { decode } from '../../protocol/bounded-decode';
import { toHex } from '../../protocol/bytes';
import type { Channel } from '../channel/channel';
import { errorResult, membersResult, peersMessage } from './discovery-results';
import { channelMac, pkiIdOf, readStateInfo } from './gossip-messages';
import type { Membership } from './membership';

/** A peer this one exchanges membership with. */
export interface MembershipPeer {
  readonly address: string;
  /** Sends this peer's own `discovery.Peers`; resolves with the `discovery.Response` bytes. */
  exchangeMembership(announcement: Uint8Array, deadline: number): Promise<Uint8Array>;
}

export interface MembershipExchangeOptions {
  readonly membership: Membership;
  readonly channels: () => readonly Channel[];
  /** The peers to ask about `channel`: the configured and anchor peers, and the members learned. */
  readonly peers: (channel: Channel) => readonly MembershipPeer[];
  readonly intervalMs: number;
  readonly logger: Logger;
}

const ACCESS_DENIED = 'access denied';

/** Largest announcement taken: an entry (identity and two signed messages) is a few KiB, one per channel the sender shares. */
const MAX_ANNOUNCEMENT_BYTES = 4 * 1024 * 1024;
/** Most entries taken in one announcement (one per channel the two peers share). */
const MAX_ANNOUNCED_CHANNELS = 1000;

/**
 * How peers learn each other's signed membership messages without gossip
 * (`weft.peer.Membership/Exchange`). Every interval this peer sends each peer it knows on a channel
 * what it says of itself there (a `discovery.Peers`: its identity, alive message and state info per
 * channel the two share) and gets back the members that peer knows there (a `discovery.Response`,
 * one result per entry sent). The answering peer takes the sender's messages first: an entry
 * whose messages are not authentic (signed by a peer of one of the channel's orgs, the channel
 * found by its state info's MAC) is answered `access denied`. So a peer learns those that ask it as
 * well as those it asks.
 */
export class MembershipExchange {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: MembershipExchangeOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    const tick = (): void => {
      this.running ??= this.exchangeOnce()
        .catch((err: unknown) => this.options.logger.warn({ err: (err as Error).message }, 'membership exchange round failed'))
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: tells every known peer about this one on the channels they share, and takes what it knows. */
  async exchangeOnce(): Promise<void> {
    const { membership, logger } = this.options;
    const byAddress = new Map<string, { peer: MembershipPeer; channels: Channel[] }>();
    for (const channel of this.options.channels()) {
      let peers: readonly MembershipPeer[];
      try {
        peers = this.options.peers(channel);
      } catch (err) {
        logger.warn({ channel: channel.id, err: (err as Error).message }, 'cannot list the peers to exchange membership with');
        continue;
      }
      for (const peer of peers) {
        if (peer.address === membership.endpoint) continue;
        const entry = byAddress.get(peer.address) ?? { peer, channels: [] };
        entry.channels.push(channel);
        byAddress.set(peer.address, entry);
      }
    }
    const deadline = Date.now() + this.options.intervalMs;
    await Promise.all(
      [...byAddress.values()].map(async ({ peer, channels }) => {
        try {
          const res = Response.deserializeBinary(await peer.exchangeMembership(this.announcement(channels), deadline));
          res.getResultsList().forEach((result, i) => {
            const channel = channels[i];
            const members = result.getMembers();
            if (channel === undefined || members === undefined) return;
            members.getPeersByOrgMap().forEach((peers) => {
              for (const p of peers.getPeersList()) {
                const refused = membership.accept(channel, p.getIdentity_asU8(), p.getMembershipInfo(), p.getStateInfo());
                if (refused !== undefined) logger.debug({ from: peer.address, channel: channel.id, refused }, 'membership message refused');
              }
            });
          });
        } catch (err) {
          logger.debug({ peer: peer.address, err: (err as Error).message }, 'membership exchange failed');
        }
      }),
    );
  }

  /**
   * Answers another peer's announcement: its own messages, one entry per channel the two share.
   * The entries must all be of one peer and name each channel once, and their messages must be
   * current (newer than those held, or the very ones held while the sender is alive): an old
   * message replayed by someone else is refused. Throws when the bytes are not a `discovery.Peers`.
   */
  answer(bytes: Uint8Array): Uint8Array {
    const { membership } = this.options;
    const response = new Response();
    const answered = new Set<Channel>();
    const entries = decode(Peers, bytes, 'peers', MAX_ANNOUNCEMENT_BYTES).getPeersList();
    if (entries.length > MAX_ANNOUNCED_CHANNELS) throw new Error(`peers: ${entries.length} entries, at most ${MAX_ANNOUNCED_CHANNELS} taken`);
    let sender: string | undefined;
    let byMac: Map<string, Channel> | undefined;
    for (const entry of entries) {
      const pkiId = entryPkiId(entry);
      const hex = pkiId === undefined ? undefined : toHex(pkiId);
      sender ??= hex;
      // Every entry is the sender's: its channels' MACs are computed once, not searched per entry.
      if (pkiId !== undefined && hex === sender) byMac ??= this.channelsByMac(pkiId);
      const outcome = pkiId === undefined || hex !== sender || byMac === undefined ? 'not the announcing peer' : this.authenticate(entry, byMac, answered);
      if (typeof outcome === 'string') {
        this.options.logger.debug({ refused: outcome }, 'membership exchange refused');
        response.addResults(errorResult(ACCESS_DENIED));
        continue;
      }
      answered.add(outcome);
      response.addResults(membersResult(membership.relayable(outcome).filter((m) => m.pkiId !== sender)));
    }
    return response.serializeBinary();
  }

  /** The channel an entry of the announcement authenticates its sender on, or why it does not. */
  private authenticate(entry: Peer, byMac: ReadonlyMap<string, Channel>, answered: ReadonlySet<Channel>): Channel | string {
    const channel = this.channelOf(entry, byMac);
    if (channel === undefined) return 'no channel';
    if (answered.has(channel)) return 'a channel announced twice';
    return this.options.membership.accept(channel, entry.getIdentity_asU8(), entry.getMembershipInfo(), entry.getStateInfo(), { current: true }) ?? channel;
  }

  /**
   * The joined channels by the MAC that binds a state info of the peer `pkiId` to each (it hides the
   * channel's name): one pass over the channels per announcement, which names up to all of them.
   */
  private channelsByMac(pkiId: Uint8Array): Map<string, Channel> {
    return new Map(this.options.channels().map((c) => [toHex(channelMac(pkiId, c.id)), c]));
  }

  /** The joined channel an entry's state info is bound to. */
  private channelOf(entry: Peer, byMac: ReadonlyMap<string, Channel>): Channel | undefined {
    const stateInfo = entry.getStateInfo();
    if (stateInfo === undefined) return undefined;
    try {
      return byMac.get(toHex(readStateInfo(stateInfo).channelMac));
    } catch {
      return undefined;
    }
  }

  private announcement(channels: readonly Channel[]): Uint8Array {
    return peersMessage(channels.map((c) => this.options.membership.self(c))).serializeBinary();
  }
}

/** The PKI-ID of an entry's identity; undefined when it does not decode. */
function entryPkiId(entry: Peer): Uint8Array | undefined {
  try {
    return pkiIdOf(entry.getIdentity_asU8());
  } catch {
    return undefined;
  }
}
