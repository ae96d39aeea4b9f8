import type { X509Certificate } from 'node:crypto';
import { KEY_USAGE_CERT_SIGN, OID_EKU_ANY, OID_EKU_SERVER_AUTH, type GoCertificateFields } from './go-certificate';
import { nameConstraintsProblem } from './go-name-constraints';
import { goCheckSignature } from '../../core/protocol/go-signature';

/** A certificate as Go's verifier sees it: fields from the DER plus node's parse for signatures. */
export interface VerifyCertificate {
  readonly x509: X509Certificate;
  readonly fields: GoCertificateFields;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** What pools compare (Go's `CertPool.contains` and Fabric's sanitized `Raw`). */
  readonly der: Uint8Array;
}

/** Go's `VerifyOptions` as Fabric's MSP fills them: roots, intermediates, no KeyUsages (so ServerAuth). */
export interface VerifyPools<C extends VerifyCertificate> {
  readonly roots: readonly C[];
  readonly intermediates: readonly C[];
}

export type VerifyResult<C> = { readonly chains: readonly (readonly C[])[] } | { readonly error: string };

const MAX_SIGNATURE_CHECKS = 100;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Go's `CheckSignatureFrom`: the parent may sign certificates, and its key verifies the child as
 * Go's `checkSignature` does with SHA-1 refused (RSA PKCS#1 v1.5 and PSS, ECDSA, Ed25519).
 */
export function checkSignatureFrom(child: VerifyCertificate, parent: VerifyCertificate): string | undefined {
  const p = parent.fields;
  if ((p.version === 3 && !p.basicConstraintsValid) || (p.basicConstraintsValid && !p.isCa)) return 'parent is not a CA';
  if (p.keyUsage !== 0 && (p.keyUsage & KEY_USAGE_CERT_SIGN) === 0) return 'parent KeyUsage lacks certSign';
  const c = child.fields;
  // node's key only when Go would verify: it cannot read every key Go parses (e.g. unknown algorithms).
  const key = { go: p.publicKey, get node() { return parent.x509.publicKey; } };
  return goCheckSignature(c.goSignatureAlgorithm, c.rawTbs, c.signature, key, false);
}

function alreadyInChain(candidate: VerifyCertificate, chain: readonly VerifyCertificate[]): boolean {
  const f = candidate.fields;
  return chain.some((c) => {
    if (!sameBytes(c.fields.rawSubject, f.rawSubject) || !sameBytes(c.fields.rawSubjectPublicKeyInfo, f.rawSubjectPublicKeyInfo)) return false;
    if (c.fields.sanValue === undefined && f.sanValue === undefined) return true;
    return c.fields.sanValue !== undefined && f.sanValue !== undefined && sameBytes(c.fields.sanValue, f.sanValue);
  });
}

type CertType = 'leaf' | 'intermediate' | 'root';

/** Go's `isValid` (policy constraints aside). */
function isValid(c: VerifyCertificate, type: CertType, chain: readonly VerifyCertificate[], now: Date): string | undefined {
  if (c.fields.unhandledCriticalExtensions.length > 0) return `unhandled critical extension ${c.fields.unhandledCriticalExtensions.join(', ')}`;
  if (chain.length > 0 && !sameBytes(chain[chain.length - 1].fields.rawIssuer, c.fields.rawSubject)) return 'issuer name mismatch';
  if (now.getTime() < c.notBefore.getTime()) return `not valid before ${c.notBefore.toISOString()} (checked at ${now.toISOString()})`;
  if (now.getTime() > c.notAfter.getTime()) return `expired at ${c.notAfter.toISOString()} (checked at ${now.toISOString()})`;
  const constraints = c.fields.nameConstraints;
  if (type !== 'leaf' && constraints !== undefined) {
    const sans = chain.flatMap((cert) => (cert.fields.sanValue === undefined ? [] : [cert.fields.sanValue]));
    const problem = nameConstraintsProblem(constraints, sans);
    if (problem !== undefined) return `CA not authorized for this name: ${problem}`;
  }
  if (type === 'intermediate' && (!c.fields.basicConstraintsValid || !c.fields.isCa)) return 'intermediate is not a CA';
  if (c.fields.basicConstraintsValid && c.fields.maxPathLen >= 0 && chain.length - 1 > c.fields.maxPathLen) return 'path length constraint exceeded';
  return undefined;
}

