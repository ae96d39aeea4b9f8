import { DerReader, TAG, oidToString, type DerElement } from './der-reader';

/** The curves Go's x509 parser knows (`namedCurveFromOID`), by OpenSSL name. */
export type GoCurve = 'secp224r1' | 'prime256v1' | 'secp384r1' | 'secp521r1';

const CURVE_OIDS: Readonly<Record<string, { readonly curve: GoCurve; readonly coordinateBytes: number }>> = {
  '1.3.132.0.33': { curve: 'secp224r1', coordinateBytes: 28 },
  '1.2.840.10045.3.1.7': { curve: 'prime256v1', coordinateBytes: 32 },
  '1.3.132.0.34': { curve: 'secp384r1', coordinateBytes: 48 },
  '1.3.132.0.35': { curve: 'secp521r1', coordinateBytes: 66 },
};

/**
 * A subject public key as Go's `x509.ParseCertificate` holds it. `unknown` is an algorithm Go
 * leaves unparsed (`UnknownPublicKeyAlgorithm`, e.g. X25519 or an RSASSA-PSS key): the
 * certificate parses, but it verifies nothing and Fabric's BCCSP imports no such key.
 */
export type GoPublicKey =
  | { readonly algorithm: 'RSA'; readonly modulusBits: number; readonly modulusOdd: boolean; readonly exponent: bigint }
  | { readonly algorithm: 'ECDSA'; readonly curve: GoCurve }
  | { readonly algorithm: 'Ed25519' }
  | { readonly algorithm: 'DSA' }
  | { readonly algorithm: 'unknown'; readonly oid: string };

/** Why Go's parser refuses a subject public key; `unsupportedCurve` for an ECDSA key on a curve Go does not know. */
export class GoPublicKeyError extends Error {
  constructor(
    message: string,
    readonly unsupportedCurve = false,
  ) {
    super(message);
  }
}

const OID_RSA = '1.2.840.113549.1.1.1';
const OID_DSA = '1.2.840.10040.4.1';
const OID_ECDSA = '1.2.840.10045.2.1';
const OID_ED25519 = '1.3.101.112';
const NULL_PARAMETERS = Buffer.from([0x05, 0x00]);

/** cryptobyte's `ReadASN1Integer` rule: non-empty and minimally encoded. */
function minimalInteger(el: DerElement | undefined): Uint8Array | undefined {
  const c = el?.content;
  if (c === undefined || c.length === 0) return undefined;
  if (c.length > 1 && ((c[0] === 0 && !(c[1] & 0x80)) || (c[0] === 0xff && c[1] & 0x80))) return undefined;
  return c;
}

function tryRead(r: DerReader, tag: number): DerElement | undefined {
  try {
    return r.read(tag);
  } catch {
    return undefined;
  }
}

function rsaKey(params: Uint8Array | undefined, key: Uint8Array): GoPublicKey {
  if (params === undefined || !NULL_PARAMETERS.equals(params)) throw new GoPublicKeyError('x509: RSA key missing NULL parameters');
  const seq = tryRead(new DerReader(key), TAG.SEQUENCE);
  if (seq === undefined) throw new GoPublicKeyError('x509: invalid RSA public key');
  const fields = new DerReader(seq.content);
  const n = minimalInteger(tryRead(fields, TAG.INTEGER));
  if (n === undefined) throw new GoPublicKeyError('x509: invalid RSA modulus');
  const e = minimalInteger(tryRead(fields, TAG.INTEGER));
  // Go reads the exponent into an int64.
  if (e === undefined || e.length > 8) throw new GoPublicKeyError('x509: invalid RSA public exponent');
  if (n[0] & 0x80 || n.every((b) => b === 0)) throw new GoPublicKeyError('x509: RSA modulus is not a positive number');
  const exponent = BigInt(`0x${Buffer.from(e).toString('hex')}`) - (e[0] & 0x80 ? 1n << BigInt(e.length * 8) : 0n);
  if (exponent <= 0n) throw new GoPublicKeyError('x509: RSA public exponent is not a positive number');
  const start = n.findIndex((b) => b !== 0);
  const modulusBits = (n.length - start) * 8 - Math.clz32(n[start]) + 24;
  return { algorithm: 'RSA', modulusBits, modulusOdd: (n[n.length - 1] & 1) === 1, exponent };
}

function ecdsaKey(params: Uint8Array | undefined, key: Uint8Array): GoPublicKey {
  const oid = params === undefined ? undefined : tryRead(new DerReader(params), TAG.OID);
  if (oid === undefined || oid.content.length === 0) throw new GoPublicKeyError('x509: invalid ECDSA parameters');
  const named = CURVE_OIDS[oidToString(oid.content)];
  if (named === undefined) throw new GoPublicKeyError('x509: unsupported elliptic curve', true);
  // Go takes uncompressed points only; OpenSSL also reads compressed ones (and checks the point is on the curve).
  if (key.length !== 1 + 2 * named.coordinateBytes || key[0] !== 0x04) throw new GoPublicKeyError('x509: failed to unmarshal elliptic curve point');
  return { algorithm: 'ECDSA', curve: named.curve };
}

/**
 * Go's `parsePublicKey` over a certificate's SubjectPublicKeyInfo (exact DER): RSA with NULL
 * parameters and a positive modulus and exponent, ECDSA on P-224/256/384/521 as an uncompressed
 * point, Ed25519 without parameters and 32 bytes, DSA. Throws {@link GoPublicKeyError} with Go's
 * message where `x509.ParseCertificate` fails.
 */
export function parseGoPublicKey(rawSpki: Uint8Array): GoPublicKey {
  const spki = new DerReader(new DerReader(rawSpki).read(TAG.SEQUENCE).content);
  const ai = new DerReader(spki.read(TAG.SEQUENCE).content);
  const oid = oidToString(ai.read(TAG.OID).content);
  // Go's parseAI: the parameters are the one element after the OID, if any.
  const params = ai.done ? undefined : ai.read().raw;
  const bits = spki.read(TAG.BIT_STRING).content;
  if (bits.length === 0 || bits[0] > 7) throw new GoPublicKeyError('x509: malformed subjectPublicKey');
  // Keys are whole bytes: a key with unused bits cannot decode as Go's RightAlign would shift it.
  if (bits[0] !== 0 && [OID_RSA, OID_ECDSA, OID_ED25519, OID_DSA].includes(oid)) throw new GoPublicKeyError('x509: malformed subjectPublicKey (unused bits)');
  const key = bits.subarray(1);
  switch (oid) {
    case OID_RSA:
      return rsaKey(params, key);
    case OID_ECDSA:
      return ecdsaKey(params, key);
    case OID_ED25519:
      if (params !== undefined) throw new GoPublicKeyError('x509: Ed25519 key encoded with illegal parameters');
      if (key.length !== 32) throw new GoPublicKeyError('x509: wrong Ed25519 public key size');
      return { algorithm: 'Ed25519' };
    case OID_DSA:
      return { algorithm: 'DSA' };
    default:
      return { algorithm: 'unknown', oid };
  }
}

/** How Go names the key type in errors (`PublicKeyAlgorithm.String()`). */
export function goKeyAlgorithmName(key: GoPublicKey): string {
  return key.algorithm === 'unknown' ? `unknown (${key.oid})` : key.algorithm;
}
