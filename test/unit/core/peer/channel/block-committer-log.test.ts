import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode as V } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { setTransactionsFilter, type ParsedBlock } from '../../../../../core/protocol/block';
import { BlockCommitter } from '../../../../../core/peer/channel/block-committer';
import { Channel } from '../../../../../core/peer/channel/channel';
import type { ChannelResources } from '../../../../../core/peer/channel/channel-resources';
import type { CommitResult, PeerLedger } from '../../../../../core/peer/channel/peer-ledger';
import type { BlockValidation, BlockValidator } from '../../../../../core/peer/validation/block-validator';
import { BlockBytesLedger, blockChain, recordingLogger } from '../../../../support/committer-fixture';

/**
 * What an operator reads in a peer's log about commits: at `info` a line per block (Fabric's
 * kvledger "Committed block [n] with k transaction(s) in t ms"), and at `warn` each invalid
 * transaction with the reason the ledger gave, the conflicting key for a read conflict.
 */
class ConflictingLedger extends BlockBytesLedger {
  /** The MVCC outcome of the next commit: codes per transaction and the ledger's reasons. */
  next: { codes: number[]; conflicts: Map<number, string> } | undefined;
  commit(block: Block, flags: Uint8Array): CommitResult {
    const outcome = this.next ?? { codes: [...flags], conflicts: new Map<number, string>() };
    const final = Uint8Array.from(outcome.codes);
    setTransactionsFilter(block, final);
    const blockBytes = block.serializeBinary();
    this.blocks.push(blockBytes);
    return { blockNum: block.getHeader()!.getNumber(), flags: final, blockBytes, seconds: { processing: 0.002, storageCommit: 0.003, stateCommit: 0.001 }, conflicts: outcome.conflicts };
  }
}

/** The peer's policy checks: transaction 2 of a three-transaction block fails its endorsement policy. */
const validator = {
  validate: (block: ParsedBlock): Promise<BlockValidation> => {
    const n = block.block.getData()!.getDataList().length;
    const flags = new Uint8Array(n);
    const reasons = new Map<number, string>();
    if (n === 3) {
      flags[2] = V.ENDORSEMENT_POLICY_FAILURE;
      reasons.set(2, "endorsement policy of chaincode assets not satisfied: no valid signature from 'Org2MSP.peer'");
    }
    return Promise.resolve({ flags, configIndex: undefined, reasons, txIds: ['tx-a', 'tx-b', 'tx-c'].slice(0, n), kinds: [], pvtWrites: [] });
  },
} as unknown as BlockValidator;

function setup() {
  const ledger = new ConflictingLedger();
  const { logger, logs } = recordingLogger();
  const channel = new Channel('mychannel', ledger as unknown as PeerLedger, {} as ChannelResources);
  const committer = new BlockCommitter(channel, validator, () => ({}) as ChannelResources, logger, 'Org1MSP');
  const next = blockChain();
  return { ledger, logs, committer, next };
}

describe("BlockCommitter's log", () => {
  it('says at info that each block committed, with how many transactions, how many invalid and how long it took', async () => {
    const { logs, committer, next } = setup();
    await committer.commit(next(1));
    const info = logs.filter((l) => l.level === 'info');
    expect(info).toHaveLength(1);
    expect(info[0]!.msg).toMatch(/^committed block 0 with 1 transaction\(s\) in \d+ms$/);
    expect(info[0]!.obj).toMatchObject({ channel: 'mychannel', block: 0, transactions: 1, invalid: 0, stateValidationMs: 2, blockAndPvtdataCommitMs: 3, stateCommitMs: 1 });
  });

  it("warns of each invalid transaction with the ledger's conflict reason, else the validator's", async () => {
    const { ledger, logs, committer, next } = setup();
    ledger.next = { codes: [V.VALID, V.MVCC_READ_CONFLICT, V.ENDORSEMENT_POLICY_FAILURE], conflicts: new Map([[1, 'key "hot" of namespace assets was written by transaction 0 earlier in this block']]) };
    await committer.commit(next(3));
    const warned = logs.filter((l) => l.level === 'warn' && l.msg === 'transaction invalid').map((l) => l.obj);
    expect(warned).toEqual([
      expect.objectContaining({ tx: 1, txId: 'tx-b', code: 'MVCC_READ_CONFLICT', reason: 'key "hot" of namespace assets was written by transaction 0 earlier in this block', retryable: true }),
      expect.objectContaining({ tx: 2, txId: 'tx-c', code: 'ENDORSEMENT_POLICY_FAILURE', reason: "endorsement policy of chaincode assets not satisfied: no valid signature from 'Org2MSP.peer'" }),
    ]);
    expect(logs.find((l) => l.level === 'info')?.msg).toMatch(/^committed block 0 with 3 transaction\(s\) \(2 invalid\) in \d+ms$/);
  });
});
