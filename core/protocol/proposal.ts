import { ChannelHeader, Header, HeaderType, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeID, ChaincodeInput, ChaincodeInvocationSpec, ChaincodeSpec } from '@hyperledger/fabric-protos/lib/peer/chaincode_pb';
import {
  ChaincodeHeaderExtension,
  ChaincodeProposalPayload,
  Proposal,
  SignedProposal,
} from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { type TimestampParts, toTimestamp } from './bytes';
import { ProtocolError } from '../errors';
import {
  DefaultProtocolLimits,
  ParseOptions,
  ProtocolErrorCode,
  badInput,
  checkSize,
  requireBytes,
  requireMessage,
  requireString,
} from './bounded-decode';
import { ParsedChannelHeader, ParsedSignatureHeader, parseHeaderBytes } from './header';
import { computeProposalHash, proposalPayloadForTx } from './proposal-hash';
import type { Signer } from './signer';
import { computeTxId, newNonce } from './txid';
import { LEN, type MessageBytes, VARINT, WireReader } from './wire-reader';

/** Transient data: secret inputs for endorsers only, never ordered. */
export type TransientMap = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

/** A chaincode language, as `ChaincodeSpec.Type`. */
export type ChaincodeType = 'GOLANG' | 'NODE' | 'CAR' | 'JAVA' | 'UNDEFINED';

/** Inputs of {@link buildProposal}. */
export interface ProposalInput {
  readonly channelId: string;
  readonly chaincodeName: string;
  /** Chaincode arguments; by convention the first is the function name. */
  readonly args: readonly Uint8Array[];
  readonly transient?: TransientMap;
  /** `SerializedIdentity` bytes of the client. */
  readonly creator: Uint8Array;
  /** 24 random bytes when omitted. */
  readonly nonce?: Uint8Array;
  /** Now when omitted. */
  readonly timestamp?: Date;
  /** hex(SHA-256(nonce ‖ creator)) when omitted; only tests pass a wrong one. */
  readonly txId?: string;
  /** `NODE` when omitted, as the Fabric Gateway client sends. */
  readonly chaincodeType?: ChaincodeType;
  readonly isInit?: boolean;
}

/** What {@link buildProposal} returns: the unsigned proposal bytes and its parts. */
export interface BuiltProposal {
  /** `peer.Proposal` bytes: what the client signs. */
  readonly proposalBytes: Uint8Array;
  readonly txId: string;
  readonly nonce: Uint8Array;
  readonly channelHeaderBytes: Uint8Array;
  readonly signatureHeaderBytes: Uint8Array;
  /** `ChaincodeProposalPayload` bytes (with the transient map). */
  readonly payloadBytes: Uint8Array;
}

/** A decoded `peer.SignedProposal`; every byte field is the exact received bytes. */
export interface ParsedSignedProposal {
  /** The whole `SignedProposal` as received. */
  readonly bytes: Uint8Array;
  /** `Proposal` bytes: what the creator signed. */
  readonly proposalBytes: Uint8Array;
  readonly signature: Uint8Array;
  /** `common.Header` bytes. */
  readonly headerBytes: Uint8Array;
  /** `ChaincodeProposalPayload` bytes (with the transient map). */
  readonly payloadBytes: Uint8Array;
  readonly channelHeader: ParsedChannelHeader;
  readonly signatureHeader: ParsedSignatureHeader;
  readonly channelId: string;
  readonly txId: string;
  readonly timestamp: Date | undefined;
  /** The channel header's timestamp as sent, nanos included (the chaincode's `getTxTimestamp`). */
  readonly exactTimestamp: TimestampParts | undefined;
  readonly creator: Uint8Array;
  readonly nonce: Uint8Array;
  /** From the channel header's `ChaincodeHeaderExtension` (what Fabric routes on). */
  readonly chaincodeName: string;
  /** `ChaincodeInvocationSpec` bytes (the payload's `input`). */
  readonly inputBytes: Uint8Array;
  readonly chaincodeType: number;
  readonly args: readonly Uint8Array[];
  readonly isInit: boolean;
  readonly transient: ReadonlyMap<string, Uint8Array>;
  /** SHA-256 over header parts and the payload without transient data (Fabric's proposal hash). */
  readonly proposalHash: Uint8Array;
  /** The `ChaincodeProposalPayload` bytes with the transient map stripped, as a transaction carries them. */
  readonly payloadForTx: Uint8Array;
}

