import { MSPPrincipal, MSPRole, OrganizationUnit } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import type { PrincipalSet } from '../../policy/principal-sets';
import { bytesEqual, toHex } from '../../protocol/bytes';
import { decodeConfigProto } from '../../protocol/config-decode';
import { MSPRoleSchema, OrganizationUnitSchema, SerializedIdentitySchema } from '../../protocol/config-schemas';

/** A principal decoded once, so that principals can be compared (Fabric's `inquire.ComparablePrincipal`). */
export interface ComparablePrincipal {
  readonly principal: MSPPrincipal;
  /** Classification and bytes: equal keys, equal principals. */
  readonly key: string;
  readonly mspId: string;
  readonly role?: number;
  readonly ou?: { readonly id: string; readonly certifiers: Uint8Array };
  readonly idBytes?: Uint8Array;
}

type ComparableSet = readonly ComparablePrincipal[];

/** Bound on the pairs of sets one merge makes (what it holds in memory before reducing them). */
const MAX_MERGED_PAIRS = 250_000;

/**
 * Bound on the work of one merge of policies, in principals compared: a client's key policies can
 * make Fabric's pairwise `Reduce` take hours, and here it would hold the peer's only thread. A
 * merge of realistic policies takes well under a million; this bound, a few hundred milliseconds.
 */
const MAX_MERGE_WORK = 50_000_000;
/** What one subset check costs beyond its principals, in the same units. */
const SUBSET_CHECK_OVERHEAD = 8;

/** One merge's work so far, stopped at {@link MAX_MERGE_WORK}, and each set's distinct principals as sorted numbers (for `IsSubset`). */
class MergeWork {
  private spent = 0;
  private readonly ids = new Map<string, number>();
  private readonly supports = new WeakMap<ComparableSet, Int32Array>();

  charge(units: number): void {
    this.spent += units;
    if (this.spent > MAX_MERGE_WORK) throw new Error('the policies have too many principal combinations to merge');
  }

  support(set: ComparableSet): Int32Array {
    let support = this.supports.get(set);
    if (support === undefined) {
      const ids = new Set<number>();
      for (const p of set) {
        let id = this.ids.get(p.key);
        if (id === undefined) this.ids.set(p.key, (id = this.ids.size));
        ids.add(id);
      }
      support = Int32Array.from(ids).sort();
      this.supports.set(set, support);
    }
    return support;
  }
}

/** Classification and bytes as one string: equal keys, equal principals. */
export function principalKey(principal: MSPPrincipal): string {
  return `${principal.getPrincipalClassification()}:${toHex(principal.getPrincipal_asU8())}`;
}

/**
 * Undefined for a principal Fabric cannot compare (anonymity, combined) or bytes that do not decode.
 * The principal's bytes come from a channel config or a chaincode's policy: they are decoded as
 * Fabric's `inquire.NewComparablePrincipal` does with protobuf-go (a known field with another wire
 * type skipped, repeated fields' last occurrence, a string that is not UTF-8 refused).
 */
