import { createHash } from 'node:crypto';
import {
  Block,
  BlockData,
  BlockHeader,
  BlockMetadata,
  LastConfig,
  Metadata,
  OrdererBlockMetadata,
} from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ProtocolError } from '../errors';
import { bytesEqual, toHex } from './bytes';
import { LastConfigSchema, MetadataSchema, OrdererBlockMetadataSchema } from './block-schemas';
import { DefaultProtocolLimits, ParseOptions, ProtocolErrorCode, badInput, checkSize, guard, requireMessage } from './bounded-decode';
import { decodeConfigProto } from './config-decode';
import { derInteger, derOctetString, derSequence } from './der';
import { LEN, type MessageBytes, VARINT, WireReader } from './wire-reader';

/** Block metadata slots (`common.BlockMetadataIndex`). Every block carries all five. */
export const BlockMetadataIndex = {
  SIGNATURES: 0,
  /** Deprecated in Fabric (the index now lives in SIGNATURES) but still written by orderers. */
  LAST_CONFIG: 1,
  TRANSACTIONS_FILTER: 2,
  /** Deprecated. */
  ORDERER: 3,
  COMMIT_HASH: 4,
} as const;
export type BlockMetadataIndex = (typeof BlockMetadataIndex)[keyof typeof BlockMetadataIndex];
const METADATA_SLOTS = 5;

/** The three hashed fields of a block header. */
export interface BlockHeaderFields {
  /** uint64; a bigint for numbers beyond 2^53. */
  readonly number: number | bigint;
  readonly previousHash: Uint8Array;
  readonly dataHash: Uint8Array;
}

function headerFields(header: BlockHeaderFields | BlockHeader): BlockHeaderFields {
  if (header instanceof BlockHeader) {
    return { number: header.getNumber(), previousHash: header.getPreviousHash_asU8(), dataHash: header.getDataHash_asU8() };
  }
  return header;
}

/**
 * ASN.1 DER SEQUENCE{INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash}: the bytes
 * Fabric hashes for a block's identity and that orderers sign (`protoutil.BlockHeaderBytes`).
 */
export function blockHeaderBytes(header: BlockHeaderFields | BlockHeader): Uint8Array {
  const h = headerFields(header);
  return derSequence(derInteger(h.number), derOctetString(h.previousHash), derOctetString(h.dataHash));
}

/** SHA-256 of {@link blockHeaderBytes}: the next block's previous_hash. */
export function blockHeaderHash(header: BlockHeaderFields | BlockHeader): Uint8Array {
  return new Uint8Array(createHash('sha256').update(blockHeaderBytes(header)).digest());
}

/** SHA-256 of the concatenated envelopes (Fabric `protoutil.ComputeBlockDataHash`: a flat hash, not a Merkle tree). */
export function blockDataHash(data: readonly Uint8Array[] | BlockData): Uint8Array {
  const entries = data instanceof BlockData ? data.getDataList_asU8() : data;
  const hash = createHash('sha256');
  for (const entry of entries) hash.update(entry);
  return new Uint8Array(hash.digest());
}

/**
 * A new block (Fabric `protoutil.NewBlock` + data): header {number, previous_hash, data_hash of
 * `envelopes`}, the envelopes as given, and five empty metadata slots.
 */
export function newBlock(number: number, previousHash: Uint8Array, envelopes: readonly Uint8Array[]): Block {
  if (!Number.isSafeInteger(number) || number < 0) badInput('block.header.number', 'a non-negative safe integer', number);
  const header = new BlockHeader();
  header.setNumber(number);
  header.setPreviousHash(previousHash);
  header.setDataHash(blockDataHash(envelopes));
  const data = new BlockData();
  data.setDataList([...envelopes]);
  const metadata = new BlockMetadata();
  metadata.setMetadataList(Array.from({ length: METADATA_SLOTS }, () => new Uint8Array(0)));
  const block = new Block();
  block.setHeader(header);
  block.setData(data);
  block.setMetadata(metadata);
  return block;
}

/** A decoded block with the fields every consumer needs; `block` is the proto for further use. */
export interface ParsedBlock {
  readonly bytes: Uint8Array;
  readonly block: Block;
  readonly number: number;
  readonly previousHash: Uint8Array;
  readonly dataHash: Uint8Array;
  /** The envelopes, as stored (views into `bytes`). */
  readonly envelopes: readonly Uint8Array[];
  /** Always at least five slots (missing ones are empty, as Fabric's `InitBlockMetadata`). */
  readonly metadata: readonly Uint8Array[];
}

