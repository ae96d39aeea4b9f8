import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { ChannelQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { ConfigError } from '../../../core/errors';
import { toHex } from '../../../core/protocol/bytes';
import { loadClientIdentity, type ClientIdentity } from '../client/client-identity';
import { withPeerClient } from '../client/peer-client';
import { NetworkLayout, type NodeLayout } from './network-layout';
import { keyHere, orgsWithKeysHere } from './org-keys';
import { loadNetworkSpec } from './network-spec';

export type Progress = (message: string) => void;

export function openNetwork(dir: string): NetworkLayout {
  return new NetworkLayout(dir, loadNetworkSpec(dir));
}

/** The Admin of the org a peer belongs to (cscc JoinChain needs the peer's local admin). */
export function peerAdmin(layout: NetworkLayout, peer: NodeLayout): ClientIdentity {
  const org = layout.spec.orgs.find((o) => o.mspId === peer.mspId)!;
  return loadClientIdentity(layout.user(org, 'Admin'));
}

/** Channels a peer has joined (cscc GetChannels). */
export async function peerChannels(layout: NetworkLayout, peer: NodeLayout): Promise<string[]> {
  const admin = peerAdmin(layout, peer);
  const payload = await withPeerClient(layout.spec, peer, admin, (c) => c.call(admin.signer, '', 'cscc', ['GetChannels']));
  return ChannelQueryResponse.deserializeBinary(payload)
    .getChannelsList()
    .map((c) => c.getChannelId());
}

/**
 * An identity that may read `channel` on any of its peers (its Readers): the peer's own org Admin
 * when its key is here, else the Admin of another member org whose key is (an exported directory).
 */
export function channelReader(layout: NetworkLayout, peer: NodeLayout, channel: string): ClientIdentity {
  const own = layout.networkSpec.orgs.find((o) => o.mspId === peer.mspId)!;
  if (keyHere(layout.user(own, 'Admin').keyPath)) return loadClientIdentity(layout.user(own, 'Admin'));
  const member = orgsWithKeysHere(layout.forChannel(channel))[0];
  return loadClientIdentity(layout.user(member ?? own, 'Admin'));
}

/** `--peer <id>`: a peer of the layout's channel (its member orgs' peers), else `UNKNOWN_PEER` listing them. */
export function channelPeer(layout: NetworkLayout, id: string): NodeLayout {
  const peer = layout.peers().find((p) => p.id === id);
  if (peer === undefined) {
    throw new ConfigError('UNKNOWN_PEER', `--peer ${id}: channel ${layout.spec.channel.name} has no peer ${id}; its peers: ${layout.peers().map((p) => p.id).join(', ')}`, {
      field: '--peer',
      value: id,
    });
  }
  return peer;
}

/** The peer a command reads from by default: the first of the first org whose keys are here. */
export function readingPeer(layout: NetworkLayout): NodeLayout {
  const org = orgsWithKeysHere(layout)[0];
  return org === undefined ? layout.peers()[0]! : layout.peersOf(org)[0]!;
}

/**
 * The peer's ledger height and current block hash for a channel (qscc GetChainInfo), and, for a
 * peer that joined the channel from a snapshot, the snapshot's last block (`snapshotBlock`): the
 * peer holds no block at or below it (Fabric's `bootstrapping_snapshot_info.last_block_in_snapshot`).
 */
export async function peerChainInfo(layout: NetworkLayout, peer: NodeLayout, channel: string): Promise<{ height: number; currentBlockHash: string; snapshotBlock?: number }> {
  const reader = channelReader(layout, peer, channel);
  const payload = await withPeerClient(layout.spec, peer, reader, (c) => c.call(reader.signer, channel, 'qscc', ['GetChainInfo', channel]));
  const info = BlockchainInfo.deserializeBinary(payload);
  const snapshot = info.getBootstrappingsnapshotinfo();
  return { height: info.getHeight(), currentBlockHash: toHex(info.getCurrentblockhash_asU8()), ...(snapshot !== undefined && { snapshotBlock: snapshot.getLastblockinsnapshot() }) };
}
