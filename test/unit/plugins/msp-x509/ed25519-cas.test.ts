import { createHash } from 'node:crypto';
import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { MSP_VERSIONS, type MspVersion } from '../../../../core/msp/msp-version';
import { CertificateAuthority, X509Msp, buildCrl, createTestOrg, encodeName, serializeIdentity, type TestOrg } from '../../../../plugins/msp-x509';
import { parseGoCertificate } from '../../../../plugins/msp-x509/go-certificate';
import { mspCodeOf as codeOf, signWith } from './fixtures';
import { rolePrincipal } from '../../../../core/policy/policy-expression';

const MESSAGE = new TextEncoder().encode('proposal bytes exactly as signed');
/** AlgorithmIdentifier { id-Ed25519 } with no parameters: what Go's x509 writes for PureEd25519. */
const ED25519_ALGORITHM_ID_HEX = '300506032b6570';

const bytes = (pem: string): Uint8Array => new TextEncoder().encode(pem);

/**
 * Orgs whose CAs sign with Ed25519, as Fabric 3's cryptogen makes them (`PublicKeyAlgorithm:
 * ed25519`): Fabric's MSP imports any CA key its BCCSP knows (`getIdentityFromConf`) and checks
 * chains with Go's `x509.Verify`, which verifies PureEd25519; only identities' own keys are held to
 * `supportedPublicKeyAlgorithms`, to which `setupV3` adds Ed25519.
 */
