import { type CollectionPvtRwSet, decodeTxPvtRwSet } from '../../ledger/private-data';
import type { Identity } from '../../msp/identity';
import { rolePrincipal } from '../../policy/policy-expression';
import type { Channel } from '../channel/channel';
import { GatewayRpcError, GrpcStatus } from '../grpc/grpc-status';
import { LifecycleCache } from '../lifecycle/lifecycle-cache';
import { PeerError } from '../peer-error';
import { isMember } from './block-pvt-data';
import { readPvtPush } from './pvt-push';
import { transientSender } from './transient-senders';

const bad = (message: string): GatewayRpcError => new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, message);
const denied = (message: string): GatewayRpcError => new GatewayRpcError(GrpcStatus.PERMISSION_DENIED, message);
/** A valid transaction's ID is hex SHA-256 (Fabric's `BAD_PROPOSAL_TXID` otherwise): a longer one can never commit. */
const MAX_TX_ID_LENGTH = 64;

/**
 * The receiving side of private data dissemination (`weft.peer.PrivateData/Push`): a push from a
 * peer of the channel (a valid identity of a channel MSP with the peer role, whose signature
 * verifies) goes into this peer's transient store, restricted to the collections this peer's org
 * is a member of, beside any other version held. The version applied when the transaction
 * commits is the one whose hash is in the block, so a push can add data but never change what
 * commits. Failures are `GatewayRpcError`s naming what was wrong.
 */
export class PvtPushReceiver {
  private readonly lifecycle = new LifecycleCache();

  constructor(
    private readonly channel: (id: string) => Channel | undefined,
    private readonly localMspId: string,
  ) {}

  /** Stores a push's collections of this org (none when it is a member of none). */
  receive(bytes: Uint8Array): void {
    let signed;
    try {
      signed = readPvtPush(bytes);
    } catch (err) {
      throw bad(`malformed private data push: ${(err as Error).message}`);
    }
    const { push } = signed;
    if (push.channelId === '' || push.txId === '') throw bad('a private data push must name its channel and transaction');
    if (push.txId.length > MAX_TX_ID_LENGTH) {
      throw bad(`the tx_id of a private data push has ${push.txId.length} characters; a transaction ID has at most ${MAX_TX_ID_LENGTH} (hex SHA-256)`);
    }
    const channel = this.channel(push.channelId);
    if (channel === undefined) throw new GatewayRpcError(GrpcStatus.NOT_FOUND, `channel ${push.channelId} is not joined by this peer`);
    const sender = this.sender(channel, push.creator);
    if (!sender.verify(signed.payload, signed.signature)) throw denied(`the signature of the private data push from ${sender.mspId} does not verify`);
    let collections: CollectionPvtRwSet[];
    try {
      collections = decodeTxPvtRwSet(push.pvt);
    } catch (err) {
      throw bad(`the private data pushed for transaction ${push.txId} is not a TxPvtReadWriteSet: ${(err as Error).message}`);
    }
    // A transaction committed already took its data from the store (a later one with its txid is
    // a duplicate, never valid): a late or replayed push would only wait out retention there.
    if (channel.ledger.getTxLocation(push.txId) !== undefined) return;
    const source = { localMspId: this.localMspId, definition: (cc: string) => this.lifecycle.definition(channel.ledger, cc) };
    const mine = collections.filter((c) => isMember(source, c.namespace, c.collection));
    if (mine.length === 0) return;
    // Kept beside the versions held, not instead of them: which one commits is the block's to say
    // (by its hash), so a peer pushing first cannot shadow the version the endorser pushes.
    // Retention counts from this peer's height: a pushed height is the sender's word. Counted
    // toward the pushing peer, so one pushing junk evicts its own pushes first.
    try {
      channel.transient.add(push.txId, mine, channel.height(), transientSender(sender));
    } catch (err) {
      if (err instanceof PeerError && err.code === 'PEER_TRANSIENT_STORE_FULL') throw new GatewayRpcError(GrpcStatus.RESOURCE_EXHAUSTED, err.message);
      throw err;
    }
  }

  private sender(channel: Channel, creator: Uint8Array): Identity {
    let identity: Identity;
    try {
      identity = channel.resources().deserializer.deserializeIdentity(creator);
      identity.validate();
    } catch (err) {
      throw denied(`the sender of a private data push is not a valid identity on channel ${channel.id}: ${(err as Error).message}`);
    }
    if (!identity.satisfiesPrincipal(rolePrincipal(identity.mspId, 'peer'))) {
      throw denied(`the sender of a private data push is not a peer of ${identity.mspId}`);
    }
    return identity;
  }
}
