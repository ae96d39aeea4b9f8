import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { TxLocation } from '../../ledger/block-store';
import type { CommitSeconds, IndexFile } from '../../ledger/ledger';
import type { BlockPvtData, MissingPvtData, MissingPvtEntry } from '../../ledger/private-data';
import type { OldPvtDataResult, PvtCollectionName } from '../../ledger/pvt-reconcile';
import type { OnlinePruneOptions, StoreOnlinePruneResult } from '../../ledger/ledger-store-provider';
import type { ExtraSnapshotFile, SnapshotBootstrap, SnapshotExport } from '../../ledger/snapshot';
import type { ConfigHistoryEntry } from '../../ledger/snapshot-config-history';
import type { QueryExecutor, TxSimulator } from '../../ledger/tx-simulator';
import type { VersionedValue } from '../../ledger/versioned-state-store';

/** The result of committing one block: the final validation code of every transaction. */
export interface CommitResult {
  readonly blockNum: number;
  /** One `TxValidationCode` per envelope, after MVCC (what TRANSACTIONS_FILTER holds). */
  readonly flags: Uint8Array;
  /** The stored block bytes (with the final TRANSACTIONS_FILTER). */
  readonly blockBytes: Uint8Array;
  /** MVCC and the store's commit, timed for Fabric's ledger metrics (see the core ledger's `CommitResult`). */
  readonly seconds: CommitSeconds;
  /** Collections of valid transactions whose private values the commit did not get. */
  readonly pvtMissing?: readonly MissingPvtData[];
  /** Why each transaction MVCC invalidated conflicted, by transaction number (see the core ledger's `CommitResult`). */
  readonly conflicts?: ReadonlyMap<number, string>;
}

/**
 * What the peer needs from one channel's ledger: simulation for the endorser, reads for queries and
 * policy lookups, and an atomic commit of a block whose policy checks are already done. Adapts the
 * core ledger; a throw means storage failed (the channel then stops committing).
 */
/** How an online prune goes in steps: the core ledger marks the cut itself. */
export type OnlinePruneSteps = Omit<OnlinePruneOptions, 'onCut'>;

export interface PeerLedger {
  /** Number of committed blocks. */
  height(): number;
  getBlockBytes(blockNum: number): Uint8Array | undefined;
  getBlockNumberByHash(hash: Uint8Array): number | undefined;
  getTxLocation(txId: string): TxLocation | undefined;
  /**
   * A simulator over committed state for one proposal, for use within one synchronous step (a
   * chaincode-to-chaincode call, a lifecycle read); the caller calls `done()`.
   */
  newTxSimulator(txId: string): TxSimulator;
  /**
   * A simulator that holds the channel's state until `done()` (Fabric's `NewTxSimulator` read-locks
   * its `commitRWLock`): for a simulation that spans turns of the event loop, so that no block
   * commits between two of its reads. Waits while a commit runs or waits; the caller must call
   * `done()`, or the channel commits nothing more.
   */
  openTxSimulator(txId: string): Promise<TxSimulator>;
  /** A read-only executor over committed state; the caller calls `done()`. */
  newQueryExecutor(): QueryExecutor;
  /** A committed value with version and metadata (key-level policies), or undefined. */
  getVersionedState(namespace: string, key: string): VersionedValue | undefined;
  /**
   * A key's committed metadata (Fabric's `GetStateMetadata`), undefined when it has none or is
   * absent: for the validator's key-level policies, once per written key. Reads nothing when the
   * store knows the namespace holds no metadata (`VersionedStateStore.namespaceHasMetadata`).
   */
  getStateMetadata(namespace: string, key: string): Uint8Array | undefined;
  /**
   * Runs MVCC over the transactions still marked VALID in `flags` (in block order), writes the
   * final TRANSACTIONS_FILTER into the block and commits block, state, history and tx index in one
   * step, with this peer's private data of the block (`TxPvtReadWriteSet` bytes by transaction
   * number). Called once per block, in order, through {@link exclusive}.
   */
  commit(block: Block, flags: Uint8Array, pvtData?: BlockPvtData): CommitResult;
  /**
   * Runs `fn` (synchronous: a {@link commit}) once no simulation from {@link openTxSimulator}
   * holds the state; simulations asked for meanwhile wait for it (Fabric's write lock on
   * `commitRWLock`, writer-preferring).
   */
  exclusive<T>(fn: () => T): Promise<T>;
  /** The private data this peer committed with a block, by transaction number. */
  getPrivateDataByBlock(blockNum: number): ReadonlyMap<number, Uint8Array>;
  /** Collections of this peer's orgs that committed transactions wrote and it lacks, most recent blocks first (the core ledger's `missingPvtData`). */
  missingPvtData(limit: number, after?: MissingPvtEntry): MissingPvtEntry[];
  /** Takes late private data of committed blocks (the core ledger's `commitPvtDataOfOldBlocks`); called on the channel's commit queue. */
  commitPvtDataOfOldBlocks(data: ReadonlyMap<number, BlockPvtData>): OldPvtDataResult;
  /** Collections with records from before this peer's org was a member (the core ledger's `ineligiblePvtCollections`). */
  ineligiblePvtCollections(): PvtCollectionName[];
  /** Moves such records to the reconciled ones (the core ledger's `markPvtEligible`); called on the channel's commit queue. */
  markPvtEligible(collection: PvtCollectionName, limit: number): number;
  /**
   * Declares CouchDB index files over `namespace` (a chaincode's, or a collection's private values
   * namespace); idempotent. Throws `LedgerError` naming the file when one is not a valid index.
   */
  declareIndexes(namespace: string, files: readonly IndexFile[]): void;
  /** {@link declareIndexes} with the build off the node's thread where the store can; call it on the channel's commit queue. */
  declareIndexesInBackground(namespace: string, files: readonly IndexFile[]): Promise<void>;
  /**
   * Starts a snapshot of the ledger at its current height into `dir` (the core ledger's
   * `exportSnapshot`). Called by the snapshot manager between two commits; the committer holds
   * the next commit until `captured` resolves.
   */
  exportSnapshot(dir: string, extra?: readonly ExtraSnapshotFile[]): SnapshotExport;
  /** Where the chain starts for a ledger joined from a snapshot; undefined for one joined from a genesis block. */
  snapshotBootstrap(): SnapshotBootstrap | undefined;
  /**
   * Deletes the blocks up to a verified snapshot of this ledger while the peer serves (the core
   * ledger's `pruneOnline`); absent when the ledger plugin cannot.
   */
  pruneOnline?(bootstrap: SnapshotBootstrap, configHistory: readonly ConfigHistoryEntry[], options: OnlinePruneSteps): Promise<StoreOnlinePruneResult>;
  /** The newest committed channel config's `ConfigEnvelope` bytes kept in state, if any. */
  channelConfigEnvelope(): Uint8Array | undefined;
  /** The collection config history imported with the ledger's snapshot (the core ledger's `importedConfigHistory`); [] when none. */
  importedConfigHistory(): readonly ConfigHistoryEntry[];
  close(): void;
}
