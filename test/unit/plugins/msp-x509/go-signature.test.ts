import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import * as asn1js from 'asn1js';
import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { encodeDer } from '../../../../core/protocol/der';
import { DerReader, TAG } from '../../../../core/protocol/der-reader';
import { CURVE_ORDERS, CertificateAuthority, X509Msp, createTestOrg, encodeEcdsaSignature, parseEcdsaSignature, serializeIdentity, toLowS } from '../../../../plugins/msp-x509';
import { parseGoPublicKey } from '../../../../core/protocol/go-public-key';
import { goSignatureAlgorithm } from '../../../../core/protocol/go-signature';
import { ecdsaSigner, resign } from './cert-forge';
import { mspOutcome as outcome, signWith } from './fixtures';

const MESSAGE = new TextEncoder().encode('proposal bytes exactly as signed');
const NOT_BEFORE = new Date('2000-01-01T00:00:00Z');
const bytes = (pem: string): Uint8Array => new TextEncoder().encode(pem);

const oid = (dotted: string): Uint8Array => new Uint8Array(new asn1js.ObjectIdentifier({ value: dotted }).toBER(false));
const seq = (...els: Uint8Array[]): Uint8Array => encodeDer(TAG.SEQUENCE, ...els);
const explicit = (n: number, el: Uint8Array): Uint8Array => encodeDer(0xa0 + n, el);
const int = (n: number): Uint8Array => new Uint8Array(new asn1js.Integer({ value: n }).toBER(false));
const NULL = Uint8Array.of(0x05, 0x00);
const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA384 = '2.16.840.1.101.3.4.2.2';
const MGF1 = '1.2.840.113549.1.1.8';
const RSA_PSS = '1.2.840.113549.1.1.10';

/** An RSASSA-PSS AlgorithmIdentifier with the given parts. */
function pss(options: { hash?: string; hashParams?: Uint8Array[]; mgf?: string; mgfHash?: string; salt?: number; trailer?: number }): Uint8Array {
  const hash = options.hash ?? SHA256;
  const parts = [
    explicit(0, seq(oid(hash), ...(options.hashParams ?? [NULL]))),
    explicit(1, seq(oid(options.mgf ?? MGF1), seq(oid(options.mgfHash ?? hash), NULL))),
    explicit(2, int(options.salt ?? 32)),
    ...(options.trailer === undefined ? [] : [explicit(3, int(options.trailer))]),
  ];
  return seq(oid(RSA_PSS), seq(...parts));
}

/** The SubjectPublicKeyInfo of `spki` with its key bits replaced. */
function withKeyBits(spki: Uint8Array, key: Uint8Array): Uint8Array {
  const outer = new DerReader(new DerReader(spki).read(TAG.SEQUENCE).content);
  return seq(outer.read(TAG.SEQUENCE).raw, encodeDer(TAG.BIT_STRING, Uint8Array.of(0), key));
}

describe("goSignatureAlgorithm: Go's getSignatureAlgorithmFromAI", () => {
  it('names algorithms by OID whatever their parameters, except PureEd25519, which must have none', () => {
    expect(goSignatureAlgorithm(seq(oid('1.2.840.113549.1.1.11'), NULL))?.name).toBe('SHA256-RSA');
    expect(goSignatureAlgorithm(seq(oid('1.2.840.113549.1.1.11')))?.name).toBe('SHA256-RSA');
    expect(goSignatureAlgorithm(seq(oid('1.3.14.3.2.29')))?.name).toBe('SHA1-RSA');
    expect(goSignatureAlgorithm(seq(oid('1.3.101.112')))?.name).toBe('Ed25519');
    expect(goSignatureAlgorithm(seq(oid('1.3.101.112'), NULL))).toBeUndefined();
    expect(goSignatureAlgorithm(seq(oid('1.2.3.4')))).toBeUndefined();
  });

  it.each([
    ['SHA-256, salt 32', 'SHA256-RSAPSS', pss({})],
    ['SHA-384, salt 48, trailer 1 written out', 'SHA384-RSAPSS', pss({ hash: SHA384, salt: 48, trailer: 1 })],
    ['hash without parameters', 'SHA256-RSAPSS', pss({ hashParams: [] })],
    ['salt 20', undefined, pss({ salt: 20 })],
    ['SHA-384 with salt 32', undefined, pss({ hash: SHA384 })],
    ['MGF1 over another hash', undefined, pss({ mgfHash: SHA384 })],
    ['a mask generation function other than MGF1', undefined, pss({ mgf: '1.2.3.4' })],
    ['trailer 2', undefined, pss({ trailer: 2 })],
    ['hash parameters other than NULL', undefined, pss({ hashParams: [int(0)] })],
    ['no parameters', undefined, seq(oid(RSA_PSS))],
  ])('RSASSA-PSS with %s: %s', (_name, expected, ai) => {
    expect(goSignatureAlgorithm(ai)?.name).toBe(expected);
  });
});

