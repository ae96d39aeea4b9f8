import * as path from 'node:path';
import { JoinBySnapshotStatus } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { ConfigError, WeftError } from '../../../core/errors';
import { verifySnapshotFiles } from '../../../core/ledger/snapshot-metadata';
import { toHex } from '../../../core/protocol/bytes';
import { withPeerClient } from '../client/peer-client';
import { channelPeer, openNetwork, peerAdmin, peerChainInfo, peerChannels, type Progress } from '../network/network-access';
import { NetworkLayout, type NodeLayout } from '../network/network-layout';
import { memberOrgsOf, namedPeers, withChannelPeers } from '../network/channel-peers';
import { recordPeersJoining } from '../network/network-channels';
import { isThisMachine } from '../network/node-hosts';
import { orgsWithKeysHere } from '../network/org-keys';
import { shellWord } from '../../../core/node/shell-word';

export interface SnapshotJoinOptions {
  /** Peer ids (`--peer`); default the member orgs' peers whose keys are here and that have not joined. */
  readonly peers?: readonly string[];
  /** The snapshot directory as the peers see it (`--peer-path`), for peers on another machine. */
  readonly peerPath?: string;
  readonly timeoutMs: number;
}

export interface SnapshotJoinResult {
  readonly channel: string;
  /** The snapshot's last block: the joined peers hold no block at or below it. */
  readonly snapshotBlock: number;
  readonly snapshotHash: string;
  readonly nodes: { id: string; height: number }[];
}

/**
 * `weft channel join --snapshot`: Fabric's `peer channel joinbysnapshot` followed by polling
 * `joinbysnapshotstatus`. The snapshot is verified here first (every file's hash, `snapshot_hash`):
 * a damaged or tampered one is refused before anything is sent. The peer reads the directory itself,
 * so cscc `JoinChainBySnapshot` carries its path as the peer sees it: the local path for a peer on
 * this machine; for a peer elsewhere the user copies the directory there and passes that path.
 * Fabric answers once the join has started; the import runs in the background, and the join is done
 * when `JoinBySnapshotStatus` says nothing is in progress and the peer lists the channel.
 */
export async function joinFromSnapshot(dir: string, snapshotDir: string, options: SnapshotJoinOptions, progress: Progress): Promise<SnapshotJoinResult> {
  const local = path.resolve(snapshotDir);
  const meta = await verifySnapshotFiles(local);
  const channel = meta.channelName;
  const snapshotHash = toHex(meta.snapshotHash);
  progress(`snapshot ${local}: channel ${channel}, block ${meta.lastBlockNumber}, snapshot_hash ${snapshotHash}: files match`);
  const whole = openNetwork(dir);
  const listed = whole.channels().find((c) => c.name === channel);
  // A named peer network.yaml does not put on the channel yet joins it all the same, and is listed once it has.
  const adding = listed === undefined ? [] : namedPeers(memberOrgsOf(whole.spec, listed), options.peers ?? [], '--peer', `channel ${channel}'s member orgs`);
  const layout = new NetworkLayout(whole.dir, adding.length === 0 ? whole.spec : withChannelPeers(whole.spec, channel, { add: adding })).forChannel(channel);
  const named = options.peers !== undefined && options.peers.length > 0 ? options.peers.map((id) => channelPeer(layout, id)) : undefined;
  // Where each named peer reads the snapshot is settled before any peer is asked anything.
  if (named !== undefined) for (const peer of named) await snapshotPathFor(peer, local, options.peerPath);
  const peers = await peersToJoin(layout, named);
  const nodes: { id: string; height: number }[] = [];
  for (const peer of peers) {
    const seen = await snapshotPathFor(peer, local, options.peerPath);
    const admin = peerAdmin(layout, peer);
    await withPeerClient(layout.spec, peer, admin, (c) => c.call(admin.signer, '', 'cscc', ['JoinChainBySnapshot', seen]));
    progress(`${peer.id}: joining ${channel} from the snapshot at block ${meta.lastBlockNumber} (${seen})`);
    await waitForJoin(layout, peer, channel, seen, options.timeoutMs, progress);
    const { height } = await peerChainInfo(layout, peer, channel);
    progress(`${peer.id} joined ${channel} at height ${height}; it pulls the blocks after ${meta.lastBlockNumber} from the orderer`);
    nodes.push({ id: peer.id, height });
  }
  if (named !== undefined) recordPeersJoining(whole, channel, named.map((p) => p.id), progress);
  return { channel, snapshotBlock: meta.lastBlockNumber, snapshotHash, nodes };
}

