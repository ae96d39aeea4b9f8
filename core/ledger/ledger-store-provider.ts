import type { BlockStore, TxIndexEntry } from './block-store';
import type { HistoryEntry, HistoryStore } from './history-store';
import type { AppliedPvtCollection, StoredPvtCollection } from './private-data';
import type { PvtPurge } from './pvt-purge';
import type { OldPvtCollection } from './pvt-reconcile';
import type { SnapshotBootstrap, SnapshotMetadata } from './snapshot';
import type { StateUpdate, VersionedStateStore } from './versioned-state-store';

/** Everything one block changes, committed as one atomic step. */
export interface BlockCommit {
  readonly blockNum: number;
  /** Header hash (SHA-256 of the ASN.1 DER header), for lookups by hash. */
  readonly blockHash: Uint8Array;
  /** The serialized `common.Block`, TRANSACTIONS_FILTER included, stored as is. */
  readonly blockBytes: Uint8Array;
  readonly txs: readonly TxIndexEntry[];
  readonly state: readonly StateUpdate[];
  /** Empty when the history index is disabled. */
  readonly history: readonly HistoryEntry[];
  /**
   * This peer's private data applied with the block, kept with it for replay, in place of any kept
   * for its number from before a rollback. The commit of block `n` also drops every stored
   * collection whose `expiringBlock` is `n` or below.
   */
  readonly pvtData?: readonly AppliedPvtCollection[];
  /**
   * Keys the block's valid transactions purged: after storing `pvtData`, the commit takes each
   * key's writes out of every stored collection at or below the purging transaction's height
   * (`withoutPvtKey`). A collection left with nothing is kept with an empty rwset until it expires,
   * so a replay knows this peer held it and records nothing missing, as Fabric's pvtdata store keeps
   * purged data's entries and filters their writes.
   */
  readonly pvtPurges?: readonly PvtPurge[];
}

/**
 * Where a store's commit of one block spent its time, in seconds, for Fabric's two ledger commit
 * metrics (`ledger_blockstorage_and_pvtdata_commit_time`, `ledger_statedb_commit_time`).
 */
export interface StoreCommitSeconds {
  /** Writing the block, its txid index and history. */
  readonly blocks: number;
  /** Writing the state updates. */
  readonly state: number;
}

/** What reconciliation stores, in this order (see {@link ChannelLedgerStore.commitOldPvtData}). */
export interface OldPvtCommit {
  /** The late private values, and expiry entries that learn their plain keys. */
  readonly state: readonly StateUpdate[];
  readonly pvtData: readonly OldPvtCollection[];
  /** Deletes the missing records (and their expiry entries) of the collections taken: last. */
  readonly resolved: readonly StateUpdate[];
}

/**
 * The storage of one channel's ledger: a block store, a state store and a history store that commit
 * together, state and history each recording in a savepoint the height they have applied. Used
 * only by the core ledger (`KvLedger`), which computes every update; a store never interprets blocks.
 */
