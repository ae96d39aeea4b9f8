import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { LedgerError } from '../errors';
import { blockDataHash, blockHeaderHash, setTransactionsFilter } from '../protocol/block';
import { bytesEqual, toHex } from '../protocol/bytes';
import { decodeLedgerTx } from './block-txs';
import type { BlockchainInfo, CommitResult, CommitSeconds, IndexFile, Ledger, TransactionInfo } from './ledger';
import type { LedgerOptions } from './ledger-options';
import type { ChannelLedgerStore, OnlinePruneOptions, StoreCommitSeconds, StoreOnlinePruneResult, StorePruneResult } from './ledger-store-provider';
import { MvccValidator } from './mvcc-validator';
import { badBlock, initialValidationCodes, markUndecodableAndDuplicates } from './commit-codes';
import { replayMissingBlocks } from './ledger-recovery';
import { QueryExecutorImpl } from './query-executor-impl';
import { describeArgument, indexDefinitions } from './index-files';
import type { QueryExecutor, TxSimulator } from './tx-simulator';
import { configStateUpdates, missingConfigUpdate } from './channel-config-state';
import { CHANNEL_CONFIG_KEY, CHANNEL_CONFIG_NAMESPACE, type ExtraSnapshotFile, type SnapshotBootstrap, type SnapshotExport, type SnapshotMetadata } from './snapshot';
import { type ConfigHistoryEntry, readImportedConfigHistory, SNAPSHOT_CONFIG_HISTORY_KEY, SNAPSHOT_CONFIG_HISTORY_NAMESPACE } from './snapshot-config-history';
import { checkPruneTarget, importedHistoryUpdate } from './ledger-prune';
import { exportSnapshot } from './snapshot-export';
import { snapshotPvtUpdates } from './snapshot-pvt-updates';
import { TxSimulatorImpl } from './tx-simulator-impl';
import { decodeStoredBlock, envelopeAt } from './stored-block';
import { type BlockPvtData, groupByTx, KEEP_FOREVER, type MissingPvtData, type MissingPvtEntry, type PrivateDataPolicy } from './private-data';
import type { OldPvtDataResult, PvtCollectionName } from './pvt-reconcile';
import { CommittedPvtData } from './committed-pvt-data';
import { carriesCommitHash, nextCommitHash, setCommitHash, storedCommitHash, updateBatchBytes } from './commit-hash';

/**
 * A channel ledger over a {@link ChannelLedgerStore}: the core's commit path (decode, MVCC, filter,
 * one store commit per block), Fabric's startup recovery and `rebuild`. The store holds no logic.
 */
export class KvLedger implements Ledger {
  private lastHash: Uint8Array | undefined;
  private lastPreviousHash: Uint8Array | undefined;
  /** The newest block's commit hash (see `commit-hash.ts`); empty while the ledger keeps none. */
  private commitHash: Uint8Array = new Uint8Array(0);
  /**
   * Set when a commit stored its block but neither the state nor the replay that followed could be
   * written (a full disk): the next commit replays first, so a committer that retries once space is
   * freed resumes without a restart.
   */
  private replayPending = false;
  /** Set for a ledger created from a snapshot or pruned ({@link prune}): it holds no block at or below `lastBlockNumber`. */
  private bootstrap: SnapshotBootstrap | undefined;
  /** See {@link fillConfigInState}; every later config block's commit keeps the state's config current. */
  private configChecked = false;
  private readonly pvt: CommittedPvtData;

  constructor(
    readonly channelId: string,
    private readonly store: ChannelLedgerStore,
    private readonly options: LedgerOptions,
    private readonly onClose: () => void = () => undefined,
    private readonly pvtPolicy: PrivateDataPolicy = KEEP_FOREVER,
  ) {
    this.pvt = new CommittedPvtData(channelId, store);
    const stored: SnapshotBootstrap | undefined = store.bootstrap?.();
    // The commit hash is the ledger's own state, not part of what `snapshotBootstrap` reports.
    this.bootstrap =
      stored === undefined ? undefined : { lastBlockNumber: stored.lastBlockNumber, lastBlockHash: stored.lastBlockHash, previousBlockHash: stored.previousBlockHash, snapshotHash: stored.snapshotHash };
    this.recover();
    const last = store.blocks.height() - 1;
    const fromSnapshot = this.bootstrap === undefined ? undefined : snapshotPvtUpdates(store.state, pvtPolicy, this.bootstrap.lastBlockNumber);
    if (fromSnapshot !== undefined) store.applyUpdates(last, fromSnapshot, undefined);
    if (this.bootstrap !== undefined && last === this.bootstrap.lastBlockNumber) {
      this.lastHash = this.bootstrap.lastBlockHash;
      this.lastPreviousHash = this.bootstrap.previousBlockHash;
      this.commitHash = stored?.lastBlockCommitHash ?? new Uint8Array(0);
      return;
    }
    if (last >= 0) this.takeLastBlock(last);
  }

