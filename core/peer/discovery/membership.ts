import type { Envelope } from '@hyperledger/fabric-protos/lib/gossip/message_pb';
import type { Identity, SigningIdentity } from '../../msp/identity';
import { rolePrincipal } from '../../policy/policy-expression';
import { bytesEqual, toHex } from '../../protocol/bytes';
import { isHostPort } from '../../protocol/host-port';
import type { Channel } from '../channel/channel';
import type { DiscoveredPeer } from './discovery-results';
import {
  type AnnouncedChaincode,
  type GossipTime,
  channelMac,
  isNewer,
  pkiIdOf,
  readAlive,
  readStateInfo,
  signAlive,
  signStateInfo,
} from './gossip-messages';
import { VettedIdentities } from './vetted-identities';

/** One peer of a channel as service discovery describes it. */
export interface ChannelMember extends DiscoveredPeer {
  /** Hex PKI-ID. */
  readonly pkiId: string;
  readonly endpoint: string;
  readonly stateInfo: Envelope;
  readonly ledgerHeight: number;
  readonly chaincodes: readonly AnnouncedChaincode[];
}

/** What this peer announces on a channel. */
export interface LocalState {
  readonly ledgerHeight: number;
  readonly chaincodes: readonly AnnouncedChaincode[];
}

export interface MembershipOptions {
  readonly signer: SigningIdentity;
  /** The address other nodes and clients reach this peer at (known once the server is bound). */
  readonly endpoint: () => string;
  /** How often this peer's messages are signed anew (Fabric's `peer.gossip.aliveTimeInterval`). */
  readonly intervalMs: number;
  /** How long a peer stays a member without a newer message (Fabric's `aliveExpirationTimeout`). */
  readonly expiryMs: number;
  /** This peer's height and runnable chaincodes on a channel. */
  readonly localState: (channel: Channel) => LocalState;
  readonly now?: () => number;
}

interface Stamped {
  readonly env: Envelope;
  readonly time: GossipTime;
  readonly receivedAt: number;
}

interface RemotePeer {
  readonly identity: Uint8Array;
  readonly mspId: string;
  endpoint: string;
  alive: Stamped;
  readonly states: Map<string, Stamped & { readonly ledgerHeight: number; readonly chaincodes: readonly AnnouncedChaincode[] }>;
}

/** What is remembered of a peer that expired: its last alive timestamp, so that its old messages cannot bring it back. */
interface Tombstone {
  readonly time: GossipTime;
  readonly diedAt: number;
}

/** How many expiry periods an expired peer's tombstone is kept (Fabric keeps alive messages `msgExpirationFactor` (20) times the expiry). */
const TOMBSTONE_EXPIRIES = 20;

/**
 * How many intervals old a held message may be and still be relayed: a live peer's messages are
 * renewed every interval or two, so only a dead peer's are older (relaying them would pass it on).
 */
const RELAY_INTERVALS = 3;

/** How strictly {@link Membership.accept} judges messages. */
export interface AcceptOptions {
  /**
   * The messages authenticate their sender (a membership exchange): they must be newer than those
   * held, or the very ones held while the peer is alive, so an old message replayed is refused.
   */
  readonly current?: boolean;
}

interface OwnState {
  readonly env: Envelope;
  readonly signedAt: number;
  readonly state: LocalState;
}

/**
 * This peer's view of the channels' peers, for service discovery: its own alive and state info
 * messages, signed again each interval (so that their timestamps show it is alive), and the
 * messages of other peers, relayed to it by {@link MembershipExchange}. A message about another
 * peer is taken only from a valid peer identity of one of the channel's application orgs, signed
 * by that peer, newer than the one held; a peer without a newer message for `expiryMs` drops out,
 * as in Fabric's gossip membership.
 */
export class Membership {
  /** This peer's PKI-ID, of the identity it signs with now (a certificate reload replaces it). */
  private own: { readonly serialized: Uint8Array; readonly pkiId: Uint8Array; readonly pkiHex: string };
  /** PKI-IDs of identities this peer signed with before a reload: peers still relay its old messages. */
  private readonly formerPkiIds = new Set<string>();
  private readonly now: () => number;
  private readonly incNum: number;
  private seqNum = 0;
  private ownAlive: { env: Envelope; signedAt: number } | undefined;
  private readonly ownStates = new Map<string, OwnState>();
  private readonly remote = new Map<string, RemotePeer>();
  private readonly dead = new Map<string, Tombstone>();
  private readonly vetted = new VettedIdentities();

  constructor(private readonly options: MembershipOptions) {
    this.now = options.now ?? Date.now;
    this.own = Membership.ownOf(options.signer.serialized);
    this.incNum = this.now();
  }

  get pkiId(): Uint8Array {
    return this.current().pkiId;
  }

