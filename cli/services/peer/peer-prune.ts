import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { WeftError } from '../../../core/errors';
import type { PruneAnswer } from '../../../core/peer/prune/prune-service';
import { grpcErrorText, nodeCredentials, transportFor } from '../client/peer-client';
import { peerAdmin } from '../network/network-access';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import { signedSnapshotRequest } from '../snapshot/snapshot-requests';
import { loadPeerConfig, snapshotsRootDir } from '../../../core/peer/peer-config';
import { PeerError } from '../../../core/peer/peer-error';
import { PeerLedgerAdmin, type PrunedChannel } from '../../../core/peer/peer-ledger-admin';
import { shellWord } from '../../../core/node/shell-word';

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

/** What a running peer answered to `weft.peer.Prune` (`core/peer/prune/prune-service.ts`). */
export type OnlinePruned = PruneAnswer;

/**
 * `weft peer prune <dir> --peer <id>`: asks the running `peer` to prune `channel` through its own
 * completed snapshot at `block` while it serves, signed as the Admin of the peer's org (the peer's
 * local admins may prune, as they may ask for snapshots). Throws `PRUNE_REFUSED` with the peer's
 * text, `PRUNE_ONLINE_UNSUPPORTED` when the peer cannot prune while running (an older Weft, or a
 * ledger plugin without `pruneBlocksOnline`: stop it and prune with --config), `PEER_UNREACHABLE`.
 */
export async function pruneRunningPeer(layout: NetworkLayout, peer: NodeLayout, channel: string, block: number, timeoutMs = 600_000): Promise<OnlinePruned> {
  const admin = peerAdmin(layout, peer);
  const client = new grpc.Client(peer.address, nodeCredentials(peer, transportFor(layout.spec, admin.user)), {
    // The certificate names the node; dialling 127.0.0.1 must not send an IP as the TLS server name.
    'grpc.ssl_target_name_override': peer.id,
    'grpc.default_authority': peer.id,
  });
  const raw = (b: Buffer): Buffer => b;
  try {
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const request = Buffer.from(signedSnapshotRequest(admin.signer, channel, block));
      client.makeUnaryRequest('/weft.peer.Prune/Prune', raw, raw, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, value) =>
        err ? reject(pruneCallError(peer, err)) : resolve(value!),
      );
    });
    return JSON.parse(answer.toString('utf8')) as OnlinePruned;
  } finally {
    client.close();
  }
}

function pruneCallError(peer: NodeLayout, err: grpc.ServiceError): WeftError {
  if (err.code === grpc.status.UNIMPLEMENTED || (err.code === grpc.status.UNKNOWN && err.details.includes('cannot be pruned while the peer runs'))) {
    return new WeftError('PRUNE_ONLINE_UNSUPPORTED', `peer ${peer.id} cannot prune while it runs: ${err.details || 'weft.peer.Prune is not served'}`, {
      peer: peer.id,
      suggestions: [`stop it and prune it in place: weft peer prune --config ${shellWord(peer.configFile)} ...`, 'or let weft network prune stop, prune and start it'],
    });
  }
  if (err.code === grpc.status.UNKNOWN) return new WeftError('PRUNE_REFUSED', `peer ${peer.id} refused the prune: ${err.details}`, { peer: peer.id });
  return new WeftError('PEER_UNREACHABLE', `peer ${peer.id} (${peer.address}) did not answer the prune request: ${grpcErrorText(err.details || err.message)}`, {
    peer: peer.id,
    suggestions: ['is the network up? check with: weft network status <dir>', `see the peer's log: ${peer.logFile}`],
  });
}

/**
 * One line saying what a prune did, for the commands' output: blocks removed and the ledger files'
 * size before and after, and for a running peer how long it held its commits at once.
 */
export function prunedSummary(result: PrunedChannel | OnlinePruned): string {
  if (!result.changed) return `holds no block at or below ${result.prunedThrough} already, nothing changed`;
  const mib = (n: number): string => (n / 1048576).toFixed(1);
  const held = 'longestHoldMs' in result ? `, commits held at most ${result.longestHoldMs.toFixed(1)} ms` : '';
  return `pruned through block ${result.prunedThrough}: ${result.blocksRemoved} blocks removed, ledger files ${mib(result.bytesBefore)} -> ${mib(result.bytesAfter)} MiB${held}`;
}
