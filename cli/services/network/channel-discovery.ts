import * as fs from 'node:fs';
import { AuthInfo, ChaincodeQuery, ConfigQuery, PeerMembershipQuery, type Peers, Query, type QueryResult, Request, Response, SignedRequest } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import { GossipMessage } from '@hyperledger/fabric-protos/lib/gossip/message_pb';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { ChaincodeCall, ChaincodeInterest } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { WeftError } from '../../../core/errors';
import { tlsCertificateHash } from '../../../core/protocol/deliver-request';
import type { ClientIdentity } from '../client/client-identity';
import { withPeerClient } from '../client/peer-client';
import type { NetworkLayout, NodeLayout } from './network-layout';

/** A peer as discovery describes it. */
export interface DiscoveredPeerInfo {
  readonly mspId: string;
  readonly endpoint: string;
  /** Absent in answers without state info. */
  readonly ledgerHeight?: number;
  /** `name@sequence` of each chaincode the peer can run. */
  readonly chaincodes?: readonly string[];
}

/** The endorsement layouts of a chaincode call chain: each layout needs `quantity` peers of each group. */
export interface DiscoveredEndorsers {
  readonly chaincodes: readonly string[];
  readonly layouts: readonly Readonly<Record<string, number>>[];
  readonly groups: Readonly<Record<string, readonly DiscoveredPeerInfo[]>>;
}

export interface ChannelDiscovery {
  readonly channel: string;
  /** The peer asked. */
  readonly peer: string;
  readonly msps: readonly string[];
  readonly orderers: Readonly<Record<string, readonly string[]>>;
  readonly peers: readonly DiscoveredPeerInfo[];
  readonly endorsers?: DiscoveredEndorsers;
}

/**
 * Asks one peer's service discovery (`discovery.Discovery/Discover`) what it knows of a channel:
 * the config (MSPs, orderers), the peers and, for a chaincode call chain, the endorsement layouts.
 * What Fabric's `discover` tool shows. Each failed query throws `DISCOVERY_FAILED` with the peer's
 * message.
 */
export async function discoverChannel(
  layout: NetworkLayout,
  peer: NodeLayout,
  identity: ClientIdentity,
  channel: string,
  chaincodes: readonly { readonly name: string; readonly collections: readonly string[] }[],
): Promise<ChannelDiscovery> {
  const queries = [query(channel, (q) => q.setConfigQuery(new ConfigQuery())), query(channel, (q) => q.setPeerQuery(new PeerMembershipQuery()))];
  if (chaincodes.length > 0) {
    const interest = new ChaincodeInterest();
    interest.setChaincodesList(
      chaincodes.map((c) => {
        const call = new ChaincodeCall();
        call.setName(c.name);
        call.setCollectionNamesList([...c.collections]);
        return call;
      }),
    );
    const cc = new ChaincodeQuery();
    cc.setInterestsList([interest]);
    queries.push(query(channel, (q) => q.setCcQuery(cc)));
  }
  const request = new Request();
  const auth = new AuthInfo();
  auth.setClientIdentity(identity.signer.serialized);
  if (layout.spec.mutualTls) auth.setClientTlsCertHash(tlsCertificateHash(fs.readFileSync(identity.user.tlsCertPath)));
  request.setAuthentication(auth);
  request.setQueriesList(queries);
  const signed = new SignedRequest();
  signed.setPayload(request.serializeBinary());
  signed.setSignature(identity.signer.sign(signed.getPayload_asU8()));
  const bytes = await withPeerClient(layout.spec, peer, identity, (c) => c.discover(signed.serializeBinary()));
  const [config, members, endorsement] = Response.deserializeBinary(bytes)
    .getResultsList()
    .map((r, i) => succeeded(r, peer, ['config', 'peers', 'endorsers'][i] as string));
  const orderers: Record<string, string[]> = {};
  config?.getConfigResult()?.getOrderersMap().forEach((e, mspId) => (orderers[mspId] = e.getEndpointList().map((p) => `${p.getHost()}:${p.getPort()}`)));
  const peers: DiscoveredPeerInfo[] = [];
  members?.getMembers()?.getPeersByOrgMap().forEach((p) => peers.push(...describePeers(p)));
  peers.sort((a, b) => a.mspId.localeCompare(b.mspId) || a.endpoint.localeCompare(b.endpoint));
  const descriptor = endorsement?.getCcQueryRes()?.getContentList()[0];
  const groups: Record<string, DiscoveredPeerInfo[]> = {};
  descriptor?.getEndorsersByGroupsMap().forEach((p, group) => (groups[group] = describePeers(p)));
  return {
    channel,
    peer: peer.id,
    msps: [...(config?.getConfigResult()?.getMspsMap().keys() ?? [])].sort(),
    orderers,
    peers,
    ...(descriptor !== undefined && {
      endorsers: {
        chaincodes: chaincodes.map((c) => c.name),
        layouts: descriptor.getLayoutsList().map((l) => Object.fromEntries([...l.getQuantitiesByGroupMap().entries()].sort())),
        groups,
      },
    }),
  };
}

function query(channel: string, set: (q: Query) => void): Query {
  const q = new Query();
  q.setChannel(channel);
  set(q);
  return q;
}

function succeeded(result: QueryResult, peer: NodeLayout, what: string): QueryResult {
  const error = result.getError();
  if (error !== undefined) {
    throw new WeftError('DISCOVERY_FAILED', `discovery of ${what} on ${peer.id} failed: ${error.getContent()}`, { peer: peer.id, query: what });
  }
  return result;
}

function describePeers(peers: Peers): DiscoveredPeerInfo[] {
  return peers.getPeersList().map((p) => {
    const alive = GossipMessage.deserializeBinary(p.getMembershipInfo()?.getPayload_asU8() ?? new Uint8Array()).getAliveMsg();
    const stateBytes = p.getStateInfo()?.getPayload_asU8();
    const props = stateBytes === undefined ? undefined : GossipMessage.deserializeBinary(stateBytes).getStateInfo()?.getProperties();
    return {
      mspId: SerializedIdentity.deserializeBinary(p.getIdentity_asU8()).getMspid(),
      endpoint: alive?.getMembership()?.getEndpoint() ?? '',
      ...(props !== undefined && { ledgerHeight: props.getLedgerHeight(), chaincodes: props.getChaincodesList().map((c) => `${c.getName()}@${c.getVersion()}`) }),
    };
  });
}
