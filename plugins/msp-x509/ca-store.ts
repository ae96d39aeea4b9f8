import { createHash } from 'node:crypto';
import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { ECDSA_SIGNATURE_ALGORITHMS, sanitizeCertificate } from './go-certificate';
import { parseGoCrl, type GoCrl } from './go-crl';
import { goCheckSignature } from '../../core/protocol/go-signature';
import { checkSignatureFrom, goVerify, legacyNameConstraintsProblem, type VerifyCertificate } from './go-verify';
import { identityKeyType, parsePemCertificate, subjectAttribute, type ParsedCertificate } from './parsed-certificate';

/** A certificate with the bytes Fabric uses for it after `sanitizeCert` (`der`). */
export interface MspCertificate extends VerifyCertificate {
  readonly parsed: ParsedCertificate;
}

/** One CA certificate of an MSP (root or intermediate), sanitized as Fabric's `setupCAs` does. */
export interface CaEntry extends MspCertificate {
  readonly isRoot: boolean;
  /** Issued another CA of this MSP (Fabric's `certificationTreeInternalNodesMap`): such CAs issue no identities. */
  readonly isInternal: boolean;
}

/** How an identity chains: the CA that issued it and Fabric's certifiers identifier of its chain. */
export interface IdentityChain {
  readonly issuer: CaEntry;
  /** SHA-256 over the sanitized DER of the chain above the identity (`getCertificationChainIdentifier`). */
  readonly certifiersId: Uint8Array;
}

/** Why a certificate has no usable chain: an `MspErrorCode` and Fabric's reason. */
export interface ChainFailure {
  readonly code: string;
  readonly message: string;
}

export type ChainOutcome = { readonly chain: readonly MspCertificate[] } | ChainFailure;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function badConfig(message: string, details: Record<string, unknown>, cause?: unknown): MspError {
  return new MspError(MspErrorCode.BadConfig, message, details, cause === undefined ? undefined : { cause });
}

export function toMspCertificate(parsed: ParsedCertificate, der: Uint8Array = parsed.der): MspCertificate {
  return { parsed, x509: parsed.x509, fields: parsed.go, notBefore: parsed.notBefore, notAfter: parsed.notAfter, der };
}

/** SHA-256 over the concatenated DER (Fabric's certification chain identifier). */
export function chainIdentifier(chain: readonly MspCertificate[]): Uint8Array {
  const hash = createHash('sha256');
  for (const c of chain) hash.update(c.der);
  return new Uint8Array(hash.digest());
}

/**
 * The CA certificates and CRLs of one MSP, set up as Fabric's `setupCAs`, `setupCRLs` and
 * `finalizeSetupCAs` do: certificates sanitized to low-S, every CA a CA with a SubjectKeyIdentifier
 * and exactly one validation chain (Go's `Verify` rules, at its own NotBefore + 1s), no intermediate
 * revoked by a CRL of the MSP, and the internal nodes of the certification tree marked.
 */
export class CaStore {
  readonly roots: readonly CaEntry[];
  readonly intermediates: readonly CaEntry[];
  readonly crls: readonly GoCrl[];

