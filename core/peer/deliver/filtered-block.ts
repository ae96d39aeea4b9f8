import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import {
  FilteredBlock,
  FilteredChaincodeAction,
  FilteredTransaction,
  FilteredTransactionActions,
} from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { parseEnvelope } from '../../protocol/envelope';
import { parseEndorserTransaction } from '../../protocol/transaction';
import type { CommittedBlock } from '../channel/channel';

/** The chaincode event of one transaction of a block, with its validation code. */
export interface BlockTxEvent {
  readonly txId: string;
  readonly type: number;
  readonly validationCode: number;
  /** Undefined when the transaction set no event (or does not parse). */
  readonly event: ChaincodeEvent | undefined;
}

/** Decodes every transaction's id, type and chaincode event (present even for invalid txs, as in Fabric). */
export function blockTxEvents(block: CommittedBlock): BlockTxEvent[] {
  const envelopes = block.block.getData()?.getDataList_asU8() ?? [];
  return envelopes.map((bytes, i) => {
    const validationCode = block.flags[i] ?? 255;
    try {
      const env = parseEnvelope(bytes);
      let event: ChaincodeEvent | undefined;
      if (env.channelHeader.type === HeaderType.ENDORSER_TRANSACTION) {
        const events = parseEndorserTransaction(env).action.proposalResponsePayload.action.events;
        if (events.length > 0) event = ChaincodeEvent.deserializeBinary(events);
      }
      return { txId: env.channelHeader.txId, type: env.channelHeader.type, validationCode, event };
    } catch {
      return { txId: '', type: 0, validationCode, event: undefined };
    }
  });
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
        if (t.event !== undefined) {
          const ev = new ChaincodeEvent();
          ev.setChaincodeId(t.event.getChaincodeId());
          ev.setTxId(t.event.getTxId());
          ev.setEventName(t.event.getEventName());
          const fca = new FilteredChaincodeAction();
          fca.setChaincodeEvent(ev);
          actions.setChaincodeActionsList([fca]);
        }
        ft.setTransactionActions(actions);
      }
      return ft;
    }),
  );
  return fb;
}
