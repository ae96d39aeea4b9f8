import type { IdentityDeserializer } from '../../core/msp';
import type { LeveledPrincipalSet, Policy, PolicyEvaluation } from '../../core/policy';
import type { SignatureSet } from './signature-set';

/**
 * A policy of this plugin: besides {@link Policy.evaluate} it evaluates over a {@link SignatureSet}
 * shared with the other sub-policies of one evaluation, so signatures are verified once per
 * evaluation however many sub-policies look at them.
 */
export interface SignatureSetPolicy extends Policy {
  /** The deserializer a fresh {@link SignatureSet} for this policy is built with. */
  readonly deserializer: IdentityDeserializer;
  /** Evaluates over `set` (built by the caller with the same deserializer, else rebuilt). */
  evaluateSet(set: SignatureSet): PolicyEvaluation;
  /** {@link Policy.principalSets} with each principal's depth, so an implicit meta policy over this one orders its sets as Fabric does. */
  leveledPrincipalSets(): readonly LeveledPrincipalSet[] | undefined;
}
