import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { X509Msp, generateOrg, loadMspConfig, serializeIdentity, type GeneratedOrg } from '../../../../plugins/msp-x509';
import { renewOrgMember, type OrgFolder } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { tempDir } from './fixtures';

const DAY = 86_400_000;
const mode = (file: string): number => fs.statSync(file).mode & 0o777;
const cert = (file: string): X509Certificate => new X509Certificate(fs.readFileSync(file));
/** Every file under `dir` with its bytes, to tell that nothing changed. */
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [path.relative(dir, path.join(e.parentPath, e.name)), fs.readFileSync(path.join(e.parentPath, e.name), 'base64')]),
  );

/** fabric-ca-client reenroll for the cryptogen-layout folders of generateOrg: `renewOrgMember`. */
describe('renewOrgMember', () => {
  let dir: string;
  let org: GeneratedOrg;
  let ref: OrgFolder;
  let out: number;
  const outDir = (): string => path.join(dir, `out-${++out}`);

  beforeAll(async () => {
    dir = tempDir('renew');
    out = 0;
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', nodeSans: { peer0: ['10.1.2.3', 'peer0.example.net'] } }, dir);
    ref = { orgDir: org.orgDir, domain: 'org1.example.com' };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('re-issues a peer: same subject, NodeOU and SANs, new keys 0600, the rest of its folder copied; the live folder untouched', async () => {
    const peer = org.nodes.peer0!;
    const before = snapshot(peer.dir);
    const target = outDir();
    const renewed = await renewOrgMember(ref, peer.dir, target, { notAfter: new Date(Date.now() + 90 * DAY) });

    expect(snapshot(peer.dir)).toEqual(before);
    expect(Object.keys(snapshot(target)).sort()).toEqual(Object.keys(before).sort());
    const rel = (file: string): string => path.join(target, path.relative(peer.dir, file));
    const [oldSign, newSign] = [cert(peer.signCertPath), cert(rel(peer.signCertPath))];
    expect(newSign.subject).toBe(oldSign.subject);
    expect(newSign.subject).toContain('OU=peer');
    expect(newSign.serialNumber).not.toBe(oldSign.serialNumber);
    expect(newSign.publicKey.equals(oldSign.publicKey)).toBe(false);
    expect(renewed.enrollment.serialNumber).toBe(newSign.serialNumber.replace(/^0+/, ''));
    expect(Math.abs(renewed.enrollment.notAfter.getTime() - (Date.now() + 90 * DAY))).toBeLessThan(120_000);
    const [oldTls, newTls] = [cert(peer.tlsCertPath), cert(rel(peer.tlsCertPath))];
    expect(newTls.subjectAltName).toBe(oldTls.subjectAltName);
    expect(newTls.subjectAltName).toContain('IP Address:10.1.2.3');
    expect(newTls.subjectAltName).toContain('DNS:peer0.example.net');
    expect(newTls.verify(cert(org.tlsCaCertPath).publicKey)).toBe(true);
    for (const key of [rel(peer.keyPath), rel(peer.tlsKeyPath)]) expect(mode(key)).toBe(0o600);
    expect(fs.readFileSync(rel(peer.keyPath))).not.toEqual(fs.readFileSync(peer.keyPath));
    // The new key signs for the new certificate: the MSP loads the pair.
    const msp = new X509Msp(loadMspConfig(path.join(target, 'msp'), 'Org1MSP'));
    expect(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', fs.readFileSync(rel(peer.signCertPath)))).validate()).not.toThrow();
  });

  it("keeps a user's client OU and TLS client certificate, and caps the validity at the CA's own", async () => {
    const user = org.users.User1!;
    const target = outDir();
    const caEnd = new Date(cert(org.caCertPath).validTo);
    const renewed = await renewOrgMember(ref, user.dir, target, { notAfter: new Date(caEnd.getTime() + 365 * DAY) });
    expect(renewed.enrollment.notAfter).toEqual(caEnd);
    expect(cert(path.join(target, 'msp', 'signcerts', 'User1@org1.example.com-cert.pem')).subject).toContain('OU=client');
    expect(fs.existsSync(path.join(target, 'tls', 'client.key'))).toBe(true);
  });

  it('refuses, writing nothing, a certificate another CA issued and a CA that has expired', async () => {
    const other = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, path.join(dir, 'other'));
    const target = outDir();
    await expect(renewOrgMember({ orgDir: other.orgDir, domain: 'org1.example.com' }, org.nodes.peer0!.dir, target)).rejects.toMatchObject({
      code: 'CERT_NOT_FROM_CA',
      details: { file: org.nodes.peer0!.signCertPath },
    });
    const later = new Date(new Date(cert(org.caCertPath).validTo).getTime() + DAY);
    await expect(renewOrgMember(ref, org.nodes.peer0!.dir, target, { now: later })).rejects.toMatchObject({ code: 'CA_EXPIRED', message: expect.stringContaining('ca.org1.example.com expired') });
    expect(fs.existsSync(target)).toBe(false);
  });
});
