import * as fs from 'node:fs';
import * as path from 'node:path';
import { Histogram, type Registry } from 'prom-client';
import type { ExtraSnapshotFile } from '../../ledger/snapshot';
import { fsyncPath } from '../../node/durable-files';
import type { Logger } from '../../node/logger';
import type { JoinedChannel } from '../channel/channel-manager';
import { PeerError } from '../peer-error';
import { configHistorySnapshotFiles } from './config-history-export';
import { PendingSnapshots } from './pending-snapshots';

/** What the manager needs from the peer. */
export interface SnapshotManagerDeps {
  /** `peer.snapshots.rootDir`. */
  readonly rootDir: string;
  readonly logger: Logger;
  /** The operations registry, for the generation time histogram; none: no metric. */
  readonly registry?: Registry;
  /** Files added to every snapshot of the channel; default: Fabric's collection config history ({@link configHistorySnapshotFiles}). */
  readonly extraFiles?: (joined: JoinedChannel) => readonly ExtraSnapshotFile[];
}

/** Fabric's layout (`kvledger.SnapshotDirForLedgerBlockNum`): `<root>/completed/<channel>/<block>`. */
export function completedSnapshotDir(rootDir: string, channelId: string, blockNumber: number): string {
  return path.join(rootDir, 'completed', channelId, String(blockNumber));
}

/**
 * Snapshot requests and their generation, per channel, with Fabric's rules (`kvledger/snapshot_mgmt.go`):
 * a request names a block at or above the last committed one (0: the last committed one, generated
 * at once); when block N commits and N is requested, the ledger exports itself as of N. The export is
 * written under `<root>/temp` and renamed into `<root>/completed/<channel>/<N>`. Unlike Fabric, which
 * holds the channel's commits for the whole export, later blocks wait only until the export has fixed
 * its view of the ledger. A request is dropped once its export ends, failed or not (as Fabric: a
 * failed one is logged and may be submitted again).
 */
export class SnapshotManager {
  private readonly pending: PendingSnapshots;
  private readonly channels = new Map<string, JoinedChannel>();
  /** `<channel>/<block>` of the exports running. */
  private readonly generating = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly duration: Histogram<'channel'> | undefined;

  constructor(private readonly deps: SnapshotManagerDeps) {
    this.pending = PendingSnapshots.open(deps.rootDir);
    this.duration =
      deps.registry === undefined
        ? undefined
        : new Histogram({
            name: 'ledger_snapshot_generation_duration_seconds',
            help: 'Time taken to generate a ledger snapshot, from the request reaching its block to the snapshot directory in place.',
            labelNames: ['channel'],
            buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
            registers: [deps.registry],
          });
  }

  /**
   * Follows a channel's commits from now on. A request for the channel's last block that was pending
   * when the peer stopped, with no snapshot written, is generated now (Fabric's `regenrateMissedSnapshot`).
   */
  attach(joined: JoinedChannel): void {
    const channelId = joined.channel.id;
    this.channels.set(channelId, joined);
    joined.channel.onBlock((b) => {
      if (this.channels.get(channelId) === joined && this.pending.has(channelId, b.number)) this.generate(joined, b.number);
    });
    const last = joined.channel.height() - 1;
    if (last >= 0 && this.pending.has(channelId, last) && !fs.existsSync(completedSnapshotDir(this.deps.rootDir, channelId, last))) this.generate(joined, last);
  }

  /**
   * Drops the requests of channels the peer no longer has (`weft peer unjoin` ran while it was
   * stopped): Fabric keeps them in the channel's ledger, which the unjoin deletes. Called once the
   * peer has opened its ledgers.
   */
  forgetAllBut(channelIds: readonly string[]): void {
    for (const channelId of this.pending.channels()) {
      if (!channelIds.includes(channelId)) {
        this.deps.logger.info({ channel: channelId, blocks: this.pending.list(channelId) }, 'Dropping the snapshot requests of a channel this peer no longer has');
        this.pending.deleteChannel(channelId);
      }
    }
  }

  /** Fabric's `SubmitSnapshotRequest`; throws `PeerError` with Fabric's texts. */
  submit(channelId: string, blockNumber: number): void {
    const joined = this.joined(channelId);
    const last = joined.channel.height() - 1;
    const requested = blockNumber === 0 ? last : blockNumber;
    if (requested < last) {
      throw new PeerError('PEER_SNAPSHOT_REQUEST_REFUSED', `requested snapshot for block number ${requested} cannot be less than the last committed block number ${last}`, {
        channelId,
        blockNumber: requested,
        lastBlockNumber: last,
      });
    }
    if (requested === last && fs.existsSync(completedSnapshotDir(this.deps.rootDir, channelId, requested))) {
      throw new PeerError('PEER_SNAPSHOT_REQUEST_REFUSED', `snapshot already generated for block number ${requested}`, { channelId, blockNumber: requested });
    }
    if (this.pending.has(channelId, requested)) {
      throw new PeerError('PEER_SNAPSHOT_REQUEST_REFUSED', `duplicate snapshot request for block number ${requested}`, { channelId, blockNumber: requested });
    }
    this.pending.add(channelId, requested);
    this.deps.logger.info({ channel: channelId, block: requested }, 'Added new request for snapshot');
    // The height is read and the export started in one synchronous step: no block can land between.
    if (requested === last) this.generate(joined, requested);
  }

