import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import {
  FilteredBlock,
  FilteredChaincodeAction,
  FilteredTransaction,
  FilteredTransactionActions,
} from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { LEN, type MessageBytes, VARINT, WireReader } from '../../protocol/wire-reader';
import type { CommittedBlock } from '../channel/channel';

/** The chaincode events of one transaction of a block, with its validation code. */
export interface BlockTxEvent {
  readonly txId: string;
  readonly type: number;
  readonly validationCode: number;
  /** One per action of an endorser transaction that set an event naming its chaincode, in action order. */
  readonly events: readonly ChaincodeEvent[];
}

/**
 * Every transaction's id, type and chaincode events (present for invalid transactions too), read
 * as Fabric's `toFilteredBlock` reads them: without the structural checks of validation, which
 * judged the transaction already (its code says how), so a transaction with a wrong txid, a bad
 * proposal hash or several actions is listed with its id and events. An envelope whose header
 * does not decode is left out (Fabric skips the envelopes it cannot read, and fails the whole
 * block on a header it cannot read; leaving out the one transaction keeps a writer's malformed
 * envelope from cutting every filtered stream at its block). An action that does not decode adds
 * no event, for the same reason.
 */
export function blockTxEvents(block: CommittedBlock): BlockTxEvent[] {
  const envelopes = block.block.getData()?.getDataList_asU8() ?? [];
  const out: BlockTxEvent[] = [];
  envelopes.forEach((bytes, i) => {
    const tx = decodeTx(bytes);
    if (tx === undefined) return;
    out.push({ ...tx, validationCode: block.flags[i] ?? 255 });
  });
  return out;
}

/** Fabric's `FilteredBlock`: txids, types, codes and chaincode events without their payloads. */
export function filteredBlockOf(channelId: string, block: CommittedBlock): FilteredBlock {
  const fb = new FilteredBlock();
  fb.setChannelId(channelId);
  fb.setNumber(block.number);
  fb.setFilteredTransactionsList(
    blockTxEvents(block).map((t) => {
      const ft = new FilteredTransaction();
      ft.setTxid(t.txId);
      ft.setType(t.type as FilteredTransaction['getType'] extends () => infer R ? R : never);
      ft.setTxValidationCode(t.validationCode as FilteredTransaction['getTxValidationCode'] extends () => infer R ? R : never);
      if (t.type === HeaderType.ENDORSER_TRANSACTION) {
        const actions = new FilteredTransactionActions();
        actions.setChaincodeActionsList(
          t.events.map((e) => {
            const ev = new ChaincodeEvent();
            ev.setChaincodeId(e.getChaincodeId());
            ev.setTxId(e.getTxId());
            ev.setEventName(e.getEventName());
            const fca = new FilteredChaincodeAction();
            fca.setChaincodeEvent(ev);
            return fca;
          }),
        );
        ft.setTransactionActions(actions);
      }
      return ft;
    }),
  );
  return fb;
}

const EMPTY = new Uint8Array(0);

/** The id, type and events of one envelope; undefined when its channel header cannot be read. */
function decodeTx(envelope: Uint8Array): { txId: string; type: number; events: ChaincodeEvent[] } | undefined {
  let txId = '';
  let type = 0;
  let data: Uint8Array = EMPTY;
  try {
    // Payload.header is a message: its occurrences merge, as protobuf-go decodes them.
    let header: MessageBytes | undefined;
    const payload = new WireReader(field(envelope, 1, 'Envelope'), 'envelope.payload', 'Payload');
    while (payload.next()) {
      if (payload.has(1, LEN)) header = payload.message(header);
      else if (payload.has(2, LEN)) data = payload.bytes();
      else payload.skip();
    }
    if (header === undefined) return undefined;
    const ch = new WireReader(field(header, 1, 'Header'), 'envelope.payload.header.channel_header', 'ChannelHeader');
    while (ch.next()) {
      if (ch.has(1, VARINT)) type = ch.int32();
      else if (ch.has(5, LEN)) txId = ch.string();
      else ch.skip();
    }
  } catch {
    return undefined;
  }
  return { txId, type, events: type === HeaderType.ENDORSER_TRANSACTION ? actionEvents(data) : [] };
}

/** The events of a `Transaction`'s actions that decode and name a chaincode (Fabric's `toFilteredActions`). */
function actionEvents(transaction: Uint8Array): ChaincodeEvent[] {
  const actions: Uint8Array[] = [];
  try {
    const r = new WireReader(transaction, 'transaction', 'Transaction');
    while (r.next()) {
      if (r.has(1, LEN)) actions.push(r.bytes());
      else r.skip();
    }
  } catch {
    return [];
  }
  const events: ChaincodeEvent[] = [];
  for (const action of actions) {
    try {
      // TransactionAction.payload → ChaincodeActionPayload.action (merged) → proposal_response_payload
      // → ProposalResponsePayload.extension → ChaincodeAction.events.
      let endorsed: MessageBytes | undefined;
      const cap = new WireReader(field(action, 2, 'TransactionAction'), 'transaction.action.payload', 'ChaincodeActionPayload');
      while (cap.next()) {
        if (cap.has(2, LEN)) endorsed = cap.message(endorsed);
        else cap.skip();
      }
      // Fabric skips an action whose payload holds no endorsed action.
      if (endorsed === undefined) continue;
      const extension = field(field(endorsed, 1, 'ChaincodeEndorsedAction'), 2, 'ProposalResponsePayload');
      const event = chaincodeEvent(field(extension, 2, 'ChaincodeAction'));
      if (event.getChaincodeId() !== '') events.push(event);
    } catch {
      // An action that does not decode adds no event.
    }
  }
  return events;
}

function chaincodeEvent(bytes: Uint8Array): ChaincodeEvent {
  const event = new ChaincodeEvent();
  const r = new WireReader(bytes, 'chaincode_action.events', 'ChaincodeEvent');
  while (r.next()) {
    if (r.has(1, LEN)) event.setChaincodeId(r.string());
    else if (r.has(2, LEN)) event.setTxId(r.string());
    else if (r.has(3, LEN)) event.setEventName(r.string());
    else if (r.has(4, LEN)) event.setPayload(r.bytes());
    else r.skip();
  }
  return event;
}

/** The last occurrence of bytes field `n` of a message (empty when absent), as protobuf-go keeps it. */
function field(message: MessageBytes, n: number, typeName: string): Uint8Array {
  const r = new WireReader(message, typeName, typeName);
  let out: Uint8Array = EMPTY;
  while (r.next()) {
    if (r.has(n, LEN)) out = r.bytes();
    else r.skip();
  }
  return out;
}
