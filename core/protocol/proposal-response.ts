import { ChaincodeID } from '@hyperledger/fabric-protos/lib/peer/chaincode_pb';
import { ChaincodeAction } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import {
  Endorsement,
  ProposalResponse,
  ProposalResponsePayload,
  Response,
} from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import type { SignedData } from '../policy/policy';
import { concatBytes } from './bytes';
import { DefaultProtocolLimits, ParseOptions, badInput, decode, guard, requireBytes } from './bounded-decode';
import type { ParsedSignedProposal } from './proposal';
import {
  ChaincodeIdentifier,
  ChaincodeResponse,
  ParsedProposalResponsePayload,
  parseProposalResponsePayload,
} from './proposal-response-payload';
import type { Signer } from './signer';

/** Fabric's `shim.ERRORTHRESHOLD`: a chaincode status at or above it is an error, never endorsed. */
export const ERROR_THRESHOLD = 400;

/** Inputs of {@link buildProposalResponse}. */
export interface ProposalResponseInput {
  /** The proposal being answered (its proposal hash goes into the payload). */
  readonly proposal: Pick<ParsedSignedProposal, 'proposalHash'>;
  readonly response: { readonly status: number; readonly message?: string; readonly payload?: Uint8Array };
  /** `TxReadWriteSet` bytes from simulation. */
  readonly results: Uint8Array;
  /** `ChaincodeEvent` bytes, when the chaincode set one. */
  readonly events?: Uint8Array;
  readonly chaincodeId: ChaincodeIdentifier;
  readonly endorser: Signer;
}

/** An endorsement: the endorser's identity and its signature over payload ‖ endorser. */
export interface ParsedEndorsement {
  readonly endorser: Uint8Array;
  readonly signature: Uint8Array;
}

/** A decoded `peer.ProposalResponse`. */
export interface ParsedProposalResponse {
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly response: ChaincodeResponse;
  /** `ProposalResponsePayload` bytes as signed by the endorser (empty for an error response). */
  readonly payloadBytes: Uint8Array;
  /** The decoded payload; undefined for an error response (no payload). */
  readonly payload: ParsedProposalResponsePayload | undefined;
  /** Undefined for an error response. */
  readonly endorsement: ParsedEndorsement | undefined;
}

function toResponse(r: ProposalResponseInput['response']): Response {
  const response = new Response();
  response.setStatus(r.status);
  response.setMessage(r.message ?? '');
  if (r.payload !== undefined) response.setPayload(r.payload);
  return response;
}

/**
 * Builds and signs an endorsed `ProposalResponse` as Fabric's endorser and default ESCC do:
 * `ProposalResponsePayload{proposal_hash, extension=ChaincodeAction{results, events, response,
 * chaincode_id}}`, endorsement signature over payload bytes ‖ endorser bytes. Returns the
 * serialized response. A status ≥ 400 is refused: use {@link buildErrorProposalResponse}.
 */
export function buildProposalResponse(input: ProposalResponseInput): Uint8Array {
  if (input.response.status >= ERROR_THRESHOLD) {
    badInput('proposal_response.response.status', `a status below ${ERROR_THRESHOLD} to endorse`, input.response.status);
  }
  const response = toResponse(input.response);
  const ccid = new ChaincodeID();
  ccid.setName(input.chaincodeId.name);
  ccid.setVersion(input.chaincodeId.version);
  if (input.chaincodeId.path !== undefined) ccid.setPath(input.chaincodeId.path);
  const action = new ChaincodeAction();
  action.setResults(input.results);
  if (input.events !== undefined) action.setEvents(input.events);
  action.setResponse(response);
  action.setChaincodeId(ccid);
  const prp = new ProposalResponsePayload();
  prp.setProposalHash(input.proposal.proposalHash);
  prp.setExtension$(action.serializeBinary());
  const prpBytes = prp.serializeBinary();

  const endorserBytes = input.endorser.serialized;
  const endorsement = new Endorsement();
  endorsement.setEndorser(endorserBytes);
  endorsement.setSignature(input.endorser.sign(concatBytes(prpBytes, endorserBytes)));

  const pr = new ProposalResponse();
  pr.setVersion(1);
  pr.setResponse(response);
  pr.setPayload(prpBytes);
  pr.setEndorsement(endorsement);
  return pr.serializeBinary();
}

/** An unendorsed `ProposalResponse` carrying only a status and message (a failed proposal). */
export function buildErrorProposalResponse(status: number, message: string): Uint8Array {
  const pr = new ProposalResponse();
  pr.setResponse(toResponse({ status, message }));
  return pr.serializeBinary();
}

/**
 * Decodes a `ProposalResponse`. A response with an endorsement must carry a payload, and both
 * endorsement fields must be present. Does not verify the signature.
 */
export function parseProposalResponse(bytes: Uint8Array, options: ParseOptions = {}): ParsedProposalResponse {
  const root = 'proposal_response';
  const pr = decode(ProposalResponse, bytes, root, options.maxBytes ?? DefaultProtocolLimits.maxProposalResponseBytes);
  const { version, response, payloadBytes, endorsementMsg } = guard(root, () => {
    const r = pr.getResponse();
    return {
      version: pr.getVersion(),
      response: {
        status: r?.getStatus() ?? 0,
        message: r?.getMessage() ?? '',
        payload: r?.getPayload_asU8() ?? new Uint8Array(0),
      },
      payloadBytes: pr.getPayload_asU8(),
      endorsementMsg: pr.getEndorsement(),
    };
  });
  let endorsement: ParsedEndorsement | undefined;
  if (endorsementMsg !== undefined) {
    const e = guard(`${root}.endorsement`, () => ({
      endorser: endorsementMsg.getEndorser_asU8(),
      signature: endorsementMsg.getSignature_asU8(),
    }));
    requireBytes(e.endorser, `${root}.endorsement.endorser`);
    requireBytes(e.signature, `${root}.endorsement.signature`);
    requireBytes(payloadBytes, `${root}.payload`);
    endorsement = e;
  }
  const payload = payloadBytes.length > 0 ? parseProposalResponsePayload(payloadBytes, `${root}.payload`) : undefined;
  return { bytes, version, response, payloadBytes, payload, endorsement };
}

/** The signed data of an endorsement: payload bytes ‖ endorser bytes, as Fabric's VSCC checks it. */
export function endorsementSignedData(payloadBytes: Uint8Array, endorsement: ParsedEndorsement): SignedData {
  return {
    data: concatBytes(payloadBytes, endorsement.endorser),
    identity: endorsement.endorser,
    signature: endorsement.signature,
  };
}
