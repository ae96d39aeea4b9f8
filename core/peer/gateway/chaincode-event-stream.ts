import { status as GrpcStatus } from '@grpc/grpc-js';
import { SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import type { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { TxLocation } from '../../ledger/block-store';
import { getTransactionsFilter, parseBlock } from '../../protocol/block';
import type { Channel, CommittedBlock } from '../channel/channel';
import { blockTxEvents } from '../deliver/filtered-block';
import { GatewayRpcError } from '../grpc/grpc-status';

/**
 * The Gateway's chaincode event stream (Fabric `internal/pkg/gateway/chaincodeevents.go` over
 * `gateway/event/chaincodeiterator.go`): from a start block, every block's events of one chaincode
 * from **valid** transactions, in order.
 *
 * With `afterTransactionId` (a client resuming from a checkpoint), as Fabric's
 * `chaincodeEventsStartBlock` and `chaincodeEventMatcher`: when the ledger has that transaction,
 * the stream starts at its block whatever the requested start; either way, every event is
 * skipped until the event emitted by that transaction (of any chaincode) has gone by, so the
 * client sees no duplicate and no gap.
 *
 * The start position is NextCommit, Specified or none (NextCommit); Oldest and Newest are
 * INVALID_ARGUMENT, as in Fabric, unless the transaction was found (Fabric does not look at it then).
 */
export class ChaincodeEventStream {
  constructor(
    private readonly channel: Channel,
    private readonly chaincodeId: string,
    private readonly start: SeekPosition | undefined,
    private readonly afterTransactionId: string,
  ) {}

  /** Throws {@link GatewayRpcError} (INVALID_ARGUMENT) for a start position Fabric does not accept, before emitting anything. */
  async run(emit: (blockNumber: number, events: ChaincodeEvent[]) => Promise<void>, signal: AbortSignal): Promise<void> {
    const after = this.afterTransactionId === '' ? undefined : this.channel.ledger.getTxLocation(this.afterTransactionId);
    let next = this.startBlock(after);
    // A transaction from before the snapshot the channel was joined from emits nothing here: nothing to skip.
    let passed = this.afterTransactionId === '' || after?.fromSnapshot === true;
    const recent = new RecentBlocks();
    let wake: (() => void) | undefined;
    const off = this.channel.onBlock((b) => {
      recent.add(b);
      wake?.();
    });
    const onAbort = (): void => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        if (next >= this.channel.height()) {
          await new Promise<void>((r) => {
            wake = r;
            if (next < this.channel.height() || signal.aborted) r();
          });
          wake = undefined;
          continue;
        }
        const block = recent.take(next) ?? this.stored(next);
        const events: ChaincodeEvent[] = [];
        for (const tx of blockTxEvents(block)) {
          if (tx.validationCode !== TxValidationCode.VALID) continue;
          // Every action's event, as Fabric's gateway reads them, less those without a name or txid.
          for (const event of tx.events) {
            if (!validChaincodeEvent(event)) continue;
            if (!passed) {
              passed = event.getTxId() === this.afterTransactionId;
              continue;
            }
            if (event.getChaincodeId() === this.chaincodeId) events.push(event);
          }
        }
        if (events.length > 0) await emit(block.number, events);
        next++;
      }
    } finally {
      off();
      signal.removeEventListener('abort', onAbort);
    }
  }

  private stored(n: number): CommittedBlock {
    const bytes = this.channel.ledger.getBlockBytes(n);
    if (bytes === undefined) {
      const first = (this.channel.ledger.snapshotBootstrap()?.lastBlockNumber ?? -1) + 1;
      throw new GatewayRpcError(GrpcStatus.NOT_FOUND, `block ${n} is not available on this peer: channel ${this.channel.id} was joined from a snapshot; its first block is ${first}`);
    }
    const block = parseBlock(bytes, { verifyDataHash: false }).block;
    return { number: n, block, bytes, flags: getTransactionsFilter(block) };
  }

  private startBlock(after: TxLocation | undefined): number {
    // A transaction from before the snapshot the channel was joined from: what follows it starts with the next block.
    if (after !== undefined) return after.fromSnapshot === true ? after.blockNum + 1 : after.blockNum;
    const type = this.start?.getTypeCase() ?? SeekPosition.TypeCase.TYPE_NOT_SET;
    switch (type) {
      case SeekPosition.TypeCase.TYPE_NOT_SET:
      case SeekPosition.TypeCase.NEXT_COMMIT:
        return this.channel.height();
      case SeekPosition.TypeCase.SPECIFIED:
        return this.start?.getSpecified()?.getNumber() ?? 0;
      default:
        // Fabric's message names the Go type of the position (`%T`): *orderer.SeekPosition_Oldest, …
        throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, `invalid start position type: *orderer.SeekPosition_${type === SeekPosition.TypeCase.OLDEST ? 'Oldest' : 'Newest'}`);
    }
  }
}

/**
 * The blocks committed while a stream was busy, so one that keeps up need not read and parse them
 * again from the ledger. Only the first `max` are kept: a client that stops reading its events
 * would otherwise have its stream hold every block committed since; the rest are read back.
 */
export class RecentBlocks {
  private readonly blocks: CommittedBlock[] = [];

  constructor(private readonly max = 4) {}

  get size(): number {
    return this.blocks.length;
  }

  add(block: CommittedBlock): void {
    if (this.blocks.length < this.max) this.blocks.push(block);
  }

  /** Block `n` if kept, forgetting every kept block before it. */
  take(n: number): CommittedBlock | undefined {
    while (this.blocks.length > 0 && this.blocks[0].number < n) this.blocks.shift();
    return this.blocks[0]?.number === n ? this.blocks.shift() : undefined;
  }
}

/** Fabric's gateway `validChaincodeEvent`: an event names its chaincode, itself and its transaction. */
function validChaincodeEvent(event: ChaincodeEvent): boolean {
  return event.getChaincodeId().length > 0 && event.getEventName().length > 0 && event.getTxId().length > 0;
}
