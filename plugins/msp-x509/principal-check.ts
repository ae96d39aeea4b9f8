import {
  CombinedPrincipal,
  MSPIdentityAnonymity,
  MSPPrincipal,
  MSPRole,
  OrganizationUnit,
} from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MspError } from '../../core/errors';
import type { Message } from 'google-protobuf';
import type { MessageClass } from '../../core/protocol/bounded-decode';
import { type Schema, decodeConfigProto } from '../../core/protocol/config-decode';
import { CombinedPrincipalSchema, MSPIdentityAnonymitySchema, MSPRoleSchema, OrganizationUnitSchema } from '../../core/protocol/config-schemas';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import type { MspVersion } from '../../core/msp/msp-version';
import type { X509Identity } from './x509-identity';

/** What principal evaluation needs from the MSP (X509Msp provides it). */
export interface PrincipalContext {
  readonly id: string;
  readonly nodeOusEnabled: boolean;
  /** Whether the MSP runs `min`'s rules or newer ones. */
  atLeast(min: MspVersion): boolean;
  /** Listed in the config's `admins` (legacy admincerts). */
  isListedAdmin(identity: X509Identity): boolean;
  /** Carries the OU of this NodeOU role (validity is checked separately). */
  hasNodeOuRole(identity: X509Identity, role: 'client' | 'peer' | 'admin' | 'orderer'): boolean;
  deserializeIdentity(serialized: Uint8Array): X509Identity;
}

const MAX_COMBINED_DEPTH = 8;

/** Decoded principals by kind and bytes; cleared when full (they come from channel and chaincode policies). */
const decodedPrincipals = new Map<string, Message>();
const DECODED_PRINCIPALS_MAX = 1024;

/**
 * A principal's bytes read as a Fabric MSP's `proto.Unmarshal` reads them: protobuf-go refuses an
 * `msp_identifier` that is not UTF-8 (google-protobuf would read "Org1\xffMSP" as "Org1MSP", which
 * then satisfies Org1MSP's principal) and skips a known field of another wire type.
 */
function decodePrincipal<T extends Message>(cls: MessageClass<T>, schema: Schema, bytes: Uint8Array, what: string): T {
  // Policies name a few principals, evaluated for every signature of every transaction: each is
  // decoded once (~1.6 µs) and the decoded message, only ever read, is shared.
  const key = `${what}\u0000${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')}`;
  const known = decodedPrincipals.get(key);
  if (known !== undefined) return known as T;
  try {
    const decoded = decodeConfigProto(cls, schema, bytes, 'MSPPrincipal.principal');
    if (decodedPrincipals.size >= DECODED_PRINCIPALS_MAX) decodedPrincipals.clear();
    decodedPrincipals.set(key, decoded);
    return decoded;
  } catch (err) {
    throw new MspError(MspErrorCode.BadPrincipal, `MSPPrincipal.principal does not decode as ${what}: ${(err as Error).message}`, { what }, { cause: err });
  }
}

/**
 * Fabric's `SatisfiesPrincipal`: ROLE, ORGANIZATION_UNIT, IDENTITY, ANONYMITY and COMBINED
 * principals, as the MSP's version has them (`satisfiesPrincipalInternalV142` from MSPv1_4_3,
 * `…V13` from MSPv1_3, `…PreV13` before). Returns false where Fabric returns an error about the
 * identity or a principal its version does not know; throws `MSP_BAD_PRINCIPAL` only when the
 * principal itself is malformed (both mean "not satisfied" to a policy, as in Fabric).
 */
