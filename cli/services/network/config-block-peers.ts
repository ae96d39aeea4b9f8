import { WeftError } from '../../../core/errors';
import { withPeerClient } from '../client/peer-client';
import { type Progress, peerAdmin } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import type { NetworkSpec } from './network-spec';
import { isThisMachine } from './node-hosts';
import { runningPid } from './node-processes';
import { nodeKeysHere } from './org-keys';

/** A peer on another host that answers nothing within this is taken as down: a running one answers in milliseconds. */
const PROBE_TIMEOUT_MS = 5_000;

/** A peer a config update does not wait for, and why (said in progress after "which"). */
export interface PeerNotWaited {
  readonly peer: NodeLayout;
  readonly why: string;
}

/** {@link peersToWaitFor}'s split of the peers. */
export interface PeersToWait {
  readonly waited: NodeLayout[];
  readonly notWaited: PeerNotWaited[];
}

/**
 * Probes made, by the network spec a command loaded: every layout it derives (for a channel, or
 * through one orderer) shares that object, and a command that loads the network once asks each
 * peer once. A command updating several channels, or one network.yaml does not list (read through
 * the orderer, then submitted), would otherwise wait {@link PROBE_TIMEOUT_MS} per channel and step
 * for each peer that is down.
 */
const probes = new WeakMap<NetworkSpec, Map<string, Promise<boolean>>>();

/**
 * Whether `peer` answers a gRPC call within {@link PROBE_TIMEOUT_MS}: cscc GetChannels as its org's
 * Admin. Any answer counts, a refusal too; only no answer at all (PEER_UNREACHABLE: no connection,
 * or none in time) is false. Asked once per peer for the network `layout` was derived from (see
 * {@link probes}): later calls get the first answer.
 */
export function peerAnswers(layout: NetworkLayout, peer: NodeLayout): Promise<boolean> {
  let byPeer = probes.get(layout.networkSpec);
  if (byPeer === undefined) probes.set(layout.networkSpec, (byPeer = new Map()));
  let answer = byPeer.get(peer.id);
  if (answer === undefined) byPeer.set(peer.id, (answer = probe(layout, peer)));
  return answer;
}

async function probe(layout: NetworkLayout, peer: NodeLayout): Promise<boolean> {
  try {
    const admin = peerAdmin(layout, peer);
    await withPeerClient(layout.spec, peer, admin, (c) => c.propose(admin.signer, '', 'cscc', ['GetChannels'], PROBE_TIMEOUT_MS));
    return true;
  } catch (err) {
    return !(err instanceof WeftError && err.code === 'PEER_UNREACHABLE');
  }
}

/**
 * Whether `node` is run from this directory on this machine: this directory holds its keys and its
 * host is this machine. Only then does a pid (runningPid) say whether it runs; any other node (on
 * another host, or run from another org's directory) has no pid here, which `weft network status`
 * therefore counts as running when it answers.
 */
export async function runsFromHere(layout: NetworkLayout, node: NodeLayout): Promise<boolean> {
  return nodeKeysHere(layout, node) && (await isThisMachine(node.host));
}

/**
 * Which of `peers` a config update waits for until they hold its config block. A peer that does
 * not run misses nothing by not being waited for: started, it pulls the block from the orderer as
 * it pulls any block it missed, while waiting for it would only fail, after the whole timeout, a
 * command whose update the channel took.
 *
 * Whether it runs is told as `weft network status` tells it: one {@link runsFromHere} runs when its
 * process does (no call made); any other counts as running when it answers (`answers`, one brief
 * gRPC call, made once per command: {@link peerAnswers}), so a peer on another host is not taken
 * for stopped for want of a pid here.
 */
export async function peersToWaitFor(layout: NetworkLayout, peers: readonly NodeLayout[], answers = peerAnswers): Promise<PeersToWait> {
  const waited: NodeLayout[] = [];
  const notWaited: PeerNotWaited[] = [];
  for (const peer of peers) {
    if (await runsFromHere(layout, peer)) {
      if (runningPid(peer) !== undefined) waited.push(peer);
      else notWaited.push({ peer, why: 'does not run here: started, it takes the new config block from the orderer' });
    } else if (await answers(layout, peer)) {
      waited.push(peer);
    } else {
      notWaited.push({ peer, why: `does not answer at ${peer.address}: up again, it takes the new config block from the orderer` });
    }
  }
  return { waited, notWaited };
}

/**
 * {@link peersToWaitFor} for a config update of `layout`'s channel, naming in progress, once, each
 * peer it does not wait for: the peers to wait for, and the ids of the others (for a result's
 * `notWaitedFor`).
 */
export async function peersToWaitForUpdate(layout: NetworkLayout, peers: readonly NodeLayout[], progress: Progress): Promise<{ waited: NodeLayout[]; notWaitedFor: string[] }> {
  const { waited, notWaited } = await peersToWaitFor(layout, peers);
  for (const { peer, why } of notWaited) progress(`channel ${layout.spec.channel.name}: not waiting for ${peer.id}, which ${why}`);
  return { waited, notWaitedFor: notWaited.map((n) => n.peer.id) };
}
