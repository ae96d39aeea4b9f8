import { constants as cryptoConstants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { DerReader, TAG, oidToString, type DerElement } from './der-reader';
import { goKeyAlgorithmName, type GoPublicKey } from './go-public-key';

type GoHash = 'md2' | 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** One row of Go's `signatureAlgorithmDetails`: a signature algorithm Go can name. */
export interface GoSignatureAlgorithm {
  /** Go's `SignatureAlgorithm.String()`, e.g. SHA256-RSA. */
  readonly name: string;
  readonly keyAlgorithm: 'RSA' | 'DSA' | 'ECDSA' | 'Ed25519';
  /** undefined for PureEd25519, which hashes nothing. */
  readonly hash: GoHash | undefined;
  readonly pss: boolean;
}

const row = (name: string, keyAlgorithm: GoSignatureAlgorithm['keyAlgorithm'], hash: GoHash | undefined, pss = false): GoSignatureAlgorithm => ({ name, keyAlgorithm, hash, pss });

/** Go's `signatureAlgorithmDetails` by OID (RSASSA-PSS is told apart by its parameters, below). */
const BY_OID: Readonly<Record<string, GoSignatureAlgorithm>> = {
  '1.2.840.113549.1.1.2': row('MD2-RSA', 'RSA', 'md2'),
  '1.2.840.113549.1.1.4': row('MD5-RSA', 'RSA', 'md5'),
  '1.2.840.113549.1.1.5': row('SHA1-RSA', 'RSA', 'sha1'),
  '1.3.14.3.2.29': row('SHA1-RSA', 'RSA', 'sha1'),
  '1.2.840.113549.1.1.11': row('SHA256-RSA', 'RSA', 'sha256'),
  '1.2.840.113549.1.1.12': row('SHA384-RSA', 'RSA', 'sha384'),
  '1.2.840.113549.1.1.13': row('SHA512-RSA', 'RSA', 'sha512'),
  '1.2.840.10040.4.3': row('DSA-SHA1', 'DSA', 'sha1'),
  '2.16.840.1.101.3.4.3.2': row('DSA-SHA256', 'DSA', 'sha256'),
  '1.2.840.10045.4.1': row('ECDSA-SHA1', 'ECDSA', 'sha1'),
  '1.2.840.10045.4.3.2': row('ECDSA-SHA256', 'ECDSA', 'sha256'),
  '1.2.840.10045.4.3.3': row('ECDSA-SHA384', 'ECDSA', 'sha384'),
  '1.2.840.10045.4.3.4': row('ECDSA-SHA512', 'ECDSA', 'sha512'),
  '1.3.101.112': row('Ed25519', 'Ed25519', undefined),
};

const OID_RSA_PSS = '1.2.840.113549.1.1.10';
const OID_MGF1 = '1.2.840.113549.1.1.8';
/** The three RSASSA-PSS buckets Go accepts: this hash, MGF1 with it, salt of its length. */
const PSS_BY_HASH: Readonly<Record<string, { readonly algorithm: GoSignatureAlgorithm; readonly saltLength: number }>> = {
  '2.16.840.1.101.3.4.2.1': { algorithm: row('SHA256-RSAPSS', 'RSA', 'sha256', true), saltLength: 32 },
  '2.16.840.1.101.3.4.2.2': { algorithm: row('SHA384-RSAPSS', 'RSA', 'sha384', true), saltLength: 48 },
  '2.16.840.1.101.3.4.2.3': { algorithm: row('SHA512-RSAPSS', 'RSA', 'sha512', true), saltLength: 64 },
};

interface AlgorithmIdentifier {
  readonly oid: string;
  /** The parameters element (Go's `Parameters.FullBytes`), absent when none. */
  readonly params: Uint8Array | undefined;
}

function readAlgorithmIdentifier(el: DerElement): AlgorithmIdentifier {
  const r = new DerReader(el.content);
  const oid = oidToString(r.read(TAG.OID).content);
  return { oid, params: r.done ? undefined : r.read().raw };
}

const isAbsentOrNull = (params: Uint8Array | undefined): boolean => params === undefined || (params.length === 2 && params[0] === 0x05 && params[1] === 0x00);

/** A small DER INTEGER as Go's `encoding/asn1` reads it into an `int`; undefined where Go fails. */
function readSmallInt(el: DerElement): number | undefined {
  const c = el.content;
  if (el.tag !== TAG.INTEGER || c.length === 0 || c.length > 6) return undefined;
  if (c.length > 1 && ((c[0] === 0 && !(c[1] & 0x80)) || (c[0] === 0xff && c[1] & 0x80))) return undefined;
  const unsigned = c.reduce((n, b) => n * 256 + b, 0);
  return c[0] & 0x80 ? unsigned - 2 ** (8 * c.length) : unsigned;
}

/** Go's `getSignatureAlgorithmFromAI` for RSASSA-PSS: only the three standard parameter sets. */
function pssAlgorithm(params: Uint8Array | undefined): GoSignatureAlgorithm | undefined {
  try {
    if (params === undefined) return undefined;
    const seq = new DerReader(new DerReader(params).read(TAG.SEQUENCE).content);
    const explicit = (tag: number): DerElement => new DerReader(seq.read(tag).content).read();
    const hash = readAlgorithmIdentifier(explicit(0xa0));
    const mgf = readAlgorithmIdentifier(explicit(0xa1));
    const saltLength = readSmallInt(explicit(0xa2));
    const trailer = seq.peekTag() === 0xa3 ? readSmallInt(explicit(0xa3)) : 1;
    if (mgf.params === undefined) return undefined;
    const mgfHash = readAlgorithmIdentifier(new DerReader(mgf.params).read(TAG.SEQUENCE));
    if (!isAbsentOrNull(hash.params) || mgf.oid !== OID_MGF1 || mgfHash.oid !== hash.oid || !isAbsentOrNull(mgfHash.params) || trailer !== 1) return undefined;
    const bucket = PSS_BY_HASH[hash.oid];
    return bucket !== undefined && bucket.saltLength === saltLength ? bucket.algorithm : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Go's `getSignatureAlgorithmFromAI` over an AlgorithmIdentifier's exact DER: the OID decides
 * (parameters ignored), except that PureEd25519 must have none and RSASSA-PSS must carry one of
 * Go's three parameter sets. undefined is Go's `UnknownSignatureAlgorithm`.
 */
export function goSignatureAlgorithm(rawAlgorithmIdentifier: Uint8Array): GoSignatureAlgorithm | undefined {
  let ai: AlgorithmIdentifier;
  try {
    ai = readAlgorithmIdentifier(new DerReader(rawAlgorithmIdentifier).read(TAG.SEQUENCE));
  } catch {
    return undefined;
  }
  if (ai.oid === OID_RSA_PSS) return pssAlgorithm(ai.params);
  const algorithm = BY_OID[ai.oid];
  if (algorithm?.keyAlgorithm === 'Ed25519' && ai.params !== undefined) return undefined;
  return algorithm;
}

/** The key a signature is checked against: Go's reading (what checks apply) and node's (to verify). */
export interface GoVerifyingKey {
  readonly go: GoPublicKey;
  readonly node: KeyObject;
}

const UNSUPPORTED = 'x509: cannot verify signature: algorithm unimplemented';
const GO_KEY_TYPES: Readonly<Record<string, string>> = { RSA: '*rsa.PublicKey', ECDSA: '*ecdsa.PublicKey', Ed25519: 'ed25519.PublicKey', DSA: '*dsa.PublicKey' };
const HASH_BYTES: Readonly<Record<string, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** crypto/rsa's checks before any RSA verification (Go 1.24+: `checkPublicKeySize`, then fips140 `checkPublicKey`). */
function rsaKeyProblem(key: Extract<GoPublicKey, { algorithm: 'RSA' }>): string | undefined {
  // GODEBUG rsa1024min=1 is the default for Fabric's go.mod (Go 1.24 and later).
  if (key.modulusBits < 1024) return `crypto/rsa: ${key.modulusBits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)`;
  if (!key.modulusOdd) return 'crypto/rsa: public modulus is even';
  if (key.exponent < 2n) return 'crypto/rsa: public exponent too small or negative';
  if ((key.exponent & 1n) === 0n) return 'crypto/rsa: public exponent is even';
  if (key.exponent > 0x7fffffffn) return 'crypto/rsa: public exponent too large';
  return undefined;
}

function nodeVerify(algorithm: GoSignatureAlgorithm, signed: Uint8Array, signature: Uint8Array, key: GoVerifyingKey): boolean {
  try {
    if (algorithm.keyAlgorithm === 'Ed25519') return cryptoVerify(null, signed, key.node, signature);
    if (algorithm.keyAlgorithm === 'ECDSA') return cryptoVerify(algorithm.hash ?? null, signed, { key: key.node, dsaEncoding: 'der' }, signature);
    const padding = algorithm.pss
      ? { padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[algorithm.hash ?? ''] }
      : { padding: cryptoConstants.RSA_PKCS1_PADDING };
    return cryptoVerify(algorithm.hash ?? null, signed, { key: key.node, ...padding }, signature);
  } catch {
    return false;
  }
}

/**
 * Go's `checkSignature`: undefined when `signature` over `signed` verifies under `key`, else Go's
 * reason. MD2/MD5 and unknown algorithms are refused, SHA-1 unless `allowSha1` (Go allows it in
 * `Certificate.CheckSignature`, hence for CRLs, never in chain building), the key type must be
 * the algorithm's, RSA keys need 1024 bits or more and signatures exactly the modulus length
 * (OpenSSL would take a shorter PSS one), RSASSA-PSS salts equal the hash length.
 */
export function goCheckSignature(
  algorithm: GoSignatureAlgorithm | undefined,
  signed: Uint8Array,
  signature: Uint8Array,
  key: GoVerifyingKey,
  allowSha1: boolean,
): string | undefined {
  if (algorithm === undefined || algorithm.hash === 'md2' || (algorithm.hash === undefined && algorithm.keyAlgorithm !== 'Ed25519')) return UNSUPPORTED;
  if (algorithm.hash === 'md5' || (algorithm.hash === 'sha1' && !allowSha1)) return `x509: cannot verify signature: insecure algorithm ${algorithm.name}`;
  const go = key.go;
  // Go verifies with RSA, ECDSA and Ed25519 keys only (DSA verification is gone since Go 1.16).
  if (go.algorithm === 'DSA' || go.algorithm === 'unknown') return UNSUPPORTED;
  if (go.algorithm !== algorithm.keyAlgorithm) {
    return `x509: signature algorithm specifies an ${algorithm.keyAlgorithm} public key, but have public key of type ${GO_KEY_TYPES[go.algorithm]}`;
  }
  if (go.algorithm === 'RSA') {
    const problem = rsaKeyProblem(go);
    if (problem !== undefined) return problem;
    if (signature.length !== Math.ceil(go.modulusBits / 8)) return 'crypto/rsa: verification error';
  }
  if (nodeVerify(algorithm, signed, signature, key)) return undefined;
  return go.algorithm === 'RSA' ? 'crypto/rsa: verification error' : `x509: ${goKeyAlgorithmName(go)} verification failure`;
}
