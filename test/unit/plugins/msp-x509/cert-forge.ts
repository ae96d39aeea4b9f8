import { X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  CURVE_ORDERS,
  encodeEcdsaSignature,
  ensurePkiEngine,
  importSigningKey,
  parseEcdsaSignature,
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