/** Options of {@link parseSignedProposal}. */
export interface ParseProposalOptions extends ParseOptions {
  /** Check tx_id = hex(SHA-256(nonce ‖ creator)) (Fabric's `BAD_PROPOSAL_TXID`); default true. */
  readonly verifyTxId?: boolean;
}

function chaincodeId(name: string, version?: string): ChaincodeID {
  const id = new ChaincodeID();
  id.setName(name);
  if (version !== undefined) id.setVersion(version);
  return id;
}

function transientEntries(transient: TransientMap | undefined): [string, Uint8Array][] {
  if (transient === undefined) return [];
  return transient instanceof Map ? [...transient.entries()] : Object.entries(transient);
}

/**
 * Builds an unsigned endorser proposal exactly as the Fabric Gateway client does: an
 * ENDORSER_TRANSACTION channel header with a `ChaincodeHeaderExtension`, a signature header with
 * the creator and nonce, and a `ChaincodeProposalPayload` carrying a `ChaincodeInvocationSpec`.
 */
export function buildProposal(input: ProposalInput): BuiltProposal {
  if (typeof input.channelId !== 'string') badInput('proposal.channel_id', 'a string', input.channelId);
  if (typeof input.chaincodeName !== 'string' || input.chaincodeName === '') {
    badInput('proposal.chaincode_id.name', 'a non-empty string', input.chaincodeName);
  }
  if (!(input.creator instanceof Uint8Array) || input.creator.length === 0) {
    badInput('proposal.signature_header.creator', 'non-empty SerializedIdentity bytes', input.creator);
  }
  input.args.forEach((arg, i) => {
    if (!(arg instanceof Uint8Array)) badInput(`proposal.input.args[${i}]`, 'bytes (Uint8Array)', arg);
  });
  const nonce = input.nonce ?? newNonce();
  if (nonce.length === 0) badInput('proposal.signature_header.nonce', 'non-empty bytes', nonce);
  const txId = input.txId ?? computeTxId(nonce, input.creator);

  const ext = new ChaincodeHeaderExtension();
  ext.setChaincodeId(chaincodeId(input.chaincodeName));
  const chdr = new ChannelHeader();
  chdr.setType(HeaderType.ENDORSER_TRANSACTION);
  chdr.setTxId(txId);
  chdr.setTimestamp(toTimestamp(input.timestamp ?? new Date()));
  chdr.setChannelId(input.channelId);
  chdr.setExtension$(ext.serializeBinary());
  chdr.setEpoch(0);
  const channelHeaderBytes = chdr.serializeBinary();

  const shdr = new SignatureHeader();
  shdr.setCreator(input.creator);
  shdr.setNonce(nonce);
  const signatureHeaderBytes = shdr.serializeBinary();

  const header = new Header();
  header.setChannelHeader(channelHeaderBytes);
  header.setSignatureHeader(signatureHeaderBytes);

  const ccInput = new ChaincodeInput();
  ccInput.setArgsList([...input.args]);
  if (input.isInit === true) ccInput.setIsInit(true);
  const spec = new ChaincodeSpec();
  spec.setType(ChaincodeSpec.Type[input.chaincodeType ?? 'NODE']);
  spec.setChaincodeId(chaincodeId(input.chaincodeName));
  spec.setInput(ccInput);
  const cis = new ChaincodeInvocationSpec();
  cis.setChaincodeSpec(spec);

  const cpp = new ChaincodeProposalPayload();
  cpp.setInput(cis.serializeBinary());
  const map = cpp.getTransientmapMap();
  for (const [key, value] of transientEntries(input.transient)) {
    if (!(value instanceof Uint8Array)) badInput(`proposal.payload.TransientMap[${key}]`, 'bytes (Uint8Array)', value);
    map.set(key, value);
  }
  const payloadBytes = cpp.serializeBinary();

  const proposal = new Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payloadBytes);
  return { proposalBytes: proposal.serializeBinary(), txId, nonce, channelHeaderBytes, signatureHeaderBytes, payloadBytes };
}

