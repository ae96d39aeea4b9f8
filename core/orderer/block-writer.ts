import { randomBytes } from 'node:crypto';
import {
  Block,
  BlockData,
  BlockHeader,
  BlockMetadata,
  BlockMetadataIndex,
  type Envelope,
  LastConfig,
  Metadata,
  MetadataSignature,
  OrdererBlockMetadata,
  SignatureHeader,
} from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { SigningIdentity } from '../msp/identity';
import { blockDataHash, blockHeaderBytes, blockHeaderHash } from './block-hashing';

/** Where written blocks go: the channel's block store, seen through the one call the writer needs. */
export interface BlockAppender {
  /** Appends the next block; resolves when it is durable. A rejection leaves the store unchanged. */
  append(block: Block): Promise<void>;
}

/** Fabric's five block metadata slots (SIGNATURES, LAST_CONFIG, TRANSACTIONS_FILTER, ORDERER, COMMIT_HASH). */
const METADATA_SLOTS = 5;

/**
 * Fabric's `multichannel.BlockWriter`: builds blocks that chain on the last created one, and on
 * write stamps LAST_CONFIG and the orderer's signature (SIGNATURES metadata holding
 * `OrdererBlockMetadata{last_config, consenter_metadata}`), then appends. Writes are serialized in
 * the order they were requested.
 */
export class BlockWriter {
  private lastCreated: { number: number; headerHash: Buffer };
  private lastConfigIndex: number;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly signer: SigningIdentity,
    private readonly appender: BlockAppender,
    lastBlock: Block,
  ) {
    const header = lastBlock.getHeader();
    if (header === undefined) throw new Error('last block has no header');
    this.lastCreated = {
      number: header.getNumber(),
      headerHash: blockHeaderHash(header.getNumber(), header.getPreviousHash_asU8(), header.getDataHash_asU8()),
    };
    this.lastConfigIndex = lastConfigIndexOf(lastBlock);
  }

  /** Index of the last config block written (or being written). */
  get lastConfigBlock(): number {
    return this.lastConfigIndex;
  }

  createNextBlock(batch: readonly Envelope[]): Block {
    const data = batch.map((env) => env.serializeBinary());
    const number = this.lastCreated.number + 1;
    const dataHash = blockDataHash(data);
    const header = new BlockHeader();
    header.setNumber(number);
    header.setPreviousHash(this.lastCreated.headerHash);
    header.setDataHash(dataHash);
    const blockData = new BlockData();
    blockData.setDataList(data);
    const metadata = new BlockMetadata();
    metadata.setMetadataList(Array.from({ length: METADATA_SLOTS }, () => new Uint8Array(0)));
    const block = new Block();
    block.setHeader(header);
    block.setData(blockData);
    block.setMetadata(metadata);
    this.lastCreated = { number, headerHash: blockHeaderHash(number, this.lastCreated.headerHash, dataHash) };
    return block;
  }

  /** Signs and appends `block`; `isConfig` makes it the new last-config block. */
  write(block: Block, consenterMetadata: Uint8Array | undefined, isConfig: boolean): Promise<void> {
    // LAST_CONFIG is decided in request order, like Fabric's committingBlock lock.
    if (isConfig) this.lastConfigIndex = block.getHeader()!.getNumber();
    const lastConfig = this.lastConfigIndex;
    const run = this.writes.then(() => {
      this.stamp(block, lastConfig, consenterMetadata ?? new Uint8Array(0));
      return this.appender.append(block);
    });
    // A failed write does not poison later ones' sequencing; the caller sees its own rejection.
    this.writes = run.catch(() => undefined);
    return run;
  }

  private stamp(block: Block, lastConfig: number, consenterMetadata: Uint8Array): void {
    const header = block.getHeader()!;
    const slots = block.getMetadata()!.getMetadataList_asU8().slice();
    while (slots.length < METADATA_SLOTS) slots.push(new Uint8Array(0));

    const lastConfigValue = new LastConfig();
    lastConfigValue.setIndex(lastConfig);
    const lastConfigMeta = new Metadata();
    lastConfigMeta.setValue(lastConfigValue.serializeBinary());
    slots[BlockMetadataIndex.LAST_CONFIG] = lastConfigMeta.serializeBinary();

    const ordererMeta = new OrdererBlockMetadata();
    ordererMeta.setLastConfig(lastConfigValue);
    const consenterMetaWrapper = new Metadata();
    consenterMetaWrapper.setValue(consenterMetadata);
    ordererMeta.setConsenterMetadata(consenterMetaWrapper.serializeBinary());
    const value = ordererMeta.serializeBinary();

    const sigHeader = new SignatureHeader();
    sigHeader.setCreator(this.signer.serialized);
    sigHeader.setNonce(randomBytes(24));
    const sigHeaderBytes = sigHeader.serializeBinary();
    const headerBytes = blockHeaderBytes(header.getNumber(), header.getPreviousHash_asU8(), header.getDataHash_asU8());
    const signature = new MetadataSignature();
    signature.setSignatureHeader(sigHeaderBytes);
    signature.setSignature(this.signer.sign(Buffer.concat([value, sigHeaderBytes, headerBytes])));

    const signatures = new Metadata();
    signatures.setValue(value);
    signatures.setSignaturesList([signature]);
    slots[BlockMetadataIndex.SIGNATURES] = signatures.serializeBinary();
    block.getMetadata()!.setMetadataList(slots);
  }
}

/** The last-config index a block records (SIGNATURES' OrdererBlockMetadata, else LAST_CONFIG); 0 when absent. */
export function lastConfigIndexOf(block: Block): number {
  const slots = block.getMetadata()?.getMetadataList_asU8() ?? [];
  const sig = slots[BlockMetadataIndex.SIGNATURES];
  if (sig !== undefined && sig.length > 0) {
    const value = Metadata.deserializeBinary(sig).getValue_asU8();
    if (value.length > 0) {
      const meta = OrdererBlockMetadata.deserializeBinary(value);
      if (meta.hasLastConfig()) return meta.getLastConfig()!.getIndex();
    }
  }
  const lc = slots[BlockMetadataIndex.LAST_CONFIG];
  if (lc !== undefined && lc.length > 0) {
    const value = Metadata.deserializeBinary(lc).getValue_asU8();
    if (value.length > 0) return LastConfig.deserializeBinary(value).getIndex();
  }
  return 0;
}

/** The consenter metadata a block carries (`OrdererBlockMetadata.consenter_metadata` unwrapped); undefined when none. */
export function consenterMetadataOf(block: Block): Uint8Array | undefined {
  const sig = block.getMetadata()?.getMetadataList_asU8()[BlockMetadataIndex.SIGNATURES];
  if (sig === undefined || sig.length === 0) return undefined;
  const value = Metadata.deserializeBinary(sig).getValue_asU8();
  if (value.length === 0) return undefined;
  const wrapped = OrdererBlockMetadata.deserializeBinary(value).getConsenterMetadata_asU8();
  if (wrapped.length === 0) return undefined;
  const inner = Metadata.deserializeBinary(wrapped).getValue_asU8();
  return inner.length > 0 ? inner : undefined;
}
