import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import type { Logger } from '../../node/logger';
import { requiredCapabilities, unsupportedCapability } from '../../protocol/capabilities';
import { allowsConsensusTypeMigration, configSuccessionProblem } from '../../protocol/config-succession';
import { getTransactionsFilter, type ParsedBlock } from '../../protocol/block';
import { retryWhileDiskFull } from '../../ledger/disk-full-backoff';
import { validationCodeInfo } from '../../protocol/validation-codes';
import type { BlockPvtData } from '../../ledger/private-data';
import { PeerError } from '../peer-error';
import type { PeerMetrics } from '../peer-metrics';
import type { BlockValidation, BlockValidator } from '../validation/block-validator';
import type { Channel } from './channel';
import { type ChannelConfigView, parseConfigBlock } from './channel-config';
import type { ChannelResources } from './channel-resources';
import type { CommitResult } from './peer-ledger';
import { LifecycleCache } from '../lifecycle/lifecycle-cache';
import { LIFECYCLE_NAMESPACE } from '../lifecycle/lifecycle-state';
import { missingForMember, pvtDataForBlock, wantedPvtData } from '../privdata/block-pvt-data';
import type { PvtPuller } from '../privdata/pvt-puller';

/** Why the committer is not committing: the block it is stuck on and the error. */
export interface CommitFailure {
  readonly blockNum: number;
  readonly error: Error;
  /** The disk is full: the committer retries the block and resumes by itself once space is freed. */
  readonly paused?: boolean;
}

/**
 * Commits one channel's blocks strictly in order: validation (parallel signature checks, policies),
 * then the ledger's MVCC and atomic commit, then config updates and event fan-out. Blocks are
 * queued; `commit` resolves when that block is durable. A full disk pauses the committer, which
 * retries the same block with backoff until space is freed (Fabric's peer panics instead and
 * recovers when restarted); any other storage failure stops it (later commits reject) rather than
 * skipping a block.
 */
export class BlockCommitter {
  private tail: Promise<void> = Promise.resolve();
  private failed: CommitFailure | undefined;
  private readonly failureListeners = new Set<(failure: CommitFailure) => void>();
  private queued = 0;
  private readonly lifecycle = new LifecycleCache();
  /** Commits wait for these (a snapshot fixing its view of the ledger); each removes itself once settled. */
  private readonly holds = new Set<Promise<unknown>>();

  constructor(
    private readonly channel: Channel,
    private readonly validator: BlockValidator,
    private readonly rebuildResources: (view: ChannelConfigView) => ChannelResources,
    private readonly logger: Logger,
    private readonly localMspId: string,
    private readonly metrics?: PeerMetrics,
    /** Asks other peers for the private data this peer should store but lacks, before each commit. */
    private readonly pvtPuller?: Pick<PvtPuller, 'pull'>,
    /** The waits between tries while the disk is full; tests shorten them. */
    private readonly retryDelaysMs?: { first: number; max: number },
  ) {
    metrics?.observeLedgerOpened(channel.id, channel.height());
  }

  /**
   * The block that failed to commit and why: while `paused`, the disk is full and the committer
   * retries that block until it commits (then this is undefined again); otherwise the committer
   * has stopped (a storage failure, a config block requiring a capability this peer lacks) and a
   * restart resumes from the ledger, which holds the last whole block.
   */
  failure(): CommitFailure | undefined {
    return this.failed;
  }

