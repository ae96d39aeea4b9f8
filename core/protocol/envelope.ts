import { ChannelHeader, Envelope, Header, Payload, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { SignedData } from '../policy/policy';
import { toTimestamp } from './bytes';
import { ProtocolError } from '../errors';
import { DefaultProtocolLimits, ParseOptions, ProtocolErrorCode, checkSize, requireBytes, requireMessage } from './bounded-decode';
import { HeaderRequirements, ParsedChannelHeader, ParsedSignatureHeader, parseHeaderParts } from './header';
import type { Signer } from './signer';
import { computeTxId, newNonce } from './txid';
import { LEN, type MessageBytes, WireReader } from './wire-reader';

/** A decoded `common.Envelope` and its `Payload` header; all byte fields are the received bytes. */
export interface ParsedEnvelope {
  /** The whole envelope as received. */
  readonly bytes: Uint8Array;
  /** `common.Payload` bytes: what the creator signed. */
  readonly payloadBytes: Uint8Array;
  readonly signature: Uint8Array;
  readonly channelHeader: ParsedChannelHeader;
  readonly signatureHeader: ParsedSignatureHeader;
  /** `Payload.data`: a `Transaction`, `ConfigEnvelope`, `SeekInfo`, … depending on the header type. */
  readonly data: Uint8Array;
}

/** Options of {@link parseEnvelope}. */
export interface ParseEnvelopeOptions extends ParseOptions, HeaderRequirements {
  /** Require a non-empty signature (a configtxgen genesis envelope has none). */
  readonly requireSignature?: boolean;
  /** Path prefix used in error messages; `envelope` by default (`block.data[3]` inside a block). */
  readonly path?: string;
}

/** Decodes an `Envelope` and its payload header; checks per `options`. Does not verify the signature. */
export function parseEnvelope(bytes: Uint8Array, options: ParseEnvelopeOptions = {}): ParsedEnvelope {
  const root = options.path ?? 'envelope';
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCode.BadInput, `${root}: expected bytes (Uint8Array), got ${typeof bytes}`, { path: root });
  }
  requireBytes(bytes, root);
  checkSize(bytes, options.maxBytes ?? DefaultProtocolLimits.maxEnvelopeBytes, root);
  // Read from the wire (WireReader): every transaction of every block comes through here.
  const env = new WireReader(bytes, root, 'Envelope');
  let payloadBytes = EMPTY;
  let signature = EMPTY;
  while (env.next()) {
    if (env.has(1, LEN)) payloadBytes = env.bytes();
    else if (env.has(2, LEN)) signature = env.bytes();
    else env.skip();
  }
  requireBytes(payloadBytes, `${root}.payload`);
  if (options.requireSignature === true) requireBytes(signature, `${root}.signature`);
  const payload = new WireReader(payloadBytes, `${root}.payload`, 'Payload');
  // Payload.header is a message: its occurrences merge (a client may split one into several).
  let header: MessageBytes | undefined;
  let data = EMPTY;
  while (payload.next()) {
    if (payload.has(1, LEN)) header = payload.message(header);
    else if (payload.has(2, LEN)) data = payload.bytes();
    else payload.skip();
  }
  const headerPath = `${root}.payload.header`;
  const headerReader = new WireReader(requireMessage(header, headerPath), headerPath, 'Header');
  let chdr = EMPTY;
  let shdr = EMPTY;
  while (headerReader.next()) {
    if (headerReader.has(1, LEN)) chdr = headerReader.bytes();
    else if (headerReader.has(2, LEN)) shdr = headerReader.bytes();
    else headerReader.skip();
  }
  const { channelHeader, signatureHeader } = parseHeaderParts(chdr, shdr, headerPath, options);
  return { bytes, payloadBytes, signature, channelHeader, signatureHeader, data };
}

const EMPTY: Uint8Array = new Uint8Array(0);

/** The creator's signature over the envelope payload, for a policy check (e.g. `/Channel/Writers`). */
export function envelopeSignedData(env: ParsedEnvelope): SignedData {
  return { data: env.payloadBytes, identity: env.signatureHeader.creator, signature: env.signature };
}

/** Inputs of {@link buildEnvelope}. */
export interface EnvelopeInput {
  /** A `common.HeaderType` value. */
  readonly type: number;
  readonly channelId: string;
  /** `Payload.data` bytes. */
  readonly data: Uint8Array;
  /** Signs the payload and is the creator; without it the envelope is unsigned with an empty creator (genesis). */
  readonly signer?: Signer;
  readonly nonce?: Uint8Array;
  readonly timestamp?: Date;
  /** Defaults to hex(SHA-256(nonce ‖ creator)). Pass '' for none. */
  readonly txId?: string;
  readonly version?: number;
  readonly epoch?: number;
  readonly extension?: Uint8Array;
  /** SHA-256 of the client's TLS certificate: binds a Deliver request to its mutual-TLS connection. */
  readonly tlsCertHash?: Uint8Array;
}

/** Builds an `Envelope` of any header type (config, config update, deliver seek info, …). */
export function buildEnvelope(input: EnvelopeInput): Uint8Array {
  const creator = input.signer?.serialized ?? new Uint8Array(0);
  const nonce = input.nonce ?? newNonce();
  const chdr = new ChannelHeader();
  chdr.setType(input.type);
  chdr.setVersion(input.version ?? 0);
  chdr.setTimestamp(toTimestamp(input.timestamp ?? new Date()));
  chdr.setChannelId(input.channelId);
  chdr.setTxId(input.txId ?? computeTxId(nonce, creator));
  chdr.setEpoch(input.epoch ?? 0);
  if (input.extension !== undefined) chdr.setExtension$(input.extension);
  if (input.tlsCertHash !== undefined) chdr.setTlsCertHash(input.tlsCertHash);
  const shdr = new SignatureHeader();
  if (creator.length > 0) shdr.setCreator(creator);
  shdr.setNonce(nonce);
  const header = new Header();
  header.setChannelHeader(chdr.serializeBinary());
  header.setSignatureHeader(shdr.serializeBinary());
  const payload = new Payload();
  payload.setHeader(header);
  payload.setData(input.data);
  const payloadBytes = payload.serializeBinary();
  const env = new Envelope();
  env.setPayload(payloadBytes);
  if (input.signer !== undefined) env.setSignature(input.signer.sign(payloadBytes));
  return env.serializeBinary();
}
