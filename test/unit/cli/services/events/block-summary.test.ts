import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { FilteredBlock, FilteredTransaction } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { blockSummaryLines, summariseBlock, summariseFilteredBlock } from '../../../../../cli/services/events/block-summary';
import { buildRwSetEnvelope } from '../../../../../core/ledger/test-blocks';
import { blockHeaderHash, newBlock, setTransactionsFilter } from '../../../../../core/protocol/block';
import { toHex } from '../../../../../core/protocol/bytes';

describe('block events summaries', () => {
  it("summarise a full block: its header's hash, each transaction's id, type and code", () => {
    const block = newBlock(4, new Uint8Array(32).fill(7), ['tx0', 'tx1'].map((txId) => buildRwSetEnvelope({ txId, rwset: new Uint8Array(0) })));
    setTransactionsFilter(block, Uint8Array.of(TxValidationCode.VALID, TxValidationCode.MVCC_READ_CONFLICT));
    const s = summariseBlock(block.serializeBinary());
    expect(s).toEqual({
      number: 4,
      hash: toHex(blockHeaderHash(block.getHeader()!)),
      previousHash: '07'.repeat(32),
      transactionCount: 2,
      transactions: [
        { index: 0, txId: 'tx0', type: 'ENDORSER_TRANSACTION', validationCode: 'VALID' },
        { index: 1, txId: 'tx1', type: 'ENDORSER_TRANSACTION', validationCode: 'MVCC_READ_CONFLICT' },
      ],
    });
    expect(blockSummaryLines(s)).toEqual([`block 4 hash ${s.hash} 2 transactions`, '  tx0 ENDORSER_TRANSACTION VALID', '  tx1 ENDORSER_TRANSACTION MVCC_READ_CONFLICT']);
  });

  it('summarise a filtered block: no header, so no hash', () => {
    const fb = new FilteredBlock();
    fb.setNumber(9);
    fb.setChannelId('mychannel');
    const tx = new FilteredTransaction();
    tx.setTxid('tx9');
    tx.setType(HeaderType.ENDORSER_TRANSACTION);
    tx.setTxValidationCode(TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    fb.setFilteredTransactionsList([tx]);
    const s = summariseFilteredBlock(fb);
    expect(s).toEqual({ number: 9, filtered: true, transactionCount: 1, transactions: [{ index: 0, txId: 'tx9', type: 'ENDORSER_TRANSACTION', validationCode: 'ENDORSEMENT_POLICY_FAILURE' }] });
    expect(blockSummaryLines(s)).toEqual(['block 9 1 transaction', '  tx9 ENDORSER_TRANSACTION ENDORSEMENT_POLICY_FAILURE']);
  });
});
