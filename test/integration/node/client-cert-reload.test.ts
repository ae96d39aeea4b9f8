import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { credentials } from '@grpc/grpc-js';
import { loadNodeConfig } from '../../../core/node/config';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { loadOrgCa, renewOrgMember } from '../../../plugins/msp-x509/crypto-material/org-authority';
import { buildCertificate } from '../../../plugins/msp-x509/crypto-material/certificate-builder';
import type { GeneratedMember, GeneratedOrg } from '../../../plugins/msp-x509';
import { broadcast, txEnvelope } from '../orderer/orderer-fixture';
import { CHANNEL, type Material, eventually, freePort, gatewayFor, generateMaterial, genesisBlock, joinOrderer, peerClient, signerOf, tmpDir, writeOrdererConfig, writePeerConfig } from '../peer/network-fixture';
import { type ClientCertProxy, startClientCertProxy } from './client-cert-proxy';

/**
 * Under mutual TLS, a reload moves what a node presents in every handshake, not only what it
 * serves: peer0 reaches the orderer and peer1 through proxies that record the client certificate of
 * each handshake. After its TLS certificate is renewed and reloaded, its Deliver stream moves to a
 * connection presenting the new certificate (its request naming that certificate, or the real
 * orderer behind the proxy would refuse it), it goes on committing, and its Gateway dials peer1 with
 * the new certificate. The orderer's admin listener serves its renewed certificate too.
 */
