import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { ChannelQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { toHex } from '../../../core/protocol/bytes';
import { loadClientIdentity, type ClientIdentity } from '../client/client-identity';
import { PeerClient } from '../client/peer-client';
import { NetworkLayout, type NodeLayout } from './network-layout';
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
  const client = new PeerClient(peer, layout.spec.tls);
  try {
    const payload = await client.call(peerAdmin(layout, peer).signer, '', 'cscc', ['GetChannels']);
    return ChannelQueryResponse.deserializeBinary(payload)
      .getChannelsList()
      .map((c) => c.getChannelId());
  } finally {
    client.close();
  }
}

/** The peer's ledger height and current block hash for a channel (qscc GetChainInfo). */
export async function peerChainInfo(layout: NetworkLayout, peer: NodeLayout, channel: string): Promise<{ height: number; currentBlockHash: string }> {
  const client = new PeerClient(peer, layout.spec.tls);
  try {
    const payload = await client.call(peerAdmin(layout, peer).signer, channel, 'qscc', ['GetChainInfo', channel]);
    const info = BlockchainInfo.deserializeBinary(payload);
    return { height: info.getHeight(), currentBlockHash: toHex(info.getCurrentblockhash_asU8()) };
  } finally {
    client.close();
  }
}
