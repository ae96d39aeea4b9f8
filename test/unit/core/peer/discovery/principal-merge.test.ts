import { MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { type PrincipalSet, rolePrincipal } from '../../../../../core/policy';
import { mergePolicies, reducePrincipalSets } from '../../../../../core/peer/discovery/principal-merge';
import { ConformanceMsp } from '../../../../../core/policy/conformance-msp';
import { FabricPolicyProvider } from '../../../../../plugins/policy-fabric';
import { seededRandom } from '../../../../support/seeded-random';

// The scenarios of Fabric's common/policies/inquire/merge_test.go, with their expected results.
const p = (org: number): ReturnType<typeof rolePrincipal> => rolePrincipal(`Org${org}MSP`, 'peer');
const m = (org: number): ReturnType<typeof rolePrincipal> => rolePrincipal(`Org${org}MSP`, 'member');

function canonical(sets: readonly PrincipalSet[]): string[] {
  return sets
    .map((s) =>
      s
        .map((x) => {
          const r = MSPRole.deserializeBinary(x.getPrincipal_asU8());
          return `${r.getMspIdentifier()}.${r.getRole() === MSPRole.MSPRoleType.PEER ? 'peer' : 'member'}`;
        })
        .sort()
        .join(' '),
    )
    .sort();
}

const ROLE_NAMES: Record<number, string> = { [MSPRole.MSPRoleType.MEMBER]: 'member', [MSPRole.MSPRoleType.PEER]: 'peer', [MSPRole.MSPRoleType.ADMIN]: 'admin' };

/** Each set's principals in their order (order and repeats matter here). */
function text(sets: readonly PrincipalSet[]): string[][] {
  return sets.map((s) =>
    s.map((x) => {
      const r = MSPRole.deserializeBinary(x.getPrincipal_asU8());
      return `${r.getMspIdentifier()}.${ROLE_NAMES[r.getRole()]}`;
    }),
  );
}

/** Fabric's ComparablePrincipalSets.Reduce (merge.go), literally: every pair compared, repeated until nothing changes. */
function fabricReduce(sets: readonly PrincipalSet[]): PrincipalSet[] {
  const key = (x: PrincipalSet[number]): string => Buffer.from(x.getPrincipal_asU8()).toString('hex');
  const isSubset = (a: PrincipalSet, b: PrincipalSet): boolean => a.every((x) => b.some((y) => key(x) === key(y)));
  let current = [...sets];
  for (;;) {
    const next = current.filter((s1, i) => {
      let isContaining = false;
      current.forEach((s2, j) => {
        if (i === j) return;
        if (isSubset(s2, s1)) isContaining = true;
        if (isSubset(s1, s2) && i < j) isContaining = false;
      });
      return !isContaining;
    });
    if (next.length === current.length) return next;
    current = next;
  }
}

describe('merging the principal sets of several policies (Fabric inquire.Merge)', () => {
  it('merges sets contained in the other side, covering members by peers (inclusive, with plurality)', () => {
    const s1 = [[m(1), m(2), m(2)], [p(3), p(4)]];
    const s2 = [[p(1), p(2)], [m(3), m(4)]];
    const expected = canonical([[p(1), p(2), m(2)], [p(3), p(4)]]);
    expect(canonical(mergePolicies([s1, s2]))).toEqual(expected);
    expect(canonical(mergePolicies([s2, s1]))).toEqual(expected);
  });

  it('combines sets pairwise when neither side contains the other (exclusive)', () => {
    const s1 = [[m(1), m(2), m(2)], [p(3), p(4)]];
    const s2 = [[m(2), m(3)], [p(4), p(5)]];
    expect(canonical(mergePolicies([s1, s2]))).toEqual(
      canonical([[m(1), m(2), m(2), m(3)], [p(3), p(4), p(5)], [m(1), m(2), m(2), p(4), p(5)], [p(3), p(4), m(2), m(3)]]),
    );
  });

  it('drops a merged set that contains another (partially exclusive)', () => {
    const s1 = [[m(1), m(2)], [p(3), p(4), m(5)]];
    const s2 = [[m(2), m(3)], [p(3), m(4), m(4)], [p(4), m(5)]];
    expect(canonical(mergePolicies([s1, s2]))).toEqual(canonical([[m(1), m(2), m(3)], [p(3), p(4), m(5)]]));
  });

  it('keeps AND when merged with an OR of its parts', () => {
    expect(canonical(mergePolicies([[[m(1), m(2)]], [[m(1)], [m(2)]]]))).toEqual(canonical([[m(1), m(2)]]));
  });

  it('refuses to merge more combinations than a bound, rather than hold the peer', () => {
    const many = (org: number): PrincipalSet[] => Array.from({ length: 600 }, (_, i) => [p(org), m(i + 10)]);
    expect(() => mergePolicies([many(1), many(2)])).toThrow('the policies have too many principal combinations to merge (600 × 600)');
  });

  it('bounds the work of a merge, so key policies of many principals get an error instead of holding the peer', () => {
    // Sets of one, two and three principals over 400 orgs, merged with an OR of 200: ~100,000 merged
    // sets of different sizes, which Fabric's pairwise Reduce compares with each other (hours of
    // the peer's only thread).
    const sized = Array.from({ length: 400 }, (_, i) => Array.from({ length: 1 + (i % 3) }, (_, k) => rolePrincipal(`A${i}x${k}MSP`, 'peer')));
    const or = Array.from({ length: 250 }, (_, i) => [rolePrincipal(`B${i}MSP`, 'peer')]);
    expect(() => mergePolicies([sized, or])).toThrow('the policies have too many principal combinations to merge');
  });

  it('merges a MAJORITY of 14 orgs with a collection readable by any of their members (6,006 merged sets, most alike)', () => {
    const provider = new FabricPolicyProvider();
    const msp = new ConformanceMsp();
    const orgs = Array.from({ length: 14 }, (_, i) => i + 1);
    const sets = (expression: string): readonly PrincipalSet[] => provider.newSignaturePolicy(provider.compileExpression(expression), msp).principalSets?.() ?? [];
    const majority = sets(`OutOf(8, ${orgs.map((o) => `'Org${o}MSP.peer'`).join(', ')})`);
    const anyMember = sets(`OR(${orgs.map((o) => `'Org${o}MSP.member'`).join(', ')})`);
    // Every majority set already satisfies the collection: the merge is the majority's sets.
    expect(canonical(mergePolicies([majority, anyMember]))).toEqual(canonical(majority));
  });

  it("reduces as Fabric's Reduce does, pair by pair, on random sets with repeats", () => {
    const random = seededRandom(7);
    for (let round = 0; round < 300; round++) {
      const pool = [p(1), p(2), p(3), m(1), m(2), m(3)];
      const sets: PrincipalSet[] = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        Array.from({ length: 1 + Math.floor(random() * 4) }, () => pool[Math.floor(random() * pool.length)] as ReturnType<typeof p>),
      );
      expect(text(reducePrincipalSets(sets))).toEqual(text(fabricReduce(sets)));
    }
  });

  it('orders set principals as Fabric does before merging, so pluralities come out the same', () => {
    const provider = new FabricPolicyProvider();
    const msp = new ConformanceMsp();
    const cc = provider.newSignaturePolicy(provider.compileExpression("AND(OR('Org1MSP.member', 'Org2MSP.member'), 'Org1MSP.peer')"), msp).principalSets?.() ?? [];
    const peer = rolePrincipal('Org1MSP', 'peer');
    const admin = rolePrincipal('Org1MSP', 'admin');
    // Fabric lists Org1MSP.peer first in each set (breadth first), so the key policy's peer
    // covers it and its admin covers Org1MSP.member: one set of two (the Org2MSP.member
    // combination contains it and goes). Listing the member first would spend the peer on it and
    // ask for a second peer.
    expect(text(mergePolicies([cc, [[peer, admin]]]))).toEqual([['Org1MSP.peer', 'Org1MSP.admin']]);
  });

  it('refuses a policy without sets, and nothing to merge', () => {
    expect(() => mergePolicies([[[m(1)]], []])).toThrow('endorsement policy cannot be satisfied');
    expect(() => mergePolicies([])).toThrow('no principal sets remained after filtering');
  });
});
