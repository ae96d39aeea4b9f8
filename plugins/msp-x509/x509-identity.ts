import { createHash } from 'node:crypto';
import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MspError } from '../../core/errors';
import type { Identity } from '../../core/msp/identity';
import type { IdentityChain } from './ca-store';
import type { IdentityKeyType, ParsedCertificate } from './parsed-certificate';
import { SIGNATURE_PROBLEM_TEXT, signatureProblem, signatureProblemAsync } from './signature-check';

/** What an identity needs from the MSP that deserialized it. */
export interface IdentityAuthority {
  /** Validates against the MSP's roots, CRLs and OU rules; returns how it chains or throws `MspError`. */
  validateIdentity(identity: X509Identity): IdentityChain;
  satisfiesPrincipal(identity: X509Identity, principal: MSPPrincipal): boolean;
}

type Validation = { readonly chain: IdentityChain } | { readonly error: MspError };

/**
 * An X.509 identity of one MSP. Built once per distinct `SerializedIdentity` bytes (the MSP caches
 * it), so the certificate is parsed once and validated at most once.
 */
export class X509Identity implements Identity {
  readonly id: string;
  readonly expiresAt: Date;
  readonly organizationalUnits: readonly string[];
  private validation: Validation | undefined;

  constructor(
    private readonly authority: IdentityAuthority,
    readonly mspId: string,
    readonly serialized: Uint8Array,
    readonly idBytes: Uint8Array,
    readonly certificate: ParsedCertificate,
    readonly keyType: IdentityKeyType,
    /**
     * The certificate as Fabric holds it after `sanitizeCert` (ECDSA signature re-encoded low-S):
     * Fabric's identity id hashes these bytes and admin and IDENTITY principals compare them, so a
     * certificate and its high-S twin are the same identity.
     */
    readonly sanitizedDer: Uint8Array = certificate.der,
  ) {
    this.id = sanitizedDer === certificate.der ? certificate.id : createHash('sha256').update(sanitizedDer).digest('hex');
    this.expiresAt = certificate.notAfter;
    this.organizationalUnits = certificate.organizationalUnits;
  }

  validate(): void {
    this.issuingCa();
  }

  /** True when {@link validate} would not throw. */
  isValid(): boolean {
    this.resolveValidation();
    return this.validation !== undefined && 'chain' in this.validation;
  }

  /** The CA of this MSP that issued the identity and the chain's certifiers id; throws `MspError` when invalid. */
  issuingCa(): IdentityChain {
    const v = this.resolveValidation();
    if ('error' in v) throw v.error;
    return v.chain;
  }

  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return signatureProblem(this.certificate.publicKey, this.keyType, message, signature) === undefined;
  }

  async verifyAsync(message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return (await signatureProblemAsync(this.certificate.publicKey, this.keyType, message, signature)) === undefined;
  }

  /**
   * Like {@link verify} but throws `MspError` saying why (`MSP_HIGH_S`, `MSP_MALFORMED_SIGNATURE`,
   * `MSP_BAD_SIGNATURE`): for error paths that report to a client.
   */
  checkSignature(message: Uint8Array, signature: Uint8Array): void {
    const problem = signatureProblem(this.certificate.publicKey, this.keyType, message, signature);
    if (problem !== undefined) {
      throw new MspError(problem, `signature by ${this.mspId} identity ${this.id.slice(0, 16)}… ${SIGNATURE_PROBLEM_TEXT[problem]}`, {
        mspId: this.mspId,
        id: this.id,
        signatureLength: signature.length,
      });
    }
  }

  satisfiesPrincipal(principal: MSPPrincipal): boolean {
    return this.authority.satisfiesPrincipal(this, principal);
  }

  private resolveValidation(): Validation {
    if (this.validation === undefined) {
      try {
        this.validation = { chain: this.authority.validateIdentity(this) };
      } catch (err) {
        if (!(err instanceof MspError)) throw err;
        this.validation = { error: err };
      }
    }
    return this.validation;
  }
}