describe('X509Msp with Ed25519 CAs (Fabric 3 cryptogen ed25519 orgs)', () => {
  let org: TestOrg;
  let deep: TestOrg;

  beforeAll(async () => {
    org = await createTestOrg({ mspId: 'Org1MSP', caKeyAlgorithm: 'Ed25519' });
    deep = await createTestOrg({ mspId: 'Org2MSP', caKeyAlgorithm: 'Ed25519', intermediate: true });
  });

  it("writes the CA and its certificates as cryptogen's ca.go does for an Ed25519 key", async () => {
    const user = await org.issue('User1', { keyAlgorithm: 'Ed25519' });
    const caFields = parseGoCertificate(new Uint8Array(org.ca.certificate.raw));
    const userFields = parseGoCertificate(new Uint8Array(user.certificate.raw));
    for (const fields of [caFields, userFields]) {
      expect(fields.signatureAlgorithm).toBe('1.3.101.112');
      expect(Buffer.from(fields.rawSignatureAlgorithm).toString('hex')).toBe(ED25519_ALGORITHM_ID_HEX);
      expect(fields.signature).toHaveLength(64);
    }
    // computeSKI: SHA-256 over the raw 32-byte Ed25519 public key.
    const rawCaKey = org.ca.certificate.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
    expect(Buffer.from(caFields.subjectKeyId!)).toEqual(createHash('sha256').update(rawCaKey).digest());
    expect(org.ca.certificate.publicKey.asymmetricKeyType).toBe('ed25519');
    // digitalSignature | keyEncipherment | certSign | cRLSign, as NewCA sets whatever the key.
    expect(caFields.keyUsage).toBe(0b1100101);
    expect(caFields.isCa).toBe(true);
    expect(user.certificate.verify(org.ca.certificate.publicKey)).toBe(true);
    expect(user.certificate.checkIssued(org.ca.certificate)).toBe(true);
  });

  it('accepts identities of an Ed25519 root under MSPv3_0: they validate, verify signatures and satisfy MEMBER', async () => {
    const msp = new X509Msp(org.mspConfig(), {}, 'MSPv3_0');
    for (const role of ['client', 'peer', 'admin', 'orderer'] as const) {
      const issued = await org.issue(`${role}-ed`, { role, keyAlgorithm: 'Ed25519' });
      const id = msp.deserializeIdentity(issued.serialized);
      expect([role, codeOf(() => id.validate())]).toEqual([role, 'valid']);
      expect(id.verify(MESSAGE, signWith(issued.privateKey, MESSAGE))).toBe(true);
      expect(id.verify(MESSAGE, signWith(issued.privateKey, new TextEncoder().encode('other bytes')))).toBe(false);
      expect(id.satisfiesPrincipal(rolePrincipal('Org1MSP', 'member'))).toBe(true);
    }
  });

  it('accepts identities of an Ed25519 intermediate and refuses those of the Ed25519 root above it (not a leaf CA)', async () => {
    const msp = new X509Msp(deep.mspConfig(), {}, 'MSPv3_0');
    const fromIntermediate = await deep.issue('ica-user', { keyAlgorithm: 'Ed25519' });
    const fromRoot = await deep.issue('root-user', { keyAlgorithm: 'Ed25519', issuer: 'root' });
    expect(deep.intermediateCa!.certificate.verify(deep.ca.certificate.publicKey)).toBe(true);
    expect(codeOf(() => msp.deserializeIdentity(fromIntermediate.serialized).validate())).toBe('valid');
    expect(codeOf(() => msp.deserializeIdentity(fromRoot.serialized).validate())).toBe(MspErrorCode.NotLeafCa);
  });

  it('revokes through a CRL the Ed25519 CA signed, and ignores one with its AKI signed by another key', async () => {
    const revokedOrg = await createTestOrg({ mspId: 'Org3MSP', caKeyAlgorithm: 'Ed25519', intermediate: true });
    const victim = await revokedOrg.issue('victim', { keyAlgorithm: 'Ed25519' });
    const bystander = await revokedOrg.issue('bystander', { keyAlgorithm: 'Ed25519' });
    await revokedOrg.revoke(victim);
    const msp = new X509Msp(revokedOrg.mspConfig(), {}, 'MSPv3_0');
    expect(codeOf(() => msp.deserializeIdentity(victim.serialized).validate())).toBe(MspErrorCode.Revoked);
    expect(codeOf(() => msp.deserializeIdentity(bystander.serialized).validate())).toBe('valid');

    // A forger with the CA's name and SKI but its own key: Fabric's CheckCRLSignature fails, the identity stands.
    const forger = await createTestOrg({ mspId: 'Org3MSP', caKeyAlgorithm: 'Ed25519', intermediate: true });
    const honest = await createTestOrg({ mspId: 'Org3MSP', caKeyAlgorithm: 'Ed25519', intermediate: true });
    const target = await honest.issue('target', { keyAlgorithm: 'Ed25519' });
    const forgedCrl = await forgedCrlOf(forger.intermediateCa!, honest.intermediateCa!, target.serialNumber);
    const config = honest.mspConfig();
    config.setRevocationListList([bytes(forgedCrl)]);
    expect(codeOf(() => new X509Msp(config, {}, 'MSPv3_0').deserializeIdentity(target.serialized).validate())).toBe('valid');
  });

  it('accepts mixed chains: ECDSA identities of an Ed25519 CA, Ed25519 identities of an ECDSA CA, and an Ed25519 intermediate under an ECDSA root', async () => {
    const ecdsaLeaf = await org.issue('ecdsa-user', { keyAlgorithm: 'P-256' });
    expect(codeOf(() => new X509Msp(org.mspConfig(), {}, 'MSPv3_0').deserializeIdentity(ecdsaLeaf.serialized).validate())).toBe('valid');

    const ecdsaOrg = await createTestOrg({ mspId: 'Org4MSP' });
    const edLeaf = await ecdsaOrg.issue('ed-user', { keyAlgorithm: 'Ed25519' });
    expect(codeOf(() => new X509Msp(ecdsaOrg.mspConfig(), {}, 'MSPv3_0').deserializeIdentity(edLeaf.serialized).validate())).toBe('valid');

    const root = await CertificateAuthority.createRoot({ commonName: 'ca.org5.example.com', organization: 'org5.example.com', notBefore: new Date('2000-01-01T00:00:00Z') });
    const intermediate = await root.createIntermediate({ commonName: 'ica.org5.example.com', keyAlgorithm: 'Ed25519', notBefore: new Date('2000-01-01T00:00:00Z') });
    const leaf = await intermediate.issue({ commonName: 'mixed', organizationalUnits: ['client'], keyAlgorithm: 'P-256' });
    const config = new FabricMSPConfig();
    config.setName('Org5MSP');
    config.setRootCertsList([bytes(root.certPem)]);
    config.setIntermediateCertsList([bytes(intermediate.certPem)]);
    config.setTlsRootCertsList([bytes(root.certPem)]);
    config.setAdminsList([bytes(leaf.certPem)]);
    const id = new X509Msp(config, {}, 'MSPv3_0').deserializeIdentity(serializeIdentity('Org5MSP', leaf.certPem));
    expect(codeOf(() => id.validate())).toBe('valid');
    expect(id.verify(MESSAGE, signWith(leaf.privateKey, MESSAGE))).toBe(true);
  });

  it('sets up Ed25519 TLS root and intermediate CAs, and refuses a TLS intermediate that does not chain to them', async () => {
    const tlsIntermediate = await org.tlsCa.createIntermediate({ commonName: 'tlsica.org1.example.com', keyAlgorithm: 'Ed25519', notBefore: new Date('2000-01-01T00:00:00Z') });
    const config = org.mspConfig();
    config.setTlsIntermediateCertsList([bytes(tlsIntermediate.certPem)]);
    expect(codeOf(() => new X509Msp(config, {}, 'MSPv3_0'))).toBe('valid');

    const stranger = await CertificateAuthority.createRoot({ commonName: 'tlsca.org1.example.com', organization: 'org1.example.com', keyAlgorithm: 'Ed25519' });
    const strangerIntermediate = await stranger.createIntermediate({ commonName: 'tlsica.org1.example.com', keyAlgorithm: 'Ed25519' });
    config.setTlsIntermediateCertsList([bytes(strangerIntermediate.certPem)]);
    expect(codeOf(() => new X509Msp(config, {}, 'MSPv3_0'))).toBe(MspErrorCode.BadConfig);
  });

  // setupV11/setupV142 check no CA's key algorithm (validateCAIdentity, setupTLSCAs): the MSP sets up
  // and trusts ECDSA identities of an Ed25519 CA; validateIdentity refuses Ed25519 identities' own keys.
  const below = MSP_VERSIONS.filter((v): v is MspVersion => v !== 'MSPv3_0');
  it.each(below)('under %s sets up an Ed25519 CA and accepts its ECDSA identities, refusing its Ed25519 ones', async (version) => {
    const ecdsa = await org.issue(`ecdsa-${version}`, { keyAlgorithm: 'P-256' });
    const ed = await org.issue(`ed-${version}`, { keyAlgorithm: 'Ed25519' });
    const config = org.mspConfig();
    config.setAdminsList([ecdsa.credentials]);
    const msp = new X509Msp(config, {}, version);
    expect(codeOf(() => msp.deserializeIdentity(ecdsa.serialized).validate())).toBe('valid');
    expect(codeOf(() => msp.deserializeIdentity(ed.serialized).validate())).toBe(MspErrorCode.UnsupportedKey);
  });
});

/** A CRL naming `victim`'s serial under `impersonated`'s name and AKI, signed with `signer`'s key. */
async function forgedCrlOf(signer: CertificateAuthority, impersonated: CertificateAuthority, victim: string): Promise<string> {
  const subject = impersonated.certificate.subject.split('\n').map((line) => line.split('='));
  const field = (key: string): string | undefined => subject.find(([k]) => k === key)?.[1];
  const name = encodeName({ country: field('C'), province: field('ST'), locality: field('L'), organization: field('O'), commonName: field('CN') ?? '' });
  const { pem } = await buildCrl({
    issuer: { name, subjectKeyId: impersonated.subjectKeyId, privateKey: signer.privateKey },
    revoked: [{ serialNumber: victim, revokedAt: new Date() }],
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + 3_600_000),
    crlNumber: 1,
  });
  return pem;
}
