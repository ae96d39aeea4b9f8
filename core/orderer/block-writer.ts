import { type Block, type Envelope, Metadata } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { blockHeaderHash, getLastConfigIndex, newBlock } from '../protocol/block';
import { parseBlockSignatures, signBlock } from '../protocol/block-signatures';
import { MetadataSchema } from '../protocol/block-schemas';
import { decodeConfigProto } from '../protocol/config-decode';
import type { Signer } from '../protocol/signer';
import { envelopeBytes } from './envelope-bytes';

/** Where written blocks go: the channel's block store, seen through the one call the writer needs. */
export interface BlockAppender {
  /** Appends the next block; resolves when it is durable. A rejection leaves the store unchanged. */
  append(block: Block): Promise<void>;
}

/**
 * Fabric's `multichannel.BlockWriter`: builds blocks that chain on the last created one, and on
 * write stamps LAST_CONFIG and the orderer's signature (SIGNATURES metadata holding
 * `OrdererBlockMetadata{last_config, consenter_metadata}`), then appends. Writes are serialized in
 * the order they were requested.
 */
export class BlockWriter {
  private lastCreated: { number: number; headerHash: Uint8Array };
  private lastConfigIndex: number;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly signer: Signer,
    private readonly appender: BlockAppender,
    lastBlock: Block,
  ) {
    const header = lastBlock.getHeader();
    if (header === undefined) throw new Error('last block has no header');
    this.lastCreated = { number: header.getNumber(), headerHash: blockHeaderHash(header) };
    this.lastConfigIndex = lastConfigIndexOf(lastBlock);
  }

  /** Index of the last config block written (or being written). */
  get lastConfigBlock(): number {
    return this.lastConfigIndex;
  }

  createNextBlock(batch: readonly Envelope[]): Block {
    const block = newBlock(
      this.lastCreated.number + 1,
      this.lastCreated.headerHash,
      batch.map(envelopeBytes),
    );
    this.lastCreated = { number: this.lastCreated.number + 1, headerHash: blockHeaderHash(block.getHeader()!) };
    return block;
  }

  /** Signs and appends `block`; `isConfig` makes it the new last-config block. */
  write(block: Block, consenterMetadata: Uint8Array | undefined, isConfig: boolean): Promise<void> {
    // LAST_CONFIG is decided in request order, like Fabric's committingBlock lock.
    if (isConfig) this.lastConfigIndex = block.getHeader()!.getNumber();
    const lastConfigIndex = this.lastConfigIndex;
    const run = this.writes.then(() => {
      signBlock(block, this.signer, { lastConfigIndex, consenterMetadata });
      return this.appender.append(block);
    });
    // A failed write does not break the sequencing of later ones; its caller sees the rejection.
    this.writes = run.catch(() => undefined);
    return run;
  }
}

/** The last-config index a block records; 0 for a genesis block without orderer metadata. */
export function lastConfigIndexOf(block: Block): number {
  try {
    return getLastConfigIndex(block);
  } catch {
    return 0;
  }
}

/** The consenter metadata a block carries (`OrdererBlockMetadata.consenter_metadata` unwrapped); undefined when none. */
export function consenterMetadataOf(block: Block): Uint8Array | undefined {
  let wrapped: Uint8Array;
  try {
    wrapped = parseBlockSignatures(block).consenterMetadata;
  } catch {
    return undefined;
  }
  if (wrapped.length === 0) return undefined;
  const inner = decodeConfigProto(Metadata, MetadataSchema, wrapped, 'block.metadata[SIGNATURES].value.consenter_metadata').getValue_asU8();
  return inner.length > 0 ? inner : undefined;
}
