import type { FabricMSPConfig, FabricOUIdentifier } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { z } from 'zod';
import { MspError } from '../../core/errors';
import type { Msp } from '../../core/msp/msp';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { MSP_VERSIONS, mspVersionAtLeast, NEWEST_MSP_VERSION, type MspVersion } from '../../core/msp/msp-version';
import { BccspOptions } from './bccsp-options';
import { BoundedCache } from './bounded-cache';
import { serializeIdentity } from '../../core/protocol/serialized-identity';
import { CaStore, chainIdentifier, toMspCertificate, type CaEntry, type IdentityChain } from './ca-store';
import { checkTlsCas } from './tls-cas';
import { identityKeyType, parsePemCertificate, parseWellFormedPemCertificate } from './parsed-certificate';
import { satisfiesPrincipal, type PrincipalContext } from './principal-check';
import { readSerializedIdentity } from './serialized-identity-reader';
import { X509Identity, type IdentityAuthority } from './x509-identity';

export const X509MspOptions = z.object({
  /** Deserialized identities kept per MSP, keyed by their exact bytes. */
  identityCacheSize: z.number().int().positive().default(10_000),
  /** Upper bound on `SerializedIdentity` bytes. */
  maxIdentityBytes: z.number().int().positive().default(64 * 1024),
  /** Where the local signing key lives: `keystore/` (SW, the default) or a PKCS#11 token. */
  bccsp: BccspOptions.optional(),
});
export type X509MspOptions = z.input<typeof X509MspOptions>;

export type NodeOuRoleName = 'client' | 'peer' | 'admin' | 'orderer';

/** An OU an identity must carry, optionally pinned to the CA chain that certified it. */
export interface OuIdentifier {
  readonly ou: string;
  /** Fabric's certifiers identifier; undefined means any chain of this MSP. */
  readonly certifiersId: Uint8Array | undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Fabric's X.509 MSP (`msp/mspimpl.go`): identities chain to exactly one root via the
 * intermediates, come from a leaf CA, are not revoked, and carry exactly one NodeOU role when
 * NodeOUs are enabled. Deserialized identities are cached by their exact bytes, and each caches its
 * validation outcome, so the hot path is a Map lookup plus one signature verification.
 *
 * `version` selects the rules as Fabric's `newBccspMsp` does: MSPv3_0 alone accepts Ed25519
 * identities (`setupV3`); below MSPv1_4_3 NodeOUs know only the client and peer roles, admins are
 * the listed certificates and need not exist (`setupV11`, `validateIdentityOUsV11`,
 * `satisfiesPrincipalInternalV13`); below MSPv1_3 ANONYMITY and COMBINED principals are refused;
 * MSPv1_0 ignores NodeOUs.
 */
export class X509Msp implements Msp, IdentityAuthority, PrincipalContext {
  readonly id: string;
  readonly nodeOusEnabled: boolean;
  readonly version: MspVersion;
  private readonly cas: CaStore;
  private readonly nodeOus: Partial<Record<NodeOuRoleName, OuIdentifier>> = {};
  /** Role OUs by name; when two roles share a name the later (client, peer, admin, orderer) wins, as in Fabric's `validOUs` map. */
  private readonly nodeOuByName = new Map<string, OuIdentifier>();
  private readonly ouIdentifiers: readonly OuIdentifier[];
  private readonly admins: ReadonlySet<string>;
  private readonly cache: BoundedCache<X509Identity | MspError>;
  private readonly maxIdentityBytes: number;

