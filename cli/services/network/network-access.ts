import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { ChannelQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { ConfigError, WeftError } from '../../../core/errors';
import { toHex } from '../../../core/protocol/bytes';
import { loadClientIdentity, type ClientIdentity } from '../client/client-identity';
import { withPeerClient } from '../client/peer-client';
import { NetworkLayout, type NodeLayout } from './network-layout';
import { orgsWithKeysHere, signingKeyHere } from './org-keys';
import { loadNetworkSpec, peerIdOf } from './network-spec';
import { shellWord } from '../../../core/node/shell-word';

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
  if (signingKeyHere(layout.user(own, 'Admin'))) return loadClientIdentity(layout.user(own, 'Admin'));
  const member = orgsWithKeysHere(layout.forChannel(channel))[0];
  return loadClientIdentity(layout.user(member ?? own, 'Admin'));
}

/** `--peer <id>`: a peer of the layout's channel (its member orgs' peers), else `UNKNOWN_PEER` listing them. */
export function channelPeer(layout: NetworkLayout, id: string): NodeLayout {
  const peer = layout.peers().find((p) => p.id === id);
  if (peer === undefined) {
    const channel = layout.spec.channel.name;
    // A peer of a member org that network.yaml keeps off the channel is never its gateway: it serves no ledger of it.
    const elsewhere = layout.spec.orgs.some((o) => layout.networkSpec.orgs.find((w) => w.name === o.name)?.peers.some((p) => peerIdOf(o, p) === id));
    throw new ConfigError('UNKNOWN_PEER', `--peer ${id}: ${elsewhere ? `${id} is not on channel ${channel} (network.yaml's peers for it)` : `channel ${channel} has no peer ${id}`}; its peers: ${layout.peers().map((p) => p.id).join(', ')}`, {
      field: '--peer',
      value: id,
      ...(elsewhere && { suggestions: [`pick one of its peers, or join ${id} to it: weft channel join ${shellWord(layout.dir)} ${shellWord(layout.genesisBlockFileOf(channel))} --peer ${id}`] }),
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
 * peer whose ledger starts after a snapshot (joined from it, or pruned to it), the snapshot's last block (`snapshotBlock`): the
 * peer holds no block at or below it (Fabric's `bootstrapping_snapshot_info.last_block_in_snapshot`).
 */
export async function peerChainInfo(layout: NetworkLayout, peer: NodeLayout, channel: string): Promise<{ height: number; currentBlockHash: string; snapshotBlock?: number }> {
  const payload = await qsccRead(layout, peer, channel, ['GetChainInfo', channel]);
  const info = BlockchainInfo.deserializeBinary(payload);
  const snapshot = info.getBootstrappingsnapshotinfo();
  return { height: info.getHeight(), currentBlockHash: toHex(info.getCurrentblockhash_asU8()), ...(snapshot !== undefined && { snapshotBlock: snapshot.getLastblockinsnapshot() }) };
}

/** The code of {@link qsccRead}'s refusal: the channel's ACL for the qscc function refuses the CLI's reader. */
export const QSCC_ACCESS_DENIED = 'QSCC_ACCESS_DENIED';

/**
 * A qscc query of `channel` on `peer` as {@link channelReader}. A refusal by the channel's ACL (a
 * resource bound to a policy one signer cannot meet, e.g. qscc/GetChainInfo=/Channel/Application/Admins,
 * a MAJORITY of the orgs' Admins: Fabric refuses such a proposal too) becomes `QSCC_ACCESS_DENIED`
 * naming the resource, the channel and the policy, and saying how to undo it: `weft channel update`
 * submits through the orderer's Broadcast and reads the config from its Deliver when the peer
 * refuses, neither of which the application ACLs govern.
 */
export async function qsccRead(layout: NetworkLayout, peer: NodeLayout, channel: string, args: [string, ...string[]]): Promise<Uint8Array> {
  const reader = channelReader(layout, peer, channel);
  try {
    return await withPeerClient(layout.spec, peer, reader, (c) => c.call(reader.signer, channel, 'qscc', args));
  } catch (err) {
    const message = err instanceof WeftError && err.code === 'PROPOSAL_FAILED' ? err.message : '';
    if (!/access denied for \[/.test(message)) throw err;
    const resource = `qscc/${args[0]}`;
    const policy = /with policy \[([^\]]+)\]/.exec(message)?.[1];
    throw new WeftError(
      QSCC_ACCESS_DENIED,
      `${peer.id} refuses ${resource} on channel ${channel} to ${reader.user.mspId}'s Admin: the channel's ACL binds ${resource} to ${policy ?? 'a policy'}, which this request's one signature does not meet`,
      {
        channel,
        resource,
        peer: peer.id,
        ...(policy !== undefined && { policy }),
        suggestions: [
          `give ${resource} back its default (weft channel update reads the config from an orderer when a peer refuses): weft channel update ${shellWord(layout.dir)} --channel ${channel} --acl ${resource}=`,
          `or bind it to a policy one identity meets, e.g. --acl ${resource}=/Channel/Application/Readers or /Channel/Application/${reader.user.mspId}/Admins`,
        ],
      },
      { cause: err },
    );
  }
}