  private static ownOf(serialized: Uint8Array): Membership['own'] {
    const pkiId = pkiIdOf(serialized);
    return { serialized, pkiId, pkiHex: toHex(pkiId) };
  }

  /**
   * This peer's identity as its signer has it now. A reloaded certificate is a new PKI-ID, as a
   * restart with it would be in Fabric: its own messages are signed anew under it, and the old one
   * ages out of the other peers' views.
   */
  private current(): Membership['own'] {
    const serialized = this.options.signer.serialized;
    if (serialized !== this.own.serialized && !bytesEqual(serialized, this.own.serialized)) {
      this.formerPkiIds.add(this.own.pkiHex);
      this.own = Membership.ownOf(serialized);
      this.ownAlive = undefined;
      this.ownStates.clear();
    }
    return this.own;
  }

  get endpoint(): string {
    return this.options.endpoint();
  }

  /** This peer's alive message, signed anew once per interval. */
  selfAlive(): Envelope {
    const now = this.now();
    const { pkiId } = this.current();
    if (this.ownAlive === undefined || now - this.ownAlive.signedAt >= this.options.intervalMs) {
      this.ownAlive = { env: signAlive(this.options.signer, pkiId, this.endpoint, this.nextTime()), signedAt: now };
    }
    return this.ownAlive.env;
  }

  /** This peer as a member of `channel`, its state info signed anew when the state changes or once per interval. */
  self(channel: Channel): ChannelMember {
    const now = this.now();
    const { pkiId, pkiHex } = this.current();
    let own = this.ownStates.get(channel.id);
    if (own === undefined || now - own.signedAt >= this.options.intervalMs || own.state.ledgerHeight !== channel.height()) {
      const state = this.options.localState(channel);
      const env = signStateInfo(this.options.signer, pkiId, channel.id, this.nextTime(), state.ledgerHeight, state.chaincodes);
      own = { env, signedAt: now, state };
      this.ownStates.set(channel.id, own);
    }
    const { signer } = this.options;
    return {
      pkiId: pkiHex,
      identity: signer.serialized,
      mspId: signer.mspId,
      endpoint: this.endpoint,
      alive: this.selfAlive(),
      stateInfo: own.env,
      ...own.state,
    };
  }

  /** The channel's members this peer knows to be alive, itself first. */
  members(channel: Channel): ChannelMember[] {
    return [this.self(channel), ...this.others(channel)];
  }

  /** The channel's other members known to be alive (nothing is signed: cheap enough for every request). */
  others(channel: Channel): ChannelMember[] {
    return this.othersSince(channel, this.now() - this.options.expiryMs);
  }

  /**
   * The channel's members to tell another peer about, itself first: those whose messages were
   * renewed lately. A dead peer's last messages are not passed on, so peers do not keep handing a
   * dead peer back to each other.
   */
  relayable(channel: Channel): ChannelMember[] {
    return [this.self(channel), ...this.othersSince(channel, this.now() - RELAY_INTERVALS * this.options.intervalMs)];
  }

  private othersSince(channel: Channel, oldest: number): ChannelMember[] {
    this.expire();
    const out: ChannelMember[] = [];
    const orgs = new Set(channel.resources().config.applicationOrgs.map((o) => o.mspId));
    for (const [pkiId, peer] of this.remote) {
      const state = peer.states.get(channel.id);
      if (peer.alive.receivedAt < oldest || state === undefined || state.receivedAt < oldest || !orgs.has(peer.mspId)) continue;
      out.push({
        pkiId,
        identity: peer.identity,
        mspId: peer.mspId,
        endpoint: peer.endpoint,
        alive: peer.alive.env,
        stateInfo: state.env,
        ledgerHeight: state.ledgerHeight,
        chaincodes: state.chaincodes,
      });
    }
    return out;
  }

  /** Drops the peers without a newer alive message for `expiryMs`, keeping a tombstone of each for a while. */
  private expire(): void {
    const now = this.now();
    const oldest = now - this.options.expiryMs;
    for (const [pkiId, peer] of this.remote) {
      if (peer.alive.receivedAt >= oldest) continue;
      this.remote.delete(pkiId);
      this.dead.set(pkiId, { time: peer.alive.time, diedAt: now });
    }
    const forgotten = now - TOMBSTONE_EXPIRIES * this.options.expiryMs;
    for (const [pkiId, tomb] of this.dead) if (tomb.diedAt < forgotten) this.dead.delete(pkiId);
  }

  /** Every peer known to be alive, whatever its channels, itself first, with alive messages only (a local peers query). */
  alivePeers(): DiscoveredPeer[] {
    const { signer } = this.options;
    const out: DiscoveredPeer[] = [{ identity: signer.serialized, mspId: signer.mspId, alive: this.selfAlive() }];
    this.expire();
    for (const peer of this.remote.values()) out.push({ identity: peer.identity, mspId: peer.mspId, alive: peer.alive.env });
    return out;
  }

