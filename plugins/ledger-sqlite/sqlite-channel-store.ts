import type Database from 'better-sqlite3';
import { LedgerError, type WeftError } from '../../core/errors';
import type { HistoryEntry } from '../../core/ledger/history-store';
import type { BlockCommit, ChannelLedgerStore, OldPvtCommit, OnlinePruneOptions, StoreCommitSeconds, StoreOnlinePruneResult, StorePruneResult, StoreSnapshotExport } from '../../core/ledger/ledger-store-provider';
import type { SnapshotBootstrap } from '../../core/ledger/snapshot';
import type { StoredPvtCollection } from '../../core/ledger/private-data';
import type { OldPvtCollection } from '../../core/ledger/pvt-reconcile';
import type { StateUpdate } from '../../core/ledger/versioned-state-store';
import { NO_WRITEBACK, type FileWriteback } from './background-writeback';
import { SqliteBlockStore } from './sqlite-block-store';
import { SqliteHistoryStore } from './sqlite-history-store';
import { SqlitePvtDataStore } from './sqlite-pvt-data-store';
import { SqliteStateStore } from './sqlite-state-store';
import { sqliteFailure } from './sqlite-failure';
import { exportInWorker } from './sqlite-snapshot';
import { bootstrapOfStored, readBootstrap } from './snapshot-thread';
import { checkPrunable, fileBytes, interruptedPruneThrough, pruneBlockFile, pruneChunks, vacuumFile, writeBootstrap } from './sqlite-prune';

/**
 * Wraps a SQLite failure of a write to `db` in a `LedgerError` (see {@link sqliteFailure}): a full
 * disk names the database's directory. Ledger errors pass through.
 */
export function storeFailure(what: string, e: unknown, db: Database.Database): WeftError {
  return sqliteFailure(what, e, {}, db.name);
}

export function outOfOrderError(channelId: string, expected: number, got: number): LedgerError {
  return new LedgerError('LEDGER_BLOCK_OUT_OF_ORDER', `channel ${channelId}: expected block ${expected}, received block ${got}`, { channelId, expected, got });
}

export function closedStoreError(channelId: string): LedgerError {
  return new LedgerError('LEDGER_CLOSED', `the ledger store of channel ${channelId} is closed`, { channelId });
}

/** When the state's WAL is folded back into its database: see `stateWalToDatabaseRatio`. */
export interface StateWalPolicy {
  minPages: number;
  ratio: number;
}

/** Blocks deleted per transaction when an interrupted online prune is finished at open. */
const ONLINE_PRUNE_CHUNK_BLOCKS = 1024;

/** The state grows slowly; its size is re-read every this many blocks (and at open). */
const WAL_POLICY_EVERY_BLOCKS = 64;
/**
 * 512 MiB of 4 KiB pages: bounds the WAL SQLite reads back at open, and the wal-index segments a
 * page-cache miss searches, for states far larger than their page cache.
 */
const STATE_WAL_MAX_PAGES = 131_072;

/**
 * One channel's ledger in two SQLite databases. A block's commit writes its state updates in an open
 * transaction of the state database, then commits the block, its txids and history (with the
 * history savepoint) in one transaction of the block database, then commits the state with the
 * state savepoint. A crash between the two commits leaves the state one block behind the block
 * store, which `KvLedger` replays at open, as Fabric's state database lags its block store; the
 * state is never ahead. Bad input fails before the block commit, so it writes nothing.
 */
export class SqliteChannelStore implements ChannelLedgerStore {
  readonly blocks: SqliteBlockStore;
  readonly state: SqliteStateStore;
  readonly history: SqliteHistoryStore;
  private readonly pvt: SqlitePvtDataStore;
  private readonly setStateSavepoint: Database.Statement;
  private readonly setHistorySavepoint: Database.Statement;
  private readonly commitTxn: (c: BlockCommit) => void;
  private readonly commitBlockTxn: (c: BlockCommit) => void;
  private readonly applyStateTxn: (blockNum: number, state: readonly StateUpdate[]) => void;
  private readonly applyHistoryTxn: (blockNum: number, history: readonly HistoryEntry[]) => void;
  private readonly oldPvtStateTxn: (state: readonly StateUpdate[]) => void;
  private readonly oldPvtDataTxn: (pvtData: readonly OldPvtCollection[]) => void;
  private closed = false;
  /** The block file's part of the last commit, measured inside the state transaction around it. */
  private blockCommitMs = 0;

