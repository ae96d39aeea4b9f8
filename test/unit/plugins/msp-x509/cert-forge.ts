import { constants as cryptoConstants, sign as nodeSign, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  CURVE_ORDERS,
  encodeEcdsaSignature,
  ensurePkiEngine,
  importSigningKey,
  goPemDecode,
  parseEcdsaSignature,
  subjectKeyIdOf,
  toLowS,
  toPem,
  type CertificateAuthority,
} from '../../../../plugins/msp-x509';
import { encodeDer } from '../../../../core/protocol/der';
import { DerReader, TAG } from '../../../../core/protocol/der-reader';

/** Certificates Weft's own issuer would never write, for the chain-building rules Fabric enforces. */
export interface ForgeOptions {
  /** Changes the parsed certificate before it is re-signed (extensions, names, validity). */
  readonly mutate?: (cert: pkijs.Certificate) => void;
  /** WebCrypto hash for the signature; defaults to the CA curve's. */
  readonly hash?: 'SHA-1' | 'SHA-256' | 'SHA-384';
  /** Self-sign with the certificate's own key instead of the CA's. */
  readonly selfSignKey?: KeyObject;
}

export interface Forged {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly x509: X509Certificate;
}

function forged(der: Uint8Array): Forged {
  return { der, pem: toPem('CERTIFICATE', der), x509: new X509Certificate(der) };
}

/** Re-signs `template` (DER) with `ca`'s key after `mutate`, low-S like Weft's issuer. */
export async function reissue(template: Uint8Array, ca: CertificateAuthority | undefined, options: ForgeOptions = {}): Promise<Forged> {
  ensurePkiEngine();
  const cert = pkijs.Certificate.fromBER(template);
  options.mutate?.(cert);
  const key = options.selfSignKey ?? ca?.privateKey;
  if (!key) throw new Error('reissue: a CA or selfSignKey is required');
  const signing = await importSigningKey(key);
  await cert.sign(signing.key, options.hash ?? signing.hash);
  const der = new Uint8Array(cert.toSchema(false).toBER(false));
  const order = CURVE_ORDERS[key.asymmetricKeyDetails?.namedCurve ?? ''];
  return forged(withSignatureS(der, (s) => (s > order / 2n ? order - s : s)));
}

/** The same certificate with its ECDSA signature's S replaced (`n − S` makes the high-S twin). */
export function withSignatureS(der: Uint8Array, f: (s: bigint) => bigint): Uint8Array {
  const outer = new DerReader(new DerReader(der).read(TAG.SEQUENCE).content);
  const tbs = outer.read(TAG.SEQUENCE).raw;
  const alg = outer.read(TAG.SEQUENCE).raw;
  const sig = outer.read(TAG.BIT_STRING).content.subarray(1);
  const rs = parseEcdsaSignature(sig);
  if (!rs) throw new Error('withSignatureS: not an ECDSA signature');
  return encodeDer(TAG.SEQUENCE, tbs, alg, encodeDer(TAG.BIT_STRING, Uint8Array.of(0), encodeEcdsaSignature({ r: rs.r, s: f(rs.s) })));
}

export function highSTwin(der: Uint8Array, issuerCurve = 'prime256v1'): Forged {
  const order = CURVE_ORDERS[issuerCurve];
  return forged(withSignatureS(der, (s) => order - s));
}

/** An X.509 extension with DER `value`. */
export function ext(extnID: string, critical: boolean, value: Uint8Array | asn1js.BaseBlock): pkijs.Extension {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(value.toBER(false));
  return new pkijs.Extension({ extnID, critical, extnValue: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer });
}

export function ekuExtension(...purposes: string[]): pkijs.Extension {
  return ext('2.5.29.37', false, new pkijs.ExtKeyUsage({ keyPurposes: purposes }).toSchema());
}

/** Replaces (or adds) the extensions with the given OIDs. */
export function setExtensions(cert: pkijs.Certificate, ...extensions: pkijs.Extension[]): void {
  const ids = new Set(extensions.map((e) => e.extnID));
  cert.extensions = [...(cert.extensions ?? []).filter((e) => !ids.has(e.extnID)), ...extensions];
}

export function withoutExtension(cert: pkijs.Certificate, oid: string): void {
  cert.extensions = (cert.extensions ?? []).filter((e) => e.extnID !== oid);
}

export const OIDS = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyEku: '2.5.29.37.0',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  basicConstraints: '2.5.29.19',
} as const;

/** How a forged certificate or CRL is signed: its AlgorithmIdentifier (DER) and the signature over the TBS. */
export interface ForgeSigner {
  readonly algorithmId: Uint8Array;
  sign(key: KeyObject, tbs: Uint8Array): Uint8Array;
}

