import * as path from 'node:path';
import { NodeLogging, type Logger } from '../../core/node/logger';
import { z } from 'zod';
import { injectable } from '../../core/di';
import { ConfigError } from '../../core/errors';
import type { Chain, Consenter, ConsenterChannelView, ConsenterSupport } from '../../core/orderer/consenter';
import { ETCDRAFT_CONSENSUS_TYPE } from '../../core/protocol/etcdraft-config';
import { etcdraftChannelProblem, etcdraftUpdateProblem } from './etcdraft-rules';
import { SoloChain, decodeSoloMetadata } from './solo-chain';
import { SoloWal } from './solo-wal';

/** Options of the `orderer-solo` plugin (node config `plugins.ordering.options`). */
export const SoloOptions = z
  .object({
    /** fdatasync the WAL before acknowledging (off only for throwaway test networks). */
    syncWal: z.boolean().default(true),
    /**
     * How long the WAL waits after the first unwritten envelope before writing (and syncing) every
     * envelope queued by then, ms; acknowledgements come that much later. Envelopes that arrive
     * while a write is in flight always share the next one, so 0 (write at once) is the default: a
     * 2 ms window measured no CPU saving at ~150 tx/s, where verification dominates.
     */
    walGroupCommitMs: z.number().min(0).max(100).default(0),
    /** Accepted-but-unprocessed messages per channel beyond which Broadcast gets SERVICE_UNAVAILABLE. */
    maxQueued: z.number().int().positive().default(100_000),
    /** The WAL is emptied once it exceeds this size and every record in it is in a block. */
    walTruncateBytes: z.number().int().positive().default(64 * 1024 * 1024),
    /**
     * Level of the consenter's logs when it runs outside a node (tests, embedding). In a node the
     * node's logging spec governs them (`orderer.consensus.solo=debug`) and this is ignored.
     */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  })
  .strict();
export type SoloOptions = z.infer<typeof SoloOptions>;

let warned = false;

/** Fabric's name for its solo consenter's logger. */
const LOGGER = 'orderer.consensus.solo';

/**
 * The single-node consenter: one process orders every channel it serves, with no fault
 * tolerance. For development and single-machine networks. It orders `solo` channels, and
 * `etcdraft` channels whose one consenter is this node (Fabric 3's replacement for solo, a
 * single-node Raft, which decides alone as solo does and which Fabric 3 peers follow); their
 * blocks are solo's, as no peer or follower reads Raft's block metadata.
 */
@injectable()
export class SoloConsenter implements Consenter {
  readonly consensusTypes: readonly string[] = ['solo', ETCDRAFT_CONSENSUS_TYPE];
  private readonly options: SoloOptions;
  private readonly logging: NodeLogging;
  private readonly logger: Logger;

  constructor(options: Partial<SoloOptions> = {}, logging?: NodeLogging) {
    const parsed = SoloOptions.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError('CONFIG_INVALID', `orderer-solo options: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    this.options = parsed.data;
    this.logging = logging ?? new NodeLogging(this.options.logLevel ?? 'warn');
    this.logger = this.logging.logger(LOGGER);
    if (logging !== undefined && this.options.logLevel !== undefined) {
      this.logger.warn({ logLevel: this.options.logLevel }, `orderer-solo option logLevel is ignored in a node: set the node's logLevel to a spec such as "warn:${LOGGER}=${this.options.logLevel}"`);
    }
    if (!warned) {
      warned = true;
      this.logger.warn('orderer-solo is meant for development and single-machine use: it has no fault tolerance');
    }
  }

  channelProblem(config: ConsenterChannelView, serverTlsCert: Uint8Array | undefined): string | undefined {
    return etcdraftChannelProblem(config, serverTlsCert);
  }

  configUpdateProblem(current: ConsenterChannelView, next: ConsenterChannelView): string | undefined {
    return etcdraftUpdateProblem(current, next);
  }

  handleChain(support: ConsenterSupport, metadata: Uint8Array | undefined): Chain {
    const logger = this.logging.logger(LOGGER, { channel: support.channelId });
    const dir = path.join(support.consenterDir, 'solo');
    const { wal, records, discarded } = SoloWal.open(dir, this.options.syncWal, this.options.walGroupCommitMs, support.genesisBlockHash);
    if (discarded !== undefined) logger.warn({ dir, reason: discarded }, 'discarded a WAL left by another chain of this channel name: its messages are not ordered');
    return new SoloChain(support, wal, records, decodeSoloMetadata(metadata), this.options, logger);
  }
}
