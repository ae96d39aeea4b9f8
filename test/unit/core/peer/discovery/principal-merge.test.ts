import { MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { type PrincipalSet, rolePrincipal } from '../../../../../core/policy';
import { mergePolicies } from '../../../../../core/peer/discovery/principal-merge';

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

  it('refuses a policy without sets, and nothing to merge', () => {
    expect(() => mergePolicies([[[m(1)]], []])).toThrow('endorsement policy cannot be satisfied');
    expect(() => mergePolicies([])).toThrow('no principal sets remained after filtering');
  });
});
