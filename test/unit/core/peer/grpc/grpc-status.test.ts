import { Metadata, status } from '@grpc/grpc-js';
import { newGatewayError } from '@hyperledger/fabric-gateway/dist/gatewayerror';
import { GatewayRpcError, asServiceError, toServiceError } from '../../../../../core/peer/grpc/grpc-status';

describe('Gateway errors on the wire', () => {
  it('carries ErrorDetails the way fabric-gateway decodes them', () => {
    const wire = toServiceError(
      new GatewayRpcError(status.ABORTED, 'failed to endorse transaction, see attached details for more info', [
        { address: 'peer0.org1:7051', mspId: 'Org1MSP', message: 'chaincode response 500, asset A1 does not exist' },
        { address: 'peer0.org2:9051', mspId: 'Org2MSP', message: 'timeout' },
      ]),
    );
    const decoded = newGatewayError(Object.assign(new Error(wire.details), { code: wire.code as number, details: wire.details as string, metadata: wire.metadata as Metadata }));
    expect(decoded.code).toBe(status.ABORTED);
    expect(decoded.details).toEqual([
      { address: 'peer0.org1:7051', mspId: 'Org1MSP', message: 'chaincode response 500, asset A1 does not exist' },
      { address: 'peer0.org2:9051', mspId: 'Org2MSP', message: 'timeout' },
    ]);
  });

  it('turns any other failure into INTERNAL with its message', () => {
    expect(asServiceError(new Error('disk gone'))).toEqual({ code: status.INTERNAL, details: 'disk gone' });
  });
});
