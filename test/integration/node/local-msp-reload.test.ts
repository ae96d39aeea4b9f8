import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { nextOrgCrl } from '../../../plugins/msp-x509/crypto-material/org-authority';
import type { GeneratedMember, GeneratedOrg } from '../../../plugins/msp-x509';
import { startInProcessNetwork, type InProcessNetwork } from '../peer/in-process-network';
import { propose, signerOf } from '../peer/network-fixture';

/**
 * A running peer's local checks follow its local MSP folder on reload: a CRL written into `crls/`
 * (as `weft network revoke` does) makes the peer refuse the revoked user's channel-less proposals
 * (cscc GetChannels, checked by the local MSP) with no restart; a folder that fails the MSP's
 * setup checks refuses the whole reload and the peer goes on with the MSP it had.
 */
describe('local MSP reload', () => {
  let net: InProcessNetwork;
  const org1 = (): GeneratedOrg => net.m.orgs[0];
  const peer0 = (): GeneratedMember => org1().nodes.peer0!;
  const crlFile = (): string => path.join(peer0().mspDir, 'crls', 'crl.pem');

  /** cscc GetChannels on peer0 as org1's User1: the status, or the refusal's message. */
  const getChannels = async (): Promise<{ status: number; message: string }> => {
    const endorser = new RemoteEndorser(`127.0.0.1:${net.ports[0]}`, org1().mspId, { rootCerts: fs.readFileSync(org1().tlsCaCertPath), serverNameOverride: 'localhost' });
    try {
      const res = await propose(endorser, signerOf(org1(), 'User1'), '', 'cscc', ['GetChannels']);
      return { status: res.response.status, message: res.response.message };
    } catch (err) {
      return { status: 500, message: (err as Error).message };
    } finally {
      endorser.close();
    }
  };

  const writeCrlRevokingUser1 = async (): Promise<void> => {
    const crl = await nextOrgCrl({ orgDir: org1().orgDir, domain: org1().domain }, [fs.readFileSync(org1().users.User1!.signCertPath)], []);
    fs.mkdirSync(path.dirname(crlFile()), { recursive: true });
    fs.writeFileSync(crlFile(), crl.pem);
  };

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-localmsp-', clients: false });
  }, 120_000);

  afterAll(async () => {
    await net?.close();
  });

  it('refuses a local MSP folder that fails its checks, whole, and keeps the MSP it had', async () => {
    const cacerts = path.join(peer0().mspDir, 'cacerts');
    const aside = path.join(net.dir, 'cacerts-aside');
    fs.renameSync(cacerts, aside);
    fs.mkdirSync(cacerts);
    await writeCrlRevokingUser1();
    try {
      const outcome = net.peers[0]!.reloadCertificates();
      expect(outcome).toMatchObject({ result: 'refused', file: expect.stringContaining(peer0().mspDir), reason: expect.stringMatching(/^the local MSP: /) });
      // The CRL written with the bad folder is not in force: the peer still checks with the MSP it had.
      expect(await getChannels()).toMatchObject({ status: 200 });
    } finally {
      fs.rmSync(cacerts, { recursive: true });
      fs.renameSync(aside, cacerts);
      fs.rmSync(crlFile());
    }
    expect(net.peers[0]!.reloadCertificates()).toEqual({ result: 'unchanged' });
  }, 60_000);

  it('a CRL written into the local MSP folder takes effect on reload: the revoked user is refused, no restart', async () => {
    expect(await getChannels()).toMatchObject({ status: 200 });
    await writeCrlRevokingUser1();
    // Written, not yet reloaded: the running peer reads the folder only when told to.
    expect(await getChannels()).toMatchObject({ status: 200 });

    expect(net.peers[0]!.reloadCertificates()).toEqual({ result: 'reloaded', changed: [], localMsp: { dir: peer0().mspDir } });
    const refused = await getChannels();
    expect(refused.status).not.toBe(200);
    expect(refused.message).toMatch(/revoked/i);

    // Taking the CRL out and reloading again lets the user back in: the switch goes both ways.
    fs.rmSync(crlFile());
    expect(net.peers[0]!.reloadCertificates()).toMatchObject({ result: 'reloaded', localMsp: { dir: peer0().mspDir } });
    expect(await getChannels()).toMatchObject({ status: 200 });
  }, 60_000);
});
