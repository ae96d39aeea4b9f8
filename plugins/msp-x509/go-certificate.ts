import { encodeDer } from '../../core/protocol/der';
import { DerError, DerReader, TAG, oidToString } from '../../core/protocol/der-reader';
import { CURVE_ORDERS, encodeEcdsaSignature, isLowS } from './ecdsa-signature';
import { parseNameConstraints, type NameConstraints } from './go-name-constraints';
import { GoPublicKeyError, parseGoPublicKey, type GoPublicKey } from '../../core/protocol/go-public-key';
import { goSignatureAlgorithm, type GoSignatureAlgorithm } from '../../core/protocol/go-signature';

/**
 * The fields of a certificate that Go's `crypto/x509` reads when Fabric's MSP builds chains
 * (`Certificate.Verify`) and sanitizes signatures (`msp/cert.go`), taken from the exact DER.
 */
export interface GoCertificateFields {
  readonly rawTbs: Uint8Array;
  readonly rawSignatureAlgorithm: Uint8Array;
  readonly signatureAlgorithm: string;
  /** What Go's `getSignatureAlgorithmFromAI` makes of the AlgorithmIdentifier; undefined is `UnknownSignatureAlgorithm`. */
  readonly goSignatureAlgorithm: GoSignatureAlgorithm | undefined;
  /** The signature BIT STRING's bytes (Go's `Certificate.Signature`). */
  readonly signature: Uint8Array;
  /** 1-indexed, as Go's `Certificate.Version`. */
  readonly version: number;
  readonly serialNumber: bigint;
  readonly rawIssuer: Uint8Array;
  readonly rawSubject: Uint8Array;
  readonly rawSubjectPublicKeyInfo: Uint8Array;
  /** The subject key as Go's parser reads it (`PublicKeyAlgorithm` and what verification checks). */
  readonly publicKey: GoPublicKey;
  readonly basicConstraintsValid: boolean;
  readonly isCa: boolean;
  /** -1 when absent, as Go. */
  readonly maxPathLen: number;
  /** Go's `KeyUsage` bit mask (bit i = RFC 5280 bit i); 0 when absent. */
  readonly keyUsage: number;
  /** Every EKU OID listed (known and unknown); empty when none. */
  readonly extKeyUsage: readonly string[];
  readonly subjectKeyId: Uint8Array | undefined;
  readonly hasSan: boolean;
  readonly sanValue: Uint8Array | undefined;
  readonly hasNameConstraints: boolean;
  readonly nameConstraints: NameConstraints | undefined;
  /** Critical extensions Go leaves in `UnhandledCriticalExtensions`: `Verify` refuses any chain holding one. */
  readonly unhandledCriticalExtensions: readonly string[];
}

export const OID_EKU_ANY = '2.5.29.37.0';
export const OID_EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_AIA = '1.3.6.1.5.5.7.1.1';
export const KEY_USAGE_CERT_SIGN = 1 << 5;

/** Extensions under 2.5.29 that Go's `processExtensions` understands. */
const GO_HANDLED_2_5_29 = new Set([14, 15, 17, 19, 30, 31, 32, 33, 35, 36, 37, 54]);

/** ecdsa-with-SHA1/256/384/512 (Fabric's `isECDSASignedCert`). */
export const ECDSA_SIGNATURE_ALGORITHMS = new Set(['1.2.840.10045.4.1', '1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4']);

/** Where Go's `x509.ParseCertificate` fails; `unsupportedKey` when the reason is an ECDSA curve Go does not know. */
export class GoCertificateError extends Error {
  constructor(
    message: string,
    readonly unsupportedKey = false,
  ) {
    super(message);
  }
}

function readPublicKey(rawSpki: Uint8Array): GoPublicKey {
  try {
    return parseGoPublicKey(rawSpki);
  } catch (err) {
    if (err instanceof GoPublicKeyError) throw new GoCertificateError(err.message, err.unsupportedCurve);
    throw err;
  }
}

function readGeneralNameTags(content: Uint8Array): number[] {
  const r = new DerReader(content);
  const tags: number[] = [];
  while (!r.done) tags.push(r.read().tag & 0x1f);
  return tags;
}

/** Name types Go parses in SAN and name constraints: rfc822Name, dNSName, URI, iPAddress. */
const GO_NAME_TYPES = new Set([1, 2, 6, 7]);