export interface ChannelLedgerStore {
  readonly blocks: BlockStore;
  readonly state: VersionedStateStore;
  readonly history: HistoryStore;
  /**
   * Appends the block, applies the state updates and history, indexes the txids and advances every
   * savepoint. The block store gets the whole block or none of it; state and history may be left
   * behind it by a crash (their savepoints say where, never ahead), and `KvLedger` replays the
   * missing blocks at open, so the ledger shows the whole block or none of it. Input that fails
   * writes nothing. Called once per block, in order (`blockNum` = height); throws `LedgerError`
   * otherwise. A store that can tell its block part from its state part returns their times;
   * otherwise the ledger reports the whole commit as the block store's.
   */
  commit(commit: BlockCommit): StoreCommitSeconds | void;
  /**
   * The private data stored with a committed block ({@link BlockCommit.pvtData}, and late data) and
   * not expired, collections a purge emptied included (with an empty rwset); empty when none. For a
   * block number at or above the height: what {@link truncateBlocks} kept, until that block commits.
   */
  pvtData(blockNum: number): readonly StoredPvtCollection[];
  /**
   * Reconciliation, in three steps, each atomic, without moving any savepoint: applies `state` (the
   * late private values), stores `pvtData` with the committed blocks it belongs to (replacing a
   * stored collection of the same transaction), then applies `resolved` (the missing records the
   * data resolves, which are in the state). A record goes last, once what it asks for is kept, as
   * Fabric drops its missing-data entries with the data in its pvtdata store: a crash before that
   * leaves it, the reconciler fetches the data again, and the same steps are repeated (the values
   * and stored rows come out the same). Optional: without it the ledger cannot take late private data.
   */
  commitOldPvtData?(update: OldPvtCommit): void;
  /**
   * Recovery and rebuild: applies a stored block's state updates and/or history (undefined = that
   * part is already applied) and advances the matching savepoints to `blockNum + 1`, atomically.
   */
  applyUpdates(blockNum: number, state: readonly StateUpdate[] | undefined, history: readonly HistoryEntry[] | undefined): void;
  /** Drops all state and history; savepoints go to 0. Blocks and declared indexes are kept. */
  resetStateAndHistory(): void;
  /**
   * Rollback: deletes the blocks from `height` on, with the txids they indexed, atomically. Called
   * only after {@link resetStateAndHistory}, so state and history are never ahead of the blocks;
   * throws `LedgerError` otherwise. Keeps their private data, as Fabric's rollback keeps its
   * pvtdata store (this peer may be the only one holding it): the commit of a block replaces what
   * was kept for its number (see {@link pvtData}). Optional: without it the ledger cannot be rolled back.
   */
  truncateBlocks?(height: number): void;
  /**
   * Writes the ledger's own snapshot data files (txids, public state, private state hashes, in
   * Fabric's format: `snapshot-format.ts`) into the existing empty `dir`, off the caller's thread,
   * as of `height`. `captured` resolves once the store's view is fixed at `height` (later commits
   * then change nothing written); it rejects with `LEDGER_SNAPSHOT_MOVED` when the store is already
   * past `height` by then. `done` gives each file written and its SHA-256. Optional: without it the
   * ledger cannot export snapshots.
   */
  exportSnapshot?(dir: string, height: number): StoreSnapshotExport;
  /** Where the chain starts when the store was created from a snapshot ({@link LedgerStoreProvider.importSnapshot}) or pruned ({@link pruneBlocks}). */
  bootstrap?(): SnapshotBootstrap | undefined;
  /**
   * `weft peer prune`: makes the store what an import of a snapshot at `bootstrap.lastBlockNumber`
   * would be, with the later blocks kept and the state untouched: in one atomic step deletes the
   * blocks up to it, keeps their txids as a snapshot's (`TxLocation.fromSnapshot`), drops what only
   * a replay of those blocks would read, and records `bootstrap`. A crash leaves the old store or
   * the pruned one. Then, with `vacuum`, gives the freed space back (interruptible without harm).
   * Called by `KvLedger.prune` only, with state and history at the height, after it checked that
   * the block's hash is `lastBlockHash`. Throws `LEDGER_BAD_PRUNE` naming the field when the block
   * is not below the height or not above an earlier bootstrap, writing nothing. Optional: without
   * it the ledger cannot be pruned.
   */
  pruneBlocks?(bootstrap: SnapshotBootstrap, options: { readonly vacuum: boolean }): StorePruneResult;
  /**
   * The prune of a serving ledger (`weft peer prune` against a running peer): same checks and end
   * result as {@link pruneBlocks} without vacuum, in steps. First one atomic cut recording
   * `bootstrap` (then `onCut`: the ledger is pruned through its block for every reader); then the
   * txids re-pointed and the blocks deleted, `chunkBlocks` blocks per transaction, the event loop
   * free between two. A crash after the cut leaves a store the next open finishes pruning; before
   * it, the old store. Rejects with `LEDGER_CLOSED` when closed part way (the next open finishes).
   */
  pruneBlocksOnline?(bootstrap: SnapshotBootstrap, options: OnlinePruneOptions): Promise<StoreOnlinePruneResult>;
  /** Releases the files; further calls throw `LEDGER_CLOSED`. Idempotent. */
  close(): void;
}