describe('client and admin TLS certificates after a reload', () => {
  let dir: string;
  let m: Material;
  let orderer: OrdererNode;
  const peers: PeerNode[] = [];
  const proxies: ClientCertProxy[] = [];
  const clients: grpc.Client[] = [];
  let ordererPort: number;
  let adminPort: number;
  let ordererProxy: ClientCertProxy;
  let peer1Proxy: ClientCertProxy;
  let renewals = 0;

  const peer0 = (): GeneratedMember => m.orgs[0].nodes.peer0!;
  const der = (pem: Buffer | string): Buffer => new X509Certificate(typeof pem === 'string' ? fs.readFileSync(pem) : pem).raw;

  /** `member`'s certificates re-issued by its org's CAs (as `weft network renew`) and swapped in; its new TLS certificate and key. */
  const renew = async (org: GeneratedOrg, member: GeneratedMember): Promise<{ cert: Buffer; key: Buffer }> => {
    const copy = path.join(dir, `renewed-${++renewals}`);
    await renewOrgMember({ orgDir: org.orgDir, domain: org.domain }, member.dir, copy);
    fs.renameSync(member.dir, `${copy}.old`);
    fs.renameSync(copy, member.dir);
    return { cert: fs.readFileSync(member.tlsCertPath), key: fs.readFileSync(member.tlsKeyPath) };
  };

  const ordererClient = (): AtomicBroadcastClient => {
    const admin = m.orgs[0].users.Admin!;
    const client = new AtomicBroadcastClient(
      `127.0.0.1:${ordererPort}`,
      credentials.createSsl(fs.readFileSync(m.ordererOrg.tlsCaCertPath), fs.readFileSync(admin.tlsKeyPath), fs.readFileSync(admin.tlsCertPath)),
      { 'grpc.ssl_target_name_override': 'localhost' },
    );
    clients.push(client);
    return client;
  };

  /** Orders one transaction and waits until both peers committed its block. */
  const nextBlock = async (): Promise<void> => {
    const height = peers[0]!.height(CHANNEL);
    expect((await broadcast(ordererClient(), [txEnvelope(signerOf(m.orgs[0]), CHANNEL)]))[0]!.status).toBe(Status.SUCCESS);
    await eventually(() => expect(peers.map((p) => p.height(CHANNEL))).toEqual([height + 1, height + 1]), 15_000);
  };

  beforeAll(async () => {
    dir = tmpDir('weft-client-cert-');
    m = await generateMaterial(dir);
    [ordererPort, adminPort] = [await freePort(), await freePort()];
    const [p0, p1, ops0, ops1] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const node = m.ordererOrg.nodes.orderer;
    const orgCas = m.orgs.map((o) => fs.readFileSync(o.tlsCaCertPath));
    ordererProxy = await startClientCertProxy({
      serve: { cert: fs.readFileSync(node.tlsCertPath), key: fs.readFileSync(node.tlsKeyPath) },
      clientCas: orgCas,
      upstream: { port: ordererPort, ca: fs.readFileSync(m.ordererOrg.tlsCaCertPath), servername: 'localhost' },
    });
    const peer1 = m.orgs[1].nodes.peer0!;
    peer1Proxy = await startClientCertProxy({
      serve: { cert: fs.readFileSync(peer1.tlsCertPath), key: fs.readFileSync(peer1.tlsKeyPath) },
      clientCas: orgCas,
      upstream: { port: p1, ca: orgCas[1]!, servername: 'localhost' },
    });
    proxies.push(ordererProxy, peer1Proxy);
    for (const org of m.orgs) {
      const member = org.nodes.peer0!;
      for (const proxy of proxies) proxy.know(fs.readFileSync(member.tlsCertPath), fs.readFileSync(member.tlsKeyPath));
    }
    // The channel names the proxy as its orderer: both peers pull through it.
    const genesis = genesisBlock(m, ordererProxy.port);
    orderer = new OrdererNode(loadOrdererConfig(writeOrdererConfig(m, ordererPort, adminPort, { mutualTls: true }).configFile));
    await orderer.start();
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);
    const ports = [p0, p1] as const;
    for (const i of [0, 1] as const) {
      // peer0's Gateway reaches peer1 through its proxy.
      const peerSection = i === 0 ? { gateway: { peers: [{ address: `127.0.0.1:${peer1Proxy.port}`, mspId: m.orgs[1].mspId }] } } : {};
      const files = writePeerConfig(m, i, ports, i === 0 ? ops0 : ops1, { mutualTls: true, peerSection });
      const peer = new PeerNode(parsePeerConfig(loadNodeConfig(files.configFile)));
      peers.push(peer);
      await peer.start();
      peer.joinChannel(genesis);
    }
    // Joining commits the genesis block; the next one comes through the proxy.
    await nextBlock();
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const p of peers) await p.stop();
    await orderer?.stop();
    for (const p of proxies) await p.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a TLS certificate a peer could not dial with (no clientAuth usage), and keeps the one in use', async () => {
    const member = peer0();
    const keep = [member.tlsCertPath, member.tlsKeyPath].map((f) => [f, fs.readFileSync(f)] as const);
    const running = new X509Certificate(keep[0]![1]);
    const ca = loadOrgCa(m.orgs[0].orgDir, 'tlsca');
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const serverOnly = await buildCertificate({
      subject: { organization: m.orgs[0].domain, commonName: member.name },
      publicKey: keys.publicKey,
      issuer: ca.signer,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      isCa: false,
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extKeyUsage: ['serverAuth'],
      subjectAltNames: (running.subjectAltName ?? '').split(', ').map((san) => san.replace(/^(DNS|IP Address):/, '')),
    });
    fs.writeFileSync(member.tlsCertPath, serverOnly.pem);
    fs.writeFileSync(member.tlsKeyPath, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    try {
      expect(peers[0]!.reloadCertificates()).toEqual({ result: 'refused', file: member.tlsCertPath, reason: expect.stringMatching(/extended key usage lacks clientAuth/) });
    } finally {
      for (const [f, bytes] of keep) fs.writeFileSync(f, bytes);
    }
    expect(peers[0]!.reloadCertificates()).toEqual({ result: 'unchanged' });
  }, 30_000);

  it("moves the peer's Deliver stream and Gateway connections to its renewed client certificate, and it goes on committing", async () => {
    const oldCert = der(peer0().tlsCertPath);
    const peer1Cert = der(m.orgs[1].nodes.peer0!.tlsCertPath);
    expect(ordererProxy.presented.some((d) => d.equals(oldCert))).toBe(true);
    const renewed = await renew(m.orgs[0], peer0());
    for (const proxy of proxies) proxy.know(renewed.cert, renewed.key);
    const newCert = der(renewed.cert);
    const seen = ordererProxy.presented.length;

    expect(peers[0]!.reloadCertificates()).toMatchObject({
      result: 'reloaded',
      changed: [{ certificate: 'enrollment' }, { certificate: 'tls_server' }, { certificate: 'tls_client' }],
    });
    // The stream moves at once, while the old certificate is still good: a new handshake with the new one.
    await eventually(() => expect(ordererProxy.presented.slice(seen).some((d) => d.equals(newCert))).toBe(true));
    // The orderer accepted it (the request names the certificate of its connection): the peer commits.
    await nextBlock();

    // A reconnection (the orderer's connections cut) presents the new certificate, and is accepted.
    const beforeDrop = ordererProxy.presented.length;
    ordererProxy.dropConnections();
    await eventually(() => expect(ordererProxy.presented.slice(beforeDrop).filter((d) => !d.equals(peer1Cert)).length).toBeGreaterThan(0));
    await nextBlock();
    expect(ordererProxy.presented.slice(seen).filter((d) => !d.equals(peer1Cert) && !d.equals(newCert))).toEqual([]);

    // peer0's Gateway endorses on peer1 over a new connection presenting the new certificate.
    peer1Proxy.dropConnections();
    const beforeEndorse = peer1Proxy.presented.length;
    const client = peerClient(m.orgs[0], peers[0]!.port, 'User1');
    clients.push(client);
    const gateway = gatewayFor(m.orgs[0], client);
    try {
      const proposal = gateway.getNetwork(CHANNEL).getContract('qscc').newProposal('GetChainInfo', { arguments: [CHANNEL], endorsingOrganizations: [m.orgs[1].mspId] });
      await proposal.endorse();
    } finally {
      gateway.close();
    }
    const endorseHandshakes = peer1Proxy.presented.slice(beforeEndorse);
    expect(endorseHandshakes.length).toBeGreaterThan(0);
    expect(endorseHandshakes.every((d) => d.equals(newCert))).toBe(true);
  }, 90_000);

  it("the orderer's admin listener serves its renewed certificate after a reload, and takes the admin as before", async () => {
    const admin = m.ordererOrg.users.Admin;
    /** The DER certificate the admin listener presents to a new handshake (with the orderer Admin's client certificate). */
    const served = (): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: adminPort, rejectUnauthorized: false, cert: fs.readFileSync(admin.tlsCertPath), key: fs.readFileSync(admin.tlsKeyPath) });
        socket.once('secureConnect', () => {
          resolve(socket.getPeerCertificate().raw);
          socket.destroy();
        });
        socket.once('error', reject);
      });
    const member = m.ordererOrg.nodes.orderer!;
    expect((await served()).equals(der(member.tlsCertPath))).toBe(true);
    await renew(m.ordererOrg, member);
    expect(orderer.reloadCertificates()).toMatchObject({
      result: 'reloaded',
      changed: [{ certificate: 'enrollment' }, { certificate: 'tls_server' }, { certificate: 'tls_admin' }],
    });
    expect((await served()).equals(der(member.tlsCertPath))).toBe(true);
    // The same client CAs: the orderer Admin's certificate is still taken, and a join answered.
    expect(await joinOrderer(m, adminPort, genesisBlock(m, ordererProxy.port, '100ms', 'second'))).toBe(201);
  }, 60_000);
});
