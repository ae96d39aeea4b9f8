import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ProtocolError } from '../errors';
import type { SignedData } from '../policy/policy';
import { bytesEqual, toHex } from './bytes';
import { ParseOptions, ProtocolErrorCode, requireBytes, requireMessage } from './bounded-decode';
import { ParsedEnvelope, envelopeSignedData, parseEnvelope } from './envelope';
import { ParsedSignatureHeader, checkHeader, headerTypeName, parseSignatureHeader } from './header';
import { ParsedInvocation, ParsedSignedProposal, headerExtensionChaincodeName, parseInvocationSpec } from './proposal';
import { computeProposalHash } from './proposal-hash';
import { ParsedEndorsement, ParsedProposalResponse, endorsementSignedData, parseProposalResponse } from './proposal-response';
import { ParsedProposalResponsePayload, parseProposalResponsePayload, proposalResponsePayloadFields } from './proposal-response-payload';
import type { Signer } from './signer';
import { LEN, type MessageBytes, WireReader } from './wire-reader';
import { lenField, message, submessage, type WireField } from './wire-writer';

/** The single action of an endorser transaction, decoded; byte fields are the received bytes. */
export interface ParsedTransactionAction {
  /** The action's `SignatureHeader` (Fabric repeats the payload's signature header here). */
  readonly signatureHeader: ParsedSignatureHeader;
  /** `ChaincodeActionPayload` bytes. */
  readonly payloadBytes: Uint8Array;
  /** `ChaincodeProposalPayload` bytes without transient data. */
  readonly chaincodeProposalPayload: Uint8Array;
  /**
   * `ChaincodeInvocationSpec` bytes, decoded on access: Fabric's committer never parses the
   * proposal payload (it only hashes it), so validation must not depend on it. Throws
   * `ProtocolError` when the payload does not decode.
   */
  readonly inputBytes: Uint8Array;
  /** The decoded invocation (decoded on access, see {@link inputBytes}). */
  readonly invocation: ParsedInvocation;
  /** The payload every endorser signed, with its `ChaincodeAction` (rwset, events, response, chaincode id). */
  readonly proposalResponsePayload: ParsedProposalResponsePayload;
  readonly endorsements: readonly ParsedEndorsement[];
}

/** A decoded ENDORSER_TRANSACTION envelope. */
export interface ParsedTransaction extends ParsedEnvelope {
  readonly channelId: string;
  readonly txId: string;
  readonly timestamp: Date | undefined;
  readonly creator: Uint8Array;
  readonly nonce: Uint8Array;
  /** Chaincode named in the channel header extension. */
  readonly chaincodeName: string;
  readonly action: ParsedTransactionAction;
}

/** Options of {@link parseTransactionEnvelope}. */
export interface ParseTransactionOptions extends ParseOptions {
  /** Check tx_id = hex(SHA-256(nonce ‖ creator)); default true. */
  readonly verifyTxId?: boolean;
  readonly path?: string;
}

/**
 * Assembles a signed transaction envelope from a proposal and its endorsements, as Fabric's
 * `protoutil.CreateSignedTx`: the signer must be the proposal's creator, every response must be
 * successful with a byte-identical payload, endorsements are de-duplicated by endorser, and the
 * transient map is stripped. The proposal's header bytes are reused as received. Returns the
 * `Envelope` bytes. Without a signer the envelope is left unsigned, as the Fabric Gateway's
 * `prepareTransaction` returns it for the client to sign (`signature` empty).
 */
