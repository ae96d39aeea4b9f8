import { type Header, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ProtocolError } from '../errors';
import type { TimestampParts } from './bytes';
import { ProtocolErrorCode, guard, requireBytes } from './bounded-decode';
import { computeTxId } from './txid';
import { LEN, type MessageBytes, VARINT, WireReader } from './wire-reader';

/** A decoded `common.ChannelHeader` with the exact bytes it came from. */
export interface ParsedChannelHeader {
  readonly bytes: Uint8Array;
  readonly type: number;
  readonly version: number;
  readonly channelId: string;
  readonly txId: string;
  readonly epoch: number;
  readonly timestamp: Date | undefined;
  /** The timestamp's seconds and nanos as sent (what chaincode's `getTxTimestamp` returns). */
  readonly exactTimestamp: TimestampParts | undefined;
  /** Type-specific extension (`ChaincodeHeaderExtension` for endorser transactions). */
  readonly extension: Uint8Array;
  readonly tlsCertHash: Uint8Array;
}

/** A decoded `common.SignatureHeader` with the exact bytes it came from. */
export interface ParsedSignatureHeader {
  readonly bytes: Uint8Array;
  /** `SerializedIdentity` bytes of the creator (empty in a configtxgen genesis block). */
  readonly creator: Uint8Array;
  readonly nonce: Uint8Array;
}

/** Both halves of a `common.Header`. */
export interface ParsedHeader {
  readonly channelHeader: ParsedChannelHeader;
  readonly signatureHeader: ParsedSignatureHeader;
}

/** What a header must carry; endorser transactions need all of it, a genesis block has no creator. */
export interface HeaderRequirements {
  /** Accepted channel header types; any when omitted. */
  readonly types?: readonly number[];
  /** Require a non-empty creator and nonce (true for endorser transactions). */
  readonly requireCreator?: boolean;
  /** Require tx_id = hex(SHA-256(nonce ‖ creator)). */
  readonly verifyTxId?: boolean;
  /** Require epoch 0, as Fabric's endorser and validator do. */
  readonly requireZeroEpoch?: boolean;
}

const headerTypeNames = new Map<number, string>(Object.entries(HeaderType).map(([name, value]) => [value, name]));

/** The name of a `common.HeaderType` value, or its number when unknown. */
export function headerTypeName(type: number): string {
  return headerTypeNames.get(type) ?? String(type);
}

/** Decodes a `common.ChannelHeader` at `path`. */
export function parseChannelHeader(bytes: Uint8Array, path: string): ParsedChannelHeader {
  requireInput(bytes, path);
  requireBytes(bytes, path);
  // Read from the wire (see WireReader): this runs for every proposal and every envelope.
  const r = new WireReader(bytes, path, 'ChannelHeader');
  let type = 0;
  let version = 0;
  let channelId = '';
  let txId = '';
  let epoch = 0;
  let extension = EMPTY;
  let tlsCertHash = EMPTY;
  let timestampBytes: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, VARINT)) type = r.int32();
    else if (r.has(2, VARINT)) version = r.int32();
    else if (r.has(3, LEN)) timestampBytes = r.message(timestampBytes);
    else if (r.has(4, LEN)) channelId = r.string();
    else if (r.has(5, LEN)) txId = r.string();
    else if (r.has(6, VARINT)) epoch = r.uint();
    else if (r.has(7, LEN)) extension = r.bytes();
    else if (r.has(8, LEN)) tlsCertHash = r.bytes();
    else r.skip();
  }
  const exactTimestamp = timestampBytes === undefined ? undefined : parseTimestamp(timestampBytes, `${path}.timestamp`);
  const timestamp = exactTimestamp === undefined ? undefined : new Date(exactTimestamp.seconds * 1000 + Math.floor(exactTimestamp.nanos / 1e6));
  return { bytes, type, version, channelId, txId, epoch, timestamp, exactTimestamp, extension, tlsCertHash };
}

/** `google.protobuf.Timestamp{seconds = 1, nanos = 2}`. */
export function parseTimestamp(bytes: MessageBytes, path: string): TimestampParts {
  const r = new WireReader(bytes, path, 'Timestamp');
  let seconds = 0;
  let nanos = 0;
  while (r.next()) {
    if (r.has(1, VARINT)) seconds = r.int64();
    else if (r.has(2, VARINT)) nanos = r.int32();
    else r.skip();
  }
  return { seconds, nanos };
}

