import { type CollectionPvtRwSet, decodeTxPvtRwSet, encodeTxPvtRwSet } from '../../ledger/private-data';
import type { Logger } from '../../node/logger';
import type { Signer } from '../../protocol/signer';
import type { Channel } from '../channel/channel';
import type { CollectionDefinition } from '../lifecycle/collections';
import { PeerError } from '../peer-error';
import type { PeerMetrics } from '../peer-metrics';
import { signPvtPush } from './pvt-push';

/** A peer that private data can be pushed to (another Weft peer this one knows on the channel). */
export interface PvtPeer {
  readonly address: string;
  readonly mspId: string;
  /** Sends a signed push (`weft.peer.PrivateData/Push`); rejects when it is not acknowledged by `deadline`. */
  pushPrivateData(signedPush: Uint8Array, deadline: number): Promise<void>;
  /**
   * Whether the last attempt to connect to the peer failed and none succeeded since. Asked once per
   * peer for every dissemination plan; it must not itself connect.
   */
  unreachable(): boolean;
}

export interface PvtDistributorSupport {
  /** The other peers of the channel this peer can reach. */
  peers(channelId: string): readonly PvtPeer[];
  /** A collection as the channel's committed chaincode definition gives it. */
  collection(channel: Channel, chaincode: string, collection: string): CollectionDefinition | undefined;
  /** This peer's signing identity: receivers accept pushes from peers of the channel only. */
  readonly signer: Signer;
  /** Fabric's `peer.gossip.pvtData.pushAckTimeout`: how long a required acknowledgement is awaited. */
  readonly pushAckTimeoutMs: number;
  readonly logger: Logger;
  /** Fabric's `gossip_privdata_send_duration`, one observation per push. */
  readonly metrics?: Pick<PeerMetrics, 'observePvtSend'>;
}

/** One collection's data for one peer; `required` when it counts towards `requiredPeerCount`. */
interface Plan {
  readonly collection: CollectionPvtRwSet;
  readonly peer: PvtPeer;
  readonly required: boolean;
}

/**
 * Fabric's private data distributor (gossip/privdata/distributor.go) without gossip: after an
 * endorsement, each collection's private writes are pushed to up to `maximumPeerCount` known peers
 * of its member orgs (one per org first, then the rest), of which the first `requiredPeerCount`
 * must acknowledge before the endorsement is returned; the others are sent without waiting. Each
 * peer gets one signed push holding only its collections. The peers known are those of other
 * orgs the Gateway knows (`peer.gateway.peers` and anchor peers). Peers that could not be reached
 * are planned after every reachable one: Fabric's gossip membership drops a dead peer, so its
 * required acknowledgements go to live peers, and without this a member peer that is down failed
 * every private write of the endorsers that chose it first, for as long as it stayed down.
 */
export class PvtDistributor {
  /** Rotates which of an org's peers is chosen first, as Fabric picks at random. */
  private turn = 0;

  constructor(private readonly support: PvtDistributorSupport) {}

  /** Throws `PEER_PVT_DISSEMINATION` with Fabric's message when a collection's required peers cannot be reached. */
  async distribute(channel: Channel, txId: string, pvt: Uint8Array, height: number): Promise<void> {
    const plans = this.plan(channel, txId, decodeTxPvtRwSet(pvt));
    if (plans.length === 0) return;
    const byPeer = new Map<PvtPeer, Plan[]>();
    for (const p of plans) byPeer.set(p.peer, [...(byPeer.get(p.peer) ?? []), p]);
    const deadline = Date.now() + this.support.pushAckTimeoutMs;
    const started = performance.now();
    const failedRequired = await Promise.all(
      [...byPeer].map(async ([peer, mine]) => {
        const push = signPvtPush({ channelId: channel.id, txId, height, pvt: encodeTxPvtRwSet(mine.map((p) => p.collection)) }, this.support.signer);
        const sent = peer
          .pushPrivateData(push, deadline)
          .then(
            () => undefined,
            (err: unknown) => {
              this.support.logger.warn({ txId, channel: channel.id, peer: peer.address, err: (err as Error).message }, 'private data push failed');
              return err;
            },
          )
          .finally(() => this.support.metrics?.observePvtSend(channel.id, (performance.now() - started) / 1000));
        const required = mine.filter((p) => p.required).length;
        if (required === 0) return 0;
        return (await sent) === undefined ? 0 : required;
      }),
    );
    const failed = failedRequired.reduce((a, b) => a + b, 0);
    if (failed > 0) throw failure(txId, channel.id, `Failed disseminating ${failed} out of ${plans.length} private dissemination plans`);
  }

  private plan(channel: Channel, txId: string, collections: readonly CollectionPvtRwSet[]): Plan[] {
    const peers = this.support.peers(channel.id);
    const plans: Plan[] = [];
    const turn = this.turn++;
    for (const collection of collections) {
      const def = this.support.collection(channel, collection.namespace, collection.collection);
      if (def === undefined) continue;
      const eligible = peers.filter((p) => def.memberMspIds.includes(p.mspId));
      if (eligible.length < def.requiredPeerCount) {
        throw failure(txId, channel.id, `required to disseminate to at least ${def.requiredPeerCount} peers, but know of only ${eligible.length} eligible peers`);
      }
      selected(eligible, def.maximumPeerCount, turn).forEach((peer, i) => plans.push({ collection, peer, required: i < def.requiredPeerCount }));
    }
    return plans;
  }
}

/**
 * Up to `max` of `eligible`: of the reachable peers, one of each org first (the `turn`-th of its
 * reachable peers), then the other reachable ones in order, then the unreachable ones, which still
 * get a push when `max` leaves room (it reconnects them), but whose acknowledgement is required
 * only when too few peers are reachable.
 */
function selected(eligible: readonly PvtPeer[], max: number, turn: number): PvtPeer[] {
  const down = new Set(eligible.filter((p) => p.unreachable()));
  const reachable = eligible.filter((p) => !down.has(p));
  const byOrg = new Map<string, PvtPeer[]>();
  for (const p of reachable) byOrg.set(p.mspId, [...(byOrg.get(p.mspId) ?? []), p]);
  const first = [...byOrg.values()].map((peers) => peers[turn % peers.length]);
  const rest = reachable.filter((p) => !first.includes(p));
  return [...first, ...rest, ...down].slice(0, Math.max(0, max));
}

function failure(txId: string, channelId: string, reason: string): PeerError {
  return new PeerError('PEER_PVT_DISSEMINATION', `failed to distribute private collection, txID ${txId}, channel ${channelId}: ${reason}`, { txId, channel: channelId });
}
