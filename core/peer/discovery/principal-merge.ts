import { MSPPrincipal, MSPRole, OrganizationUnit } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import type { PrincipalSet } from '../../policy/principal-sets';
import { bytesEqual } from '../../protocol/bytes';

/** A principal decoded once, so that principals can be compared (Fabric's `inquire.ComparablePrincipal`). */
export interface ComparablePrincipal {
  readonly principal: MSPPrincipal;
  readonly mspId: string;
  readonly role?: number;
  readonly ou?: { readonly id: string; readonly certifiers: Uint8Array };
  readonly idBytes?: Uint8Array;
}

type ComparableSet = readonly ComparablePrincipal[];

/** Bound on the pairs of sets one merge compares. */
const MAX_MERGED_PAIRS = 250_000;

/** Undefined for a principal Fabric cannot compare (anonymity, combined) or bytes that do not decode. */
export function comparable(principal: MSPPrincipal): ComparablePrincipal | undefined {
  const bytes = principal.getPrincipal_asU8();
  try {
    switch (principal.getPrincipalClassification()) {
      case MSPPrincipal.Classification.ROLE: {
        const r = MSPRole.deserializeBinary(bytes);
        return { principal, mspId: r.getMspIdentifier(), role: r.getRole() };
      }
      case MSPPrincipal.Classification.ORGANIZATION_UNIT: {
        const ou = OrganizationUnit.deserializeBinary(bytes);
        return { principal, mspId: ou.getMspIdentifier(), ou: { id: ou.getOrganizationalUnitIdentifier(), certifiers: ou.getCertifiersIdentifier_asU8() } };
      }
      case MSPPrincipal.Classification.IDENTITY: {
        const id = SerializedIdentity.deserializeBinary(bytes);
        return { principal, mspId: id.getMspid(), idBytes: id.getIdBytes_asU8() };
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

function equal(a: ComparablePrincipal, b: ComparablePrincipal): boolean {
  return (
    a.mspId === b.mspId &&
    a.principal.getPrincipalClassification() === b.principal.getPrincipalClassification() &&
    bytesEqual(a.principal.getPrincipal_asU8(), b.principal.getPrincipal_asU8())
  );
}

/** Every principal of `a` has an equal one in `b`, plurality aside (Fabric's `IsSubset`). */
function isSubset(a: ComparableSet, b: ComparableSet): boolean {
  return a.every((p) => b.some((q) => equal(p, q)));
}

/** Every principal of `a` is implied by one of `b`: a signer set satisfying `b` satisfies `a` (`IsContainedIn`). */
function isContainedIn(a: ComparableSet, b: ComparableSet): boolean {
  return a.every((p) => b.some((q) => isA(q, p)));
}

/** `containing` plus the principals of `contained` it does not already cover, each cover used once (`MergeWithPlurality`). */
function mergeWithPlurality(contained: ComparableSet, containing: ComparableSet): ComparableSet {
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
function reduce(sets: readonly ComparableSet[]): ComparableSet[] {
  let current = [...sets];
  for (;;) {
    const next = current.filter((s1, i) => {
      let containing = false;
      current.forEach((s2, j) => {
        if (i === j) return;
        if (isSubset(s2, s1)) containing = true;
        if (isSubset(s1, s2) && i < j) containing = false;
      });
      return !containing;
    });
    if (next.length === current.length) return next;
    current = next;
  }
}

/**
 * Sets each satisfying both policies `s1` and `s2` were derived from (Fabric's `inquire.Merge`):
 * a set of one side contained in a set of the other merges with it; the rest combine pairwise.
 */
function merge(s1: readonly ComparableSet[], s2: readonly ComparableSet[]): ComparableSet[] {
  const containedIn = (a: readonly ComparableSet[], b: readonly ComparableSet[]): Map<number, number[]> => {
    const m = new Map<number, number[]>();
    a.forEach((x, i) => b.forEach((y, j) => isContainedIn(x, y) && m.set(i, [...(m.get(i) ?? []), j])));
    return m;
  };
  const pairs = (a: readonly ComparableSet[], m: Map<number, number[]>, b: readonly ComparableSet[]): ComparableSet[] =>
    [...m].flatMap(([i, js]) => js.map((j) => mergeWithPlurality(a[i] as ComparableSet, b[j] as ComparableSet)));
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
    for (const x of left) for (const y of right) res.push(mergeWithPlurality(x, y));
  }
  return reduce(res);
}

/**
 * The principal sets satisfying every one of several policies at once (Fabric's
 * `mergePrincipalSets`): the first policy's sets, merged with each further policy's in turn.
 * Throws naming the cause when a policy has no set or a principal cannot be compared.
 */
export function mergePolicies(policies: readonly (readonly PrincipalSet[])[]): PrincipalSet[] {
  if (policies.length === 0) throw new Error('no principal sets remained after filtering');
  let merged: ComparableSet[] | undefined;
  for (const sets of policies) {
    const comparableSets: ComparableSet[] = [];
    for (const s of sets) {
      const c = comparableSet(s);
      if (c === undefined) throw new Error('failed creating a comparable principal set');
      comparableSets.push(c);
    }
    if (comparableSets.length === 0) throw new Error('endorsement policy cannot be satisfied');
    // Merging compares every pair of sets: bounded, so that a client's key policies cannot hold the peer.
    if (merged !== undefined && merged.length * comparableSets.length > MAX_MERGED_PAIRS) {
      throw new Error(`the policies have too many principal combinations to merge (${merged.length} × ${comparableSets.length})`);
    }
    merged = merged === undefined ? comparableSets : merge(merged, comparableSets);
  }
  return (merged as ComparableSet[]).map((s) => s.map((c) => c.principal));
}
