import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { AuthInfo, ChaincodeQuery, ConfigQuery, LocalPeerQuery, Peer, PeerMembershipQuery, Peers, Query, type QueryResult, Request, Response, SignedRequest } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import { GossipMessage } from '@hyperledger/fabric-protos/lib/gossip/message_pb';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { ChaincodeCall, ChaincodeInterest } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { Gateway as LegacyGateway, Wallets, type X509Identity } from 'fabric-network';
import type { SigningIdentity } from '../../../core/msp';
import { loadSigningIdentity } from '../../../plugins/msp-x509';
import { pkiIdOf, signAlive, signStateInfo } from '../../../core/peer/discovery/gossip-messages';
import type { Signer } from '../../../core/protocol/signer';
import { deployKvInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, peerClient, signerOf } from './network-fixture';
import { tlsCertificateHash } from '../../../core/protocol/deliver-request';

const DISCOVER = '/discovery.Discovery/Discover';
const MEMBERSHIP_EXCHANGE = '/weft.peer.Membership/Exchange';

function query(channel: string, set: (q: Query) => void): Query {
  const q = new Query();
  q.setChannel(channel);
  set(q);
  return q;
}

function interest(...names: string[]): ChaincodeInterest {
  const i = new ChaincodeInterest();
  i.setChaincodesList(
    names.map((n) => {
      const c = new ChaincodeCall();
      c.setName(n);
      return c;
    }),
  );
  return i;
}

function signedRequest(signer: Signer, queries: readonly Query[], withAuth = true, tlsCertHash?: Uint8Array): Uint8Array {
  const request = new Request();
  if (withAuth) {
    const auth = new AuthInfo();
    auth.setClientIdentity(signer.serialized);
    if (tlsCertHash !== undefined) auth.setClientTlsCertHash(tlsCertHash);
    request.setAuthentication(auth);
  }
  request.setQueriesList([...queries]);
  const payload = request.serializeBinary();
  const signed = new SignedRequest();
  signed.setPayload(payload);
  signed.setSignature(signer.sign(payload));
  return signed.serializeBinary();
}

function discover(client: grpc.Client, request: Uint8Array, method = DISCOVER): Promise<QueryResult[]> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => Response.deserializeBinary(b),
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (err, res) => (err ? reject(err) : resolve((res as Response).getResultsList())),
    );
  });
}

/** What a peer entry of a result says: its org, endpoint, height and chaincodes (name@version). */
function describePeers(peers: readonly { getIdentity_asU8(): Uint8Array; getMembershipInfo(): { getPayload_asU8(): Uint8Array } | undefined; getStateInfo(): { getPayload_asU8(): Uint8Array } | undefined }[]) {
  return peers
    .map((p) => {
      const alive = GossipMessage.deserializeBinary(p.getMembershipInfo()?.getPayload_asU8() ?? new Uint8Array()).getAliveMsg();
      const stateBytes = p.getStateInfo()?.getPayload_asU8();
      const state = stateBytes === undefined ? undefined : GossipMessage.deserializeBinary(stateBytes).getStateInfo()?.getProperties();
      return {
        mspId: SerializedIdentity.deserializeBinary(p.getIdentity_asU8()).getMspid(),
        endpoint: alive?.getMembership()?.getEndpoint(),
        ...(state === undefined ? {} : { height: state.getLedgerHeight(), chaincodes: state.getChaincodesList().map((c) => `${c.getName()}@${c.getVersion()}`) }),
      };
    })
    .sort((a, b) => a.mspId.localeCompare(b.mspId));
}

