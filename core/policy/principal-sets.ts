import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';

/**
 * A combination of principals whose signatures, one distinct signer per entry, together satisfy a
 * policy (Fabric's `policies.PrincipalSet`). A principal listed twice needs two signers.
 */
export type PrincipalSet = readonly MSPPrincipal[];

/**
 * A principal of a set, with how deep in the policy's rule tree it sits (0: the rule is the
 * principal itself). Fabric lists a set's principals breadth first (`principalsOfTree` walks the
 * tree with `BFS`), and service discovery's merge of several policies depends on that order, so
 * sets are built with depths and kept in breadth-first order.
 */
export interface LeveledPrincipal {
  readonly principal: MSPPrincipal;
  readonly depth: number;
}

/** A principal set in breadth-first order of the rule tree, each principal with its depth. */
export type LeveledPrincipalSet = readonly LeveledPrincipal[];

/** The one set of a rule that is a single principal. */
export function leafPrincipalSets(principal: MSPPrincipal): LeveledPrincipalSet[] {
  return [[{ principal, depth: 0 }]];
}

/** The sets' principals, in their (breadth-first) order. */
export function principalsOf(sets: readonly LeveledPrincipalSet[]): PrincipalSet[] {
  return sets.map((s) => s.map((p) => p.principal));
}

/**
 * Fabric's bound on the combinations of one gate's children (`combinationsUpperBound` of
 * `common/policies/inquire`); Weft applies it to the sets of a whole policy as well, so a policy
 * written to explode cannot hold a peer's CPU.
 */
export const MAX_PRINCIPAL_SETS = 10_000;

/** Bound on the principals of all sets of one policy together: a policy of many leaves cannot fill memory. */
export const MAX_PRINCIPALS = 200_000;

/**
 * The principal sets of an `n`-out-of gate whose children have `children` sets each: for every
 * choice of `threshold` children, in order, every way to take one set from each, concatenated
 * (Fabric's tree permutation in `inquire.SatisfiedBy`), each set in breadth-first order of the
 * gate's tree. Children are dropped from the end while the
 * choices exceed {@link MAX_PRINCIPAL_SETS} (Fabric drops random ones, which makes the answer vary
 * between calls), and no more sets are made past {@link MAX_PRINCIPAL_SETS} sets or
 * {@link MAX_PRINCIPALS} principals. A threshold of 0 gives one empty set; more than the children
 * gives none.
 */
export function gatePrincipalSets(threshold: number, children: readonly (readonly LeveledPrincipalSet[])[]): LeveledPrincipalSet[] {
  let count = children.length;
  while (count > 0 && binomialExceeds(count, threshold, MAX_PRINCIPAL_SETS)) count--;
  const out: LeveledPrincipalSet[] = [];
  const chosen: number[] = [];
  let principals = 0;
  const full = (): boolean => out.length >= MAX_PRINCIPAL_SETS || principals >= MAX_PRINCIPALS;
  const product = (at: number, acc: LeveledPrincipalSet): void => {
    if (full()) return;
    if (at === chosen.length) {
      out.push(breadthFirst(acc));
      principals += acc.length;
      return;
    }
    for (const set of children[chosen[at] as number] as readonly LeveledPrincipalSet[]) product(at + 1, [...acc, ...set]);
  };
  const choose = (from: number): void => {
    if (full()) return;
    if (chosen.length === threshold) {
      product(0, []);
      return;
    }
    for (let i = from; i <= count - (threshold - chosen.length); i++) {
      chosen.push(i);
      choose(i + 1);
      chosen.pop();
    }
  };
  if (threshold <= count) choose(0);
  return out;
}

/**
 * The children's principals one level deeper, in breadth-first order: the concatenation lists each
 * child's principals depth first, left to right, and at any one depth that is the breadth-first
 * order too, so a stable sort by depth gives it.
 */
function breadthFirst(concatenated: LeveledPrincipalSet): LeveledPrincipalSet {
  return concatenated.map((p) => ({ principal: p.principal, depth: p.depth + 1 })).sort((a, b) => a.depth - b.depth);
}

function binomialExceeds(n: number, k: number, bound: number): boolean {
  let c = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) {
    c = (c * (n - k + i)) / i;
    if (c > bound) return true;
  }
  return false;
}
