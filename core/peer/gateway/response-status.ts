import { status as GrpcStatus } from '@grpc/grpc-js';
import { WeftError } from '../../errors';

/** How the Gateway takes one endorser's answer to a proposal. */
export interface ResponseStatus {
  /** `OK` for a result; else the gRPC code the Gateway reports. */
  readonly code: GrpcStatus;
  /** What went wrong, as the client's `ErrorDetail` message ('' for `OK`). */
  readonly message: string;
  /** Whether another endorser may be asked instead (Evaluate moves on; Endorse does not use it). */
  readonly retry: boolean;
}

const OK: ResponseStatus = { code: GrpcStatus.OK, message: '', retry: false };

/**
 * Fabric's `responseStatus` (`internal/pkg/gateway/apiutils.go`) for a `ProposalResponse`:
 * status 200–399 is a result; 500 without a payload was made by the peer, not the chaincode
 * (ABORTED, another peer may do better); any other status is the chaincode's own error
 * (UNKNOWN, "chaincode response <status>, <message>", final).
 */
export function responseStatus(response: { readonly status: number; readonly message: string }, hasPayload: boolean): ResponseStatus {
  const { status, message } = response;
  if (status >= 200 && status < 400) return OK;
  if (status === 500 && !hasPayload) return { code: GrpcStatus.ABORTED, message, retry: true };
  return { code: GrpcStatus.UNKNOWN, message: `chaincode response ${status}, ${message}`, retry: false };
}

/** A remote endorser that gave no `ProposalResponse` (unreachable, timed out): UNAVAILABLE, try another. */
export function unreachableStatus(err: unknown): ResponseStatus {
  const message = (err as { details?: string }).details ?? (err instanceof Error ? err.message : String(err));
  return { code: GrpcStatus.UNAVAILABLE, message, retry: true };
}

/**
 * Codes of the endorser's checks before it runs anything (`checkProposal`, Fabric's `preProcess`:
 * header, creator, signature, timestamp, duplicate txid, `peer/Propose`). Fabric's endorser
 * returns these with an error besides the response, which the Gateway reports as
 * FAILED_PRECONDITION: the client's proposal is at fault, no other peer would accept it.
 */
const PRE_PROCESS_CODES: ReadonlySet<string> = new Set(['PEER_BAD_PROPOSAL', 'PEER_DUPLICATE_TXID', 'PEER_ACCESS_DENIED']);

/**
 * Refusals of Fabric's auth filters (expired creator, timestamp outside the window), which stand
 * in front of the endorser and answer with an error and no response at all: UNAVAILABLE, as for
 * an unreachable peer, and another peer is asked.
 */
const AUTH_FILTER_CODES: ReadonlySet<string> = new Set(['PEER_IDENTITY_EXPIRED', 'PEER_BAD_TIMESTAMP']);

/**
 * This peer's endorser threw instead of answering: a rejected proposal is FAILED_PRECONDITION
 * (final); anything else failed while running it, which Fabric's endorser answers as status 500
 * without a payload: ABORTED, another peer may be asked.
 */
export function localFailureStatus(err: unknown): ResponseStatus {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof WeftError && PRE_PROCESS_CODES.has(err.code)) return { code: GrpcStatus.FAILED_PRECONDITION, message, retry: false };
  if (err instanceof WeftError && AUTH_FILTER_CODES.has(err.code)) return { code: GrpcStatus.UNAVAILABLE, message, retry: true };
  return { code: GrpcStatus.ABORTED, message, retry: true };
}
