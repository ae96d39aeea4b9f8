import { SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { PolicyError } from '../../core/errors';
import { type LeveledPrincipalSet, type PrincipalSet, leafPrincipalSets, principalsOf } from '../../core/policy';
import type { Identity, IdentityDeserializer } from '../../core/msp';
import type { PolicyEvaluation, SignedData } from '../../core/policy';
import { type CompiledRule, compileRule, ruleHolds, rulePrincipalSets } from './compiled-rule';
import { describePrincipal, describeSignaturePolicy } from './describe-signature-policy';
import { decodeEnvelopeWire, WireError } from './envelope-wire';
import { SignatureSet } from './signature-set';
import type { SignatureSetPolicy } from './signature-set-policy';

const SATISFIED: PolicyEvaluation = Object.freeze({ satisfied: true });

/**
 * A signature policy compiled once, evaluated as Fabric's `cauthdsl` does, at any depth Go's
 * protobuf limit lets a policy nest (see `compiled-rule.ts`):
 * an `n_out_of` gate evaluates every child (no short cut on success: a child that succeeds consumes
 * its identities even after `n` is reached, which the gates after it can observe), each child on a
 * copy of the gate's `used` marks, keeping the copy only when the child succeeds; `signed_by`
 * takes the first unused valid identity satisfying its principal. Each identity thus satisfies at
 * most one principal per evaluation.
 */
export class FabricSignaturePolicy implements SignatureSetPolicy {
  private readonly rule: CompiledRule;
  private readonly principals: readonly MSPPrincipal[];
  /** identity → per principal index: 0 unknown, 1 satisfies, 2 does not. Identities are immutable. */
  private readonly satisfiesCache = new WeakMap<Identity, Uint8Array>();
  private text: string | undefined;
  private sets: readonly LeveledPrincipalSet[] | undefined;

  /**
   * Compiles `envelope`. Throws `PolicyError` (`POLICY_MALFORMED`) for a missing rule, an unknown
   * rule type or a `signed_by` index outside the identities, as Fabric's `compile` does.
   */
  constructor(
    readonly envelope: SignaturePolicyEnvelope,
    readonly deserializer: IdentityDeserializer,
    /** Where the policy sits (`/Channel/Application/Org1MSP/Endorsement`), for reasons. */
    readonly name?: string,
  ) {
    this.principals = envelope.getIdentitiesList();
    this.rule = compileRule(envelope.getRule(), this.principals.length, (message, where) => this.malformed(`${where}: ${message}`, where));
  }

  /**
   * Compiles `SignaturePolicyEnvelope` bytes of a channel config policy; rejects versions other
   * than 0 as Fabric's `cauthdsl.NewPolicyProvider` does.
   */
  static fromBytes(bytes: Uint8Array, deserializer: IdentityDeserializer, name?: string): FabricSignaturePolicy {
    return new FabricSignaturePolicy(decodeEnvelope(bytes, name), deserializer, name);
  }

  /**
   * Compiles `SignaturePolicyEnvelope` bytes from the ledger (a key-level validation parameter, a
   * collection's member orgs or endorsement policy) whatever their version, as Fabric's
   * `EnvelopeBasedPolicyProvider` does: those bytes reach it unmarshalled, and it never looks at
   * the version, so a peer refusing version 1 would fail transactions Fabric's peers accept.
   * Fabric's validator decodes a key-level policy twice, the second time inside an
   * `ApplicationPolicy`, so the envelope must nest one message less deep than Go's limit (a
   * collection's policies, decoded inside their config package on Fabric, never come that close).
   */
  static fromLedgerBytes(bytes: Uint8Array, deserializer: IdentityDeserializer, name?: string): FabricSignaturePolicy {
    return new FabricSignaturePolicy(decodeEnvelope(bytes, name, false, 1), deserializer, name);
  }

  evaluate(signedData: readonly SignedData[]): PolicyEvaluation {
    return this.evaluateSet(new SignatureSet(signedData, this.deserializer));
  }

  evaluateSet(set: SignatureSet): PolicyEvaluation {
    if (set.deserializer !== this.deserializer) set = new SignatureSet(set.signedData, this.deserializer);
    if (ruleHolds(this.rule, set.size, (index, used) => this.signedBy(set, index, used))) return SATISFIED;
    return { satisfied: false, reason: this.explain(set) };
  }

  /**
   * Every combination of the envelope's principals that satisfies the rule (Fabric's
   * `inquireableSignaturePolicy.SatisfiedBy`); none when some combination would be empty, as there.
   */
  principalSets(): readonly PrincipalSet[] {
    return principalsOf(this.leveledPrincipalSets());
  }

  leveledPrincipalSets(): readonly LeveledPrincipalSet[] {
    if (this.sets === undefined) {
      const sets = rulePrincipalSets(this.rule, (index) => leafPrincipalSets(this.principals[index] as MSPPrincipal));
      this.sets = sets.some((s) => s.length === 0) ? [] : sets;
    }
    return this.sets;
  }

  /** The policy in Fabric's language, e.g. `OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer')`. */
  toString(): string {
    this.text ??= describeSignaturePolicy(this.envelope);
    return this.text;
  }

  /** `signed_by`: the first unused identity that satisfies the principal and counts takes it. */
  private signedBy(set: SignatureSet, index: number, used: Uint8Array): boolean {
    for (let i = 0; i < set.size; i++) {
      if (used[i] !== 0) continue;
      const identity = set.identity(i);
      if (identity === undefined || !this.satisfies(identity, index)) continue;
      if (!set.isEffective(i)) continue;
      used[i] = 1;
      return true;
    }
    return false;
  }

  private satisfies(identity: Identity, index: number): boolean {
    let row = this.satisfiesCache.get(identity);
    if (row === undefined) {
      row = new Uint8Array(this.principals.length);
      this.satisfiesCache.set(identity, row);
    }
    if (row[index] === 0) {
      let ok = false;
      try {
        ok = identity.satisfiesPrincipal(this.principals[index]) === true;
      } catch {
        // A principal the MSP cannot interpret is one this identity does not satisfy (Fabric).
      }
      row[index] = ok ? 1 : 2;
    }
    return row[index] === 1;
  }

  /** Failure path only: which principals no valid signer could satisfy, and what was skipped. */
  private explain(set: SignatureSet): string {
    const missing: string[] = [];
    for (let p = 0; p < this.principals.length; p++) {
      let found = false;
      for (let i = 0; i < set.size && !found; i++) {
        const identity = set.identity(i);
        found = identity !== undefined && this.satisfies(identity, p) && set.isEffective(i);
      }
      if (!found) missing.push(describePrincipal(this.principals[p]));
    }
    const parts = [`signature set did not satisfy policy ${this.name ? `${this.name} ` : ''}${this.toString()}`];
    parts.push(
      missing.length > 0
        ? `no valid signature from ${[...new Set(missing)].join(', ')}`
        : 'every principal has a valid signer, but not enough distinct ones (each identity counts for one principal)',
    );
    const skipped = set.describeSkipped();
    if (skipped.length > 0) parts.push(`skipped signatures: ${skipped.join('; ')}`);
    const invalid: string[] = [];
    for (let i = 0; i < set.size; i++) {
      const identity = set.identity(i);
      if (identity === undefined || !set.isEffective(i)) continue;
      if (this.principals.some((_, p) => this.satisfies(identity, p))) continue;
      const problem = set.validityProblem(i);
      if (problem !== undefined) invalid.push(`#${i} ${problem}`);
    }
    if (invalid.length > 0) parts.push(`signers that satisfy no principal: ${invalid.join('; ')}`);
    if (set.size === 0) parts.push('no signatures given');
    return parts.join('; ');
  }

  private malformed(message: string, field: string): never {
    throw new PolicyError('POLICY_MALFORMED', `signature policy${this.name ? ` ${this.name}` : ''}: ${message}`, {
      policy: this.name,
      field,
    });
  }
}

/**
 * Decodes `SignaturePolicyEnvelope` bytes as Go's protobuf runtime does (version 0 only, unless
 * `checkVersion` is false; nesting as `decodeEnvelopeWire`'s `nestedIn`); `PolicyError` on anything else.
 */
export function decodeEnvelope(bytes: Uint8Array, name?: string, checkVersion = true, nestedIn = 0): SignaturePolicyEnvelope {
  const where = name ? ` ${name}` : '';
  if (!(bytes instanceof Uint8Array)) {
    throw new PolicyError('POLICY_MALFORMED', `signature policy${where}: expected SignaturePolicyEnvelope bytes, got ${typeof bytes}`, {
      policy: name,
    });
  }
  let envelope: SignaturePolicyEnvelope;
  try {
    envelope = decodeEnvelopeWire(bytes, nestedIn);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    throw new PolicyError(
      'POLICY_MALFORMED',
      `signature policy${where}: ${bytes.length} bytes are not a SignaturePolicyEnvelope (${err.message})`,
      { policy: name, length: bytes.length },
      { cause: err },
    );
  }
  const version = envelope.getVersion();
  if (checkVersion && version !== 0) {
    throw new PolicyError(
      'POLICY_MALFORMED',
      `signature policy${where}: this evaluator only understands SignaturePolicyEnvelope version 0, but version was ${version}`,
      { policy: name, field: 'version', expected: 0, received: version },
    );
  }
  return envelope;
}