/** Decodes a `common.SignatureHeader` at `path`. */
export function parseSignatureHeader(bytes: Uint8Array, path: string): ParsedSignatureHeader {
  requireInput(bytes, path);
  const r = new WireReader(bytes, path, 'SignatureHeader');
  let creator = EMPTY;
  let nonce = EMPTY;
  while (r.next()) {
    if (r.has(1, LEN)) creator = r.bytes();
    else if (r.has(2, LEN)) nonce = r.bytes();
    else r.skip();
  }
  return { bytes, creator, nonce };
}

const EMPTY: Uint8Array = new Uint8Array(0);

function requireInput(bytes: Uint8Array, path: string): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCode.BadInput, `${path}: expected bytes (Uint8Array), got ${typeof bytes}`, { path });
  }
}

/**
 * Decodes the two header byte strings of a `common.Header` (`path` is the header's path, e.g.
 * `envelope.payload.header`) and checks them against `req`.
 */
export function parseHeaderParts(
  channelHeaderBytes: Uint8Array,
  signatureHeaderBytes: Uint8Array,
  path: string,
  req: HeaderRequirements = {},
): ParsedHeader {
  const channelHeader = parseChannelHeader(channelHeaderBytes, `${path}.channel_header`);
  const signatureHeader = parseSignatureHeader(signatureHeaderBytes, `${path}.signature_header`);
  checkHeader(channelHeader, signatureHeader, path, req);
  return { channelHeader, signatureHeader };
}

/** Decodes a `common.Header` message's bytes (as in `Proposal.header`). */
export function parseHeaderBytes(bytes: Uint8Array, path: string, req: HeaderRequirements = {}): ParsedHeader {
  requireInput(bytes, path);
  requireBytes(bytes, path);
  const r = new WireReader(bytes, path, 'Header');
  let chdr = EMPTY;
  let shdr = EMPTY;
  while (r.next()) {
    if (r.has(1, LEN)) chdr = r.bytes();
    else if (r.has(2, LEN)) shdr = r.bytes();
    else r.skip();
  }
  return parseHeaderParts(chdr, shdr, path, req);
}

/** Checks an already decoded `common.Header` message. */
export function parseHeaderMessage(header: Header, path: string, req: HeaderRequirements = {}): ParsedHeader {
  const [chdr, shdr] = guard(path, () => [header.getChannelHeader_asU8(), header.getSignatureHeader_asU8()] as const);
  return parseHeaderParts(chdr, shdr, path, req);
}

/**
 * Checks decoded header parts against `req` (type, creator and nonce, epoch, txid); `path` is the
 * header's path for error messages.
 */
export function checkHeader(
  channelHeader: ParsedChannelHeader,
  signatureHeader: ParsedSignatureHeader,
  path: string,
  req: HeaderRequirements,
): void {
  if (req.types !== undefined && !req.types.includes(channelHeader.type)) {
    const expected = req.types.map(headerTypeName).join(' or ');
    throw new ProtocolError(
      ProtocolErrorCode.WrongHeaderType,
      `${path}.channel_header.type: expected ${expected}, got ${headerTypeName(channelHeader.type)}`,
      { path: `${path}.channel_header.type`, expected: req.types, got: channelHeader.type },
    );
  }
  if (req.requireZeroEpoch === true && channelHeader.epoch !== 0) {
    throw new ProtocolError(ProtocolErrorCode.BadField, `${path}.channel_header.epoch: expected 0, got ${channelHeader.epoch}`, {
      path: `${path}.channel_header.epoch`,
      got: channelHeader.epoch,
    });
  }
  if (req.requireCreator === true) {
    requireBytes(signatureHeader.creator, `${path}.signature_header.creator`);
    requireBytes(signatureHeader.nonce, `${path}.signature_header.nonce`);
  }
  if (req.verifyTxId === true) checkTxId(channelHeader, signatureHeader, path);
}

function checkTxId(chdr: ParsedChannelHeader, shdr: ParsedSignatureHeader, path: string): void {
  const expected = computeTxId(shdr.nonce, shdr.creator);
  if (chdr.txId !== expected) {
    throw new ProtocolError(
      ProtocolErrorCode.BadTxId,
      `${path}.channel_header.tx_id: expected hex(SHA-256(nonce ‖ creator)) = ${expected}, got ${JSON.stringify(chdr.txId)}`,
      { path: `${path}.channel_header.tx_id`, expected, got: chdr.txId },
    );
  }
}
