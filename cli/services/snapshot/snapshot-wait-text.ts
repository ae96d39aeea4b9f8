import { WeftError } from '../../../core/errors';
import { shellWord } from '../../../core/node/shell-word';

/**
 * What a peer that still lists a snapshot request for `block` is doing, at `height`: waiting for the
 * block to commit, or (committed: a request at the last committed block, `--block 0` among them,
 * is served at once) writing the snapshot. For `weft snapshot submit --wait`'s progress.
 */
export function snapshotWaitText(peerId: string, block: number, height: number): string {
  return height > block ? `${peerId}: block ${block} is committed; writing the snapshot` : `${peerId}: at height ${height}; the snapshot is written when block ${block} commits`;
}

/** `--wait` ran out while the peer still listed the request for `block`: why, as the height tells it, and what to do. */
export function snapshotWaitTimeout(dir: string, channel: string, peer: { readonly id: string; readonly logFile: string }, block: number, height: number, timeoutMs: number): WeftError {
  const seconds = timeoutMs / 1000;
  const cancel = `cancel it with: weft snapshot cancel ${shellWord(dir)} --block ${block} --peer ${peer.id}`;
  if (height > block) {
    return new WeftError('SNAPSHOT_WAIT_TIMEOUT', `${peer.id} was still writing its snapshot of block ${block} of ${channel} after ${seconds}s (block ${block} committed, height ${height}); the request stays pending until the snapshot is written`, {
      peer: peer.id,
      suggestions: [`wait longer with --timeout, or see when it is done: weft snapshot list ${shellWord(dir)} --peer ${peer.id}`, `see its progress in the peer's log: ${peer.logFile}`],
    });
  }
  return new WeftError('SNAPSHOT_WAIT_TIMEOUT', `${peer.id} had not reached block ${block} of ${channel} after ${seconds}s (height ${height}); the request stays pending`, {
    peer: peer.id,
    suggestions: ['blocks are cut when transactions come: submit some, or wait longer with --timeout', cancel],
  });
}
