import { X509Certificate, type KeyObject } from 'node:crypto';
import {
  buildCertificate,
  type CertificateSigner,
  type DistinguishedName,
  type ExtKeyUsageFlag,
  type KeyUsageFlag,
} from './certificate-builder';
import { buildCrl, type RevokedEntry } from './crl-builder';
import { generateKeyPair, privateKeyToPem, type KeyAlgorithm } from './key-pair';

/** cryptogen's defaults for the subject's location fields. */
export const DEFAULT_LOCATION = { country: 'US', province: 'California', locality: 'San Francisco' } as const;

const TEN_YEARS_MS = 3650 * 24 * 3600 * 1000;

/** cryptogen's validity window: now rounded to the minute, backdated 5 minutes, for ten years. */
export function defaultValidity(now = new Date()): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.round(now.getTime() / 60000) * 60000 - 5 * 60000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + TEN_YEARS_MS) };
}

/** Keys a CA may sign with: what Fabric's MSP verifies certificate and CRL signatures of. */
export type CaKeyAlgorithm = 'P-256' | 'P-384' | 'Ed25519';

export interface CaOptions {
  readonly commonName: string;
  /** The `O` of the CA subject: the org's domain, as cryptogen writes it. */
  readonly organization: string;
  readonly country?: string;
  readonly province?: string;
  readonly locality?: string;
  /**
   * The CA's key: P-256 (cryptogen's `ecdsa`, the default), P-384, or Ed25519 (cryptogen's
   * `ed25519`: the certificates it issues are then signed with PureEd25519).
   */
  readonly keyAlgorithm?: CaKeyAlgorithm;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export interface IssueOptions {
  readonly commonName: string;
  /** OUs in subject order; NodeOU roles (`client`, `peer`, `admin`, `orderer`) go here. */
  readonly organizationalUnits?: readonly string[];
  /** Subject `O`; defaults to the CA's organization. Pass '' to leave it out. */
  readonly organization?: string;
  /** `sign` (MSP signcert: KeyUsage digitalSignature) or `tls` (adds keyEncipherment, EKU server+client, SANs). */
  readonly usage?: 'sign' | 'tls';
  readonly subjectAltNames?: readonly string[];
  /** P-256 by default; P-384/Ed25519 are valid MSP keys, secp256k1 is for wrong-curve tests. */
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** A certificate with its private key, as issued by a {@link CertificateAuthority}. */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly privateKey: KeyObject;
  readonly certificate: X509Certificate;
  /** Upper-case hex, no leading zeros. */
  readonly serialNumber: string;
}

/**
 * An in-process certificate authority (cryptogen's `ca.CA`): issues signing and TLS certificates,
 * intermediate CAs, and CRLs over everything it has revoked so far.
 */
export class CertificateAuthority implements IssuedCertificate {
  private readonly revoked: RevokedEntry[] = [];
  private crlNumber = 0;

  private constructor(
    readonly commonName: string,
    private readonly subject: DistinguishedName,
    private readonly signer: CertificateSigner,
    readonly certPem: string,
    readonly certificate: X509Certificate,
    readonly serialNumber: string,
    /** The CA that issued this one; undefined for a root. */
    readonly parent: CertificateAuthority | undefined,
  ) {}

  /** Creates a self-signed root CA: BasicConstraints CA (critical), KeyUsage keyCertSign|cRLSign, SKI. */
  static async createRoot(options: CaOptions): Promise<CertificateAuthority> {
    return CertificateAuthority.create(options, undefined);
  }

  /** Creates an intermediate CA signed by this one (Fabric accepts identities issued by leaf CAs only). */
  async createIntermediate(options: Omit<CaOptions, 'organization'> & { organization?: string }): Promise<CertificateAuthority> {
    return CertificateAuthority.create({ ...options, organization: options.organization ?? this.organization }, this);
  }

  private static async create(options: CaOptions, parent: CertificateAuthority | undefined): Promise<CertificateAuthority> {
    const keys = generateKeyPair(options.keyAlgorithm ?? 'P-256');
    const subject: DistinguishedName = {
      country: options.country ?? DEFAULT_LOCATION.country,
      province: options.province ?? DEFAULT_LOCATION.province,
      locality: options.locality ?? DEFAULT_LOCATION.locality,
      organization: options.organization,
      commonName: options.commonName,
    };
    const validity = defaultValidity();
    const built = await buildCertificate({
      subject,
      publicKey: keys.publicKey,
      issuer: parent?.signer,
      selfSigningKey: keys.privateKey,
      notBefore: options.notBefore ?? validity.notBefore,
      notAfter: options.notAfter ?? validity.notAfter,
      isCa: true,
      keyUsage: ['digitalSignature', 'keyEncipherment', 'keyCertSign', 'cRLSign'],
      extKeyUsage: ['clientAuth', 'serverAuth'],
    });
    const signer: CertificateSigner = { name: built.name, subjectKeyId: built.subjectKeyId, privateKey: keys.privateKey };
    return new CertificateAuthority(
      options.commonName,
      subject,
      signer,
      built.pem,
      new X509Certificate(built.pem),
      built.serialNumber,
      parent,
    );
  }

