import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { X509Msp, generateOrg, loadMspConfig, serializeIdentity, type GeneratedOrg } from '../../../../plugins/msp-x509';
import { encodeTime } from '../../../../plugins/msp-x509/crypto-material/certificate-builder';
import { loadOrgCa, orgAuthority, type OrgFolder } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { reissue } from './cert-forge';
import { tempDir } from './fixtures';

const DAY = 86_400_000;

/**
 * An org whose CA expired yesterday, its leaves issued while it was valid and capped at its end
 * (as Weft issues them): what renewing it does. Fabric's MSP (and Weft's) checks a chain at the
 * leaf's NotBefore + 1s, so an expired root still certifies the leaves it issued in time; the
 * orderer's expiration rule and TLS are what refuse them.
 */
describe('renewOrgCa of an expired CA', () => {
  let dir: string;
  let org: GeneratedOrg;
  let ref: OrgFolder;
  let expiredCaPem: string;
  let expiredAdminPem: string;

  /** Weft's MSP of the org with `rootPem` as its one root CA (the channel's view of the org). */
  const mspWithRoot = (name: string, rootPem: string): X509Msp => {
    const copy = path.join(dir, name);
    fs.cpSync(org.mspDir, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'cacerts', path.basename(org.caCertPath)), rootPem);
    return new X509Msp(loadMspConfig(copy, 'Org1MSP'));
  };
  const validates = (msp: X509Msp, certPem: string | Buffer): true | string => {
    try {
      msp.deserializeIdentity(serializeIdentity('Org1MSP', certPem)).validate();
      return true;
    } catch (err) {
      return (err as Error).message;
    }
  };

  beforeAll(async () => {
    dir = tempDir('expired-ca');
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: ['Admin'] }, dir);
    ref = { orgDir: org.orgDir, domain: 'org1.example.com' };
    const ca = loadOrgCa(org.orgDir, 'ca');
    const started = new Date(Date.now() - 2 * 365 * DAY);
    const ended = new Date(Date.now() - DAY);
    // The same CA (subject, key) as it was issued two years ago for two years less a day.
    expiredCaPem = (
      await reissue(ca.certificate.raw, undefined, {
        selfSignKey: ca.signer.privateKey,
        mutate: (c) => {
          c.notBefore = encodeTime(started);
          c.notAfter = encodeTime(ended);
        },
      })
    ).pem;
    const admin = org.users.Admin!;
    expiredAdminPem = (
      await reissue(new X509Certificate(fs.readFileSync(admin.signCertPath)).raw, undefined, {
        selfSignKey: ca.signer.privateKey,
        mutate: (c) => {
          c.notBefore = encodeTime(new Date(started.getTime() + DAY));
          c.notAfter = encodeTime(ended);
        },
      })
    ).pem;
    for (const file of [org.caCertPath, path.join(org.mspDir, 'cacerts', path.basename(org.caCertPath)), path.join(admin.mspDir, 'cacerts', path.basename(org.caCertPath))]) {
      fs.writeFileSync(file, expiredCaPem);
    }
    fs.writeFileSync(admin.signCertPath, expiredAdminPem);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the expired root still certifies the Admin it issued in time (the MSP ignores expiry): a channel still takes its signature', () => {
    expect(new Date(new X509Certificate(expiredCaPem).validTo).getTime()).toBeLessThan(Date.now());
    expect(validates(mspWithRoot('expired-root', expiredCaPem), expiredAdminPem)).toBe(true);
  });

  it('is re-issued for the same key and subject from its old start: old leaves chain to the new root', async () => {
    const renewed = await orgAuthority.renewOrgCa(ref, 'ca', { notAfter: new Date(Date.now() + 3650 * DAY) });
    const fresh = new X509Certificate(renewed.certPem);
    expect(renewed.previousPem).toBe(expiredCaPem);
    expect(fresh.validFrom).toBe(new X509Certificate(expiredCaPem).validFrom);
    expect(orgAuthority.sameCa(Buffer.from(renewed.certPem), Buffer.from(expiredCaPem))).toBe(true);
    expect(new X509Certificate(expiredAdminPem).checkIssued(fresh)).toBe(true);
    expect(new X509Certificate(expiredAdminPem).verify(fresh.publicKey)).toBe(true);
    expect(validates(mspWithRoot('renewed-root', renewed.certPem), expiredAdminPem)).toBe(true);
  });

  it('members are renewed only once the CA is (CA_EXPIRED before); a member renewed after does not verify under the expired root the channel still holds', async () => {
    const admin = org.users.Admin!;
    const before = path.join(dir, 'admin-before');
    await expect(orgAuthority.renewOrgMember(ref, path.dirname(admin.mspDir), before)).rejects.toMatchObject({ code: 'CA_EXPIRED', message: expect.stringContaining('must be renewed first') });
    expect(fs.existsSync(before)).toBe(false);

    const renewed = await orgAuthority.renewOrgCa(ref, 'ca', { notAfter: new Date(Date.now() + 3650 * DAY) });
    fs.writeFileSync(org.caCertPath, renewed.certPem);
    const after = path.join(dir, 'admin-after');
    await orgAuthority.renewOrgMember(ref, path.dirname(admin.mspDir), after);
    const newAdminPem = fs.readFileSync(path.join(after, 'msp', 'signcerts', path.basename(admin.signCertPath)));
    expect(validates(mspWithRoot('after-renewed', renewed.certPem), newAdminPem)).toBe(true);
    // Issued after the old root's end: under it, the chain is checked at a time the root had expired.
    expect(validates(mspWithRoot('after-expired', expiredCaPem), newAdminPem)).toEqual(expect.stringContaining('expired'));
  });
});