  constructor(
    private readonly blocksDb: Database.Database,
    private readonly stateDb: Database.Database,
    readonly channelId: string,
    private readonly onClose: () => void,
    private readonly stateWal: StateWalPolicy,
    stateCacheEntries = 0,
    /** Early writeback of both files' WALs and checkpoints (see `BackgroundWriteback`). */
    readonly writeback: FileWriteback = NO_WRITEBACK,
  ) {
    this.blocks = new SqliteBlockStore(blocksDb);
    this.history = new SqliteHistoryStore(blocksDb);
    this.pvt = new SqlitePvtDataStore(blocksDb);
    this.state = new SqliteStateStore(stateDb, stateCacheEntries);
    this.setHistorySavepoint = blocksDb.prepare("UPDATE meta SET value = ? WHERE name = 'history_savepoint'");
    this.setStateSavepoint = stateDb.prepare("UPDATE meta SET value = ? WHERE name = 'state_savepoint'");
    this.commitBlockTxn = blocksDb.transaction((c: BlockCommit) => {
      this.blocks.append(c.blockNum, c.blockHash, c.blockBytes, c.txs);
      this.pvt.append(c.blockNum, c.pvtData, c.pvtPurges);
      this.history.apply(c.history);
      this.setHistorySavepoint.run(c.blockNum + 1);
    });
    this.commitTxn = stateDb.transaction((c: BlockCommit) => {
      this.state.apply(c.state);
      this.setStateSavepoint.run(c.blockNum + 1);
      const blockStarted = performance.now();
      this.commitBlockTxn(c);
      this.blockCommitMs = performance.now() - blockStarted;
      this.blocks.afterCommit(c.blockNum);
    });
    this.applyStateTxn = stateDb.transaction((blockNum: number, state: readonly StateUpdate[]) => {
      this.state.apply(state);
      this.setStateSavepoint.run(blockNum + 1);
    });
    this.applyHistoryTxn = blocksDb.transaction((blockNum: number, history: readonly HistoryEntry[]) => {
      this.history.apply(history);
      this.setHistorySavepoint.run(blockNum + 1);
    });
    this.oldPvtStateTxn = stateDb.transaction((state: readonly StateUpdate[]) => this.state.apply(state));
    this.oldPvtDataTxn = blocksDb.transaction((pvtData: readonly OldPvtCollection[]) => {
      for (const c of pvtData) this.pvt.store(c.blockNum, c);
    });
    this.applyStateWalPolicy();
    this.finishInterruptedPrune();
  }

  exportSnapshot(dir: string, height: number): StoreSnapshotExport {
    this.checkOpen();
    return exportInWorker(this.blocksDb.name, this.stateDb.name, dir, height);
  }

  bootstrap(): SnapshotBootstrap | undefined {
    this.checkOpen();
    const b = readBootstrap(this.blocksDb);
    return b === undefined ? undefined : bootstrapOfStored(b);
  }

  pruneBlocks(bootstrap: SnapshotBootstrap, options: { readonly vacuum: boolean }): StorePruneResult {
    this.checkPruneStart(bootstrap);
    const file = this.blocksDb.name;
    const bytesBefore = fileBytes(file) + fileBytes(this.stateDb.name);
    let blocksRemoved: number;
    try {
      blocksRemoved = this.writeback.writing(() => this.blocksDb.transaction(() => pruneBlockFile(this.blocksDb, bootstrap))());
    } catch (e) {
      throw storeFailure(`prune of channel ${this.channelId} through block ${bootstrap.lastBlockNumber}`, e, this.blocksDb);
    }
    if (options.vacuum) {
      try {
        this.writeback.writing(() => vacuumFile(this.blocksDb));
      } catch (e) {
        // The prune is committed; only the space is not given back yet.
        throw storeFailure(`vacuum of channel ${this.channelId} after pruning (the prune itself is done)`, e, this.blocksDb);
      }
    }
    return { blocksRemoved, bytesBefore, bytesAfter: fileBytes(file) + fileBytes(this.stateDb.name) };
  }