export function comparable(principal: MSPPrincipal): ComparablePrincipal | undefined {
  const bytes = principal.getPrincipal_asU8();
  try {
    const key = principalKey(principal);
    switch (principal.getPrincipalClassification()) {
      case MSPPrincipal.Classification.ROLE: {
        const r = decodeConfigProto(MSPRole, MSPRoleSchema, bytes, 'principal');
        return { principal, key, mspId: r.getMspIdentifier(), role: r.getRole() };
      }
      case MSPPrincipal.Classification.ORGANIZATION_UNIT: {
        const ou = decodeConfigProto(OrganizationUnit, OrganizationUnitSchema, bytes, 'principal');
        return { principal, key, mspId: ou.getMspIdentifier(), ou: { id: ou.getOrganizationalUnitIdentifier(), certifiers: ou.getCertifiersIdentifier_asU8() } };
      }
      case MSPPrincipal.Classification.IDENTITY: {
        const id = decodeConfigProto(SerializedIdentity, SerializedIdentitySchema, bytes, 'principal');
        return { principal, key, mspId: id.getMspid(), idBytes: id.getIdBytes_asU8() };
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Undefined when a principal of the set cannot be compared (Fabric then fails the whole computation). */
export function comparableSet(set: PrincipalSet): ComparableSet | undefined {
  const out: ComparablePrincipal[] = [];
  for (const p of set) {
    const c = comparable(p);
    if (c === undefined) return undefined;
    out.push(c);
  }
  return out;
}

/** Whether every identity satisfying `a` also satisfies `b` (Fabric's `IsA`). */
export function isA(a: ComparablePrincipal, b: ComparablePrincipal): boolean {
  if (a.mspId !== b.mspId) return false;
  if (b.role === MSPRole.MSPRoleType.MEMBER) return true;
  if (a.ou !== undefined && b.ou !== undefined) return a.ou.id === b.ou.id && bytesEqual(a.ou.certifiers, b.ou.certifiers);
  if (a.role !== undefined && b.role !== undefined) return a.role === b.role;
  if (a.idBytes !== undefined) return bytesEqual(a.idBytes, b.idBytes ?? new Uint8Array(0));
  return false;
}

/** Whether the sorted distinct principals `a` are among `b` (Fabric's `IsSubset`, which ignores plurality). */
function isSubsetSupport(a: Int32Array, b: Int32Array, work: MergeWork): boolean {
  work.charge(a.length + b.length + SUBSET_CHECK_OVERHEAD);
  if (a.length > b.length) return false;
  let j = 0;
  for (const id of a) {
    while (j < b.length && (b[j] as number) < id) j++;
    if (b[j] !== id) return false;
    j++;
  }
  return true;
}

/** Every principal of `a` is implied by one of `b`: a signer set satisfying `b` satisfies `a` (`IsContainedIn`). */
function isContainedIn(a: ComparableSet, b: ComparableSet, work: MergeWork): boolean {
  work.charge(a.length * b.length);
  return a.every((p) => b.some((q) => isA(q, p)));
}

/** `containing` plus the principals of `contained` it does not already cover, each cover used once (`MergeWithPlurality`). */
function mergeWithPlurality(contained: ComparableSet, containing: ComparableSet, work: MergeWork): ComparableSet {
  work.charge(contained.length * containing.length + containing.length);
  const used = new Set<number>();
  const added: ComparablePrincipal[] = [];
  for (const p of contained) {
    const i = containing.findIndex((q, j) => !used.has(j) && isA(q, p));
    if (i >= 0) used.add(i);
    else added.push(p);
  }
  return [...containing, ...added];
}

/** Removes every set that contains another, until none does (Fabric's `Reduce`). */
function reduce(sets: readonly ComparableSet[], work: MergeWork): ComparableSet[] {
  let current = [...sets];
  for (;;) {
    const next = reduceOnce(current, work);
    if (next.length === current.length) return next;
    current = next;
  }
}

/**
 * One pass of Fabric's `reduce`, with its outcome: set `i` is dropped when, over every other set `j`
 * in order, the last one that bears on it says so: a subset of it does (`IsSubset(s2, s1)`),
 * unless it is also a superset at a higher index (`IsSubset(s1, s2) && i < j`). Fabric compares
 * every pair of sets; the outcome depends only on the sets' distinct principals and indices, so
 * here sets with the same principals are compared once, as a group.
 */
function reduceOnce(sets: readonly ComparableSet[], work: MergeWork): ComparableSet[] {
  const byPrincipals = new Map<string, number[]>();
  sets.forEach((set, i) => {
    const key = work.support(set).join(',');
    const group = byPrincipals.get(key);
    if (group === undefined) byPrincipals.set(key, [i]);
    else group.push(i);
  });
  // Groups by their number of distinct principals: only a smaller group can be a strict subset of a larger one.
  const groups = [...byPrincipals.values()];
  const supports = groups.map((g) => work.support(sets[g[0] as number] as ComparableSet));
  const bySize = groups.map((_, a) => a).sort((a, b) => (supports[a] as Int32Array).length - (supports[b] as Int32Array).length);
  const last = (g: readonly number[]): number => g[g.length - 1] as number;
  // The highest index of a set that is a strict subset, and of one that is a strict superset, of each group.
  const subsetAt = groups.map(() => -1);
  const supersetAt = groups.map(() => -1);
  let larger = 0;
  bySize.forEach((a) => {
    const sa = supports[a] as Int32Array;
    while (larger < bySize.length && (supports[bySize[larger] as number] as Int32Array).length <= sa.length) larger++;
    for (let k = larger; k < bySize.length; k++) {
      const b = bySize[k] as number;
      if (!isSubsetSupport(sa, supports[b] as Int32Array, work)) continue;
      subsetAt[b] = Math.max(subsetAt[b] as number, last(groups[a] as number[]));
      supersetAt[a] = Math.max(supersetAt[a] as number, last(groups[b] as number[]));
    }
  });
  const drop = new Set<number>();
  groups.forEach((g, a) => {
    for (const i of g) {
      // The last set bearing on `i`, and whether it drops it: a strict subset does; a strict
      // superset at a higher index keeps it; a set with the same principals drops it from before it, keeps it from after.
      const same = i === last(g) ? (g.length > 1 ? (g[g.length - 2] as number) : -1) : last(g);
      const superset = (supersetAt[a] as number) > i ? (supersetAt[a] as number) : -1;
      const decisive = Math.max(subsetAt[a] as number, same, superset);
      if (decisive >= 0 && (decisive === subsetAt[a] || (decisive === same && same < i))) drop.add(i);
    }
  });
  return sets.filter((_, i) => !drop.has(i));
}

/**
 * Sets each satisfying both policies `s1` and `s2` were derived from (Fabric's `inquire.Merge`):
 * a set of one side contained in a set of the other merges with it; the rest combine pairwise.
 */
function merge(s1: readonly ComparableSet[], s2: readonly ComparableSet[], work: MergeWork): ComparableSet[] {
  const containedIn = (a: readonly ComparableSet[], b: readonly ComparableSet[]): Map<number, number[]> => {
    const m = new Map<number, number[]>();
    a.forEach((x, i) => b.forEach((y, j) => isContainedIn(x, y, work) && m.set(i, [...(m.get(i) ?? []), j])));
    return m;
  };
  const pairs = (a: readonly ComparableSet[], m: Map<number, number[]>, b: readonly ComparableSet[]): ComparableSet[] =>
    [...m].flatMap(([i, js]) => js.map((j) => mergeWithPlurality(a[i] as ComparableSet, b[j] as ComparableSet, work)));
  const without = (a: readonly ComparableSet[], indices: Iterable<number>): ComparableSet[] => {
    const drop = new Set(indices);
    return a.filter((_, i) => !drop.has(i));
  };
  const oneInTwo = containedIn(s1, s2);
  const res = pairs(s1, oneInTwo, s2);
  let left = without(s1, oneInTwo.keys());
  const twoInOne = containedIn(s2, left);
  res.push(...pairs(s2, twoInOne, left));
  let right = without(s2, twoInOne.keys());
  // Sets of either side that contain a set of the other were merged above.
  left = without(left, [...twoInOne.values()].flat());
  right = without(right, [...oneInTwo.values()].flat());
  if (left.length > 0 && right.length > 0) {
    for (const x of left) for (const y of right) res.push(mergeWithPlurality(x, y, work));
  }
  return reduce(res, work);
}

/**
 * The principal sets satisfying every one of several policies at once (Fabric's
 * `mergePrincipalSets`): the first policy's sets, merged with each further policy's in turn.
 * Throws naming the cause when a policy has no set or a principal cannot be compared.
 */
export function mergePolicies(policies: readonly (readonly PrincipalSet[])[]): PrincipalSet[] {
  if (policies.length === 0) throw new Error('no principal sets remained after filtering');
  let merged: ComparableSet[] | undefined;
  const work = new MergeWork();
  for (const sets of policies) {
    const comparableSets: ComparableSet[] = [];
    for (const s of sets) {
      const c = comparableSet(s);
      if (c === undefined) throw new Error('failed creating a comparable principal set');
      comparableSets.push(c);
    }
    if (comparableSets.length === 0) throw new Error('endorsement policy cannot be satisfied');
    if (merged !== undefined && merged.length * comparableSets.length > MAX_MERGED_PAIRS) {
      throw new Error(`the policies have too many principal combinations to merge (${merged.length} × ${comparableSets.length})`);
    }
    merged = merged === undefined ? comparableSets : merge(merged, comparableSets, work);
  }
  return (merged as ComparableSet[]).map((s) => s.map((c) => c.principal));
}

/** Fabric's `Reduce` over plain principal sets (what {@link mergePolicies} ends each merge with). */
export function reducePrincipalSets(sets: readonly PrincipalSet[]): PrincipalSet[] {
  const comparableSets = sets.map((s) => {
    const c = comparableSet(s);
    if (c === undefined) throw new Error('failed creating a comparable principal set');
    return c;
  });
  return reduce(comparableSets, new MergeWork()).map((s) => s.map((c) => c.principal));
}
