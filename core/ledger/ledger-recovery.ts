import { LedgerError } from '../errors';
import { getTransactionsFilter } from '../protocol/block';
import { decodeLedgerTx } from './block-txs';
import { configStateUpdates } from './channel-config-state';
import type { LedgerOptions } from './ledger-options';
import type { ChannelLedgerStore } from './ledger-store-provider';
import { MvccValidator } from './mvcc-validator';
import { groupByTx, type PrivateDataPolicy } from './private-data';
import type { SnapshotBootstrap } from './snapshot';
import { decodeStoredBlock } from './stored-block';

/** The ledger a replay works on. */
export interface ReplayTarget {
  readonly channelId: string;
  readonly store: ChannelLedgerStore;
  readonly options: LedgerOptions;
  readonly pvtPolicy: PrivateDataPolicy;
  /** Where the blocks start, for a ledger created from or pruned to a snapshot. */
  readonly bootstrap: SnapshotBootstrap | undefined;
}

/**
 * Fabric's startup recovery: re-applies the stored blocks the state or history has not seen (a
 * crash between the block store's commit and theirs, a rebuild that dropped them), each to the
 * stores behind it, with the validation codes the block was stored with. Throws `LEDGER_CORRUPT`
 * when state or history is ahead of the blocks, or behind a snapshot's block with nothing to replay.
 */
export function replayMissingBlocks(target: ReplayTarget, onProgress?: (applied: number, height: number) => void): void {
  const { channelId, store, bootstrap } = target;
  const height = store.blocks.height();
  const stateAt = store.state.savepoint();
  const historyAt = store.history.savepoint();
  if (stateAt > height || historyAt > height) {
    throw new LedgerError('LEDGER_CORRUPT', `channel ${channelId}: state (at ${stateAt}) or history (at ${historyAt}) is ahead of the block store (height ${height})`, {
      height,
      stateSavepoint: stateAt,
      historySavepoint: historyAt,
    });
  }
  if (bootstrap !== undefined && Math.min(stateAt, historyAt) <= bootstrap.lastBlockNumber) {
    throw new LedgerError(
      'LEDGER_CORRUPT',
      `channel ${channelId}: the state or history as of block ${bootstrap.lastBlockNumber}, where the ledger starts (joined from a snapshot at it, or pruned to it), is gone (savepoints ${stateAt}, ${historyAt}), and the blocks to rebuild it are not here: join the channel again from a snapshot`,
      { height, stateSavepoint: stateAt, historySavepoint: historyAt, lastBlockNumber: bootstrap.lastBlockNumber },
    );
  }
  for (let n = Math.min(stateAt, historyAt); n < height; n++) {
    const bytes = store.blocks.getBlockBytes(n);
    if (bytes === undefined) throw new LedgerError('LEDGER_CORRUPT', `channel ${channelId}: block ${n} is missing below height ${height}`, { blockNum: n });
    const block = decodeStoredBlock(channelId, n, bytes);
    const envelopes = block.getData()?.getDataList_asU8() ?? [];
    const filter = getTransactionsFilter(block);
    if (filter.length !== envelopes.length) {
      throw new LedgerError('LEDGER_CORRUPT', `channel ${channelId}: stored block ${n} has ${filter.length} validation flags for ${envelopes.length} transactions`, {
        blockNum: n,
      });
    }
    const txs = envelopes.map((e, i) => decodeLedgerTx(e, i));
    const updates = MvccValidator.validate(store.state, target.options, n, txs, [...filter], true, {
      data: groupByTx(store.pvtData(n)),
      policy: target.pvtPolicy,
      fromStore: true,
    });
    const state = [...updates.state, ...configStateUpdates(n, envelopes, txs, filter)];
    store.applyUpdates(n, n >= stateAt ? state : undefined, n >= historyAt ? updates.history : undefined);
    onProgress?.(n + 1, height);
  }
}
