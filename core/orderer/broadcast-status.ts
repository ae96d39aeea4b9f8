import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { OrdererError, ProtocolError } from '../errors';

/** A `common.Status` value. */
export type StatusCode = (typeof Status)[keyof typeof Status];

/** Error codes the ingress path throws, each answered with one Fabric status. */
export const IngressErrorCode = {
  BadRequest: 'ORDERER_BAD_REQUEST',
  Forbidden: 'ORDERER_FORBIDDEN',
  NotFound: 'ORDERER_NOT_FOUND',
  Unavailable: 'ORDERER_UNAVAILABLE',
} as const;

/**
 * The Fabric status a failed message gets (Fabric `broadcast.ClassifyError` plus our codes):
 * policy and identity failures FORBIDDEN, unknown channel NOT_FOUND, a chain that cannot accept
 * SERVICE_UNAVAILABLE, anything malformed BAD_REQUEST.
 */
export function statusOf(err: unknown): StatusCode {
  if (err instanceof ProtocolError) return Status.BAD_REQUEST;
  if (err instanceof OrdererError) {
    switch (err.code) {
      case IngressErrorCode.Forbidden:
        return Status.FORBIDDEN;
      case IngressErrorCode.NotFound:
        return Status.NOT_FOUND;
      case IngressErrorCode.Unavailable:
      case 'ORDERER_HALTED':
      case 'ORDERER_BUSY':
      case 'ORDERER_CHAIN_FAILED':
      case 'ORDERER_WAL_WRITE':
        return Status.SERVICE_UNAVAILABLE;
      default:
        return Status.BAD_REQUEST;
    }
  }
  return Status.INTERNAL_SERVER_ERROR;
}
