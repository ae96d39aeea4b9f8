/**
 * Fabric's implicit meta policy strings (`configtx.yaml` `Rule: "MAJORITY Admins"`, parsed by
 * `common/policies/implicitmetaparser.go`), in core for the same reason as the signature policy
 * language: config-block builders need the bytes whatever plugin evaluates them.
 */
import { ImplicitMetaPolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { PolicyError } from '../errors';

export type ImplicitMetaRule = 'ANY' | 'ALL' | 'MAJORITY';

const RULES: Readonly<Record<ImplicitMetaRule, ImplicitMetaPolicy.RuleMap[keyof ImplicitMetaPolicy.RuleMap]>> = {
  ANY: ImplicitMetaPolicy.Rule.ANY,
  ALL: ImplicitMetaPolicy.Rule.ALL,
  MAJORITY: ImplicitMetaPolicy.Rule.MAJORITY,
};

/** `ImplicitMetaPolicy{rule, sub_policy}`. */
export function implicitMetaPolicy(rule: ImplicitMetaRule, subPolicy: string): ImplicitMetaPolicy {
  const p = new ImplicitMetaPolicy();
  p.setRule(RULES[rule]);
  p.setSubPolicy(subPolicy);
  return p;
}

/**
 * Parses `"<ANY|ALL|MAJORITY> <SubPolicy>"` exactly as Fabric does: two tokens separated by one
 * space, rule in upper case. Throws `PolicyError` (`POLICY_SYNTAX`) otherwise.
 */
export function parseImplicitMetaExpression(expression: string): ImplicitMetaPolicy {
  const args = String(expression).split(' ');
  if (args.length !== 2) {
    throw new PolicyError(
      'POLICY_SYNTAX',
      `implicit meta policy ${JSON.stringify(expression)}: expected two space separated tokens like "MAJORITY Admins", but got ${args.length}`,
      { expression, expected: '<ANY|ALL|MAJORITY> <SubPolicy>' },
    );
  }
  const [rule, subPolicy] = args;
  if (!Object.hasOwn(RULES, rule)) {
    throw new PolicyError(
      'POLICY_SYNTAX',
      `implicit meta policy ${JSON.stringify(expression)}: unknown rule type '${rule}', expected ALL, ANY, or MAJORITY`,
      { expression, position: 0, token: rule, expected: 'ALL, ANY or MAJORITY' },
    );
  }
  return implicitMetaPolicy(rule as ImplicitMetaRule, subPolicy);
}

/** {@link parseImplicitMetaExpression}, serialized (the `Policy.value` of an IMPLICIT_META policy). */
export function compileImplicitMetaExpression(expression: string): Uint8Array {
  return parseImplicitMetaExpression(expression).serializeBinary();
}
