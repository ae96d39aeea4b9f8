import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import {
  FabricCryptoConfig,
  FabricMSPConfig,
  FabricNodeOUs,
  FabricOUIdentifier,
} from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { CertificateAuthority, type CaKeyAlgorithm, type IssuedCertificate } from './certificate-authority';
import type { KeyAlgorithm } from './key-pair';

/** The four NodeOU roles Fabric classifies identities into. */
export type NodeOuRole = 'client' | 'peer' | 'admin' | 'orderer';
export const NODE_OU_ROLES: readonly NodeOuRole[] = ['client', 'peer', 'admin', 'orderer'];

export interface TestOrgOptions {
  readonly mspId: string;
  /** Defaults to `org1.example.com` for `Org1MSP` (the msp id lower-cased, `MSP` dropped). */
  readonly domain?: string;
  /** NodeOUs on (default) writes FabricNodeOUs with client/peer/admin/orderer pointing at the issuing CA. */
  readonly nodeOUs?: boolean;
  /** Adds an intermediate CA; identities are then issued by it unless `issuer: 'root'` is asked. */
  readonly intermediate?: boolean;
  /**
   * Start of the CAs' validity; default 2000-01-01. Fabric checks every CA of a chain at the
   * identity's NotBefore + 1s, so back-dated test identities need CAs that were valid back then.
   */
  readonly caNotBefore?: Date;
  /** The root, intermediate and TLS CAs' key (default P-256); identities' keys are chosen per {@link TestOrg.issue}. */
  readonly caKeyAlgorithm?: CaKeyAlgorithm;
}

const DEFAULT_CA_NOT_BEFORE = new Date('2000-01-01T00:00:00Z');

export interface TestIdentityOptions {
  /** The NodeOU role OU put in the subject; default `client`. */
  readonly role?: NodeOuRole;
  /** Replaces the role OU entirely (e.g. `[]` or `['peer', 'admin']` for hostile tests). */
  readonly organizationalUnits?: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Which CA signs: the intermediate (default when there is one) or the root. */
  readonly issuer?: 'root' | 'intermediate';
}

/** An identity issued for tests: certificate, key, and its `SerializedIdentity` bytes. */
export interface TestIdentity extends IssuedCertificate {
  readonly mspId: string;
  readonly name: string;
  /** `SerializedIdentity{mspid, id_bytes: PEM}` bytes, as a creator or endorser field carries them. */
  readonly serialized: Uint8Array;
  /** The PEM as bytes: `@hyperledger/fabric-gateway`'s `Identity.credentials`. */
  readonly credentials: Uint8Array;
  readonly issuedBy: CertificateAuthority;
}

/** `SerializedIdentity` bytes for an msp id and a PEM certificate. */
export function serializeIdentity(mspId: string, certPem: string | Uint8Array): Uint8Array {
  const sid = new SerializedIdentity();
  sid.setMspid(mspId);
  sid.setIdBytes(typeof certPem === 'string' ? new TextEncoder().encode(certPem) : certPem);
  return sid.serializeBinary();
}

export function defaultDomain(mspId: string): string {
  return `${mspId.replace(/msp$/i, '').toLowerCase()}.example.com`;
}

function bytes(pem: string): Uint8Array {
  return new TextEncoder().encode(pem);
}

/**
 * An organization held in memory for tests: root CA (optionally an intermediate), TLS CA, and
 * helpers to issue identities with a chosen role, validity or curve, revoke them, and produce the
 * `FabricMSPConfig` a channel config would carry.
 */
export class TestOrg {
  private readonly crls = new Map<CertificateAuthority, string>();

  private constructor(
    readonly mspId: string,
    readonly domain: string,
    readonly ca: CertificateAuthority,
    readonly tlsCa: CertificateAuthority,
    readonly intermediateCa: CertificateAuthority | undefined,
    readonly nodeOUs: boolean,
  ) {}

  static async create(options: TestOrgOptions): Promise<TestOrg> {
    const domain = options.domain ?? defaultDomain(options.mspId);
    const notBefore = options.caNotBefore ?? DEFAULT_CA_NOT_BEFORE;
    const keyAlgorithm = options.caKeyAlgorithm;
    const ca = await CertificateAuthority.createRoot({ commonName: `ca.${domain}`, organization: domain, notBefore, keyAlgorithm });
    const tlsCa = await CertificateAuthority.createRoot({ commonName: `tlsca.${domain}`, organization: domain, notBefore, keyAlgorithm });
    const intermediateCa = options.intermediate ? await ca.createIntermediate({ commonName: `ica.${domain}`, notBefore, keyAlgorithm }) : undefined;
    return new TestOrg(options.mspId, domain, ca, tlsCa, intermediateCa, options.nodeOUs ?? true);
  }

  /** The CA that issues identities by default: the intermediate when there is one. */
  get issuingCa(): CertificateAuthority {
    return this.intermediateCa ?? this.ca;
  }

  async issue(name: string, options: TestIdentityOptions = {}): Promise<TestIdentity> {
    const issuer = options.issuer === 'root' ? this.ca : this.issuingCa;
    const issued = await issuer.issue({
      commonName: name,
      organizationalUnits: options.organizationalUnits ?? [options.role ?? 'client'],
      keyAlgorithm: options.keyAlgorithm,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
    });
    return {
      ...issued,
      mspId: this.mspId,
      name,
      serialized: serializeIdentity(this.mspId, issued.certPem),
      credentials: bytes(issued.certPem),
      issuedBy: issuer,
    };
  }

  /** Revokes the identities with the CA that issued them and re-signs that CA's CRL. */
  async revoke(...identities: readonly TestIdentity[]): Promise<void> {
    const touched = new Set<CertificateAuthority>();
    for (const id of identities) {
      id.issuedBy.revoke(id.serialNumber);
      touched.add(id.issuedBy);
    }
    for (const ca of touched) this.crls.set(ca, await ca.crl());
  }

  /** CRL PEMs currently in force, one per CA that has revoked something. */
  crlPems(): readonly string[] {
    return [...this.crls.values()];
  }

  /** The org's channel MSP definition (no signing identity), as cryptogen's `msp/` folder describes it. */
  mspConfig(): FabricMSPConfig {
    const config = new FabricMSPConfig();
    config.setName(this.mspId);
    config.setRootCertsList([bytes(this.ca.certPem)]);
    config.setIntermediateCertsList(this.intermediateCa ? [bytes(this.intermediateCa.certPem)] : []);
    config.setRevocationListList(this.crlPems().map(bytes));
    config.setTlsRootCertsList([bytes(this.tlsCa.certPem)]);
    const crypto = new FabricCryptoConfig();
    crypto.setSignatureHashFamily('SHA2');
    crypto.setIdentityIdentifierHashFunction('SHA256');
    config.setCryptoConfig(crypto);
    if (this.nodeOUs) {
      const ous = new FabricNodeOUs();
      ous.setEnable(true);
      const ou = (role: NodeOuRole): FabricOUIdentifier => {
        const id = new FabricOUIdentifier();
        id.setOrganizationalUnitIdentifier(role);
        id.setCertificate(bytes(this.issuingCa.certPem));
        return id;
      };
      ous.setClientOuIdentifier(ou('client'));
      ous.setPeerOuIdentifier(ou('peer'));
      ous.setAdminOuIdentifier(ou('admin'));
      ous.setOrdererOuIdentifier(ou('orderer'));
      config.setFabricNodeOus(ous);
    }
    return config;
  }
}

/** Shorthand for {@link TestOrg.create}. */
export function createTestOrg(options: TestOrgOptions): Promise<TestOrg> {
  return TestOrg.create(options);
}