  /**
   * Takes the messages of a member of `channel`, relayed by another peer or sent by the member
   * itself. Returns why they were refused, or undefined when they are authentic: signed by a valid
   * peer identity of one of the channel's application orgs (checked unless they are the very bytes
   * held) and announcing a dialable endpoint (or none). Only messages newer than those held are
   * kept; a peer that expired comes back only with an alive message newer than its last.
   */
  accept(channel: Channel, identityBytes: Uint8Array, alive: Envelope | undefined, stateInfo: Envelope | undefined, options: AcceptOptions = {}): string | undefined {
    if (alive === undefined) return 'no alive message';
    let pkiId: Uint8Array;
    let identity: Identity;
    try {
      pkiId = this.vetted.pkiIdOf(channel.resources().msps, identityBytes);
      identity = channel.resources().deserializer.deserializeIdentity(identityBytes);
      identity.validate();
    } catch (err) {
      return `not a valid identity on channel ${channel.id}: ${(err as Error).message}`;
    }
    const pkiHex = toHex(pkiId);
    if (pkiHex === this.current().pkiHex || this.formerPkiIds.has(pkiHex)) return 'this peer itself';
    if (!channel.resources().config.applicationOrgs.some((o) => o.mspId === identity.mspId)) return `${identity.mspId} is not an application org of channel ${channel.id}`;
    if (!identity.satisfiesPrincipal(rolePrincipal(identity.mspId, 'peer'))) return `not a peer of ${identity.mspId}`;
    let read;
    let state;
    try {
      read = readAlive(alive);
      state = stateInfo === undefined ? undefined : readStateInfo(stateInfo);
    } catch (err) {
      return (err as Error).message;
    }
    if (!bytesEqual(read.pkiId, pkiId)) return 'the alive message names another PKI-ID';
    // Every peer dials the endpoints it learns: one it cannot parse must not get that far.
    if (read.endpoint !== '' && !isHostPort(read.endpoint)) return `the alive message announces endpoint ${JSON.stringify(read.endpoint.slice(0, 300))}, not host:port`;
    if (state !== undefined && (!bytesEqual(state.pkiId, pkiId) || !bytesEqual(state.channelMac, channelMac(pkiId, channel.id)))) {
      return `the state info is not of this peer on channel ${channel.id}`;
    }
    this.expire();
    let peer = this.remote.get(pkiHex);
    const tomb = peer === undefined ? this.dead.get(pkiHex) : undefined;
    if (tomb !== undefined && !isNewer(read.time, tomb.time)) return 'an old alive message of a peer that expired';
    const held = peer?.states.get(channel.id);
    if (options.current === true) {
      if (peer !== undefined && !isNewer(read.time, peer.alive.time) && !isHeld(peer.alive.env, alive)) return 'an alive message older than the one held';
      if (state !== undefined && held !== undefined && !isNewer(state.time, held.time) && !isHeld(held.env, stateInfo as Envelope)) {
        return 'a state info older than the one held';
      }
    }
    if (!isHeld(peer?.alive.env, alive) && !identity.verify(alive.getPayload_asU8(), alive.getSignature_asU8())) return 'the alive message signature does not verify';
    if (stateInfo !== undefined && !isHeld(held?.env, stateInfo) && !identity.verify(stateInfo.getPayload_asU8(), stateInfo.getSignature_asU8())) {
      return 'the state info signature does not verify';
    }
    const now = this.now();
    if (peer === undefined) {
      this.dead.delete(pkiHex);
      peer = { identity: identityBytes, mspId: identity.mspId, endpoint: read.endpoint, alive: { env: alive, time: read.time, receivedAt: now }, states: new Map() };
      this.remote.set(pkiHex, peer);
    } else if (isNewer(read.time, peer.alive.time)) {
      peer.alive = { env: alive, time: read.time, receivedAt: now };
      peer.endpoint = read.endpoint;
    }
    if (stateInfo !== undefined && state !== undefined && (held === undefined || isNewer(state.time, held.time))) {
      peer.states.set(channel.id, { env: stateInfo, time: state.time, receivedAt: now, ledgerHeight: state.ledgerHeight, chaincodes: state.chaincodes });
    }
    return undefined;
  }

  private nextTime(): GossipTime {
    return { incNum: this.incNum, seqNum: ++this.seqNum };
  }
}

/** Whether `env` is the very message held (same payload and signature): no need to verify it again. */
function isHeld(held: Envelope | undefined, env: Envelope): boolean {
  return held !== undefined && bytesEqual(held.getPayload_asU8(), env.getPayload_asU8()) && bytesEqual(held.getSignature_asU8(), env.getSignature_asU8());
}
