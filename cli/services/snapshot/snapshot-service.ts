import { WeftError } from '../../../core/errors';
import { withPeerClient } from '../client/peer-client';
import { resolveOrg } from '../chaincode/org-args';
import { channelPeer, peerAdmin, peerChainInfo, type Progress } from '../network/network-access';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import { orgsWithKeysHere } from '../network/org-keys';
import { completedSnapshot, completedSnapshots, localSnapshotsRoot, type CompletedSnapshot } from './snapshot-files';
import { pendingBlockNumbers, signedSnapshotQuery, signedSnapshotRequest } from './snapshot-requests';
import { snapshotWaitText, snapshotWaitTimeout } from './snapshot-wait-text';

/**
 * `weft snapshot submit|cancel|list`: Fabric's `peer snapshot submitrequest|cancelrequest|listpending`
 * against the peers of a network directory. Each request is signed by the Admin of the peer's own
 * org: Fabric's default ACL for the three (`snapshot/*`) is the peer's local MSP admins.
 */

/**
 * The peers a snapshot command acts on: `--peer` (one, by id), else every peer of the channel's
 * member orgs whose Admin key is here (`--org` narrows it to one org). Several peers asked for the
 * same block write snapshots whose `snapshot_hash` must be equal: that is how orgs compare them.
 */
export function snapshotPeers(layout: NetworkLayout, peerId: string | undefined, orgRef: string | undefined): NodeLayout[] {
  if (peerId !== undefined) return [channelPeer(layout, peerId)];
  const orgs = orgRef === undefined ? orgsWithKeysHere(layout) : [resolveOrg(layout, orgRef)];
  const peers = orgs.flatMap((o) => layout.peersOf(o));
  if (peers.length === 0) {
    throw new WeftError('NO_MEMBER_KEYS_HERE', `none of channel ${layout.spec.channel.name}'s member orgs has its Admin key in ${layout.dir}`, {
      suggestions: ["run it from a member org's directory", 'or name a peer with --peer <id>'],
    });
  }
  return peers;
}

export interface SubmittedSnapshot {
  readonly peer: string;
  /** The block asked for; 0 means the peer's last committed block at the time it received the request. */
  readonly block: number;
}

/** Generate on each peer. A refusal by one peer stops there, naming it (the earlier ones keep their requests: `weft snapshot cancel`). */
export async function submitSnapshot(layout: NetworkLayout, peers: readonly NodeLayout[], block: number, progress: Progress): Promise<SubmittedSnapshot[]> {
  const channel = layout.spec.channel.name;
  const out: SubmittedSnapshot[] = [];
  for (const peer of peers) {
    const admin = peerAdmin(layout, peer);
    await withPeerClient(layout.spec, peer, admin, (c) => c.snapshot('Generate', signedSnapshotRequest(admin.signer, channel, block)));
    progress(`${peer.id}: snapshot of ${channel} ${block === 0 ? 'at its last block' : `at block ${block}`} requested`);
    out.push({ peer: peer.id, block });
  }
  return out;
}

/** Cancel on each peer: a peer without that pending request refuses, in Fabric's words. */
export async function cancelSnapshot(layout: NetworkLayout, peers: readonly NodeLayout[], block: number, progress: Progress): Promise<SubmittedSnapshot[]> {
  const channel = layout.spec.channel.name;
  for (const peer of peers) {
    const admin = peerAdmin(layout, peer);
    await withPeerClient(layout.spec, peer, admin, (c) => c.snapshot('Cancel', signedSnapshotRequest(admin.signer, channel, block)));
    progress(`${peer.id}: snapshot request for block ${block} of ${channel} cancelled`);
  }
  return peers.map((p) => ({ peer: p.id, block }));
}

/** The block numbers of `peer`'s pending snapshot requests for the layout's channel, ascending. */
export async function pendingSnapshots(layout: NetworkLayout, peer: NodeLayout): Promise<number[]> {
  const admin = peerAdmin(layout, peer);
  const channel = layout.spec.channel.name;
  return pendingBlockNumbers(await withPeerClient(layout.spec, peer, admin, (c) => c.snapshot('QueryPendings', signedSnapshotQuery(admin.signer, channel))));
}

export interface PeerSnapshots {
  readonly peer: string;
  readonly pending: number[];
  /** Completed snapshots in the peer's snapshot root, when the peer's data directory is on this machine; undefined otherwise. */
  readonly completed: CompletedSnapshot[] | undefined;
}

/** `weft snapshot list`: each peer's pending requests and the completed snapshots found in its local snapshot root. */
export async function listSnapshots(layout: NetworkLayout, peers: readonly NodeLayout[]): Promise<PeerSnapshots[]> {
  const out: PeerSnapshots[] = [];
  for (const peer of peers) {
    out.push({ peer: peer.id, pending: await pendingSnapshots(layout, peer), completed: await completedSnapshots(peer, layout.spec.channel.name) });
  }
  return out;
}

/**
 * `--wait` reads each snapshot from the peer's snapshot root: checked for every peer before any
 * request is sent, so a peer on another machine does not leave the command waiting for nothing.
 */
export async function assertSnapshotsReadableHere(peers: readonly NodeLayout[]): Promise<void> {
  for (const peer of peers) {
    if ((await localSnapshotsRoot(peer)) === undefined) {
      throw new WeftError('SNAPSHOT_NOT_ON_THIS_MACHINE', `--wait reads the snapshot from ${peer.id}'s snapshot root, which is not on this machine (the peer runs on ${peer.host})`, {
        field: '--wait',
        peer: peer.id,
        suggestions: [`submit without --wait, then look on ${peer.host}: weft snapshot list <dir> --peer ${peer.id}`],
      });
    }
  }
}

/**
 * Waits until `peer` has written its snapshot of one of `blocks` (one block for `--block N`; for
 * `--block 0`, the blocks the peer may have been at when it got the request, as the CLI cannot know
 * which of them it took). The peer says a request is done by dropping it from QueryPendings, and writes the
 * snapshot by renaming a finished directory into `<root>/completed/<channel>/<block>`: so the CLI
 * polls the pending list until the block is gone, then reads that directory. It must be on this
 * machine (the peer's data directory): for a peer elsewhere there is nothing to read here.
 */
export async function waitForSnapshot(layout: NetworkLayout, peer: NodeLayout, blocks: readonly number[], timeoutMs: number, progress: Progress): Promise<CompletedSnapshot> {
  const channel = layout.spec.channel.name;
  const block = Math.max(...blocks);
  const deadline = Date.now() + timeoutMs;
  let said = '';
  for (;;) {
    const pending = await pendingSnapshots(layout, peer);
    if (!blocks.some((b) => pending.includes(b))) break;
    const { height } = await peerChainInfo(layout, peer, channel);
    const text = snapshotWaitText(peer.id, block, height);
    if (text !== said) progress(text);
    said = text;
    if (Date.now() > deadline) throw snapshotWaitTimeout(layout.dir, channel, peer, block, height, timeoutMs);
    await sleep(250);
  }
  // The request is dropped once the export is done or has failed; a failure leaves no directory.
  for (;;) {
    for (const b of [...blocks].reverse()) {
      const found = await completedSnapshot(peer, channel, b);
      if (found !== undefined) return found;
    }
    if (Date.now() > deadline) {
      throw new WeftError('SNAPSHOT_NOT_WRITTEN', `${peer.id} no longer lists the snapshot request for block ${block} of ${channel}, but wrote no snapshot for it`, {
        peer: peer.id,
        suggestions: [`look for "Failed to generate snapshot" in the peer's log: ${peer.logFile}`],
      });
    }
    await sleep(250);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