  /** Takes the chain's hashes from stored block `blockNum`, the newest: at open and after a rollback. */
  private takeLastBlock(blockNum: number): void {
    const block = this.getBlockByNumber(blockNum);
    const header = block?.getHeader();
    if (block === undefined || header === undefined) throw new LedgerError('LEDGER_CORRUPT', `channel ${this.channelId}: stored block ${blockNum} has no header`, { blockNum });
    this.lastHash = blockHeaderHash(header);
    this.lastPreviousHash = header.getPreviousHash_asU8();
    this.commitHash = storedCommitHash(this.channelId, block);
  }

  getBlockchainInfo(): BlockchainInfo {
    return { height: this.height(), currentBlockHash: this.lastHash ?? new Uint8Array(0), previousBlockHash: this.lastPreviousHash ?? new Uint8Array(0) };
  }

  height(): number {
    return this.store.blocks.height();
  }

  getBlockByNumber(blockNum: number): Block | undefined {
    const bytes = this.store.blocks.getBlockBytes(blockNum);
    return bytes === undefined ? undefined : decodeStoredBlock(this.channelId, blockNum, bytes);
  }

  getBlockByHash(hash: Uint8Array): Block | undefined {
    const num = this.store.blocks.getBlockNumberByHash(hash);
    return num === undefined ? undefined : this.getBlockByNumber(num);
  }

  getTransactionById(txId: string): TransactionInfo | undefined {
    if (typeof txId !== 'string' || txId === '') return undefined;
    const loc = this.store.blocks.getTxLocation(txId);
    if (loc === undefined) return undefined;
    if (loc.fromSnapshot === true) return { txId, blockNum: loc.blockNum, txNum: loc.txNum, validationCode: loc.validationCode, envelope: new Uint8Array(0), fromSnapshot: true };
    const bytes = this.store.blocks.getBlockBytes(loc.blockNum);
    const envelope = bytes === undefined ? undefined : envelopeAt(bytes, loc.txNum);
    if (envelope === undefined) {
      throw new LedgerError('LEDGER_CORRUPT', `channel ${this.channelId}: txid index points at block ${loc.blockNum} tx ${loc.txNum}, which does not exist`, {
        txId,
        ...loc,
      });
    }
    return { txId, blockNum: loc.blockNum, txNum: loc.txNum, validationCode: loc.validationCode, envelope };
  }

  newTxSimulator(txId: string): TxSimulator {
    if (typeof txId !== 'string' || txId === '') {
      throw new LedgerError('LEDGER_BAD_TXID', `channel ${this.channelId}: newTxSimulator(txId) needs the transaction's id, a non-empty string; received ${describeArgument(txId)}`, {
        channelId: this.channelId,
      });
    }
    return new TxSimulatorImpl(txId, this.store.state, this.store.history, this.options);
  }

  newQueryExecutor(): QueryExecutor {
    return new QueryExecutorImpl(this.store.state, this.store.history, this.options);
  }

