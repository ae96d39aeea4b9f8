import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { ChannelHeader, Envelope, Header, HeaderType, Payload, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeAction } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ProposalResponsePayload } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { ChaincodeActionPayload, ChaincodeEndorsedAction, Transaction, TransactionAction } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { ChaincodeID } from '@hyperledger/fabric-protos/lib/peer/chaincode_pb';
import { blockHeaderHash, newBlock } from '../protocol/block';

/**
 * Unsigned endorser-transaction envelopes carrying a given rwset, and chained blocks of them: what
 * the ledger reads from a block, without proposals or signatures. For the conformance suite, tests
 * and benchmarks only; real envelopes come from core/protocol's builders.
 */
export interface RwSetTxInput {
  readonly txId: string;
  /** Serialized `TxReadWriteSet` (e.g. `TxSimulator.getTxSimulationResults()`). */
  readonly rwset: Uint8Array;
  readonly channelId?: string;
  /** Channel-header timestamp; default: 1.7e9 s + txId-independent 0 ns. */
  readonly timestamp?: { seconds: number; nanos: number };
  /** Default ENDORSER_TRANSACTION. */
  readonly type?: number;
}

export function buildRwSetEnvelope(input: RwSetTxInput): Uint8Array {
  const ch = new ChannelHeader();
  ch.setType(input.type ?? HeaderType.ENDORSER_TRANSACTION);
  ch.setChannelId(input.channelId ?? 'mychannel');
  ch.setTxId(input.txId);
  const ts = new Timestamp();
  ts.setSeconds(input.timestamp?.seconds ?? 1_700_000_000);
  ts.setNanos(input.timestamp?.nanos ?? 0);
  ch.setTimestamp(ts);
  const sh = new SignatureHeader();
  sh.setCreator(new Uint8Array([1]));
  sh.setNonce(new Uint8Array(24));
  const header = new Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());

  const action = new ChaincodeAction();
  action.setResults(input.rwset);
  const ccid = new ChaincodeID();
  ccid.setName('cc');
  action.setChaincodeId(ccid);
  const prp = new ProposalResponsePayload();
  prp.setProposalHash(new Uint8Array(32));
  prp.setExtension$(action.serializeBinary());
  const endorsed = new ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(prp.serializeBinary());
  const cap = new ChaincodeActionPayload();
  cap.setAction(endorsed);
  const ta = new TransactionAction();
  ta.setHeader(sh.serializeBinary());
  ta.setPayload(cap.serializeBinary());
  const tx = new Transaction();
  tx.setActionsList([ta]);

  const payload = new Payload();
  payload.setHeader(header);
  payload.setData(tx.serializeBinary());
  const env = new Envelope();
  env.setPayload(payload.serializeBinary());
  env.setSignature(new Uint8Array([0]));
  return env.serializeBinary();
}

/** Builds blocks chained onto a ledger (or from genesis): each call returns the next block. */
export class TestChain {
  private prevHash: Uint8Array;

  constructor(
    private next = 0,
    prevHash: Uint8Array = new Uint8Array(0),
  ) {
    this.prevHash = prevHash;
  }

  /** Continues the chain after `block` (e.g. the ledger's last block). */
  static after(block: Block | undefined): TestChain {
    const header = block?.getHeader();
    return header === undefined ? new TestChain() : new TestChain(header.getNumber() + 1, blockHeaderHash(header));
  }

  block(envelopes: readonly Uint8Array[]): Block {
    const b = newBlock(this.next, this.prevHash, envelopes);
    this.prevHash = blockHeaderHash(b.getHeader() as NonNullable<ReturnType<Block['getHeader']>>);
    this.next++;
    return b;
  }
}
