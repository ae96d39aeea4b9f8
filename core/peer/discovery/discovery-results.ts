import { Error as DiscoveryError, Peer, PeerMembershipResult, Peers, QueryResult } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import type { Envelope } from '@hyperledger/fabric-protos/lib/gossip/message_pb';

/** A peer as discovery results carry it: its identity, its alive message and, on a channel, its state info. */
export interface DiscoveredPeer {
  readonly identity: Uint8Array;
  readonly mspId: string;
  readonly alive: Envelope;
  readonly stateInfo?: Envelope;
}

export function peersMessage(members: readonly DiscoveredPeer[]): Peers {
  const peers = new Peers();
  for (const m of members) {
    const peer = new Peer();
    peer.setIdentity(m.identity);
    peer.setMembershipInfo(m.alive);
    if (m.stateInfo !== undefined) peer.setStateInfo(m.stateInfo);
    peers.addPeers(peer);
  }
  return peers;
}

/** A peer query's result: the peers by org. */
export function membersResult(members: readonly DiscoveredPeer[]): QueryResult {
  const result = new PeerMembershipResult();
  const byOrg = result.getPeersByOrgMap();
  const orgs = new Map<string, DiscoveredPeer[]>();
  for (const m of members) orgs.set(m.mspId, [...(orgs.get(m.mspId) ?? []), m]);
  for (const [mspId, peers] of orgs) byOrg.set(mspId, peersMessage(peers));
  const r = new QueryResult();
  r.setMembers(result);
  return r;
}

export function errorResult(content: string): QueryResult {
  const e = new DiscoveryError();
  e.setContent(content);
  const r = new QueryResult();
  r.setError(e);
  return r;
}
