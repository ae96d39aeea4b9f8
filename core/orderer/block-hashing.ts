import { createHash } from 'node:crypto';

/**
 * Fabric's `protoutil.BlockHeaderBytes`: the ASN.1 DER of SEQUENCE { INTEGER number, OCTET STRING
 * previous_hash, OCTET STRING data_hash }. The block header hash (and the orderer's block
 * signature) cover these bytes, not the protobuf encoding.
 */
export function blockHeaderBytes(number: number | bigint, previousHash: Uint8Array, dataHash: Uint8Array): Buffer {
  const body = Buffer.concat([derInteger(BigInt(number)), derTlv(0x04, previousHash), derTlv(0x04, dataHash)]);
  return derTlv(0x30, body);
}

/** SHA-256 of {@link blockHeaderBytes}: what the next block's `previous_hash` holds. */
export function blockHeaderHash(number: number | bigint, previousHash: Uint8Array, dataHash: Uint8Array): Buffer {
  return createHash('sha256').update(blockHeaderBytes(number, previousHash, dataHash)).digest();
}

/** Fabric's `protoutil.ComputeBlockDataHash`: SHA-256 over the concatenated envelope bytes. */
export function blockDataHash(data: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const d of data) hash.update(d);
  return hash.digest();
}

function derInteger(value: bigint): Buffer {
  // Non-negative two's complement, minimal length: a leading 0x00 only when the top bit is set.
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return derTlv(0x02, bytes);
}

function derTlv(tag: number, content: Uint8Array): Buffer {
  const len = content.length;
  let header: Buffer;
  if (len < 0x80) header = Buffer.from([tag, len]);
  else {
    let hex = len.toString(16);
    if (hex.length % 2 === 1) hex = '0' + hex;
    const lenBytes = Buffer.from(hex, 'hex');
    header = Buffer.concat([Buffer.from([tag, 0x80 | lenBytes.length]), lenBytes]);
  }
  return Buffer.concat([header, content]);
}
