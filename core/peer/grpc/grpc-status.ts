import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ErrorDetail } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { Status } from '@hyperledger/fabric-protos/lib/google/rpc/status_pb';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { wireErrorText } from '../../errors';

/** One node's part in a Gateway failure: Fabric's `gateway.ErrorDetail`. */
export interface EndpointError {
  readonly address: string;
  readonly mspId: string;
  readonly message: string;
}

/** A gRPC failure as the Gateway answers it: a status code, a message and per-node details. */
export class GatewayRpcError extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
    readonly details: readonly EndpointError[] = [],
  ) {
    super(message);
  }
}

/**
 * The `ServiceError` grpc-js sends for a {@link GatewayRpcError}: the details travel as a
 * `google.rpc.Status` in the `grpc-status-details-bin` trailer, each an `Any` wrapping a
 * `gateway.ErrorDetail`, exactly as Fabric's gateway sends them and fabric-gateway decodes them.
 */
export function toServiceError(err: GatewayRpcError): Partial<ServiceError> {
  const status = new Status();
  status.setCode(err.code);
  status.setMessage(wireErrorText(err.message));
  status.setDetailsList(
    err.details.map((d) => {
      const detail = new ErrorDetail();
      detail.setAddress(d.address);
      detail.setMspId(d.mspId);
      detail.setMessage(wireErrorText(d.message));
      const any = new Any();
      any.pack(detail.serializeBinary(), 'gateway.ErrorDetail');
      return any;
    }),
  );
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
  return { code: err.code, details: wireErrorText(err.message), metadata };
}

/** Any thrown value as a gRPC error: a `GatewayRpcError` keeps its code, anything else is INTERNAL. */
export function asServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof GatewayRpcError) return toServiceError(err);
  return { code: GrpcStatus.INTERNAL, details: wireErrorText(err instanceof Error ? err.message : String(err)) };
}

export { GrpcStatus };