  constructor(
    readonly config: FabricMSPConfig,
    options: X509MspOptions = {},
    version: MspVersion = NEWEST_MSP_VERSION,
  ) {
    if (!MSP_VERSIONS.includes(version)) {
      throw new MspError(MspErrorCode.BadConfig, `MSP version "${String(version)}" is not one of ${MSP_VERSIONS.join(', ')}`, { version });
    }
    this.version = version;
    const opts = X509MspOptions.parse(options);
    this.maxIdentityBytes = opts.maxIdentityBytes;
    this.cache = new BoundedCache(opts.identityCacheSize);
    this.id = config.getName();
    if (this.id === '') throw new MspError(MspErrorCode.BadConfig, 'FabricMSPConfig.name is empty; expected the MSP id, e.g. Org1MSP', {});
    const crypto = config.getCryptoConfig();
    const sigFamily = crypto?.getSignatureHashFamily() ?? '';
    const idHash = crypto?.getIdentityIdentifierHashFunction() ?? '';
    if (!['', 'SHA2'].includes(sigFamily) || !['', 'SHA256'].includes(idHash)) {
      throw new MspError(
        MspErrorCode.BadConfig,
        `MSP ${this.id}: crypto_config {signature_hash_family: "${sigFamily}", identity_identifier_hash_function: "${idHash}"} is not supported; expected SHA2 and SHA256`,
        { mspId: this.id, sigFamily, idHash },
      );
    }
    this.cas = new CaStore(this.id, config.getRootCertsList_asU8(), config.getIntermediateCertsList_asU8(), config.getRevocationListList_asU8());
    // TLS CAs serve the transport, not identities, but Fabric's setupTLSCAs refuses a config whose TLS CAs are not sound.
    checkTlsCas(this.id, this.cas, config.getTlsRootCertsList_asU8(), config.getTlsIntermediateCertsList_asU8());

    this.nodeOusEnabled = this.setupNodeOus(config);
    this.ouIdentifiers = config
      .getOrganizationalUnitIdentifiersList()
      .map((ou, i) => this.ouIdentifier(ou, `organizational_unit_identifiers[${i}]`, true));
    this.admins = new Set(config.getAdminsList_asU8().map((pem, i) => this.adminId(pem, i)));
    // setupAdminsV142; before MSPv1_4_3 an MSP without administrators is accepted.
    if (this.atLeast('MSPv1_4_3') && this.admins.size === 0 && (!this.nodeOusEnabled || this.nodeOus.admin === undefined)) {
      throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: administrators must be declared (admins) when no admin OU classification is set (fabric_node_ous.admin_ou_identifier)`, {
        mspId: this.id,
      });
    }
  }

  /** Whether this MSP runs `min`'s rules or newer ones. */
  atLeast(min: MspVersion): boolean {
    return mspVersionAtLeast(this.version, min);
  }

  /**
   * Fabric's setupNodeOUsV142 (MSPv1_4_3+) or setupNodeOUs (MSPv1_1, MSPv1_3; MSPv1_0 has none).
   * Returns whether NodeOU classification is enforced.
   */
  private setupNodeOus(config: FabricMSPConfig): boolean {
    const nodeOus = config.getFabricNodeOus();
    if (nodeOus === undefined || !this.atLeast('MSPv1_1')) return false;
    const legacy = !this.atLeast('MSPv1_4_3');
    const roles: [NodeOuRoleName, FabricOUIdentifier | undefined][] = [
      ['client', nodeOus.getClientOuIdentifier()],
      ['peer', nodeOus.getPeerOuIdentifier()],
    ];
    if (legacy) {
      // The v1.1 setup requires both roles, with a name, even when NodeOUs are disabled.
      for (const [role, ou] of roles) {
        if (ou === undefined || ou.getOrganizationalUnitIdentifier() === '') {
          throw new MspError(
            MspErrorCode.BadConfig,
            `MSP ${this.id}: fabric_node_ous.${role}_ou_identifier must name an OU under ${this.version} (Fabric: "Failed setting up NodeOUs. ${role === 'client' ? 'Client' : 'Peer'}OU must be different from nil.")`,
            { mspId: this.id, field: `fabric_node_ous.${role}_ou_identifier`, version: this.version },
          );
        }
      }
    } else {
      roles.push(['admin', nodeOus.getAdminOuIdentifier()], ['orderer', nodeOus.getOrdererOuIdentifier()]);
    }
    // Resolved whether or not NodeOUs are enabled; a role counts when its identifier is present, even with an empty OU name.
    for (const [role, ou] of roles) {
      if (ou === undefined) continue;
      const id = this.ouIdentifier(ou, `fabric_node_ous.${role}_ou_identifier`, false);
      this.nodeOus[role] = id;
      // validateIdentityOUsV11 matches client before peer (a switch); V142's map keeps the later role.
      if (!legacy || !this.nodeOuByName.has(id.ou)) this.nodeOuByName.set(id.ou, id);
    }
    // ...and with no role identifier at all it turns enforcement off rather than refusing every identity.
    return nodeOus.getEnable() && this.nodeOuByName.size > 0;
  }

  /**
   * Fabric's setupAdmins plus postSetupV142: an admin certificate is an identity of this MSP, and a
   * client or admin under NodeOUs. Before MSPv1_4_3 (postSetupV11) an admin must be a valid client under NodeOUs.
   */
  private adminId(pem: Uint8Array, i: number): string {
    const field = `admins[${i}]`;
    const details = { mspId: this.id, field };
    let identity: X509Identity;
    try {
      identity = this.identityFromPem(pem, field);
    } catch (err) {
      if (!(err instanceof MspError)) throw err;
      throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: ${field}: ${err.message}`, details, { cause: err });
    }
    if (this.nodeOusEnabled && this.atLeast('MSPv1_4_3')) {
      if (!this.hasNodeOuRole(identity, 'client') && !this.hasNodeOuRole(identity, 'admin')) {
        throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: ${field} carries neither the client nor the admin NodeOU`, details);
      }
      return identity.id;
    }
    try {
      identity.validate();
    } catch (err) {
      throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: ${field} is not a valid identity of the MSP: ${(err as Error).message}`, details, { cause: err });
    }
    // postSetupV11 asks the CLIENT role of each admin.
    if (this.nodeOusEnabled && !this.hasNodeOuRole(identity, 'client')) {
      throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: ${field} does not carry the client NodeOU, which ${this.version} requires of an admin`, details);
    }
    return identity.id;
  }

  private ouIdentifier(ou: FabricOUIdentifier, field: string, certificateRequired: boolean): OuIdentifier {
    const pem = ou.getCertificate_asU8();
    if (pem.length === 0) {
      if (certificateRequired) {
        throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: ${field}.certificate is empty; expected the PEM of a CA of this MSP`, { mspId: this.id, field });
      }
      return { ou: ou.getOrganizationalUnitIdentifier(), certifiersId: undefined };
    }
    const cert = toMspCertificate(parsePemCertificate(pem, `MSP ${this.id} ${field}.certificate`));
    const sanitized = this.cas.sanitizedDer(cert);
    const ca = sanitized instanceof Uint8Array ? this.cas.byDer(sanitized) : undefined;
    if (!ca) {
      throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: ${field}.certificate is not one of the MSP's root or intermediate certificates`, {
        mspId: this.id,
        field,
      });
    }
    if (ca.isRoot) return { ou: ou.getOrganizationalUnitIdentifier(), certifiersId: chainIdentifier([ca]) };
    // Fabric's getValidationChain(cert, true): the named intermediate must itself be a leaf of the CA tree.
    const chain = this.cas.uniqueChain(ca);
    if ('code' in chain || ca.isInternal) {
      throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: ${field}.certificate names an intermediate CA that ${'code' in chain ? `has no unique chain (${chain.message})` : 'issues other CAs'}`, {
        mspId: this.id,
        field,
      });
    }
    return { ou: ou.getOrganizationalUnitIdentifier(), certifiersId: chainIdentifier(chain.chain) };
  }

  /**
   * Throws `MspError` for bytes that are no identity of this MSP, and, as Fabric's `newIdentity`
   * does, for an ECDSA-signed certificate without a unique chain to this MSP's CAs
   * (MSP_UNTRUSTED_CHAIN, MSP_AMBIGUOUS_CHAIN): its low-S form needs the issuer. Other chain,
   * revocation and OU problems are left to `validate()`. Outcomes are cached by the exact bytes,
   * refusals too: they depend on nothing but the bytes and this MSP's configuration.
   */
  deserializeIdentity(serialized: Uint8Array): X509Identity {
    const key = BoundedCache.keyOf(serialized);
    const hit = this.cache.get(key);
    if (hit instanceof MspError) throw hit;
    if (hit !== undefined) return hit;
    const { mspId, idBytes } = readSerializedIdentity(serialized, this.maxIdentityBytes);
    if (mspId === '') throw new MspError(MspErrorCode.BadIdentity, 'SerializedIdentity.mspid is empty', { length: serialized.length });
    if (mspId !== this.id) {
      throw new MspError(MspErrorCode.IdMismatch, `identity belongs to MSP "${mspId}", expected "${this.id}"`, { expected: this.id, received: mspId });
    }
    let identity: X509Identity;
    try {
      identity = this.identityFromPem(idBytes, `SerializedIdentity.id_bytes of MSP ${mspId}`, serialized.slice());
    } catch (err) {
      if (err instanceof MspError) this.cache.set(key, err);
      throw err;
    }
    this.cache.set(key, identity);
    return identity;
  }

  /** Fabric's `deserializeIdentityInternal`/`newIdentity`: parse, then `sanitizeCert`, which needs a unique chain for an ECDSA-signed certificate. */
  private identityFromPem(pem: Uint8Array, field: string, serialized?: Uint8Array): X509Identity {
    const cert = parsePemCertificate(pem, field);
    const keyType = identityKeyType(cert, `certificate of ${this.id} identity`);
    const sanitized = this.cas.sanitizedDer(toMspCertificate(cert));
    if (!(sanitized instanceof Uint8Array)) {
      throw new MspError(sanitized.code, `${field}: the supplied identity is not valid: its certificate cannot be sanitized without a unique chain (Fabric's newIdentity): ${sanitized.message}`, {
        mspId: this.id,
        field,
        issuer: cert.x509.issuer.replace(/\n/g, ', '),
      });
    }
    const bytes = serialized ?? serializeIdentity(this.id, pem);
    return new X509Identity(this, this.id, bytes, pem.slice(), cert, keyType, sanitized);
  }

  /**
   * Fabric's `IsWellFormed`: stricter PEM rules than {@link deserializeIdentity} (no bytes after the
   * block, type CERTIFICATE, canonical ECDSA signature). Fabric applies it only to identities gossip
   * learns, never to a transaction's creator or endorsers; throws MSP_BAD_PEM or MSP_BAD_IDENTITY.
   */
  isWellFormed(serialized: Uint8Array): void {
    assertWellFormedIdentity(serialized, this.maxIdentityBytes);
  }

  /** @see IdentityAuthority.validateIdentity — called once per identity; the identity caches the outcome. */
  validateIdentity(identity: X509Identity): IdentityChain {
    const details = { mspId: this.id, id: identity.id };
    const x509 = identity.certificate.x509;
    // validateIdentity checks the key algorithm first: ECDSA, plus Ed25519 from setupV3. An RSA key
    // is imported (RSA CAs) and deserializes, but no version supports it for an identity.
    if (identity.keyType === 'rsa') {
      throw new MspError(MspErrorCode.UnsupportedKey, `MSP ${this.id}: could not validate identity's public key algorithm: RSA is not supported`, { ...details, version: this.version });
    }
    if (identity.keyType === 'ed25519' && !this.atLeast('MSPv3_0')) {
      throw new MspError(
        MspErrorCode.UnsupportedKey,
        `MSP ${this.id}: could not validate identity's public key algorithm: Ed25519 is not supported (${this.version}; Ed25519 identities need channel capability V3_0)`,
        { ...details, version: this.version },
      );
    }
    if (identity.certificate.go.isCa) {
      throw new MspError(MspErrorCode.CaAsIdentity, `MSP ${this.id}: a certificate with BasicConstraints CA=true cannot be used as an identity`, details);
    }
    const cert = toMspCertificate(identity.certificate, identity.sanitizedDer);
    const outcome = this.cas.identityChain(cert);
    if ('code' in outcome) {
      throw new MspError(outcome.code, `MSP ${this.id}: certificate issued by "${x509.issuer.replace(/\n/g, ', ')}": ${outcome.message}`, { ...details, issuer: x509.issuer });
    }
    const revoked = this.cas.revocationProblem(cert, outcome.chain);
    if (revoked !== undefined) {
      throw new MspError(revoked.code, `MSP ${this.id}: ${revoked.message}`, { ...details, serialNumber: identity.certificate.serialNumber });
    }
    const chain: IdentityChain = { issuer: outcome.issuer as CaEntry, certifiersId: chainIdentifier(outcome.chain.slice(1)) };
    this.validateOus(identity, chain);
    return chain;
  }

  /**
   * Fabric's `validateIdentityOUsV142`: the OU identifiers the MSP lists apply first, whether or not
   * NodeOUs are enabled (`validateIdentityOUsV1`); then, with NodeOUs, exactly one role OU (before
   * MSPv1_4_3, `validateIdentityOUsV11`: only client and peer are roles, so an admin-OU identity fails).
   */
  private validateOus(identity: X509Identity, issuer: IdentityChain): void {
    const ous = identity.organizationalUnits;
    const details = { mspId: this.id, id: identity.id, organizationalUnits: ous };
    if (this.ouIdentifiers.length > 0) {
      const ok = ous.some((ou) => this.ouIdentifiers.some((id) => id.ou === ou && id.certifiersId !== undefined && sameBytes(id.certifiersId, issuer.certifiersId)));
      if (!ok) {
        throw new MspError(MspErrorCode.OrganizationalUnit, `MSP ${this.id}: none of the identity's OUs [${ous.join(', ')}] is an organizational unit of this MSP`, details);
      }
    }
    if (!this.nodeOusEnabled) return;
    let count = 0;
    for (const ou of ous) {
      const nodeOu = this.nodeOuByName.get(ou);
      if (!nodeOu) continue;
      if (nodeOu.certifiersId !== undefined && !sameBytes(nodeOu.certifiersId, issuer.certifiersId)) {
        throw new MspError(MspErrorCode.NodeOu, `MSP ${this.id}: NodeOU "${ou}" is certified by another CA than the one the MSP names for it`, details);
      }
      count++;
    }
    if (count !== 1) {
      throw new MspError(
        MspErrorCode.NodeOu,
        `MSP ${this.id}: identity must carry exactly one of the NodeOU roles (${Object.values(this.nodeOus).map((n) => n.ou).join(', ')}), found ${count} in OUs [${ous.join(', ')}]`,
        details,
      );
    }
  }

  /** Whether the identity carries the OU of a NodeOU role (validity is checked separately). */
  hasNodeOuRole(identity: X509Identity, role: NodeOuRoleName): boolean {
    const nodeOu = this.nodeOus[role];
    return nodeOu !== undefined && identity.organizationalUnits.includes(nodeOu.ou);
  }

  /** Listed in the config's `admins` (legacy admincerts). */
  isListedAdmin(identity: X509Identity): boolean {
    return this.admins.has(identity.id);
  }

  satisfiesPrincipal(identity: X509Identity, principal: MSPPrincipal): boolean {
    return satisfiesPrincipal(this, identity, principal);
  }
}

/** Fabric's `IsWellFormed` over `SerializedIdentity` bytes; it does not depend on the MSP (Fabric's manager asks any one). */
export function assertWellFormedIdentity(serialized: Uint8Array, maxIdentityBytes = 64 * 1024): void {
  const { mspId, idBytes } = readSerializedIdentity(serialized, maxIdentityBytes);
  parseWellFormedPemCertificate(idBytes, `SerializedIdentity.id_bytes of MSP ${mspId}`);
}
