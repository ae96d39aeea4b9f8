import { SignaturePolicy, type SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { MSPPrincipal, MSPRole, OrganizationUnit } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';

const ROLE_NAMES: Readonly<Record<number, string>> = {
  [MSPRole.MSPRoleType.MEMBER]: 'member',
  [MSPRole.MSPRoleType.ADMIN]: 'admin',
  [MSPRole.MSPRoleType.CLIENT]: 'client',
  [MSPRole.MSPRoleType.PEER]: 'peer',
  [MSPRole.MSPRoleType.ORDERER]: 'orderer',
};

/** A principal for messages: `'Org1MSP.peer'`, `'Org1MSP' OU 'dept1'`, `identity of Org1MSP`. */
export function describePrincipal(principal: MSPPrincipal | undefined): string {
  if (principal === undefined) return '<missing principal>';
  try {
    const bytes = principal.getPrincipal_asU8();
    switch (principal.getPrincipalClassification()) {
      case MSPPrincipal.Classification.ROLE: {
        const role = MSPRole.deserializeBinary(bytes);
        return `'${role.getMspIdentifier()}.${ROLE_NAMES[role.getRole()] ?? `role${role.getRole()}`}'`;
      }
      case MSPPrincipal.Classification.ORGANIZATION_UNIT: {
        const ou = OrganizationUnit.deserializeBinary(bytes);
        return `'${ou.getMspIdentifier()}' OU '${ou.getOrganizationalUnitIdentifier()}'`;
      }
      case MSPPrincipal.Classification.IDENTITY:
        return `identity of ${SerializedIdentity.deserializeBinary(bytes).getMspid()}`;
      default:
        return `principal of classification ${principal.getPrincipalClassification()}`;
    }
  } catch {
    return '<malformed principal>';
  }
}

/** Gates rendered in full; deeper ones (Fabric accepts thousands) are elided, keeping messages short and recursion shallow. */
const MAX_DESCRIBED_DEPTH = 16;

/** A signature policy in Fabric's language (AND/OR when the count allows), for messages. */
export function describeSignaturePolicy(envelope: SignaturePolicyEnvelope): string {
  const identities = envelope.getIdentitiesList();
  const render = (rule: SignaturePolicy | undefined, depth: number): string => {
    if (rule === undefined) return '<empty>';
    if (rule.getTypeCase() === SignaturePolicy.TypeCase.SIGNED_BY) return describePrincipal(identities[rule.getSignedBy()]);
    const gate = rule.getNOutOf();
    if (gate === undefined) return '<unknown rule>';
    const n = gate.getN();
    if (depth >= MAX_DESCRIBED_DEPTH) return `OutOf(${n}, …)`;
    const rules = gate.getRulesList().map((r) => render(r, depth + 1));
    if (n === rules.length && n > 1) return `AND(${rules.join(', ')})`;
    if (n === 1) return `OR(${rules.join(', ')})`;
    return `OutOf(${[String(n), ...rules].join(', ')})`;
  };
  return render(envelope.getRule(), 1);
}