/** Options of {@link parseBlock}. */
export interface ParseBlockOptions extends ParseOptions {
  /** Check header.data_hash against the envelopes; default true. */
  readonly verifyDataHash?: boolean;
}

/**
 * Decodes a `common.Block` within the size bound (100 MiB by default), as a Fabric node's
 * `proto.Unmarshal` does (see {@link decodeBlock}): header required, number a safe integer, data
 * hash checked unless disabled, metadata padded to five slots (also in `block`).
 */
export function parseBlock(bytes: Uint8Array, options: ParseBlockOptions = {}): ParsedBlock {
  const block = decodeBlock(bytes, options.maxBytes ?? DefaultProtocolLimits.maxBlockBytes);
  const parts = guard('block', () => {
    const header = requireMessage(block.getHeader(), 'block.header');
    const data = block.getData();
    if (!block.hasMetadata()) block.setMetadata(new BlockMetadata());
    const md = block.getMetadata() as BlockMetadata;
    const metadata = md.getMetadataList_asU8();
    while (metadata.length < METADATA_SLOTS) metadata.push(new Uint8Array(0));
    md.setMetadataList(metadata);
    return {
      number: header.getNumber(),
      previousHash: header.getPreviousHash_asU8(),
      dataHash: header.getDataHash_asU8(),
      envelopes: data?.getDataList_asU8() ?? [],
      metadata,
    };
  });
  if (!Number.isSafeInteger(parts.number) || parts.number < 0) {
    throw new ProtocolError(ProtocolErrorCode.BadField, `block.header.number: ${parts.number} is not a safe integer`, {
      path: 'block.header.number',
    });
  }
  if (options.verifyDataHash ?? true) {
    const expected = blockDataHash(parts.envelopes);
    if (!bytesEqual(expected, parts.dataHash)) {
      throw new ProtocolError(
        ProtocolErrorCode.BadField,
        `block.header.data_hash: expected ${toHex(expected)} (SHA-256 of the block's ${parts.envelopes.length} envelopes), got ${toHex(parts.dataHash)}`,
        { path: 'block.header.data_hash', blockNumber: parts.number },
      );
    }
  }
  return { bytes, block, ...parts };
}

/**
 * A `common.Block` read from the wire as protobuf-go reads it, into the generated class. Blocks come
 * from orderers, other peers and admins, and google-protobuf's `deserializeBinary` parts from the
 * Go nodes on bytes anyone can write: it throws on a known field with another wire type (protobuf-go
 * skips it as an unknown field) and keeps only the last occurrence of a singular message (protobuf-go
 * merges them: a header sent twice has the fields of both, the data entries of two `data` fields
 * are one list). A block read differently from Fabric's peers is validated differently: a fork.
 * Unknown fields are dropped (google-protobuf drops them too, and protobuf-go's block store does not
 * write them back). Envelopes and metadata entries are views into `bytes`, never re-encoded: the
 * data hash and the orderer signatures cover them as sent.
 */
export function decodeBlock(bytes: Uint8Array, maxBytes: number = DefaultProtocolLimits.maxBlockBytes): Block {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCode.BadInput, `block: expected bytes (Uint8Array), got ${typeof bytes}`, { path: 'block' });
  }
  checkSize(bytes, maxBytes, 'block');
  const r = new WireReader(bytes, 'block', 'common.Block');
  let header: MessageBytes | undefined;
  let data: MessageBytes | undefined;
  let metadata: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, LEN)) header = r.message(header);
    else if (r.has(2, LEN)) data = r.message(data);
    else if (r.has(3, LEN)) metadata = r.message(metadata);
    else r.skip();
  }
  const block = new Block();
  if (header !== undefined) block.setHeader(decodeHeader(header));
  if (data !== undefined) {
    const d = new BlockData();
    d.setDataList(bytesList(data, 'block.data', 'common.BlockData'));
    block.setData(d);
  }
  if (metadata !== undefined) {
    const md = new BlockMetadata();
    md.setMetadataList(bytesList(metadata, 'block.metadata', 'common.BlockMetadata'));
    block.setMetadata(md);
  }
  return block;
}

function decodeHeader(bytes: MessageBytes): BlockHeader {
  const r = new WireReader(bytes, 'block.header', 'common.BlockHeader');
  const header = new BlockHeader();
  while (r.next()) {
    // uint64 as google-protobuf's number (inexact beyond 2^53, which parseBlock refuses).
    if (r.has(1, VARINT)) header.setNumber(r.uint());
    else if (r.has(2, LEN)) header.setPreviousHash(r.bytes());
    else if (r.has(3, LEN)) header.setDataHash(r.bytes());
    else r.skip();
  }
  return header;
}