type NodeHash = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';
const HASH_OIDS: Readonly<Record<NodeHash, string>> = {
  md5: '1.2.840.113549.2.5',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

function algorithmIdentifier(oid: string, params?: asn1js.BaseBlock): Uint8Array {
  return new Uint8Array(new pkijs.AlgorithmIdentifier({ algorithmId: oid, ...(params ? { algorithmParams: params } : {}) }).toSchema().toBER(false));
}

/** RSASSA-PKCS1-v1_5 under `oid` (sha256WithRSAEncryption = 1.2.840.113549.1.1.11, …) with NULL parameters. */
export function rsaPkcs1Signer(oid: string, hash: NodeHash): ForgeSigner {
  return {
    algorithmId: algorithmIdentifier(oid, new asn1js.Null()),
    sign: (key, tbs) => new Uint8Array(nodeSign(hash, tbs, { key, padding: cryptoConstants.RSA_PKCS1_PADDING })),
  };
}

/** RSASSA-PSS (1.2.840.113549.1.1.10), MGF1 with the same hash; Go accepts only salt = hash length. */
export function rsaPssSigner(hash: 'sha256' | 'sha384' | 'sha512', saltLength: number): ForgeSigner {
  const hashAi = new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[hash], algorithmParams: new asn1js.Null() });
  const params = new pkijs.RSASSAPSSParams({
    hashAlgorithm: hashAi,
    maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.8', algorithmParams: hashAi.toSchema() }),
    saltLength,
  });
  return {
    algorithmId: algorithmIdentifier('1.2.840.113549.1.1.10', params.toSchema()),
    sign: (key, tbs) => new Uint8Array(nodeSign(hash, tbs, { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength })),
  };
}

/** ECDSA under ecdsa-with-SHA1/256/384/512, low-S on every curve Go knows. */
export function ecdsaSigner(hash: 'sha1' | 'sha256' | 'sha384' | 'sha512'): ForgeSigner {
  const oid = { sha1: '1.2.840.10045.4.1', sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' }[hash];
  return {
    algorithmId: algorithmIdentifier(oid),
    sign: (key, tbs) => {
      const der = new Uint8Array(nodeSign(hash, tbs, { key, dsaEncoding: 'der' }));
      const order = CURVE_ORDERS[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return order === undefined ? der : toLowS(der, order);
    },
  };
}

export const RSA_SHA256 = rsaPkcs1Signer('1.2.840.113549.1.1.11', 'sha256');

export interface ResignOptions {
  /** Changes the parsed certificate before it is signed (names, extensions, validity). */
  readonly mutate?: (cert: pkijs.Certificate) => void;
  /** Puts this key in the certificate (and its SubjectKeyIdentifier) instead of the template's. */
  readonly subjectKey?: KeyObject;
  /** Sets the AuthorityKeyIdentifier to this issuer key id. */
  readonly authorityKeyId?: Uint8Array;
}

function keyIdExtension(oid: string, id: Uint8Array): pkijs.Extension {
  const value =
    oid === OIDS.subjectKeyId
      ? new asn1js.OctetString({ valueHex: id })
      : new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: id }) }).toSchema();
  return ext(oid, false, value);
}

/**
 * `template` (DER) with any key type and signature algorithm Weft's issuer never writes (RSA
 * PKCS#1 and PSS, ECDSA over P-521, …): the TBS and outer AlgorithmIdentifiers are both `signer`'s.
 */
export function resign(template: Uint8Array, signingKey: KeyObject, signer: ForgeSigner, options: ResignOptions = {}): Forged {
  ensurePkiEngine();
  const cert = pkijs.Certificate.fromBER(template);
  if (options.subjectKey) {
    cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(options.subjectKey.export({ type: 'spki', format: 'der' }));
    setExtensions(cert, keyIdExtension(OIDS.subjectKeyId, subjectKeyIdOf(options.subjectKey)));
  }
  if (options.authorityKeyId) setExtensions(cert, keyIdExtension(OIDS.authorityKeyId, options.authorityKeyId));
  options.mutate?.(cert);
  cert.signature = pkijs.AlgorithmIdentifier.fromBER(signer.algorithmId);
  const tbs = new Uint8Array(cert.encodeTBS().toBER(false));
  return forged(signed(tbs, signer, signingKey));
}

function signed(tbs: Uint8Array, signer: ForgeSigner, key: KeyObject): Uint8Array {
  return encodeDer(TAG.SEQUENCE, tbs, signer.algorithmId, encodeDer(TAG.BIT_STRING, Uint8Array.of(0), signer.sign(key, tbs)));
}

/** A CRL (DER or PEM) re-signed with `signingKey` under `signer`, its AKI set to `authorityKeyId`. */
export function resignCrl(crlBytes: Uint8Array, signingKey: KeyObject, signer: ForgeSigner, authorityKeyId: Uint8Array): string {
  ensurePkiEngine();
  const block = goPemDecode(crlBytes);
  const crl = pkijs.CertificateRevocationList.fromBER(block?.bytes ?? crlBytes);
  const others = (crl.crlExtensions?.extensions ?? []).filter((e) => e.extnID !== OIDS.authorityKeyId);
  crl.crlExtensions = new pkijs.Extensions({ extensions: [keyIdExtension(OIDS.authorityKeyId, authorityKeyId), ...others] });
  crl.signature = pkijs.AlgorithmIdentifier.fromBER(signer.algorithmId);
  // encodeTBS is protected on CRLs: the first element of the freshly encoded whole is the TBS.
  const tbs = new Uint8Array((crl.toSchema(true) as asn1js.Sequence).valueBlock.value[0].toBER(false));
  return toPem('X509 CRL', signed(tbs, signer, signingKey));
}
