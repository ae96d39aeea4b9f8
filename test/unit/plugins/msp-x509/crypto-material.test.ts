import { X509Certificate, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as pkijs from 'pkijs';
import { ConfigError } from '../../../../core/errors';
import { CertificateAuthority, createTestOrg, fromPem, generateOrg, type GeneratedOrg } from '../../../../plugins/msp-x509';
import { tempDir } from './fixtures';

const MESSAGE = Buffer.from('signed by a generated key');

function cert(file: string): X509Certificate {
  return new X509Certificate(fs.readFileSync(file));
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

describe('generateOrg (cryptogen layout)', () => {
  let dir: string;
  let peerOrg: GeneratedOrg;
  let ordererOrg: GeneratedOrg;

  beforeAll(async () => {
    dir = tempDir('gen');
    peerOrg = await generateOrg(
      { domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', nodes: ['peer0', 'peer1'], users: ['Admin', 'User1'], nodeSans: { peer1: ['10.0.0.7', 'vm7.internal'] } },
      dir,
    );
    ordererOrg = await generateOrg({ domain: 'example.com', mspId: 'OrdererMSP', kind: 'orderer', sans: ['orderer.internal'] }, dir);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the folders and file names cryptogen writes', () => {
    const org = path.join(dir, 'organizations/peerOrganizations/org1.example.com');
    const expected = [
      'ca/ca.org1.example.com-cert.pem',
      'ca/priv_sk',
      'tlsca/tlsca.org1.example.com-cert.pem',
      'tlsca/priv_sk',
      'msp/cacerts/ca.org1.example.com-cert.pem',
      'msp/tlscacerts/tlsca.org1.example.com-cert.pem',
      'msp/config.yaml',
      'peers/peer0.org1.example.com/msp/cacerts/ca.org1.example.com-cert.pem',
      'peers/peer0.org1.example.com/msp/keystore/priv_sk',
      'peers/peer0.org1.example.com/msp/signcerts/peer0.org1.example.com-cert.pem',
      'peers/peer0.org1.example.com/msp/tlscacerts/tlsca.org1.example.com-cert.pem',
      'peers/peer0.org1.example.com/msp/config.yaml',
      'peers/peer0.org1.example.com/tls/ca.crt',
      'peers/peer0.org1.example.com/tls/server.crt',
      'peers/peer0.org1.example.com/tls/server.key',
      'peers/peer1.org1.example.com/tls/server.crt',
      'users/Admin@org1.example.com/msp/signcerts/Admin@org1.example.com-cert.pem',
      'users/Admin@org1.example.com/msp/keystore/priv_sk',
      'users/Admin@org1.example.com/tls/ca.crt',
      'users/Admin@org1.example.com/tls/client.crt',
      'users/Admin@org1.example.com/tls/client.key',
      'users/User1@org1.example.com/msp/signcerts/User1@org1.example.com-cert.pem',
    ];
    for (const rel of expected) expect([rel, fs.existsSync(path.join(org, rel))]).toEqual([rel, true]);
    expect(peerOrg.orgDir).toBe(org);
    expect(fs.existsSync(path.join(dir, 'organizations/ordererOrganizations/example.com/orderers/orderer.example.com/tls/server.crt'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'organizations/ordererOrganizations/example.com/users/Admin@example.com/msp/keystore/priv_sk'))).toBe(true);
    // No temporary folder is left next to the orgs.
    expect(fs.readdirSync(path.dirname(org))).toEqual(['org1.example.com']);
  });

  it('writes every private key with mode 0600 and certificates world-readable', () => {
    const keys = [
      peerOrg.caKeyPath,
      peerOrg.tlsCaKeyPath,
      peerOrg.nodes.peer0.keyPath,
      peerOrg.nodes.peer0.tlsKeyPath,
      peerOrg.users.Admin.keyPath,
      peerOrg.users.User1.tlsKeyPath,
      ordererOrg.nodes.orderer.keyPath,
    ];
    for (const k of keys) expect([k, mode(k).toString(8)]).toEqual([k, '600']);
    expect(mode(peerOrg.nodes.peer0.signCertPath)).toBe(0o644);
    const pem = fs.readFileSync(peerOrg.nodes.peer0.keyPath, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(pem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('issues a self-signed P-256 CA with CA constraints and key usages that node:crypto accepts', () => {
    const ca = cert(peerOrg.caCertPath);
    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.subject.split('\n')).toEqual(['C=US', 'ST=California', 'L=San Francisco', 'O=org1.example.com', 'CN=ca.org1.example.com']);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const parsed = pkijs.Certificate.fromBER(ca.raw);
    const ext = (oid: string): pkijs.Extension | undefined => parsed.extensions?.find((e) => e.extnID === oid);
    expect(ext('2.5.29.19')?.critical).toBe(true);
    expect((ext('2.5.29.19')?.parsedValue as pkijs.BasicConstraints).cA).toBe(true);
    expect(ext('2.5.29.14')).toBeDefined();
    const ku = new Uint8Array((ext('2.5.29.15')?.parsedValue as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView);
    expect(ku[0] & 0x04).toBe(0x04); // keyCertSign
    expect(ku[0] & 0x02).toBe(0x02); // cRLSign
  });

  it('issues node and user certificates chained to the CA, with the NodeOU role in OU', () => {
    const ca = cert(peerOrg.caCertPath);
    const cases: [string, string][] = [
      [peerOrg.nodes.peer0.signCertPath, 'peer'],
      [peerOrg.users.Admin.signCertPath, 'admin'],
      [peerOrg.users.User1.signCertPath, 'client'],
      [ordererOrg.nodes.orderer.signCertPath, 'orderer'],
    ];
    for (const [file, ou] of cases) {
      const leaf = cert(file);
      const issuer = file.startsWith(ordererOrg.orgDir) ? cert(ordererOrg.caCertPath) : ca;
      expect(leaf.checkIssued(issuer)).toBe(true);
      expect(leaf.verify(issuer.publicKey)).toBe(true);
      expect(leaf.ca).toBe(false);
      expect(leaf.subject.split('\n')).toContain(`OU=${ou}`);
    }
    const peer = cert(peerOrg.nodes.peer0.signCertPath);
    expect(peer.subject.split('\n')).toEqual(['C=US', 'ST=California', 'L=San Francisco', 'O=org1.example.com', 'OU=peer', 'CN=peer0.org1.example.com']);
    expect(peer.checkIssued(cert(ordererOrg.caCertPath))).toBe(false);
  });

  it('gives each signing certificate the key stored in its keystore', () => {
    for (const m of [peerOrg.nodes.peer0, peerOrg.users.User1, ordererOrg.users.Admin]) {
      const key = createPrivateKey(fs.readFileSync(m.keyPath));
      const sig = sign('sha256', MESSAGE, key);
      expect(verify('sha256', MESSAGE, cert(m.signCertPath).publicKey, sig)).toBe(true);
      const tlsKey = createPrivateKey(fs.readFileSync(m.tlsKeyPath));
      expect(createPublicKey(tlsKey).export({ type: 'spki', format: 'der' })).toEqual(cert(m.tlsCertPath).publicKey.export({ type: 'spki', format: 'der' }));
    }
  });

  it('issues TLS server certificates from the TLS CA with SANs for the host, localhost and 127.0.0.1', () => {
    const tls = cert(peerOrg.nodes.peer0.tlsCertPath);
    const tlsCa = cert(peerOrg.tlsCaCertPath);
    expect(tls.checkIssued(tlsCa)).toBe(true);
    expect(tls.verify(tlsCa.publicKey)).toBe(true);
    expect(fs.readFileSync(peerOrg.nodes.peer0.tlsCaPath, 'utf8')).toBe(tlsCa.toString());
    expect(tls.subjectAltName?.split(', ')).toEqual(['DNS:peer0.org1.example.com', 'DNS:peer0', 'DNS:localhost', 'IP Address:127.0.0.1']);
    expect(tls.checkHost('localhost')).toBe('localhost');
    expect(tls.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(tls.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(cert(ordererOrg.nodes.orderer.tlsCertPath).subjectAltName).toContain('DNS:orderer.internal');
    // A node's own SANs go on its certificate only.
    const peer1 = cert(peerOrg.nodes.peer1.tlsCertPath);
    expect(peer1.subjectAltName?.split(', ')).toEqual(['DNS:peer1.org1.example.com', 'DNS:peer1', 'DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:10.0.0.7', 'DNS:vm7.internal']);
    expect(peer1.checkIP('10.0.0.7')).toBe('10.0.0.7');
    expect(tls.checkIP('10.0.0.7')).toBeUndefined();
    expect(cert(peerOrg.nodes.peer0.tlsCertPath).checkIssued(cert(peerOrg.caCertPath))).toBe(false);
  });

  it('writes config.yaml with NodeOUs pointing at the CA certificate', () => {
    for (const mspDir of [peerOrg.mspDir, peerOrg.nodes.peer0.mspDir, peerOrg.users.User1.mspDir]) {
      const config = parseYaml(fs.readFileSync(path.join(mspDir, 'config.yaml'), 'utf8'));
      expect(config.NodeOUs.Enable).toBe(true);
      for (const [key, ou] of [
        ['ClientOUIdentifier', 'client'],
        ['PeerOUIdentifier', 'peer'],
        ['AdminOUIdentifier', 'admin'],
        ['OrdererOUIdentifier', 'orderer'],
      ]) {
        expect(config.NodeOUs[key]).toEqual({ Certificate: 'cacerts/ca.org1.example.com-cert.pem', OrganizationalUnitIdentifier: ou });
      }
      expect(fs.readFileSync(path.join(mspDir, 'cacerts/ca.org1.example.com-cert.pem'), 'utf8')).toBe(fs.readFileSync(peerOrg.caCertPath, 'utf8'));
    }
  });

  it('refuses to overwrite an existing org and rejects an invalid spec with a ConfigError', async () => {
    await expect(generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir)).rejects.toMatchObject({
      name: 'ConfigError',
      code: 'CRYPTO_MATERIAL_EXISTS',
    });
    const bad = generateOrg({ domain: 'not a domain', mspId: 'X', kind: 'peer' }, dir);
    await expect(bad).rejects.toBeInstanceOf(ConfigError);
    await expect(bad).rejects.toMatchObject({ code: 'CRYPTO_SPEC_INVALID', details: { path: 'domain' } });
    await expect(generateOrg({ domain: 'org9.example.com', mspId: 'Org9MSP', kind: 'peer', nodeSans: { peer7: ['10.0.0.7'] } }, dir)).rejects.toMatchObject({
      code: 'CRYPTO_SPEC_INVALID',
      message: expect.stringContaining('no node peer7 in org9.example.com (nodes: peer0)'),
    });
    expect(fs.existsSync(path.join(dir, 'organizations', 'peerOrganizations', 'org9.example.com'))).toBe(false);
  });
});

describe('CertificateAuthority and TestOrg', () => {
  it('issues CRLs signed by the CA that list revoked serials', async () => {
    const ca = await CertificateAuthority.createRoot({ commonName: 'ca.crl.example.com', organization: 'crl.example.com' });
    const a = await ca.issue({ commonName: 'a', organizationalUnits: ['client'] });
    const b = await ca.issue({ commonName: 'b', organizationalUnits: ['client'] });
    ca.revoke(a.serialNumber);
    const crl = pkijs.CertificateRevocationList.fromBER(fromPem('X509 CRL', await ca.crl()) as Uint8Array);
    const serials = (crl.revokedCertificates ?? []).map((r) => Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex').toUpperCase().replace(/^0+/, ''));
    expect(serials).toEqual([a.serialNumber]);
    expect(serials).not.toContain(b.serialNumber);
    expect(verify('sha256', crl.tbsView, ca.certificate.publicKey, crl.signatureValue.valueBlock.valueHexView)).toBe(true);
    expect(a.certificate.serialNumber.toUpperCase().replace(/^0+/, '')).toBe(a.serialNumber);
  });

  it('issues expired, P-384, Ed25519 and secp256k1 identities on request', async () => {
    const org = await createTestOrg({ mspId: 'HostileMSP' });
    const expired = await org.issue('old', { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    expect(new Date(expired.certificate.validTo).getTime()).toBe(Date.parse('2021-01-01T00:00:00Z'));
    const curves = await Promise.all((['P-384', 'secp256k1'] as const).map((keyAlgorithm) => org.issue(keyAlgorithm, { keyAlgorithm })));
    expect(curves.map((c) => c.certificate.publicKey.asymmetricKeyDetails?.namedCurve)).toEqual(['secp384r1', 'secp256k1']);
    const ed = await org.issue('ed', { keyAlgorithm: 'Ed25519' });
    expect(ed.certificate.publicKey.asymmetricKeyType).toBe('ed25519');
    for (const c of [expired, ...curves, ed]) expect(c.certificate.verify(org.ca.certificate.publicKey)).toBe(true);
  });

  it('chains identities through an intermediate CA when asked', async () => {
    const org = await createTestOrg({ mspId: 'DeepMSP', intermediate: true });
    const id = await org.issue('deep');
    expect(id.certificate.checkIssued(org.intermediateCa!.certificate)).toBe(true);
    expect(org.intermediateCa!.certificate.verify(org.ca.certificate.publicKey)).toBe(true);
    expect(org.mspConfig().getIntermediateCertsList_asU8()).toHaveLength(1);
  });
});