/** A DER INTEGER's contents as a signed big integer (Go's `big.Int`). */
export function derInteger(content: Uint8Array): bigint {
  if (content.length === 0) throw new DerError('empty INTEGER');
  const unsigned = BigInt('0x' + Buffer.from(content).toString('hex'));
  return content[0] & 0x80 ? unsigned - (1n << BigInt(content.length * 8)) : unsigned;
}

function bitStringBytes(el: { content: Uint8Array }): Uint8Array {
  if (el.content.length === 0) throw new DerError('empty BIT STRING');
  return el.content.subarray(1);
}

/** Reads the fields Go's verifier uses; throws {@link GoCertificateError} where Go's parser fails. */
export function parseGoCertificate(der: Uint8Array): GoCertificateFields {
  try {
    const cert = new DerReader(new DerReader(der).read(TAG.SEQUENCE).content);
    const tbsEl = cert.read(TAG.SEQUENCE);
    const sigAlgEl = cert.read(TAG.SEQUENCE);
    const signature = bitStringBytes(cert.read(TAG.BIT_STRING));
    const tbs = new DerReader(tbsEl.content);
    const versionEl = tbs.readOptional(0xa0);
    const version = versionEl ? new DerReader(versionEl.content).read(TAG.INTEGER).content[0] + 1 : 1;
    const serialNumber = derInteger(tbs.read(TAG.INTEGER).content);
    // Go 1.23+ refuses negative serials (x509negativeserial=0) and algorithm identifiers that differ.
    if (serialNumber < 0n) throw new GoCertificateError('negative serial number');
    if (Buffer.compare(tbs.read(TAG.SEQUENCE).raw, sigAlgEl.raw) !== 0) throw new GoCertificateError("inner and outer signature algorithm identifiers don't match");
    const rawIssuer = tbs.read(TAG.SEQUENCE).raw;
    tbs.read(TAG.SEQUENCE);
    const rawSubject = tbs.read(TAG.SEQUENCE).raw;
    const rawSubjectPublicKeyInfo = tbs.read(TAG.SEQUENCE).raw;
    tbs.readOptional(0x81);
    tbs.readOptional(0x82);
    const extsEl = tbs.readOptional(0xa3);
    const fields = {
      rawTbs: tbsEl.raw,
      rawSignatureAlgorithm: sigAlgEl.raw,
      signatureAlgorithm: oidToString(new DerReader(sigAlgEl.content).read(TAG.OID).content),
      goSignatureAlgorithm: goSignatureAlgorithm(sigAlgEl.raw),
      signature,
      version,
      serialNumber,
      rawIssuer,
      rawSubject,
      rawSubjectPublicKeyInfo,
      publicKey: readPublicKey(rawSubjectPublicKeyInfo),
      basicConstraintsValid: false,
      isCa: false,
      maxPathLen: -1,
      keyUsage: 0,
      extKeyUsage: [] as string[],
      subjectKeyId: undefined as Uint8Array | undefined,
      hasSan: false,
      sanValue: undefined as Uint8Array | undefined,
      hasNameConstraints: false,
      nameConstraints: undefined as NameConstraints | undefined,
      unhandledCriticalExtensions: [] as string[],
    };
    if (!extsEl) return fields;
    const exts = new DerReader(new DerReader(extsEl.content).read(TAG.SEQUENCE).content);
    const seen = new Set<string>();
    while (!exts.done) {
      const ext = new DerReader(exts.read(TAG.SEQUENCE).content);
      const oid = oidToString(ext.read(TAG.OID).content);
      if (seen.has(oid)) throw new GoCertificateError(`certificate contains duplicate extension with OID "${oid}"`);
      seen.add(oid);
      const criticalEl = ext.readOptional(TAG.BOOLEAN);
      const critical = criticalEl !== undefined && criticalEl.content[0] !== 0;
      const value = ext.read(TAG.OCTET_STRING).content;
      let unhandled = false;
      const arc = oid.startsWith('2.5.29.') && oid.split('.').length === 4 ? Number(oid.split('.')[3]) : undefined;
      if (arc !== undefined && GO_HANDLED_2_5_29.has(arc)) {
        switch (arc) {
          case 14: {
            if (critical) throw new GoCertificateError('subject key identifier incorrectly marked critical');
            fields.subjectKeyId = new DerReader(value).read(TAG.OCTET_STRING).content;
            break;
          }
          case 15: {
            const bits = bitStringBytes(new DerReader(value).read(TAG.BIT_STRING));
            let usage = 0;
            for (let i = 0; i < 9; i++) if (bits.length > i >> 3 && bits[i >> 3] & (0x80 >> (i & 7))) usage |= 1 << i;
            fields.keyUsage = usage;
            break;
          }
          case 17: {
            fields.hasSan = true;
            fields.sanValue = value;
            const tags = readGeneralNameTags(new DerReader(value).read(TAG.SEQUENCE).content);
            unhandled = !tags.some((t) => GO_NAME_TYPES.has(t));
            break;
          }
          case 19: {
            const bc = new DerReader(new DerReader(value).read(TAG.SEQUENCE).content);
            const ca = bc.readOptional(TAG.BOOLEAN);
            fields.isCa = ca !== undefined && ca.content[0] !== 0;
            const pathLen = bc.readOptional(TAG.INTEGER);
            if (pathLen) fields.maxPathLen = pathLen.content.reduce((n, b) => n * 256 + b, 0);
            fields.basicConstraintsValid = true;
            break;
          }
          case 30: {
            fields.hasNameConstraints = true;
            const parsed = parseNameConstraints(value);
            fields.nameConstraints = parsed.constraints;
            unhandled = parsed.unhandled;
            break;
          }
          case 37: {
            const list = new DerReader(new DerReader(value).read(TAG.SEQUENCE).content);
            while (!list.done) fields.extKeyUsage.push(oidToString(list.read(TAG.OID).content));
            break;
          }
          default:
            break;
        }
      } else if (oid === OID_AIA) {
        if (critical) throw new GoCertificateError('authority info access incorrectly marked critical');
      } else {
        unhandled = true;
      }
      if (critical && unhandled) fields.unhandledCriticalExtensions.push(oid);
    }
    return fields;
  } catch (err) {
    if (err instanceof GoCertificateError) throw err;
    throw new GoCertificateError(`malformed certificate (${(err as Error).message})`);
  }
}

