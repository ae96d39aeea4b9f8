import type Database from 'better-sqlite3';
import type { BlockAppend, ChannelBlockStore } from '../../core/ledger/ledger-store-provider';
import { NO_WRITEBACK, type FileWriteback } from './background-writeback';
import { SqliteBlockStore } from './sqlite-block-store';
import { closedStoreError, outOfOrderError, storeFailure } from './sqlite-channel-store';

/**
 * A channel's block file opened without its state file (`openBlocks`, for the orderer): an append
 * writes the block and its txids in one transaction and nothing else. The history savepoint stays
 * where it was, since no history is written, so a later full open replays history from the blocks.
 */
export class SqliteChannelBlockStore implements ChannelBlockStore {
  readonly blocks: SqliteBlockStore;
  private readonly appendTxn: (b: BlockAppend) => void;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    readonly channelId: string,
    private readonly onClose: () => void,
    readonly writeback: FileWriteback = NO_WRITEBACK,
  ) {
    this.blocks = new SqliteBlockStore(db);
    this.appendTxn = db.transaction((b: BlockAppend) => this.blocks.append(b.blockNum, b.blockHash, b.blockBytes, b.txs));
  }

  append(b: BlockAppend): void {
    if (this.closed) throw closedStoreError(this.channelId);
    const height = this.blocks.height();
    if (b.blockNum !== height) throw outOfOrderError(this.channelId, height, b.blockNum);
    try {
      this.writeback.writing(() => this.appendTxn(b));
    } catch (e) {
      throw storeFailure(`append of block ${b.blockNum} on channel ${this.channelId}`, e, this.db);
    }
    this.blocks.afterCommit(b.blockNum);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    this.onClose();
  }
}
