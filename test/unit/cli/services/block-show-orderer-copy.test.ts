import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { blockToJson, ORDERER_COPY_VALIDATION } from '../../../../cli/services/block/block-json';
import { setCommitHash } from '../../../../core/ledger/commit-hash';
import { buildRwSetEnvelope } from '../../../../core/ledger/test-blocks';
import { newBlock, setTransactionsFilter } from '../../../../core/protocol/block';

describe("weft block show of an orderer's copy (the peer's ACL refused qscc)", () => {
  const envelopes = ['tx0', 'tx1'].map((txId) => buildRwSetEnvelope({ txId, rwset: new Uint8Array(0) }));

  it('says the validation is unknown rather than reading flags no peer wrote, even flags that say VALID', () => {
    const block = newBlock(4, new Uint8Array(32), envelopes);
    setTransactionsFilter(block, Uint8Array.of(TxValidationCode.VALID, TxValidationCode.MVCC_READ_CONFLICT));
    const json = blockToJson(block.serializeBinary(), { validationUnknown: ORDERER_COPY_VALIDATION });
    expect(json.validation).toBe("unknown (orderer's copy: the peer's ACL refused qscc)");
    expect(json.transactions.map((t) => [t.txId, t.validationCode])).toEqual([
      ['tx0', 'UNKNOWN'],
      ['tx1', 'UNKNOWN'],
    ]);
    expect(json.transactions.every((t) => t.explanation === undefined)).toBe(true);
  });

  it("a peer's copy has no such field and keeps its codes", () => {
    const block = newBlock(4, new Uint8Array(32), envelopes);
    setTransactionsFilter(block, Uint8Array.of(TxValidationCode.VALID, TxValidationCode.MVCC_READ_CONFLICT));
    const json = blockToJson(block.serializeBinary());
    expect(json).not.toHaveProperty('validation');
    expect(json.transactions.map((t) => t.validationCode)).toEqual(['VALID', 'MVCC_READ_CONFLICT']);
  });
});

describe('weft block show: the commit hash', () => {
  const envelopes = [buildRwSetEnvelope({ txId: 'tx0', rwset: new Uint8Array(0) })];

  it("shows the committing peer's COMMIT_HASH metadata as hex", () => {
    const block = newBlock(4, new Uint8Array(32), envelopes);
    setCommitHash(block, new Uint8Array(32).fill(0xab));
    expect(blockToJson(block.serializeBinary()).commitHash).toBe('ab'.repeat(32));
  });

  it('has no commit hash where the block carries none (an orderer copy, block 0)', () => {
    expect(blockToJson(newBlock(0, new Uint8Array(0), envelopes).serializeBinary())).not.toHaveProperty('commitHash');
  });
});
