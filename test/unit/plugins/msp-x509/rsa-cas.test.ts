import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { FabricMSPConfig, FabricNodeOUs, FabricOUIdentifier } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { CertificateAuthority, X509Msp, serializeIdentity, subjectKeyIdOf, type IssuedCertificate } from '../../../../plugins/msp-x509';
import { RSA_SHA256, ecdsaSigner, resign, resignCrl, rsaPkcs1Signer, rsaPssSigner, type ForgeSigner, type Forged } from './cert-forge';
import { mspCodeOf as codeOf, mspOutcome as outcome, signWith } from './fixtures';

const MESSAGE = new TextEncoder().encode('proposal bytes exactly as signed');
const NOT_BEFORE = new Date('2000-01-01T00:00:00Z');
const bytes = (pem: string): Uint8Array => new TextEncoder().encode(pem);

type KeyPair = { privateKey: KeyObject; publicKey: KeyObject };
const rsaKeys = new Map<number, KeyPair>();
/** One RSA key per size for the whole file: generating 4096-bit keys is slow. */
function rsaKey(bits: number): KeyPair {
  let pair = rsaKeys.get(bits);
  if (!pair) rsaKeys.set(bits, (pair = generateKeyPairSync('rsa', { modulusLength: bits })));
  return pair;
}

/** A root CA with an RSA (or any) key, and an ECDSA twin of the same name whose certificates it re-signs. */
interface ForgedRoot {
  readonly cert: Forged;
  readonly key: KeyObject;
  readonly ski: Uint8Array;
  readonly twin: CertificateAuthority;
}

let rootCount = 0;
async function forgedRoot(pair: KeyPair, signer: ForgeSigner = RSA_SHA256, selfSignKey = pair.privateKey): Promise<ForgedRoot> {
  const name = `org${++rootCount}.example.com`;
  const twin = await CertificateAuthority.createRoot({ commonName: `ca.${name}`, organization: name, notBefore: NOT_BEFORE });
  const cert = resign(new Uint8Array(twin.certificate.raw), selfSignKey, signer, { subjectKey: pair.publicKey });
  return { cert, key: pair.privateKey, ski: subjectKeyIdOf(pair.publicKey), twin };
}

/** The twin's certificate (an intermediate or an identity) signed by the forged root instead. */
function signedByRoot(root: ForgedRoot, template: IssuedCertificate, signer: ForgeSigner = RSA_SHA256, subjectKey?: KeyObject): Forged {
  return resign(new Uint8Array(template.certificate.raw), root.key, signer, { authorityKeyId: root.ski, subjectKey });
}

function mspConfig(roots: readonly string[], intermediates: readonly string[], admins: readonly string[], crls: readonly string[] = []): FabricMSPConfig {
  const config = new FabricMSPConfig();
  config.setName('RsaMSP');
  config.setRootCertsList(roots.map(bytes));
  config.setIntermediateCertsList(intermediates.map(bytes));
  config.setTlsRootCertsList(roots.map(bytes));
  config.setAdminsList(admins.map(bytes));
  config.setRevocationListList(crls.map(bytes));
  return config;
}

function withNodeOus(config: FabricMSPConfig): FabricMSPConfig {
  const ous = new FabricNodeOUs();
  ous.setEnable(true);
  const ou = (name: string): FabricOUIdentifier => {
    const id = new FabricOUIdentifier();
    id.setOrganizationalUnitIdentifier(name);
    return id;
  };
  ous.setClientOuIdentifier(ou('client'));
  ous.setPeerOuIdentifier(ou('peer'));
  ous.setAdminOuIdentifier(ou('admin'));
  ous.setOrdererOuIdentifier(ou('orderer'));
  config.setFabricNodeOus(ous);
  return config;
}

const validate = (msp: X509Msp, pem: string): string => outcome(() => msp.deserializeIdentity(serializeIdentity('RsaMSP', pem)).validate());

/**
 * Fabric's MSP imports any CA key its BCCSP knows (`x509PublicKeyImportOptsKeyImporter`: ECDSA,
 * Ed25519 and RSA, "to support environments that use RSA certificate authorities") and verifies
 * chains with Go's `x509.Verify`; only an identity's own key is held to ECDSA (and Ed25519 from v3).
 */
