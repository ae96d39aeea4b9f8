import { ConfigError, WeftError } from '../../../core/errors';
import { peerChainInfo } from './network-access';
import { namedNodes } from './network-control';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { isThisMachine } from './node-hosts';
import { runningPid } from './node-processes';
import { nodeKeysHere } from './org-keys';
import { shellWord } from '../../../core/node/shell-word';

/** A peer `weft network prune` looks after, as it stands before anything is touched. */
export interface PrunePlanPeer {
  readonly node: NodeLayout;
  readonly height: number;
  /** Set when the peer holds no block at or below it already (joined from, or pruned to, a snapshot). */
  readonly snapshotBlock?: number;
}

/**
 * The peers of the layout's channel `weft network prune` acts on: `ids` (`--node`), else every peer
 * of the channel this directory runs (on this machine, keys here), since only those can it stop and
 * start. Each must run now: its snapshot is asked of it, and its height read. Refuses, before any
 * peer stops, a block more than `maxAhead` blocks beyond one's last block (waiting for it would
 * outlast any sensible --timeout, or the block number is a typo), and (unless `all`, or `ids` chose
 * the peers) leaving no peer of the channel that keeps its blocks at or below `block`.
 */
export async function prunePlan(layout: NetworkLayout, block: number, ids: readonly string[] | undefined, all: boolean, maxAhead = 0): Promise<PrunePlanPeer[]> {
  const channel = layout.spec.channel.name;
  const explicit = ids !== undefined && ids.length > 0;
  const nodes = explicit ? namedPeers(layout, ids) : await peersRunHere(layout);
  const plan: PrunePlanPeer[] = [];
  for (const node of nodes) {
    if (runningPid(node) === undefined) {
      throw new WeftError('PEER_NOT_RUNNING', `${node.id} is not running: weft network prune asks each peer for its snapshot of ${channel} and waits for it to catch up after the prune`, {
        peer: node.id,
        suggestions: [`start it: weft network up ${shellWord(layout.dir)} --node ${node.id}`, `or prune a stopped peer by hand: weft peer prune --config ${shellWord(node.configFile)} --channel ${channel} --block ${block}`],
      });
    }
    plan.push({ node, ...(await peerChainInfo(layout, node, channel)) });
  }
  const short = plan.filter((p) => !alreadyPruned(p, block) && block - (p.height - 1) > maxAhead);
  if (short.length > 0) {
    const highest = Math.max(...plan.map((p) => p.height - 1));
    throw new WeftError(
      'CHANNEL_NOT_AT_BLOCK',
      `--block ${block}: ${channel} has not reached it on ${short.map((p) => `${p.node.id} (last block ${p.height - 1})`).join(', ')}: ${block - highest} more block${block - highest === 1 ? '' : 's'} to go, more than --max-ahead ${maxAhead}; nothing was stopped`,
      {
        field: '--block',
        value: block,
        heights: Object.fromEntries(plan.map((p) => [p.node.id, p.height])),
        maxAhead,
        suggestions: [
          `prune at a block the channel has: at most ${Math.min(...short.map((p) => p.height - 1))}`,
          `or raise --max-ahead to wait for block ${block} (each peer takes its snapshot as it commits; --timeout bounds the wait)`,
        ],
      },
    );
  }
  if (!explicit && !all) assertSomePeerKeepsBlocks(layout, plan, block);
  return plan;
}

/** Whether the peer holds no block at or below `block` already: it is skipped. */
export function alreadyPruned(peer: PrunePlanPeer, block: number): boolean {
  return peer.snapshotBlock !== undefined && peer.snapshotBlock >= block;
}

function namedPeers(layout: NetworkLayout, ids: readonly string[]): NodeLayout[] {
  const peers = namedNodes(layout, layout.nodes(), ids);
  const wrong = peers.filter((n) => n.kind !== 'peer' || !layout.peers().some((p) => p.id === n.id));
  if (wrong.length > 0) {
    throw new ConfigError('NOT_A_CHANNEL_PEER', `--node ${wrong.map((n) => n.id).join(', ')}: not a peer of channel ${layout.spec.channel.name}; its peers: ${layout.peers().map((p) => p.id).join(', ')}`, {
      field: '--node',
      value: wrong.map((n) => n.id).join(','),
    });
  }
  const keyless = peers.filter((n) => !nodeKeysHere(layout, n));
  if (keyless.length > 0) {
    throw new WeftError('NODE_KEYS_NOT_HERE', `this network directory holds no keys for ${keyless.map((n) => n.id).join(', ')}, so it does not run them`, {
      field: '--node',
      suggestions: [`run it from the directory of ${keyless[0]!.mspId}, on the host that runs ${keyless[0]!.id}`],
    });
  }
  return peers;
}

async function peersRunHere(layout: NetworkLayout): Promise<NodeLayout[]> {
  const here: NodeLayout[] = [];
  for (const peer of layout.peers()) if (nodeKeysHere(layout, peer) && (await isThisMachine(peer.host))) here.push(peer);
  if (here.length === 0) {
    throw new WeftError('NO_NODES_HERE', `this directory runs none of channel ${layout.spec.channel.name}'s peers (${layout.peers().map((p) => p.id).join(', ')}) on this machine`, {
      suggestions: ['run it on the host of a peer, from a directory with its org\'s keys, or name peers with --node <id>'],
    });
  }
  return here;
}

/**
 * The default refusal: pruning every peer of the channel leaves no peer that answers qscc
 * GetBlockByNumber (or a Deliver from the start) for the blocks at or below `block`. The orderer
 * keeps them, so a new peer still joins from the genesis block, but nobody can read them through a
 * peer. A peer of the channel this directory does not run is assumed to keep them.
 */
function assertSomePeerKeepsBlocks(layout: NetworkLayout, plan: readonly PrunePlanPeer[], block: number): void {
  const planned = new Set(plan.map((p) => p.node.id));
  const keepers = layout.peers().filter((p) => !planned.has(p.id));
  if (keepers.length > 0) return;
  const keep = plan.find((p) => !alreadyPruned(p, block)) ?? plan[0]!;
  const rest = plan.filter((p) => p !== keep).map((p) => `--node ${p.node.id}`);
  throw new WeftError(
    'PRUNE_WOULD_DROP_EVERY_BLOCK',
    `pruning every peer of ${layout.spec.channel.name} (${plan.map((p) => p.node.id).join(', ')}) leaves no peer serving its blocks 0 to ${block}; nothing was stopped`,
    {
      peers: plan.map((p) => p.node.id),
      suggestions: [
        rest.length > 0 ? `keep ${keep.node.id} whole: weft network prune ${shellWord(layout.dir)} --channel ${layout.spec.channel.name} --block ${block} ${rest.join(' ')}` : `keep a peer whole: add one with weft network add-peer first`,
        '--all prunes every peer anyway (the orderer keeps every block: new peers still join from the genesis block)',
      ],
    },
  );
}