  constructor(
    private readonly mspId: string,
    rootPems: readonly Uint8Array[],
    intermediatePems: readonly Uint8Array[],
    crlBytes: readonly Uint8Array[],
  ) {
    if (rootPems.length === 0) throw badConfig(`MSP ${mspId}: root_certs is empty; an X.509 MSP needs at least one root CA`, { mspId });
    // Fabric's getIdentityFromConf: parsed, then the key imported into the BCCSP (ECDSA, Ed25519 or RSA).
    const parse = (pem: Uint8Array, field: string): MspCertificate => {
      try {
        const parsed = parsePemCertificate(pem, field);
        identityKeyType(parsed, field);
        return toMspCertificate(parsed);
      } catch (err) {
        throw badConfig(`MSP ${mspId}: ${(err as Error).message}`, { mspId, field }, err);
      }
    };
    const rawRoots = rootPems.map((pem, i) => parse(pem, `root_certs[${i}]`));
    const rawIntermediates = intermediatePems.map((pem, i) => parse(pem, `intermediate_certs[${i}]`));
    // Fabric sanitizes against pools of the certificates as configured, then rebuilds the pools.
    const rawPools = { roots: rawRoots, intermediates: rawIntermediates };
    const sanitizeCa = (c: MspCertificate, field: string): MspCertificate => {
      const der = this.sanitizedDer(c, rawPools);
      if (!(der instanceof Uint8Array)) throw badConfig(`MSP ${mspId}: ${field} cannot be sanitized: ${der.message}`, { mspId, field });
      return toMspCertificate(c.parsed, der);
    };
    const dedup = (list: MspCertificate[]): MspCertificate[] => list.filter((c, i) => list.findIndex((o) => sameBytes(o.der, c.der)) === i);
    const roots = dedup(rawRoots.map((c, i) => sanitizeCa(c, `root_certs[${i}]`)));
    const intermediates = dedup(rawIntermediates.map((c, i) => sanitizeCa(c, `intermediate_certs[${i}]`)));
    const internal = new Set<string>();
    const entry = (c: MspCertificate, isRoot: boolean): CaEntry => ({
      ...c,
      isRoot,
      get isInternal() {
        return internal.has(Buffer.from(c.der).toString('latin1'));
      },
    });
    this.roots = roots.map((c) => entry(c, true));
    this.intermediates = intermediates.map((c) => entry(c, false));

    this.crls = crlBytes.map((bytes, i) => {
      try {
        return parseGoCrl(bytes);
      } catch (err) {
        throw new MspError(MspErrorCode.BadCrl, `MSP ${mspId}: revocation_list[${i}] is not an X.509 CRL as Go's x509.ParseCRL reads it (${(err as Error).message})`, {
          mspId,
          field: `revocation_list[${i}]`,
        }, { cause: err });
      }
    });

    for (const ca of [...this.roots, ...this.intermediates]) {
      const field = `${ca.isRoot ? 'root' : 'intermediate'} certificate "${ca.x509.subject.replace(/\n/g, ', ')}"`;
      if (!ca.fields.basicConstraintsValid || !ca.fields.isCa) throw badConfig(`MSP ${mspId}: ${field} is not a CA certificate (BasicConstraints CA=false)`, { mspId, field });
      if (ca.fields.subjectKeyId === undefined) throw badConfig(`MSP ${mspId}: ${field} has no SubjectKeyIdentifier; Fabric requires one on every CA`, { mspId, field });
      const outcome = this.uniqueChain(ca);
      if ('code' in outcome) throw badConfig(`MSP ${mspId}: ${field} is not valid: ${outcome.message}`, { mspId, field });
      const revoked = outcome.chain.length > 1 ? this.revocationProblem(ca, outcome.chain) : undefined;
      if (revoked !== undefined) throw badConfig(`MSP ${mspId}: ${field} is not valid: ${revoked.message}`, { mspId, field });
      if (!ca.isRoot) for (const parent of outcome.chain.slice(1)) internal.add(Buffer.from(parent.der).toString('latin1'));
    }
  }

  /**
   * Fabric's `sanitizeCert`: an ECDSA-signed certificate re-encoded with a low-S signature over its
   * parent's curve. Finding the parent takes a unique validation chain, as in Fabric; a
   * {@link ChainFailure} says why there is none (Fabric then refuses to build the identity).
   */
  sanitizedDer(cert: MspCertificate, pools: { roots: readonly MspCertificate[]; intermediates: readonly MspCertificate[] } = this): Uint8Array | ChainFailure {
    if (!ECDSA_SIGNATURE_ALGORITHMS.has(cert.fields.signatureAlgorithm)) return cert.der;
    if (cert.fields.isCa && checkSignatureFrom(cert, cert) === undefined) {
      const curve = cert.x509.publicKey.asymmetricKeyDetails?.namedCurve;
      const sanitized = toMspCertificate(cert.parsed, sanitizeCertificate(cert.der, cert.fields, curve));
      const self = this.uniqueChain(sanitized, { roots: [sanitized], intermediates: pools.intermediates });
      return 'code' in self ? self : sanitized.der;
    }
    const outcome = this.uniqueChain(cert, pools);
    if ('code' in outcome) return outcome;
    if (outcome.chain.length < 2) {
      return { code: MspErrorCode.UntrustedChain, message: 'failed to traverse certificate verification chain for leaf or intermediate certificate' };
    }
    return sanitizeCertificate(cert.der, cert.fields, outcome.chain[1].x509.publicKey.asymmetricKeyDetails?.namedCurve);
  }

