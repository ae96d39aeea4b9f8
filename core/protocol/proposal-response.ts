import { ProposalResponse, Response } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import type { SignedData } from '../policy/policy';
import { concatBytes } from './bytes';
import { ProtocolError } from '../errors';
import { DefaultProtocolLimits, ParseOptions, ProtocolErrorCode, badInput, checkSize, requireBytes } from './bounded-decode';
import type { ParsedSignedProposal } from './proposal';
import {
  ChaincodeIdentifier,
  ChaincodeResponse,
  ParsedProposalResponsePayload,
  parseProposalResponsePayload,
  parseResponse,
} from './proposal-response-payload';
import type { Signer } from './signer';
import { type ChaincodeInterest, chaincodeInterestMessage, parseChaincodeInterest } from './chaincode-interest';
import { LEN, type MessageBytes, VARINT, WireReader } from './wire-reader';
import { type WireMessage, int32Field, lenField, message, stringField, submessage } from './wire-writer';

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
  /** What the simulation says the transaction must be endorsed for (unsigned, field 7). */
  readonly interest?: ChaincodeInterest;
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
  /** What the endorser's simulation says the transaction must be endorsed for; undefined when it sent none. */
  readonly interest: ChaincodeInterest | undefined;
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
  const { response, prpBytes } = responsePayload(input);
  const endorserBytes = input.endorser.serialized;
  const endorsement = submessage(lenField(1, endorserBytes, true), lenField(2, input.endorser.sign(concatBytes(prpBytes, endorserBytes)), true));
  return message(
    int32Field(1, 1),
    lenField(4, response, false),
    lenField(5, prpBytes, true),
    lenField(6, endorsement, false),
    input.interest === undefined ? undefined : lenField(7, chaincodeInterestMessage(input.interest), false),
  );
}

/**
 * The unendorsed `ProposalResponse` Fabric's endorser answers a chaincode status ≥ 500 with: the
 * response, the payload (so gateways tell the chaincode's error from the peer's own failures, which
 * carry none) and the interest. A status from 400 to 499 carries only the response.
 */
export function buildChaincodeErrorResponse(input: Omit<ProposalResponseInput, 'endorser'>): Uint8Array {
  if (input.response.status < ERROR_STATUS) return buildErrorProposalResponse(input.response.status, input.response.message ?? '');
  const { response, prpBytes } = responsePayload(input);
  return message(lenField(4, response, false), lenField(5, prpBytes, true), input.interest === undefined ? undefined : lenField(7, chaincodeInterestMessage(input.interest), false));
}

/** Fabric's `shim.ERROR`. */
const ERROR_STATUS = 500;

/**
 * The `Response` and `ProposalResponsePayload` bytes, encoded by hand (wire-writer) byte for byte
 * as google-protobuf writes them: every endorsement builds these messages.
 */
function responsePayload(input: Omit<ProposalResponseInput, 'endorser'>): { response: WireMessage; prpBytes: Uint8Array } {
  const { status, message: text, payload } = input.response;
  const response = submessage(int32Field(1, status), stringField(2, text ?? ''), lenField(3, payload ?? EMPTY, true));
  const { name, version, path } = input.chaincodeId;
  const ccid = submessage(stringField(1, path ?? ''), stringField(2, name), stringField(3, version));
  const action = submessage(
    lenField(1, input.results, true),
    input.events === undefined ? undefined : lenField(2, input.events, true),
    lenField(3, response, false),
    lenField(4, ccid, false),
  );
  return { response, prpBytes: message(lenField(1, input.proposal.proposalHash, true), lenField(2, action, true)) };
}

const EMPTY: Uint8Array = new Uint8Array(0);

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
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCode.BadInput, `${root}: expected bytes (Uint8Array), got ${typeof bytes}`, { path: root });
  }
  checkSize(bytes, options.maxBytes ?? DefaultProtocolLimits.maxProposalResponseBytes, root);
  // Read from the wire (WireReader): the Gateway parses every remote endorsement.
  const pr = new WireReader(bytes, root, 'ProposalResponse');
  let version = 0;
  let response: ChaincodeResponse = { status: 0, message: '', payload: new Uint8Array(0) };
  let payloadBytes: Uint8Array = new Uint8Array(0);
  let endorsementBytes: MessageBytes | undefined;
  let responseBytes: MessageBytes | undefined;
  let interest: ChaincodeInterest | undefined;
  while (pr.next()) {
    if (pr.has(1, VARINT)) version = pr.int32();
    else if (pr.has(4, LEN)) responseBytes = pr.message(responseBytes);
    else if (pr.has(5, LEN)) payloadBytes = pr.bytes();
    else if (pr.has(6, LEN)) endorsementBytes = pr.message(endorsementBytes);
    // The chaincode interest (a planning hint, never validated): the last one is taken.
    else if (pr.has(7, LEN)) interest = parseChaincodeInterest(pr.bytes(), `${root}.interest`);
    else pr.skip();
  }
  if (responseBytes !== undefined) response = parseResponse(responseBytes, `${root}.response`);
  let endorsement: ParsedEndorsement | undefined;
  if (endorsementBytes !== undefined) {
    const er = new WireReader(endorsementBytes, `${root}.endorsement`, 'Endorsement');
    let endorser: Uint8Array = new Uint8Array(0);
    let signature: Uint8Array = new Uint8Array(0);
    while (er.next()) {
      if (er.has(1, LEN)) endorser = er.bytes();
      else if (er.has(2, LEN)) signature = er.bytes();
      else er.skip();
    }
    requireBytes(endorser, `${root}.endorsement.endorser`);
    requireBytes(signature, `${root}.endorsement.signature`);
    requireBytes(payloadBytes, `${root}.payload`);
    endorsement = { endorser, signature };
  }
  const payload = payloadBytes.length > 0 ? parseProposalResponsePayload(payloadBytes, `${root}.payload`) : undefined;
  return { bytes, version, response, payloadBytes, payload, endorsement, interest };
}

/** The signed data of an endorsement: payload bytes ‖ endorser bytes, as Fabric's VSCC checks it. */
export function endorsementSignedData(payloadBytes: Uint8Array, endorsement: ParsedEndorsement): SignedData {
  return {
    data: concatBytes(payloadBytes, endorsement.endorser),
    identity: endorsement.endorser,
    signature: endorsement.signature,
  };
}
