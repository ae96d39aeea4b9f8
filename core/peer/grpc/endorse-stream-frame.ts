import { ProtocolError } from '../../errors';
import { ProtocolErrorCode } from '../../protocol/bounded-decode';
import { WireReader } from '../../protocol/wire-reader';
import { boolField, lenField, message, uintField } from '../../protocol/wire-writer';

/**
 * Frames of Weft's peer-to-peer endorsement stream (`weft.peer.EndorserStream/ProcessProposals`):
 * `{uint64 id = 1; bytes body = 2; bool cancel = 3}`, where the body is a `SignedProposal` going out
 * and the `ProposalResponse` bytes coming back. The id pairs answers with requests, which may
 * complete out of order. A cancel frame (id, `cancel`, no body) tells the endorsing peer that the
 * proposal with that id is no longer awaited. Both sides are Weft peers; a Fabric peer is reached
 * through `protos.Endorser` instead.
 *
 * A peer from before cancel frames refuses a frame without a body and ends the whole stream
 * (INVALID_ARGUMENT): a sender sends cancel frames only to a peer that announced it takes them
 * ({@link ENDORSE_CANCEL_HEADER}). Proposal and answer frames are unchanged, so both versions read
 * each other's.
 */
export interface EndorseFrame {
  readonly id: number;
  readonly body: Uint8Array;
}

/** A sender no longer awaits the answer to proposal `id`. */
export interface EndorseCancel {
  readonly id: number;
  readonly cancel: true;
}

/**
 * Initial metadata an endorsing peer sends as the stream opens: it takes cancel frames. Its absence
 * (a peer of the previous version) means it does not.
 */
export const ENDORSE_CANCEL_HEADER = 'weft-endorse-cancel';

export function encodeEndorseFrame(id: number, body: Uint8Array): Uint8Array {
  return message(uintField(1, id), lenField(2, body, false));
}

export function encodeEndorseCancel(id: number): Uint8Array {
  return message(uintField(1, id), boolField(3, true));
}

/** Throws `PROTOCOL_MALFORMED` on broken framing and `PROTOCOL_MISSING_FIELD` without an id or a body. */
export function decodeEndorseFrame(bytes: Uint8Array): EndorseFrame {
  const { id, body } = readFrame(bytes);
  return checked(id, body);
}

/**
 * What an endorsing peer reads from the stream: a proposal frame as {@link decodeEndorseFrame}, or a
 * cancel (field 3 set; any body ignored). Throws as {@link decodeEndorseFrame} otherwise.
 */
export function decodeEndorseRequest(bytes: Uint8Array): EndorseFrame | EndorseCancel {
  const { id, body, cancel } = readFrame(bytes);
  if (cancel && id !== 0) return { id, cancel };
  return checked(id, body);
}

/** Unknown fields are skipped. */
function readFrame(bytes: Uint8Array): { id: number; body: Uint8Array | undefined; cancel: boolean } {
  const r = new WireReader(bytes, 'EndorseFrame', 'endorsement stream frame');
  let id = 0;
  let body: Uint8Array | undefined;
  let cancel = false;
  while (r.next()) {
    if (r.field === 1) id = r.uint();
    else if (r.field === 2) body = r.bytes();
    else if (r.field === 3) cancel = r.uint() !== 0;
    else r.skip();
  }
  return { id, body, cancel };
}

function checked(id: number, body: Uint8Array | undefined): EndorseFrame {
  if (id === 0 || body === undefined) {
    const field = id === 0 ? 'id' : 'body';
    throw new ProtocolError(ProtocolErrorCode.MissingField, `endorsement stream frame: ${field} is missing`, { field });
  }
  return { id, body };
}