  commit(block: Block, validationCodes?: readonly number[], pvtData?: BlockPvtData): CommitResult {
    const started = performance.now();
    // Duck-typed: a block built with another copy of fabric-protos is still a common.Block.
    if (typeof (block as Partial<Block> | undefined)?.getHeader !== 'function' || typeof block.serializeBinary !== 'function') {
      throw badBlock(this.channelId, 'commit expects a common.Block');
    }
    const header = block.getHeader();
    if (header === undefined) throw badBlock(this.channelId, 'block.header is missing');
    this.replayIfPending();
    const blockNum = header.getNumber();
    const height = this.height();
    if (blockNum !== height) {
      throw new LedgerError('LEDGER_BLOCK_OUT_OF_ORDER', `channel ${this.channelId}: expected block ${height}, received block ${blockNum}`, {
        channelId: this.channelId,
        expected: height,
        got: blockNum,
      });
    }
    const envelopes = block.getData()?.getDataList_asU8() ?? [];
    if (this.lastHash !== undefined && !bytesEqual(header.getPreviousHash_asU8(), this.lastHash)) {
      throw badBlock(this.channelId, `block ${blockNum} previous_hash ${toHex(header.getPreviousHash_asU8())} does not match block ${height - 1} (${toHex(this.lastHash)})`, {
        blockNum,
      });
    }
    if (!bytesEqual(header.getDataHash_asU8(), blockDataHash(envelopes))) {
      throw badBlock(this.channelId, `block ${blockNum} data_hash does not match its ${envelopes.length} envelopes`, { blockNum });
    }
    const codes = initialValidationCodes(this.channelId, block, envelopes.length, validationCodes);
    const txs = envelopes.map((e, i) => decodeLedgerTx(e, i));
    markUndecodableAndDuplicates(txs, codes, (txId) => this.store.blocks.getTxLocation(txId) !== undefined);
    // What the store kept for this number from before a rollback, when the block comes back.
    const kept = this.store.pvtData(blockNum);
    const pvt = { data: pvtData, policy: this.pvtPolicy, ...(kept.length > 0 ? { kept: groupByTx(kept) } : {}) };
    const updates = MvccValidator.validate(this.store.state, this.options, blockNum, txs, codes, false, pvt);
    const filter = Uint8Array.from(updates.codes);
    setTransactionsFilter(block, filter);
    // In the block's bytes, so the block and its hash are stored in one write, and a replay finds it there.
    const commitHash = carriesCommitHash(blockNum, this.commitHash) ? nextCommitHash(filter, updateBatchBytes(blockNum, updates.state, txs, updates.codes), this.commitHash) : undefined;
    if (commitHash !== undefined) setCommitHash(block, commitHash);
    const blockHash = blockHeaderHash(header);
    const processed = performance.now();
    let stored: StoreCommitSeconds | void = undefined;
    try {
      stored = this.store.commit({
        blockNum,
        blockHash,
        blockBytes: block.serializeBinary(),
        txs: txs.map((t) => ({ txId: t.txId, txNum: t.txNum, validationCode: updates.codes[t.txNum] })),
        state: [...updates.state, ...configStateUpdates(blockNum, envelopes, txs, updates.codes)],
        history: updates.history,
        pvtData: updates.pvtData,
        pvtPurges: updates.pvtPurges,
      });
    } catch (e) {
      if (this.store.blocks.height() <= blockNum) throw e;
      // The block is stored but state or history did not follow (a store that commits them
      // separately): replay them now, as at open, rather than leave the ledger stuck until a restart.
      this.lastHash = blockHash;
      this.lastPreviousHash = header.getPreviousHash_asU8();
      if (commitHash !== undefined) this.commitHash = commitHash;
      try {
        this.recover();
      } catch {
        this.replayPending = true;
        throw e;
      }
    }
    this.lastHash = blockHash;
    this.lastPreviousHash = header.getPreviousHash_asU8();
    if (commitHash !== undefined) this.commitHash = commitHash;
    const processing = (processed - started) / 1000;
    const seconds: CommitSeconds = stored
      ? { processing, storageCommit: stored.blocks, stateCommit: stored.state }
      : { processing, storageCommit: (performance.now() - processed) / 1000 };
    return { blockNum, validationCodes: updates.codes, seconds, pvtMissing: updates.pvtMissing, conflicts: updates.conflicts };
  }

  getPrivateDataByBlock(blockNum: number): ReadonlyMap<number, Uint8Array> {
    return this.pvt.getPrivateDataByBlock(blockNum);
  }

  missingPvtData(limit: number, after?: MissingPvtData & { readonly blockNum: number }): MissingPvtEntry[] {
    return this.pvt.missingPvtData(limit, after);
  }

  ineligiblePvtCollections(): PvtCollectionName[] {
    return this.pvt.ineligiblePvtCollections();
  }

  markPvtEligible(collection: PvtCollectionName, limit: number): number {
    return this.pvt.markPvtEligible(collection, limit);
  }

  commitPvtDataOfOldBlocks(data: ReadonlyMap<number, BlockPvtData>): OldPvtDataResult {
    return this.pvt.commitPvtDataOfOldBlocks(data);
  }

  declareIndexes(namespace: string, files: readonly IndexFile[]): void {
    for (const d of indexDefinitions(namespace, files)) this.store.state.declareIndex(namespace, d);
  }

  async declareIndexesInBackground(namespace: string, files: readonly IndexFile[]): Promise<void> {
    const { state } = this.store;
    for (const d of indexDefinitions(namespace, files)) {
      if (state.declareIndexInBackground === undefined) state.declareIndex(namespace, d);
      else await state.declareIndexInBackground(namespace, d);
    }
  }