describe('Service discovery (discovery.Discovery/Discover)', () => {
  let net: InProcessNetwork;
  let user1: Signer;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-discovery-', peerSection: { discovery: { membershipIntervalMs: 200, membershipExpiryMs: 5000 } } });
    await deployKvInProcess(net);
    user1 = signerOf(net.m.orgs[0]);
  }, 120_000);

  afterAll(() => net?.close());

  it("answers a config query with the channel's MSPs and the orderer org's endpoints", async () => {
    const [result] = await discover(net.clients[0], signedRequest(user1, [query(CHANNEL, (q) => q.setConfigQuery(new ConfigQuery()))]));
    const config = result.getConfigResult();
    expect(result.getError()?.getContent()).toBeUndefined();
    expect([...(config?.getMspsMap().keys() ?? [])].sort()).toEqual(['OrdererMSP', 'Org1MSP', 'Org2MSP']);
    expect(config?.getMspsMap().get('Org2MSP')?.getTlsRootCertsList_asU8().length).toBe(1);
    const endpoints = config?.getOrderersMap().get('OrdererMSP')?.getEndpointList().map((e) => `${e.getHost()}:${e.getPort()}`);
    expect(endpoints).toEqual([`127.0.0.1:${net.ordererFiles.port}`]);
  });

  it('lists both orgs\' peers with their endpoint, ledger height and the chaincodes they run, learned from each other', async () => {
    await peersInSync(net.peers);
    const height = net.peers[0].height(CHANNEL);
    const expected = [
      { mspId: 'Org1MSP', endpoint: `127.0.0.1:${net.ports[0]}`, height, chaincodes: ['kv@1', '_lifecycle@1'] },
      { mspId: 'Org2MSP', endpoint: `127.0.0.1:${net.ports[1]}`, height, chaincodes: ['kv@1', '_lifecycle@1'] },
    ];
    // Org2's entry is as fresh as the last exchange between the peers: a round at most behind.
    const peers = await eventually(async () => {
      const [result] = await discover(net.clients[0], signedRequest(user1, [query(CHANNEL, (q) => q.setPeerQuery(new PeerMembershipQuery()))]));
      const members = result.getMembers()?.getPeersByOrgMap();
      const described = describePeers([...(members?.get('Org1MSP')?.getPeersList() ?? []), ...(members?.get('Org2MSP')?.getPeersList() ?? [])]);
      expect(described).toEqual(expected);
      return described;
    });
    expect(peers).toEqual(expected);
  });

  it("gives the chaincode's endorsement layout: one peer of each org under the channel's MAJORITY default", async () => {
    // Asked of Org2's peer, whose view of Org1's peer (and the chaincodes it runs) is as fresh as
    // their last membership exchange: the test before waited for Org1's view only.
    const descriptor = await eventually(async () => {
      const results = await discover(
        net.clients[1],
        signedRequest(signerOf(net.m.orgs[1]), [
          query(CHANNEL, (q) => {
            const cc = new ChaincodeQuery();
            cc.setInterestsList([interest('kv')]);
            q.setCcQuery(cc);
          }),
        ]),
      );
      const [found] = results[0].getCcQueryRes()?.getContentList() ?? [];
      expect(found?.getChaincode()).toBe('kv');
      return found;
    });
    const groups = new Map([...(descriptor?.getEndorsersByGroupsMap().entries() ?? [])].map(([g, peers]) => [g, describePeers(peers.getPeersList()).map((p) => p.mspId)]));
    expect([...groups.values()].sort()).toEqual([['Org1MSP'], ['Org2MSP']]);
    const layouts = descriptor?.getLayoutsList().map((l) => Object.fromEntries(l.getQuantitiesByGroupMap().entries()));
    expect(layouts).toEqual([Object.fromEntries([...groups.keys()].map((g) => [g, 1]))]);
  });

  it('answers each query on its own: an undefined chaincode, an unknown channel and a local query by a non-admin fail alone', async () => {
    const results = await discover(
      net.clients[0],
      signedRequest(user1, [
        query(CHANNEL, (q) => {
          const cc = new ChaincodeQuery();
          cc.setInterestsList([interest('nope')]);
          q.setCcQuery(cc);
        }),
        query('otherchannel', (q) => q.setConfigQuery(new ConfigQuery())),
        query('', (q) => q.setLocalPeers(new LocalPeerQuery())),
        query(CHANNEL, (q) => q.setConfigQuery(new ConfigQuery())),
      ]),
    );
    expect(results.map((r) => r.getError()?.getContent())).toEqual([
      'failed constructing descriptor for chaincodes:{name:"nope"}',
      'access denied',
      'access denied',
      undefined,
    ]);
  });

  it("answers an org admin's local peers query with every peer alive, without state info", async () => {
    const [result] = await discover(net.clients[0], signedRequest(signerOf(net.m.orgs[0], 'Admin'), [query('', (q) => q.setLocalPeers(new LocalPeerQuery()))]));
    const members = result.getMembers()?.getPeersByOrgMap();
    expect(describePeers([...(members?.get('Org1MSP')?.getPeersList() ?? []), ...(members?.get('Org2MSP')?.getPeersList() ?? [])])).toEqual([
      { mspId: 'Org1MSP', endpoint: `127.0.0.1:${net.ports[0]}` },
      { mspId: 'Org2MSP', endpoint: `127.0.0.1:${net.ports[1]}` },
    ]);
  });

  it('refuses a request without authentication info, or with a signature that does not verify', async () => {
    await expect(discover(net.clients[0], signedRequest(user1, [query(CHANNEL, (q) => q.setConfigQuery(new ConfigQuery()))], false))).rejects.toMatchObject({
      code: grpc.status.UNKNOWN,
      details: 'access denied, no authentication info in request',
    });
    const forged = SignedRequest.deserializeBinary(signedRequest(user1, [query(CHANNEL, (q) => q.setConfigQuery(new ConfigQuery()))]));
    forged.setSignature(signerOf(net.m.orgs[1]).sign(forged.getPayload_asU8()));
    const [result] = await discover(net.clients[0], forged.serializeBinary());
    expect(result.getError()?.getContent()).toBe('access denied');
  });

  it("answers the peers' membership exchange only for a channel peer's own current signed messages", async () => {
    const exchange = async (peer: Peer): Promise<QueryResult> => {
      const peers = new Peers();
      peers.addPeers(peer);
      const [result] = await discover(net.clients[0], peers.serializeBinary(), MEMBERSHIP_EXCHANGE);
      return result;
    };
    const announce = async (identity: SigningIdentity, signer: SigningIdentity): Promise<QueryResult> => {
      const pkiId = pkiIdOf(identity.serialized);
      const peer = new Peer();
      peer.setIdentity(identity.serialized);
      // Older than the messages the real peer signs: a replay, it says nothing of who sends it.
      peer.setMembershipInfo(signAlive(signer, pkiId, '127.0.0.1:1', { incNum: 1, seqNum: 1 }));
      peer.setStateInfo(signStateInfo(signer, pkiId, CHANNEL, { incNum: 1, seqNum: 1 }, 1, []));
      return exchange(peer);
    };
    const org2Peer = loadSigningIdentity(net.m.orgs[1].nodes.peer0.mspDir, 'Org2MSP');
    const org2User = loadSigningIdentity(net.m.orgs[1].users.User1.mspDir, 'Org2MSP');
    expect((await announce(org2User, org2User)).getError()?.getContent()).toBe('access denied');
    expect((await announce(org2Peer, org2User)).getError()?.getContent()).toBe('access denied');
    expect((await announce(org2Peer, org2Peer)).getError()?.getContent()).toBe('access denied');
    // The messages Org2's peer last sent, as Org1's peer holds them: current, so they authenticate
    // it (unless Org2's peer sent newer ones meanwhile, every 200 ms here: then again).
    const answered = await eventually(async () => {
      const [view] = await discover(net.clients[0], signedRequest(user1, [query(CHANNEL, (q) => q.setPeerQuery(new PeerMembershipQuery()))]));
      const held = view.getMembers()?.getPeersByOrgMap().get('Org2MSP')?.getPeersList()[0];
      expect(held).toBeDefined();
      const result = await exchange(held as Peer);
      expect(result.getError()).toBeUndefined();
      return result;
    });
    expect([...(answered.getMembers()?.getPeersByOrgMap().keys() ?? [])]).toContain('Org1MSP');
  });

  it('serves the legacy fabric-network SDK with discovery on: it finds the endorsers itself and submits', async () => {
    const org = net.m.orgs[0];
    const user = org.users.User1;
    const wallet = await Wallets.newInMemoryWallet();
    const identity: X509Identity = {
      credentials: { certificate: fs.readFileSync(user.signCertPath, 'utf8'), privateKey: fs.readFileSync(user.keyPath, 'utf8') },
      mspId: org.mspId,
      type: 'X.509',
    };
    await wallet.put('user1', identity);
    // Only Org1's peer is named: Org2's peer and the orderer come from discovery.
    const profile = {
      name: 'weft',
      version: '1.0.0',
      client: { organization: 'Org1' },
      organizations: { Org1: { mspid: org.mspId, peers: ['peer0'] } },
      peers: {
        peer0: { url: `grpcs://127.0.0.1:${net.ports[0]}`, tlsCACerts: { pem: fs.readFileSync(org.tlsCaCertPath, 'utf8') }, grpcOptions: { 'ssl-target-name-override': 'localhost' } },
      },
    };
    const gateway = new LegacyGateway();
    await gateway.connect(profile, { wallet, identity: 'user1', discovery: { enabled: true, asLocalhost: true } });
    try {
      const contract = (await gateway.getNetwork(CHANNEL)).getContract('kv');
      // MAJORITY of two orgs: the commit needs Org2's endorsement, which only discovery could find.
      expect(Buffer.from(await contract.submitTransaction('Put', 'legacy', 'discovered')).toString()).toBe('discovered');
      await peersInSync(net.peers);
      const read = await gatewayOn(net, 1).getNetwork(CHANNEL).getContract('kv').evaluateTransaction('Get', 'legacy');
      expect(Buffer.from(read).toString()).toBe('discovered');
    } finally {
      gateway.disconnect();
    }
  }, 60_000);
});

