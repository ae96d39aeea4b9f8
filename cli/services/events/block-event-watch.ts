import { checkpointers } from '@hyperledger/fabric-gateway';
import type { Keepalive } from '../../../core/node/grpc-keepalive';
import { gatewayFailure } from '../chaincode/gateway-errors';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import { channelReader } from '../network/network-access';
import { type BlockSummary, summariseBlock, summariseFilteredBlock } from './block-summary';
import type { CheckpointPlan } from './events-checkpoint';
import { NotYetCommitted, type WatchResult, watchWithReconnect } from './reconnecting-watch';
import { type WatchOutput, beyondHeight, channelHeight, startBlock, withSession } from './watch-start';

export interface BlockEventWatchOptions extends WatchOutput {
  readonly peer: NodeLayout;
  /** A block number, `newest` (the last committed), or none: the next to commit. Ignored once the checkpoint holds a position. */
  readonly startBlock?: number | 'newest';
  /** Fabric's filtered blocks (DeliverFiltered): ids, types and codes, no header or payloads. */
  readonly filtered: boolean;
  readonly checkpoint?: CheckpointPlan;
  /** Stop after this many blocks. */
  readonly count?: number;
  readonly timeoutMs?: number;
  readonly interrupt?: AbortSignal;
  /** The Gateway session's pings (default: the CLI's, 30 s with a 20 s timeout); tests shorten them. */
  readonly keepalive?: Keepalive;
  /** Prints one block; called in block order, before the block is checkpointed. */
  readonly emit: (block: BlockSummary) => void;
}

/** Both Deliver flavours reduced to what the command prints. */
async function* mapped<T>(source: AsyncIterable<T>, f: (t: T) => BlockSummary): AsyncGenerator<BlockSummary> {
  for await (const item of source) yield f(item);
}

/**
 * Streams a channel's committed blocks from a peer's Deliver service (fabric-gateway's
 * `getBlockEvents` / `getFilteredBlockEvents`), as the Admin of the peer's org (a channel Reader),
 * checkpointing each block after it is printed and resuming from the checkpoint after the peer
 * goes away and comes back.
 */
export async function watchBlockEvents(layout: NetworkLayout, o: BlockEventWatchOptions): Promise<WatchResult> {
  const channel = layout.spec.channel.name;
  const identity = channelReader(layout, o.peer, channel);
  const height = await channelHeight(layout, o.peer);
  const requested = o.startBlock === 'newest' ? height - 1 : o.startBlock;
  const start = startBlock({ requested, height, checkpoint: o.checkpoint, progress: o.progress, warning: o.warning });
  const checkpoint = o.checkpoint === undefined ? checkpointers.inMemory() : await o.checkpoint.open();
  const position = (): string => `from block ${checkpoint.getBlockNumber() ?? start}`;
  const kind = o.filtered ? 'filtered blocks' : 'blocks';
  o.progress(`listening for ${kind} of ${channel} from ${o.peer.id}, ${position()}${o.checkpoint ? ` (checkpoint ${o.checkpoint.file})` : ''}`);
  try {
    return await watchWithReconnect<BlockSummary>(
      {
        open: () =>
          withSession(layout, identity, o.peer, async (session) => {
            const next = checkpoint.getBlockNumber() ?? start;
            const now = await channelHeight(layout, o.peer);
            // Fabric's Deliver answers NOT_FOUND for a block beyond the height; a watch waits for it (and for a peer catching up).
            if (next > BigInt(now)) throw new NotYetCommitted(beyondHeight(o.peer, channel, next, now));
            const network = session.gateway.getNetwork(channel);
            const options = { startBlock: start, checkpoint };
            const source = o.filtered ? await network.getFilteredBlockEvents(options) : await network.getBlockEvents(options);
            const items = o.filtered
              ? mapped(source as Awaited<ReturnType<typeof network.getFilteredBlockEvents>>, summariseFilteredBlock)
              : mapped(source as Awaited<ReturnType<typeof network.getBlockEvents>>, (b) => summariseBlock(b.serializeBinary()));
            return {
              items,
              close: () => {
                source.close();
                session.close();
              },
            };
          }, o.keepalive),
        handle: async (block) => {
          o.emit(block);
          await checkpoint.checkpointBlock(BigInt(block.number));
        },
        position,
      },
      { count: o.count, timeoutMs: o.timeoutMs, interrupt: o.interrupt, progress: o.progress, peer: o.peer.id },
    );
  } catch (err) {
    throw gatewayFailure(err, `${kind} of ${channel}`, layout.dir);
  }
}