/** Go's `checkChainForKeyUsage` with the one usage Fabric ends up requesting: ServerAuth. */
function chainAllowsServerAuth(chain: readonly VerifyCertificate[]): boolean {
  for (const cert of chain) {
    const eku = cert.fields.extKeyUsage;
    if (eku.length === 0 || eku.includes(OID_EKU_ANY)) continue;
    if (!eku.includes(OID_EKU_SERVER_AUTH)) return false;
  }
  return true;
}

/**
 * Go's `Certificate.Verify` with Fabric's options (`getValidityOptsForCert`): every chain from
 * `cert` to a root, each certificate valid at `cert`'s NotBefore + 1s, none with an unhandled
 * critical extension, intermediates CAs within their path length, and the chain good for
 * ServerAuth (Go's default when `KeyUsages` is empty). Chains start with `cert`.
 */
export function goVerify<C extends VerifyCertificate>(cert: C, pools: VerifyPools<C>): VerifyResult<C> {
  const now = new Date(cert.notBefore.getTime() + 1000);
  const leafProblem = isValid(cert, 'leaf', [], now);
  if (leafProblem !== undefined) return { error: leafProblem };
  let candidates: C[][];
  if (pools.roots.some((r) => sameBytes(r.der, cert.der))) {
    candidates = [[cert]];
  } else {
    const checks = { n: 0 };
    let hint: string | undefined;
    const build = (chain: C[]): C[][] => {
      const tail = chain[chain.length - 1];
      const out: C[][] = [];
      const consider = (type: CertType, candidate: C): void => {
        if (!sameBytes(candidate.fields.rawSubject, tail.fields.rawIssuer) || alreadyInChain(candidate, chain)) return;
        if (++checks.n > MAX_SIGNATURE_CHECKS) {
          hint = 'signature check attempts limit reached';
          return;
        }
        const problem = checkSignatureFrom(tail, candidate) ?? isValid(candidate, type, chain, now);
        if (problem !== undefined) {
          hint ??= problem;
          return;
        }
        if (type === 'root') out.push([...chain, candidate]);
        else out.push(...build([...chain, candidate]));
      };
      for (const root of pools.roots) consider('root', root);
      for (const intermediate of pools.intermediates) consider('intermediate', intermediate);
      return out;
    };
    candidates = build([cert]);
    if (candidates.length === 0) return { error: `certificate signed by unknown authority${hint ? ` (${hint})` : ''}` };
  }
  const chains = candidates.filter(chainAllowsServerAuth);
  if (chains.length === 0) return { error: 'certificate specifies an incompatible key usage (a certificate of the chain has ExtKeyUsage without serverAuth or any)' };
  return { chains };
}

/**
 * Fabric's `verifyLegacyNameConstraints` (Go 1.14 behaviour kept by `getUniqueValidationChain`):
 * a leaf without SANs whose CN looks like a host name fails when a CA of its chain has name constraints.
 */
export function legacyNameConstraintsProblem(chain: readonly VerifyCertificate[], leafCommonName: string): string | undefined {
  if (chain.length < 2 || chain[0].fields.hasSan || !validHostname(leafCommonName)) return undefined;
  return chain.slice(1).some((c) => c.fields.hasNameConstraints) ? 'a CA of the chain has name constraints and the leaf has no SANs (Go 1.14 rule)' : undefined;
}

/** Fabric's copy of Go's `validHostname`. */
export function validHostname(name: string): boolean {
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  if (host.length === 0) return false;
  return host.split('.').every((part, i) => {
    if (part === '') return false;
    if (i === 0 && part === '*') return true;
    return [...part].every((c, j) => /[a-zA-Z0-9_:]/.test(c) || (c === '-' && j !== 0));
  });
}
