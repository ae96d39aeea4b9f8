/**
 * The FilteredBlock of a committed block, as Fabric's `toFilteredBlock` builds it: every
 * transaction with its header's id and type and its final validation code, whatever validation
 * found wrong with it; one chaincode action per action that set an event naming its chaincode,
 * the event without its payload; envelopes whose header cannot be read left out.
 */
import { Block, BlockData, ChannelHeader, Envelope, Header, HeaderType, Payload } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import { ProposalResponsePayload } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { ChaincodeAction } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ChaincodeActionPayload, ChaincodeEndorsedAction, Transaction, TransactionAction, TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { blockTxEvents, filteredBlockOf } from '../../../../../core/peer/deliver/filtered-block';

function event(chaincodeId: string, name: string, txId: string): ChaincodeEvent {
  const e = new ChaincodeEvent();
  e.setChaincodeId(chaincodeId);
  e.setEventName(name);
  e.setTxId(txId);
  e.setPayload(Buffer.from('secret payload'));
  return e;
}

/** A TransactionAction whose chaincode action carries `ev` (none: no events); `endorsed: false` leaves out the endorsed action. */
function action(ev: ChaincodeEvent | undefined, endorsed = true): TransactionAction {
  const ca = new ChaincodeAction();
  if (ev !== undefined) ca.setEvents(ev.serializeBinary());
  const prp = new ProposalResponsePayload();
  prp.setProposalHash(Buffer.from('not the hash of anything'));
  prp.setExtension$(ca.serializeBinary());
  const cea = new ChaincodeEndorsedAction();
  cea.setProposalResponsePayload(prp.serializeBinary());
  const cap = new ChaincodeActionPayload();
  cap.setChaincodeProposalPayload(Buffer.from('proposal'));
  if (endorsed) cap.setAction(cea);
  const ta = new TransactionAction();
  ta.setPayload(cap.serializeBinary());
  return ta;
}

function envelope(type: number, txId: string, data: Uint8Array): Uint8Array {
  const ch = new ChannelHeader();
  ch.setType(type);
  ch.setTxId(txId);
  ch.setChannelId('mychannel');
  const header = new Header();
  header.setChannelHeader(ch.serializeBinary());
  const payload = new Payload();
  payload.setHeader(header);
  payload.setData(data);
  const env = new Envelope();
  env.setPayload(payload.serializeBinary());
  return env.serializeBinary();
}

function endorserTx(txId: string, actions: TransactionAction[]): Uint8Array {
  const tx = new Transaction();
  tx.setActionsList(actions);
  return envelope(HeaderType.ENDORSER_TRANSACTION, txId, tx.serializeBinary());
}

function committed(envelopes: Uint8Array[], flags: number[]) {
  const block = new Block();
  const data = new BlockData();
  data.setDataList(envelopes);
  block.setData(data);
  return { number: 9, block, bytes: block.serializeBinary(), flags: Uint8Array.from(flags) };
}

const headerless = (() => {
  const env = new Envelope();
  env.setPayload(new Payload().serializeBinary());
  return env.serializeBinary();
})();

const block = committed(
  [
    // Structurally wrong (no creator or nonce, a txid that is no hash of them, a wrong proposal hash): validation said so.
    endorserTx('bad-txid', [action(event('cc', 'moved', 'bad-txid'))]),
    // Several actions: one event each, an action without one adds nothing, nor one without a chaincode id, nor one without an endorsed action.
    endorserTx('many', [action(event('cc', 'first', 'many')), action(undefined), action(event('', 'nameless', 'many')), action(event('cc', 'x', 'many'), false), action(event('other', 'second', 'many'))]),
    envelope(HeaderType.CONFIG, 'config-tx', Buffer.from('config')),
    Buffer.from('not an envelope at all \xff\xff'),
    headerless,
    // An action whose events do not decode adds no event; the transaction is still listed.
    (() => {
      const ta = action(undefined);
      const cap = ChaincodeActionPayload.deserializeBinary(ta.getPayload_asU8());
      const cea = cap.getAction() as ChaincodeEndorsedAction;
      const prp = ProposalResponsePayload.deserializeBinary(cea.getProposalResponsePayload_asU8());
      const ca = new ChaincodeAction();
      ca.setEvents(Uint8Array.from([0x0a, 0x7f]));
      prp.setExtension$(ca.serializeBinary());
      cea.setProposalResponsePayload(prp.serializeBinary());
      ta.setPayload(cap.serializeBinary());
      return endorserTx('garbled-event', [ta]);
    })(),
  ],
  [TxValidationCode.BAD_PROPOSAL_TXID, TxValidationCode.INVALID_OTHER_REASON, TxValidationCode.VALID, TxValidationCode.BAD_PAYLOAD, TxValidationCode.BAD_PAYLOAD, TxValidationCode.ENDORSEMENT_POLICY_FAILURE],
);

describe('filteredBlockOf', () => {
  const fb = filteredBlockOf('mychannel', block).toObject();

  it('lists every transaction whose header reads, with its own id, type and final code', () => {
    expect(fb.number).toBe(9);
    expect(fb.channelId).toBe('mychannel');
    expect(fb.filteredTransactionsList.map((t) => [t.txid, t.type, t.txValidationCode])).toEqual([
      ['bad-txid', HeaderType.ENDORSER_TRANSACTION, TxValidationCode.BAD_PROPOSAL_TXID],
      ['many', HeaderType.ENDORSER_TRANSACTION, TxValidationCode.INVALID_OTHER_REASON],
      ['config-tx', HeaderType.CONFIG, TxValidationCode.VALID],
      ['garbled-event', HeaderType.ENDORSER_TRANSACTION, TxValidationCode.ENDORSEMENT_POLICY_FAILURE],
    ]);
  });

  it('sends one chaincode action per action whose event names a chaincode, without the payload', () => {
    const events = fb.filteredTransactionsList.map((t) => t.transactionActions?.chaincodeActionsList.map((a) => a.chaincodeEvent));
    const stripped = (chaincodeId: string, eventName: string, txId: string) => ({ chaincodeId, eventName, txId, payload: '' });
    expect(events).toEqual([
      [stripped('cc', 'moved', 'bad-txid')],
      [stripped('cc', 'first', 'many'), stripped('other', 'second', 'many')],
      undefined,
      [],
    ]);
  });

  it('gives the chaincode event stream the same transactions, with the events’ payloads', () => {
    const txs = blockTxEvents(block);
    expect(txs.map((t) => t.txId)).toEqual(['bad-txid', 'many', 'config-tx', 'garbled-event']);
    expect(txs[1].events.map((e) => [e.getEventName(), Buffer.from(e.getPayload_asU8()).toString()])).toEqual([
      ['first', 'secret payload'],
      ['second', 'secret payload'],
    ]);
    expect(txs[3].events).toEqual([]);
  });
});
