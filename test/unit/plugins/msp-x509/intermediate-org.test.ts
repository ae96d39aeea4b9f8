import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as pkijs from 'pkijs';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { loadMspConfig, X509Msp } from '../../../../plugins/msp-x509';
import { crlSignedBy, parseGoCrl } from '../../../../plugins/msp-x509/go-crl';
import { reissueIntermediateCertificate } from '../../../../plugins/msp-x509/crypto-material/ca-renewal';
import { generateOrg, type GeneratedOrg } from '../../../../plugins/msp-x509/crypto-material/org-generator';
import { orgAuthority } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { serializeIdentity } from '../../../../plugins/msp-x509/crypto-material/test-org';
import { renewedCopies, withRenewedCa } from '../../../../cli/services/network/ca-copies';
import { mspCodeOf } from './fixtures';

const DAY_MS = 86_400_000;

async function failureOf(promise: Promise<unknown>): Promise<{ code?: string; message: string; details?: Record<string, unknown> }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as { code?: string; message: string };
}

const certOf = (file: string): X509Certificate => new X509Certificate(fs.readFileSync(file));
/** The SubjectKeyIdentifier extension's bytes, hex: what Fabric matches CRLs and chains by. */
const skiOf = (cert: X509Certificate): string | undefined => {
  const ext = pkijs.Certificate.fromBER(cert.raw).extensions?.find((e) => e.extnID === '2.5.29.14');
  return ext === undefined ? undefined : Buffer.from(ext.extnValue.valueBlock.valueHexView).toString('hex');
};

