import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { CURVE_ORDERS } from './ecdsa-signature';

/** The key types an identity may have (Fabric: ECDSA P-256/P-384, and Ed25519 from v3). */
export type IdentityKeyType = 'ecdsa' | 'ed25519';

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
}

export const MAX_CERTIFICATE_PEM_BYTES = 64 * 1024;

const PEM_BLOCK = /^\s*-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END \1-----\s*$/;

/**
 * Parses `id_bytes` as Fabric does (`pem.Decode` then `x509.ParseCertificate`), but stricter: one
 * PEM block of type CERTIFICATE and nothing else (Fabric's `IsWellFormed`). `field` names the input
 * in errors.
 */
export function parsePemCertificate(pem: Uint8Array, field: string): ParsedCertificate {
  if (pem.length === 0 || pem.length > MAX_CERTIFICATE_PEM_BYTES) {
    throw new MspError(MspErrorCode.BadPem, `${field}: expected a PEM certificate of 1..${MAX_CERTIFICATE_PEM_BYTES} bytes, got ${pem.length}`, {
      field,
      length: pem.length,
    });
  }
  const text = Buffer.from(pem.buffer, pem.byteOffset, pem.length).toString('latin1');
  const match = PEM_BLOCK.exec(text);
  if (!match || match[1] !== 'CERTIFICATE') {
    throw new MspError(
      MspErrorCode.BadPem,
      `${field}: expected exactly one "-----BEGIN CERTIFICATE-----" PEM block, got ${match ? `a "${match[1]}" block` : 'no well-formed PEM block'}`,
      { field },
    );
  }
  const der = Buffer.from(match[2].replace(/\s+/g, ''), 'base64');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (err) {
    throw new MspError(MspErrorCode.BadPem, `${field}: the PEM block does not hold a valid X.509 certificate (${(err as Error).message})`, { field }, { cause: err });
  }
  return fromX509(x509, der);
}

export function fromX509(x509: X509Certificate, der: Uint8Array = x509.raw): ParsedCertificate {
  return {
    x509,
    der,
    id: createHash('sha256').update(der).digest('hex'),
    organizationalUnits: subjectAttribute(x509.subject, 'OU'),
    publicKey: x509.publicKey,
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

/** The identity key type, or a typed error for keys Fabric's MSP does not accept (wrong curve, RSA). */
export function identityKeyType(key: KeyObject, field: string): IdentityKeyType {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve !== undefined && CURVE_ORDERS[curve] !== undefined) return 'ecdsa';
  throw new MspError(
    MspErrorCode.UnsupportedKey,
    `${field}: key ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` on curve ${curve}` : ''} is not accepted; expected ECDSA P-256 (prime256v1), P-384 (secp384r1) or Ed25519`,
    { field, keyType: key.asymmetricKeyType, curve },
  );
}
