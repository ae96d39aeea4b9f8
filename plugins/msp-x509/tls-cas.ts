import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { toMspCertificate, type CaStore, type MspCertificate } from './ca-store';
import { parsePemCertificate } from './parsed-certificate';

/**
 * Fabric's `setupTLSCAs`: every TLS root and intermediate is a CA with a SubjectKeyIdentifier, has
 * exactly one chain within the TLS pools (Go's `Verify` at its NotBefore + 1s), and an intermediate
 * is not revoked by a CRL of the MSP. TLS CAs are neither sanitized nor used for identities.
 */
export function checkTlsCas(mspId: string, cas: CaStore, rootPems: readonly Uint8Array[], intermediatePems: readonly Uint8Array[]): void {
  const parse = (pem: Uint8Array, field: string): MspCertificate => {
    try {
      return toMspCertificate(parsePemCertificate(pem, `MSP ${mspId} ${field}`));
    } catch (err) {
      throw new MspError(MspErrorCode.BadConfig, (err as Error).message, { mspId, field }, { cause: err });
    }
  };
  const roots = rootPems.map((pem, i) => parse(pem, `tls_root_certs[${i}]`));
  const intermediates = intermediatePems.map((pem, i) => parse(pem, `tls_intermediate_certs[${i}]`));
  const pools = { roots, intermediates };
  const all: [MspCertificate, string][] = [
    ...roots.map((c, i): [MspCertificate, string] => [c, `tls_root_certs[${i}]`]),
    ...intermediates.map((c, i): [MspCertificate, string] => [c, `tls_intermediate_certs[${i}]`]),
  ];
  for (const [cert, field] of all) {
    const fail = (why: string): MspError => new MspError(MspErrorCode.BadConfig, `MSP ${mspId}: ${field} ${why}`, { mspId, field });
    if (!cert.fields.basicConstraintsValid || !cert.fields.isCa) throw fail('is not a CA certificate (BasicConstraints CA=false)');
    if (cert.fields.subjectKeyId === undefined) throw fail('has no SubjectKeyIdentifier; Fabric requires one on every CA');
    const outcome = cas.uniqueChain(cert, pools);
    if ('code' in outcome) throw fail(`is not valid: ${outcome.message}`);
    const revoked = outcome.chain.length > 1 ? cas.revocationProblem(cert, outcome.chain) : undefined;
    if (revoked !== undefined) throw fail(`is not valid: ${revoked.message}`);
  }
}
