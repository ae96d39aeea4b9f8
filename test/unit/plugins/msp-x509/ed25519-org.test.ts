import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, MspError } from '../../../../core/errors';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { X509Msp, generateOrg, loadMspConfig, loadSigningIdentity, serializeIdentity, type GeneratedOrg } from '../../../../plugins/msp-x509';
import { parseGoCertificate } from '../../../../plugins/msp-x509/go-certificate';
import { parseGoCrl } from '../../../../plugins/msp-x509/go-crl';
import {
  issueOrgPeer,
  issueOrgUsers,
  nextOrgCrl,
  orgCrlRevokes,
  renewOrgCa,
  renewOrgMember,
  type OrgFolder,
} from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { tempDir } from './fixtures';

const MESSAGE = new TextEncoder().encode('signed by a member of an ed25519 org');
const DOMAIN = 'org1.example.com';

function validation(orgMspDir: string, certFile: string, crls: readonly string[] = []): string {
  const config = loadMspConfig(orgMspDir, 'Org1MSP');
  config.setRevocationListList(crls.map((pem) => new TextEncoder().encode(pem)));
  try {
    new X509Msp(config, {}, 'MSPv3_0').deserializeIdentity(serializeIdentity('Org1MSP', fs.readFileSync(certFile))).validate();
    return 'valid';
  } catch (err) {
    if (err instanceof MspError) return err.code;
    throw err;
  }
}

function keyTypeOf(file: string): string | undefined {
  return createPrivateKey(fs.readFileSync(file)).asymmetricKeyType;
}

function certOf(file: string): X509Certificate {
  return new X509Certificate(fs.readFileSync(file));
}

/** Every file under `dir` whose name says it holds a private key or a certificate, by cryptogen's names. */
function filesUnder(dir: string, pick: (file: string) => boolean): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter(pick).map((f) => path.join(dir, f));
}

const isKey = (f: string): boolean => f.endsWith('priv_sk') || f.endsWith('.key');
const isCert = (f: string): boolean => f.endsWith('.pem') || f.endsWith('.crt');

