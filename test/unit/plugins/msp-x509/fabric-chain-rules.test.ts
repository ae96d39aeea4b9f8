import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { MSPPrincipal, OrganizationUnit } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MspError } from '../../../../core/errors';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { X509Msp, createTestOrg, encodeName, serializeIdentity, type TestIdentity, type TestOrg } from '../../../../plugins/msp-x509';
import { SignatureSet } from '../../../../plugins/policy-fabric';
import { OIDS, ekuExtension, ext, highSTwin, reissue, setExtensions } from './cert-forge';
import { mspCodeOf as codeOf, signWith } from './fixtures';

/**
 * Identity rules of Fabric's MSP that come from Go's crypto/x509 (`Certificate.Verify` with the
 * options `getValidityOptsForCert` builds) and from `sanitizeCert`. Each case is one where Weft,
 * building chains with OpenSSL's rules, used to disagree with a Fabric peer.
 */

function identityPrincipal(serialized: Uint8Array): MSPPrincipal {
  const p = new MSPPrincipal();
  p.setPrincipalClassification(MSPPrincipal.Classification.IDENTITY);
  p.setPrincipal(serialized);
  return p;
}

const MESSAGE = new TextEncoder().encode('endorsement bytes');

describe('X509Msp follows Go x509 chain building and Fabric sanitizeCert', () => {
  let org: TestOrg;
  let msp: X509Msp;
  let user: TestIdentity;

  beforeAll(async () => {
    org = await createTestOrg({ mspId: 'Org1MSP' });
    msp = new X509Msp(org.mspConfig());
    user = await org.issue('user', { role: 'peer' });
  });

  const validity = (pem: string): string => codeOf(() => new X509Msp(org.mspConfig()).deserializeIdentity(serializeIdentity('Org1MSP', pem)).validate());

  it('gives a certificate and its high-S twin one id, so a policy counts the signer once', () => {
    const twin = highSTwin(new Uint8Array(user.certificate.raw));
    const low = msp.deserializeIdentity(user.serialized);
    const high = msp.deserializeIdentity(serializeIdentity('Org1MSP', twin.pem));
    expect(validity(twin.pem)).toBe('valid');
    expect(high.id).toBe(low.id);
    expect(low.id).toBe(createHash('sha256').update(user.certificate.raw).digest('hex'));
    expect(high.satisfiesPrincipal(identityPrincipal(user.serialized))).toBe(true);
    const sig = signWith(user.privateKey, MESSAGE);
    const set = new SignatureSet(
      [
        { data: MESSAGE, identity: user.serialized, signature: sig },
        { data: MESSAGE, identity: high.serialized, signature: sig },
      ],
      msp,
    );
    expect([set.isEffective(0), set.isEffective(1)]).toEqual([true, false]);
  });

  it('matches a listed admin against its high-S twin', async () => {
    const admin = await org.issue('listed-admin', { role: 'client' });
    const config = org.mspConfig();
    config.setAdminsList([admin.credentials]);
    const withAdmin = new X509Msp(config);
    const twin = withAdmin.deserializeIdentity(serializeIdentity('Org1MSP', highSTwin(new Uint8Array(admin.certificate.raw)).pem));
    expect(withAdmin.isListedAdmin(twin)).toBe(true);
  });

  it('computes certifiers identifiers over the sanitized (low-S) CA certificate', async () => {
    const highRoot = highSTwin(new Uint8Array(org.ca.certificate.raw));
    const config = org.mspConfig();
    config.setRootCertsList([new TextEncoder().encode(highRoot.pem)]);
    for (const ou of [config.getFabricNodeOus()!.getClientOuIdentifier()!, config.getFabricNodeOus()!.getPeerOuIdentifier()!]) {
      ou.setCertificate(new TextEncoder().encode(highRoot.pem));
    }
    const sanitizedMsp = new X509Msp(config);
    const peer = sanitizedMsp.deserializeIdentity(user.serialized);
    const o = new OrganizationUnit();
    o.setMspIdentifier('Org1MSP');
    o.setOrganizationalUnitIdentifier('peer');
    o.setCertifiersIdentifier(createHash('sha256').update(org.ca.certificate.raw).digest());
    const p = new MSPPrincipal();
    p.setPrincipalClassification(MSPPrincipal.Classification.ORGANIZATION_UNIT);
    p.setPrincipal(o.serializeBinary());
    expect(peer.satisfiesPrincipal(p)).toBe(true);
  });

  it('refuses a chain with an ExtKeyUsage lacking serverAuth (Go defaults KeyUsages to ServerAuth) and accepts any/serverAuth', async () => {
    const der = new Uint8Array(user.certificate.raw);
    const withEku = async (...purposes: string[]): Promise<string> =>
      validity((await reissue(der, org.ca, { mutate: (c) => setExtensions(c, ekuExtension(...purposes)) })).pem);
    expect(await withEku(OIDS.clientAuth)).toBe(MspErrorCode.UntrustedChain);
    expect(await withEku(OIDS.serverAuth)).toBe('valid');
    expect(await withEku(OIDS.clientAuth, OIDS.serverAuth)).toBe('valid');
    expect(await withEku(OIDS.anyEku)).toBe('valid');
  });

  it('refuses an identity with an unknown critical extension and accepts it non-critical', async () => {
    const der = new Uint8Array(user.certificate.raw);
    const unknown = (critical: boolean) => ext('1.2.3.4.5', critical, new asn1js.Null());
    expect(validity((await reissue(der, org.ca, { mutate: (c) => setExtensions(c, unknown(true)) })).pem)).toBe(MspErrorCode.UntrustedChain);
    expect(validity((await reissue(der, org.ca, { mutate: (c) => setExtensions(c, unknown(false)) })).pem)).toBe('valid');
  });

  it('refuses at parse time what Go x509.ParseCertificate refuses (critical SKI, negative serial, duplicate extension)', async () => {
    const der = new Uint8Array(user.certificate.raw);
    const critSki = await reissue(der, org.ca, { mutate: (c) => setExtensions(c, ext(OIDS.subjectKeyId, true, new asn1js.OctetString({ valueHex: new Uint8Array(20).buffer }))) });
    expect(codeOf(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', critSki.pem)))).toBe(MspErrorCode.BadPem);
    const negative = await reissue(der, org.ca, { mutate: (c) => (c.serialNumber = new asn1js.Integer({ value: -5 })) });
    expect(codeOf(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', negative.pem)))).toBe(MspErrorCode.BadPem);
    const twice = await reissue(der, org.ca, { mutate: (c) => (c.extensions = [...(c.extensions ?? []), ext('1.2.3.4.6', false, new asn1js.Null()), ext('1.2.3.4.6', false, new asn1js.Null())]) });
    expect(codeOf(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', twice.pem)))).toBe(MspErrorCode.BadPem);
  });

  it('checks every CA of the chain at the identity NotBefore + 1s, not now', async () => {
    const young = await createTestOrg({ mspId: 'YoungMSP', caNotBefore: new Date(Date.now() - 3600_000) });
    const youngMsp = new X509Msp(young.mspConfig());
    const before = await young.issue('older-than-ca', { notBefore: new Date(Date.now() - 7200_000) });
    const after = await young.issue('newer-than-ca', { notBefore: new Date(Date.now() - 60_000) });
    expect(codeOf(() => youngMsp.deserializeIdentity(before.serialized).validate())).toBe(MspErrorCode.UntrustedChain);
    expect(codeOf(() => youngMsp.deserializeIdentity(after.serialized).validate())).toBe('valid');
  });

  it('matches issuer and subject names byte for byte, as Go does (OpenSSL folds case)', async () => {
    const der = new Uint8Array(user.certificate.raw);
    const shouting = encodeName({ country: 'US', province: 'California', locality: 'San Francisco', organization: org.domain, commonName: `CA.${org.domain.toUpperCase()}` });
    const renamed = await reissue(der, org.ca, { mutate: (c) => (c.issuer = shouting) });
    expect(validity(renamed.pem)).toBe(MspErrorCode.UntrustedChain);
  });

  it('does not require the AuthorityKeyIdentifier to match the CA SubjectKeyIdentifier (Go only orders candidates by it)', async () => {
    const der = new Uint8Array(user.certificate.raw);
    const aki = ext(OIDS.authorityKeyId, false, new asn1js.Sequence({ value: [new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: new Uint8Array(20).fill(7).buffer })] }));
    expect(validity((await reissue(der, org.ca, { mutate: (c) => setExtensions(c, aki) })).pem)).toBe('valid');
  });

  it('refuses certificates signed with ecdsa-with-SHA1 (Go InsecureAlgorithmError)', async () => {
    const sha1 = await reissue(new Uint8Array(user.certificate.raw), org.ca, { hash: 'SHA-1' });
    expect(validity(sha1.pem)).toBe(MspErrorCode.UntrustedChain);
  });

  it('refuses a config listing an intermediate as a root too (Fabric cannot sanitize it: its chain is itself)', async () => {
    const deep = await createTestOrg({ mspId: 'DeepMSP', intermediate: true });
    const leaf = await deep.issue('leaf', { role: 'peer' });
    const config = deep.mspConfig();
    expect(codeOf(() => new X509Msp(config).deserializeIdentity(leaf.serialized).validate())).toBe('valid');
    config.setRootCertsList([...config.getRootCertsList_asU8(), new TextEncoder().encode(deep.intermediateCa!.certPem)]);
    let err: unknown;
    try {
      new X509Msp(config);
    } catch (e) {
      err = e;
    }
    expect((err as MspError).code).toBe(MspErrorCode.BadConfig);
    expect((err as MspError).message).toContain('failed to traverse certificate verification chain');
  });
});

describe('X509Msp applies name constraints as Go x509 does', () => {
  let deep: TestOrg;
  let msp: X509Msp;

  /** NameConstraints permitting the DNS subtree `domain`. */
  function permitDns(domain: string): ReturnType<typeof ext> {
    const base = new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 }, valueHex: new TextEncoder().encode(domain).buffer as ArrayBuffer });
    const permitted = new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Sequence({ value: [base] })] });
    return ext('2.5.29.30', true, new asn1js.Sequence({ value: [permitted] }));
  }

  beforeAll(async () => {
    deep = await createTestOrg({ mspId: 'DeepMSP', intermediate: true });
    const constrained = await reissue(new Uint8Array(deep.intermediateCa!.certificate.raw), deep.ca, { mutate: (c) => setExtensions(c, permitDns('deep.example.com')) });
    const config = deep.mspConfig();
    const pem = new TextEncoder().encode(constrained.pem);
    config.setIntermediateCertsList([pem]);
    const ous = config.getFabricNodeOus()!;
    for (const ou of [ous.getClientOuIdentifier(), ous.getPeerOuIdentifier(), ous.getAdminOuIdentifier(), ous.getOrdererOuIdentifier()]) ou!.setCertificate(pem);
    msp = new X509Msp(config);
  });

  const issue = async (commonName: string, subjectAltNames?: string[]): Promise<string> => {
    const cert = await deep.intermediateCa!.issue({ commonName, organizationalUnits: ['peer'], subjectAltNames });
    return codeOf(() => msp.deserializeIdentity(serializeIdentity('DeepMSP', cert.certPem)).validate());
  };

  it('accepts SANs inside the permitted subtree and refuses those outside', async () => {
    expect(await issue('Peer Zero', ['peer0.deep.example.com'])).toBe('valid');
    expect(await issue('Peer Zero', ['peer0.evil.example.org'])).toBe(MspErrorCode.UntrustedChain);
  });

  it('refuses a SAN-less leaf whose CN looks like a host name under a constrained CA (Fabric verifyLegacyNameConstraints)', async () => {
    expect(await issue('peer0.deep.example.com')).toBe(MspErrorCode.UntrustedChain);
    expect(await issue('Peer Zero')).toBe('valid');
  });
});
