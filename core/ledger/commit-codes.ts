import { type Block, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { LedgerError } from '../errors';
import { getTransactionsFilter } from '../protocol/block';
import type { LedgerTx } from './block-txs';

/** `LEDGER_BAD_BLOCK`: a block a commit refuses, nothing written. */
export function badBlock(channelId: string, message: string, details: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('LEDGER_BAD_BLOCK', `channel ${channelId}: ${message}`, { channelId, ...details });
}

/**
 * The codes a commit starts from: the committer's (one `TxValidationCode` per transaction), else
 * the block's TRANSACTIONS_FILTER when it has one per transaction, else every transaction VALID.
 */
export function initialValidationCodes(channelId: string, block: Block, count: number, given: readonly number[] | undefined): number[] {
  if (given !== undefined) {
    if (given.length !== count || given.some((c) => !Number.isInteger(c) || c < 0 || c > 255)) {
      throw badBlock(channelId, `validationCodes must hold ${count} TxValidationCode values (0..255), received ${given.length}`);
    }
    return [...given];
  }
  const filter = getTransactionsFilter(block);
  return filter.length === count ? [...filter] : new Array<number>(count).fill(TxValidationCode.VALID);
}

/**
 * Fabric's peer marks these before the ledger sees the block; the ledger re-checks them so its txid
 * index stays first-wins and nothing undecodable applies. `committed`: whether the ledger holds a
 * transaction with this id already.
 */
export function markUndecodableAndDuplicates(txs: readonly LedgerTx[], codes: number[], committed: (txId: string) => boolean): void {
  const seen = new Set<string>();
  for (const tx of txs) {
    if (codes[tx.txNum] !== TxValidationCode.VALID) continue;
    if (tx.error !== undefined) codes[tx.txNum] = TxValidationCode.BAD_PAYLOAD;
    else if (tx.headerType === HeaderType.ENDORSER_TRANSACTION && (tx.txId === '' || seen.has(tx.txId) || committed(tx.txId))) {
      codes[tx.txNum] = TxValidationCode.DUPLICATE_TXID;
    }
    if (tx.txId !== '') seen.add(tx.txId);
  }
}
