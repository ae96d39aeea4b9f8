import type { peer } from '@hyperledger/fabric-protos';
import { blockHeaderHash } from '../../../core/protocol/block';
import { toHex } from '../../../core/protocol/bytes';
import { headerTypeName } from '../../../core/protocol/header';
import { validationCodeName } from '../../../core/protocol/validation-codes';
import { blockToJson } from '../block/block-json';

/** One committed block as `weft block events` prints it. */
export interface BlockSummary {
  readonly number: number;
  /** The header's hash (the next block's previousHash); a filtered block carries no header. */
  readonly hash?: string;
  readonly previousHash?: string;
  /** Set for Fabric's filtered blocks (DeliverFiltered). */
  readonly filtered?: true;
  readonly transactionCount: number;
  readonly transactions: readonly TransactionSummary[];
}

export interface TransactionSummary {
  readonly index: number;
  /** Empty for a transaction without one (a config block's envelope, an undecodable one). */
  readonly txId: string;
  readonly type: string;
  readonly validationCode: string;
}

/** A full block (its bytes), decoded by `weft block show`'s decoder. */
export function summariseBlock(bytes: Uint8Array): BlockSummary {
  const json = blockToJson(bytes);
  const hash = blockHeaderHash({ number: json.number, previousHash: Buffer.from(json.previousHash, 'hex'), dataHash: Buffer.from(json.dataHash, 'hex') });
  return {
    number: json.number,
    hash: toHex(hash),
    previousHash: json.previousHash,
    transactionCount: json.transactions.length,
    transactions: json.transactions.map((t) => ({ index: t.index, txId: t.txId, type: t.type, validationCode: t.validationCode })),
  };
}

/** A filtered block: transaction ids, types and codes, as the peer's DeliverFiltered sends them. */
export function summariseFilteredBlock(block: peer.FilteredBlock): BlockSummary {
  const txs = block.getFilteredTransactionsList();
  return {
    number: block.getNumber(),
    filtered: true,
    transactionCount: txs.length,
    transactions: txs.map((t, index) => ({ index, txId: t.getTxid(), type: headerTypeName(t.getType()), validationCode: validationCodeName(t.getTxValidationCode()) })),
  };
}

/** Text output: a line for the block, an indented line per transaction. */
export function blockSummaryLines(s: BlockSummary): string[] {
  const count = `${s.transactionCount} transaction${s.transactionCount === 1 ? '' : 's'}`;
  const head = s.hash === undefined ? `block ${s.number} ${count}` : `block ${s.number} hash ${s.hash} ${count}`;
  return [head, ...s.transactions.map((t) => `  ${t.txId === '' ? '(no id)' : t.txId} ${t.type} ${t.validationCode}`)];
}
