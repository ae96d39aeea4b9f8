import * as path from 'node:path';
import { WeftError } from '../../../core/errors';
import { verifySnapshotFiles } from '../../../core/ledger/snapshot-metadata';
import { describeSnapshot } from './snapshot-files';

export interface VerifiedSnapshot {
  readonly dir: string;
  readonly channel: string;
  readonly block: number;
  readonly snapshotHash: string;
  readonly lastBlockHash: string;
}

/**
 * `weft snapshot verify`: re-hashes every data file of each snapshot against its signable metadata
 * and checks `snapshot_hash` (the core ledger's own check, the one the peer runs before it imports),
 * then that all of them are the same snapshot: one channel, one block, one `snapshot_hash`. Fabric's
 * advice before joining from a snapshot is to compare `snapshot_hash` with other orgs' peers: a
 * snapshot that agrees with theirs holds the ledger they hold.
 */
export async function verifySnapshots(dirs: readonly string[]): Promise<{ snapshots: VerifiedSnapshot[]; agree: boolean }> {
  const snapshots: VerifiedSnapshot[] = [];
  for (const dir of dirs) {
    const abs = path.resolve(dir);
    snapshots.push(describeSnapshot(abs, await verifySnapshotFiles(abs)));
  }
  const first = snapshots[0]!;
  const differ = snapshots.filter((s) => s.channel !== first.channel || s.block !== first.block || s.snapshotHash !== first.snapshotHash);
  if (differ.length > 0) {
    const list = snapshots.map((s) => `${s.dir}: channel ${s.channel}, block ${s.block}, snapshot_hash ${s.snapshotHash}`).join('; ');
    throw new WeftError('SNAPSHOTS_DISAGREE', `the snapshots are not the same ledger: ${list}`, {
      snapshots,
      suggestions: [
        'snapshots agree only when taken at the same block: ask every org for the same one (weft snapshot submit <dir> --block <n>)',
        'at the same block, a different snapshot_hash means different ledgers: do not join from it until the orgs find out why',
      ],
    });
  }
  return { snapshots, agree: true };
}
