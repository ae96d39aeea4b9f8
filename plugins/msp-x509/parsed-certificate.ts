import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import * as pkijs from 'pkijs';
import { encodeEcdsaSignature, parseEcdsaSignature } from './ecdsa-signature';
import { GoCertificateError, parseGoCertificate, type GoCertificateFields } from './go-certificate';
import { type GoPemBlock, goPemDecode } from './go-pem';
import { goKeyAlgorithmName } from '../../core/protocol/go-public-key';

/**
 * The key types Fabric's BCCSP imports from an identity's certificate (`x509PublicKeyImportOptsKeyImporter`):
 * ECDSA on any curve Go parses, Ed25519, and RSA, which exists for RSA CAs and fails an identity's validation.
 */
export type IdentityKeyType = 'ecdsa' | 'ed25519' | 'rsa';

/** A certificate parsed once with node:crypto, with what validation and verification need. */
export interface ParsedCertificate {
  readonly x509: X509Certificate;
  readonly der: Uint8Array;
  /** Hex SHA-256 of the DER: Fabric's identity id within an MSP. */
  readonly id: string;
  readonly organizationalUnits: readonly string[];
  readonly publicKey: KeyObject;
  /** Upper-case hex without leading zeros (CRL serials are compared in this form). */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** What Go's x509 parser and verifier read from the DER (raw names, extensions, EKUs). */
  readonly go: GoCertificateFields;
}

export const MAX_CERTIFICATE_PEM_BYTES = 64 * 1024;

/**
 * Parses certificate PEM as Fabric's MSP does everywhere but gossip (`deserializeIdentityInternal`,
 * `getCertFromPem`): Go's `pem.Decode` (the first block of any type; text before it skipped, what
 * follows it ignored, headers allowed) then `x509.ParseCertificate` (DER with nothing after the
 * certificate). Creators, endorsers and the MSP's own config certificates all go through this, so
 * it must accept what a Fabric peer accepts. `field` names the input in errors.
 */
export function parsePemCertificate(pem: Uint8Array, field: string): ParsedCertificate {
  return parseDecodedBlock(decodePem(pem, field), field);
}

/**
 * Fabric's `IsWellFormed`, which gossip alone applies to a peer's identity: the PEM block must be
 * the whole input after any leading text, of type CERTIFICATE (or none), and an ECDSA-signed
 * certificate must carry its signature in canonical DER. Throws MSP_BAD_PEM naming the rule.
 */
export function parseWellFormedPemCertificate(pem: Uint8Array, field: string): ParsedCertificate {
  const block = decodePem(pem, field);
  if (block.rest.length > 0) throw badPem(field, `${block.rest.length} bytes follow the PEM block`);
  if (block.type !== 'CERTIFICATE' && block.type !== '') throw badPem(field, `the PEM block is of type "${block.type}"; expected CERTIFICATE or none`);
  const cert = parseDecodedBlock(block, field);
  let parsed: pkijs.Certificate;
  try {
    parsed = pkijs.Certificate.fromBER(cert.der);
  } catch (err) {
    throw new MspError(MspErrorCode.BadPem, `${field}: the certificate does not parse (${(err as Error).message})`, { field }, { cause: err });
  }
  if (ECDSA_SIGNATURE_ALGORITHMS.has(parsed.signatureAlgorithm.algorithmId) && !isCanonicalEcdsaSignature(parsed.signatureValue.valueBlock.valueHexView)) {
    throw badPem(field, "the certificate's ECDSA signature is not in canonical DER");
  }
  return cert;
}

/** ecdsa-with-SHA1/256/384/512: Fabric's `isECDSASignedCert`. */
const ECDSA_SIGNATURE_ALGORITHMS = new Set(['1.2.840.10045.4.1', '1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4']);

/** Fabric's `isIdentitySignedInCanonicalForm`: the bytes equal the DER re-encoding of their (r, s), both positive. */
function isCanonicalEcdsaSignature(sig: Uint8Array): boolean {
  const rs = parseEcdsaSignature(sig);
  return rs !== undefined && Buffer.compare(encodeEcdsaSignature(rs), sig) === 0;
}

function badPem(field: string, why: string): MspError {
  return new MspError(MspErrorCode.BadPem, `${field}: ${why}`, { field });
}

