/**
 * A signature policy's rule tree compiled for evaluation, walked without recursion. Fabric's
 * `cauthdsl` compiles and evaluates rules recursively, with no bound of its own: the only bound is
 * Go's protobuf nesting limit (10000 messages), so a key-level policy may nest close to 5000 gates,
 * which a recursive walk here would turn into a stack overflow instead of Fabric's verdict.
 */
import { SignaturePolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { gatePrincipalSets, type LeveledPrincipalSet } from '../../core/policy';

/** A `signed_by` rule (the principal's index) or an `n_out_of` gate. */
export type CompiledRule = number | CompiledGate;

export interface CompiledGate {
  readonly n: number;
  readonly rules: readonly CompiledRule[];
}

/** Reports a compile error at `where` (`rule.n_out_of.rules[1]`); never returns. */
export type CompileFailure = (message: string, where: string) => never;

/**
 * Compiles `root` depth first, failing on the first bad element in Fabric's order: a missing rule,
 * a rule of neither type, a `signed_by` index outside the `principals` identities.
 */
export function compileRule(root: SignaturePolicy | undefined, principals: number, fail: CompileFailure): CompiledRule {
  const stack: { readonly rules: readonly SignaturePolicy[]; readonly gate: { n: number; rules: CompiledRule[] } }[] = [];
  // Built only on failure: a path per element would cost the square of the depth.
  const where = (): string => `rule${stack.map((f) => `.n_out_of.rules[${f.gate.rules.length}]`).join('')}`;
  let rule = root;
  for (;;) {
    let done: CompiledRule | undefined;
    if (rule === undefined) fail('empty policy element', where());
    switch (rule.getTypeCase()) {
      case SignaturePolicy.TypeCase.N_OUT_OF: {
        const gate = rule.getNOutOf() as SignaturePolicy.NOutOf;
        stack.push({ rules: gate.getRulesList(), gate: { n: gate.getN(), rules: [] } });
        break;
      }
      case SignaturePolicy.TypeCase.SIGNED_BY: {
        const index = rule.getSignedBy();
        if (!Number.isInteger(index) || index < 0 || index >= principals) {
          fail(`identity index out of range, requested ${index}, but identities length is ${principals}`, where());
        }
        done = index;
        break;
      }
      default:
        fail('unknown rule type (neither signed_by nor n_out_of)', where());
    }
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return done as CompiledRule;
      if (done !== undefined) top.gate.rules.push(done);
      if (top.gate.rules.length < top.rules.length) {
        rule = top.rules[top.gate.rules.length];
        break;
      }
      stack.pop();
      done = top.gate;
    }
  }
}

/**
 * Evaluates `root` as Fabric's compiled closures do: a gate evaluates every child in order, each on
 * a copy of the gate's `used` marks, keeping the copy only when the child succeeds, and holds when
 * `n` children did; `signedBy(index, used)` marks and reports the identity a principal consumed.
 * A gate stops early only once `n` is out of reach: its caller discards a failed gate's marks.
 */
export function ruleHolds(root: CompiledRule, size: number, signedBy: (index: number, used: Uint8Array) => boolean): boolean {
  if (typeof root === 'number') return signedBy(root, new Uint8Array(size));
  // Per depth: the gate, its next child, children satisfied, its marks and a scratch copy for a gate child.
  const gates: CompiledGate[] = [root];
  const next: number[] = [0];
  const verified: number[] = [0];
  const used: Uint8Array[] = [new Uint8Array(size)];
  const scratch: Uint8Array[] = [];
  let d = 0;
  let child: boolean | undefined;
  for (;;) {
    const gate = gates[d];
    const marks = used[d];
    if (child !== undefined) {
      if (child) {
        verified[d]++;
        marks.set(scratch[d]);
      }
      next[d]++;
      child = undefined;
    }
    const count = gate.rules.length;
    let result: boolean | undefined;
    while (next[d] < count) {
      if (verified[d] + (count - next[d]) < gate.n) {
        result = false;
        break;
      }
      const rule = gate.rules[next[d]];
      if (typeof rule === 'number') {
        // A signed_by child marks only on success, so it can work on the gate's marks directly.
        if (signedBy(rule, marks)) verified[d]++;
        next[d]++;
        continue;
      }
      scratch[d] ??= new Uint8Array(size);
      scratch[d].set(marks);
      gates[d + 1] = rule;
      next[d + 1] = 0;
      verified[d + 1] = 0;
      used[d + 1] = scratch[d];
      break;
    }
    if (result === undefined && next[d] < count) {
      d++;
      continue;
    }
    result ??= verified[d] >= gate.n;
    if (d === 0) return result;
    d--;
    child = result;
  }
}

/** The principal sets of `root` (`gatePrincipalSets` at each gate), bottom up without recursion. */
export function rulePrincipalSets(root: CompiledRule, leaf: (index: number) => LeveledPrincipalSet[]): LeveledPrincipalSet[] {
  if (typeof root === 'number') return leaf(root);
  const stack: { readonly gate: CompiledGate; readonly children: LeveledPrincipalSet[][] }[] = [{ gate: root, children: [] }];
  for (;;) {
    const top = stack[stack.length - 1];
    const rule = top.gate.rules[top.children.length];
    if (rule !== undefined) {
      if (typeof rule === 'number') top.children.push(leaf(rule));
      else stack.push({ gate: rule, children: [] });
      continue;
    }
    stack.pop();
    const sets = gatePrincipalSets(top.gate.n, top.children);
    const parent = stack[stack.length - 1];
    if (parent === undefined) return sets;
    parent.children.push(sets);
  }
}
