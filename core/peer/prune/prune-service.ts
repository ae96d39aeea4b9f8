import * as fs from 'node:fs';
import { SignedSnapshotRequest, SnapshotRequest } from '@hyperledger/fabric-protos/lib/peer/snapshot_pb';
import type { Logger } from '../../node/logger';
import type { PeerLedger } from '../channel/peer-ledger';
import { PeerError } from '../peer-error';
import { asPeerPruneError, type PrunedChannel, readPruneSnapshot } from '../peer-ledger-admin';
import type { LocalPolicies } from '../scc/acl';
import { completedSnapshotDir } from '../snapshot/snapshot-manager';
import { admitSnapshotSigner } from '../snapshot/snapshot-acl';

/** The ACL resource named in refusals, as Fabric's snapshot service names `snapshot/submitrequest`. */
export const PRUNE_RESOURCE = 'weft/prune';

/** Blocks deleted per transaction of a running peer's prune: a few milliseconds of the event loop each. */
export const PRUNE_CHUNK_BLOCKS = 256;

/** The gRPC call of `weft.peer.Prune`: a signed request in, the JSON of {@link PruneAnswer} out. */
export interface PruneRequests {
  prune(signedRequest: Uint8Array): Promise<Uint8Array>;
}

/** What a running peer answers to a prune (`weft peer prune --json` prints it). */
export interface PruneAnswer extends PrunedChannel {
  /** The longest single step: how long the prune held the event loop, and so the channel's commits, at once. */
  readonly longestHoldMs: number;
}

export interface PruneServiceDeps {
  /** The peer's ledger of a joined channel, undefined for another. */
  readonly ledger: (channelId: string) => PeerLedger | undefined;
  /** `peer.snapshots.rootDir`: the peer prunes through its own completed snapshots only. */
  readonly snapshotRoot: string;
  readonly local: LocalPolicies;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Decodes a `SignedSnapshotRequest` carrying a `SnapshotRequest` and admits it as Fabric's snapshot service admits its requests. */
export function admitSignedSnapshotRequest(bytes: Uint8Array, local: LocalPolicies, resource: string, now: number): SnapshotRequest {
  let signed: SignedSnapshotRequest;
  let request: SnapshotRequest;
  try {
    signed = SignedSnapshotRequest.deserializeBinary(bytes);
    request = SnapshotRequest.deserializeBinary(signed.getRequest_asU8());
  } catch (err) {
    throw new PeerError('PEER_BAD_SNAPSHOT_REQUEST', `failed to unmarshal snapshot request: ${(err as Error).message}`, { field: 'request' });
  }
  admitSnapshotSigner(local, resource, request.getSignatureHeader(), signed, now);
  return request;
}

/**
 * Weft's `weft.peer.Prune` (Fabric has none): a local admin asks the running peer to delete a
 * channel's blocks up to `block_number`, through the peer's own completed snapshot at that block
 * (re-hashed, and of this chain), while the peer goes on committing and serving. From the prune's
 * first step the channel answers as one joined from that snapshot.
 */
export class PruneService implements PruneRequests {
  /** Channels being pruned: a second request for one is refused rather than queued. */
  private readonly running = new Set<string>();

  constructor(private readonly deps: PruneServiceDeps) {}

  async prune(signedRequest: Uint8Array): Promise<Uint8Array> {
    const request = admitSignedSnapshotRequest(signedRequest, this.deps.local, PRUNE_RESOURCE, (this.deps.now ?? Date.now)());
    const channelId = request.getChannelId();
    const block = request.getBlockNumber();
    if (this.running.has(channelId)) {
      throw new PeerError('PEER_PRUNE_IN_PROGRESS', `channel ${channelId} is being pruned already; ask again once that prune has answered`, { channelId });
    }
    this.running.add(channelId);
    try {
      return new TextEncoder().encode(JSON.stringify(await this.pruneChannel(channelId, block)));
    } finally {
      this.running.delete(channelId);
    }
  }

  private async pruneChannel(channelId: string, block: number): Promise<PruneAnswer> {
    const ledger = this.deps.ledger(channelId);
    if (ledger === undefined) throw new PeerError('PEER_UNKNOWN_CHANNEL', `this peer has not joined channel ${channelId}`, { channelId });
    const prunedThrough = ledger.snapshotBootstrap()?.lastBlockNumber ?? -1;
    if (block <= prunedThrough) return { channel: channelId, prunedThrough, blocksRemoved: 0, bytesBefore: 0, bytesAfter: 0, changed: false, longestHoldMs: 0 };
    const dir = completedSnapshotDir(this.deps.snapshotRoot, channelId, block);
    if (!fs.existsSync(dir)) {
      throw new PeerError('PEER_NO_SNAPSHOT', `channel ${channelId}: this peer has no completed snapshot at block ${block} (${dir}); generate one first (weft snapshot submit)`, {
        field: 'block_number',
        channelId,
        blockNumber: block,
        snapshotDir: dir,
      });
    }
    const prunable = ledger.pruneOnline?.bind(ledger);
    if (prunable === undefined) {
      throw new PeerError('PEER_PRUNE_UNSUPPORTED', `channel ${channelId}: this peer's ledger cannot be pruned while the peer runs; stop it and use weft peer prune --config`, { channelId });
    }
    const { bootstrap, configHistory } = await readPruneSnapshot(channelId, dir);
    const started = performance.now();
    this.deps.logger.info({ channel: channelId, block }, 'Pruning the blocks up to the snapshot while serving');
    const result = await asPeerPruneError(dir, () => prunable(bootstrap, configHistory, { chunkBlocks: PRUNE_CHUNK_BLOCKS }));
    const answer = { channel: channelId, prunedThrough: block, changed: true, ...result };
    this.deps.logger.info({ ...answer, ms: Math.round(performance.now() - started) }, 'Pruned the blocks up to the snapshot');
    return answer;
  }
}