  /**
   * Calls `listener` each time the committer stops or pauses (not when a pause ends: `failure()`
   * is then undefined). For the Gateway, whose CommitStatus waiters would otherwise wait for a
   * block that will not come. Returns the unsubscribe function.
   */
  onFailure(listener: (failure: CommitFailure) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Blocks waiting to be committed (the puller slows down when this grows). */
  backlog(): number {
    return this.queued;
  }

  /**
   * Runs `work` on the commit queue, between two blocks' commits: the ledger has one writer. Rejects
   * with the failure once the committer has stopped.
   */
  exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.failed !== undefined) throw this.failed.error;
      return work();
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Keeps the next blocks from being stored until `until` settles (fulfilled or not): the snapshot
   * manager calls it, synchronously after starting an export, so that no block lands in the ledger
   * before the export has fixed its view. A block being validated meanwhile waits just before the
   * store, not before validation.
   */
  holdCommits(until: Promise<unknown>): void {
    const settled = until.then(
      () => undefined,
      () => undefined,
    );
    this.holds.add(settled);
    void settled.then(() => this.holds.delete(settled));
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

  /**
   * The resources of the block's config transaction, when it validated, built before the commit: a
   * config whose MSPs or policies cannot be built, that may not follow the current one (Fabric's
   * `ValidateNew`) fails INVALID_CONFIG_TRANSACTION. Fabric's committer refuses these too, and then
   * stops the channel; Weft's keeps it going on the current config (committed VALID, such a config
   * would leave this peer on its old config until a restart, and then unable to open the channel).
   * A config requiring a channel or application capability this peer does not support throws
   * instead, and the channel stops, as Fabric's `capabilitiesSupportedOrPanic`: the peers that do
   * support it apply the config, so marking it invalid here would fork this peer's ledger from
   * theirs; stopped, the peer commits the block once it is upgraded and restarted.
   */
  private configResources(parsed: ParsedBlock, validation: BlockValidation): ChannelResources | undefined {
    const index = validation.configIndex;
    if (index === undefined) return undefined;
    try {
      const view = parseConfigBlock(parsed.bytes);
      const config = Config.deserializeBinary(view.configBytes);
      const current = Config.deserializeBinary(this.channel.resources().config.configBytes);
      // A peer follows whatever consensus the channel's orderers run, as Fabric's peers do.
      const succession = configSuccessionProblem(current, config, { consensusTypeChange: allowsConsensusTypeMigration(current) });
      if (succession !== undefined) throw new PeerError('PEER_BAD_CONFIG', `config update is not compatible: ${succession}`, { blockNum: parsed.number });
      const unsupported = unsupportedCapability(requiredCapabilities(config), ['channel', 'application']);
      if (unsupported !== undefined) {
        throw new PeerError('PEER_UNSUPPORTED_CAPABILITY', unsupported.message, { blockNum: parsed.number, path: unsupported.path, capability: unsupported.name });
      }
      return this.rebuildResources(view);
    } catch (err) {
      if (err instanceof PeerError && err.code === 'PEER_UNSUPPORTED_CAPABILITY') throw err;
      validation.flags[index] = TxValidationCode.INVALID_CONFIG_TRANSACTION;
      this.logger.warn({ err, channel: this.channel.id, block: parsed.number, tx: index }, 'config transaction invalid: its config cannot be applied');
      return undefined;
    }
  }

  /**
   * Commits the block, or, when an earlier try stored it and only its state did not follow (a
   * full disk between the block file and the state file), takes it as committed: the ledger
   * replays the state before its next commit. Its flags are then the stored ones.
   */
  private storeBlock(parsed: ParsedBlock, flags: Uint8Array, pvt: BlockPvtData): CommitResult {
    const ledger = this.channel.ledger;
    if (ledger.height() <= parsed.number) return ledger.commit(parsed.block, flags, pvt);
    const blockBytes = ledger.getBlockBytes(parsed.number);
    if (blockBytes === undefined) {
      throw new PeerError('PEER_BLOCK_OUT_OF_ORDER', `channel ${this.channel.id}: block ${parsed.number} is below the ledger's height but not stored`, { channelId: this.channel.id, blockNum: parsed.number });
    }
    return { blockNum: parsed.number, flags: getTransactionsFilter(Block.deserializeBinary(blockBytes)), blockBytes, seconds: { processing: 0, storageCommit: 0 } };
  }

  private setFailure(failure: CommitFailure): void {
    this.failed = failure;
    for (const l of [...this.failureListeners]) {
      try {
        l(failure);
      } catch (err) {
        this.logger.warn({ err, channel: this.channel.id }, 'commit failure listener threw');
      }
    }
  }

  /**
   * Stores under the ledger's exclusive hold once no {@link holdCommits} hold is left; a hold taken
   * while the store waited for running simulations sends it back to wait (the check and the store
   * run in one synchronous step).
   */
  private async storeWhenNotHeld(store: () => CommitResult): Promise<CommitResult> {
    for (;;) {
      while (this.holds.size > 0) await Promise.all(this.holds);
      const result = await this.channel.ledger.exclusive(() => (this.holds.size > 0 ? undefined : store()));
      if (result !== undefined) return result;
    }
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
    const validated = performance.now();
    const validation = await this.validator.validate(parsed, resources, this.channel.ledger);
    // Where the block's time goes, for Fabric's gossip_privdata_* histograms.
    const validationSeconds = (performance.now() - validated) / 1000;
    let fetchSeconds: number | undefined;
    let purgeSeconds: number | undefined;
    let nextResources;
    try {
      nextResources = this.configResources(parsed, validation);
    } catch (err) {
      this.setFailure({ blockNum: parsed.number, error: err as Error });
      this.logger.error({ err, channel: this.channel.id, block: parsed.number }, 'config block requires a capability this peer does not support; the channel stops committing until the peer is upgraded');
      throw err;
    }
    const listing = performance.now();
    const pvtSource = { transient: this.channel.transient, localMspId: this.localMspId, definition: (cc: string) => this.lifecycle.definition(this.channel.ledger, cc) };
    const txIds = validation.txIds ?? [];
    const valid = [...validation.flags].map((f) => f === TxValidationCode.VALID);
    const pvt = pvtDataForBlock(pvtSource, txIds, valid);
    // Narrowed to the version each collection's hash in the block names, puller or not: the ledger
    // takes a collection's first version, which a push of forged values may have put before the real one.
    const wanted = pvt.size > 0 || this.pvtPuller !== undefined ? wantedPvtData(pvtSource, validation.pvtWrites, valid, pvt) : [];
    const listMissingSeconds = (performance.now() - listing) / 1000;
    // Best effort: whatever goes wrong asking other peers, the block commits with what this peer has.
    if (this.pvtPuller !== undefined && wanted.length > 0) {
      const fetching = performance.now();
      await this.pvtPuller.pull(this.channel.id, parsed.number, wanted, pvt).catch((err: unknown) => {
        this.logger.warn({ err, channel: this.channel.id, block: parsed.number }, 'pulling missing private data failed');
      });
      fetchSeconds = (performance.now() - fetching) / 1000;
    }
    let result: CommitResult;
    const committing = performance.now();
    try {
      // Each try holds the state exclusively (running simulations finish first, new ones wait), but
      // not the waits between tries.
      result = await retryWhileDiskFull(() => this.storeWhenNotHeld(() => this.storeBlock(parsed, validation.flags, pvt)), {
        onPause: (err) => {
          this.setFailure({ blockNum: parsed.number, error: err, paused: true });
          this.logger.error({ err, channel: this.channel.id, block: parsed.number }, 'block commit failed: the disk is full; retrying the same block with backoff (1 s doubling to 30 s) until space is freed');
        },
        onResume: () => {
          this.failed = undefined;
          this.logger.info({ channel: this.channel.id, block: parsed.number }, 'block committed after the disk was full; the channel commits again');
        },
        delaysMs: this.retryDelaysMs,
      });
    } catch (err) {
      this.setFailure({ blockNum: parsed.number, error: err as Error });
      this.logger.error({ err, channel: this.channel.id, block: parsed.number }, 'block commit failed; the channel stops committing until the peer restarts');
      throw err;
    }
    const commitBlockSeconds = (performance.now() - committing) / 1000;
    // Fabric warns of each invalid transaction by its code's name (kvledger's batch_preparer.go and
    // validation/validator.go), MVCC conflicts included, which only the ledger finds.
    for (let i = 0; i < result.flags.length; i++) {
      const code = result.flags[i]!;
      if (code === TxValidationCode.VALID) continue;
      const info = validationCodeInfo(code);
      this.logger.warn(
        {
          channel: this.channel.id,
          block: result.blockNum,
          tx: i,
          txId: txIds[i],
          code: info?.name ?? code,
          reason: result.conflicts?.get(i) ?? validation.reasons.get(i) ?? info?.when,
          retryable: info?.retryable ?? false,
        },
        'transaction invalid',
      );
    }
    // The block is durable: its config applies to the next block, and nothing after this may keep
    // its events from going out (Fabric's coordinator logs a failed purge and carries on). Entries
    // a failed purge leaves in the file expire with retention.
    if (nextResources !== undefined) this.channel.updateResources(nextResources);
    try {
      const purging = performance.now();
      this.channel.transient.purge(txIds, result.blockNum + 1);
      purgeSeconds = (performance.now() - purging) / 1000;
      for (const m of missingForMember(pvtSource, result.pvtMissing)) {
        this.logger.warn(
          { channel: this.channel.id, block: result.blockNum, tx: m.txNum, txId: txIds[m.txNum], chaincode: m.namespace, collection: m.collection },
          'private data missing: this peer is a member of the collection but did not endorse the transaction, was not sent its private data and could not pull it, so it holds only the hashes until a reconciliation round gets the values',
        );
      }
    } catch (err) {
      this.logger.error({ err, channel: this.channel.id, block: result.blockNum }, 'housekeeping after the commit failed (transient store purge, missing private data report)');
    }
    const total = Number(process.hrtime.bigint() - started) / 1e9;
    // Fabric's kvledger says this of every block at INFO: at a peer's `info` level an operator sees
    // the channel advance, and how long each commit took, without turning on debug.
    const ms = (seconds: number | undefined): number => Math.round((seconds ?? 0) * 1000);
    const invalid = result.flags.reduce((n, code) => n + (code === TxValidationCode.VALID ? 0 : 1), 0);
    this.logger.info(
      {
        channel: this.channel.id,
        block: result.blockNum,
        transactions: result.flags.length,
        invalid,
        ms: ms(total),
        stateValidationMs: ms(result.seconds.processing),
        blockAndPvtdataCommitMs: ms(result.seconds.storageCommit),
        stateCommitMs: ms(result.seconds.stateCommit),
      },
      `committed block ${result.blockNum} with ${result.flags.length} transaction(s)${invalid > 0 ? ` (${invalid} invalid)` : ''} in ${ms(total)}ms`,
    );
    this.metrics?.observeCommit(this.channel.id, {
      height: result.blockNum + 1,
      validated: validation.flags,
      flags: result.flags,
      kinds: validation.kinds,
      seconds: { ...result.seconds, total, validation: validationSeconds, listMissing: listMissingSeconds, fetch: fetchSeconds, commitBlock: commitBlockSeconds, purge: purgeSeconds },
    });
    this.channel.publish({
      number: result.blockNum,
      block: parsed.block,
      bytes: result.blockBytes,
      flags: result.flags,
      txIds: validation.txIds,
      lifecycleChanged: validation.kinds.some((k, i) => result.flags[i] === TxValidationCode.VALID && k.chaincode.startsWith(`${LIFECYCLE_NAMESPACE}:`)),
    });
  }
}
