import { ImplicitMetaPolicy as ImplicitMetaPolicyProto } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { PolicyError } from '../../core/errors';
import type { IdentityDeserializer } from '../../core/msp';
import { type ImplicitMetaRule, type LeveledPrincipalSet, type PolicyEvaluation, type PrincipalSet, type SignedData, gatePrincipalSets, principalsOf } from '../../core/policy';
import { decodeImplicitMetaWire, WireError } from './envelope-wire';
import { SignatureSet } from './signature-set';
import type { SignatureSetPolicy } from './signature-set-policy';

/** One child group's sub-policy; `policy` undefined when that group has no such policy. */
export interface SubPolicy {
  /** Absolute path, e.g. `/Channel/Application/Org1MSP/Endorsement`, for reasons. */
  readonly path: string;
  readonly policy: SignatureSetPolicy | undefined;
}

const SATISFIED: PolicyEvaluation = Object.freeze({ satisfied: true });
const RULE_NAMES: Readonly<Record<number, ImplicitMetaRule>> = {
  [ImplicitMetaPolicyProto.Rule.ANY]: 'ANY',
  [ImplicitMetaPolicyProto.Rule.ALL]: 'ALL',
  [ImplicitMetaPolicyProto.Rule.MAJORITY]: 'MAJORITY',
};

/**
 * Fabric's `ImplicitMetaPolicy` (`common/policies/implicitmeta.go`): satisfied when `threshold`
 * of the child groups' `subPolicy` policies are. ANY = 1, ALL = every child, MAJORITY = strict
 * majority (children / 2 + 1). A child without the sub-policy counts as a child whose policy
 * fails (Fabric puts a reject policy there). With no children at all the threshold is 0, so the
 * policy is satisfied by any signature set, even an empty one: Fabric's rule.
 *
 * A rule outside ANY/ALL/MAJORITY (the enum is open: any int32 decodes) leaves Fabric's threshold
 * at 0 with children too, and its countdown then holds exactly when no sub-policy is satisfied
 * (each satisfied one takes the count below 0, never back to it). A config carrying one is
 * accepted by every Fabric orderer and peer, so refusing it here would fork the channel.
 */
export class ImplicitMetaPolicy implements SignatureSetPolicy {
  readonly threshold: number;

  constructor(
    /** The rule, or its number when it is none of ANY, ALL, MAJORITY. */
    readonly rule: ImplicitMetaRule | number,
    readonly subPolicyName: string,
    readonly subPolicies: readonly SubPolicy[],
    readonly deserializer: IdentityDeserializer,
    /** Where the policy sits (`/Channel/Application/Writers`), for reasons. */
    readonly name?: string,
  ) {
    const count = subPolicies.length;
    this.threshold = count === 0 ? 0 : rule === 'ANY' ? 1 : rule === 'ALL' ? count : rule === 'MAJORITY' ? Math.floor(count / 2) + 1 : 0;
  }

  /**
   * Builds from `ImplicitMetaPolicy` bytes, read as Go's protobuf runtime reads them, whatever
   * the rule (see the class comment). Throws `PolicyError` (`POLICY_MALFORMED`) for bytes that do
   * not decode.
   */
  static fromBytes(
    bytes: Uint8Array,
    subPoliciesOf: (subPolicy: string) => readonly SubPolicy[],
    deserializer: IdentityDeserializer,
    name?: string,
  ): ImplicitMetaPolicy {
    const where = name ? ` ${name}` : '';
    let proto: { rule: number; subPolicy: string };
    try {
      proto = decodeImplicitMetaWire(bytes);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      throw new PolicyError(
        'POLICY_MALFORMED',
        `implicit meta policy${where}: ${bytes.length} bytes are not an ImplicitMetaPolicy (${err.message})`,
        { policy: name },
        { cause: err },
      );
    }
    const rule = RULE_NAMES[proto.rule] ?? proto.rule;
    const subPolicy = proto.subPolicy;
    return new ImplicitMetaPolicy(rule, subPolicy, subPoliciesOf(subPolicy), deserializer, name);
  }

  /**
   * The principal sets of the signature policy Fabric converts this one to (`Convert`: an
   * `n`-out-of gate over the sub-policies, `n` the threshold). A missing sub-policy contributes no
   * set; undefined when a sub-policy cannot enumerate its own.
   */
  principalSets(): readonly PrincipalSet[] | undefined {
    const sets = this.leveledPrincipalSets();
    return sets === undefined ? undefined : principalsOf(sets);
  }

  leveledPrincipalSets(): readonly LeveledPrincipalSet[] | undefined {
    const children: (readonly LeveledPrincipalSet[])[] = [];
    for (const sub of this.subPolicies) {
      const sets = sub.policy === undefined ? [] : sub.policy.leveledPrincipalSets();
      if (sets === undefined) return undefined;
      children.push(sets);
    }
    const sets = gatePrincipalSets(this.threshold, children);
    return sets.some((s) => s.length === 0) ? [] : sets;
  }

  evaluate(signedData: readonly SignedData[]): PolicyEvaluation {
    return this.evaluateSet(new SignatureSet(signedData, this.deserializer));
  }

  /** Fabric's countdown from the threshold: satisfied when it stands at 0 (reached, or never left). */
  evaluateSet(set: SignatureSet): PolicyEvaluation {
    let remaining = this.threshold;
    const failures: string[] = [];
    const count = this.subPolicies.length;
    for (let i = 0; i < count; i++) {
      // Not enough sub-policies left to reach 0, or already past it: the answer is already no.
      if (remaining > count - i || remaining < 0) break;
      const sub = this.subPolicies[i];
      if (sub.policy === undefined) {
        failures.push(`${sub.path}: no such policy`);
        continue;
      }
      const result = sub.policy.evaluateSet(set);
      if (result.satisfied) {
        if (--remaining === 0) return SATISFIED;
      } else {
        failures.push(`${sub.path}: ${result.reason}`);
      }
    }
    if (remaining === 0) return SATISFIED;
    const known = typeof this.rule === 'string';
    return {
      satisfied: false,
      reason:
        `implicit policy ${this.name ? `${this.name} ` : ''}(${known ? this.rule : `rule ${this.rule}`} ${this.subPolicyName}) evaluation failed - ` +
        `${this.threshold - remaining} sub-policies were satisfied, but this policy requires ${this.threshold} of the ` +
        `'${this.subPolicyName}' sub-policies to be satisfied` +
        (known ? '' : ` (rule ${this.rule} is none of ANY, ALL, MAJORITY: as on Fabric it holds only when no sub-policy is satisfied)`) +
        (failures.length > 0 ? ` [${failures.join(' | ')}]` : ''),
    };
  }
}
