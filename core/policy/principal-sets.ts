import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';

/**
 * A combination of principals whose signatures, one distinct signer per entry, together satisfy a
 * policy (Fabric's `policies.PrincipalSet`). A principal listed twice needs two signers.
 */
export type PrincipalSet = readonly MSPPrincipal[];

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
 * (Fabric's tree permutation in `inquire.SatisfiedBy`). Children are dropped from the end while the
 * choices exceed {@link MAX_PRINCIPAL_SETS} (Fabric drops random ones, which makes the answer vary
 * between calls), and no more sets are made past {@link MAX_PRINCIPAL_SETS} sets or
 * {@link MAX_PRINCIPALS} principals. A threshold of 0 gives one empty set; more than the children
 * gives none.
 */
export function gatePrincipalSets(threshold: number, children: readonly (readonly PrincipalSet[])[]): PrincipalSet[] {
  let count = children.length;
  while (count > 0 && binomialExceeds(count, threshold, MAX_PRINCIPAL_SETS)) count--;
  const out: PrincipalSet[] = [];
  const chosen: number[] = [];
  let principals = 0;
  const full = (): boolean => out.length >= MAX_PRINCIPAL_SETS || principals >= MAX_PRINCIPALS;
  const product = (at: number, acc: PrincipalSet): void => {
    if (full()) return;
    if (at === chosen.length) {
      out.push(acc);
      principals += acc.length;
      return;
    }
    for (const set of children[chosen[at] as number] as readonly PrincipalSet[]) product(at + 1, [...acc, ...set]);
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

function binomialExceeds(n: number, k: number, bound: number): boolean {
  let c = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) {
    c = (c * (n - k + i)) / i;
    if (c > bound) return true;
  }
  return false;
}
