import * as fs from 'node:fs';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import type { GeneratedOrg } from '../../../plugins/msp-x509';
import { startInProcessNetwork, type InProcessNetwork } from '../peer/in-process-network';
import { CHANNEL, propose, signerOf } from '../peer/network-fixture';

/**
 * A running peer under mutual TLS re-reads its configured client CA roots (`peer.tls.rootCertFiles`)
 * on reload: a TLS CA added to one of those files is trusted by new handshakes without a restart,
 * and a file that holds no certificate refuses the reload.
 */
describe('client CA roots reload', () => {
  let net: InProcessNetwork;
  const org1 = (): GeneratedOrg => net.m.orgs[0];

  /** qscc GetChainInfo on peer0 over a connection presenting the orderer org Admin's TLS certificate (a TLS CA no channel org of the peer has). */
  const callAsOrdererAdminTls = async (): Promise<number | string> => {
    const admin = net.m.ordererOrg.users.Admin!;
    const endorser = new RemoteEndorser(`127.0.0.1:${net.ports[0]}`, org1().mspId, {
      rootCerts: fs.readFileSync(org1().tlsCaCertPath),
      certChain: fs.readFileSync(admin.tlsCertPath),
      privateKey: fs.readFileSync(admin.tlsKeyPath),
      serverNameOverride: 'localhost',
    });
    try {
      return (await propose(endorser, signerOf(org1()), CHANNEL, 'qscc', ['GetChainInfo', CHANNEL])).response.status;
    } catch (err) {
      return (err as Error).message;
    } finally {
      endorser.close();
    }
  };

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-rootsreload-', mutualTls: true, clients: false });
  }, 120_000);
  afterAll(async () => {
    await net?.close();
  });

  it('trusts a TLS CA added to rootCertFiles after a reload, and refuses a root file without a certificate', async () => {
    const rootFile = org1().tlsCaCertPath;
    const original = fs.readFileSync(rootFile);
    expect(await callAsOrdererAdminTls()).not.toBe(200);

    fs.writeFileSync(rootFile, 'not a certificate\n');
    expect(net.peers[0]!.reloadCertificates()).toMatchObject({ result: 'refused', file: rootFile, reason: expect.stringContaining('peer.tls.rootCertFiles[0]') });

    fs.writeFileSync(rootFile, Buffer.concat([original, fs.readFileSync(net.m.ordererOrg.tlsCaCertPath)]));
    expect(net.peers[0]!.reloadCertificates()).toMatchObject({ result: 'reloaded', clientRootFiles: expect.arrayContaining([rootFile]) });
    expect(await callAsOrdererAdminTls()).toBe(200);
  }, 60_000);
});
