import { ProtocolError } from '../../errors';
import { ProtocolErrorCode } from '../../protocol/bounded-decode';
import { WireReader } from '../../protocol/wire-reader';
import { lenField, message, uintField } from '../../protocol/wire-writer';

/**
 * Frames of Weft's peer-to-peer endorsement stream (`weft.peer.EndorserStream/ProcessProposals`):
 * `{uint64 id = 1; bytes body = 2}`, where the body is a `SignedProposal` going out and the
 * `ProposalResponse` bytes coming back. The id pairs answers with requests, which may complete out
 * of order. Both sides are Weft peers; a Fabric peer is reached through `protos.Endorser` instead.
 */
export interface EndorseFrame {
  readonly id: number;
  readonly body: Uint8Array;
}

export function encodeEndorseFrame(id: number, body: Uint8Array): Uint8Array {
  return message(uintField(1, id), lenField(2, body, false));
}

/** Throws `PROTOCOL_MALFORMED` on broken framing and `PROTOCOL_MISSING_FIELD` without an id or a body. */
export function decodeEndorseFrame(bytes: Uint8Array): EndorseFrame {
  const r = new WireReader(bytes, 'EndorseFrame', 'endorsement stream frame');
  let id = 0;
  let body: Uint8Array | undefined;
  while (r.next()) {
    if (r.field === 1) id = r.uint();
    else if (r.field === 2) body = r.bytes();
    else r.skip();
  }
  if (id === 0 || body === undefined) {
    const field = id === 0 ? 'id' : 'body';
    throw new ProtocolError(ProtocolErrorCode.MissingField, `endorsement stream frame: ${field} is missing`, { field });
  }
  return { id, body };
}