/**
 * Fabric's `sanitizeECDSASignedCert`: the certificate re-encoded with its ECDSA signature in
 * canonical DER with low S over the parent's curve. Fabric hashes and compares these bytes
 * (identity ids, admin and IDENTITY principal matching, certifiers identifiers), so a certificate
 * and its high-S twin are one identity. Returns `der` unchanged when nothing changes.
 */
export function sanitizeCertificate(der: Uint8Array, fields: GoCertificateFields, parentCurve: string | undefined): Uint8Array {
  if (!ECDSA_SIGNATURE_ALGORITHMS.has(fields.signatureAlgorithm)) return der;
  const order = CURVE_ORDERS[parentCurve ?? ''];
  const rs = readEcdsaSignatureLenient(fields.signature);
  if (order === undefined || rs === undefined) return der;
  const lowS = encodeEcdsaSignature(isLowS(rs, order) ? rs : { r: rs.r, s: order - rs.s });
  if (Buffer.compare(lowS, fields.signature) === 0) return der;
  return encodeDer(TAG.SEQUENCE, fields.rawTbs, fields.rawSignatureAlgorithm, encodeDer(TAG.BIT_STRING, Uint8Array.of(0), lowS));
}

/**
 * Fabric's `UnmarshalECDSASignature` (encoding/asn1): a SEQUENCE of two positive INTEGERs; bytes
 * after the SEQUENCE are ignored. Undefined where Fabric returns an error.
 */
export function readEcdsaSignatureLenient(sig: Uint8Array): { r: bigint; s: bigint } | undefined {
  try {
    const seq = new DerReader(new DerReader(sig).read(TAG.SEQUENCE).content);
    const int = (): bigint => {
      const c = seq.read(TAG.INTEGER).content;
      if (c.length === 0 || (c.length > 1 && ((c[0] === 0 && !(c[1] & 0x80)) || (c[0] === 0xff && c[1] & 0x80)))) throw new DerError('integer not minimally encoded');
      if (c[0] & 0x80) return -1n;
      return BigInt('0x' + Buffer.from(c).toString('hex'));
    };
    const r = int();
    const s = int();
    if (r <= 0n || s <= 0n) return undefined;
    return { r, s };
  } catch {
    return undefined;
  }
}
