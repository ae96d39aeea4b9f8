import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import type { PeerNetwork } from '../../../core/peer/peer-network';
import { nextOrgCrl } from '../../../plugins/msp-x509/crypto-material/org-authority';
import type { GeneratedMember, GeneratedOrg } from '../../../plugins/msp-x509';
import { broadcast } from '../orderer/orderer-fixture';
import { configUpdate } from './config-updates';
import { startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { ChannelAdmin, probe, tlsClientOf } from './mutual-tls-fixture';
import { CHANNEL, eventually, gatewayFor, peerClient, propose, signerOf } from './network-fixture';

/** GET over a new HTTPS connection presenting `member`'s TLS certificate: the HTTP status, or the error code that ended the connection. */
function httpsGet(address: string, pathname: string, member: GeneratedMember): Promise<number | string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const req = https.request(
      { host, port, path: pathname, rejectUnauthorized: false, cert: fs.readFileSync(member.tlsCertPath), key: fs.readFileSync(member.tlsKeyPath), agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/**
 * Weft refuses revoked TLS certificates on both ends of a connection (Fabric checks CRLs only on
 * identities): once a config block puts a TLS CA's CRL in the org's MSP `revocation_list`, a client
 * presenting a certificate it lists cannot connect to the peer or the orderer (mutual TLS), a
 * connection it had open is closed, others still connect, the same user's enrollment identity is
 * still valid (the TLS CA's CRL does not apply to it), and the peer refuses an orderer whose TLS
 * certificate such a CRL lists.
 */
describe('mutual TLS: revoked TLS certificates', () => {
  let net: InProcessNetwork;
  let admin: ChannelAdmin;
  const opened: grpc.Client[] = [];
  const org1 = (): GeneratedOrg => net.m.orgs[0];

  /** A new connection (own subchannel) presenting `member`'s TLS certificate to a server of `serverCa`. */
  const clientOf = (member: GeneratedMember, port: number, serverCa: string): grpc.Client => {
    const client = tlsClientOf(member, port, serverCa);
    opened.push(client);
    return client;
  };
  const reach = async (member: GeneratedMember): Promise<{ peer: grpc.status; orderer: grpc.status }> => ({
    peer: await probe(clientOf(member, net.ports[0], org1().tlsCaCertPath)),
    orderer: await probe(clientOf(member, net.ordererFiles.port, net.m.ordererOrg.tlsCaCertPath)),
  });
  const configAt = (number: number): Promise<Config> => admin.configAt(number);
  /** The connections peer `index`'s gRPC listener has open, from its operations endpoint's metrics (plain HTTP on peer 1). */
  const openConnections = async (index: 1): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${net.peerFiles[index].opsPort}/metrics`)).text();
    const sample = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return sample('grpc_comm_conn_opened') - sample('grpc_comm_conn_closed');
  };
  /** Qscc's GetChainInfo evaluated through peer 0's Gateway on Org2's peer (as Org1's Admin, whose TLS certificate no test revokes). */
  const chainInfoFromOrg2 = (): Promise<Uint8Array> =>
    gatewayFor(org1(), net.clients[0]!, 'Admin').getNetwork(CHANNEL).getContract('qscc').evaluate('GetChainInfo', { arguments: [CHANNEL], endorsingOrganizations: ['Org2MSP'] });
  /** The per-peer details of the error that ends {@link chainInfoFromOrg2}. */
  const failureFromOrg2 = async (): Promise<readonly { address: string; message: string }[] | undefined> =>
    chainInfoFromOrg2().then(
      () => undefined,
      (err: { details?: { address: string; message: string }[] }) => err.details,
    );
  /** A peer's pool of connections to the nodes it dials. */
  const networkOf = (index: 0 | 1): PeerNetwork => (net.peers[index] as unknown as { network: PeerNetwork }).network;
  const org2Peer = (): string => `127.0.0.1:${net.ports[1]}`;
  /** `config` with the CRL of `org`'s TLS CA revoking `revoked` added to the org's MSP (`section`: Application or Orderer). */
  const withTlsCrl = async (config: Config, section: 'Application' | 'Orderer', org: GeneratedOrg, revoked: GeneratedMember): Promise<Config> => {
    const crl = await nextOrgCrl({ orgDir: org.orgDir, domain: org.domain }, [fs.readFileSync(revoked.tlsCertPath)], [], 'tlsca');
    const next = config.clone();
    const value = next.getChannelGroup()!.getGroupsMap().get(section)!.getGroupsMap().get(org.mspId)!.getValuesMap().get('MSP')!;
    const msp = MSPConfig.deserializeBinary(value.getValue_asU8());
    const fabric = FabricMSPConfig.deserializeBinary(msp.getConfig_asU8());
    fabric.addRevocationList(Buffer.from(crl.pem));
    msp.setConfig(fabric.serializeBinary());
    value.setValue(msp.serializeBinary());
    return next;
  };
  /** Submits the update from `current` to `next` signed by every org's Admin and waits for the peers at `waitFor` (both by default) to commit it. */
  const update = (current: Config, next: Config, waitFor?: readonly number[]): Promise<void> =>
    admin.update(current, next, [signerOf(org1(), 'Admin'), signerOf(net.m.orgs[1], 'Admin'), signerOf(net.m.ordererOrg, 'Admin')], waitFor);

  beforeAll(async () => {
    // Peer 0's operations endpoint serves HTTPS (paths from its config's folder, the network's peer0/).
    const peer0 = '../organizations/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls';
    const operationsTls = { enabled: true, certFile: `${peer0}/server.crt`, keyFile: `${peer0}/server.key`, rootCertFiles: [`${peer0}/ca.crt`] };
    net = await startInProcessNetwork({ prefix: 'weft-tls-revoke-', mutualTls: true, clients: false, perPeerSection: [{ operations: { listenAddress: '127.0.0.1:0', tls: operationsTls } }, {}] });
    admin = new ChannelAdmin(net);
    net.clients.push(peerClient(org1(), net.ports[0], 'Admin'));
  }, 120_000);

  afterAll(async () => {
    for (const c of opened) c.close();
    admin?.close();
    await net?.close();
  });

  it('refuses and closes connections from a TLS certificate a config block revokes, on the peer and the orderer', async () => {
    const taken = { peer: grpc.status.UNIMPLEMENTED, orderer: grpc.status.UNIMPLEMENTED };
    const refused = { peer: grpc.status.UNAVAILABLE, orderer: grpc.status.UNAVAILABLE };
    const user1 = org1().users.User1!;
    expect(await reach(user1)).toEqual(taken);
    const keptPeer = clientOf(user1, net.ports[0], org1().tlsCaCertPath);
    const keptOrderer = clientOf(user1, net.ordererFiles.port, net.m.ordererOrg.tlsCaCertPath);
    expect([await probe(keptPeer), await probe(keptOrderer)]).toEqual([grpc.status.UNIMPLEMENTED, grpc.status.UNIMPLEMENTED]);

    const metrics = (member: GeneratedMember): Promise<number | string> => httpsGet(net.peers[0]!.operationsAddress()!, '/metrics', member);
    expect(await metrics(user1)).toBe(200);

    const genesis = await configAt(0);
    await update(genesis, await withTlsCrl(genesis, 'Application', org1(), user1));

    expect(await reach(user1)).toEqual(refused);
    // The peer's operations endpoint follows the channel's TLS CRLs too: closed after the handshake, no HTTP status.
    expect(typeof (await metrics(user1))).toBe('string');
    expect(await metrics(org1().users.Admin!)).toBe(200);
    // Opened before the CRL came: closed by it (the client's next call finds no connection and cannot make one).
    expect([await probe(keptPeer), await probe(keptOrderer)]).toEqual([grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
    // Another certificate of the same TLS CA still connects.
    expect(await reach(org1().users.Admin!)).toEqual(taken);
    // The TLS CA's CRL does not touch identities: User1's enrollment certificate still signs a proposal the peer takes.
    const adminTls = org1().users.Admin!;
    const endorser = new RemoteEndorser(`127.0.0.1:${net.ports[0]}`, org1().mspId, {
      rootCerts: fs.readFileSync(org1().tlsCaCertPath),
      certChain: fs.readFileSync(adminTls.tlsCertPath),
      privateKey: fs.readFileSync(adminTls.tlsKeyPath),
      serverNameOverride: 'localhost',
    });
    try {
      expect((await propose(endorser, signerOf(org1(), 'User1'), CHANNEL, 'qscc', ['GetChainInfo', CHANNEL])).response.status).toBe(200);
    } finally {
      endorser.close();
    }
  }, 90_000);

  it("cuts the peer's connection to a peer whose TLS certificate a CRL of its local MSP revokes, once reloaded", async () => {
    const org2 = net.m.orgs[1];
    const mspDir = org1().nodes.peer0!.mspDir;
    // Peer 0's local MSP takes Org2's TLS CA and its CRL revoking Org2's peer (crls/ against tlscacerts/).
    const added = [path.join(mspDir, 'tlscacerts', 'org2-tlsca.pem'), path.join(mspDir, 'crls', 'org2-tlsca.crl.pem')];
    const crl = await nextOrgCrl({ orgDir: org2.orgDir, domain: org2.domain }, [fs.readFileSync(org2.nodes.peer0!.tlsCertPath)], [], 'tlsca');
    await chainInfoFromOrg2();
    expect(await openConnections(1)).toBeGreaterThan(0);
    try {
      fs.copyFileSync(org2.tlsCaCertPath, added[0]!);
      fs.mkdirSync(path.dirname(added[1]!), { recursive: true });
      fs.writeFileSync(added[1]!, crl.pem);
      expect(net.peers[0]!.reloadCertificates()).toMatchObject({ result: 'reloaded', localMsp: { dir: mspDir } });
      await eventually(async () => expect(await openConnections(1)).toBe(0));
      expect(await failureFromOrg2()).toEqual([expect.objectContaining({ address: org2Peer(), message: expect.stringMatching(/\(peer0\.org2\.example\.com\) is on the CRL of TLS CA tlsca\.org2\.example\.com \(local MSP/) })]);
    } finally {
      for (const f of added) fs.rmSync(f, { force: true });
      net.peers[0]!.reloadCertificates();
    }
    // Without the CRL, the peer is dialled again.
    await chainInfoFromOrg2();
  }, 60_000);

  it("cuts the peer's connection to a peer whose TLS certificate a config block revokes, and the Gateway then fails naming it", async () => {
    // The Gateway evaluated through Org2's peer: peer 0 holds a connection to it.
    await chainInfoFromOrg2();
    const network = networkOf(0);
    const toOrg2 = network.endorsers(CHANNEL).find((p) => p.address === org2Peer());
    expect(await openConnections(1)).toBeGreaterThan(0);

    const current = await configAt(net.peers[0]!.height(CHANNEL) - 1);
    // Org2's peer, whose certificate is its client certificate too, is cut off the orderer: only peer 0 commits the block.
    await update(current, await withTlsCrl(current, 'Application', net.m.orgs[1], net.m.orgs[1].nodes.peer0!), [0]);
    // Cut as the block committed, not when the connection idles out (two minutes after its last use).
    await eventually(async () => expect(await openConnections(1)).toBe(0));
    // Dropped from the pool: the next call dials anew, and that handshake refuses the peer.
    expect(network.endorsers(CHANNEL).find((p) => p.address === org2Peer())).not.toBe(toOrg2);
    expect(await failureFromOrg2()).toEqual([expect.objectContaining({ address: org2Peer(), message: expect.stringMatching(/TLS certificate serial [0-9a-f]+ \(peer0\.org2\.example\.com\) is on the CRL/) })]);
  }, 90_000);

  it("the peer refuses an orderer whose TLS certificate the channel config revokes, and cuts the connections it had to it", async () => {
    const network = networkOf(0);
    const address = network.endpoints(CHANNEL)[0]!;
    const old = network.client(address, CHANNEL);
    expect(await old.ready(5_000)).toBe(true);
    // A broadcast stream on that connection, as the Gateway's broadcaster keeps one open.
    let broadcastEnded: grpc.status | undefined;
    const stream = old.broadcast();
    stream.on('error', (err: grpc.ServiceError) => (broadcastEnded = err.code));

    const current = await configAt(net.peers[0]!.height(CHANNEL) - 1);
    const revoking = await withTlsCrl(current, 'Orderer', net.m.ordererOrg, net.m.ordererOrg.nodes.orderer!);
    await update(current, revoking, [0]);
    // Cut as the block committed (a connection left to idle out would serve broadcasts for two minutes after each).
    await eventually(() => expect(broadcastEnded).toBe(grpc.status.UNAVAILABLE));
    // The config that revokes the orderer's certificate is dialled anew, and that handshake fails.
    await eventually(async () => expect(await network.client(address, CHANNEL).ready(2_000)).toBe(false));

    // The Deliver streams the peers had open on that orderer ended with the block that revoked it:
    // the orderer cuts the next block, and no peer pulls it from the only (now revoked) orderer.
    const heights = net.peers.map((p) => p.height(CHANNEL));
    const admins = [signerOf(org1(), 'Admin'), signerOf(net.m.orgs[1], 'Admin'), signerOf(net.m.ordererOrg, 'Admin')];
    const committed = await configAt(heights[0]! - 1);
    const next = await withTlsCrl(committed, 'Application', net.m.orgs[1], net.m.orgs[1].users.User1!);
    expect((await broadcast(admin.orderer, [configUpdate(CHANNEL, committed, next, admins, admins[0]!)]))[0]).toMatchObject({ status: Status.SUCCESS });
    // Blocks until the orderer has cut it; the peers had time to pull it (they take a block in milliseconds).
    expect((await configAt(heights[0]!)).getSequence()).toBe(committed.getSequence() + 1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(net.peers.map((p) => p.height(CHANNEL))).toEqual(heights);
  }, 90_000);
});
