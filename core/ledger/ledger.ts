import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { BlockPvtData, MissingPvtData, MissingPvtEntry } from './private-data';
import type { OldPvtDataResult, PvtCollectionName } from './pvt-reconcile';
import type { ExtraSnapshotFile, SnapshotBootstrap, SnapshotExport } from './snapshot';
import type { ConfigHistoryEntry } from './snapshot-config-history';
import type { QueryExecutor, TxSimulator } from './tx-simulator';

/** A committed transaction: Fabric's `ProcessedTransaction` plus its position. */
export interface TransactionInfo {
  readonly txId: string;
  readonly blockNum: number;
  readonly txNum: number;
  /** `TxValidationCode` the committer gave the transaction. */
  readonly validationCode: number;
  /** The envelope bytes as stored in the block; empty for a txid from a snapshot. */
  readonly envelope: Uint8Array;
  /** See `TxLocation.fromSnapshot`: committed in a block this ledger does not hold. */
  readonly fromSnapshot?: true;
}

/** See {@link CommitResult.seconds}. */
export interface CommitSeconds {
  readonly processing: number;
  readonly storageCommit: number;
  readonly stateCommit?: number;
}

/** The outcome of committing one block. */
export interface CommitResult {
  readonly blockNum: number;
  /** Final `TxValidationCode` per transaction, as written into TRANSACTIONS_FILTER. */
  readonly validationCodes: readonly number[];
  /**
   * Where the commit's time went, for Fabric's ledger metrics: `processing` checked the block and ran
   * MVCC (`ledger_block_processing_time`); `storageCommit` wrote the block, its txid index and history
   * (`ledger_blockstorage_and_pvtdata_commit_time`), and `stateCommit` the state updates
   * (`ledger_statedb_commit_time`); a store that does not tell the two apart leaves `stateCommit`
   * out and counts it in `storageCommit`.
   */
  readonly seconds: CommitSeconds;
  /** Collections of valid transactions whose private values were not given (or not with the endorsed hash): only their hashes were applied. */
  readonly pvtMissing?: readonly MissingPvtData[];
  /** Why each transaction MVCC validation invalidated conflicted, by transaction number: the key or range and what changed it. */
  readonly conflicts?: ReadonlyMap<number, string>;
}

/** A declared index file of a chaincode package (`META-INF/statedb/couchdb/indexes/*.json`). */
export interface IndexFile {
  readonly name: string;
  readonly content: string | Uint8Array;
}

/** Fabric's `common.BlockchainInfo` (what `qscc GetChainInfo` returns). */
export interface BlockchainInfo {
  readonly height: number;
  /** Header hash of the last block; empty when the chain is empty. */
  readonly currentBlockHash: Uint8Array;
  /** previous_hash of the last block; empty when the chain is empty. */
  readonly previousBlockHash: Uint8Array;
}

/** Read side of a channel's chain, for Deliver, `qscc` and the gateway's commit status. */
export interface BlockQuery {
  /** Number of committed blocks. */
  height(): number;
  getBlockchainInfo(): BlockchainInfo;
  /** A committed block (with its TRANSACTIONS_FILTER), or undefined beyond the height. */
  getBlockByNumber(blockNum: number): Block | undefined;
  /** The block whose header hash is `hash`, or undefined. */
  getBlockByHash(hash: Uint8Array): Block | undefined;
  /** The first transaction committed with this id, or undefined. */
  getTransactionById(txId: string): TransactionInfo | undefined;
}

/**
 * One channel's ledger: blocks, world state and history. Single writer: the channel's committer
 * calls {@link Ledger.commit} once per block, in order; simulators and query executors may be
 * created at any time by endorsement and queries. Throws are `LedgerError`s.
 */
