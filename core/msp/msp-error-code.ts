/**
 * Stable codes of every `MspError` an MSP plugin throws, so callers (endorser, validator, tests)
 * can branch on why an identity or signature was refused. Plugins may add codes of their own.
 */
export const MspErrorCode = {
  /** `SerializedIdentity` bytes that do not decode (truncated, oversized, empty fields). */
  BadIdentity: 'MSP_BAD_IDENTITY',
  /** `id_bytes` is not exactly one PEM `CERTIFICATE` block holding a parseable certificate. */
  BadPem: 'MSP_BAD_PEM',
  /** The identity names another MSP than the one asked to deserialize it. */
  IdMismatch: 'MSP_ID_MISMATCH',
  /** No MSP with that id in this manager (or channel). */
  Unknown: 'MSP_UNKNOWN',
  /**
   * Key algorithm or curve the MSP does not accept: a key the BCCSP does not import (DSA, unknown
   * algorithms), a curve Go does not parse (secp256k1), an RSA identity (at validation; RSA is for
   * CAs), Ed25519 identities below MSPv3_0 (channels before V3_0).
   */
  UnsupportedKey: 'MSP_UNSUPPORTED_KEY',
  /** A CA certificate presented as an identity. */
  CaAsIdentity: 'MSP_CA_AS_IDENTITY',
  /**
   * No valid chain to a root of this MSP under Go's x509 rules (foreign CA, a CA not valid at the
   * identity's NotBefore, an ExtKeyUsage without serverAuth, an unknown critical extension, a name
   * constraint, a SHA-1 signature).
   */
  UntrustedChain: 'MSP_UNTRUSTED_CHAIN',
  /** More than one validation chain: ownership of the identity would be unclear. */
  AmbiguousChain: 'MSP_AMBIGUOUS_CHAIN',
  /** Issued by a CA that itself issued other CAs; Fabric accepts identities from leaf CAs only. */
  NotLeafCa: 'MSP_NOT_LEAF_CA',
  /** Listed in a CRL of the issuing CA. */
  Revoked: 'MSP_REVOKED',
  /** NodeOUs enabled and the identity carries none, or several, of client/peer/admin/orderer. */
  NodeOu: 'MSP_NODE_OU',
  /** `OrganizationalUnitIdentifiers` configured and none of the identity's OUs is listed. */
  OrganizationalUnit: 'MSP_OU',
  /** Certificate past its `notAfter` (checked on proposal and broadcast paths, not by MSP validation). */
  Expired: 'MSP_EXPIRED',
  /** Certificate before its `notBefore`. */
  NotYetValid: 'MSP_NOT_YET_VALID',
  /** Signature bytes that are not a canonical DER ECDSA signature (or wrong Ed25519 length). */
  MalformedSignature: 'MSP_MALFORMED_SIGNATURE',
  /** ECDSA signature with S above half the curve order, which Fabric rejects. */
  HighS: 'MSP_HIGH_S',
  /** Well-formed signature that does not verify against the identity's key. */
  BadSignature: 'MSP_BAD_SIGNATURE',
  /** An `MSPPrincipal` whose bytes do not decode or whose type/role is unknown. */
  BadPrincipal: 'MSP_BAD_PRINCIPAL',
  /** A `FabricMSPConfig` that cannot work (no root, bad CA certificate, NodeOU cert not a CA of the MSP). */
  BadConfig: 'MSP_BAD_CONFIG',
  /** A CRL in the config that Go's `x509.ParseCRL` refuses, or (at validation) one without an AuthorityKeyIdentifier. */
  BadCrl: 'MSP_BAD_CRL',
  /** An MSP folder lacks a file or holds one that cannot be read. */
  BadFolder: 'MSP_BAD_FOLDER',
  /** The keystore holds no private key matching the signing certificate. */
  KeyMismatch: 'MSP_KEY_MISMATCH',
} as const;
export type MspErrorCode = (typeof MspErrorCode)[keyof typeof MspErrorCode];