/** Fabric 3 cryptogen with `PublicKeyAlgorithm: ed25519`: every key of the org, CA and TLS included. */
describe('an org generated with keyAlgorithm ed25519', () => {
  let dir: string;
  let org: GeneratedOrg;
  let ref: OrgFolder;

  beforeAll(async () => {
    dir = tempDir('ed25519-org');
    org = await generateOrg({ domain: DOMAIN, mspId: 'Org1MSP', kind: 'peer', nodes: ['peer0'], users: ['Admin', 'User1'], keyAlgorithm: 'ed25519' }, dir);
    ref = { orgDir: org.orgDir, domain: DOMAIN };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes every key Ed25519 (PKCS#8, as csp.GeneratePrivateKey) and signs every certificate with PureEd25519', () => {
    const keys = filesUnder(org.orgDir, isKey);
    expect(keys.length).toBe(2 + 3 * 2); // CA, TLS CA, then a signing and a TLS key per member
    for (const key of keys) {
      expect([path.relative(org.orgDir, key), keyTypeOf(key)]).toEqual([path.relative(org.orgDir, key), 'ed25519']);
      expect(fs.readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    }
    for (const file of filesUnder(org.orgDir, isCert)) {
      const cert = certOf(file);
      expect([path.relative(org.orgDir, file), cert.publicKey.asymmetricKeyType]).toEqual([path.relative(org.orgDir, file), 'ed25519']);
      expect(parseGoCertificate(new Uint8Array(cert.raw)).signatureAlgorithm).toBe('1.3.101.112');
    }
    // TLS: KeyUsage digitalSignature|keyEncipherment and EKU serverAuth+clientAuth, as GenerateLocalMSP asks whatever the key.
    const tls = parseGoCertificate(new Uint8Array(certOf(org.nodes.peer0!.tlsCertPath).raw));
    expect(tls.keyUsage).toBe(0b101);
    expect(tls.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it("gives every member an identity its org's MSP validates and whose Ed25519 signatures verify", () => {
    for (const member of [org.nodes.peer0!, org.users.Admin!, org.users.User1!]) {
      expect([member.name, validation(org.mspDir, member.signCertPath)]).toEqual([member.name, 'valid']);
      const signer = loadSigningIdentity(member.mspDir, 'Org1MSP');
      expect(signer.keyType).toBe('ed25519');
      expect(signer.verify(MESSAGE, signer.sign(MESSAGE))).toBe(true);
    }
  });

  it("issues users and peers later with the org's algorithm, read from its CA", async () => {
    await issueOrgUsers(ref, ['User2'], org.orgDir);
    await issueOrgPeer(ref, { name: 'peer1', sans: [] }, org.orgDir);
    for (const member of [`users/User2@${DOMAIN}`, `peers/peer1.${DOMAIN}`]) {
      for (const key of filesUnder(path.join(org.orgDir, member), isKey)) expect([key, keyTypeOf(key)]).toEqual([key, 'ed25519']);
      const signcert = filesUnder(path.join(org.orgDir, member, 'msp', 'signcerts'), isCert)[0]!;
      expect(validation(org.mspDir, signcert)).toBe('valid');
    }
  });

  it('renews a member with new Ed25519 keys, and re-issues the Ed25519 CA so that what it issued still chains', async () => {
    const out = path.join(dir, 'renewed-user1');
    await renewOrgMember(ref, org.users.User1!.dir, out);
    const renewedCert = path.join(out, 'msp', 'signcerts', `User1@${DOMAIN}-cert.pem`);
    expect(keyTypeOf(path.join(out, 'msp', 'keystore', 'priv_sk'))).toBe('ed25519');
    expect(keyTypeOf(path.join(out, 'tls', 'client.key'))).toBe('ed25519');
    expect(certOf(renewedCert).serialNumber).not.toBe(certOf(org.users.User1!.signCertPath).serialNumber);
    expect(validation(org.mspDir, renewedCert)).toBe('valid');

    const renewedCa = await renewOrgCa(ref, 'ca', { notAfter: new Date(Date.now() + 20 * 365 * 24 * 3600 * 1000) });
    const ca = new X509Certificate(renewedCa.certPem);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(parseGoCertificate(new Uint8Array(ca.raw)).signatureAlgorithm).toBe('1.3.101.112');
    expect(certOf(org.users.Admin!.signCertPath).verify(ca.publicKey)).toBe(true);
  });

  it("revokes with a CRL the Ed25519 CA signs, which the org's MSP honours", async () => {
    const victim = fs.readFileSync(org.users.Admin!.signCertPath);
    const crl = await nextOrgCrl(ref, [victim], []);
    expect(parseGoCrl(Buffer.from(crl.pem)).signatureAlgorithm).toBe('1.3.101.112');
    expect(orgCrlRevokes(ref, victim, [Buffer.from(crl.pem)])).toBe(true);
    expect(validation(org.mspDir, org.users.Admin!.signCertPath, [crl.pem])).toBe(MspErrorCode.Revoked);
    expect(validation(org.mspDir, org.nodes.peer0!.signCertPath, [crl.pem])).toBe('valid');
  });

  it('refuses a PKCS#11 token for its members (the token makes P-256 keys), before writing anything', async () => {
    const token = { library: '/nonexistent/libsofthsm2.so', label: 'weft', pin: '1234' };
    const err = await issueOrgPeer(ref, { name: 'peer9', sans: [] }, org.orgDir, { signingKeys: token }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('INIT_OPTIONS_INVALID');
    expect((err as ConfigError).message).toMatch(/--hsm-library.*Ed25519 CA/);
    expect(fs.existsSync(path.join(org.orgDir, 'peers', `peer9.${DOMAIN}`))).toBe(false);

    const other = tempDir('ed25519-token');
    try {
      const refused = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', keyAlgorithm: 'ed25519', signingKeys: token }, other).catch((e: unknown) => e);
      expect((refused as ConfigError).code).toBe('CRYPTO_SPEC_INVALID');
      expect((refused as ConfigError).message).toMatch(/keyAlgorithm: ed25519 keys cannot be generated in the PKCS#11 token/);
      expect(fs.existsSync(path.join(other, 'organizations'))).toBe(false);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