export function buildTransactionEnvelope(
  proposal: ParsedSignedProposal,
  responses: readonly (ParsedProposalResponse | Uint8Array)[],
  signer?: Signer,
): Uint8Array {
  if (signer !== undefined && !bytesEqual(signer.serialized, proposal.creator)) {
    throw new ProtocolError(
      ProtocolErrorCode.SignerMismatch,
      'transaction signer must be the proposal creator (signature_header.creator)',
      { path: 'signer', txId: proposal.txId },
    );
  }
  if (responses.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.BadResponse, 'at least one proposal response is required', {
      txId: proposal.txId,
    });
  }
  const parsed = responses.map((r) => (r instanceof Uint8Array ? parseProposalResponse(r) : r));
  const first = parsed[0].payloadBytes;
  const endorsements: WireField[] = [];
  const seen = new Set<string>();
  parsed.forEach((r, i) => {
    const { status, message: text } = r.response;
    if (status < 200 || status >= 400) {
      throw new ProtocolError(
        ProtocolErrorCode.BadResponse,
        `responses[${i}]: proposal response was not successful, status ${status}: ${text}`,
        { index: i, status, message: text, txId: proposal.txId },
      );
    }
    if (!bytesEqual(first, r.payloadBytes)) {
      throw new ProtocolError(
        ProtocolErrorCode.PayloadMismatch,
        `responses[${i}].payload differs from responses[0].payload: ProposalResponsePayloads do not match`,
        { index: i, txId: proposal.txId },
      );
    }
    if (r.endorsement === undefined) return;
    const e = r.endorsement.endorser;
    const key = Buffer.from(e.buffer, e.byteOffset, e.length).toString('latin1');
    if (seen.has(key)) return;
    seen.add(key);
    // ChaincodeEndorsedAction.endorsements = 2: Endorsement{endorser = 1, signature = 2}.
    endorsements.push(lenField(2, submessage(lenField(1, r.endorsement.endorser, true), lenField(2, r.endorsement.signature, true)), false) as WireField);
  });
  if (endorsements.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.BadResponse, 'no endorsements in the proposal responses', {
      txId: proposal.txId,
    });
  }

  // Encoded by hand (wire-writer), byte for byte what google-protobuf writes for
  // Envelope{Payload{Header, Transaction{TransactionAction{ChaincodeActionPayload{ChaincodeEndorsedAction}}}}}.
  const cea = submessage(lenField(1, first, true), ...endorsements);
  const cap = submessage(lenField(1, proposal.payloadForTx, true), lenField(2, cea, false));
  const action = submessage(lenField(1, proposal.signatureHeader.bytes, true), lenField(2, cap, true));
  const tx = submessage(lenField(1, action, false));
  const header = submessage(lenField(1, proposal.channelHeader.bytes, true), lenField(2, proposal.signatureHeader.bytes, true));
  const payloadBytes = message(lenField(1, header, false), lenField(2, tx, true));
  return message(lenField(1, payloadBytes, true), signer === undefined ? undefined : lenField(2, signer.sign(payloadBytes), true));
}

/** Decodes and checks an ENDORSER_TRANSACTION envelope (see {@link parseEndorserTransaction}). */
export function parseTransactionEnvelope(bytes: Uint8Array, options: ParseTransactionOptions = {}): ParsedTransaction {
  const env = parseEnvelope(bytes, {
    maxBytes: options.maxBytes,
    path: options.path,
    types: [HeaderType.ENDORSER_TRANSACTION],
    requireSignature: true,
  });
  return parseEndorserTransaction(env, options);
}

/**
 * Decodes the transaction inside an already parsed ENDORSER_TRANSACTION envelope, with Fabric's
 * structural checks (`core/common/validation/msgvalidation.go`): creator and nonce present, epoch 0,
 * tx_id = hex(SHA-256(nonce ‖ creator)) unless `verifyTxId` is false (error code
 * `PROTOCOL_BAD_TXID`, Fabric's BAD_PROPOSAL_TXID), exactly one action whose signature header has
 * creator and nonce, and the endorsed proposal hash matching SHA-256(channel header ‖ action header
 * ‖ chaincode proposal payload). Signatures are not verified.
 */
export function parseEndorserTransaction(
  env: ParsedEnvelope,
  options: Pick<ParseTransactionOptions, 'verifyTxId' | 'path'> = {},
): ParsedTransaction {
  const rootPath = options.path ?? 'envelope';
  const hPath = `${rootPath}.payload.header`;
  const chPath = `${hPath}.channel_header`;
  if (env.channelHeader.type !== HeaderType.ENDORSER_TRANSACTION) {
    throw new ProtocolError(
      ProtocolErrorCode.WrongHeaderType,
      `${chPath}.type: expected ENDORSER_TRANSACTION, got ${headerTypeName(env.channelHeader.type)}`,
      { path: `${chPath}.type`, got: env.channelHeader.type },
    );
  }
  // Re-run the header checks on the already decoded parts (cheap: no decoding).
  checkHeader(env.channelHeader, env.signatureHeader, hPath, {
    requireCreator: true,
    requireZeroEpoch: true,
    verifyTxId: options.verifyTxId ?? true,
  });
  const extPath = `${chPath}.extension`;
  const chaincodeName = headerExtensionChaincodeName(requireBytes(env.channelHeader.extension, extPath), extPath);

  // Read from the wire (WireReader): every transaction of every block comes through here.
  const txPath = `${rootPath}.payload.data`;
  const txReader = new WireReader(requireBytes(env.data, txPath), txPath, 'Transaction');
  const actions: Uint8Array[] = [];
  while (txReader.next()) {
    if (txReader.has(1, LEN)) actions.push(txReader.bytes());
    else txReader.skip();
  }
  if (actions.length !== 1) {
    throw new ProtocolError(
      ProtocolErrorCode.BadField,
      `${txPath}.actions: expected exactly one action, got ${actions.length}`,
      { path: `${txPath}.actions`, expected: 1, got: actions.length },
    );
  }
  const action = parseAction(actions[0], env, `${txPath}.actions[0]`);
  return {
    ...env,
    channelId: env.channelHeader.channelId,
    txId: env.channelHeader.txId,
    timestamp: env.channelHeader.timestamp,
    creator: env.signatureHeader.creator,
    nonce: env.signatureHeader.nonce,
    chaincodeName,
    action,
  };
}

