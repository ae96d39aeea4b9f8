import { WeftError } from '../../../core/errors';
import { completedSnapshot, completedSnapshots, type CompletedSnapshot } from '../snapshot/snapshot-files';
import { verifySnapshots } from '../snapshot/snapshot-verify';
import type { Progress } from './network-access';
import type { NetworkLayout } from './network-layout';
import { snapshotsAt, type SnapshotWait } from './network-prune-ahead';
import type { PrunePlanPeer } from './network-prune-plan';
import { shellWord } from '../../../core/node/shell-word';

/**
 * Each peer's completed snapshot of the layout's channel at `block`, taken where missing, and
 * checked to be one ledger: every file re-hashed and one `snapshot_hash` across the peers (and any
 * other peer of the channel with a snapshot at `block` on this machine, a kept one included). A
 * peer asks for a snapshot only at its last committed block or a later one (Fabric's snapshot
 * manager refuses an earlier one), so a peer already past `block` without one is refused here, as
 * is a disagreement: all before any peer stops. A `block` still ahead is waited for (`snapshotsAt`).
 */
export async function agreedSnapshots(layout: NetworkLayout, peers: readonly PrunePlanPeer[], block: number, wait: SnapshotWait, progress: Progress): Promise<Map<string, CompletedSnapshot>> {
  const channel = layout.spec.channel.name;
  const found = new Map<string, CompletedSnapshot>();
  const missing: PrunePlanPeer[] = [];
  for (const p of peers) {
    const snapshot = await completedSnapshot(p.node, channel, block);
    if (snapshot === undefined) missing.push(p);
    else found.set(p.node.id, snapshot);
  }
  const past = missing.filter((p) => p.height - 1 > block);
  if (past.length > 0) {
    const have = await Promise.all(past.map(async (p) => `${p.node.id} (last block ${p.height - 1}; snapshots at ${((await completedSnapshots(p.node, channel)) ?? []).map((s) => s.block).join(', ') || 'none'})`));
    throw new WeftError('PRUNE_SNAPSHOT_MISSING', `--block ${block}: ${have.join(', ')} has no snapshot of ${channel} at that block and is past it; a peer writes a snapshot only at its last block or a later one. Nothing was stopped`, {
      field: '--block',
      value: block,
      peers: past.map((p) => p.node.id),
      suggestions: [
        `prune at a coming block instead: weft network prune ${shellWord(layout.dir)} --channel ${channel} --block <n> with n above the last block; each peer takes its snapshot as n commits`,
        'or pick a --block at which every peer has a snapshot (weft snapshot list)',
      ],
    });
  }
  if (missing.length > 0) {
    for (const [id, snapshot] of await snapshotsAt(layout, missing.map((p) => p.node), block, wait, progress)) found.set(id, snapshot);
  }
  for (const other of layout.peers().filter((p) => !found.has(p.id))) {
    const snapshot = await completedSnapshot(other, channel, block);
    if (snapshot !== undefined) found.set(other.id, snapshot);
  }
  const all = [...found.values()];
  progress(`checking the snapshots of ${all.map((s) => s.peer).join(', ')} at block ${block}: files against their hashes, one snapshot_hash`);
  try {
    await verifySnapshots(all.map((s) => s.dir));
  } catch (err) {
    if (!(err instanceof WeftError) || err.code !== 'SNAPSHOTS_DISAGREE') throw err;
    const byHash = new Map<string, string[]>();
    for (const s of all) byHash.set(s.snapshotHash, [...(byHash.get(s.snapshotHash) ?? []), s.peer]);
    throw new WeftError(
      'PRUNE_SNAPSHOTS_DISAGREE',
      `the peers' snapshots of ${channel} at block ${block} are not one ledger: ${[...byHash].map(([hash, ids]) => `${ids.join(', ')}: snapshot_hash ${hash}`).join('; ')}. Nothing was stopped`,
      {
        snapshots: Object.fromEntries(all.map((s) => [s.peer, s.snapshotHash])),
        suggestions: ['find out why before pruning any of them: a peer whose ledger differs should be rebuilt (weft peer rebuild-dbs) or rejoined, not pruned', 'compare them with weft snapshot verify <dir> --against <dir>'],
      },
      { cause: err },
    );
  }
  return found;
}