  rebuild(onProgress?: (applied: number, height: number) => void): void {
    this.refuseIfBootstrapped('rebuild');
    this.store.resetStateAndHistory();
    this.recover(onProgress);
  }

  rollback(blockNum: number, onProgress?: (applied: number, height: number) => void): void {
    this.refuseIfBootstrapped('rollback');
    const newest = this.height() - 1;
    if (!Number.isSafeInteger(blockNum) || blockNum < 0 || blockNum >= newest) {
      throw new LedgerError('LEDGER_BAD_ROLLBACK', `channel ${this.channelId}: a rollback target must be a block below the newest (${newest}), got ${blockNum}`, {
        channelId: this.channelId,
        blockNum,
        newest,
      });
    }
    if (this.store.truncateBlocks === undefined) {
      throw new LedgerError('LEDGER_ROLLBACK_UNSUPPORTED', `channel ${this.channelId}: this ledger plugin cannot delete blocks, so it cannot roll back`, {
        channelId: this.channelId,
      });
    }
    // State and history go first: until the blocks are gone, a crash leaves a ledger whose next
    // open replays all of them, never state ahead of its blocks. The store keeps the later blocks'
    // private data, for their commit when they come back (see `PvtInput.kept`).
    this.store.resetStateAndHistory();
    this.store.truncateBlocks(blockNum + 1);
    this.takeLastBlock(blockNum);
    this.recover(onProgress);
  }

  exportSnapshot(dir: string, extra: readonly ExtraSnapshotFile[] = []): SnapshotExport {
    this.replayIfPending();
    this.fillConfigInState();
    const info: BlockchainInfo & Pick<SnapshotMetadata, 'lastBlockCommitHash'> = { ...this.getBlockchainInfo(), ...(this.commitHash.length > 0 ? { lastBlockCommitHash: this.commitHash } : {}) };
    return exportSnapshot(this.channelId, this.store, info, dir, extra);
  }

  /**
   * A ledger committed before the config was kept in state lacks it (or holds an older one): it is
   * written from the newest config block, once per open, before anything reads it. Not at open: the
   * open then reads no state, so a damaged page is found by the read that needs it.
   */
  private fillConfigInState(): void {
    if (this.configChecked || this.bootstrap !== undefined) return;
    const last = this.height() - 1;
    const lastBlock = last < 0 ? undefined : this.getBlockByNumber(last);
    const config = lastBlock === undefined ? undefined : missingConfigUpdate(this.store.state, lastBlock, (n) => this.getBlockByNumber(n));
    if (config !== undefined) this.store.applyUpdates(last, [config], undefined);
    this.configChecked = true;
  }

  snapshotBootstrap(): SnapshotBootstrap | undefined {
    return this.bootstrap;
  }

  /**
   * `weft peer prune` (peer stopped): deletes the blocks up to `bootstrap.lastBlockNumber`, the last
   * block of a verified snapshot of this ledger, so the ledger is from then on the one a join from
   * that snapshot would have made, later blocks, state, private data and history kept. `configHistory`
   * is the snapshot's collection config history (its `confighistory.*` files): with the blocks gone
   * it answers for the collections below the snapshot's block, as for a snapshot-joined ledger.
   * Throws `LEDGER_BAD_PRUNE` naming the field (block not below the height, not above an earlier
   * prune or snapshot, or whose hashes differ from the snapshot's: not a snapshot of this chain),
   * `LEDGER_PRUNE_UNSUPPORTED` without the store's `pruneBlocks`; writes nothing then.
   */
  prune(bootstrap: SnapshotBootstrap, configHistory: readonly ConfigHistoryEntry[], options: { readonly vacuum: boolean }): StorePruneResult {
    const pruneBlocks = this.preparePrune(bootstrap, configHistory, this.store.pruneBlocks);
    const result = pruneBlocks.call(this.store, this.withCommitHash(bootstrap), options);
    this.bootstrap = bootstrap;
    return result;
  }