describe('Service discovery under mutual TLS', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({
      prefix: 'weft-peer-discovery-mtls-',
      mutualTls: true,
      clients: false,
      peerSection: { discovery: { membershipIntervalMs: 200, membershipExpiryMs: 5000 } },
    });
  }, 120_000);

  afterAll(() => net?.close());

  it("needs the hash of the client's TLS certificate, and the peers exchange membership over mutual TLS", async () => {
    const org = net.m.orgs[0];
    const client = peerClient(org, net.ports[0], 'User1');
    net.clients.push(client);
    const user1 = signerOf(org);
    const peersQuery = query(CHANNEL, (q) => q.setPeerQuery(new PeerMembershipQuery()));
    await expect(discover(client, signedRequest(user1, [peersQuery]))).rejects.toMatchObject({
      code: grpc.status.UNKNOWN,
      details: "client claimed TLS hash doesn't match computed TLS hash from gRPC stream",
    });
    const hash = tlsCertificateHash(fs.readFileSync(org.users.User1.tlsCertPath));
    const orgs = await eventually(async () => {
      const [result] = await discover(client, signedRequest(user1, [peersQuery], true, hash));
      const found = [...(result.getMembers()?.getPeersByOrgMap().keys() ?? [])].sort();
      expect(found).toEqual(['Org1MSP', 'Org2MSP']);
      return found;
    });
    expect(orgs).toHaveLength(2);
  }, 60_000);
});

