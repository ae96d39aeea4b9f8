import { createHash, randomBytes, sign as cryptoSign, webcrypto, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CURVE_ORDERS, toLowS } from '../ecdsa-signature';
import { toPem } from './pem';

/** A subject or issuer name, in the attribute order Go's `pkix.Name` (and so cryptogen) writes. */
export interface DistinguishedName {
  readonly country?: string;
  readonly province?: string;
  readonly locality?: string;
  readonly organization?: string;
  readonly organizationalUnits?: readonly string[];
  readonly commonName: string;
}

export type KeyUsageFlag = 'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign';
export type ExtKeyUsageFlag = 'serverAuth' | 'clientAuth';

/** What a CA needs to sign: its own encoded name (copied byte-for-byte into `issuer`), SKI and key. */
export interface CertificateSigner {
  readonly name: pkijs.RelativeDistinguishedNames;
  readonly subjectKeyId: Uint8Array;
  readonly privateKey: KeyObject;
}

export interface CertificateSpec {
  readonly subject: DistinguishedName;
  readonly publicKey: KeyObject;
  /** The issuing CA; absent for a self-signed certificate, which `selfSigningKey` then signs. */
  readonly issuer?: CertificateSigner;
  readonly selfSigningKey?: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly keyUsage: readonly KeyUsageFlag[];
  readonly extKeyUsage?: readonly ExtKeyUsageFlag[];
  /** DNS names and IP addresses for the subjectAltName extension (TLS certificates). */
  readonly subjectAltNames?: readonly string[];
}

export interface BuiltCertificate {
  readonly pem: string;
  readonly der: Uint8Array;
  readonly name: pkijs.RelativeDistinguishedNames;
  readonly subjectKeyId: Uint8Array;
  /** Upper-case hex without leading zeros, as `X509Certificate.serialNumber` prints it after trimming. */
  readonly serialNumber: string;
}

type EngineCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];
/** The CryptoKey type pkijs expects (WebCrypto's, which node:crypto's `webcrypto.CryptoKey` matches at runtime). */
export type PkiSigningKey = Parameters<pkijs.Certificate['sign']>[0];

let engineSet = false;
/** pkijs signs through WebCrypto; point it at node's implementation once per process. */
export function ensurePkiEngine(): void {
  if (engineSet) return;
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as EngineCrypto }));
  engineSet = true;
}

const OID = {
  country: '2.5.4.6',
  province: '2.5.4.8',
  locality: '2.5.4.7',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const KEY_USAGE_BITS: Record<KeyUsageFlag, number> = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
};

function nameValue(value: string): asn1js.PrintableString | asn1js.Utf8String {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)
    ? new asn1js.PrintableString({ value })
    : new asn1js.Utf8String({ value });
}

/**
 * Encodes a Name with one attribute per RDN SET, as Go does. (pkijs would put every attribute into
 * a single multi-valued RDN, which prints as `C=US + ST=… + CN=…` and breaks name matching.)
 */
export function encodeName(dn: DistinguishedName): pkijs.RelativeDistinguishedNames {
  const rdns: asn1js.Set[] = [];
  const add = (type: string, value: string | undefined): void => {
    if (value === undefined || value === '') return;
    const atv = new pkijs.AttributeTypeAndValue({ type, value: nameValue(value) });
    rdns.push(new asn1js.Set({ value: [atv.toSchema()] }));
  };
  add(OID.country, dn.country);
  add(OID.province, dn.province);
  add(OID.locality, dn.locality);
  add(OID.organization, dn.organization);
  for (const ou of dn.organizationalUnits ?? []) add(OID.organizationalUnit, ou);
  add(OID.commonName, dn.commonName);
  // Parsing keeps the encoded bytes, so pkijs re-emits exactly this structure.
  return pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

function publicKeyInfo(publicKey: KeyObject): pkijs.PublicKeyInfo {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return pkijs.PublicKeyInfo.fromBER(der);
}

/** RFC 7093 method 4, as cryptogen: SHA-256 over the subjectPublicKey bits. */
export function subjectKeyIdOf(publicKey: KeyObject): Uint8Array {
  const info = publicKeyInfo(publicKey);
  return new Uint8Array(createHash('sha256').update(info.subjectPublicKey.valueBlock.valueHexView).digest());
}

/** A random positive 128-bit serial, minimal DER (cryptogen draws from [0, 2^128)). */
export function randomSerial(): Uint8Array {
  const bytes = new Uint8Array(randomBytes(16));
  bytes[0] &= 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return bytes;
}

export function serialToHex(serial: Uint8Array): string {
  return Buffer.from(serial).toString('hex').toUpperCase().replace(/^0+(?=.)/, '');
}

export function encodeTime(date: Date): pkijs.Time {
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? 0 : 1, value: date });
}

function keyUsageBits(flags: readonly KeyUsageFlag[]): asn1js.BitString {
  let value = 0;
  for (const flag of flags) value |= 0x80 >> KEY_USAGE_BITS[flag];
  let unusedBits = 0;
  while (unusedBits < 7 && (value & (1 << unusedBits)) === 0) unusedBits++;
  return new asn1js.BitString({ valueHex: new Uint8Array([value]).buffer, unusedBits });
}

function ipBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return new Uint8Array(ip.split('.').map(Number));
  const [head, tail = ''] = ip.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const left = parse(head);
  const right = ip.includes('::') ? parse(tail) : [];
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function extension(extnID: string, critical: boolean, value: { toBER(sizeOnly?: boolean): ArrayBuffer }): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** WebCrypto signing parameters for a CA key: ECDSA with the hash matching the curve. */
export async function importSigningKey(privateKey: KeyObject): Promise<{ key: PkiSigningKey; hash: string }> {
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  const params =
    curve === 'prime256v1'
      ? { namedCurve: 'P-256', hash: 'SHA-256' }
      : curve === 'secp384r1'
        ? { namedCurve: 'P-384', hash: 'SHA-384' }
        : undefined;
  if (!params) throw new Error(`CA keys must be ECDSA P-256, P-384 or Ed25519, got ${privateKey.asymmetricKeyType} ${curve ?? ''}`);
  const key = await webcrypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ type: 'pkcs8', format: 'der' }),
    { name: 'ECDSA', namedCurve: params.namedCurve },
    false,
    ['sign'],
  );
  return { key: key as unknown as PkiSigningKey, hash: params.hash };
}

/** id-Ed25519 (RFC 8410): the PureEd25519 signature algorithm Go's x509 writes, with no parameters. */
export const OID_ED25519 = '1.3.101.112';

/**
 * Signs a certificate or CRL with a CA key: ECDSA through pkijs (SHA-256 on P-256, SHA-384 on
 * P-384, low-S), or PureEd25519 over the to-be-signed bytes as Go's `x509.CreateCertificate` and
 * `CreateRevocationList` sign with an Ed25519 key (cryptogen `internal/cryptogen/ca/ca.go`
 * `genCertificate`): pkijs knows no Ed25519, so the algorithm identifier and signature are set here.
 */
export async function signPkiObject(target: pkijs.Certificate | pkijs.CertificateRevocationList, signingKey: KeyObject): Promise<void> {
  if (signingKey.asymmetricKeyType === 'ed25519') {
    // RFC 8410 section 3: the parameters are absent, not NULL.
    const algorithm = new pkijs.AlgorithmIdentifier({ algorithmId: OID_ED25519 });
    target.signature = algorithm;
    target.signatureAlgorithm = algorithm;
    // Both classes have encodeTBS; the union's overloads do not unify for the compiler.
    target.tbsView = new Uint8Array((target as pkijs.Certificate).encodeTBS().toBER(false));
    target.signatureValue = new asn1js.BitString({ valueHex: cryptoSign(null, target.tbsView, signingKey) });
    return;
  }
  const { key, hash } = await importSigningKey(signingKey);
  await target.sign(key, hash);
  target.signatureValue = lowSSignatureValue(target.signatureValue, signingKey);
}

/**
 * WebCrypto does not normalise S; Fabric re-encodes high-S certificate signatures when it loads a
 * certificate (msp `sanitizeCert`), so issuing low-S keeps our bytes identical to what Fabric sees.
 */
export function lowSSignatureValue(value: asn1js.BitString, signingKey: KeyObject): asn1js.BitString {
  const order = CURVE_ORDERS[signingKey.asymmetricKeyDetails?.namedCurve ?? ''];
  if (order === undefined) return value;
  const der = toLowS(new Uint8Array(value.valueBlock.valueHexView), order);
  return new asn1js.BitString({ valueHex: der });
}

/** Builds and signs one X.509 v3 certificate with pkijs. */
export async function buildCertificate(spec: CertificateSpec): Promise<BuiltCertificate> {
  ensurePkiEngine();
  const signingKey = spec.issuer?.privateKey ?? spec.selfSigningKey;
  if (!signingKey) throw new Error('buildCertificate: either issuer or selfSigningKey is required');
  const cert = new pkijs.Certificate();
  const serial = randomSerial();
  const subjectName = encodeName(spec.subject);
  const ski = subjectKeyIdOf(spec.publicKey);
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.subject = subjectName;
  cert.issuer = spec.issuer ? spec.issuer.name : subjectName;
  cert.notBefore = encodeTime(spec.notBefore);
  cert.notAfter = encodeTime(spec.notAfter);
  cert.subjectPublicKeyInfo = publicKeyInfo(spec.publicKey);

  const extensions: pkijs.Extension[] = [
    extension(OID.keyUsage, true, keyUsageBits(spec.keyUsage)),
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: spec.isCa }).toSchema()),
    extension(OID.subjectKeyId, false, new asn1js.OctetString({ valueHex: ski })),
  ];
  if (spec.extKeyUsage && spec.extKeyUsage.length > 0) {
    const eku = new pkijs.ExtKeyUsage({ keyPurposes: spec.extKeyUsage.map((p) => OID[p]) });
    extensions.push(extension(OID.extKeyUsage, false, eku.toSchema()));
  }
  if (spec.issuer) {
    const aki = new pkijs.AuthorityKeyIdentifier({
      keyIdentifier: new asn1js.OctetString({ valueHex: spec.issuer.subjectKeyId }),
    });
    extensions.push(extension(OID.authorityKeyId, false, aki.toSchema()));
  }
  if (spec.subjectAltNames && spec.subjectAltNames.length > 0) {
    const names = spec.subjectAltNames.map((san) =>
      isIPv4(san) || isIPv6(san)
        ? new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: ipBytes(san) }) })
        : new pkijs.GeneralName({ type: 2, value: san }),
    );
    extensions.push(extension(OID.subjectAltName, false, new pkijs.GeneralNames({ names }).toSchema()));
  }
  cert.extensions = extensions;

  await signPkiObject(cert, signingKey);
  const der = new Uint8Array(cert.toSchema(false).toBER(false));
  return { pem: toPem('CERTIFICATE', der), der, name: subjectName, subjectKeyId: ski, serialNumber: serialToHex(serial) };
}
