import { LedgerError } from '../errors';
import { describeArgument } from './index-files';
import { nextKey } from './ledger-keys';
import type { ChannelLedgerStore } from './ledger-store-provider';
import { type BlockPvtData, groupByTx, MISSING_NAMESPACE, type MissingPvtData, type MissingPvtEntry, missingKey, parseMissingEntry } from './private-data';
import { eligibilityUpdates, ineligibleCollections, type OldPvtDataResult, oldPvtDataUpdates, type PvtCollectionName, withCurrentBootHashes } from './pvt-reconcile';

/**
 * The private data of a channel's committed blocks, as {@link KvLedger} serves it: what a block
 * kept, what this peer lacks, and reconciliation's late values (the `Ledger` methods of the same
 * names say what each does and throws). Apart from the commit path, which writes a new block's
 * private data with the block: these run between commits, on blocks already there.
 */
export class CommittedPvtData {
  constructor(
    private readonly channelId: string,
    private readonly store: ChannelLedgerStore,
  ) {}

  getPrivateDataByBlock(blockNum: number): ReadonlyMap<number, Uint8Array> {
    if (!Number.isSafeInteger(blockNum) || blockNum < 0 || blockNum >= this.store.blocks.height()) return new Map();
    // A collection a purge emptied is kept for replay only: it holds nothing to give another peer.
    return groupByTx(this.store.pvtData(blockNum).filter((c) => c.rwset.length > 0));
  }

  missingPvtData(limit: number, after?: MissingPvtData & { readonly blockNum: number }): MissingPvtEntry[] {
    this.checkLimit('missingPvtData', limit);
    const start = after === undefined ? '' : nextKey(missingKey(after.blockNum, after.txNum, after.namespace, after.collection));
    const { state } = this.store;
    return state.getRange(MISSING_NAMESPACE, start, '', { limit }).map((r) => withCurrentBootHashes(state, parseMissingEntry(r.key, r.value)));
  }

  ineligiblePvtCollections(): PvtCollectionName[] {
    return ineligibleCollections(this.store.state);
  }

  markPvtEligible(collection: PvtCollectionName, limit: number): number {
    this.checkLimit('markPvtEligible', limit);
    const updates = eligibilityUpdates(this.store.state, collection, limit);
    const commit = this.oldPvtCommit();
    if (updates.length > 0) commit({ state: updates, pvtData: [], resolved: [] });
    return updates.length / 2;
  }

  commitPvtDataOfOldBlocks(data: ReadonlyMap<number, BlockPvtData>): OldPvtDataResult {
    const commit = this.oldPvtCommit();
    const height = this.store.blocks.height();
    for (const blockNum of data.keys()) {
      if (!Number.isSafeInteger(blockNum) || blockNum < 0 || blockNum >= height) {
        throw new LedgerError('LEDGER_BAD_ARGUMENT', `channel ${this.channelId}: private data for block ${blockNum}, which is not committed (height ${height})`, {
          channelId: this.channelId,
          argument: 'data',
          blockNum,
        });
      }
    }
    const updates = oldPvtDataUpdates(this.store.state, height, data);
    const { state, pvtData, resolved } = updates;
    if (state.length > 0 || pvtData.length > 0 || resolved.length > 0) commit({ state, pvtData, resolved });
    return { reconciled: updates.reconciled, ignored: updates.ignored };
  }

  private checkLimit(method: string, limit: number): void {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new LedgerError('LEDGER_BAD_ARGUMENT', `channel ${this.channelId}: ${method}(limit) needs a positive integer, received ${describeArgument(limit)}`, {
        channelId: this.channelId,
        argument: 'limit',
      });
    }
  }

  /** The store's `commitOldPvtData`; throws `LEDGER_RECONCILE_UNSUPPORTED` when it has none. */
  private oldPvtCommit(): NonNullable<ChannelLedgerStore['commitOldPvtData']> {
    const commit = this.store.commitOldPvtData?.bind(this.store);
    if (commit === undefined) {
      throw new LedgerError('LEDGER_RECONCILE_UNSUPPORTED', `channel ${this.channelId}: this ledger plugin cannot store private data of committed blocks`, { channelId: this.channelId });
    }
    return commit;
  }
}
