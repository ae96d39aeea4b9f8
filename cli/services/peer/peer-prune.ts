import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPeerConfig, snapshotsRootDir } from '../../../core/peer/peer-config';
import { PeerError } from '../../../core/peer/peer-error';
import { PeerLedgerAdmin, type PrunedChannel } from '../../../core/peer/peer-ledger-admin';

export interface PruneRequest {
  readonly channel: string;
  /** A snapshot directory, or the block of one of this peer's own completed snapshots. */
  readonly snapshot: { readonly dir: string } | { readonly block: number };
  readonly vacuum: boolean;
}

/**
 * `weft peer prune` on the stopped peer of `configFile`: holds its data directory for the whole
 * prune (verification included, so the peer cannot start on a half-checked ledger).
 */
export async function prunePeerChannel(configFile: string, request: PruneRequest, progress: (message: string) => void): Promise<PrunedChannel> {
  const config = loadPeerConfig(configFile);
  const dir = 'dir' in request.snapshot ? path.resolve(request.snapshot.dir) : ownSnapshot(snapshotsRootDir(config), request.channel, request.snapshot.block);
  const admin = PeerLedgerAdmin.open(config, 'weft peer prune');
  try {
    return await admin.prune(request.channel, dir, { vacuum: request.vacuum, onProgress: progress });
  } finally {
    admin.close();
  }
}

/** `<root>/completed/<channel>/<block>`, where the peer renames a snapshot once it is whole (`weft snapshot list`). */
function ownSnapshot(root: string, channel: string, block: number): string {
  const dir = path.join(root, 'completed', channel, String(block));
  if (fs.existsSync(dir)) return dir;
  const channelDir = path.join(root, 'completed', channel);
  const have = fs.existsSync(channelDir) ? fs.readdirSync(channelDir).filter((n) => /^\d+$/.test(n)) : [];
  throw new PeerError(
    'PEER_SNAPSHOT_NOT_FOUND',
    `this peer has no completed snapshot of channel ${channel} at block ${block} (looked for ${dir}; it has ${have.length === 0 ? 'none' : `blocks ${have.sort((a, b) => Number(a) - Number(b)).join(', ')}`}): take one with weft snapshot submit, or pass --snapshot <dir>`,
    { field: 'block', channelId: channel, block, dir, available: have.map(Number) },
  );
}
