import * as fs from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import type { Logger } from '../../node/logger';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';

/** Fabric's `JoinBySnapshotStatus` (`peer/query.proto`). */
export interface JoinBySnapshotStatus {
  readonly inProgress: boolean;
  /** The snapshot being joined from; '' when none. */
  readonly bootstrappingSnapshotDir: string;
}

/**
 * Fabric's text for a snapshot directory it cannot list (`internal/fileutil` DirEmpty, Go's
 * `*PathError`): `os.Open` fails for a missing or unreadable path, `Readdir` for a file. libuv's
 * error descriptions are the C library's, as Go's are ("no such file or directory").
 */
function unreadableDirText(dir: string, err: NodeJS.ErrnoException): string {
  const description = err.errno === undefined ? undefined : getSystemErrorMap().get(err.errno)?.[1];
  if (description === undefined) return err.message;
  if (err.code === 'ENOTDIR') return `error checking if dir [${dir}] is empty: readdirent ${dir}: ${description}`;
  return `error opening dir [${dir}]: open ${dir}: ${description}`;
}

/**
 * Joins channels from snapshots one at a time, in the background, as Fabric's ledger manager does
 * (`ledgermgmt.CreateLedgerFromSnapshot`): `start` checks the directory and returns once the import
 * has started; `status` tells whether one runs. A failed import is logged (Fabric: "Error creating
 * ledger from snapshot") and leaves no channel.
 */
export class SnapshotJoiner {
  private current: string | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly join: (snapshotDir: string) => Promise<Channel>,
    /** Checks the snapshot's metadata before anything starts (e.g. that its channel is not joined yet); throws why not. */
    private readonly precheck: (snapshotDir: string) => void,
    private readonly logger: Logger,
  ) {}

  /** Throws `PeerError` with Fabric's texts when the directory is missing or empty, or another join runs. */
  start(snapshotDir: string): void {
    let entries: string[];
    try {
      entries = fs.readdirSync(snapshotDir);
    } catch (err) {
      throw new PeerError('PEER_BAD_SNAPSHOT_DIR', `cannot create ledger from snapshot ${snapshotDir}: ${unreadableDirText(snapshotDir, err as NodeJS.ErrnoException)}`, { snapshotDir });
    }
    if (entries.length === 0) throw new PeerError('PEER_BAD_SNAPSHOT_DIR', `cannot create ledger from snapshot ${snapshotDir}: snapshot dir ${snapshotDir} is empty`, { snapshotDir });
    this.refuseWhileJoining(`cannot create ledger from snapshot ${snapshotDir}: `);
    try {
      this.precheck(snapshotDir);
    } catch (err) {
      throw new PeerError('PEER_BAD_SNAPSHOT_DIR', `cannot create ledger from snapshot ${snapshotDir}: ${(err as Error).message}`, { snapshotDir }, { cause: err });
    }
    this.current = snapshotDir;
    this.logger.info({ snapshotDir }, 'Creating ledger from snapshot');
    this.running = this.join(snapshotDir).then(
      (channel) => this.logger.info({ snapshotDir, channel: channel.id, height: channel.height() }, 'Created ledger from snapshot'),
      (err: unknown) => this.logger.error({ err, snapshotDir }, 'Error creating ledger from snapshot'),
    );
    void this.running.finally(() => {
      this.current = undefined;
      this.running = undefined;
    });
  }

  /**
   * Throws while a join from a snapshot runs: Fabric's ledger manager creates one ledger at a time
   * (`CreateLedger` refuses with the same text), so a JoinChain waits for the import to finish.
   */
  refuseWhileJoining(prefix = ''): void {
    if (this.current === undefined) return;
    throw new PeerError('PEER_JOIN_IN_PROGRESS', `${prefix}a ledger is being created from a snapshot at ${this.current}. Call ledger creation again after it is done.`, {
      inProgress: this.current,
    });
  }

  status(): JoinBySnapshotStatus {
    return { inProgress: this.current !== undefined, bootstrappingSnapshotDir: this.current ?? '' };
  }

  /** Resolves once no join runs (the peer waits for this before closing its ledgers). */
  async idle(): Promise<void> {
    await this.running;
  }
}
