import type { BlockHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { LedgerError } from '../errors';
import { blockHeaderHash } from '../protocol/block';
import { bytesEqual, toHex } from '../protocol/bytes';
import type { SnapshotBootstrap } from './snapshot';
import { type ConfigHistoryEntry, SNAPSHOT_CONFIG_HISTORY_KEY, SNAPSHOT_CONFIG_HISTORY_NAMESPACE, storedConfigHistory } from './snapshot-config-history';
import type { StateUpdate } from './versioned-state-store';

/** What `KvLedger.prune` checks of its ledger before anything is written. */
export interface PruneTarget {
  readonly channelId: string;
  readonly height: number;
  readonly firstBlockNumber: number;
  /** The header of a held block. */
  header(blockNum: number): BlockHeader | undefined;
}

/**
 * Throws `LEDGER_BAD_PRUNE` naming the field unless `bootstrap` names a block the ledger holds, by
 * number and both hashes: a snapshot of another chain (or a forged one) must not cut this one.
 */
export function checkPruneTarget(ledger: PruneTarget, bootstrap: SnapshotBootstrap): void {
  const { channelId, height, firstBlockNumber } = ledger;
  const last = bootstrap.lastBlockNumber;
  const bad = (field: string, why: string): LedgerError =>
    new LedgerError('LEDGER_BAD_PRUNE', `channel ${channelId}: cannot prune through block ${last}: ${why}`, { channelId, field, lastBlockNumber: last, height });
  if (!Number.isSafeInteger(last) || last < 0 || last >= height) throw bad('lastBlockNumber', `it is not a block of this ledger (newest ${height - 1})`);
  if (last < firstBlockNumber) throw bad('lastBlockNumber', `the ledger holds no block at or below ${firstBlockNumber - 1} already`);
  const header = ledger.header(last);
  if (header === undefined) throw new LedgerError('LEDGER_CORRUPT', `channel ${channelId}: stored block ${last} has no header`, { blockNum: last });
  const hash = blockHeaderHash(header);
  if (!bytesEqual(hash, bootstrap.lastBlockHash)) {
    throw bad('lastBlockHash', `the snapshot's block ${last} has hash ${toHex(bootstrap.lastBlockHash)}, this ledger's block ${last} has ${toHex(hash)}: the snapshot is not of this ledger`);
  }
  if (!bytesEqual(header.getPreviousHash_asU8(), bootstrap.previousBlockHash)) {
    throw bad('previousBlockHash', `the snapshot says block ${last}'s previous hash is ${toHex(bootstrap.previousBlockHash)}, this ledger's block says ${toHex(header.getPreviousHash_asU8())}`);
  }
}

/**
 * The state row a snapshot import writes for the collection config history (entries up to the
 * snapshot's block), or its deletion when there are none but a row is there; undefined when nothing
 * is to change.
 */
export function importedHistoryUpdate(entries: readonly ConfigHistoryEntry[], lastBlockNumber: number, rowExists: boolean): StateUpdate | undefined {
  const kept = entries.filter((e) => e.blockNum <= lastBlockNumber);
  if (kept.length === 0 && !rowExists) return undefined;
  return {
    namespace: SNAPSHOT_CONFIG_HISTORY_NAMESPACE,
    key: SNAPSHOT_CONFIG_HISTORY_KEY,
    value: kept.length === 0 ? undefined : storedConfigHistory(kept),
    version: { blockNum: 0, txNum: 0 },
  };
}
