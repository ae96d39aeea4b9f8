import { WeftError } from '../../../core/errors';
import type { PrunedChannel } from '../../../core/peer/peer-ledger-admin';
import { prunedSummary, prunePeerChannel, pruneRunningPeer } from '../peer/peer-prune';
import { openNetwork, peerChainInfo, type Progress } from './network-access';
import { otherPeersHeight, waitForHeight } from './peer-catch-up';
import { networkUp } from './network-control';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { alreadyPruned, prunePlan, type PrunePlanPeer } from './network-prune-plan';
import { agreedSnapshots } from './network-prune-snapshots';
import { stopNode } from './node-processes';
import { shellWord } from '../../../core/node/shell-word';

/** What `weft network prune` is asked for. */
export interface NetworkPruneOptions {
  /** `--channel`; default the network's channel. */
  readonly channel?: string;
  readonly block: number;
  /** `--node`: these peers only; default every peer of the channel this directory runs. */
  readonly nodes?: readonly string[];
  /** `--all`: prune every peer of the channel although none then keeps the old blocks. */
  readonly all: boolean;
  /** `--vacuum`: stop each peer, prune it in place and give the space back, instead of pruning it while it serves. */
  readonly vacuum: boolean;
  /** How long to wait for the snapshots (the channel reaching `block` included), and for a restarted peer to catch up. */
  readonly timeoutMs: number;
  /** `--max-ahead`: how far beyond a peer's last block `block` may be and be waited for (default `PRUNE_MAX_AHEAD`; 0 refuses any block not reached). */
  readonly maxAhead?: number;
  /** Ctrl-C: ends a wait for the snapshots (this run's requests cancelled), or the run before its next peer. */
  readonly signal?: AbortSignal;
  /** How long a peer may take to stop before SIGKILL. */
  readonly graceMs?: number;
}

export interface NetworkPrunedPeer {
  readonly peer: string;
  /** False for a peer that held no block at or below the block already: it was not stopped. */
  readonly changed: boolean;
  readonly blocksRemoved: number;
  /** The ledger's files before and after; absent for a peer skipped, whose ledger was not opened. */
  readonly bytesBefore?: number;
  readonly bytesAfter?: number;
  readonly heightAfter: number;
  /** `online`: pruned while it served (`weft.peer.Prune`), never stopped; `stopped`: stopped, pruned in place, started. */
  readonly mode?: 'online' | 'stopped';
}

export interface NetworkPruneResult {
  readonly channel: string;
  readonly block: number;
  /** The `snapshot_hash` every peer's snapshot at `block` has; absent when every peer was skipped. */
  readonly snapshotHash?: string;
  readonly peers: NetworkPrunedPeer[];
}

/** `--max-ahead`'s default: well past any block a busy channel commits within the default --timeout, yet refusing a block number mistyped by a digit or two. */
export const PRUNE_MAX_AHEAD = 1000;

type Step = 'stop' | 'prune' | 'prune online' | 'start' | 'catch up';

/**
 * `weft network prune`: `weft peer prune` rolled over a channel's peers from one agreed snapshot.
 * Every check comes before any peer is pruned: the peers run, each has (or now takes) its snapshot
 * at the block, waited for as the block commits when the channel has not reached it yet (prune
 * ahead), and the snapshots are one ledger. Then one peer at a time is asked to
 * prune itself to its own snapshot while it serves (`weft.peer.Prune`): nothing stops. One at a time
 * so that the deletes' I/O hits one host at once and a failure stops the run with the other peers
 * untouched. A peer that cannot prune while running (an older Weft), or every peer with `--vacuum`,
 * is stopped, pruned in place, started and waited for until its height is the other peers', so at
 * most one peer of the channel is down at any moment. A failure stops the run naming the peer and
 * the step (`NETWORK_PRUNE_FAILED`); a peer whose prune failed (the prune writes nothing then) is
 * started again on its old ledger first.
 */
export async function networkPrune(dir: string, options: NetworkPruneOptions, progress: Progress): Promise<NetworkPruneResult> {
  const layout = openNetwork(dir).forChannel(options.channel);
  const channel = layout.spec.channel.name;
  const { block } = options;
  const plan = await prunePlan(layout, block, options.nodes, options.all, options.maxAhead ?? PRUNE_MAX_AHEAD);
  const todo = plan.filter((p) => !alreadyPruned(p, block));
  for (const p of plan.filter((q) => alreadyPruned(q, block))) {
    progress(`${p.node.id}: holds no block at or below ${p.snapshotBlock!} of ${channel} already: skipped`);
  }
  const snapshots = todo.length === 0 ? new Map() : await agreedSnapshots(layout, todo, block, { timeoutMs: options.timeoutMs, ...(options.signal && { signal: options.signal }) }, progress);
  const snapshotHash = [...snapshots.values()][0]?.snapshotHash as string | undefined;
  if (snapshotHash !== undefined) progress(`snapshots agree: snapshot_hash ${snapshotHash}`);

  const done = new Map<string, NetworkPrunedPeer>();
  for (const p of plan.filter((q) => alreadyPruned(q, block))) done.set(p.node.id, { peer: p.node.id, changed: false, blocksRemoved: 0, heightAfter: p.height });
  for (const [i, p] of todo.entries()) {
    if (options.signal?.aborted === true) throw interrupted(channel, block, todo.slice(0, i), todo.slice(i));
    const counter = `[${i + 1}/${todo.length}] ${p.node.id}`;
    const online = options.vacuum ? undefined : await prunePeerOnline(layout, p, block, counter, progress);
    if (online !== undefined) {
      done.set(p.node.id, online);
      continue;
    }
    progress(`${counter}: stopping`);
    done.set(p.node.id, await prunePeer(layout, p, snapshots.get(p.node.id)!.dir, options, progress));
  }
  return { channel, block, ...(snapshotHash !== undefined && { snapshotHash }), peers: plan.map((p) => done.get(p.node.id)!) };
}

