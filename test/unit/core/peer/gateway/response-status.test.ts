import { status as GrpcStatus } from '@grpc/grpc-js';
import { localFailureStatus, responseStatus, unreachableStatus } from '../../../../../core/peer/gateway/response-status';
import { PeerError } from '../../../../../core/peer/peer-error';

// Fabric internal/pkg/gateway/apiutils.go `responseStatus` and its cases in evaluate_test.go.
describe('responseStatus', () => {
  it('takes 200–399 as a result', () => {
    expect(responseStatus({ status: 200, message: '' }, true)).toEqual({ code: GrpcStatus.OK, message: '', retry: false });
    expect(responseStatus({ status: 399, message: '' }, false)).toMatchObject({ code: GrpcStatus.OK });
  });

  it('reports a chaincode error as UNKNOWN "chaincode response <status>, <message>", final', () => {
    expect(responseStatus({ status: 400, message: 'Mock chaincode error' }, false)).toEqual({
      code: GrpcStatus.UNKNOWN,
      message: 'chaincode response 400, Mock chaincode error',
      retry: false,
    });
    expect(responseStatus({ status: 500, message: 'the asset is locked' }, true)).toMatchObject({ code: GrpcStatus.UNKNOWN, retry: false });
    expect(responseStatus({ status: 100, message: 'odd' }, true)).toMatchObject({ code: GrpcStatus.UNKNOWN, message: 'chaincode response 100, odd' });
  });

  it('reports a peer-made 500 (no payload) as ABORTED with the message as is, to try another peer', () => {
    expect(responseStatus({ status: 500, message: 'error in simulation: chaincode stream terminated' }, false)).toEqual({
      code: GrpcStatus.ABORTED,
      message: 'error in simulation: chaincode stream terminated',
      retry: true,
    });
  });

  it('reports an unreachable endorser as UNAVAILABLE, to try another peer', () => {
    expect(unreachableStatus(Object.assign(new Error('14 UNAVAILABLE: x'), { details: 'No connection established' }))).toEqual({
      code: GrpcStatus.UNAVAILABLE,
      message: 'No connection established',
      retry: true,
    });
  });

  it("reports this peer's rejection of a proposal as FAILED_PRECONDITION and a failure while running it as ABORTED", () => {
    for (const code of ['PEER_BAD_PROPOSAL', 'PEER_DUPLICATE_TXID', 'PEER_ACCESS_DENIED']) {
      expect(localFailureStatus(new PeerError(code, 'invalid signature'))).toEqual({ code: GrpcStatus.FAILED_PRECONDITION, message: 'invalid signature', retry: false });
    }
    // Fabric's auth filters answer with no response at all: UNAVAILABLE, another peer is asked.
    for (const code of ['PEER_IDENTITY_EXPIRED', 'PEER_BAD_TIMESTAMP']) {
      expect(localFailureStatus(new PeerError(code, 'proposal client identity expired'))).toEqual({ code: GrpcStatus.UNAVAILABLE, message: 'proposal client identity expired', retry: true });
    }
    expect(localFailureStatus(new PeerError('PEER_UNKNOWN_CHAINCODE', 'make sure the chaincode cc has been successfully defined'))).toMatchObject({
      code: GrpcStatus.ABORTED,
      retry: true,
    });
    expect(localFailureStatus(new Error('disk gone'))).toEqual({ code: GrpcStatus.ABORTED, message: 'disk gone', retry: true });
  });
});
