import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSnapshotMetadata } from '../../../core/ledger/snapshot-metadata';
import type { SnapshotMetadata } from '../../../core/ledger/snapshot';
import { loadPeerConfig, snapshotsRootDir } from '../../../core/peer/peer-config';
import { toHex } from '../../../core/protocol/bytes';
import type { NodeLayout } from '../network/network-layout';
import { isThisMachine } from '../network/node-hosts';

/** A snapshot a peer wrote, found in its snapshot root on this machine. */
export interface CompletedSnapshot {
  readonly peer: string;
  readonly channel: string;
  readonly block: number;
  readonly dir: string;
  /** `snapshot_hash`: equal on every peer that wrote the channel at that block, whatever its org. */
  readonly snapshotHash: string;
  readonly lastBlockHash: string;
}

/** A snapshot's metadata as the CLI prints it. */
export function describeSnapshot(dir: string, meta: SnapshotMetadata): { dir: string; channel: string; block: number; snapshotHash: string; lastBlockHash: string } {
  return { dir, channel: meta.channelName, block: meta.lastBlockNumber, snapshotHash: toHex(meta.snapshotHash), lastBlockHash: toHex(meta.lastBlockHash) };
}

/**
 * The peer's snapshot root (`peer.snapshots.rootDir` in its config, default `<data dir>/snapshots`,
 * Fabric's `ledger.snapshots.rootDir`) when the peer runs on this machine from this directory;
 * undefined for a peer elsewhere, whose files are not here to read.
 */
export async function localSnapshotsRoot(peer: NodeLayout): Promise<string | undefined> {
  if (!fs.existsSync(peer.configFile) || !(await isThisMachine(peer.host))) return undefined;
  return snapshotsRootDir(loadPeerConfig(peer.configFile));
}

/** `<root>/completed/<channel>/<block>` when it is there; the peer renames it into place only once written. */
export async function completedSnapshot(peer: NodeLayout, channel: string, block: number): Promise<CompletedSnapshot | undefined> {
  const root = await localSnapshotsRoot(peer);
  if (root === undefined) return undefined;
  const dir = path.join(root, 'completed', channel, String(block));
  if (!fs.existsSync(dir)) return undefined;
  return { peer: peer.id, ...describeSnapshot(dir, readSnapshotMetadata(dir)) };
}

/** Every completed snapshot of `channel` in the peer's local snapshot root, by block; undefined for a peer not on this machine. */
export async function completedSnapshots(peer: NodeLayout, channel: string): Promise<CompletedSnapshot[] | undefined> {
  const root = await localSnapshotsRoot(peer);
  if (root === undefined) return undefined;
  const channelDir = path.join(root, 'completed', channel);
  const blocks = fs.existsSync(channelDir)
    ? fs
        .readdirSync(channelDir)
        .filter((n) => /^\d+$/.test(n))
        .map(Number)
        .sort((a, b) => a - b)
    : [];
  const out: CompletedSnapshot[] = [];
  for (const block of blocks) {
    const found = await completedSnapshot(peer, channel, block);
    if (found !== undefined) out.push(found);
  }
  return out;
}
