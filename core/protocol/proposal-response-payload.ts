import { requireBytes, requireMessage } from './bounded-decode';
import { LEN, type MessageBytes, VARINT, WireReader } from './wire-reader';

/** A chaincode's response as carried in `peer.Response`. */
export interface ChaincodeResponse {
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
}

/** `peer.ChaincodeID` fields. */
export interface ChaincodeIdentifier {
  readonly name: string;
  readonly version: string;
  readonly path?: string;
}

/** A decoded `peer.ChaincodeAction`: what the endorsers agreed on. */
export interface ParsedChaincodeAction {
  /** `TxReadWriteSet` bytes. */
  readonly results: Uint8Array;
  /** `ChaincodeEvent` bytes (empty when the chaincode set no event). */
  readonly events: Uint8Array;
  readonly response: ChaincodeResponse;
  readonly chaincodeId: ChaincodeIdentifier;
}

/** A decoded `peer.ProposalResponsePayload` with its exact bytes. */
export interface ParsedProposalResponsePayload {
  readonly bytes: Uint8Array;
  readonly proposalHash: Uint8Array;
  /** `ChaincodeAction` bytes. */
  readonly extension: Uint8Array;
  readonly action: ParsedChaincodeAction;
}

/** `ProposalResponsePayload{proposal_hash = 1, extension = 2}`, both bytes; empty when absent. */
export function proposalResponsePayloadFields(bytes: Uint8Array, path: string): { proposalHash: Uint8Array; extension: Uint8Array } {
  // Read from the wire (WireReader): every endorsement and every committed transaction has one.
  const prp = new WireReader(bytes, path, 'ProposalResponsePayload');
  let proposalHash = EMPTY;
  let extension = EMPTY;
  while (prp.next()) {
    if (prp.has(1, LEN)) proposalHash = prp.bytes();
    else if (prp.has(2, LEN)) extension = prp.bytes();
    else prp.skip();
  }
  return { proposalHash, extension };
}

/**
 * Decodes `ProposalResponsePayload` bytes and its `ChaincodeAction` at `path`. An empty extension
 * decodes as an empty `ChaincodeAction` (as protobuf-go does), which then lacks its chaincode id.
 */
export function parseProposalResponsePayload(bytes: Uint8Array, path: string): ParsedProposalResponsePayload {
  requireBytes(bytes, path);
  const { proposalHash, extension } = proposalResponsePayloadFields(bytes, path);
  requireBytes(proposalHash, `${path}.proposal_hash`);
  const extPath = `${path}.extension`;
  const act = new WireReader(extension, extPath, 'ChaincodeAction');
  let results = EMPTY;
  let events = EMPTY;
  // response and chaincode_id are messages: their occurrences merge.
  let responseBytes: MessageBytes | undefined;
  let chaincodeIdBytes: MessageBytes | undefined;
  while (act.next()) {
    if (act.has(1, LEN)) results = act.bytes();
    else if (act.has(2, LEN)) events = act.bytes();
    else if (act.has(3, LEN)) responseBytes = act.message(responseBytes);
    else if (act.has(4, LEN)) chaincodeIdBytes = act.message(chaincodeIdBytes);
    else act.skip();
  }
  const response = responseBytes === undefined ? { status: 0, message: '', payload: EMPTY } : parseResponse(responseBytes, `${extPath}.response`);
  const chaincodeId = parseChaincodeId(requireMessage(chaincodeIdBytes, `${extPath}.chaincode_id`), `${extPath}.chaincode_id`);
  return { bytes, proposalHash, extension, action: { results, events, response, chaincodeId } };
}

/** `peer.Response{status = 1, message = 2, payload = 3}`. */
export function parseResponse(bytes: MessageBytes, path: string): ChaincodeResponse {
  const r = new WireReader(bytes, path, 'Response');
  let status = 0;
  let message = '';
  let payload = EMPTY;
  while (r.next()) {
    if (r.has(1, VARINT)) status = r.int32();
    else if (r.has(2, LEN)) message = r.string();
    else if (r.has(3, LEN)) payload = r.bytes();
    else r.skip();
  }
  return { status, message, payload };
}

/** `peer.ChaincodeID{path = 1, name = 2, version = 3}`. */
function parseChaincodeId(bytes: MessageBytes, path: string): ChaincodeIdentifier {
  const r = new WireReader(bytes, path, 'ChaincodeID');
  let ccPath = '';
  let name = '';
  let version = '';
  while (r.next()) {
    if (r.has(1, LEN)) ccPath = r.string();
    else if (r.has(2, LEN)) name = r.string();
    else if (r.has(3, LEN)) version = r.string();
    else r.skip();
  }
  return { name, version, path: ccPath };
}

const EMPTY: Uint8Array = new Uint8Array(0);
