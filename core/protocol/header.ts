import { ChannelHeader, Header, HeaderType, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ProtocolError } from '../errors';
import { type TimestampParts, fromTimestamp, timestampParts } from './bytes';
import { ProtocolErrorCode, decode, guard, requireBytes } from './bounded-decode';
import { computeTxId } from './txid';

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
  requireBytes(bytes, path);
  const chdr = decode(ChannelHeader, bytes, path);
  return guard(path, () => ({
    bytes,
    type: chdr.getType(),
    version: chdr.getVersion(),
    channelId: chdr.getChannelId(),
    txId: chdr.getTxId(),
    epoch: chdr.getEpoch(),
    timestamp: fromTimestamp(chdr.getTimestamp()),
    exactTimestamp: timestampParts(chdr.getTimestamp()),
    extension: chdr.getExtension_asU8(),
    tlsCertHash: chdr.getTlsCertHash_asU8(),
  }));
}

/** Decodes a `common.SignatureHeader` at `path`. */
export function parseSignatureHeader(bytes: Uint8Array, path: string): ParsedSignatureHeader {
  const shdr = decode(SignatureHeader, bytes, path);
  return guard(path, () => ({ bytes, creator: shdr.getCreator_asU8(), nonce: shdr.getNonce_asU8() }));
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
  requireBytes(bytes, path);
  const header = decode(Header, bytes, path);
  return parseHeaderMessage(header, path, req);
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
