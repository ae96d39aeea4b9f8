import { CommitStatusResponse, EvaluateResponse } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import { Response } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { int32Field, lenField, message, stringField, submessage, uintField } from '../../../../core/protocol/wire-writer';

describe('wire-writer', () => {
  it('encodes scalars, strings, bytes and sub-messages as google-protobuf does', () => {
    for (const [code, block] of [
      [0, 0],
      [11, 1],
      [254, 2 ** 40],
    ]) {
      const ref = new CommitStatusResponse();
      ref.setResult(code as Parameters<CommitStatusResponse['setResult']>[0]);
      ref.setBlockNumber(block);
      expect(message(int32Field(1, code), uintField(2, block))).toEqual(ref.serializeBinary());
    }
    for (const [status, text, payload] of [
      [200, '', new Uint8Array(0)],
      [-1, 'ü message', new Uint8Array(200).fill(1)],
    ] as const) {
      const r = new Response();
      r.setStatus(status);
      r.setMessage(text);
      r.setPayload(payload);
      const ref = new EvaluateResponse();
      ref.setResult(r);
      expect(message(lenField(1, submessage(int32Field(1, status), stringField(2, text), lenField(3, payload, true)), false))).toEqual(ref.serializeBinary());
    }
    const ev = new ChaincodeEvent();
    ev.setChaincodeId('kv');
    ev.setTxId('ab'.repeat(32));
    ev.setEventName('Put');
    ev.setPayload(Uint8Array.from([1, 2, 3]));
    expect(message(stringField(1, 'kv'), stringField(2, 'ab'.repeat(32)), stringField(3, 'Put'), lenField(4, Uint8Array.from([1, 2, 3]), true))).toEqual(ev.serializeBinary());
  });
});
