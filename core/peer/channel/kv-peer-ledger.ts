import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { TxLocation } from '../../ledger/block-store';
import { KvLedger } from '../../ledger/kv-ledger';
import type { IndexFile } from '../../ledger/ledger';
import type { LedgerOptions } from '../../ledger/ledger-options';
import type { ChannelLedgerStore, LedgerStoreProvider, StoreOnlinePruneResult } from '../../ledger/ledger-store-provider';
import type { ExtraSnapshotFile, SnapshotBootstrap, SnapshotExport } from '../../ledger/snapshot';
import type { ConfigHistoryEntry } from '../../ledger/snapshot-config-history';
import { StateLock } from '../../ledger/state-lock';
import { committedMetadata } from '../../ledger/state-metadata';
import type { QueryExecutor, TxSimulator } from '../../ledger/tx-simulator';
import type { VersionedValue } from '../../ledger/versioned-state-store';
import type { CommitResult, OnlinePruneSteps, PeerLedger } from './peer-ledger';
import type { BlockPvtData, MissingPvtEntry } from '../../ledger/private-data';
import type { OldPvtDataResult, PvtCollectionName } from '../../ledger/pvt-reconcile';
import { LifecycleCollectionPolicy } from '../privdata/collection-policy';

/**
 * The peer's view of a channel ledger: the core `KvLedger` for simulation and commit, plus direct
 * reads of its store for the hot paths that must not decode blocks (duplicate txid checks, key
 * metadata for key-level policies, block bytes for Deliver).
 */
export class KvPeerLedger implements PeerLedger {
  private readonly lock = new StateLock();

  private constructor(
    private readonly ledger: KvLedger,
    private readonly store: ChannelLedgerStore,
  ) {}

  /**
   * Opens (creating when missing) the channel's store and runs the ledger's startup recovery;
   * `localMspId` decides which collections' missing values are recorded for reconciliation.
   */
  static open(provider: LedgerStoreProvider, channelId: string, options: LedgerOptions, localMspId: string): KvPeerLedger {
    const store = provider.open(channelId);
    return new KvPeerLedger(new KvLedger(channelId, store, options, undefined, new LifecycleCollectionPolicy(store.state, localMspId)), store);
  }

  height(): number {
    return this.ledger.height();
  }
  getBlockBytes(blockNum: number): Uint8Array | undefined {
    return this.store.blocks.getBlockBytes(blockNum);
  }
  getBlockNumberByHash(hash: Uint8Array): number | undefined {
    return this.store.blocks.getBlockNumberByHash(hash);
  }
  getTxLocation(txId: string): TxLocation | undefined {
    return txId === '' ? undefined : this.store.blocks.getTxLocation(txId);
  }
  newTxSimulator(txId: string): TxSimulator {
    return this.ledger.newTxSimulator(txId);
  }
  async openTxSimulator(txId: string): Promise<TxSimulator> {
    const release = await this.lock.read(`simulation of transaction ${txId}`);
    let simulator: TxSimulator;
    try {
      simulator = this.ledger.newTxSimulator(txId);
    } catch (err) {
      release();
      throw err;
    }
    // The hold ends with the simulator, whoever calls done() and however often.
    const done = simulator.done.bind(simulator);
    simulator.done = (): void => {
      try {
        done();
      } finally {
        release();
      }
    };
    return simulator;
  }
  exclusive<T>(fn: () => T): Promise<T> {
    return this.lock.exclusive(fn);
  }
  newQueryExecutor(): QueryExecutor {
    return this.ledger.newQueryExecutor();
  }
  getVersionedState(namespace: string, key: string): VersionedValue | undefined {
    return this.store.state.get(namespace, key);
  }
  getStateMetadata(namespace: string, key: string): Uint8Array | undefined {
    return committedMetadata(this.store.state, namespace, key);
  }
  commit(block: Block, flags: Uint8Array, pvtData?: BlockPvtData): CommitResult {
    const result = this.ledger.commit(block, [...flags], pvtData);
    const blockBytes = this.store.blocks.getBlockBytes(result.blockNum) ?? block.serializeBinary();
    return { blockNum: result.blockNum, flags: Uint8Array.from(result.validationCodes), blockBytes, seconds: result.seconds, pvtMissing: result.pvtMissing, conflicts: result.conflicts };
  }
  getPrivateDataByBlock(blockNum: number): ReadonlyMap<number, Uint8Array> {
    return this.ledger.getPrivateDataByBlock(blockNum);
  }
  missingPvtData(limit: number, after?: MissingPvtEntry): MissingPvtEntry[] {
    return this.ledger.missingPvtData(limit, after);
  }
  commitPvtDataOfOldBlocks(data: ReadonlyMap<number, BlockPvtData>): OldPvtDataResult {
    return this.ledger.commitPvtDataOfOldBlocks(data);
  }
  ineligiblePvtCollections(): PvtCollectionName[] {
    return this.ledger.ineligiblePvtCollections();
  }
  markPvtEligible(collection: PvtCollectionName, limit: number): number {
    return this.ledger.markPvtEligible(collection, limit);
  }
  declareIndexes(namespace: string, files: readonly IndexFile[]): void {
    this.ledger.declareIndexes(namespace, files);
  }
  declareIndexesInBackground(namespace: string, files: readonly IndexFile[]): Promise<void> {
    return this.ledger.declareIndexesInBackground(namespace, files);
  }
  exportSnapshot(dir: string, extra?: readonly ExtraSnapshotFile[]): SnapshotExport {
    return this.ledger.exportSnapshot(dir, extra);
  }
  snapshotBootstrap(): SnapshotBootstrap | undefined {
    return this.ledger.snapshotBootstrap();
  }
  pruneOnline(bootstrap: SnapshotBootstrap, configHistory: readonly ConfigHistoryEntry[], options: OnlinePruneSteps): Promise<StoreOnlinePruneResult> {
    return this.ledger.pruneOnline(bootstrap, configHistory, options);
  }
  channelConfigEnvelope(): Uint8Array | undefined {
    return this.ledger.channelConfigEnvelope();
  }
  importedConfigHistory(): readonly ConfigHistoryEntry[] {
    return this.ledger.importedConfigHistory();
  }
  close(): void {
    this.ledger.close();
  }
}
