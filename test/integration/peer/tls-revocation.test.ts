import * as fs from 'node:fs';
import * as https from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { tlsCertificateHash } from '../../../core/protocol/deliver-request';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import type { PeerNetwork } from '../../../core/peer/peer-network';
import { nextOrgCrl } from '../../../plugins/msp-x509/crypto-material/org-authority';
import type { GeneratedMember, GeneratedOrg } from '../../../plugins/msp-x509';
import { broadcast, fetchBlock } from '../orderer/orderer-fixture';
import { configUpdate } from './config-updates';
import { startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, propose, signerOf } from './network-fixture';

/** A method no node serves: UNIMPLEMENTED once the server took the connection, UNAVAILABLE when it refused or closed it. */
function probe(client: grpc.Client): Promise<grpc.status> {
  return new Promise((resolve) => {
    client.makeUnaryRequest('/weft.test.Probe/Ping', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 5_000 }, (err) => resolve(err?.code ?? grpc.status.OK));
  });
}

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
  let orderer: AtomicBroadcastClient;
  const opened: grpc.Client[] = [];
  const org1 = (): GeneratedOrg => net.m.orgs[0];

  /** A new connection (own subchannel) presenting `member`'s TLS certificate to a server of `serverCa`. */
  const clientOf = (member: GeneratedMember, port: number, serverCa: string): grpc.Client => {
    const creds = grpc.credentials.createSsl(fs.readFileSync(serverCa), fs.readFileSync(member.tlsKeyPath), fs.readFileSync(member.tlsCertPath));
    const client = new grpc.Client(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.use_local_subchannel_pool': 1 });
    opened.push(client);
    return client;
  };
  const reach = async (member: GeneratedMember): Promise<{ peer: grpc.status; orderer: grpc.status }> => ({
    peer: await probe(clientOf(member, net.ports[0], org1().tlsCaCertPath)),
    orderer: await probe(clientOf(member, net.ordererFiles.port, net.m.ordererOrg.tlsCaCertPath)),
  });
  const configAt = async (number: number): Promise<Config> => {
    const block = await fetchBlock(orderer, signerOf(org1(), 'Admin'), CHANNEL, number, tlsCertificateHash(fs.readFileSync(org1().users.Admin!.tlsCertPath)));
    return parseConfigBlock(block.serializeBinary()).config;
  };
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
  /** Submits the update from `current` to `next` signed by every org's Admin and waits for both peers to commit it. */
  const update = async (current: Config, next: Config): Promise<void> => {
    const admins = [signerOf(org1(), 'Admin'), signerOf(net.m.orgs[1], 'Admin'), signerOf(net.m.ordererOrg, 'Admin')];
    const height = net.peers[0]!.height(CHANNEL);
    expect((await broadcast(orderer, [configUpdate(CHANNEL, current, next, admins, admins[0]!)]))[0]).toMatchObject({ status: Status.SUCCESS });
    await eventually(() => expect(net.peers.map((p) => p.height(CHANNEL))).toEqual([height + 1, height + 1]));
  };

  beforeAll(async () => {
    // Peer 0's operations endpoint serves HTTPS (paths from its config's folder, the network's peer0/).
    const peer0 = '../organizations/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls';
    const operationsTls = { enabled: true, certFile: `${peer0}/server.crt`, keyFile: `${peer0}/server.key`, rootCertFiles: [`${peer0}/ca.crt`] };
    net = await startInProcessNetwork({ prefix: 'weft-tls-revoke-', mutualTls: true, clients: false, perPeerSection: [{ operations: { listenAddress: '127.0.0.1:0', tls: operationsTls } }, {}] });
    const admin = org1().users.Admin!;
    orderer = new AtomicBroadcastClient(
      `127.0.0.1:${net.ordererFiles.port}`,
      grpc.credentials.createSsl(fs.readFileSync(net.m.ordererOrg.tlsCaCertPath), fs.readFileSync(admin.tlsKeyPath), fs.readFileSync(admin.tlsCertPath)),
      { 'grpc.ssl_target_name_override': 'localhost' },
    );
  }, 120_000);

  afterAll(async () => {
    for (const c of opened) c.close();
    orderer?.close();
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

  it("the peer refuses an orderer whose TLS certificate the channel config revokes, and ends the Deliver streams it had on it", async () => {
    const network = (net.peers[0] as unknown as { network: PeerNetwork }).network;
    const address = network.endpoints(CHANNEL)[0]!;
    expect(await network.client(address, CHANNEL).ready(5_000)).toBe(true);

    const current = await configAt(1);
    const revoking = await withTlsCrl(current, 'Orderer', net.m.ordererOrg, net.m.ordererOrg.nodes.orderer!);
    await update(current, revoking);
    // The config that revokes the orderer's certificate is dialled anew, and that handshake fails.
    await eventually(async () => expect(await network.client(address, CHANNEL).ready(2_000)).toBe(false));

    // The Deliver streams the peers had open on that orderer ended with the block that revoked it:
    // the orderer cuts the next block, and no peer pulls it from the only (now revoked) orderer.
    const heights = net.peers.map((p) => p.height(CHANNEL));
    const admins = [signerOf(org1(), 'Admin'), signerOf(net.m.orgs[1], 'Admin'), signerOf(net.m.ordererOrg, 'Admin')];
    const committed = await configAt(heights[0]! - 1);
    const next = await withTlsCrl(committed, 'Application', net.m.orgs[1], net.m.orgs[1].users.User1!);
    expect((await broadcast(orderer, [configUpdate(CHANNEL, committed, next, admins, admins[0]!)]))[0]).toMatchObject({ status: Status.SUCCESS });
    // Blocks until the orderer has cut it; the peers had time to pull it (they take a block in milliseconds).
    expect((await configAt(heights[0]!)).getSequence()).toBe(committed.getSequence() + 1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(net.peers.map((p) => p.height(CHANNEL))).toEqual(heights);
  }, 90_000);
});