/** Field 1 of `BlockData` or `BlockMetadata` (`repeated bytes`), every occurrence in wire order. */
function bytesList(bytes: MessageBytes, path: string, typeName: string): Uint8Array[] {
  const r = new WireReader(bytes, path, typeName);
  const out: Uint8Array[] = [];
  while (r.next()) {
    if (r.has(1, LEN)) out.push(r.bytes());
    else r.skip();
  }
  return out;
}

/** The block's number (header.number). */
export function blockNumber(block: Block): number {
  return guard('block.header', () => requireMessage(block.getHeader(), 'block.header').getNumber());
}

/** The block's envelopes as bytes. */
export function blockEnvelopes(block: Block): Uint8Array[] {
  return guard('block.data', () => block.getData()?.getDataList_asU8() ?? []);
}

/** Iterates `[index, envelope bytes]` over a block's data. */
export function* iterateEnvelopes(block: Block): Generator<[number, Uint8Array]> {
  const envelopes = blockEnvelopes(block);
  for (let i = 0; i < envelopes.length; i++) yield [i, envelopes[i]];
}

function metadataOf(block: Block): BlockMetadata {
  if (!block.hasMetadata()) block.setMetadata(new BlockMetadata());
  const md = block.getMetadata() as BlockMetadata;
  const list = md.getMetadataList_asU8();
  if (list.length < METADATA_SLOTS) {
    while (list.length < METADATA_SLOTS) list.push(new Uint8Array(0));
    md.setMetadataList(list);
  }
  return md;
}

/** The raw bytes of metadata slot `index` (empty when unset). */
export function getBlockMetadata(block: Block, index: BlockMetadataIndex): Uint8Array {
  return guard(`block.metadata[${index}]`, () => metadataOf(block).getMetadataList_asU8()[index]);
}

/** Replaces metadata slot `index` with `value`. */
export function setBlockMetadata(block: Block, index: BlockMetadataIndex, value: Uint8Array): void {
  const md = metadataOf(block);
  const list = md.getMetadataList_asU8();
  list[index] = value;
  md.setMetadataList(list);
}

/** The TRANSACTIONS_FILTER slot: one `TxValidationCode` byte per envelope (empty before validation). */
export function getTransactionsFilter(block: Block): Uint8Array {
  return getBlockMetadata(block, BlockMetadataIndex.TRANSACTIONS_FILTER);
}

/** Writes the TRANSACTIONS_FILTER slot; `flags` must have one byte per envelope. */
export function setTransactionsFilter(block: Block, flags: Uint8Array): void {
  const count = blockEnvelopes(block).length;
  if (flags.length !== count) badInput('block.metadata[TRANSACTIONS_FILTER]', `${count} flags (one per envelope)`, flags);
  setBlockMetadata(block, BlockMetadataIndex.TRANSACTIONS_FILTER, flags);
}

/** `Metadata{value: LastConfig{index}}` bytes for the (deprecated, still written) LAST_CONFIG slot. */
export function lastConfigMetadata(index: number): Uint8Array {
  const lc = new LastConfig();
  lc.setIndex(index);
  const md = new Metadata();
  md.setValue(lc.serializeBinary());
  return md.serializeBinary();
}

/**
 * The last config block number recorded in a block, as Fabric's `GetLastConfigIndexFromBlock`:
 * from the SIGNATURES slot's `OrdererBlockMetadata`, else from LAST_CONFIG.
 */
export function getLastConfigIndex(block: Block): number {
  // An orderer wrote these slots: they are read as its peers' protobuf-go reads them.
  const sigPath = 'block.metadata[SIGNATURES]';
  const sig = decodeConfigProto(Metadata, MetadataSchema, getBlockMetadata(block, BlockMetadataIndex.SIGNATURES), sigPath);
  const value = sig.getValue_asU8();
  if (value.length > 0) {
    const obm = decodeConfigProto(OrdererBlockMetadata, OrdererBlockMetadataSchema, value, `${sigPath}.value`);
    return requireMessage(obm.getLastConfig(), `${sigPath}.value.last_config`).getIndex();
  }
  const lcPath = 'block.metadata[LAST_CONFIG]';
  const lcMd = decodeConfigProto(Metadata, MetadataSchema, getBlockMetadata(block, BlockMetadataIndex.LAST_CONFIG), lcPath);
  return decodeConfigProto(LastConfig, LastConfigSchema, lcMd.getValue_asU8(), `${lcPath}.value`).getIndex();
}
