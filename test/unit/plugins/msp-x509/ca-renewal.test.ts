import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pkijs from 'pkijs';
import { X509Msp, generateOrg, loadMspConfig, serializeIdentity, type GeneratedOrg } from '../../../../plugins/msp-x509';
import { buildCertificate } from '../../../../plugins/msp-x509/crypto-material/certificate-builder';
import { loadOrgCa, orgAuthority, type OrgFolder } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { tempDir } from './fixtures';

const DAY = 86_400_000;
const cert = (pem: string | Buffer): X509Certificate => new X509Certificate(pem);
const skiOf = (c: X509Certificate): string => {
  const ext = pkijs.Certificate.fromBER(c.raw).extensions!.find((e) => e.extnID === '2.5.29.14')!;
  return Buffer.from(ext.extnValue.valueBlock.valueHexView).toString('hex');
};

/** `renewOrgCa`: an org's CA certificate re-issued for the same key, subject and SKI before it expires. */
describe('renewOrgCa', () => {
  let dir: string;
  let org: GeneratedOrg;
  let ref: OrgFolder;

  beforeAll(async () => {
    dir = tempDir('ca-renew');
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
    ref = { orgDir: org.orgDir, domain: 'org1.example.com' };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The org's MSP folder copied with its CA certificate file(s) holding `roots`, as a channel would after the update. */
  const mspWithRoots = (name: string, roots: readonly string[]): X509Msp => {
    const copy = path.join(dir, name);
    fs.cpSync(org.mspDir, copy, { recursive: true });
    const file = fs.readdirSync(path.join(copy, 'cacerts'))[0]!;
    fs.writeFileSync(path.join(copy, 'cacerts', file), roots[0]!);
    roots.slice(1).forEach((pem, i) => fs.writeFileSync(path.join(copy, 'cacerts', `extra-${i}.pem`), pem));
    return new X509Msp(loadMspConfig(copy, 'Org1MSP'));
  };
  const identity = (member: 'User1' | 'Admin'): Uint8Array => serializeIdentity('Org1MSP', fs.readFileSync(org.users[member]!.signCertPath));

  it('keeps subject, key, SKI and start; new serial and end; nothing written', async () => {
    const before = fs.readFileSync(org.caCertPath);
    const renewed = await orgAuthority.renewOrgCa(ref, 'ca', { notAfter: new Date(Date.now() + 3650 * DAY) });
    const [old, fresh] = [cert(before), cert(renewed.certPem)];
    expect(fs.readFileSync(org.caCertPath)).toEqual(before);
    expect(renewed.previousPem).toBe(before.toString());
    expect(renewed.fileName).toBe(path.basename(org.caCertPath));
    expect(fresh.subject).toBe(old.subject);
    expect(fresh.issuer).toBe(old.subject);
    expect(fresh.publicKey.equals(old.publicKey)).toBe(true);
    expect(skiOf(fresh)).toBe(skiOf(old));
    expect(fresh.ca).toBe(true);
    expect(fresh.serialNumber).not.toBe(old.serialNumber);
    expect(fresh.validFrom).toBe(old.validFrom);
    expect(Math.abs(new Date(fresh.validTo).getTime() - (Date.now() + 3650 * DAY))).toBeLessThan(120_000);
    expect(fresh.verify(fresh.publicKey)).toBe(true);
    expect(orgAuthority.sameCa(Buffer.from(renewed.certPem), before)).toBe(true);
  });

  it('certifies what the old CA issued: node verify, and Weft\'s MSP with the new root in place of the old', async () => {
    const renewed = await orgAuthority.renewOrgCa(ref, 'ca', { notAfter: new Date(Date.now() + 20 * 365 * DAY) });
    const fresh = cert(renewed.certPem);
    for (const leaf of [org.users.User1!.signCertPath, org.nodes.peer0!.signCertPath]) {
      expect(cert(fs.readFileSync(leaf)).verify(fresh.publicKey)).toBe(true);
      expect(cert(fs.readFileSync(leaf)).checkIssued(fresh)).toBe(true);
    }
    const msp = mspWithRoots('replaced', [renewed.certPem]);
    // NodeOUs' config.yaml names cacerts/<file>: the same name now holds the new root.
    expect(() => msp.deserializeIdentity(identity('User1')).validate()).not.toThrow();
    expect(() => msp.deserializeIdentity(identity('Admin')).validate()).not.toThrow();
  });

  it('is why the channel replaces the root rather than adding one: two roots for one key make every chain ambiguous', async () => {
    const renewed = await orgAuthority.renewOrgCa(ref, 'ca');
    const msp = mspWithRoots('both', [renewed.certPem, fs.readFileSync(org.caCertPath, 'utf8')]);
    expect(() => msp.deserializeIdentity(identity('User1')).validate()).toThrow(expect.objectContaining({ code: 'MSP_AMBIGUOUS_CHAIN' }));
  });

  it('keeps the old start because the MSP checks a chain at the leaf\'s NotBefore + 1s: a root starting now certifies no earlier leaf', async () => {
    const ca = loadOrgCa(org.orgDir, 'ca');
    const startingNow = await buildCertificate({
      subject: ca.subject,
      publicKey: ca.certificate.publicKey,
      selfSigningKey: ca.signer.privateKey,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 3650 * DAY),
      isCa: true,
      keyUsage: ['digitalSignature', 'keyEncipherment', 'keyCertSign', 'cRLSign'],
      extKeyUsage: ['clientAuth', 'serverAuth'],
    });
    expect(orgAuthority.sameCa(Buffer.from(startingNow.pem), Buffer.from(ca.certPem))).toBe(true);
    const msp = mspWithRoots('starting-now', [startingNow.pem]);
    expect(() => msp.deserializeIdentity(identity('User1')).validate()).toThrow(expect.objectContaining({ message: expect.stringContaining('not valid before') }));
  });

  it('renews the TLS CA the same way: its TLS leaves verify', async () => {
    const renewed = await orgAuthority.renewOrgCa(ref, 'tlsca', { notAfter: new Date(Date.now() + 3650 * DAY) });
    expect(renewed.fileName).toBe(path.basename(org.tlsCaCertPath));
    expect(cert(fs.readFileSync(org.nodes.peer0!.tlsCertPath)).verify(cert(renewed.certPem).publicKey)).toBe(true);
    expect(orgAuthority.sameCa(Buffer.from(renewed.certPem), fs.readFileSync(org.caCertPath))).toBe(false);
  });

  it('refuses, typed, an end in the past and a CA whose key is absent', async () => {
    await expect(orgAuthority.renewOrgCa(ref, 'ca', { notAfter: new Date(Date.now() - DAY) })).rejects.toMatchObject({ code: 'BAD_NOT_AFTER', details: { field: '--days' } });
    const exported = path.join(dir, 'exported');
    fs.cpSync(org.orgDir, exported, { recursive: true });
    fs.rmSync(path.join(exported, 'ca', 'priv_sk'));
    await expect(orgAuthority.renewOrgCa({ orgDir: exported, domain: 'org1.example.com' }, 'ca')).rejects.toMatchObject({ code: 'CA_KEY_NOT_HERE' });
  });
});
