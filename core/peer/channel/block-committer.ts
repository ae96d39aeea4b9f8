
import type { Logger } from '../../node/logger';
import type { ParsedBlock } from '../../protocol/block';
import { PeerError } from '../peer-error';
import type { PeerMetrics } from '../peer-metrics';
import type { BlockValidator } from '../validation/block-validator';
import type { Channel } from './channel';
import { type ChannelConfigView, parseConfigBlock } from './channel-config';
import type { ChannelResources } from './channel-resources';

/**
 * Commits one channel's blocks strictly in order: validation (parallel signature checks, policies),
 * then the ledger's MVCC and atomic commit, then config updates and event fan-out. Blocks are
 * queued; `commit` resolves when that block is durable. A storage failure stops the committer
 * (later commits reject) rather than skipping a block.
 */
export class BlockCommitter {
  private tail: Promise<void> = Promise.resolve();
  private failed: { blockNum: number; error: Error } | undefined;
  private queued = 0;

  constructor(
    private readonly channel: Channel,
    private readonly validator: BlockValidator,
    private readonly rebuildResources: (view: ChannelConfigView) => ChannelResources,
    private readonly logger: Logger,
    private readonly metrics?: PeerMetrics,
  ) {}

  /**
   * The block that failed to commit and why, once the committer has stopped (a storage failure
   * such as a full disk). A restart resumes from the ledger, which holds the last whole block.
   */
  failure(): { blockNum: number; error: Error } | undefined {
    return this.failed;
  }

  /** Blocks waiting to be committed (the puller slows down when this grows). */
  backlog(): number {
    return this.queued;
  }

  commit(block: ParsedBlock): Promise<void> {
    this.queued++;
    const run = this.tail.then(async () => {
      try {
        if (this.failed !== undefined) throw this.failed.error;
        await this.commitNow(block);
      } finally {
        this.queued--;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async commitNow(parsed: ParsedBlock): Promise<void> {
    const started = process.hrtime.bigint();
    const height = this.channel.height();
    if (parsed.number !== height) {
      throw new PeerError('PEER_BLOCK_OUT_OF_ORDER', `channel ${this.channel.id}: block ${parsed.number} cannot be committed at height ${height}`, {
        channelId: this.channel.id,
        blockNum: parsed.number,
        height,
      });
    }
    const resources = this.channel.resources();
    const validation = await this.validator.validate(parsed, resources, this.channel.ledger);
    for (const [i, reason] of validation.reasons) {
      this.logger.debug({ channel: this.channel.id, block: parsed.number, tx: i, code: validation.flags[i], reason }, 'transaction invalid');
    }
    let result;
    try {
      result = this.channel.ledger.commit(parsed.block, validation.flags);
    } catch (err) {
      this.failed = { blockNum: parsed.number, error: err as Error };
      this.logger.error({ err, channel: this.channel.id, block: parsed.number }, 'block commit failed; the channel stops committing until the peer restarts');
      throw err;
    }
    if (validation.configIndex !== undefined) {
      try {
        this.channel.updateResources(this.rebuildResources(parseConfigBlock(result.blockBytes)));
      } catch (err) {
        this.logger.error({ err, channel: this.channel.id, block: parsed.number }, 'config block committed but its config cannot be applied');
      }
    }
    const total = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics?.observeCommit(this.channel.id, result.blockNum + 1, result.flags, validation.kinds, { ...result.seconds, total });
    this.channel.publish({
      number: result.blockNum,
      block: parsed.block,
      bytes: result.blockBytes,
      flags: result.flags,
      txIds: validation.txIds,
    });
  }
}
