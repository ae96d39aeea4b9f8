import { requireBytes, requireMessage } from './bounded-decode';
import { WireReader } from './wire-reader';

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

/** Decodes `ProposalResponsePayload` bytes and its `ChaincodeAction` at `path`. */
export function parseProposalResponsePayload(bytes: Uint8Array, path: string): ParsedProposalResponsePayload {
  requireBytes(bytes, path);
  // Read from the wire (WireReader): every endorsement and every committed transaction has one.
  const prp = new WireReader(bytes, path, 'ProposalResponsePayload');
  let proposalHash = EMPTY;
  let extension = EMPTY;
  while (prp.next()) {
    if (prp.field === 1) proposalHash = prp.bytes();
    else if (prp.field === 2) extension = prp.bytes();
    else prp.skip();
  }
  requireBytes(proposalHash, `${path}.proposal_hash`);
  const extPath = `${path}.extension`;
  requireBytes(extension, extPath);
  const act = new WireReader(extension, extPath, 'ChaincodeAction');
  let results = EMPTY;
  let events = EMPTY;
  let response: ChaincodeResponse = { status: 0, message: '', payload: EMPTY };
  let chaincodeId: ChaincodeIdentifier | undefined;
  while (act.next()) {
    switch (act.field) {
      case 1:
        results = act.bytes();
        break;
      case 2:
        events = act.bytes();
        break;
      case 3:
        response = parseResponse(act.bytes(), `${extPath}.response`);
        break;
      case 4:
        chaincodeId = parseChaincodeId(act.bytes(), `${extPath}.chaincode_id`);
        break;
      default:
        act.skip();
    }
  }
  requireMessage(chaincodeId, `${extPath}.chaincode_id`);
  return { bytes, proposalHash, extension, action: { results, events, response, chaincodeId: chaincodeId as ChaincodeIdentifier } };
}

/** `peer.Response{status = 1, message = 2, payload = 3}`. */
export function parseResponse(bytes: Uint8Array, path: string): ChaincodeResponse {
  const r = new WireReader(bytes, path, 'Response');
  let status = 0;
  let message = '';
  let payload = EMPTY;
  while (r.next()) {
    if (r.field === 1) status = r.int32();
    else if (r.field === 2) message = r.string();
    else if (r.field === 3) payload = r.bytes();
    else r.skip();
  }
  return { status, message, payload };
}

/** `peer.ChaincodeID{path = 1, name = 2, version = 3}`. */
function parseChaincodeId(bytes: Uint8Array, path: string): ChaincodeIdentifier {
  const r = new WireReader(bytes, path, 'ChaincodeID');
  let ccPath = '';
  let name = '';
  let version = '';
  while (r.next()) {
    if (r.field === 1) ccPath = r.string();
    else if (r.field === 2) name = r.string();
    else if (r.field === 3) version = r.string();
    else r.skip();
  }
  return { name, version, path: ccPath };
}

const EMPTY: Uint8Array = new Uint8Array(0);
