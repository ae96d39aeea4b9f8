import { ChannelHeader, Header, HeaderType, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeID, ChaincodeInput, ChaincodeInvocationSpec, ChaincodeSpec } from '@hyperledger/fabric-protos/lib/peer/chaincode_pb';
import {
  ChaincodeHeaderExtension,
  ChaincodeProposalPayload,
  Proposal,
  SignedProposal,
} from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { type TimestampParts, toTimestamp } from './bytes';
import {
  DefaultProtocolLimits,
  ParseOptions,
  badInput,
  decode,
  guard,
  requireBytes,
  requireMessage,
  requireString,
} from './bounded-decode';
import { ParsedChannelHeader, ParsedSignatureHeader, parseHeaderBytes } from './header';
import { computeProposalHash, proposalPayloadForTx } from './proposal-hash';
import type { Signer } from './signer';
import { computeTxId, newNonce } from './txid';

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

/**
 * Decodes and checks a `SignedProposal` as Fabric's endorser `UnpackProposal` + header checks do:
 * ENDORSER_TRANSACTION type, creator and nonce present, chaincode name in the header extension,
 * chaincode spec and input present, and (by default) the txid. Does not verify the signature:
 * that needs the channel MSP. Throws {@link ProtocolError} naming the field.
 */
export function parseSignedProposal(bytes: Uint8Array, options: ParseProposalOptions = {}): ParsedSignedProposal {
  const root = 'signed_proposal';
  requireBytes(bytes, root);
  const signed = decode(SignedProposal, bytes, root, options.maxBytes ?? DefaultProtocolLimits.maxProposalBytes);
  const proposalBytes = requireBytes(signed.getProposalBytes_asU8(), `${root}.proposal_bytes`);
  const signature = requireBytes(signed.getSignature_asU8(), `${root}.signature`);

  const pPath = `${root}.proposal_bytes`;
  const proposal = decode(Proposal, proposalBytes, pPath);
  const headerBytes = proposal.getHeader_asU8();
  const payloadBytes = proposal.getPayload_asU8();
  const { channelHeader, signatureHeader } = parseHeaderBytes(headerBytes, `${pPath}.header`, {
    types: [HeaderType.ENDORSER_TRANSACTION],
    requireCreator: true,
    requireZeroEpoch: true,
    verifyTxId: options.verifyTxId ?? true,
  });

  const extPath = `${pPath}.header.channel_header.extension`;
  const ext = decode(ChaincodeHeaderExtension, requireBytes(channelHeader.extension, extPath), extPath);
  const extId = requireMessage(ext.getChaincodeId(), `${extPath}.chaincode_id`);
  const chaincodeName = requireString(extId.getName(), `${extPath}.chaincode_id.name`);

  const payloadPath = `${pPath}.payload`;
  const cpp = decode(ChaincodeProposalPayload, requireBytes(payloadBytes, payloadPath), payloadPath);
  const inputPath = `${payloadPath}.input`;
  const inputBytes = requireBytes(cpp.getInput_asU8(), inputPath);
  const invocation = parseInvocationSpec(inputBytes, inputPath);
  const transient = guard(`${payloadPath}.TransientMap`, () => {
    const out = new Map<string, Uint8Array>();
    cpp.getTransientmapMap().forEach((value, key) => {
      out.set(key, typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : value);
    });
    return out;
  });

  const payloadForTx = proposalPayloadForTx(inputBytes);
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
    proposalHash: computeProposalHash(channelHeader.bytes, signatureHeader.bytes, payloadForTx),
    payloadForTx,
  };
}

/** The decoded `ChaincodeInvocationSpec` of a proposal or transaction payload. */
export interface ParsedInvocation {
  readonly chaincodeType: number;
  readonly args: readonly Uint8Array[];
  readonly isInit: boolean;
}

/** Decodes `ChaincodeInvocationSpec` bytes at `path`; spec and input are required (as Fabric). */
export function parseInvocationSpec(bytes: Uint8Array, path: string): ParsedInvocation {
  const cis = decode(ChaincodeInvocationSpec, bytes, path);
  return guard(path, () => {
    const spec = requireMessage(cis.getChaincodeSpec(), `${path}.chaincode_spec`);
    const ccInput = requireMessage(spec.getInput(), `${path}.chaincode_spec.input`);
    return { chaincodeType: spec.getType(), args: ccInput.getArgsList_asU8(), isInit: ccInput.getIsInit() };
  });
}
