import { status as GrpcStatus } from '@grpc/grpc-js';
import { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { CommitStatusRequest, EndorseRequest, EvaluateRequest, SignedCommitStatusRequest, SubmitRequest } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { readCommitStatusRequest, readProposalRequest, readSubmitRequest } from '../../../../../core/peer/gateway/gateway-requests';
import { GatewayRpcError } from '../../../../../core/peer/grpc/grpc-status';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('gateway request wire readers', () => {
  it('read Evaluate and Endorse requests as google-protobuf encodes them, the proposal as sent', () => {
    const sp = new SignedProposal();
    sp.setProposalBytes(bytes(1, 2, 3));
    sp.setSignature(bytes(4, 5));
    const evaluate = new EvaluateRequest();
    evaluate.setTransactionId('tx1');
    evaluate.setChannelId('mychannel');
    evaluate.setProposedTransaction(sp);
    evaluate.setTargetOrganizationsList(['Org1MSP', 'Org2MSP']);
    const r = readProposalRequest(evaluate.serializeBinary(), 'EvaluateRequest');
    expect(r.channelId).toBe('mychannel');
    expect(r.orgs).toEqual(['Org1MSP', 'Org2MSP']);
    expect(r.proposal).toEqual(sp.serializeBinary());

    const endorse = new EndorseRequest();
    endorse.setChannelId('c');
    expect(readProposalRequest(endorse.serializeBinary(), 'EndorseRequest')).toEqual({ channelId: 'c', proposal: undefined, orgs: [] });
  });

  it('reads a Submit request with its envelope bytes and signature', () => {
    const env = new Envelope();
    env.setPayload(bytes(7, 7, 7));
    env.setSignature(bytes(9));
    const req = new SubmitRequest();
    req.setTransactionId('tx');
    req.setChannelId('mychannel');
    req.setPreparedTransaction(env);
    const r = readSubmitRequest(req.serializeBinary());
    expect(r.channelId).toBe('mychannel');
    expect(r.envelope).toEqual(env.serializeBinary());
    expect(r.signature).toEqual(bytes(9));
    expect(readSubmitRequest(new SubmitRequest().serializeBinary())).toMatchObject({ envelope: undefined, signature: new Uint8Array(0) });
  });

  it('reads a signed CommitStatus request, keeping the signed request bytes', () => {
    const inner = new CommitStatusRequest();
    inner.setTransactionId('abc');
    inner.setChannelId('mychannel');
    inner.setIdentity(bytes(1, 1));
    const signed = new SignedCommitStatusRequest();
    signed.setRequest(inner.serializeBinary());
    signed.setSignature(bytes(2, 2));
    const r = readCommitStatusRequest(signed.serializeBinary());
    expect(r).toEqual({ request: inner.serializeBinary(), signature: bytes(2, 2), transactionId: 'abc', channelId: 'mychannel', identity: bytes(1, 1) });
  });

  it('answers malformed framing with INVALID_ARGUMENT naming the message', () => {
    for (const read of [() => readProposalRequest(bytes(0x1a, 0x05, 0x01), 'EndorseRequest'), () => readSubmitRequest(bytes(0x12, 0xff)), () => readCommitStatusRequest(bytes(0x0b))]) {
      let caught: unknown;
      try {
        read();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(GatewayRpcError);
      expect((caught as GatewayRpcError).code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect((caught as Error).message).toMatch(/(EndorseRequest|SubmitRequest|SignedCommitStatusRequest) does not decode/);
    }
  });
});