  /**
   * {@link prune} of a serving ledger (no vacuum), through the store's `pruneBlocksOnline`: commits
   * and reads go on between its steps, and from its first step on the ledger answers as pruned
   * (`snapshotBootstrap`), though blocks at or below it may still be on disk for a while. Throws as
   * `prune`, and `LEDGER_PRUNE_UNSUPPORTED` without `pruneBlocksOnline`.
   */
  async pruneOnline(
    bootstrap: SnapshotBootstrap,
    configHistory: readonly ConfigHistoryEntry[],
    options: Omit<OnlinePruneOptions, 'onCut'>,
  ): Promise<StoreOnlinePruneResult> {
    const pruneOnline = this.preparePrune(bootstrap, configHistory, this.store.pruneBlocksOnline);
    return pruneOnline.call(this.store, this.withCommitHash(bootstrap), { ...options, onCut: () => (this.bootstrap = bootstrap) });
  }

  /**
   * A prune's bootstrap with the commit hash of its block, read from the block before it goes: a
   * ledger pruned through its newest block reopens with it, as one created from the snapshot would.
   */
  private withCommitHash(bootstrap: SnapshotBootstrap): SnapshotBootstrap {
    const block = this.getBlockByNumber(bootstrap.lastBlockNumber);
    const commitHash = block === undefined ? new Uint8Array(0) : storedCommitHash(this.channelId, block);
    return { ...bootstrap, ...(commitHash.length > 0 ? { lastBlockCommitHash: commitHash } : {}) };
  }

  /** The checks and state writes both prunes make first; returns the store's method to call next. */
  private preparePrune<F>(bootstrap: SnapshotBootstrap, configHistory: readonly ConfigHistoryEntry[], storeMethod: F | undefined): F {
    if (storeMethod === undefined) {
      throw new LedgerError('LEDGER_PRUNE_UNSUPPORTED', `channel ${this.channelId}: this ledger plugin cannot delete old blocks, so it cannot prune`, { channelId: this.channelId });
    }
    this.replayIfPending();
    checkPruneTarget({ channelId: this.channelId, height: this.height(), firstBlockNumber: this.firstBlockNumber(), header: (n) => this.getBlockByNumber(n)?.getHeader() }, bootstrap);
    // Written to state before the blocks go, and harmless if the prune never follows: the config
    // is the one the blocks say, and imported history counts only below the bootstrap's block.
    this.fillConfigInState();
    const { state } = this.store;
    const history = importedHistoryUpdate(configHistory, bootstrap.lastBlockNumber, state.get(SNAPSHOT_CONFIG_HISTORY_NAMESPACE, SNAPSHOT_CONFIG_HISTORY_KEY) !== undefined);
    if (history !== undefined) this.store.applyUpdates(this.height() - 1, [history], undefined);
    return storeMethod;
  }

  firstBlockNumber(): number {
    return this.bootstrap === undefined ? 0 : this.bootstrap.lastBlockNumber + 1;
  }

  channelConfigEnvelope(): Uint8Array | undefined {
    this.fillConfigInState();
    return this.store.state.get(CHANNEL_CONFIG_NAMESPACE, CHANNEL_CONFIG_KEY)?.value;
  }

  importedConfigHistory(): readonly ConfigHistoryEntry[] {
    const bootstrap = this.bootstrap;
    if (bootstrap === undefined) return [];
    // A prune interrupted before its blocks went leaves the new history in state: above the
    // bootstrap's block the blocks this ledger holds answer.
    return readImportedConfigHistory((ns, key) => this.store.state.get(ns, key)).filter((e) => e.blockNum <= bootstrap.lastBlockNumber);
  }

  /** Fabric refuses rollback, reset and rebuild-dbs for a ledger bootstrapped from a snapshot (or pruned to one): the blocks to replay are not here. */
  private refuseIfBootstrapped(operation: string): void {
    if (this.bootstrap === undefined) return;
    throw new LedgerError(
      'LEDGER_BOOTSTRAPPED_FROM_SNAPSHOT',
      `channel ${this.channelId}: cannot ${operation} a ledger created from or pruned to a snapshot (it holds no block at or below ${this.bootstrap.lastBlockNumber})`,
      { channelId: this.channelId, operation, lastBlockNumber: this.bootstrap.lastBlockNumber },
    );
  }

  close(): void {
    this.store.close();
    this.onClose();
  }

  /** Replays first what a commit that failed halfway left without state (see `replayPending`). */
  private replayIfPending(): void {
    if (!this.replayPending) return;
    this.recover();
    this.replayPending = false;
  }

  /** Fabric's startup recovery (see {@link replayMissingBlocks}). */
  private recover(onProgress?: (applied: number, height: number) => void): void {
    replayMissingBlocks({ channelId: this.channelId, store: this.store, options: this.options, pvtPolicy: this.pvtPolicy, bootstrap: this.bootstrap }, onProgress);
  }
}