  get organization(): string {
    return this.subject.organization ?? '';
  }

  get privateKey(): KeyObject {
    return this.signer.privateKey;
  }

  get keyPem(): string {
    return privateKeyToPem(this.signer.privateKey);
  }

  get subjectKeyId(): Uint8Array {
    return this.signer.subjectKeyId;
  }

  /** Issues an end-entity certificate with a fresh key pair. */
  issue(options: IssueOptions): Promise<IssuedCertificate> {
    return issueEndEntity(this.signer, this.subject, options);
  }

  /** Issues an end-entity certificate for a key pair held elsewhere (a PKCS#11 token): no private key. */
  issueFor(options: IssueOptions, publicKey: KeyObject): Promise<Omit<IssuedCertificate, 'keyPem' | 'privateKey'>> {
    return issueForPublicKey(this.signer, this.subject, options, publicKey);
  }

  /** Marks a serial as revoked; the next {@link crl} lists it. */
  revoke(serialNumber: string, revokedAt = new Date()): void {
    if (!this.revoked.some((r) => r.serialNumber === serialNumber)) this.revoked.push({ serialNumber, revokedAt });
  }

  revokedSerials(): readonly string[] {
    return this.revoked.map((r) => r.serialNumber);
  }

  /** A freshly signed CRL (PEM) over every serial revoked so far, valid for a week. */
  async crl(now = new Date(), options: { omitAuthorityKeyId?: boolean } = {}): Promise<string> {
    this.crlNumber += 1;
    const { pem } = await buildCrl({
      omitAuthorityKeyId: options.omitAuthorityKeyId,
      issuer: this.signer,
      revoked: this.revoked,
      thisUpdate: new Date(now.getTime() - 60000),
      nextUpdate: new Date(now.getTime() + 7 * 24 * 3600 * 1000),
      crlNumber: this.crlNumber,
    });
    return pem;
  }
}

/**
 * An end-entity certificate with a fresh key pair, signed by `signer`, its subject's location and
 * organization copied from the CA's (`caSubject`) as cryptogen does.
 */
export async function issueEndEntity(signer: CertificateSigner, caSubject: Omit<DistinguishedName, 'organizationalUnits'>, options: IssueOptions): Promise<IssuedCertificate> {
  const keys = generateKeyPair(options.keyAlgorithm ?? 'P-256');
  const issued = await issueForPublicKey(signer, caSubject, options, keys.publicKey);
  return { ...issued, keyPem: privateKeyToPem(keys.privateKey), privateKey: keys.privateKey };
}

/**
 * {@link issueEndEntity} for a key pair held elsewhere (a PKCS#11 token): the certificate binds
 * `publicKey`, and no private key is made or returned.
 */
export async function issueForPublicKey(
  signer: CertificateSigner,
  caSubject: Omit<DistinguishedName, 'organizationalUnits'>,
  options: IssueOptions,
  publicKey: KeyObject,
): Promise<Omit<IssuedCertificate, 'keyPem' | 'privateKey'>> {
  const tls = options.usage === 'tls';
  const keyUsage: KeyUsageFlag[] = tls ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
  const extKeyUsage: ExtKeyUsageFlag[] = tls ? ['serverAuth', 'clientAuth'] : [];
  const validity = defaultValidity();
  const built = await buildCertificate({
    subject: {
      country: caSubject.country,
      province: caSubject.province,
      locality: caSubject.locality,
      organization: options.organization ?? caSubject.organization,
      organizationalUnits: options.organizationalUnits,
      commonName: options.commonName,
    },
    publicKey,
    issuer: signer,
    notBefore: options.notBefore ?? validity.notBefore,
    notAfter: options.notAfter ?? validity.notAfter,
    isCa: false,
    keyUsage,
    extKeyUsage,
    subjectAltNames: options.subjectAltNames,
  });
  return {
    certPem: built.pem,
    certificate: new X509Certificate(built.pem),
    serialNumber: built.serialNumber,
  };
}