export interface Ledger extends BlockQuery {
  readonly channelId: string;
  /**
   * A simulator for one transaction (endorsement); call `done()` when finished. Throws
   * `LEDGER_BAD_TXID` unless `txId` is a non-empty string.
   */
  newTxSimulator(txId: string): TxSimulator;
  /** A read-only executor (evaluate, system chaincode queries). */
  newQueryExecutor(): QueryExecutor;
  /**
   * MVCC-validates and commits a block atomically. `validationCodes` are the peer's per-transaction
   * results (policy, signatures, duplicates); only VALID transactions are MVCC-checked. Without them
   * the block's TRANSACTIONS_FILTER is used when it has one byte per transaction, else all start VALID.
   * The final codes are written into the block's TRANSACTIONS_FILTER (the `block` object is updated).
   * Throws `LEDGER_BLOCK_OUT_OF_ORDER` / `LEDGER_BAD_BLOCK` for a block that cannot be next; then
   * nothing is written. `pvtData` is this peer's private data for the block's transactions: each
   * collection's values are applied where their hash is the one the transaction carries (else they
   * are missing here, and only the hashes are applied), and kept with the block for replay.
   */
  commit(block: Block, validationCodes?: readonly number[], pvtData?: BlockPvtData): CommitResult;
  /** The private data committed with a block (`TxPvtReadWriteSet` bytes by transaction number); empty when none or beyond the height. */
  getPrivateDataByBlock(blockNum: number): ReadonlyMap<number, Uint8Array>;
  /**
   * Collections of committed transactions whose values this peer should hold but lacks (recorded
   * at commit where the collection policy's `eligible` said so, and for a ledger created from a
   * snapshot at its first open with a collection policy: one per transaction version of its private
   * hashes, carrying them as `bootKvHashes`), most recent blocks first, at most
   * `limit`, from after the entry `after` when given (paging). Throws `LEDGER_BAD_ARGUMENT` unless
   * `limit` is a positive integer.
   */
  missingPvtData(limit: number, after?: MissingPvtData & { readonly blockNum: number }): MissingPvtEntry[];
  /**
   * Reconciliation (Fabric's `CommitPvtDataOfOldBlocks`): takes late private data for committed
   * blocks (`TxPvtReadWriteSet` bytes by transaction number, by block). A collection is taken only
   * when it is recorded missing and hashes to the block's hash (for a record from a snapshot, which
   * has no block: when each key the snapshot held at that version has a value of the hash it held,
   * the other writes left out); the rest is reported ignored. Its
   * values reach state where their keys have not moved on since, and it is kept with its block.
   * Throws `LEDGER_BAD_ARGUMENT` for a block at or beyond the height (nothing is taken), and
   * `LEDGER_RECONCILE_UNSUPPORTED` when the store cannot keep late private data.
   */
  commitPvtDataOfOldBlocks(data: ReadonlyMap<number, BlockPvtData>): OldPvtDataResult;
  /** The collections with records of values this peer lacks from before its org was a member (the policy's `eligible` said no at commit). */
  ineligiblePvtCollections(): PvtCollectionName[];
  /**
   * Once this peer's org is a member of `collection`: moves up to `limit` of its records from
   * before into those {@link missingPvtData} reads (Fabric's `ProcessCollsEligibilityEnabled`), so
   * reconciliation asks for them too; returns how many moved (fewer than `limit`: all have).
   * Throws `LEDGER_BAD_ARGUMENT` unless `limit` is a positive integer, `LEDGER_RECONCILE_UNSUPPORTED`
   * as {@link commitPvtDataOfOldBlocks}.
   */
  markPvtEligible(collection: PvtCollectionName, limit: number): number;
  /**
   * Declares a chaincode's CouchDB index files on its namespace (at install / definition). Throws
   * `LEDGER_BAD_QUERY` for files that are not `{name, content}` or do not parse, declaring none.
   */
  declareIndexes(namespace: string, files: readonly IndexFile[]): void;
  /**
   * {@link declareIndexes}, with each index built without holding the caller's thread where the
   * store can (a worker thread). The caller keeps this ledger's commits out until it settles.
   */
  declareIndexesInBackground(namespace: string, files: readonly IndexFile[]): Promise<void>;
  /**
   * Drops state and history and replays every block from the block store (Fabric `rebuild-dbs`).
   * `onProgress` hears after each replayed block how many of the ledger's blocks are applied. A
   * crash part way leaves state and history behind the blocks, and the next open replays the rest.
   */
  rebuild(onProgress?: (applied: number, height: number) => void): void;
  /**
   * Rolls the ledger back to `blockNum` (Fabric `peer node rollback`): blocks after it are deleted
   * with their txids, and state and history are rebuilt from the blocks that stay. `blockNum` must
   * be below the newest block. Throws `LEDGER_BAD_ROLLBACK` for any other number and
   * `LEDGER_ROLLBACK_UNSUPPORTED` when the store cannot delete blocks, in both cases changing
   * nothing. A crash part way leaves either the whole ledger or the rolled-back one, with state
   * and history replayed at the next open. The deleted blocks' private data is kept for their
   * commit when they come back. Private data that expired in a deleted block is gone for good
   * (its blockToLive is a retention limit): the rebuilt state records it as missing, so the
   * reconciler may fetch it from a peer not yet past that block, and the block's commit drops it.
   */
  rollback(blockNum: number, onProgress?: (applied: number, height: number) => void): void;
  /**
   * Starts writing a snapshot of the ledger as of its current height (the last committed block) into
   * `dir`, which must not exist, in Fabric's format (see `snapshot.ts`), with the caller's `extra` files.
   * Throws `LEDGER_SNAPSHOT_EXISTS` when `dir` exists, `LEDGER_SNAPSHOT_EMPTY` for a ledger without
   * blocks and `LEDGER_BAD_SNAPSHOT` for an `extra` file whose name is not a plain file name or is
   * one the ledger writes, writing nothing. The caller must not commit before `captured` resolves
   * (else `done` rejects with `LEDGER_SNAPSHOT_MOVED`). The work runs off the caller's thread where the store can; commits wait
   * only until {@link SnapshotExport.captured}.
   */
  exportSnapshot(dir: string, extra?: readonly ExtraSnapshotFile[]): SnapshotExport;
  /**
   * Where the chain starts for a ledger created from a snapshot; undefined for one created from a
   * genesis block. Such a ledger holds no block at or below `lastBlockNumber`: `getBlockByNumber`
   * answers undefined for them, as beyond the height ({@link firstBlockNumber} tells them apart).
   */
  snapshotBootstrap(): SnapshotBootstrap | undefined;
  /** The lowest block number this ledger can hold: 0, or the snapshot's last block + 1. */
  firstBlockNumber(): number;
  /**
   * The `ConfigEnvelope` bytes of the newest config transaction committed (Fabric's
   * `CHANNEL_CONFIG_ENV_BYTES` in state: a ledger from a snapshot has it without holding the block);
   * undefined when none is recorded.
   */
  channelConfigEnvelope(): Uint8Array | undefined;
  /**
   * The collection config history a ledger created from a snapshot imported from it (Fabric's
   * `confighistory.data`), in Fabric's key order: by chaincode, newest block first; [] for a ledger
   * from a genesis block or a snapshot without one. Read by the peer for definitions older than
   * its first block (Deliver's eligibility, the import's missing records) and to carry the history
   * into the snapshots it takes. Kept for the ledger's life.
   */
  importedConfigHistory(): readonly ConfigHistoryEntry[];
  /** Closes the underlying store. */
  close(): void;
}
