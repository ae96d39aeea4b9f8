import { Policy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import type { MspRole } from '../msp/identity';
import { implicitMetaPolicy, type ImplicitMetaRule } from '../policy/implicit-meta-expression';
import { compilePolicyExpression } from '../policy/policy-expression';

/** A channel config policy: signature policy envelope bytes, or an implicit meta policy. */
export type ConfigPolicyInput =
  | { readonly type: 'signature'; readonly envelope: Uint8Array }
  | { readonly type: 'implicitMeta'; readonly rule: ImplicitMetaRule; readonly subPolicy: string };

/**
 * `OR('<msp>.<role1>', '<msp>.<role2>', …)` compiled by the policy language exactly as Fabric's
 * policydsl does (one ROLE principal per term, NOutOf(1, …), version 0): `SignaturePolicyEnvelope` bytes.
 */
export function anyRolePolicy(mspId: string, roles: readonly MspRole[]): Uint8Array {
  return compilePolicyExpression(`OR(${roles.map((role) => `'${mspId}.${role}'`).join(', ')})`);
}

/** A `common.Policy` (type + value) for a config policy input. */
export function toPolicy(input: ConfigPolicyInput): Policy {
  const policy = new Policy();
  if (input.type === 'signature') {
    policy.setType(Policy.PolicyType.SIGNATURE);
    policy.setValue(input.envelope);
  } else {
    policy.setType(Policy.PolicyType.IMPLICIT_META);
    policy.setValue(implicitMetaPolicy(input.rule, input.subPolicy).serializeBinary());
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
