import type { Block, Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Logger } from 'pino';
import type { ChannelBlockStore } from '../ledger/ledger-store-provider';
import { blockHeaderHash, decodeBlock } from '../protocol/block';
import type { Signer } from '../protocol/signer';
import { BlockCutterImpl, type BlockCutter } from './block-cutter';
import { BlockWriter } from './block-writer';
import { configOfBlock } from './channel-config';
import { timed, type ChannelMetrics, type DurationObserver } from './channel-metrics';
import { buildChannelResources, type ChannelResources, type ResourceProviders } from './channel-resources';
import type { ConsenterSupport, OrdererSharedConfig, ProcessedConfig } from './consenter';
import { MsgProcessor, type MsgProcessorOptions } from './msg-processor';

/**
 * One channel on the orderer (Fabric's `multichannel.ChainSupport`): its ledger, current config
 * resources, message processor, block cutter and block writer. It is the {@link ConsenterSupport}
 * its chain sees, and what Broadcast and Deliver read.
 */
export class ChannelSupport implements ConsenterSupport {
  readonly processor: MsgProcessor;
  readonly genesisBlockHash: Uint8Array;
  private current: ChannelResources;
  private readonly cutter: BlockCutter;
  private readonly writer: BlockWriter;
  private readonly listeners = new Set<(height: number) => void>();
  private readonly configListeners = new Set<() => void>();
  private readonly commitTime: DurationObserver | undefined;

  constructor(
    readonly channelId: string,
    private readonly store: ChannelBlockStore,
    resources: ChannelResources,
    private readonly providers: ResourceProviders,
    signer: Signer,
    readonly consenterDir: string,
    private readonly logger: Logger,
    metrics?: ChannelMetrics,
    ingress: MsgProcessorOptions = {},
  ) {
    this.current = resources;
    this.cutter = new BlockCutterImpl(() => this.current.config.orderer.batchSize, metrics?.blockFill(channelId));
    this.commitTime = metrics?.blockStorageCommit(channelId);
    const last = this.block(this.height() - 1);
    if (last === undefined) throw new Error(`channel ${channelId} has an empty ledger`);
    this.genesisBlockHash = blockHeaderHash(this.block(0)!.getHeader()!);
    this.writer = new BlockWriter(signer, { append: (block) => this.append(block) }, last);
    this.processor = new MsgProcessor(channelId, () => this.current, providers, signer, ingress);
  }

  /** The channel's current config resources (MSPs, policies, orderer values). */
  get resources(): ChannelResources {
    return this.current;
  }

  blockCutter(): BlockCutter {
    return this.cutter;
  }

  sharedConfig(): OrdererSharedConfig {
    return this.current.config.orderer;
  }

  sequence(): number {
    return this.current.config.sequence;
  }

  processNormalMsg(env: Envelope): number {
    return this.processor.processNormalMsg(env);
  }

  processConfigMsg(env: Envelope): ProcessedConfig {
    return this.processor.processConfigMsg(env);
  }

  createNextBlock(batch: readonly Envelope[]): Block {
    return this.writer.createNextBlock(batch);
  }

  writeBlock(block: Block, consenterMetadata?: Uint8Array): Promise<void> {
    return this.writer.write(block, consenterMetadata, false);
  }

  writeConfigBlock(block: Block, consenterMetadata?: Uint8Array): Promise<void> {
    // The new config takes effect now, before the block lands, as in Fabric: the chain's next
    // message must be checked against it.
    const { channelId, config } = configOfBlock(block);
    if (channelId !== this.channelId) {
      return Promise.reject(new Error(`config block for ${channelId} written to channel ${this.channelId}`));
    }
    this.current = buildChannelResources(this.channelId, config, this.providers);
    this.logger.info({ channel: this.channelId, sequence: config.getSequence() }, 'channel config updated');
    for (const listener of this.configListeners) listener();
    return this.writer.write(block, consenterMetadata, true);
  }

  height(): number {
    return this.store.blocks.height();
  }

  /** Stored bytes of block `n`, or undefined beyond the height. */
  blockBytes(n: number): Uint8Array | undefined {
    return this.store.blocks.getBlockBytes(n);
  }

  block(n: number): Block | undefined {
    const bytes = this.blockBytes(n);
    return bytes === undefined ? undefined : decodeBlock(bytes);
  }

  /** Calls `listener(height)` after every block append; returns the unsubscribe function. */
  onBlock(listener: (height: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` when a config block changes the channel's resources. */
  onConfig(listener: () => void): () => void {
    this.configListeners.add(listener);
    return () => this.configListeners.delete(listener);
  }

  private async append(block: Block): Promise<void> {
    const header = block.getHeader()!;
    // Timed as Fabric's BlockStore.AddBlock, hashing and serializing included.
    timed(this.commitTime, () =>
      this.store.append({ blockNum: header.getNumber(), blockHash: blockHeaderHash(header), blockBytes: block.serializeBinary(), txs: [] }),
    );
    const height = header.getNumber() + 1;
    for (const listener of this.listeners) listener(height);
  }
}