  /** Fabric's `getUniqueValidationChain` with the MSP's verify options. */
  uniqueChain(cert: MspCertificate, pools: { roots: readonly MspCertificate[]; intermediates: readonly MspCertificate[] } = this): ChainOutcome {
    const result = goVerify(cert, pools);
    if ('error' in result) return { code: MspErrorCode.UntrustedChain, message: `no valid chain to a root CA of this MSP: ${result.error}` };
    if (result.chains.length !== 1) {
      return { code: MspErrorCode.AmbiguousChain, message: `this MSP only supports a single validation chain, got ${result.chains.length}` };
    }
    const cn = subjectAttribute(cert.x509.subject, 'CN');
    const legacy = legacyNameConstraintsProblem(result.chains[0], cn[cn.length - 1] ?? '');
    if (legacy !== undefined) return { code: MspErrorCode.UntrustedChain, message: `the certificate is not valid: ${legacy}` };
    return { chain: result.chains[0] };
  }

  /** The chain of an identity certificate (Fabric's `getValidationChain(cert, false)`), its issuer a leaf CA. */
  identityChain(cert: MspCertificate): ChainOutcome & { issuer?: CaEntry } {
    const outcome = this.uniqueChain(cert);
    if ('code' in outcome) return outcome;
    if (outcome.chain.length < 2) return { code: MspErrorCode.UntrustedChain, message: `expected a chain of length at least 2, got ${outcome.chain.length}` };
    const issuer = this.entryOf(outcome.chain[1]);
    if (issuer.isInternal) {
      return { code: MspErrorCode.NotLeafCa, message: `issued by "${issuer.x509.subject.replace(/\n/g, ', ')}", a CA that issues other CAs; identities must come from a leaf CA` };
    }
    return { chain: outcome.chain, issuer };
  }

  /**
   * Fabric's `validateCertAgainstChain`: a CRL whose AKI is the issuer's SKI lists the serial and
   * the issuer really signed it (Go's `CheckCRLSignature`, which takes SHA-1 but not MD5). A CRL
   * without an AKI makes every check fail, as in Fabric.
   */
  revocationProblem(cert: MspCertificate, chain: readonly MspCertificate[]): { code: string; message: string } | undefined {
    const issuer = chain[1];
    const ski = issuer.fields.subjectKeyId;
    if (ski === undefined) return { code: MspErrorCode.UntrustedChain, message: 'could not obtain Subject Key Identifier for signer cert' };
    for (const crl of this.crls) {
      if (typeof crl.authorityKeyId === 'string') return { code: MspErrorCode.BadCrl, message: `could not obtain Authority Key Identifier for crl: ${crl.authorityKeyId}` };
      if (!sameBytes(crl.authorityKeyId, ski)) continue;
      if (!crl.revokedSerials.includes(cert.fields.serialNumber)) continue;
      const key = { go: issuer.fields.publicKey, node: issuer.x509.publicKey };
      if (goCheckSignature(crl.goSignatureAlgorithm, crl.rawTbs, crl.signature, key, true) !== undefined) continue;
      return { code: MspErrorCode.Revoked, message: `certificate serial ${cert.parsed.serialNumber} has been revoked` };
    }
    return undefined;
  }

  /** The CA whose sanitized certificate is `der` (NodeOU and OU identifiers name CAs this way). */
  byDer(der: Uint8Array): CaEntry | undefined {
    return [...this.roots, ...this.intermediates].find((ca) => sameBytes(ca.der, der));
  }

  private entryOf(cert: MspCertificate): CaEntry {
    return (this.roots.find((c) => c === cert) ?? this.intermediates.find((c) => c === cert)) as CaEntry;
  }
}
