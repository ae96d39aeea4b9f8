import type { IdentityDeserializer } from '../msp/msp';

/** One signature over some data, as Fabric's `protoutil.SignedData`: the bytes exactly as signed. */
export interface SignedData {
  readonly data: Uint8Array;
  /** `SerializedIdentity` bytes of the signer. */
  readonly identity: Uint8Array;
  readonly signature: Uint8Array;
}

/** The outcome of a policy evaluation: a failed policy is a result, not an exception. */
export type PolicyEvaluation = { readonly satisfied: true } | { readonly satisfied: false; readonly reason: string };

/**
 * A compiled policy (signature policy, implicit meta policy, or a reference into the policy tree).
 * Evaluated for every transaction at commit and every proposal/broadcast at ingress.
 */
export interface Policy {
  /**
   * Evaluates the policy over signed data. Signatures are verified at most once per call; each
   * identity satisfies at most one principal (Fabric's rule). Throws only when it cannot decide
   * (e.g. a plugin fault), never because signatures are bad or missing.
   */
  evaluate(signedData: readonly SignedData[]): PolicyEvaluation;
}

/**
 * A channel's policy tree, addressed by absolute path (`/Channel/Application/Writers`,
 * `/Channel/Application/Org1MSP/Endorsement`, …). Rebuilt when a config block changes policies.
 */
export interface PolicyManager {
  /** The policy at `path`, or undefined when the tree has no such policy. */
  getPolicy(path: string): Policy | undefined;
}

/**
 * The `policy` plugin slot: compiles Fabric policy expressions and policy bytes, and builds a
 * channel's policy tree from its `common.Config`.
 */
export interface PolicyProvider {
  /** Compiles `OR('Org1MSP.member', AND(...))` to `SignaturePolicyEnvelope` bytes. Throws `PolicyError` naming the offending token. */
  compileExpression(expression: string): Uint8Array;
  /** A policy from `SignaturePolicyEnvelope` bytes, evaluated against `deserializer`. Throws `PolicyError` on malformed bytes. */
  newSignaturePolicy(envelope: Uint8Array, deserializer: IdentityDeserializer): Policy;
  /**
   * The policy tree of a channel config (`common.Config` bytes): signature policies at the leaves,
   * `ImplicitMetaPolicy` ANY/ALL/MAJORITY above. Throws `PolicyError` naming the path that fails.
   */
  newPolicyManager(config: Uint8Array, deserializer: IdentityDeserializer): PolicyManager;
}
export const PolicyProvider = Symbol('PolicyProvider');
