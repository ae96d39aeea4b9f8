import { status as GrpcStatus } from '@grpc/grpc-js';
import { WireReader } from '../../protocol/wire-reader';
import { GatewayRpcError } from '../grpc/grpc-status';
import { decodeFailure } from '../../protocol/bounded-decode';

/**
 * The Gateway's per-transaction requests read straight from the wire: each is decoded once per
 * call, and google-protobuf would build a message object per (sub)message only for the handler to
 * re-serialize the embedded proposal or envelope. Embedded messages come back as the exact bytes
 * the client sent. Malformed framing is `INVALID_ARGUMENT` naming the message.
 */

/** `EvaluateRequest` and `EndorseRequest`: {transaction_id = 1, channel_id = 2, proposed_transaction = 3, orgs = 4}. */
export interface ProposalRequest {
  readonly channelId: string;
  /** `SignedProposal` bytes, undefined when absent. */
  readonly proposal: Uint8Array | undefined;
  /** `target_organizations` (Evaluate) or `endorsing_organizations` (Endorse). */
  readonly orgs: readonly string[];
}

export function readProposalRequest(bytes: Uint8Array, what: 'EvaluateRequest' | 'EndorseRequest'): ProposalRequest {
  return wire(what, () => {
    const r = new WireReader(bytes, what, what);
    let channelId = '';
    let proposal: Uint8Array | undefined;
    const orgs: string[] = [];
    while (r.next()) {
      if (r.field === 2) channelId = r.string();
      else if (r.field === 3) proposal = r.bytes();
      else if (r.field === 4) orgs.push(r.string());
      else r.skip();
    }
    return { channelId, proposal, orgs };
  });
}

/** `SubmitRequest{transaction_id = 1, channel_id = 2, prepared_transaction = 3}`. */
export interface SubmitRequestFields {
  readonly channelId: string;
  /** `Envelope` bytes, undefined when absent. */
  readonly envelope: Uint8Array | undefined;
  /** The envelope's `signature` (field 2), empty when absent. */
  readonly signature: Uint8Array;
}

export function readSubmitRequest(bytes: Uint8Array): SubmitRequestFields {
  return wire('SubmitRequest', () => {
    const r = new WireReader(bytes, 'SubmitRequest', 'SubmitRequest');
    let channelId = '';
    let envelope: Uint8Array | undefined;
    while (r.next()) {
      if (r.field === 2) channelId = r.string();
      else if (r.field === 3) envelope = r.bytes();
      else r.skip();
    }
    let signature: Uint8Array = new Uint8Array(0);
    if (envelope !== undefined) {
      const e = new WireReader(envelope, 'SubmitRequest.prepared_transaction', 'Envelope');
      while (e.next()) {
        if (e.field === 2) signature = e.bytes();
        else e.skip();
      }
    }
    return { channelId, envelope, signature };
  });
}

/** `SignedCommitStatusRequest{request = 1, signature = 2}` with its `CommitStatusRequest{transaction_id = 1, channel_id = 2, identity = 3}`. */
export interface CommitStatusFields {
  /** The signed `CommitStatusRequest` bytes. */
  readonly request: Uint8Array;
  readonly signature: Uint8Array;
  readonly transactionId: string;
  readonly channelId: string;
  readonly identity: Uint8Array;
}

export function readCommitStatusRequest(bytes: Uint8Array): CommitStatusFields {
  return wire('SignedCommitStatusRequest', () => {
    const r = new WireReader(bytes, 'SignedCommitStatusRequest', 'SignedCommitStatusRequest');
    let request: Uint8Array = new Uint8Array(0);
    let signature: Uint8Array = new Uint8Array(0);
    while (r.next()) {
      if (r.field === 1) request = r.bytes();
      else if (r.field === 2) signature = r.bytes();
      else r.skip();
    }
    const q = new WireReader(request, 'CommitStatusRequest', 'CommitStatusRequest');
    let transactionId = '';
    let channelId = '';
    let identity: Uint8Array = new Uint8Array(0);
    while (q.next()) {
      if (q.field === 1) transactionId = q.string();
      else if (q.field === 2) channelId = q.string();
      else if (q.field === 3) identity = q.bytes();
      else q.skip();
    }
    return { request, signature, transactionId, channelId, identity };
  });
}

function wire<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, `${what} does not decode: ${decodeFailure(err)}`);
  }
}
