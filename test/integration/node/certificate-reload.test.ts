import { X509Certificate, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { blockSignatureSignedData } from '../../../core/protocol/block-signatures';
import { tlsCertificateHash } from '../../../core/protocol/deliver-request';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { renewOrgMember } from '../../../plugins/msp-x509/crypto-material/org-authority';
import type { GeneratedMember, GeneratedOrg } from '../../../plugins/msp-x509';
import { broadcast, seekEnvelope, txEnvelope } from '../orderer/orderer-fixture';
import { startInProcessNetwork, type InProcessNetwork } from '../peer/in-process-network';
import { CHANNEL, eventually, propose, signerOf } from '../peer/network-fixture';

const DAY_MS = 86_400_000;

/**
 * A running peer and orderer (mutual TLS) take renewed certificates with no restart: after the
 * files are swapped and the reload runs, a new TLS handshake sees the new server certificate, an
 * endorsement and a block are signed by the new enrollment certificate, and a Deliver stream
 * opened before the reload goes on. A bad replacement is refused and the node keeps serving with
 * what it had.
 */
describe('live certificate reload', () => {
  let net: InProcessNetwork;
  const closers: (() => void)[] = [];
  let renewals = 0;

  const org1 = (): GeneratedOrg => net.m.orgs[0];
  const peer0 = (): GeneratedMember => org1().nodes.peer0!;
  const ordererMember = (): GeneratedMember => net.m.ordererOrg.nodes.orderer!;
  const clientUser = (): GeneratedMember => org1().users.User1!;

  /** The DER certificate the server at `port` presents to a new handshake (with org1 User1's client certificate). */
  const served = (port: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        ALPNProtocols: ['h2'],
        rejectUnauthorized: false,
        cert: fs.readFileSync(clientUser().tlsCertPath),
        key: fs.readFileSync(clientUser().tlsKeyPath),
      });
      socket.once('secureConnect', () => {
        resolve(socket.getPeerCertificate().raw);
        socket.destroy();
      });
      socket.once('error', reject);
    });
  const der = (file: string): Buffer => new X509Certificate(fs.readFileSync(file)).raw;

  /** A copy of `member`'s folder with certificates re-issued by its org's CAs (as `weft network renew`), not yet in place. */
  const renewed = async (org: GeneratedOrg, member: GeneratedMember, options: { notAfter?: Date; now?: Date } = {}): Promise<string> => {
    const out = path.join(net.dir, `renewed-${++renewals}`);
    await renewOrgMember({ orgDir: org.orgDir, domain: org.domain }, member.dir, out, options);
    return out;
  };
  /** Swaps the renewed copy in, as `weft network renew` does: the live folder moves aside, the copy takes its place. */
  const swapIn = (member: GeneratedMember, copy: string): void => {
    fs.renameSync(member.dir, `${copy}.old`);
    fs.renameSync(copy, member.dir);
  };

  /** qscc GetChainInfo on peer0 over mutual TLS; its endorsement. */
  const endorsement = async (): Promise<{ endorser: Uint8Array; signature: Uint8Array; payload: Uint8Array }> => {
    const endorser = new RemoteEndorser(`127.0.0.1:${net.ports[0]}`, org1().mspId, {
      rootCerts: fs.readFileSync(org1().tlsCaCertPath),
      certChain: fs.readFileSync(clientUser().tlsCertPath),
      privateKey: fs.readFileSync(clientUser().tlsKeyPath),
      serverNameOverride: 'localhost',
    });
    try {
      const res = await propose(endorser, signerOf(org1()), CHANNEL, 'qscc', ['GetChainInfo', CHANNEL]);
      expect(res.response.status).toBe(200);
      return { endorser: res.endorsement!.endorser, signature: res.endorsement!.signature, payload: res.payloadBytes };
    } finally {
      endorser.close();
    }
  };
  /** Whether `creator` (a SerializedIdentity) carries the certificate in `certFile` and signed `data` with it. */
  const signedBy = (creator: Uint8Array, data: Uint8Array, signature: Uint8Array, certFile: string): boolean => {
    const idBytes = SerializedIdentity.deserializeBinary(creator).getIdBytes_asU8();
    const cert = new X509Certificate(Buffer.from(idBytes));
    return cert.raw.equals(der(certFile)) && verify('sha256', data, cert.publicKey, signature);
  };
  const endorsedBy = async (certFile: string): Promise<boolean> => {
    const e = await endorsement();
    return signedBy(e.endorser, Buffer.concat([e.payload, e.endorser]), e.signature, certFile);
  };

  const metrics = (port: number): Promise<string> =>
    new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });

  const ordererClient = (): AtomicBroadcastClient => {
    const admin = org1().users.Admin!;
    const client = new AtomicBroadcastClient(
      `127.0.0.1:${net.ordererFiles.port}`,
      grpc.credentials.createSsl(fs.readFileSync(net.m.ordererOrg.tlsCaCertPath), fs.readFileSync(admin.tlsKeyPath), fs.readFileSync(admin.tlsCertPath)),
      { 'grpc.ssl_target_name_override': 'localhost', 'grpc.use_local_subchannel_pool': 1 },
    );
    closers.push(() => client.close());
    return client;
  };

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-reload-', mutualTls: true, clients: false });
  }, 120_000);

  afterAll(async () => {
    for (const close of closers) close();
    await net?.close();
  });

  it('refuses a bad replacement, names the file, counts it, and keeps serving with the certificates in use', async () => {
    const member = peer0();
    const oldTls = der(member.tlsCertPath);
    const keep = [member.keyPath, member.signCertPath, member.tlsCertPath, member.tlsKeyPath].map((f) => [f, fs.readFileSync(f)] as const);
    const restore = (): void => {
      for (const [f, bytes] of keep) fs.writeFileSync(f, bytes);
    };
    const expired = await renewed(org1(), member, { now: new Date(Date.now() - 3 * 365 * DAY_MS), notAfter: new Date(Date.now() - 365 * DAY_MS) });
    const org2Peer = net.m.orgs[1].nodes.peer0!;
    const cases: [string, () => void, string, RegExp][] = [
      ['the keystore key of another certificate', () => fs.copyFileSync(clientUser().keyPath, member.keyPath), path.join(member.mspDir, 'keystore'), /no private key matching/],
      [
        'an enrollment certificate from another CA',
        () => {
          fs.copyFileSync(org2Peer.signCertPath, member.signCertPath);
          fs.copyFileSync(org2Peer.keyPath, member.keyPath);
        },
        path.join(member.mspDir, 'signcerts'),
        /./,
      ],
      [
        "a certificate of the org's CA with another NodeOU role (a client's)",
        () => {
          fs.copyFileSync(clientUser().signCertPath, member.signCertPath);
          fs.copyFileSync(clientUser().keyPath, member.keyPath);
        },
        path.join(member.mspDir, 'signcerts'),
        /NodeOU roles are \[client\], the running one's \[peer\]/,
      ],
      [
        'an expired TLS certificate',
        () => {
          fs.copyFileSync(path.join(expired, 'tls', 'server.crt'), member.tlsCertPath);
          fs.copyFileSync(path.join(expired, 'tls', 'server.key'), member.tlsKeyPath);
        },
        member.tlsCertPath,
        /expired/,
      ],
      ['the TLS key of another certificate', () => fs.copyFileSync(clientUser().tlsKeyPath, member.tlsKeyPath), member.tlsKeyPath, /not the one of the TLS certificate/],
      [
        "a TLS certificate of another org's TLS CA",
        () => {
          fs.copyFileSync(org2Peer.tlsCertPath, member.tlsCertPath);
          fs.copyFileSync(org2Peer.tlsKeyPath, member.tlsKeyPath);
        },
        member.tlsCertPath,
        /not issued by this node's TLS CA/,
      ],
    ];
    for (const [what, replace, file, reason] of cases) {
      replace();
      const outcome = net.peers[0]!.reloadCertificates();
      restore();
      expect({ what, ...outcome }).toMatchObject({ what, result: 'refused', reason: expect.stringMatching(reason) });
      if (outcome.result === 'refused') expect({ what, file: outcome.file }).toEqual({ what, file });
      expect((await served(net.ports[0])).equals(oldTls)).toBe(true);
    }
    expect(await endorsedBy(member.signCertPath)).toBe(true);
    expect(net.peers[0]!.reloadCertificates()).toEqual({ result: 'unchanged' });
    const text = await metrics(net.peerFiles[0].opsPort);
    expect(text).toMatch(/weft_certificate_reloads_total\{result="refused"\} 6/);
    expect(text).toMatch(/weft_certificate_reloads_total\{result="unchanged"\} 1/);
  }, 60_000);

  it('a peer serves and endorses with its renewed certificates after a reload, no restart', async () => {
    const member = peer0();
    const notAfter = new Date(Date.now() + 100 * DAY_MS);
    swapIn(member, await renewed(org1(), member, { notAfter }));
    const outcome = net.peers[0]!.reloadCertificates();
    expect(outcome).toMatchObject({ result: 'reloaded', changed: [{ certificate: 'enrollment' }, { certificate: 'tls_server' }, { certificate: 'tls_client' }] });

    expect((await served(net.ports[0])).equals(der(member.tlsCertPath))).toBe(true);
    expect(await endorsedBy(member.signCertPath)).toBe(true);
    // The expiry metric reports the new certificates (notAfter 100 days out, the old ones ten years).
    const text = await metrics(net.peerFiles[0].opsPort);
    const seconds = String(Math.floor(new X509Certificate(fs.readFileSync(member.signCertPath)).validToDate.getTime() / 1000));
    expect(text).toContain(`weft_certificate_expiry_timestamp_seconds{kind="enrollment"} ${seconds}`);
    expect(text).toContain(`weft_certificate_expiry_timestamp_seconds{kind="tls_server"} ${seconds}`);
    expect(text).toContain(`weft_certificate_expiry_timestamp_seconds{kind="tls_client"} ${seconds}`);
  }, 60_000);

  it('an orderer signs blocks and serves TLS with its renewed certificates, and a Deliver stream opened before goes on', async () => {
    const admin = org1().users.Admin!;
    const member = ordererMember();
    const client = ordererClient();
    const blocks: Block[] = [];
    let ended: string | undefined;
    const stream = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Deliver', (b: Buffer) => b, (b: Buffer) => DeliverResponse.deserializeBinary(b));
    closers.push(() => stream.cancel());
    stream.on('data', (r: DeliverResponse) => (r.hasBlock() ? blocks.push(r.getBlock()!) : (ended = `status ${r.getStatus()}`)));
    stream.on('error', (err: Error) => (ended ??= err.message));
    stream.write(Buffer.from(seekEnvelope(signerOf(org1(), 'Admin'), CHANNEL, 0, 'max', 'block', false, { tlsCertHash: tlsCertificateHash(fs.readFileSync(admin.tlsCertPath)) })));
    await eventually(() => expect(blocks.length).toBeGreaterThan(0));
    const before = blocks.length;

    swapIn(member, await renewed(net.m.ordererOrg, member));
    expect(net.orderer.reloadCertificates()).toMatchObject({ result: 'reloaded' });
    expect((await served(net.ordererFiles.port)).equals(der(member.tlsCertPath))).toBe(true);

    expect((await broadcast(ordererClient(), [txEnvelope(signerOf(org1()), CHANNEL)]))[0]!.status).toBe(Status.SUCCESS);
    await eventually(() => expect(blocks.length).toBe(before + 1));
    expect(ended).toBeUndefined();
    const [signed] = blockSignatureSignedData(blocks[before]!);
    expect(signedBy(signed!.identity, signed!.data, signed!.signature, member.signCertPath)).toBe(true);
  }, 60_000);

  it('a peer serving TLS without client authentication takes its renewed TLS certificate too', async () => {
    const plain = await startInProcessNetwork({ prefix: 'weft-reload-tls-', clients: false });
    try {
      const member = plain.m.orgs[0].nodes.peer0!;
      const before = der(member.tlsCertPath);
      const out = path.join(plain.dir, 'renewed');
      await renewOrgMember({ orgDir: plain.m.orgs[0].orgDir, domain: plain.m.orgs[0].domain }, member.dir, out);
      fs.renameSync(member.dir, `${out}.old`);
      fs.renameSync(out, member.dir);
      expect((await served(plain.ports[0])).equals(before)).toBe(true);
      expect(plain.peers[0]!.reloadCertificates()).toMatchObject({ result: 'reloaded' });
      expect((await served(plain.ports[0])).equals(der(member.tlsCertPath))).toBe(true);
    } finally {
      await plain.close();
    }
  }, 60_000);
});