/** The `--peer` ones, or the member orgs' peers with keys here that have not joined; a named peer that has joined is refused by name. */
async function peersToJoin(layout: NetworkLayout, named: readonly NodeLayout[] | undefined): Promise<readonly NodeLayout[]> {
  const channel = layout.spec.channel.name;
  if (named !== undefined) {
    const peers = named;
    for (const peer of peers) {
      if ((await peerChannels(layout, peer)).includes(channel)) {
        throw new WeftError('PEER_ALREADY_JOINED', `${peer.id} has already joined ${channel}: a peer joins a channel from a snapshot only when it holds no ledger of it`, {
          peer: peer.id,
          suggestions: [`to start it over from the snapshot, stop it and remove its ledger first: weft peer unjoin --config ${shellWord(peer.configFile)} --channel ${channel}`],
        });
      }
    }
    return peers;
  }
  const candidates = orgsWithKeysHere(layout).flatMap((o) => layout.peersOf(o));
  const missing: NodeLayout[] = [];
  for (const peer of candidates) if (!(await peerChannels(layout, peer)).includes(channel)) missing.push(peer);
  if (missing.length === 0) {
    throw new WeftError('PEER_ALREADY_JOINED', `every peer of ${candidates.length === 0 ? 'no org' : 'the orgs'} whose keys are here has already joined ${channel}`, {
      suggestions: [`start a new peer without joining it: weft network up ${shellWord(layout.dir)} --node <peer> --no-join, then join it with --peer <peer>`],
    });
  }
  return missing;
}

/** The path the peer opens: `--peer-path`, else the local one when the peer runs on this machine. */
async function snapshotPathFor(peer: NodeLayout, local: string, peerPath: string | undefined): Promise<string> {
  if (peerPath !== undefined) return peerPath;
  if (await isThisMachine(peer.host)) return local;
  throw new ConfigError('SNAPSHOT_NOT_ON_PEER_HOST', `${peer.id} runs on ${peer.host}, not on this machine: it cannot read ${local}`, {
    field: '--peer-path',
    peer: peer.id,
    suggestions: [`copy the snapshot directory to ${peer.host} (e.g. scp -r ${shellWord(local)} ${peer.host}:/var/weft/snapshots/), then pass that path: --peer-path ${shellWord(`/var/weft/snapshots/${path.basename(local)}`)}`],
  });
}

async function joinStatus(layout: NetworkLayout, peer: NodeLayout): Promise<JoinBySnapshotStatus> {
  const admin = peerAdmin(layout, peer);
  return JoinBySnapshotStatus.deserializeBinary(await withPeerClient(layout.spec, peer, admin, (c) => c.call(admin.signer, '', 'cscc', ['JoinBySnapshotStatus'])));
}

/** Polls JoinBySnapshotStatus until the import is over, then checks it ended with the channel (a failed import is only in the peer's log). */
async function waitForJoin(layout: NetworkLayout, peer: NodeLayout, channel: string, seen: string, timeoutMs: number, progress: Progress): Promise<void> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    const status = await joinStatus(layout, peer);
    if (!status.getInProgress()) break;
    if (Date.now() - lastReport >= 2000) {
      lastReport = Date.now();
      progress(`${peer.id}: importing ${status.getBootstrappingSnapshotDir() || seen} (${Math.round((lastReport - started) / 1000)}s)`);
    }
    if (Date.now() - started > timeoutMs) {
      throw new WeftError('SNAPSHOT_JOIN_TIMEOUT', `${peer.id} was still importing ${seen} after ${timeoutMs / 1000}s`, {
        peer: peer.id,
        suggestions: ['a large snapshot takes longer: wait with a longer --timeout, or check later with weft channel list <dir>', `see the peer's log: ${peer.logFile}`],
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!(await peerChannels(layout, peer)).includes(channel)) {
    throw new WeftError('SNAPSHOT_JOIN_FAILED', `${peer.id} finished importing ${seen} but has not joined ${channel}: the import failed`, {
      peer: peer.id,
      suggestions: [`see why in the peer's log: ${peer.logFile}`],
    });
  }
}
