import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { PolicyError } from '../../core/errors';
import { type LeveledPrincipalSet, MAX_POLICY_DEPTH, type PrincipalSet, gatePrincipalSets, leafPrincipalSets, principalsOf } from '../../core/policy';
import type { Identity, IdentityDeserializer } from '../../core/msp';
import type { PolicyEvaluation, SignedData } from '../../core/policy';
import { describePrincipal, describeSignaturePolicy } from './describe-signature-policy';
import { decodeEnvelopeWire, WireError } from './envelope-wire';
import { SignatureSet } from './signature-set';
import type { SignatureSetPolicy } from './signature-set-policy';

/** A compiled rule: true when satisfied; marks in `used` the entries it consumed. */
type Evaluator = (set: SignatureSet, used: Uint8Array) => boolean;

const SATISFIED: PolicyEvaluation = Object.freeze({ satisfied: true });

/**
 * A signature policy compiled once into a closure tree, evaluated as Fabric's `cauthdsl` does:
 * an `n_out_of` gate evaluates every child (no short cut on success: a child that succeeds consumes
 * its identities even after `n` is reached, which the gates after it can observe), each child on a
 * copy of the gate's `used` marks, keeping the copy only when the child succeeds; `signed_by`
 * takes the first unused valid identity satisfying its principal. Each identity thus satisfies at
 * most one principal per evaluation.
 */
export class FabricSignaturePolicy implements SignatureSetPolicy {
  private readonly evaluator: Evaluator;
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
    this.evaluator = this.compile(envelope.getRule(), 1, 'rule');
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
   */
  static fromLedgerBytes(bytes: Uint8Array, deserializer: IdentityDeserializer, name?: string): FabricSignaturePolicy {
    return new FabricSignaturePolicy(decodeEnvelope(bytes, name, false), deserializer, name);
  }

  evaluate(signedData: readonly SignedData[]): PolicyEvaluation {
    return this.evaluateSet(new SignatureSet(signedData, this.deserializer));
  }

  evaluateSet(set: SignatureSet): PolicyEvaluation {
    if (set.deserializer !== this.deserializer) set = new SignatureSet(set.signedData, this.deserializer);
    if (this.evaluator(set, new Uint8Array(set.size))) return SATISFIED;
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
      const sets = this.setsOf(this.envelope.getRule() as SignaturePolicy);
      this.sets = sets.some((s) => s.length === 0) ? [] : sets;
    }
    return this.sets;
  }

  private setsOf(rule: SignaturePolicy): LeveledPrincipalSet[] {
    if (rule.getTypeCase() === SignaturePolicy.TypeCase.SIGNED_BY) return leafPrincipalSets(this.principals[rule.getSignedBy()] as MSPPrincipal);
    const gate = rule.getNOutOf() as SignaturePolicy.NOutOf;
    return gatePrincipalSets(gate.getN(), gate.getRulesList().map((r) => this.setsOf(r)));
  }

  /** The policy in Fabric's language, e.g. `OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer')`. */
  toString(): string {
    this.text ??= describeSignaturePolicy(this.envelope);
    return this.text;
  }

  private compile(rule: SignaturePolicy | undefined, depth: number, where: string): Evaluator {
    if (depth > MAX_POLICY_DEPTH) this.malformed(`${where}: nested deeper than ${MAX_POLICY_DEPTH} gates`, where);
    if (rule === undefined) this.malformed(`${where}: empty policy element`, where);
    switch (rule.getTypeCase()) {
      case SignaturePolicy.TypeCase.N_OUT_OF:
        return this.compileGate(rule.getNOutOf() as SignaturePolicy.NOutOf, depth, where);
      case SignaturePolicy.TypeCase.SIGNED_BY: {
        const index = rule.getSignedBy();
        if (!Number.isInteger(index) || index < 0 || index >= this.principals.length) {
          this.malformed(
            `${where}: identity index out of range, requested ${index}, but identities length is ${this.principals.length}`,
            where,
          );
        }
        return this.compileSignedBy(index);
      }
      default:
        this.malformed(`${where}: unknown rule type (neither signed_by nor n_out_of)`, where);
    }
  }

  private compileGate(gate: SignaturePolicy.NOutOf, depth: number, where: string): Evaluator {
    const n = gate.getN();
    const rules = gate.getRulesList();
    const children = rules.map((r, i) => this.compile(r, depth + 1, `${where}.n_out_of.rules[${i}]`));
    // A signed_by child only touches `used` when it succeeds, so it can work on the gate's marks
    // directly; a gate child may consume identities and still fail, so it gets a scratch copy.
    const isLeaf = rules.map((r) => r.getTypeCase() === SignaturePolicy.TypeCase.SIGNED_BY);
    const count = children.length;
    return (set, used) => {
      let verified = 0;
      let scratch: Uint8Array | undefined;
      for (let c = 0; c < count; c++) {
        // Cannot reach n any more: the caller discards `used` of a failed gate, so stop here.
        if (verified + (count - c) < n) return false;
        if (isLeaf[c]) {
          if (children[c](set, used)) verified++;
        } else {
          scratch ??= new Uint8Array(used.length);
          scratch.set(used);
          if (children[c](set, scratch)) {
            verified++;
            used.set(scratch);
          }
        }
      }
      return verified >= n;
    };
  }

  private compileSignedBy(index: number): Evaluator {
    return (set, used) => {
      for (let i = 0; i < set.size; i++) {
        if (used[i] !== 0) continue;
        const identity = set.identity(i);
        if (identity === undefined || !this.satisfies(identity, index)) continue;
        if (!set.isEffective(i)) continue;
        used[i] = 1;
        return true;
      }
      return false;
    };
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
 * `checkVersion` is false); `PolicyError` on anything else.
 */
export function decodeEnvelope(bytes: Uint8Array, name?: string, checkVersion = true): SignaturePolicyEnvelope {
  const where = name ? ` ${name}` : '';
  if (!(bytes instanceof Uint8Array)) {
    throw new PolicyError('POLICY_MALFORMED', `signature policy${where}: expected SignaturePolicyEnvelope bytes, got ${typeof bytes}`, {
      policy: name,
    });
  }
  let envelope: SignaturePolicyEnvelope;
  try {
    envelope = decodeEnvelopeWire(bytes);
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