describe("parseGoPublicKey: Go's parsePublicKey", () => {
  it("reads RSA, ECDSA and Ed25519 keys and leaves X25519 to Go's UnknownPublicKeyAlgorithm", () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 65537 }).publicKey;
    expect(parseGoPublicKey(rsa.export({ type: 'spki', format: 'der' }))).toEqual({ algorithm: 'RSA', modulusBits: 1024, modulusOdd: true, exponent: 65537n });
    const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey;
    expect(parseGoPublicKey(p521.export({ type: 'spki', format: 'der' }))).toEqual({ algorithm: 'ECDSA', curve: 'secp521r1' });
    const x25519 = generateKeyPairSync('x25519').publicKey;
    expect(parseGoPublicKey(x25519.export({ type: 'spki', format: 'der' }))).toEqual({ algorithm: 'unknown', oid: '1.3.101.110' });
  });

  it("refuses with Go's reasons: RSA without NULL parameters, a compressed point, Ed25519 with parameters", () => {
    const rsaSpki = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' });
    const rsaKeyBits = new DerReader(new DerReader(rsaSpki).read(TAG.SEQUENCE).content);
    rsaKeyBits.read(TAG.SEQUENCE);
    const noNull = seq(seq(oid('1.2.840.113549.1.1.1')), rsaKeyBits.read(TAG.BIT_STRING).raw);
    expect(() => parseGoPublicKey(noNull)).toThrow('x509: RSA key missing NULL parameters');

    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    const jwk = ec.export({ format: 'jwk' });
    const y = Buffer.from(jwk.y!, 'base64url');
    const compressed = Buffer.concat([Buffer.of(y[y.length - 1] & 1 ? 0x03 : 0x02), Buffer.from(jwk.x!, 'base64url')]);
    const compressedSpki = withKeyBits(ec.export({ type: 'spki', format: 'der' }), compressed);
    expect(createPublicKey({ key: Buffer.from(compressedSpki), format: 'der', type: 'spki' }).asymmetricKeyType).toBe('ec');
    expect(() => parseGoPublicKey(compressedSpki)).toThrow('x509: failed to unmarshal elliptic curve point');

    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    expect(() => parseGoPublicKey(seq(seq(oid('1.3.101.112'), NULL), encodeDer(TAG.BIT_STRING, Uint8Array.of(0), ed.subarray(-32))))).toThrow(
      'x509: Ed25519 key encoded with illegal parameters',
    );
  });
});

describe('X509Msp with CAs and identities on different NIST curves', () => {
  it('accepts P-256 identities of a P-384 CA and P-384 identities of a P-256 CA', async () => {
    const p384 = await createTestOrg({ mspId: 'Org1MSP', caKeyAlgorithm: 'P-384', intermediate: true });
    const p256 = await createTestOrg({ mspId: 'Org2MSP' });
    for (const [org, keyAlgorithm] of [[p384, 'P-256'], [p256, 'P-384']] as const) {
      const user = await org.issue(`${keyAlgorithm}-user`, { keyAlgorithm });
      const id = new X509Msp(org.mspConfig(), {}, 'MSPv1_4_3').deserializeIdentity(user.serialized);
      expect([keyAlgorithm, outcome(() => id.validate())]).toEqual([keyAlgorithm, 'valid']);
      expect(id.verify(MESSAGE, signWith(user.privateKey, MESSAGE))).toBe(true);
    }
  });

  it("accepts a P-521 root (ECDSA-SHA512) and P-521 identities, which Fabric's MSP validates (any ECDSA curve Go parses)", async () => {
    const twin = await CertificateAuthority.createRoot({ commonName: 'ca.p521.example.com', organization: 'p521.example.com', notBefore: NOT_BEFORE });
    const rootKeys = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
    const root = resign(new Uint8Array(twin.certificate.raw), rootKeys.privateKey, ecdsaSigner('sha512'), { subjectKey: rootKeys.publicKey });
    const userKeys = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
    const template = await twin.issue({ commonName: 'User1', organizationalUnits: ['client'] });
    const user = resign(new Uint8Array(template.certificate.raw), rootKeys.privateKey, ecdsaSigner('sha512'), { subjectKey: userKeys.publicKey });
    const config = new FabricMSPConfig();
    config.setName('P521MSP');
    config.setRootCertsList([bytes(root.pem)]);
    config.setAdminsList([bytes(user.pem)]);
    const id = new X509Msp(config, {}, 'MSPv1_4_3').deserializeIdentity(serializeIdentity('P521MSP', user.pem));
    expect(outcome(() => id.validate())).toBe('valid');
    // Fabric's BCCSP takes low-S signatures only, over P-521's order too (curveHalfOrders).
    const raw = new Uint8Array(sign('sha256', MESSAGE, { key: userKeys.privateKey, dsaEncoding: 'der' }));
    const lowS = toLowS(raw, CURVE_ORDERS.secp521r1);
    const rs = parseEcdsaSignature(lowS)!;
    expect(id.verify(MESSAGE, lowS)).toBe(true);
    expect(id.verify(MESSAGE, encodeEcdsaSignature({ r: rs.r, s: CURVE_ORDERS.secp521r1 - rs.s }))).toBe(false);
  });
});