  async pruneBlocksOnline(bootstrap: SnapshotBootstrap, options: OnlinePruneOptions): Promise<StoreOnlinePruneResult> {
    this.checkPruneStart(bootstrap);
    const bytesBefore = fileBytes(this.blocksDb.name) + fileBytes(this.stateDb.name);
    const what = `prune of channel ${this.channelId} through block ${bootstrap.lastBlockNumber}`;
    let longestHoldMs = 0;
    const run = (work: () => number): number => {
      const started = performance.now();
      try {
        return this.writeback.writing(() => this.blocksDb.transaction(work)());
      } catch (e) {
        throw storeFailure(what, e, this.blocksDb);
      } finally {
        longestHoldMs = Math.max(longestHoldMs, performance.now() - started);
      }
    };
    run(() => {
      writeBootstrap(this.blocksDb, bootstrap);
      return 0;
    });
    options.onCut();
    let blocksRemoved = 0;
    for (const chunk of pruneChunks(this.blocksDb, bootstrap.lastBlockNumber, options.chunkBlocks)) {
      // Commits, Deliver and everything else on the event loop run between two chunks.
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Closed meanwhile (the peer stops): the cut is committed, and the next open finishes.
      if (this.closed) throw closedStoreError(this.channelId);
      blocksRemoved += run(chunk);
      options.onChunk?.(blocksRemoved);
    }
    return { blocksRemoved, bytesBefore, bytesAfter: fileBytes(this.blocksDb.name) + fileBytes(this.stateDb.name), longestHoldMs };
  }

  /** A prune killed after its cut left blocks at or below the bootstrap's block: they go before the ledger opens. */
  private finishInterruptedPrune(): void {
    const last = interruptedPruneThrough(this.blocksDb);
    if (last === undefined) return;
    try {
      for (const chunk of pruneChunks(this.blocksDb, last, ONLINE_PRUNE_CHUNK_BLOCKS)) this.blocksDb.transaction(chunk)();
    } catch (e) {
      throw storeFailure(`end of the interrupted prune of channel ${this.channelId} through block ${last}`, e, this.blocksDb);
    }
  }

  private checkPruneStart(bootstrap: SnapshotBootstrap): void {
    this.checkOpen();
    const height = this.blocks.height();
    checkPrunable(this.blocksDb, this.channelId, height, bootstrap);
    if (this.state.savepoint() !== height || this.history.savepoint() !== height) {
      throw new LedgerError('LEDGER_NOT_RECOVERED', `channel ${this.channelId}: state or history is behind the block store; recover before pruning`, { channelId: this.channelId });
    }
  }

  commit(c: BlockCommit): StoreCommitSeconds {
    this.checkOpen();
    const height = this.blocks.height();
    if (c.blockNum !== height) throw outOfOrderError(this.channelId, height, c.blockNum);
    if (this.state.savepoint() !== height || this.history.savepoint() !== height) {
      throw new LedgerError('LEDGER_NOT_RECOVERED', `channel ${this.channelId}: state or history is behind the block store; recover before committing`, {
        channelId: this.channelId,
      });
    }
    const started = performance.now();
    try {
      this.writeback.writing(() => this.commitTxn(c));
    } catch (e) {
      // If only the state commit failed, the block is stored and the state is behind it; KvLedger
      // sees the new height and replays the block into the state, as it does at open.
      throw storeFailure(`commit of block ${c.blockNum} on channel ${this.channelId}`, e, this.blocksDb);
    }
    const totalMs = performance.now() - started;
    if (c.blockNum % WAL_POLICY_EVERY_BLOCKS === 0) this.applyStateWalPolicy();
    return { blocks: this.blockCommitMs / 1000, state: (totalMs - this.blockCommitMs) / 1000 };
  }