  /** Fabric's `CancelSnapshotRequest`. */
  cancel(channelId: string, blockNumber: number): void {
    this.joined(channelId);
    if (this.generating.has(`${channelId}/${blockNumber}`)) {
      throw new PeerError('PEER_SNAPSHOT_REQUEST_REFUSED', 'cannot cancel the snapshot request because it is under processing', { channelId, blockNumber });
    }
    if (!this.pending.delete(channelId, blockNumber)) {
      throw new PeerError('PEER_SNAPSHOT_REQUEST_REFUSED', `no snapshot request exists for block number ${blockNumber}`, { channelId, blockNumber });
    }
    this.deps.logger.info({ channel: channelId, block: blockNumber }, 'Deleted pending request for snapshot');
  }

  /** Fabric's `PendingSnapshotRequests`: ascending block numbers. */
  list(channelId: string): number[] {
    this.joined(channelId);
    return this.pending.list(channelId);
  }

  /** Resolves once no export runs (the peer waits for this before closing its ledgers). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private joined(channelId: string): JoinedChannel {
    if (channelId === '') throw new PeerError('PEER_SNAPSHOT_REQUEST_REFUSED', 'missing channel ID', { field: 'channel_id' });
    const joined = this.channels.get(channelId);
    if (joined === undefined) throw new PeerError('PEER_UNKNOWN_CHANNEL', `cannot find ledger for channel ${channelId}`, { channelId });
    return joined;
  }

  /** Starts the export of the ledger as it is now (height `blockNumber + 1`); must be called between two block stores. */
  private generate(joined: JoinedChannel, blockNumber: number): void {
    const channelId = joined.channel.id;
    const key = `${channelId}/${blockNumber}`;
    if (this.generating.has(key)) return;
    const { rootDir, logger } = this.deps;
    const tempDir = path.join(rootDir, 'temp', channelId, String(blockNumber));
    const finalDir = completedSnapshotDir(rootDir, channelId, blockNumber);
    const started = performance.now();
    logger.info({ channel: channelId, block: blockNumber }, 'Generating snapshot');
    let exported;
    try {
      // A crash during an earlier try may have left the ledger's output here, complete or not.
      fs.rmSync(tempDir, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(tempDir), { recursive: true });
      exported = joined.channel.ledger.exportSnapshot(tempDir, (this.deps.extraFiles ?? configHistorySnapshotFiles)(joined));
    } catch (err) {
      this.finish(channelId, blockNumber, err);
      return;
    }
    this.generating.add(key);
    // An export that fails before fixing its view must not keep the channel from committing.
    joined.committer.holdCommits(Promise.race([exported.captured, exported.done]));
    const run = exported.done.then(
      (metadata) => {
        fs.mkdirSync(path.dirname(finalDir), { recursive: true });
        fs.renameSync(tempDir, finalDir);
        fsyncPath(path.dirname(finalDir));
        this.duration?.observe({ channel: channelId }, (performance.now() - started) / 1000);
        this.finish(channelId, blockNumber, undefined, { snapshot_hash: Buffer.from(metadata.snapshotHash).toString('hex'), dir: finalDir });
      },
      (err: unknown) => this.finish(channelId, blockNumber, err),
    );
    const tracked = run
      .catch((err: unknown) => this.finish(channelId, blockNumber, err))
      .finally(() => {
        this.generating.delete(key);
        this.running.delete(tracked);
      });
    this.running.add(tracked);
  }

  private finish(channelId: string, blockNumber: number, err: unknown, done?: { snapshot_hash: string; dir: string }): void {
    if (err === undefined) this.deps.logger.info({ channel: channelId, block: blockNumber, ...done }, 'Generated snapshot');
    else this.deps.logger.error({ err, channel: channelId, block: blockNumber }, 'Failed to generate snapshot');
    try {
      this.pending.delete(channelId, blockNumber);
    } catch (deleteErr) {
      this.deps.logger.error({ err: deleteErr, channel: channelId, block: blockNumber }, 'Failed to delete snapshot request, the pending snapshot requests (if any) may not be processed');
    }
  }
}