function decodePem(pem: Uint8Array, field: string): GoPemBlock {
  if (pem.length === 0 || pem.length > MAX_CERTIFICATE_PEM_BYTES) {
    throw new MspError(MspErrorCode.BadPem, `${field}: expected a PEM certificate of 1..${MAX_CERTIFICATE_PEM_BYTES} bytes, got ${pem.length}`, {
      field,
      length: pem.length,
    });
  }
  const block = goPemDecode(pem);
  if (block === undefined) throw badPem(field, 'no PEM block decodes (expected "-----BEGIN CERTIFICATE-----", base64, "-----END CERTIFICATE-----")');
  return block;
}

function parseDecodedBlock(block: GoPemBlock, field: string): ParsedCertificate {
  const der = block.bytes;
  // node:crypto would also take PEM text here; Go's parser takes only a DER SEQUENCE.
  if (der.length === 0 || der[0] !== 0x30) throw badPem(field, `the "${block.type}" PEM block does not hold a DER certificate`);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (err) {
    throw new MspError(MspErrorCode.BadPem, `${field}: the "${block.type}" PEM block does not hold a valid X.509 certificate (${(err as Error).message})`, { field }, { cause: err });
  }
  // OpenSSL stops after the certificate; Go's x509.ParseCertificate fails with "trailing data".
  if (x509.raw.length !== der.length) throw badPem(field, `${der.length - x509.raw.length} bytes follow the certificate's DER inside the PEM block`);
  let go: GoCertificateFields;
  try {
    go = parseGoCertificate(der);
  } catch (err) {
    if (!(err instanceof GoCertificateError)) throw err;
    // Go's x509.ParseCertificate refuses these (e.g. a critical SubjectKeyIdentifier), so Fabric never builds the identity.
    const why = `Go's x509 parser refuses the certificate: ${err.message}`;
    if (err.unsupportedKey) throw new MspError(MspErrorCode.UnsupportedKey, `${field}: ${why}; expected a key on P-224, P-256, P-384 or P-521`, { field });
    throw badPem(field, why);
  }
  return fromX509(x509, der, go);
}

function fromX509(x509: X509Certificate, der: Uint8Array, go: GoCertificateFields): ParsedCertificate {
  let publicKey: KeyObject | undefined;
  return {
    go,
    x509,
    der,
    id: createHash('sha256').update(der).digest('hex'),
    organizationalUnits: subjectAttribute(x509.subject, 'OU'),
    // Read when first used: Go parses certificates whose key OpenSSL cannot load (an unknown
    // algorithm), and Fabric takes them as TLS CAs, which verify nothing.
    get publicKey(): KeyObject {
      publicKey ??= x509.publicKey;
      return publicKey;
    },
    serialNumber: normalizeSerial(x509.serialNumber),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
  };
}

export function normalizeSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

function unescapeDnValue(value: string): string {
  return value.replace(/\\([0-9A-Fa-f]{2}|.)/g, (_, esc: string) =>
    esc.length === 2 ? String.fromCharCode(parseInt(esc, 16)) : esc,
  );
}

/**
 * Values of one attribute in node's multi-line subject rendering (one RDN per line, multi-valued
 * RDNs joined by " + ", special characters backslash-escaped per RFC 2253), in subject order.
 */
export function subjectAttribute(subject: string, attribute: string): string[] {
  const out: string[] = [];
  for (const line of subject.split('\n')) {
    for (const part of line.split(/(?<!\\) \+ /)) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq) === attribute) out.push(unescapeDnValue(part.slice(eq + 1)));
    }
  }
  return out;
}

const IMPORTED_KEY_TYPES: Readonly<Record<string, IdentityKeyType>> = { ECDSA: 'ecdsa', Ed25519: 'ed25519', RSA: 'rsa' };

/**
 * The key type Fabric's BCCSP imports from `cert` (`getIdentityFromConf`, `deserializeIdentityInternal`),
 * or MSP_UNSUPPORTED_KEY for one it refuses (DSA, or an algorithm Go does not parse). Which of
 * these an identity may have is the MSP's validation rule, not this one.
 */
export function identityKeyType(cert: ParsedCertificate, field: string): IdentityKeyType {
  const key = cert.go.publicKey;
  const type = IMPORTED_KEY_TYPES[key.algorithm];
  if (type !== undefined) return type;
  throw new MspError(
    MspErrorCode.UnsupportedKey,
    `${field}: failed to import certificate's public key (${goKeyAlgorithmName(key)}): Certificate's public key type not recognized. Supported keys: [ECDSA, ED25519, RSA]`,
    { field, keyAlgorithm: goKeyAlgorithmName(key) },
  );
}
