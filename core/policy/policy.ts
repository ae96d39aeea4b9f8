import type { IdentityDeserializer } from '../msp/msp';
import type { PrincipalSet } from './principal-sets';

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
   * Evaluates the policy over signed data. Each signer identity is deserialized once, a signer
   * appearing twice counts once, each signature is verified at most once, and each identity
   * satisfies at most one principal (Fabric's rule). Signatures from identities that do not
   * deserialize, and signatures that do not verify, are skipped. Whether a signer is a valid
   * identity of its MSP is left to `Identity.satisfiesPrincipal`, as in Fabric, where a listed
   * admin and an ANONYMITY NOMINAL principal need no valid chain. Throws only when it cannot decide (e.g. a plugin fault),
   * never because signatures are bad or missing. Safe to call concurrently and repeatedly.
   */
  evaluate(signedData: readonly SignedData[]): PolicyEvaluation;

  /**
   * Fabric's policy inquiry (`InquireablePolicy.SatisfiedBy`; implicit meta policies through
   * `Converter`): the combinations of principals whose signers together satisfy the policy, for
   * service discovery's endorsement layouts. Empty when nothing can satisfy it; absent or undefined when the
   * plugin cannot enumerate its policies (discovery then has no layout for them).
   */
  principalSets?(): readonly PrincipalSet[] | undefined;
}

/**
 * A channel's policy tree (Fabric's `policies.Manager`), one manager per config group:
 * `/Channel`, `/Channel/Application`, `/Channel/Application/Org1MSP`, `/Channel/Orderer`, …
 * Built once per config block; read for every proposal, broadcast and committed transaction.
 */
export interface PolicyManager {
  /** This manager's group path without the leading slash, e.g. `Channel/Application`. */
  readonly path: string;
  /**
   * The policy at `path`: absolute (`/Channel/Application/Writers`, must lie under this manager)
   * or relative to this manager (`Application/Writers`, `Writers`). Undefined when the tree has no
   * such policy (Fabric answers with a reject-all policy there; callers decide what a miss means).
   */
  getPolicy(path: string): Policy | undefined;
  /** The manager of a sub-group, by relative path (`Application/Org1MSP`); this manager for `''`. */
  getManager(path: string): PolicyManager | undefined;
}

/**
 * The `policy` plugin slot: compiles Fabric policy expressions and policy bytes, and builds a
 * channel's policy tree from its `common.Config`. Called when a config block or a chaincode
 * definition is applied, not per transaction: callers keep the returned policies.
 */
export interface PolicyProvider {
  /** Compiles `OR('Org1MSP.member', AND(...))` to `SignaturePolicyEnvelope` bytes. Throws `PolicyError` naming the offending token. */
  compileExpression(expression: string): Uint8Array;
  /**
   * A policy from `SignaturePolicyEnvelope` bytes kept in the ledger (a key-level validation
   * parameter, a collection's member orgs), evaluated against `deserializer`. The envelope's
   * version is not checked, as Fabric's `EnvelopeBasedPolicyProvider` does not check it (config
   * policies, built by {@link newPolicyManager}, must be version 0). The envelope may nest as deep
   * as Fabric's validator takes a key-level policy (Go's protobuf limit of 10000 messages, counted
   * inside the `ApplicationPolicy` Fabric wraps it in: 4998 gates over a principal). Throws
   * `PolicyError` on malformed bytes.
   */
  newSignaturePolicy(envelope: Uint8Array, deserializer: IdentityDeserializer): Policy;
  /**
   * The policy tree of a channel config (`common.Config` bytes): signature policies at the leaves,
   * `ImplicitMetaPolicy` ANY/ALL/MAJORITY above. Throws `PolicyError` naming the path that fails.
   */
  newPolicyManager(config: Uint8Array, deserializer: IdentityDeserializer): PolicyManager;
  /**
   * A chaincode or collection endorsement policy from `common.ApplicationPolicy` bytes: either an
   * inline signature policy or a reference into `manager` (`/Channel/Application/Endorsement`).
   * Throws `PolicyError` on malformed bytes or a reference `manager` cannot resolve.
   */
  newApplicationPolicy(applicationPolicy: Uint8Array, manager: PolicyManager, deserializer: IdentityDeserializer): Policy;
}
export const PolicyProvider = Symbol('PolicyProvider');