describe('X509Msp with RSA CAs, as Fabric 3 judges them', () => {
  it.each([2048, 3072, 4096])('accepts an RSA-%i root with an ECDSA issuing intermediate, and ECDSA identities it issues directly', async (bits) => {
    const root = await forgedRoot(rsaKey(bits));
    const ica = await root.twin.createIntermediate({ commonName: 'ica', notBefore: NOT_BEFORE });
    const user = await ica.issue({ commonName: 'User1', organizationalUnits: ['client'] });
    const msp = new X509Msp(mspConfig([root.cert.pem], [signedByRoot(root, ica).pem], [user.certPem]), {}, 'MSPv1_4_3');
    const id = msp.deserializeIdentity(serializeIdentity('RsaMSP', user.certPem));
    expect(outcome(() => id.validate())).toBe('valid');
    expect(id.verify(MESSAGE, signWith(user.privateKey, MESSAGE))).toBe(true);

    const direct = signedByRoot(root, await root.twin.issue({ commonName: 'Direct', organizationalUnits: ['client'] }));
    expect(validate(new X509Msp(mspConfig([root.cert.pem], [], [direct.pem]), {}, 'MSPv1_4_3'), direct.pem)).toBe('valid');
  });

  it('accepts an Ed25519 intermediate under an RSA root and its Ed25519 identities under MSPv3_0', async () => {
    const root = await forgedRoot(rsaKey(2048));
    const ica = await root.twin.createIntermediate({ commonName: 'ica-ed', keyAlgorithm: 'Ed25519', notBefore: NOT_BEFORE });
    const user = await ica.issue({ commonName: 'EdUser', organizationalUnits: ['client'], keyAlgorithm: 'Ed25519' });
    const msp = new X509Msp(mspConfig([root.cert.pem], [signedByRoot(root, ica).pem], [user.certPem]), {}, 'MSPv3_0');
    expect(validate(msp, user.certPem)).toBe('valid');
  });

  it("deserializes an RSA identity and refuses it at validation with Fabric's message, at every version; it verifies nothing", async () => {
    const root = await forgedRoot(rsaKey(2048));
    const ecdsaAdmin = signedByRoot(root, await root.twin.issue({ commonName: 'Admin', organizationalUnits: ['client'] }));
    const rsaUser = signedByRoot(root, await root.twin.issue({ commonName: 'RsaUser', organizationalUnits: ['client'] }), RSA_SHA256, rsaKey(2048).publicKey);
    for (const version of ['MSPv1_0', 'MSPv1_4_3', 'MSPv3_0'] as const) {
      const msp = new X509Msp(mspConfig([root.cert.pem], [], [ecdsaAdmin.pem]), {}, version);
      const id = msp.deserializeIdentity(serializeIdentity('RsaMSP', rsaUser.pem));
      expect([version, outcome(() => id.validate())]).toEqual([
        version,
        `${MspErrorCode.UnsupportedKey}: MSP RsaMSP: could not validate identity's public key algorithm: RSA is not supported`,
      ]);
      const rsaSignature = sign('sha256', MESSAGE, rsaKey(2048).privateKey);
      expect(id.verify(MESSAGE, rsaSignature)).toBe(false);
      expect(outcome(() => id.checkSignature(MESSAGE, rsaSignature))).toMatch(/^MSP_UNSUPPORTED_KEY: signature by RsaMSP identity/);
    }
  });

  it('takes an RSA admin certificate with the admin OU under MSPv1_4_3 NodeOUs (postSetupV142 validates no admin) but not under MSPv1_1', async () => {
    const root = await forgedRoot(rsaKey(2048));
    const rsaAdmin = signedByRoot(root, await root.twin.issue({ commonName: 'RsaAdmin', organizationalUnits: ['admin'] }), RSA_SHA256, rsaKey(2048).publicKey);
    const rsaClient = signedByRoot(root, await root.twin.issue({ commonName: 'RsaClient', organizationalUnits: ['client'] }), RSA_SHA256, rsaKey(2048).publicKey);
    expect(outcome(() => new X509Msp(withNodeOus(mspConfig([root.cert.pem], [], [rsaAdmin.pem])), {}, 'MSPv1_4_3'))).toBe('valid');
    // postSetupV11 asks each admin for the CLIENT role, which validates the identity.
    expect(codeOf(() => new X509Msp(withNodeOus(mspConfig([root.cert.pem], [], [rsaClient.pem])), {}, 'MSPv1_1'))).toBe(MspErrorCode.BadConfig);
  });

  it.each([
    ['sha256WithRSAEncryption', RSA_SHA256],
    ['RSASSA-PSS SHA-256', rsaPssSigner('sha256', 32)],
    // Go's Certificate.CheckSignature (CheckCRLSignature) allows SHA-1; only chain building refuses it.
    ['sha1WithRSAEncryption', rsaPkcs1Signer('1.2.840.113549.1.1.5', 'sha1')],
  ])('revokes through a CRL the RSA root signed with %s', async (_name, signer) => {
    const root = await forgedRoot(rsaKey(2048));
    const admin = signedByRoot(root, await root.twin.issue({ commonName: 'Admin', organizationalUnits: ['client'] }));
    const victim = signedByRoot(root, await root.twin.issue({ commonName: 'Victim', organizationalUnits: ['client'] }));
    root.twin.revoke(victim.x509.serialNumber);
    const crl = resignCrl(bytes(await root.twin.crl()), root.key, signer, root.ski);
    const msp = new X509Msp(mspConfig([root.cert.pem], [], [admin.pem], [crl]), {}, 'MSPv1_4_3');
    expect(codeOf(() => msp.deserializeIdentity(serializeIdentity('RsaMSP', victim.pem)).validate())).toBe(MspErrorCode.Revoked);
    expect(validate(msp, admin.pem)).toBe('valid');
  });

  it('ignores a CRL signed with MD5 or with RSASSA-PSS parameters Go does not accept (CheckCRLSignature fails)', async () => {
    const root = await forgedRoot(rsaKey(2048));
    const admin = signedByRoot(root, await root.twin.issue({ commonName: 'Admin', organizationalUnits: ['client'] }));
    const victim = signedByRoot(root, await root.twin.issue({ commonName: 'Victim', organizationalUnits: ['client'] }));
    root.twin.revoke(victim.x509.serialNumber);
    for (const signer of [rsaPkcs1Signer('1.2.840.113549.1.1.4', 'md5'), rsaPssSigner('sha256', 20)]) {
      const crl = resignCrl(bytes(await root.twin.crl()), root.key, signer, root.ski);
      expect(validate(new X509Msp(mspConfig([root.cert.pem], [], [admin.pem], [crl]), {}, 'MSPv1_4_3'), victim.pem)).toBe('valid');
    }
  });

  it("verifies RSASSA-PSS chains in Go's three parameter sets only (salt = hash length)", async () => {
    const root = await forgedRoot(rsaKey(2048), rsaPssSigner('sha384', 48));
    const ica = await root.twin.createIntermediate({ commonName: 'ica', notBefore: NOT_BEFORE });
    const user = await ica.issue({ commonName: 'User1', organizationalUnits: ['client'] });
    const setUp = (signer: ForgeSigner): string => outcome(() => new X509Msp(mspConfig([root.cert.pem], [signedByRoot(root, ica, signer).pem], [user.certPem]), {}, 'MSPv1_4_3'));
    expect(setUp(rsaPssSigner('sha256', 32))).toBe('valid');
    expect(setUp(rsaPssSigner('sha512', 64))).toBe('valid');
    // OpenSSL verifies these signatures; Go names no algorithm for them (UnknownSignatureAlgorithm).
    expect(setUp(rsaPssSigner('sha256', 20))).toMatch(/^MSP_BAD_CONFIG: .*intermediate certificate .*ica.*algorithm unimplemented/);
    expect(setUp(rsaPssSigner('sha512', 32))).toMatch(/algorithm unimplemented/);
  });

  it('refuses SHA-1 and MD5 RSA signatures in chains, including the ISO sha1WithRSA OID', async () => {
    const root = await forgedRoot(rsaKey(2048));
    const ica = await root.twin.createIntermediate({ commonName: 'ica', notBefore: NOT_BEFORE });
    const user = await ica.issue({ commonName: 'User1', organizationalUnits: ['client'] });
    const setUp = (signer: ForgeSigner): string => outcome(() => new X509Msp(mspConfig([root.cert.pem], [signedByRoot(root, ica, signer).pem], [user.certPem]), {}, 'MSPv1_4_3'));
    // Microsoft's makecert writes the ISO OID for sha1WithRSA; Go's table maps it to SHA1-RSA too.
    expect(setUp(rsaPkcs1Signer('1.3.14.3.2.29', 'sha1'))).toMatch(/^MSP_BAD_CONFIG: .*insecure algorithm SHA1-RSA/);
    expect(setUp(rsaPkcs1Signer('1.2.840.113549.1.1.5', 'sha1'))).toMatch(/^MSP_BAD_CONFIG: .*insecure algorithm SHA1-RSA/);
    expect(setUp(rsaPkcs1Signer('1.2.840.113549.1.1.4', 'md5'))).toMatch(/insecure algorithm MD5-RSA/);
    expect(setUp(rsaPkcs1Signer('1.2.840.113549.1.1.13', 'sha512'))).toBe('valid');
  });

  it("refuses what an RSA key under 1024 bits signs (Go 1.24+ crypto/rsa), naming the certificate; 1024 bits verify", async () => {
    const small = await forgedRoot(generateKeyPairSync('rsa', { modulusLength: 1016 }));
    const ica = await small.twin.createIntermediate({ commonName: 'ica.small', notBefore: NOT_BEFORE });
    const user = await ica.issue({ commonName: 'User1', organizationalUnits: ['client'] });
    expect(outcome(() => new X509Msp(mspConfig([small.cert.pem], [signedByRoot(small, ica).pem], [user.certPem]), {}, 'MSPv1_4_3'))).toMatch(
      /^MSP_BAD_CONFIG: MSP RsaMSP: intermediate certificate ".*CN=ica\.small" is not valid: .*crypto\/rsa: 1016-bit keys are insecure/,
    );
    // A root is trusted as it is: the MSP sets up, and nothing it signed validates.
    const direct = signedByRoot(small, await small.twin.issue({ commonName: 'Direct', organizationalUnits: ['client'] }));
    const msp = new X509Msp(mspConfig([small.cert.pem], [], []), {}, 'MSPv1_3');
    expect(validate(msp, direct.pem)).toMatch(/^MSP_UNTRUSTED_CHAIN: .*1016-bit keys are insecure/);

    const enough = await forgedRoot(rsaKey(1024));
    const ok = signedByRoot(enough, await enough.twin.issue({ commonName: 'Direct', organizationalUnits: ['client'] }));
    expect(validate(new X509Msp(mspConfig([enough.cert.pem], [], [ok.pem]), {}, 'MSPv1_4_3'), ok.pem)).toBe('valid');
  });

  it('refuses what an RSA key with an exponent over 2^31-1 signs (crypto/rsa checkPublicKey), which OpenSSL verifies', async () => {
    const big = await forgedRoot(generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 2 ** 31 + 1 }));
    const ica = await big.twin.createIntermediate({ commonName: 'ica.bige', notBefore: NOT_BEFORE });
    expect(big.cert.x509.publicKey.asymmetricKeyDetails?.publicExponent).toBe(2n ** 31n + 1n);
    expect(outcome(() => new X509Msp(mspConfig([big.cert.pem], [signedByRoot(big, ica).pem], []), {}, 'MSPv1_3'))).toMatch(/ica\.bige.*crypto\/rsa: public exponent too large/);
  });

  it('sets up RSA TLS root and intermediate CAs', async () => {
    const root = await forgedRoot(rsaKey(2048));
    const tlsIca = await root.twin.createIntermediate({ commonName: 'tlsica', notBefore: NOT_BEFORE });
    const admin = signedByRoot(root, await root.twin.issue({ commonName: 'Admin', organizationalUnits: ['client'] }));
    const config = mspConfig([root.cert.pem], [], [admin.pem]);
    config.setTlsIntermediateCertsList([bytes(signedByRoot(root, tlsIca, rsaPssSigner('sha256', 32)).pem)]);
    expect(outcome(() => new X509Msp(config, {}, 'MSPv1_4_3'))).toBe('valid');
    config.setTlsIntermediateCertsList([bytes(signedByRoot(root, tlsIca, rsaPssSigner('sha256', 20)).pem)]);
    expect(codeOf(() => new X509Msp(config, {}, 'MSPv1_4_3'))).toBe(MspErrorCode.BadConfig);
  });

  it('refuses CA keys Go parses but Fabric does not import (DSA, an RSASSA-PSS key) and curves Go does not parse (secp256k1)', async () => {
    // Nothing checks a root's own signature, so an RSA key signs the DSA one.
    const dsa = await forgedRoot(generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }), RSA_SHA256, rsaKey(2048).privateKey);
    expect(outcome(() => new X509Msp(mspConfig([dsa.cert.pem], [], []), {}, 'MSPv1_3'))).toMatch(
      /^MSP_BAD_CONFIG: MSP RsaMSP: .*root_certs\[0\].*\(DSA\).*Supported keys: \[ECDSA, ED25519, RSA\]/,
    );
    const pssKey = await forgedRoot(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }), rsaPssSigner('sha256', 32));
    expect(outcome(() => new X509Msp(mspConfig([pssKey.cert.pem], [], []), {}, 'MSPv1_3'))).toMatch(/unknown \(1\.2\.840\.113549\.1\.1\.10\)/);
    const k1 = await forgedRoot(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }), ecdsaSigner('sha256'));
    expect(outcome(() => new X509Msp(mspConfig([k1.cert.pem], [], []), {}, 'MSPv1_3'))).toMatch(/^MSP_BAD_CONFIG: .*x509: unsupported elliptic curve/);
  });
});