  applyUpdates(blockNum: number, state: readonly StateUpdate[] | undefined, history: readonly HistoryEntry[] | undefined): void {
    this.checkOpen();
    if (blockNum >= this.blocks.height()) {
      throw new LedgerError('LEDGER_BLOCK_OUT_OF_ORDER', `channel ${this.channelId}: block ${blockNum} is not in the block store`, { blockNum });
    }
    try {
      this.writeback.writing(() => {
        if (state !== undefined) this.applyStateTxn(blockNum, state);
        if (history !== undefined) this.applyHistoryTxn(blockNum, history);
      });
    } catch (e) {
      throw storeFailure(`recovery of block ${blockNum} on channel ${this.channelId}`, e, this.blocksDb);
    }
  }

  commitOldPvtData(update: OldPvtCommit): void {
    this.checkOpen();
    const height = this.blocks.height();
    const beyond = update.pvtData.find((c) => c.blockNum >= height);
    if (beyond !== undefined) {
      throw new LedgerError('LEDGER_BLOCK_OUT_OF_ORDER', `channel ${this.channelId}: private data for block ${beyond.blockNum}, which is not committed`, { blockNum: beyond.blockNum });
    }
    try {
      // The missing records go last, in a state transaction of their own: until the block file
      // holds the data, a crash must leave them for the reconciler to ask again.
      this.writeback.writing(() => {
        if (update.state.length > 0) this.oldPvtStateTxn(update.state);
        if (update.pvtData.length > 0) this.oldPvtDataTxn(update.pvtData);
        if (update.resolved.length > 0) this.oldPvtStateTxn(update.resolved);
      });
    } catch (e) {
      throw storeFailure(`late private data on channel ${this.channelId}`, e, this.blocksDb);
    }
  }

  pvtData(blockNum: number): StoredPvtCollection[] {
    this.checkOpen();
    return this.pvt.get(blockNum);
  }

  /**
   * Sets the state's autocheckpoint from its current size (see `stateWalToDatabaseRatio`); never
   * where `walAutocheckpointPages` 0 turned automatic checkpoints off.
   */
  private applyStateWalPolicy(): void {
    if (this.stateWal.ratio === 0 || this.stateWal.minPages === 0) return;
    const dbPages = this.stateDb.pragma('page_count', { simple: true }) as number;
    const pages = Math.max(this.stateWal.minPages, Math.min(STATE_WAL_MAX_PAGES, Math.round(dbPages * this.stateWal.ratio)));
    this.stateDb.pragma(`wal_autocheckpoint = ${pages}`);
  }

  resetStateAndHistory(): void {
    this.checkOpen();
    try {
      this.blocksDb.transaction(() => {
        this.blocksDb.exec('DELETE FROM history; DELETE FROM history_values');
        this.setHistorySavepoint.run(0);
      })();
      this.state.clearCache();
      this.stateDb.transaction(() => {
        this.stateDb.exec('DELETE FROM state');
        this.setStateSavepoint.run(0);
      })();
    } catch (e) {
      throw storeFailure(`reset of the state and history of channel ${this.channelId}`, e, this.blocksDb);
    }
  }

  truncateBlocks(height: number): void {
    this.checkOpen();
    if (!Number.isSafeInteger(height) || height < 0 || height > this.blocks.height()) {
      throw new LedgerError('LEDGER_BAD_ROLLBACK', `channel ${this.channelId}: cannot truncate to height ${height} (height is ${this.blocks.height()})`, { height });
    }
    if (this.state.savepoint() > height || this.history.savepoint() > height) {
      throw new LedgerError('LEDGER_NOT_RECOVERED', `channel ${this.channelId}: reset state and history before truncating blocks under them`, { height });
    }
    try {
      // The blocks' private data stays: see ChannelLedgerStore.truncateBlocks.
      this.blocksDb.transaction(() => this.blocks.truncate(height))();
    } catch (e) {
      throw storeFailure(`truncation of channel ${this.channelId} to height ${height}`, e, this.blocksDb);
    }
    this.blocks.afterCommit(height - 1);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // No try/finally: a connection that failed to close may still hold its POSIX locks, and closing
    // the writeback's descriptors of the same files (onClose) would drop them; they stay open, and
    // the channel stays marked open.
    this.stateDb.close();
    this.blocksDb.close();
    this.onClose();
  }

  private checkOpen(): void {
    if (this.closed) throw closedStoreError(this.channelId);
  }
}
