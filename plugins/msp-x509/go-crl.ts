import type { X509Certificate } from 'node:crypto';
import { DerReader, TAG, oidToString } from '../../core/protocol/der-reader';
import { encodeEcdsaSignature } from './ecdsa-signature';
import { ECDSA_SIGNATURE_ALGORITHMS, derInteger, parseGoCertificate, readEcdsaSignatureLenient } from './go-certificate';
import { goPemDecode } from './go-pem';
import { goCheckSignature, goSignatureAlgorithm, type GoSignatureAlgorithm } from '../../core/protocol/go-signature';

/** A CRL as Fabric's MSP holds it (`pkix.CertificateList` after `setupCRLs`). */
export interface GoCrl {
  readonly rawTbs: Uint8Array;
  readonly signatureAlgorithm: string;
  /** What Go's `getSignatureAlgorithmFromAI` makes of the whole AlgorithmIdentifier (RSASSA-PSS needs its parameters); undefined is unknown. */
  readonly goSignatureAlgorithm: GoSignatureAlgorithm | undefined;
  /** Canonical DER for ECDSA (Fabric re-marshals it at setup), else the raw bits. */
  readonly signature: Uint8Array;
  /** The AKI keyIdentifier; a string says why Fabric's `getAuthorityKeyIdentifierFromCrl` fails. */
  readonly authorityKeyId: Uint8Array | string;
  readonly revokedSerials: readonly bigint[];
}

const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const PEM_CRL_PREFIX = Buffer.from('-----BEGIN X509 CRL');

/** Go's `asn1.BitString.RightAlign`. */
function rightAlign(content: Uint8Array): Uint8Array {
  if (content.length === 0) throw new Error('empty BIT STRING');
  const unused = content[0];
  const bytes = content.subarray(1);
  if (unused === 0 || bytes.length === 0) return bytes;
  const out = new Uint8Array(bytes.length);
  out[0] = bytes[0] >> unused;
  for (let i = 1; i < bytes.length; i++) out[i] = ((bytes[i - 1] << (8 - unused)) & 0xff) | (bytes[i] >> unused);
  return out;
}

function readAuthorityKeyId(extensions: DerReader | undefined): Uint8Array | string {
  if (extensions === undefined) return 'authorityKeyIdentifier not found in CRL';
  while (!extensions.done) {
    const ext = new DerReader(extensions.read(TAG.SEQUENCE).content);
    const oid = oidToString(ext.read(TAG.OID).content);
    ext.readOptional(TAG.BOOLEAN);
    const value = ext.read(TAG.OCTET_STRING).content;
    if (oid !== OID_AUTHORITY_KEY_ID) continue;
    try {
      const aki = new DerReader(new DerReader(value).read(TAG.SEQUENCE).content);
      return aki.readOptional(0x80)?.content ?? new Uint8Array(0);
    } catch (err) {
      return `failed to unmarshal AKI (${(err as Error).message})`;
    }
  }
  return 'authorityKeyIdentifier not found in CRL';
}

/**
 * Go's `x509.ParseCRL` as Fabric's `setupCRLs` calls it: PEM only when the bytes start with
 * "-----BEGIN X509 CRL" (then `pem.Decode`, used only if the block's type is "X509 CRL"), else DER
 * with nothing after it; then the ECDSA signature re-marshalled. Throws with Go's reason.
 */
export function parseGoCrl(bytes: Uint8Array): GoCrl {
  let der = bytes;
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).subarray(0, PEM_CRL_PREFIX.length).equals(PEM_CRL_PREFIX)) {
    const block = goPemDecode(bytes);
    if (block !== undefined && block.type === 'X509 CRL') der = block.bytes;
  }
  const top = new DerReader(der);
  const list = new DerReader(top.read(TAG.SEQUENCE).content);
  if (!top.done) throw new Error('trailing data after CRL');
  const tbsEl = list.read(TAG.SEQUENCE);
  const algorithmEl = list.read(TAG.SEQUENCE);
  const algorithm = oidToString(new DerReader(algorithmEl.content).read(TAG.OID).content);
  let signature = rightAlign(list.read(TAG.BIT_STRING).content);
  const tbs = new DerReader(tbsEl.content);
  tbs.readOptional(TAG.INTEGER);
  tbs.read(TAG.SEQUENCE);
  tbs.read(TAG.SEQUENCE);
  tbs.read();
  if (tbs.peekTag() === 0x17 || tbs.peekTag() === 0x18) tbs.read();
  const revokedSerials: bigint[] = [];
  const revoked = tbs.readOptional(TAG.SEQUENCE);
  if (revoked) {
    const entries = new DerReader(revoked.content);
    while (!entries.done) revokedSerials.push(derInteger(new DerReader(entries.read(TAG.SEQUENCE).content).read(TAG.INTEGER).content));
  }
  const extsEl = tbs.readOptional(0xa0);
  const authorityKeyId = readAuthorityKeyId(extsEl ? new DerReader(new DerReader(extsEl.content).read(TAG.SEQUENCE).content) : undefined);
  if (ECDSA_SIGNATURE_ALGORITHMS.has(algorithm)) {
    const rs = readEcdsaSignatureLenient(signature);
    if (rs === undefined) throw new Error('the ECDSA signature does not unmarshal (R and S must be positive integers)');
    signature = encodeEcdsaSignature(rs);
  }
  return { rawTbs: tbsEl.raw, signatureAlgorithm: algorithm, goSignatureAlgorithm: goSignatureAlgorithm(algorithmEl.raw), signature, authorityKeyId, revokedSerials };
}

/**
 * Go's `Certificate.CheckCRLSignature` by `issuer`, whose key Go reads from its certificate: no CA
 * checks; SHA-1 allowed, MD5 not; RSASSA-PSS in Go's parameter sets.
 */
export function crlSignedBy(crl: GoCrl, issuer: X509Certificate): boolean {
  let go;
  try {
    go = parseGoCertificate(new Uint8Array(issuer.raw)).publicKey;
  } catch {
    return false;
  }
  return goCheckSignature(crl.goSignatureAlgorithm, crl.rawTbs, crl.signature, { go, node: issuer.publicKey }, true) === undefined;
}
