import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { blockToJson } from '../../../../cli/services/block/block-json';
import { invalidTransactionError, retryDelayMs } from '../../../../cli/services/chaincode/transact';
import { buildRwSetEnvelope } from '../../../../core/ledger/test-blocks';
import { newBlock, setTransactionsFilter } from '../../../../core/protocol/block';
import { validationCodeInfo } from '../../../../core/protocol/validation-codes';

const TX = 'a'.repeat(64);
const info = (name: string) => validationCodeInfo(name)!;

describe("weft chaincode invoke's TX_INVALID", () => {
  it('explains ENDORSEMENT_POLICY_FAILURE and offers no retry', () => {
    const err = invalidTransactionError({ transactionId: TX, blockNumber: 7n, code: TxValidationCode.ENDORSEMENT_POLICY_FAILURE }, 1, 3);
    expect(err.code).toBe('TX_INVALID');
    expect(err.message).toBe(`transaction ${TX} was committed in block 7 as invalid: ENDORSEMENT_POLICY_FAILURE. ${info('ENDORSEMENT_POLICY_FAILURE').when}`);
    expect(err.details).toEqual({
      transactionId: TX,
      blockNumber: '7',
      validationCode: 'ENDORSEMENT_POLICY_FAILURE',
      code: 10,
      retryable: false,
      attempts: 1,
      suggestions: [info('ENDORSEMENT_POLICY_FAILURE').advice, 'inspect the block: weft block show <dir> 7'],
    });
  });

  it('tells a DUPLICATE_TXID never to resubmit the same envelope', () => {
    const err = invalidTransactionError({ transactionId: TX, blockNumber: 3n, code: TxValidationCode.DUPLICATE_TXID }, 1, 0);
    expect(err.message).toContain('as invalid: DUPLICATE_TXID. The transaction id is already in the ledger');
    expect(err.details.suggestions).toEqual([expect.stringMatching(/^Never resubmit the same signed envelope/), 'inspect the block: weft block show <dir> 3']);
  });

  it('says how many attempts a read conflict took when the retries ran out', () => {
    const err = invalidTransactionError({ transactionId: TX, blockNumber: 9n, code: TxValidationCode.PHANTOM_READ_CONFLICT }, 4, 3);
    expect(err.message).toMatch(/as invalid: PHANTOM_READ_CONFLICT \(attempt 4 of 4\)\. A range query/);
    expect(err.details).toMatchObject({ retryable: true, attempts: 4 });
    expect(err.details.suggestions).toEqual([
      info('PHANTOM_READ_CONFLICT').advice,
      'it conflicted on every one of 4 attempts: the keys are hot; allow more attempts with --retry <n> or spread the writes over more keys',
      'inspect the block: weft block show <dir> 9',
    ]);
  });

  it('names a code this Weft does not know by its number', () => {
    const err = invalidTransactionError({ transactionId: TX, blockNumber: 1n, code: 200 }, 1, 0);
    expect(err.message).toContain('as invalid: UNKNOWN(200). a code this version of Weft does not know');
    expect(err.details).toMatchObject({ validationCode: 'UNKNOWN(200)', retryable: false });
  });
});

describe('the retry backoff', () => {
  it('doubles from 100 ms to at most 1.6 s, drawn from half to all of that', () => {
    expect([1, 2, 3, 5, 9].map((a) => retryDelayMs(a, () => 0))).toEqual([50, 100, 200, 800, 800]);
    expect([1, 2, 3, 5, 9].map((a) => retryDelayMs(a, () => 1))).toEqual([100, 200, 400, 1600, 1600]);
  });
});

describe('weft block show', () => {
  const envelopes = ['tx0', 'tx1', 'tx2'].map((txId) => buildRwSetEnvelope({ txId, rwset: new Uint8Array(0) }));

  it('explains every invalid transaction, and no valid one', () => {
    const block = newBlock(1, new Uint8Array(32), envelopes);
    setTransactionsFilter(block, Uint8Array.of(TxValidationCode.VALID, TxValidationCode.MVCC_READ_CONFLICT, 200));
    const txs = blockToJson(block.serializeBinary()).transactions;
    expect(txs.map((t) => [t.txId, t.validationCode])).toEqual([
      ['tx0', 'VALID'],
      ['tx1', 'MVCC_READ_CONFLICT'],
      ['tx2', 'UNKNOWN(200)'],
    ]);
    expect(txs[0]!.explanation).toBeUndefined();
    expect(txs[1]!.explanation).toEqual({ meaning: info('MVCC_READ_CONFLICT').when, retryable: true, advice: info('MVCC_READ_CONFLICT').advice });
    expect(txs[2]!.explanation).toMatchObject({ retryable: false, meaning: 'a code this version of Weft does not know' });
  });

  it("explains NOT_VALIDATED in a block without validation flags (an orderer's copy)", () => {
    const txs = blockToJson(newBlock(1, new Uint8Array(32), envelopes).serializeBinary()).transactions;
    expect(txs.map((t) => t.validationCode)).toEqual(['NOT_VALIDATED', 'NOT_VALIDATED', 'NOT_VALIDATED']);
    expect(txs[0]!.explanation?.advice).toBe("Read the block from a peer to see each transaction's code.");
  });
});
