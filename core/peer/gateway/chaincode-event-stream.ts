import type { SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import type { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { getTransactionsFilter, parseBlock } from '../../protocol/block';
import type { Channel, CommittedBlock } from '../channel/channel';
import { blockTxEvents } from '../deliver/filtered-block';

/**
 * The Gateway's chaincode event stream (Fabric `gateway/event/chaincodeiterator.go`): from a start
 * block, every block's events of one chaincode from **valid** transactions, in order; in the start
 * block, events up to and including `afterTransactionId` are skipped, so a client resuming from a
 * checkpoint sees no gap and no duplicate.
 */
export class ChaincodeEventStream {
  constructor(
    private readonly channel: Channel,
    private readonly chaincodeId: string,
    private readonly start: SeekPosition | undefined,
    private readonly afterTransactionId: string,
  ) {}

  async run(emit: (blockNumber: number, events: ChaincodeEvent[]) => Promise<void>, signal: AbortSignal): Promise<void> {
    const height = this.channel.height();
    let next = this.startBlock(height);
    let skipUntil = this.afterTransactionId;
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
        const txs = blockTxEvents(block);
        // An afterTransactionId not in the start block skips nothing.
        const from = skipUntil === '' ? 0 : txs.findIndex((t) => t.txId === skipUntil) + 1;
        skipUntil = '';
        const events: ChaincodeEvent[] = [];
        for (const tx of txs.slice(from)) {
          if (tx.validationCode === TxValidationCode.VALID && tx.event !== undefined && tx.event.getChaincodeId() === this.chaincodeId) {
            events.push(tx.event);
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
    const bytes = this.channel.ledger.getBlockBytes(n) as Uint8Array;
    const block = parseBlock(bytes, { verifyDataHash: false }).block;
    return { number: n, block, bytes, flags: getTransactionsFilter(block) };
  }

  private startBlock(height: number): number {
    const p = this.start;
    if (p === undefined) return height;
    if (p.hasSpecified()) return p.getSpecified()?.getNumber() ?? height;
    if (p.hasOldest()) return 0;
    if (p.hasNewest()) return Math.max(0, height - 1);
    return height;
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