describe('Gateway endorsers learned through membership exchange', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    // Org1's peer knows no other peer (no gateway peers, no anchor peers); Org2's peer lists Org1's.
    net = await startInProcessNetwork({
      prefix: 'weft-peer-discovery-learned-',
      peerSection: { discovery: { membershipIntervalMs: 200, membershipExpiryMs: 5000 } },
      perPeerSection: [{ gateway: { peers: [] } }, {}],
    });
  }, 120_000);

  afterAll(() => net?.close());

  it("learns the peer that announces itself, and collects that org's endorsement from it", async () => {
    const user1 = signerOf(net.m.orgs[0]);
    await eventually(async () => {
      const [result] = await discover(net.clients[0], signedRequest(user1, [query(CHANNEL, (q) => q.setPeerQuery(new PeerMembershipQuery()))]));
      expect([...(result.getMembers()?.getPeersByOrgMap().keys() ?? [])].sort()).toEqual(['Org1MSP', 'Org2MSP']);
    });
    // Committing the definition through Org1's gateway needs Org2's endorsement (MAJORITY of two).
    await deployKvInProcess(net);
    const contract = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kv');
    expect(Buffer.from(await contract.submitTransaction('Put', 'learned', 'yes')).toString()).toBe('yes');
  }, 60_000);
});
