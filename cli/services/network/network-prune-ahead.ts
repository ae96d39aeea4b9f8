import { WeftError } from '../../../core/errors';
import type { CompletedSnapshot } from '../snapshot/snapshot-files';
import { cancelSnapshot, pendingSnapshots, submitSnapshot, waitForSnapshot } from '../snapshot/snapshot-service';
import { peerChainInfo, type Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { shellWord } from '../../../core/node/shell-word';

const POLL_MS = 250;

export interface SnapshotWait {
  readonly timeoutMs: number;
  /** Ctrl-C: stop waiting, and take back the requests this run made. */
  readonly signal?: AbortSignal;
}

/**
 * Each of `peers`' snapshot of the layout's channel at `block`, asking for it where no request is
 * pending (Fabric's `peer snapshot submitrequest --blockNumber n`: a peer takes it as block n
 * commits, so n may be ahead of the channel), and waiting until every peer has written it. A wait
 * that ends otherwise (timeout, interrupt, a peer that stops answering) cancels the requests this run
 * made, so that no peer later writes a snapshot nobody waits for; a request made before the run is
 * the user's and stays.
 */
export async function snapshotsAt(layout: NetworkLayout, peers: readonly NodeLayout[], block: number, wait: SnapshotWait, progress: Progress): Promise<Map<string, CompletedSnapshot>> {
  const channel = layout.spec.channel.name;
  const deadline = Date.now() + wait.timeoutMs;
  const submitted: NodeLayout[] = [];
  try {
    for (const peer of peers) {
      if ((await pendingSnapshots(layout, peer)).includes(block)) continue;
      // One at a time, so that a refusal part way leaves exactly `submitted` to take back.
      await submitSnapshot(layout, [peer], block, progress);
      submitted.push(peer);
    }
    const last = await lowestLastBlock(layout, peers);
    if (last < block) {
      const before = peers.filter((p) => !submitted.includes(p)).map((p) => p.id);
      progress(
        `snapshot requests for block ${block} of ${channel} submitted to ${submitted.map((p) => p.id).join(', ') || 'no peer'}${before.length > 0 ? ` (pending already on ${before.join(', ')})` : ''}: each peer writes its snapshot as block ${block} commits`,
      );
    }
    await untilNoneWaits(layout, peers, block, deadline, wait, progress);
  } catch (err) {
    if (submitted.length === 0 && !isWaitEnd(err)) throw err;
    throw await withRequestsTakenBack(layout, peers, submitted, block, err, progress);
  }
  const out = new Map<string, CompletedSnapshot>();
  // The requests are done; what is left is finding each written directory (a failed export leaves none).
  for (const peer of peers) out.set(peer.id, await waitForSnapshot(layout, peer, [block], Math.max(deadline - Date.now(), 5_000), progress));
  return out;
}

/** Polls the peers' pending requests until none lists `block`, saying how far the channel is. */
async function untilNoneWaits(layout: NetworkLayout, peers: readonly NodeLayout[], block: number, deadline: number, wait: SnapshotWait, progress: Progress): Promise<void> {
  const channel = layout.spec.channel.name;
  let reported = -1;
  for (;;) {
    const waiting: NodeLayout[] = [];
    for (const peer of peers) if ((await pendingSnapshots(layout, peer)).includes(block)) waiting.push(peer);
    if (waiting.length === 0) return;
    const at = await lowestLastBlock(layout, waiting);
    if (at !== reported && at < block) progress(`channel ${channel} at block ${at}, ${block - at} to go`);
    reported = at;
    if (wait.signal?.aborted === true) {
      throw new WeftError('PRUNE_INTERRUPTED', `interrupted while waiting for block ${block} of ${channel} (at block ${at}, ${block - at} to go); no peer was pruned`, { block, height: at + 1 });
    }
    if (Date.now() > deadline) {
      throw new WeftError('PRUNE_WAIT_TIMEOUT', `--timeout ${wait.timeoutMs / 1000}s: ${channel} did not reach block ${block} (at block ${at}, ${block - at} to go; ${waiting.map((p) => p.id).join(', ')} still waiting); no peer was pruned`, {
        field: '--timeout',
        block,
        height: at + 1,
        suggestions: ['blocks are cut when transactions come: submit some, or run it again with a longer --timeout', 'or prune at a block the channel has'],
      });
    }
    await pause(POLL_MS, wait.signal);
  }
}

/** The lowest last block among `peers` (the one the wait is for). */
async function lowestLastBlock(layout: NetworkLayout, peers: readonly NodeLayout[]): Promise<number> {
  const heights = [];
  for (const peer of peers) heights.push((await peerChainInfo(layout, peer, layout.spec.channel.name)).height);
  return Math.min(...heights) - 1;
}

function isWaitEnd(err: unknown): boolean {
  return err instanceof WeftError && (err.code === 'PRUNE_WAIT_TIMEOUT' || err.code === 'PRUNE_INTERRUPTED');
}

/**
 * Cancels this run's requests that are still pending, and says in the error what became of every
 * peer's request: `cancelled`, and `pending` for one still there (made before this run, or a
 * cancel that failed: the peer would write that snapshot when the block commits).
 */
async function withRequestsTakenBack(layout: NetworkLayout, peers: readonly NodeLayout[], submitted: readonly NodeLayout[], block: number, err: unknown, progress: Progress): Promise<Error> {
  const cancelled: string[] = [];
  const pending: string[] = [];
  const ours = new Set(submitted.map((p) => p.id));
  for (const peer of peers) {
    const still = await pendingSnapshots(layout, peer).then(
      (blocks) => blocks.includes(block),
      () => true,
    );
    if (!still) continue;
    if (!ours.has(peer.id)) {
      pending.push(peer.id);
      continue;
    }
    await cancelSnapshot(layout, [peer], block, progress).then(
      () => cancelled.push(peer.id),
      (cancelErr: unknown) => {
        progress(`${peer.id}: could not cancel its snapshot request for block ${block}: ${(cancelErr as Error).message}`);
        pending.push(peer.id);
      },
    );
  }
  const what = `; snapshot requests cancelled: ${cancelled.join(', ') || 'none'}; left pending: ${pending.join(', ') || 'none'}`;
  const cause = err as Error;
  const suggestions = pending.map((id) => `cancel it if nobody needs it: weft snapshot cancel ${shellWord(layout.dir)} --channel ${layout.spec.channel.name} --block ${block} --peer ${id}`);
  if (err instanceof WeftError) {
    const before = Array.isArray(err.details.suggestions) ? (err.details.suggestions as string[]) : [];
    return new WeftError(err.code, `${err.message}${what}`, { ...err.details, cancelled, pending, suggestions: [...before, ...suggestions] }, { cause: err });
  }
  return new WeftError('PRUNE_WAIT_FAILED', `waiting for the snapshots at block ${block}: ${cause.message}${what}`, { block, cancelled, pending, suggestions }, { cause: err });
}

/** A sleep that ends early on `signal`. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