function parseAction(actBytes: Uint8Array, env: ParsedEnvelope, path: string): ParsedTransactionAction {
  const [headerBytes, payloadBytes] = readBytesFields(actBytes, path, 'TransactionAction');
  const signatureHeader = parseSignatureHeader(requireBytes(headerBytes, `${path}.header`), `${path}.header`);
  requireBytes(signatureHeader.creator, `${path}.header.creator`);
  requireBytes(signatureHeader.nonce, `${path}.header.nonce`);

  const capPath = `${path}.payload`;
  const cap = new WireReader(requireBytes(payloadBytes, capPath), capPath, 'ChaincodeActionPayload');
  let cppBytes = EMPTY;
  // ChaincodeActionPayload.action is a message: its occurrences merge, endorsements accumulate.
  let endorsed: MessageBytes | undefined;
  while (cap.next()) {
    if (cap.has(1, LEN)) cppBytes = cap.bytes();
    else if (cap.has(2, LEN)) endorsed = cap.message(endorsed);
    else cap.skip();
  }
  const cppPath = `${capPath}.chaincode_proposal_payload`;
  // Fabric hashes these bytes (GetProposalHash2 refuses none) and never decodes them at commit.
  requireBytes(cppBytes, cppPath);

  const actPath = `${capPath}.action`;
  const cea = new WireReader(requireMessage(endorsed, actPath), actPath, 'ChaincodeEndorsedAction');
  let prpBytes = EMPTY;
  const endorsementBytes: Uint8Array[] = [];
  while (cea.next()) {
    if (cea.has(1, LEN)) prpBytes = cea.bytes();
    else if (cea.has(2, LEN)) endorsementBytes.push(cea.bytes());
    else cea.skip();
  }
  // msgvalidation checks the proposal hash before the dispatcher decodes the ChaincodeAction, so a
  // wrong hash is INVALID_ENDORSER_TRANSACTION whatever the action holds.
  const prpPath = `${actPath}.proposal_response_payload`;
  const expectedHash = computeProposalHash(env.channelHeader.bytes, headerBytes, cppBytes);
  if (!bytesEqual(expectedHash, proposalResponsePayloadFields(prpBytes, prpPath).proposalHash)) {
    throw new ProtocolError(ProtocolErrorCode.BadField, `${prpPath}.proposal_hash does not match the transaction's header and proposal payload`, {
      path: `${prpPath}.proposal_hash`,
      expected: toHex(expectedHash),
    });
  }
  const proposalResponsePayload = parseProposalResponsePayload(prpBytes, prpPath);
  // An empty endorser or signature is not a structural defect for Fabric's committer: the policy
  // skips an endorsement whose identity does not deserialize or whose signature does not verify.
  const endorsements = endorsementBytes.map((e, i) => {
    const [endorser, signature] = readBytesFields(e, `${actPath}.endorsements[${i}]`, 'Endorsement');
    return { endorser, signature };
  });

  return {
    signatureHeader,
    payloadBytes,
    chaincodeProposalPayload: cppBytes,
    get inputBytes(): Uint8Array {
      const [cppInput] = readBytesFields(cppBytes, cppPath, 'ChaincodeProposalPayload');
      return requireBytes(cppInput, `${cppPath}.input`);
    },
    get invocation(): ParsedInvocation {
      return parseInvocationSpec(this.inputBytes, `${cppPath}.input`);
    },
    proposalResponsePayload,
    endorsements,
  };
}

/** Fields 1 and 2 (both bytes) of a message, empty when absent. */
function readBytesFields(bytes: Uint8Array, path: string, name: string): [Uint8Array, Uint8Array] {
  const r = new WireReader(bytes, path, name);
  let first = EMPTY;
  let second = EMPTY;
  while (r.next()) {
    if (r.has(1, LEN)) first = r.bytes();
    else if (r.has(2, LEN)) second = r.bytes();
    else r.skip();
  }
  return [first, second];
}

const EMPTY: Uint8Array = new Uint8Array(0);

/** The creator's signed data over the envelope payload (checked against the channel Writers policy). */
export function transactionCreatorSignedData(tx: ParsedTransaction): SignedData {
  return envelopeSignedData(tx);
}

/** One signed data per endorsement: prp bytes ‖ endorser bytes (checked against the endorsement policy). */
export function transactionEndorsementSignedData(tx: ParsedTransaction): SignedData[] {
  const prp = tx.action.proposalResponsePayload.bytes;
  return tx.action.endorsements.map((e) => endorsementSignedData(prp, e));
}