/** The running peer prunes itself; undefined when it cannot while running (then it is stopped for it). */
async function prunePeerOnline(layout: NetworkLayout, p: PrunePlanPeer, block: number, counter: string, progress: Progress): Promise<NetworkPrunedPeer | undefined> {
  const peer = p.node;
  progress(`${counter}: pruning while it serves`);
  let result;
  try {
    result = await pruneRunningPeer(layout, peer, layout.spec.channel.name, block);
  } catch (err) {
    if (err instanceof WeftError && err.code === 'PRUNE_ONLINE_UNSUPPORTED') {
      progress(`${peer.id}: ${err.message}; pruning it stopped instead`);
      return undefined;
    }
    throw failed(layout, peer, 'prune online', err);
  }
  progress(`${peer.id}: ${prunedSummary(result)}`);
  const { height } = await peerChainInfo(layout, peer, layout.spec.channel.name);
  return { peer: peer.id, changed: result.changed, blocksRemoved: result.blocksRemoved, bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter, heightAfter: height, mode: 'online' };
}

/** Stop, prune, start, catch up: one peer, the others serving meanwhile. */
async function prunePeer(layout: NetworkLayout, p: PrunePlanPeer, snapshotDir: string, options: NetworkPruneOptions, progress: Progress): Promise<NetworkPrunedPeer> {
  const peer = p.node;
  const channel = layout.spec.channel.name;
  const othersHeight = await otherPeersHeight(layout, peer);
  await step(layout, peer, 'stop', async () => progress(`${peer.id}: ${await stopNode(peer, options.graceMs ?? 10_000)}`));
  let result: PrunedChannel;
  try {
    result = await prunePeerChannel(peer.configFile, { channel, snapshot: { dir: snapshotDir }, vacuum: options.vacuum }, (m) => progress(`${peer.id}: ${m}`));
  } catch (err) {
    progress(`${peer.id}: the prune failed; starting it again on its ledger as it was`);
    await networkUp(layout.dir, progress, [peer.id], 'by-caller').catch((restart: unknown) => progress(`${peer.id}: could not start it again: ${(restart as Error).message}`));
    throw failed(layout, peer, 'prune', err);
  }
  progress(`${peer.id}: ${prunedSummary(result)}`);
  await step(layout, peer, 'start', () => networkUp(layout.dir, progress, [peer.id], 'by-caller'));
  const heightAfter = await step(layout, peer, 'catch up', () => waitForHeight(layout, peer, othersHeight, options.timeoutMs, progress));
  return { peer: peer.id, changed: result.changed, blocksRemoved: result.blocksRemoved, bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter, heightAfter, mode: 'stopped' };
}

/** Ctrl-C between two peers: the one being pruned finished, no other is begun. */
function interrupted(channel: string, block: number, pruned: readonly PrunePlanPeer[], untouched: readonly PrunePlanPeer[]): WeftError {
  const names = (ps: readonly PrunePlanPeer[]): string => ps.map((p) => p.node.id).join(', ') || 'none';
  return new WeftError('PRUNE_INTERRUPTED', `interrupted: pruned ${names(pruned)} through block ${block} of ${channel}; not begun: ${names(untouched)}`, {
    block,
    pruned: pruned.map((p) => p.node.id),
    untouched: untouched.map((p) => p.node.id),
    suggestions: ['run weft network prune again with the same --block to prune the rest (peers pruned already are skipped)'],
  });
}

async function step<T>(layout: NetworkLayout, peer: NodeLayout, name: Step, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw failed(layout, peer, name, err);
  }
}

function failed(layout: NetworkLayout, peer: NodeLayout, name: Step, err: unknown): WeftError {
  const channel = layout.spec.channel.name;
  const next: Record<Step, string> = {
    stop: `stop it by hand (weft network down ${shellWord(layout.dir)} --node ${peer.id}), then run weft network prune again`,
    prune: 'the prune wrote nothing: it runs on its old ledger; fix the cause, then run weft network prune again',
    'prune online': 'it still runs; a prune cut part way is finished at its next start (weft peer prune --peer, or a restart, completes it); fix the cause, then run weft network prune again',
    start: `start it: weft network up ${shellWord(layout.dir)} --node ${peer.id}; then run weft network prune again for the peers left`,
    'catch up': `it is pruned and running: check its height with weft network status ${shellWord(layout.dir)} --channel ${channel}, then run weft network prune again for the peers left`,
  };
  return new WeftError('NETWORK_PRUNE_FAILED', `${peer.id}, step ${name}: ${(err as Error).message}`, {
    peer: peer.id,
    step: name,
    ...(err instanceof WeftError && { causeCode: err.code }),
    suggestions: [next[name], `see its log: ${peer.logFile}`],
  }, { cause: err });
}