/** Signs `proposalBytes` and returns `SignedProposal` bytes. */
export function signProposal(proposalBytes: Uint8Array, signer: Signer): Uint8Array {
  const signed = new SignedProposal();
  signed.setProposalBytes(proposalBytes);
  signed.setSignature(signer.sign(proposalBytes));
  return signed.serializeBinary();
}

/** The channel header types an endorser takes (Fabric's `core/endorser/msgvalidation.go`). */
const PROPOSAL_HEADER_TYPES: readonly number[] = [HeaderType.ENDORSER_TRANSACTION, HeaderType.CONFIG];

/**
 * Decodes and checks a `SignedProposal` as Fabric's endorser `UnpackProposal` + header checks do:
 * ENDORSER_TRANSACTION or CONFIG type, creator and nonce present, chaincode name in the header extension,
 * chaincode spec and input present, and (by default) the txid. Does not verify the signature:
 * that needs the channel MSP. Throws {@link ProtocolError} naming the field.
 */
export function parseSignedProposal(bytes: Uint8Array, options: ParseProposalOptions = {}): ParsedSignedProposal {
  const root = 'signed_proposal';
  requireInput(bytes, root);
  requireBytes(bytes, root);
  checkSize(bytes, options.maxBytes ?? DefaultProtocolLimits.maxProposalBytes, root);
  // The outer layers are read from the wire (WireReader): this runs for every proposal.
  const [signedProposalBytes, signatureBytes] = twoBytesFields(bytes, root, 'SignedProposal');
  const proposalBytes = requireBytes(signedProposalBytes, `${root}.proposal_bytes`);
  const signature = requireBytes(signatureBytes, `${root}.signature`);

  const pPath = `${root}.proposal_bytes`;
  const [headerBytes, payloadBytes] = twoBytesFields(proposalBytes, pPath, 'Proposal');
  const { channelHeader, signatureHeader } = parseHeaderBytes(headerBytes, `${pPath}.header`, {
    // Fabric's `UnpackedProposal.Validate` takes CONFIG too, and its `peer channel join` sends
    // cscc's JoinChain with a CONFIG header (`CreateProposalFromCIS(HeaderType_CONFIG, …)`).
    types: PROPOSAL_HEADER_TYPES,
    requireCreator: true,
    requireZeroEpoch: true,
    verifyTxId: options.verifyTxId ?? true,
  });

  const extPath = `${pPath}.header.channel_header.extension`;
  const chaincodeName = headerExtensionChaincodeName(requireBytes(channelHeader.extension, extPath), extPath);

  const payloadPath = `${pPath}.payload`;
  const cpp = new WireReader(requireBytes(payloadBytes, payloadPath), payloadPath, 'ChaincodeProposalPayload');
  let cppInput = EMPTY;
  const transient = new Map<string, Uint8Array>();
  while (cpp.next()) {
    if (cpp.has(1, LEN)) cppInput = cpp.bytes();
    else if (cpp.has(2, LEN)) readMapEntry(cpp.bytes(), `${payloadPath}.TransientMap`, transient);
    else cpp.skip();
  }
  const inputPath = `${payloadPath}.input`;
  const inputBytes = requireBytes(cppInput, inputPath);
  const invocation = parseInvocationSpec(inputBytes, inputPath);

  const payloadForTx = proposalPayloadForTx(inputBytes);
  let proposalHash: Uint8Array | undefined;
  return {
    bytes,
    proposalBytes,
    signature,
    headerBytes,
    payloadBytes,
    channelHeader,
    signatureHeader,
    channelId: channelHeader.channelId,
    txId: channelHeader.txId,
    timestamp: channelHeader.timestamp,
    exactTimestamp: channelHeader.exactTimestamp,
    creator: signatureHeader.creator,
    nonce: signatureHeader.nonce,
    chaincodeName,
    inputBytes,
    ...invocation,
    transient,
    // Hashed when first read: an endorsement signs it, an evaluation never needs it.
    get proposalHash(): Uint8Array {
      proposalHash ??= computeProposalHash(channelHeader.bytes, signatureHeader.bytes, payloadForTx);
      return proposalHash;
    },
    payloadForTx,
  };
}

