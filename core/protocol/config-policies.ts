import { ImplicitMetaPolicy, Policy, SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { MspRole } from '../msp/identity';

/** `ImplicitMetaPolicy.Rule` names. */
export type ImplicitMetaRule = 'ANY' | 'ALL' | 'MAJORITY';

/** A channel config policy: signature policy envelope bytes, or an implicit meta policy. */
export type ConfigPolicyInput =
  | { readonly type: 'signature'; readonly envelope: Uint8Array }
  | { readonly type: 'implicitMeta'; readonly rule: ImplicitMetaRule; readonly subPolicy: string };

const roleTypes: Record<MspRole, MSPRole.MSPRoleTypeMap[keyof MSPRole.MSPRoleTypeMap]> = {
  member: MSPRole.MSPRoleType.MEMBER,
  admin: MSPRole.MSPRoleType.ADMIN,
  client: MSPRole.MSPRoleType.CLIENT,
  peer: MSPRole.MSPRoleType.PEER,
  orderer: MSPRole.MSPRoleType.ORDERER,
};

/**
 * `OR('<msp>.<role1>', '<msp>.<role2>', …)` as Fabric's policydsl compiles it: one ROLE principal
 * per term in order, rule NOutOf(1, [SignedBy(0), SignedBy(1), …]), version 0. Returns
 * `SignaturePolicyEnvelope` bytes. The full policy language lives in the policy plugin.
 */
export function anyRolePolicy(mspId: string, roles: readonly MspRole[]): Uint8Array {
  const envelope = new SignaturePolicyEnvelope();
  envelope.setVersion(0);
  const rules = roles.map((role, i) => {
    const msprole = new MSPRole();
    msprole.setMspIdentifier(mspId);
    msprole.setRole(roleTypes[role]);
    const principal = new MSPPrincipal();
    principal.setPrincipalClassification(MSPPrincipal.Classification.ROLE);
    principal.setPrincipal(msprole.serializeBinary());
    envelope.addIdentities(principal);
    const signedBy = new SignaturePolicy();
    signedBy.setSignedBy(i);
    return signedBy;
  });
  const nOutOf = new SignaturePolicy.NOutOf();
  nOutOf.setN(1);
  nOutOf.setRulesList(rules);
  const rule = new SignaturePolicy();
  rule.setNOutOf(nOutOf);
  envelope.setRule(rule);
  return envelope.serializeBinary();
}

/** `ImplicitMetaPolicy{sub_policy, rule}` bytes, e.g. MAJORITY Admins. */
export function implicitMetaPolicy(rule: ImplicitMetaRule, subPolicy: string): Uint8Array {
  const imp = new ImplicitMetaPolicy();
  imp.setSubPolicy(subPolicy);
  imp.setRule(ImplicitMetaPolicy.Rule[rule]);
  return imp.serializeBinary();
}

/** A `common.Policy` (type + value) for a config policy input. */
export function toPolicy(input: ConfigPolicyInput): Policy {
  const policy = new Policy();
  if (input.type === 'signature') {
    policy.setType(Policy.PolicyType.SIGNATURE);
    policy.setValue(input.envelope);
  } else {
    policy.setType(Policy.PolicyType.IMPLICIT_META);
    policy.setValue(implicitMetaPolicy(input.rule, input.subPolicy));
  }
  return policy;
}

/** Shorthand for an implicit meta policy input. */
export function meta(rule: ImplicitMetaRule, subPolicy: string): ConfigPolicyInput {
  return { type: 'implicitMeta', rule, subPolicy };
}

/** Shorthand for a signature policy input `OR(<msp>.<role>…)`. */
export function anyRole(mspId: string, roles: readonly MspRole[]): ConfigPolicyInput {
  return { type: 'signature', envelope: anyRolePolicy(mspId, roles) };
}