/** An org made with `intermediateCa`: its intermediate and root renewed, revoked members refused, the root key offline. */
describe('org issuing from an intermediate CA', () => {
  let tmp: string;
  let org: GeneratedOrg;
  const ref = (): { orgDir: string; domain: string } => ({ orgDir: org.orgDir, domain: org.domain });
  const memberCert = (name: string): Uint8Array => fs.readFileSync(org.users[name]!.signCertPath);
  const validate = (msp: X509Msp, cert: Uint8Array): string => mspCodeOf(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', cert)).validate());

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ica-org-'));
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', intermediateCa: true }, tmp);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('renews the intermediate re-signed by the root, same subject, key and start: members issued before validate under the MSP holding it', async () => {
    const old = certOf(org.caCertPath);
    const renewed = await orgAuthority.renewOrgCa(ref(), 'ca', { notAfter: new Date(Date.now() + 365 * DAY_MS) });
    const fresh = new X509Certificate(renewed.certPem);
    expect(renewed.fileName).toBe('ica.org1.example.com-cert.pem');
    expect([fresh.subject, fresh.issuer, fresh.validFrom]).toEqual([old.subject, old.issuer, old.validFrom]);
    expect(fresh.serialNumber).not.toBe(old.serialNumber);
    expect(fresh.publicKey.export({ type: 'spki', format: 'der' }).equals(old.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(fresh.verify(certOf(org.roots!.caCertPath).publicKey)).toBe(true);
    expect(skiOf(fresh)).toBeDefined();
    expect(skiOf(fresh)).toBe(skiOf(old));

    // The channel's MSP with the renewed intermediate in intermediate_certs and the NodeOU identifiers.
    const before = loadMspConfig(org.mspDir, 'Org1MSP');
    const after = withRenewedCa(before, orgAuthority, 'ca', renewed);
    expect(Buffer.from(after.getIntermediateCertsList_asU8()[0]!).toString()).toBe(renewed.certPem);
    expect(Buffer.from(after.getFabricNodeOus()!.getClientOuIdentifier()!.getCertificate_asU8()).toString()).toBe(renewed.certPem);
    expect(validate(new X509Msp(after), memberCert('User1'))).toBe('valid');
    expect(validate(new X509Msp(after), memberCert('Admin'))).toBe('valid');
  });

  it("names the intermediate in NodeOUs' config.yaml: naming the root instead, the MSP finds no role for its members", () => {
    const config = loadMspConfig(org.mspDir, 'Org1MSP');
    expect(validate(new X509Msp(config), memberCert('User1'))).toBe('valid');
    const ous = config.getFabricNodeOus()!;
    const root = fs.readFileSync(org.roots!.caCertPath);
    for (const id of [ous.getClientOuIdentifier(), ous.getPeerOuIdentifier(), ous.getAdminOuIdentifier(), ous.getOrdererOuIdentifier()]) id!.setCertificate(root);
    expect(validate(new X509Msp(config), memberCert('User1'))).toBe(MspErrorCode.NodeOu);
  });

  it('renews the root (rootca) for its key; the intermediate it signed still chains to it', async () => {
    const renewed = await orgAuthority.renewOrgCa(ref(), 'rootca');
    const fresh = new X509Certificate(renewed.certPem);
    expect(renewed.fileName).toBe('ca.org1.example.com-cert.pem');
    expect(fresh.issuer).toBe(fresh.subject);
    const after = withRenewedCa(loadMspConfig(org.mspDir, 'Org1MSP'), orgAuthority, 'ca', renewed);
    expect(Buffer.from(after.getRootCertsList_asU8()[0]!).toString()).toBe(renewed.certPem);
    expect(validate(new X509Msp(after), memberCert('User1'))).toBe('valid');
  });

  it('replaces a renewed TLS intermediate in every copy, the bundle in tls/ca.crt too, keeping the root beside it', async () => {
    const renewed = await orgAuthority.renewOrgCa(ref(), 'tlsca');
    const contents = renewedCopies({ organizationsDir: path.join(tmp, 'organizations') }, orgAuthority, [renewed]);
    const bundle = org.nodes.peer0!.tlsCaPath;
    const rootPem = fs.readFileSync(org.roots!.tlsCaCertPath, 'utf8');
    expect(contents.get(bundle)).toBe(`${rootPem.trimEnd()}\n${renewed.certPem.trimEnd()}\n`);
    expect(contents.get(org.tlsCaCertPath)).toBe(renewed.certPem);
    expect(contents.has(org.roots!.tlsCaCertPath)).toBe(false);
    // The org MSP and each member folder (peer0, Admin, User1) hold it in tlsintermediatecerts/.
    expect([...contents.keys()].filter((f) => f.includes('tlsintermediatecerts')).length).toBe(4);
  });

  it("refuses renewing either CA without the root's key (moved offline), naming the file; issuing goes on without it", async () => {
    fs.rmSync(path.join(org.orgDir, 'rootca', 'priv_sk'));
    for (const which of ['ca', 'rootca'] as const) {
      const err = await failureOf(orgAuthority.renewOrgCa(ref(), which));
      expect([which, err.code]).toEqual([which, 'ROOT_CA_KEY_NOT_HERE']);
      expect(err.message).toContain(path.join(org.orgDir, 'rootca', 'priv_sk'));
    }
    const [user] = await orgAuthority.issueOrgUsers(ref(), ['User9'], org.orgDir);
    expect(user!.user).toBe('User9');
    const cert = fs.readFileSync(path.join(org.orgDir, 'users/User9@org1.example.com/msp/signcerts/User9@org1.example.com-cert.pem'));
    expect(validate(new X509Msp(loadMspConfig(org.mspDir, 'Org1MSP')), cert)).toBe('valid');
  });

  it('revokes a member on a CRL the intermediate signs, which the MSP then applies', async () => {
    const crl = await orgAuthority.nextOrgCrl(ref(), [memberCert('User1')], []);
    // Signed by the issuing intermediate, as Fabric's MSP wants a CRL from the revoked certificate's own issuer.
    const intermediate = certOf(org.caCertPath);
    expect(intermediate.subject).toMatch(/CN=ica\.org1\.example\.com/);
    expect(crlSignedBy(parseGoCrl(Buffer.from(crl.pem)), intermediate)).toBe(true);
    expect(orgAuthority.orgCrlIssued(ref(), Buffer.from(crl.pem))).toBe(true);
    expect(orgAuthority.orgCrlRevokes(ref(), memberCert('User1'), [Buffer.from(crl.pem)])).toBe(true);
    const config = loadMspConfig(org.mspDir, 'Org1MSP');
    config.setRevocationListList([Buffer.from(crl.pem)]);
    const msp = new X509Msp(config);
    expect(validate(msp, memberCert('User1'))).toBe(MspErrorCode.Revoked);
    expect(validate(msp, memberCert('Admin'))).toBe('valid');
  });

  it('re-signs an intermediate only with the key of the root that signed it, capped at its end', async () => {
    const other = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', intermediateCa: true }, tmp);
    const intermediate = certOf(org.caCertPath);
    const otherRoot = certOf(other.roots!.caCertPath);
    const otherKey = createPrivateKey(fs.readFileSync(other.roots!.caKeyPath));
    expect((await failureOf(reissueIntermediateCertificate(intermediate, otherRoot, otherKey, new Date(Date.now() + DAY_MS), '--ca'))).code).toBe('CA_KEY_MISMATCH');
    const root = certOf(org.roots!.caCertPath);
    const rootKey = createPrivateKey(fs.readFileSync(org.roots!.caKeyPath));
    expect((await failureOf(reissueIntermediateCertificate(root, root, rootKey, new Date(Date.now() + DAY_MS), '--ca'))).code).toBe('CA_NOT_INTERMEDIATE');
    const long = await reissueIntermediateCertificate(intermediate, root, rootKey, new Date(Date.now() + 100 * 365 * DAY_MS), '--ca');
    expect(long.certificate.validTo).toBe(root.validTo);
  });
});