/** What {@link ChannelLedgerStore.pruneBlocks} did. */
export interface StorePruneResult {
  readonly blocksRemoved: number;
  /** The store's size on disk (files and logs) before and after; equal-ish without vacuum. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/** See {@link ChannelLedgerStore.pruneBlocksOnline}. */
export interface OnlinePruneOptions {
  readonly chunkBlocks: number;
  readonly onCut: () => void;
  /** After each step's transaction (re-pointing txids, then deleting blocks), with the blocks deleted so far. */
  readonly onChunk?: (blocksRemoved: number) => void;
}

/** What {@link ChannelLedgerStore.pruneBlocksOnline} did. */
export interface StoreOnlinePruneResult extends StorePruneResult {
  /** The longest of its transactions: how long it held the event loop, and so the channel's commits, at once. */
  readonly longestHoldMs: number;
}

/** See {@link ChannelLedgerStore.exportSnapshot}. */
export interface StoreSnapshotExport {
  readonly captured: Promise<void>;
  readonly done: Promise<ReadonlyMap<string, Uint8Array>>;
}

/** One block appended to a {@link ChannelBlockStore}: a {@link BlockCommit} without state or history. */
export type BlockAppend = Pick<BlockCommit, 'blockNum' | 'blockHash' | 'blockBytes' | 'txs'>;

/**
 * A channel's blocks and txid index alone, for a node that keeps no world state or history (the
 * orderer): no state database is created, and no per-block state or history commit is paid.
 */
export interface ChannelBlockStore {
  readonly blocks: BlockStore;
  /**
   * Appends the block and indexes its txids, atomically. Called once per block, in order
   * (`blockNum` = height); throws `LedgerError` otherwise, having written nothing.
   */
  append(block: BlockAppend): void;
  /** Releases the files; further calls throw `LEDGER_CLOSED`. Idempotent. */
  close(): void;
}

/**
 * The `ledger` plugin slot: storage for channel ledgers, one independent store per channel.
 * Called by the ledger manager when a channel is created, joined or opened at node start.
 */
export interface LedgerStoreProvider {
  /**
   * Opens the channel's store, creating it empty when missing. Throws `LedgerError`
   * `LEDGER_CORRUPT` when existing files are not a ledger of this plugin (foreign or damaged).
   */
  open(channelId: string): ChannelLedgerStore;
  /**
   * Opens only the channel's block store, creating it empty when missing, without touching any
   * state or history. A ledger appended this way can later be opened with {@link open}, which
   * finds state and history behind the blocks and replays them. Same errors as {@link open}.
   */
  openBlocks(channelId: string): ChannelBlockStore;
  /** Whether a store exists for the channel. */
  exists(channelId: string): boolean;
  /** Channel ids with a store, sorted. */
  list(): string[];
  /**
   * Deletes a channel's store for good (an orderer leaving a channel, a peer unjoining one). Must
   * not leave state without the blocks it came from if interrupted. Throws `LedgerError` while the
   * channel is open. Optional: callers report the operation as unsupported without it.
   */
  remove?(channelId: string): void;
  /**
   * Creates the store of `metadata.channelName` from a verified snapshot directory: state (versions
   * and metadata as in the snapshot), private state hashes, txids and the collection config history
   * (`confighistory.*`, for `Ledger.importedConfigHistory`), with state and history
   * savepoints at `lastBlockNumber + 1` and the bootstrap record, off the caller's thread. The
   * channel's store appears only once complete: a failure or crash part way leaves none, and does
   * not stop a retry. Throws `LEDGER_BAD_SNAPSHOT` for a record that does not decode,
   * `LEDGER_CHANNEL_EXISTS` when the store exists. `onProgress` hears how many records are loaded.
   * Optional: without it the node cannot join from a snapshot.
   */
  importSnapshot?(snapshotDir: string, metadata: SnapshotMetadata, onProgress?: (loaded: number) => void): Promise<void>;
  /**
   * Whether the channel's store exists and is paused (Fabric's ledger status INACTIVE): a paused
   * channel keeps its store, stays in {@link list} and {@link exists}, but the peer does not open it
   * at start. Read without opening the store. Optional: without it no channel is ever paused.
   */
  paused?(channelId: string): boolean;
  /**
   * Pauses or resumes the channel (`weft peer pause` / `resume`, peer stopped). Durable when it
   * returns; a crash part way leaves the old status or the new, never another. {@link remove} clears
   * the status with the store, so a channel joined again starts active. Throws `LEDGER_UNKNOWN_CHANNEL`
   * without a store, `LEDGER_ALREADY_OPEN` while the channel is open. Optional: callers report the
   * operation as unsupported without it.
   */
  setPaused?(channelId: string, paused: boolean): void;
}
export const LedgerStoreProvider = Symbol('LedgerStoreProvider');
