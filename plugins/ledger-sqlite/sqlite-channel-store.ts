import type Database from 'better-sqlite3';
import { LedgerError, WeftError } from '../../core/errors';
import type { HistoryEntry } from '../../core/ledger/history-store';
import type { BlockCommit, ChannelLedgerStore } from '../../core/ledger/ledger-store-provider';
import type { StateUpdate } from '../../core/ledger/versioned-state-store';
import { SqliteBlockStore } from './sqlite-block-store';
import { SqliteHistoryStore } from './sqlite-history-store';
import { SqliteStateStore } from './sqlite-state-store';

/** Wraps a SQLite failure (disk full, I/O error) in a `LedgerError`; ledger errors pass through. */
export function storeFailure(what: string, e: unknown): WeftError {
  if (e instanceof WeftError) return e;
  const code = (e as { code?: string }).code;
  return new LedgerError('LEDGER_STORE_FAILED', `${what} failed: ${(e as Error).message}`, { sqliteCode: code }, { cause: e });
}

/**
 * One channel's ledger in one SQLite database: block, txids, state, history and savepoints change in
 * one SQLite transaction per block, so a crash leaves either the whole block or nothing.
 */
export class SqliteChannelStore implements ChannelLedgerStore {
  readonly blocks: SqliteBlockStore;
  readonly state: SqliteStateStore;
  readonly history: SqliteHistoryStore;
  private readonly setSavepoint: Database.Statement;
  private readonly commitTxn: (c: BlockCommit) => void;
  private readonly applyTxn: (blockNum: number, state: readonly StateUpdate[] | undefined, history: readonly HistoryEntry[] | undefined) => void;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    readonly channelId: string,
    private readonly onClose: () => void = () => undefined,
  ) {
    this.blocks = new SqliteBlockStore(db);
    this.state = new SqliteStateStore(db);
    this.history = new SqliteHistoryStore(db);
    this.setSavepoint = db.prepare('UPDATE meta SET value = ? WHERE name = ?');
    this.commitTxn = db.transaction((c: BlockCommit) => {
      this.blocks.append(c.blockNum, c.blockHash, c.blockBytes, c.txs);
      this.state.apply(c.state);
      this.history.apply(c.history);
      this.setSavepoint.run(c.blockNum + 1, 'state_savepoint');
      this.setSavepoint.run(c.blockNum + 1, 'history_savepoint');
    });
    this.applyTxn = db.transaction((blockNum: number, state: readonly StateUpdate[] | undefined, history: readonly HistoryEntry[] | undefined) => {
      if (state !== undefined) {
        this.state.apply(state);
        this.setSavepoint.run(blockNum + 1, 'state_savepoint');
      }
      if (history !== undefined) {
        this.history.apply(history);
        this.setSavepoint.run(blockNum + 1, 'history_savepoint');
      }
    });
  }

  commit(c: BlockCommit): void {
    this.checkOpen();
    const height = this.blocks.height();
    if (c.blockNum !== height) {
      throw new LedgerError('LEDGER_BLOCK_OUT_OF_ORDER', `channel ${this.channelId}: expected block ${height}, received block ${c.blockNum}`, {
        channelId: this.channelId,
        expected: height,
        got: c.blockNum,
      });
    }
    if (this.state.savepoint() !== height || this.history.savepoint() !== height) {
      throw new LedgerError('LEDGER_NOT_RECOVERED', `channel ${this.channelId}: state or history is behind the block store; recover before committing`, {
        channelId: this.channelId,
      });
    }
    try {
      this.commitTxn(c);
    } catch (e) {
      throw storeFailure(`commit of block ${c.blockNum} on channel ${this.channelId}`, e);
    }
    this.blocks.afterCommit(c.blockNum);
  }

  applyUpdates(blockNum: number, state: readonly StateUpdate[] | undefined, history: readonly HistoryEntry[] | undefined): void {
    this.checkOpen();
    if (blockNum >= this.blocks.height()) {
      throw new LedgerError('LEDGER_BLOCK_OUT_OF_ORDER', `channel ${this.channelId}: block ${blockNum} is not in the block store`, { blockNum });
    }
    try {
      this.applyTxn(blockNum, state, history);
    } catch (e) {
      throw storeFailure(`recovery of block ${blockNum} on channel ${this.channelId}`, e);
    }
  }

  resetStateAndHistory(): void {
    this.checkOpen();
    this.db.transaction(() => {
      this.db.exec('DELETE FROM state; DELETE FROM history; DELETE FROM history_values');
      this.setSavepoint.run(0, 'state_savepoint');
      this.setSavepoint.run(0, 'history_savepoint');
    })();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    this.onClose();
  }

  private checkOpen(): void {
    if (this.closed) throw new LedgerError('LEDGER_CLOSED', `the ledger store of channel ${this.channelId} is closed`, { channelId: this.channelId });
  }
}