export function satisfiesPrincipal(msp: PrincipalContext, identity: X509Identity, principal: MSPPrincipal, depth = 0): boolean {
  const bytes = principal.getPrincipal_asU8();
  const C = MSPPrincipal.Classification;
  switch (principal.getPrincipalClassification()) {
    case C.ROLE: {
      const role = decodePrincipal(MSPRole, MSPRoleSchema, bytes, 'MSPRole');
      if (role.getMspIdentifier() !== msp.id) return false;
      const R = MSPRole.MSPRoleType;
      switch (role.getRole()) {
        case R.MEMBER:
          return identity.isValid();
        case R.ADMIN:
          if (msp.isListedAdmin(identity)) return true;
          // The admin OU makes an admin from MSPv1_4_3 on; before, only the listed certificates.
          return msp.atLeast('MSPv1_4_3') && msp.nodeOusEnabled && identity.isValid() && msp.hasNodeOuRole(identity, 'admin');
        case R.CLIENT:
          return msp.nodeOusEnabled && identity.isValid() && msp.hasNodeOuRole(identity, 'client');
        case R.PEER:
          return msp.nodeOusEnabled && identity.isValid() && msp.hasNodeOuRole(identity, 'peer');
        case R.ORDERER:
          // Before MSPv1_4_3 Fabric answers "invalid MSP role type".
          return msp.atLeast('MSPv1_4_3') && msp.nodeOusEnabled && identity.isValid() && msp.hasNodeOuRole(identity, 'orderer');
        default:
          throw new MspError(MspErrorCode.BadPrincipal, `MSPRole.role ${role.getRole()} is not a known role (expected MEMBER, ADMIN, CLIENT, PEER or ORDERER)`, {
            role: role.getRole(),
          });
      }
    }
    case C.ORGANIZATION_UNIT: {
      const ou = decodePrincipal(OrganizationUnit, OrganizationUnitSchema, bytes, 'OrganizationUnit');
      if (ou.getMspIdentifier() !== msp.id || !identity.isValid()) return false;
      const certifiers = ou.getCertifiersIdentifier_asU8();
      const issuer = identity.issuingCa().certifiersId;
      return (
        identity.organizationalUnits.includes(ou.getOrganizationalUnitIdentifier()) &&
        certifiers.length === issuer.length &&
        Buffer.compare(certifiers, issuer) === 0
      );
    }
    case C.IDENTITY: {
      let other: X509Identity;
      try {
        other = msp.deserializeIdentity(bytes);
      } catch (err) {
        if (err instanceof MspError) return false;
        throw err;
      }
      return Buffer.compare(other.sanitizedDer, identity.sanitizedDer) === 0 && other.isValid();
    }
    case C.ANONYMITY: {
      // satisfiesPrincipalInternalPreV13 knows no ANONYMITY principal.
      if (!msp.atLeast('MSPv1_3')) return false;
      const anon = decodePrincipal(MSPIdentityAnonymity, MSPIdentityAnonymitySchema, bytes, 'MSPIdentityAnonymity');
      const type = anon.getAnonymityType();
      if (type === MSPIdentityAnonymity.MSPIdentityAnonymityType.NOMINAL) return true;
      if (type === MSPIdentityAnonymity.MSPIdentityAnonymityType.ANONYMOUS) return false;
      throw new MspError(MspErrorCode.BadPrincipal, `MSPIdentityAnonymity.anonymity_type ${type} is unknown`, { type });
    }
    case C.COMBINED: {
      // collectPrincipals refuses COMBINED principals up to MSPv1_1.
      if (!msp.atLeast('MSPv1_3')) return false;
      const combined = decodePrincipal(CombinedPrincipal, CombinedPrincipalSchema, bytes, 'CombinedPrincipal');
      const parts = combined.getPrincipalsList();
      if (parts.length === 0) throw new MspError(MspErrorCode.BadPrincipal, 'CombinedPrincipal has no principals', {});
      if (depth >= MAX_COMBINED_DEPTH) {
        throw new MspError(MspErrorCode.BadPrincipal, `CombinedPrincipal nesting exceeds ${MAX_COMBINED_DEPTH} levels`, { depth });
      }
      return parts.every((p) => satisfiesPrincipal(msp, identity, p, depth + 1));
    }
    default:
      throw new MspError(MspErrorCode.BadPrincipal, `MSPPrincipal.principal_classification ${principal.getPrincipalClassification()} is unknown`, {
        classification: principal.getPrincipalClassification(),
      });
  }
}
