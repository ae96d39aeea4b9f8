import { type ChaincodeEvent, checkpointers } from '@hyperledger/fabric-gateway';
import type { Keepalive } from '../../../core/node/grpc-keepalive';
import { gatewayFailure } from '../chaincode/gateway-errors';
import { queryCommitted } from '../chaincode/lifecycle';
import { loadClientIdentity } from '../client/client-identity';
import { type GatewaySession, gatewayPeerFor } from '../client/gateway-session';
import type { NetworkLayout, NodeLayout, UserLayout } from '../network/network-layout';
import { type RenderedPayload, renderPayload } from './event-payload';
import type { CheckpointPlan } from './events-checkpoint';
import { type OpenStream, type WatchResult, watchWithReconnect } from './reconnecting-watch';
import { type WatchOutput, beyondHeight, channelHeight, startBlock, withSession } from './watch-start';

/** One chaincode event as `weft chaincode events --json` prints it (a JSON line). */
export type ChaincodeEventJson = {
  readonly blockNumber: number;
  readonly transactionId: string;
  readonly chaincode: string;
  readonly eventName: string;
} & RenderedPayload;

export interface ChaincodeEventWatchOptions extends WatchOutput {
  readonly chaincode: string;
  readonly gatewayPeer?: NodeLayout;
  /** `--start-block`; ignored once the checkpoint holds a position. */
  readonly startBlock?: number;
  /** `--checkpoint`, checked by {@link planCheckpoint}; without it the position is kept in memory, for reconnects. */
  readonly checkpoint?: CheckpointPlan;
  readonly count?: number;
  readonly timeoutMs?: number;
  readonly interrupt?: AbortSignal;
  /** The Gateway session's pings (default: the CLI's, 30 s with a 20 s timeout); tests shorten them. */
  readonly keepalive?: Keepalive;
  /** Prints one event; called in commit order, before the event is checkpointed. */
  readonly emit: (event: ChaincodeEventJson) => void;
}

export function chaincodeEventJson(event: ChaincodeEvent): ChaincodeEventJson {
  return {
    blockNumber: Number(event.blockNumber),
    transactionId: event.transactionId,
    chaincode: event.chaincodeName,
    eventName: event.eventName,
    ...renderPayload(event.payload),
  };
}

/**
 * Streams a chaincode's events through the Gateway (fabric-gateway's `getChaincodeEvents`: valid
 * transactions only, in commit order), checkpointing each after it is printed, and resuming from
 * that checkpoint whenever the peer goes away and comes back.
 */
export async function watchChaincodeEvents(layout: NetworkLayout, user: UserLayout, o: ChaincodeEventWatchOptions): Promise<WatchResult> {
  const identity = loadClientIdentity(user);
  const peer = o.gatewayPeer ?? gatewayPeerFor(layout, user.mspId);
  const channel = layout.spec.channel.name;
  const height = await channelHeight(layout, peer);
  await warnIfNotCommitted(layout, user, peer, o);
  const start = startBlock({ requested: o.startBlock, height, checkpoint: o.checkpoint, progress: o.progress, warning: o.warning });
  // Fabric's Gateway waits for a start block beyond the height: so does this, but says so.
  if (start > BigInt(height)) o.progress(beyondHeight(peer, channel, start, height));
  const checkpoint = o.checkpoint === undefined ? checkpointers.inMemory() : await o.checkpoint.open();
  const position = (): string => {
    const block = checkpoint.getBlockNumber();
    const tx = checkpoint.getTransactionId();
    return block === undefined ? `from block ${start}` : `after transaction ${tx ?? '?'} in block ${block}`;
  };
  o.progress(`listening for ${o.chaincode} events on ${channel} through ${peer.id}, ${position()}${o.checkpoint ? ` (checkpoint ${o.checkpoint.file})` : ''}`);
  try {
    return await watchWithReconnect<ChaincodeEvent>(
      {
        open: () =>
          withSession(layout, identity, peer, async (session) => {
            const items = await session.gateway.getNetwork(channel).getChaincodeEvents(o.chaincode, { startBlock: start, checkpoint });
            return { items, close: () => closeBoth(items, session) } satisfies OpenStream<ChaincodeEvent>;
          }, o.keepalive),
        handle: async (event) => {
          o.emit(chaincodeEventJson(event));
          await checkpoint.checkpointChaincodeEvent(event);
        },
        position,
      },
      { count: o.count, timeoutMs: o.timeoutMs, interrupt: o.interrupt, progress: o.progress, peer: peer.id },
    );
  } catch (err) {
    throw gatewayFailure(err, `chaincode events of ${o.chaincode}`, layout.dir);
  }
}

function closeBoth(items: { close(): void }, session: GatewaySession): void {
  items.close();
  session.close();
}

/**
 * Fabric streams nothing, and says nothing, for a chaincode the channel has not defined: a typo
 * waits forever. A warning (not an error: it may be committed later) names what is committed.
 */
async function warnIfNotCommitted(layout: NetworkLayout, user: UserLayout, peer: NodeLayout, o: ChaincodeEventWatchOptions): Promise<void> {
  const org = layout.spec.orgs.find((x) => x.mspId === user.mspId);
  if (org === undefined) return;
  try {
    if ((await queryCommitted(layout, org, o.chaincode, peer)).length > 0) return;
    const committed = (await queryCommitted(layout, org, undefined, peer)).map((d) => d.name);
    o.warning(
      `chaincode ${o.chaincode} is not committed on channel ${layout.spec.channel.name} (committed: ${committed.join(', ') || 'none'}): no event comes until it is; listening anyway`,
    );
  } catch {
    // Only a hint: an org whose Admin key is not here cannot ask _lifecycle, and the stream still works.
  }
}
