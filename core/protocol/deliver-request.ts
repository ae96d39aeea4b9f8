import { X509Certificate, createHash } from 'node:crypto';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SeekInfo, SeekPosition, SeekSpecified } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { buildEnvelope } from './envelope';
import type { Signer } from './signer';
import { bytesEqual, toHex } from './bytes';
import { decodeBlock } from './block';
import { isConfigBlock } from './config-parse';
import type { ParsedChannelHeader } from './header';

/** SHA-256 of a certificate's DER: the TLS binding a Deliver request carries (`ChannelHeader.tls_cert_hash`). */
export function tlsCertificateHash(certificate: Uint8Array | string): Uint8Array {
  const der = typeof certificate !== 'string' && certificate[0] === 0x30 ? certificate : new X509Certificate(certificate).raw;
  return new Uint8Array(createHash('sha256').update(der).digest());
}

/** What a Deliver server requires of a request's channel header. */
export interface DeliverHeaderRules {
  /** The server's clock, ms. */
  readonly now: number;
  /** How far the request's timestamp may be from `now` (Fabric's authentication `TimeWindow`, 15 min). */
  readonly timeWindowMs: number;
  /**
   * The SHA-256 of the client's TLS certificate when the server requires client certificates (empty
   * when the client sent none); undefined when it does not, and no binding is checked.
   */
  readonly clientCertHash: Uint8Array | undefined;
}

/**
 * Fabric's deliver `validateChannelHeader`: the timestamp is present and within the time window,
 * so a captured request cannot be replayed later, and under mutual TLS the request names the TLS
 * certificate of the connection it arrives on, so it cannot be replayed from another client's
 * connection. Returns what is wrong (the server answers BAD_REQUEST), or undefined.
 */
export function deliverHeaderProblem(header: ParsedChannelHeader, rules: DeliverHeaderRules): string | undefined {
  if (header.timestamp === undefined) return 'channel header in envelope must contain timestamp';
  const skew = Math.abs(rules.now - header.timestamp.getTime());
  if (skew > rules.timeWindowMs) {
    return `envelope timestamp ${header.timestamp.toISOString()} is more than ${rules.timeWindowMs} ms apart from current server time ${new Date(rules.now).toISOString()}`;
  }
  if (rules.clientCertHash === undefined) return undefined;
  if (header.tlsCertHash.length === 0) return "client didn't include its TLS cert hash";
  if (rules.clientCertHash.length === 0) return "client didn't send a TLS certificate";
  if (!bytesEqual(header.tlsCertHash, rules.clientCertHash)) {
    return `claimed TLS cert hash is ${toHex(header.tlsCertHash)} but actual TLS cert hash is ${toHex(rules.clientCertHash)}`;
  }
  return undefined;
}

/**
 * A stored block as Deliver's `HEADER_WITH_SIG` content type sends it: header and metadata (with the
 * orderer signatures) without the transactions, except a config block, which keeps its data so a
 * follower can track the channel's config (Fabric's deliver handler, `IsConfigBlock`).
 */
export function headerWithSignatures(blockBytes: Uint8Array): Uint8Array {
  const block = decodeBlock(blockBytes);
  if (isConfigBlock(block)) return blockBytes;
  block.clearData();
  return block.serializeBinary();
}

/**
 * A signed `DELIVER_SEEK_INFO` envelope asking for blocks `start`…`stop` (`stop` undefined: no end),
 * as Fabric's Deliver clients send it: waiting for blocks not yet written (`BLOCK_UNTIL_READY`), or
 * with `failIfNotReady` answered NOT_FOUND at once.
 */
/** `headersOnly`: Fabric's `HEADER_WITH_SIG` content type (block headers and their signatures, no data). */
export function buildSeekEnvelope(input: { channelId: string; start: number; stop?: number; failIfNotReady?: boolean; headersOnly?: boolean; signer: Signer; tlsCertHash?: Uint8Array }): Uint8Array {
  const position = (n: number): SeekPosition => {
    const s = new SeekSpecified();
    s.setNumber(n);
    const p = new SeekPosition();
    p.setSpecified(s);
    return p;
  };
  const seek = new SeekInfo();
  seek.setStart(position(input.start));
  seek.setStop(position(input.stop ?? Number.MAX_SAFE_INTEGER));
  seek.setBehavior(input.failIfNotReady === true ? SeekInfo.SeekBehavior.FAIL_IF_NOT_READY : SeekInfo.SeekBehavior.BLOCK_UNTIL_READY);
  if (input.headersOnly === true) seek.setContentType(SeekInfo.SeekContentType.HEADER_WITH_SIG);
  return buildEnvelope({
    type: HeaderType.DELIVER_SEEK_INFO,
    channelId: input.channelId,
    data: seek.serializeBinary(),
    signer: input.signer,
    tlsCertHash: input.tlsCertHash,
  });
}
