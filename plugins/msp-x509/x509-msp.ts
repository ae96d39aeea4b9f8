import type { FabricMSPConfig, FabricOUIdentifier } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { z } from 'zod';
import { MspError } from '../../core/errors';
import type { Msp } from '../../core/msp/msp';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { BoundedCache } from './bounded-cache';
import { CaStore, type CaEntry } from './ca-store';
import { identityKeyType, parsePemCertificate, parseWellFormedPemCertificate } from './parsed-certificate';
import { satisfiesPrincipal, type PrincipalContext } from './principal-check';
import { readSerializedIdentity } from './serialized-identity-reader';
import { X509Identity, type IdentityAuthority } from './x509-identity';

export const X509MspOptions = z.object({
  /** Deserialized identities kept per MSP, keyed by their exact bytes. */
  identityCacheSize: z.number().int().positive().default(10_000),
  /** Upper bound on `SerializedIdentity` bytes. */
  maxIdentityBytes: z.number().int().positive().default(64 * 1024),
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
 * Fabric's X.509 MSP (`msp/mspimpl.go`, v1.4.2+ semantics): identities chain to exactly one root via
 * the intermediates, come from a leaf CA, are not revoked, and carry exactly one NodeOU role when
 * NodeOUs are enabled. Deserialized identities are cached by their exact bytes, and each caches its
 * validation outcome, so the hot path is a Map lookup plus one signature verification.
 */
export class X509Msp implements Msp, IdentityAuthority, PrincipalContext {
  readonly id: string;
  readonly nodeOusEnabled: boolean;
  private readonly cas: CaStore;
  private readonly nodeOus: Partial<Record<NodeOuRoleName, OuIdentifier>> = {};
  /** Role OUs by name; when two roles share a name the later (client, peer, admin, orderer) wins, as in Fabric's `validOUs` map. */
  private readonly nodeOuByName = new Map<string, OuIdentifier>();
  private readonly ouIdentifiers: readonly OuIdentifier[];
  private readonly admins: ReadonlySet<string>;
  private readonly cache: BoundedCache<X509Identity>;
  private readonly maxIdentityBytes: number;

  constructor(
    readonly config: FabricMSPConfig,
    options: X509MspOptions = {},
  ) {
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
    // TLS CAs are used by the transport, not here, but a config whose TLS roots cannot load must fail now, not at first connection.
    const tls = [...config.getTlsRootCertsList_asU8(), ...config.getTlsIntermediateCertsList_asU8()];
    tls.forEach((pem, i) => {
      const cert = parsePemCertificate(pem, `MSP ${this.id} tls certificate ${i}`);
      if (!cert.x509.ca) {
        throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: tls certificate ${i} is not a CA certificate (BasicConstraints CA=false)`, {
          mspId: this.id,
        });
      }
    });

    const nodeOus = config.getFabricNodeOus();
    this.nodeOusEnabled = nodeOus?.getEnable() ?? false;
    if (nodeOus && this.nodeOusEnabled) {
      const roles: [NodeOuRoleName, FabricOUIdentifier | undefined][] = [
        ['client', nodeOus.getClientOuIdentifier()],
        ['peer', nodeOus.getPeerOuIdentifier()],
        ['admin', nodeOus.getAdminOuIdentifier()],
        ['orderer', nodeOus.getOrdererOuIdentifier()],
      ];
      for (const [role, ou] of roles) {
        if (ou && ou.getOrganizationalUnitIdentifier() !== '') {
          const id = this.ouIdentifier(ou, `fabric_node_ous.${role}_ou_identifier`, false);
          this.nodeOus[role] = id;
          this.nodeOuByName.set(id.ou, id);
        }
      }
    }
    this.ouIdentifiers = config
      .getOrganizationalUnitIdentifiersList()
      .map((ou, i) => this.ouIdentifier(ou, `organizational_unit_identifiers[${i}]`, true));
    this.admins = new Set(config.getAdminsList_asU8().map((pem, i) => parsePemCertificate(pem, `MSP ${this.id} admins[${i}]`).id));
  }

  private ouIdentifier(ou: FabricOUIdentifier, field: string, certificateRequired: boolean): OuIdentifier {
    const pem = ou.getCertificate_asU8();
    if (pem.length === 0) {
      if (certificateRequired) {
        throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: ${field}.certificate is empty; expected the PEM of a CA of this MSP`, { mspId: this.id, field });
      }
      return { ou: ou.getOrganizationalUnitIdentifier(), certifiersId: undefined };
    }
    const ca = this.cas.byDer(parsePemCertificate(pem, `MSP ${this.id} ${field}.certificate`).der);
    if (!ca) {
      throw new MspError(MspErrorCode.BadConfig, `MSP ${this.id}: ${field}.certificate is not one of the MSP's root or intermediate certificates`, {
        mspId: this.id,
        field,
      });
    }
    return { ou: ou.getOrganizationalUnitIdentifier(), certifiersId: ca.certifiersId };
  }

  deserializeIdentity(serialized: Uint8Array): X509Identity {
    const key = BoundedCache.keyOf(serialized);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const { mspId, idBytes } = readSerializedIdentity(serialized, this.maxIdentityBytes);
    if (mspId === '') throw new MspError(MspErrorCode.BadIdentity, 'SerializedIdentity.mspid is empty', { length: serialized.length });
    if (mspId !== this.id) {
      throw new MspError(MspErrorCode.IdMismatch, `identity belongs to MSP "${mspId}", expected "${this.id}"`, { expected: this.id, received: mspId });
    }
    const cert = parsePemCertificate(idBytes, `SerializedIdentity.id_bytes of MSP ${mspId}`);
    const keyType = identityKeyType(cert.publicKey, `certificate of ${mspId} identity`);
    const identity = new X509Identity(this, mspId, serialized.slice(), idBytes.slice(), cert, keyType);
    this.cache.set(key, identity);
    return identity;
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
  validateIdentity(identity: X509Identity): CaEntry {
    const details = { mspId: this.id, id: identity.id };
    const x509 = identity.certificate.x509;
    if (x509.ca) {
      throw new MspError(MspErrorCode.CaAsIdentity, `MSP ${this.id}: a certificate with BasicConstraints CA=true cannot be used as an identity`, details);
    }
    const issuers = this.cas.findIssuers(x509);
    if (issuers.length === 0) {
      throw new MspError(
        MspErrorCode.UntrustedChain,
        `MSP ${this.id}: certificate issued by "${x509.issuer.replace(/\n/g, ', ')}" does not chain to a root CA of this MSP`,
        { ...details, issuer: x509.issuer },
      );
    }
    if (issuers.length > 1) {
      throw new MspError(MspErrorCode.AmbiguousChain, `MSP ${this.id}: certificate has ${issuers.length} validation chains; Fabric supports exactly one`, details);
    }
    const issuer = issuers[0];
    if (issuer.isInternal) {
      throw new MspError(
        MspErrorCode.NotLeafCa,
        `MSP ${this.id}: certificate issued by "${issuer.cert.x509.subject.replace(/\n/g, ', ')}", a CA that issues other CAs; identities must come from a leaf CA`,
        details,
      );
    }
    if (issuer.revoked.has(identity.certificate.serialNumber)) {
      throw new MspError(MspErrorCode.Revoked, `MSP ${this.id}: certificate serial ${identity.certificate.serialNumber} has been revoked`, {
        ...details,
        serialNumber: identity.certificate.serialNumber,
      });
    }
    this.validateOus(identity, issuer);
    return issuer;
  }

  /**
   * Fabric's `validateIdentityOUsV142`: the OU identifiers the MSP lists apply first, whether or not
   * NodeOUs are enabled (`validateIdentityOUsV1`); then, with NodeOUs, exactly one role OU.
   */
  private validateOus(identity: X509Identity, issuer: CaEntry): void {
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