function requireInput(bytes: Uint8Array, path: string): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCode.BadInput, `${path}: expected bytes (Uint8Array), got ${typeof bytes}`, { path });
  }
}

/** Fields 1 and 2 (both bytes) of a message such as `SignedProposal` or `Proposal`; empty when absent. */
function twoBytesFields(bytes: Uint8Array, path: string, message: string): [Uint8Array, Uint8Array] {
  const r = new WireReader(bytes, path, message);
  let first: Uint8Array = EMPTY;
  let second: Uint8Array = EMPTY;
  while (r.next()) {
    if (r.has(1, LEN)) first = r.bytes();
    else if (r.has(2, LEN)) second = r.bytes();
    else r.skip();
  }
  return [first, second];
}

/** `ChaincodeHeaderExtension{chaincode_id = 2: ChaincodeID{name = 2}}`: the chaincode a proposal routes to. */
export function headerExtensionChaincodeName(bytes: Uint8Array, path: string): string {
  const r = new WireReader(bytes, path, 'ChaincodeHeaderExtension');
  let id: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(2, LEN)) id = r.message(id);
    else r.skip();
  }
  const idPath = `${path}.chaincode_id`;
  const idReader = new WireReader(requireMessage(id, idPath), idPath, 'ChaincodeID');
  let name = '';
  while (idReader.next()) {
    // path = 1 and version = 3 are strings too: protobuf-go refuses them when not UTF-8.
    if (idReader.has(2, LEN)) name = idReader.string();
    else if (idReader.has(1, LEN) || idReader.has(3, LEN)) idReader.string();
    else idReader.skip();
  }
  return requireString(name, `${idPath}.name`);
}

/** One `map<string, bytes>` entry {key = 1, value = 2}; a later entry for a key replaces an earlier one. */
function readMapEntry(bytes: Uint8Array, path: string, into: Map<string, Uint8Array>): void {
  const r = new WireReader(bytes, path, 'map entry');
  let key = '';
  let value = EMPTY;
  while (r.next()) {
    if (r.has(1, LEN)) key = r.string();
    else if (r.has(2, LEN)) value = r.bytes();
    else r.skip();
  }
  into.set(key, value);
}

const EMPTY: Uint8Array = new Uint8Array(0);

/** The decoded `ChaincodeInvocationSpec` of a proposal or transaction payload. */
export interface ParsedInvocation {
  readonly chaincodeType: number;
  readonly args: readonly Uint8Array[];
  readonly isInit: boolean;
}

/** Decodes `ChaincodeInvocationSpec` bytes at `path`; spec and input are required (as Fabric). */
export function parseInvocationSpec(bytes: Uint8Array, path: string): ParsedInvocation {
  // chaincode_spec and its input are messages: their occurrences merge. Only endorsers read this
  // (a committer never does), so the fields Weft does not use are not decoded.
  const cis = new WireReader(bytes, path, 'ChaincodeInvocationSpec');
  let specBytes: MessageBytes | undefined;
  while (cis.next()) {
    if (cis.has(1, LEN)) specBytes = cis.message(specBytes);
    else cis.skip();
  }
  const specPath = `${path}.chaincode_spec`;
  const spec = new WireReader(requireMessage(specBytes, specPath), specPath, 'ChaincodeSpec');
  let chaincodeType = 0;
  let inputBytes: MessageBytes | undefined;
  while (spec.next()) {
    if (spec.has(1, VARINT)) chaincodeType = spec.int32();
    else if (spec.has(3, LEN)) inputBytes = spec.message(inputBytes);
    else spec.skip();
  }
  const inputPath = `${specPath}.input`;
  const input = new WireReader(requireMessage(inputBytes, inputPath), inputPath, 'ChaincodeInput');
  const args: Uint8Array[] = [];
  let isInit = false;
  while (input.next()) {
    if (input.has(1, LEN)) args.push(input.bytes());
    else if (input.has(3, VARINT)) isInit = input.uint() !== 0;
    else input.skip();
  }
  return { chaincodeType, args, isInit };
}
